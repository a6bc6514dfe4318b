"""The moderation lists cost a fixed number of queries, however many rows they show (no N+1).

Each test seeds rows with their related objects (authors on two channels, two moderators,
sanctions, appeals, to-dos, events, rules) and locks the count with N and 2N rows (`lock_queries`).
"""

from __future__ import annotations

import re

import pytest
from conftest import item

from hearth.conversations.models import Author
from hearth.moderation.actions.appeals import submit_appeal
from hearth.moderation.actions.links import appeal_token
from hearth.moderation.actions.rules import save_rule
from hearth.moderation.actions.sanctions import sanction_person
from hearth.pipeline.ingest import ingest_batch

INSULT = "You are a stupid idiot, shut up"
N = 5


@pytest.fixture
def seed(workspace, demo_channel, channel, personas):
    """Each call adds N flagged members on each channel, all blocked, and N rules.

    On the demo channel the block goes through the outbox and the member appeals; on the import
    channel it leaves a to-do for a human. The two moderators take turns.
    """
    added = 0

    def add() -> None:
        nonlocal added
        ids = range(added, added + N)
        added += N
        for source, prefix in ((demo_channel, "d"), (channel, "f")):
            ingest_batch(
                source,
                [item(f"{prefix}{i}", f"{INSULT} #{i}", author=f"{prefix}troll{i}") for i in ids],
            )
        for i in ids:
            by = personas.actor("moderator" if i % 2 else "moderator2")
            demo = Author.objects.get(channel=demo_channel, external_id=f"dtroll{i}")
            sanction = sanction_person(demo, article="1", kind="block", by=by)
            submit_appeal(appeal_token(sanction), f"I was quoting someone else, see message {i}.")
            forum = Author.objects.get(channel=channel, external_id=f"ftroll{i}")
            sanction_person(forum, article="1", kind="block", by=by)
            save_rule(
                workspace,
                {"name": f"Watch {i}", "words": f"zqx{i}", "actions": ["queue"]},
                by=by,
            )

    return add


def _page(response):
    assert response.status_code == 200
    return response.content.decode()


def _counts(*patterns):
    return lambda response: tuple(len(re.findall(p, _page(response))) for p in patterns)


@pytest.mark.parametrize(
    "url, queries, shown",
    [
        ("/moderation/", 12, [r"shut up #\d+"]),
        (
            "/moderation/sanctions/",
            9,
            [r"/moderation/sanctions/\d+/lift/", "<blockquote>", r"/moderation/todos/\d+/done/"],
        ),
        ("/moderation/log/", 7, [r"/moderation/people/\d+/"]),
        ("/moderation/rules/", 6, [r"/moderation/rules/\d+/delete/"]),
    ],
)
def test_pages(personas, seed, lock_queries, url, queries, shown):
    client = personas.client("moderator")
    lock_queries(queries, lambda: client.get(url), seed, _counts(*shown))


@pytest.mark.parametrize(
    "path, queries, items",
    [
        ("/queue", 3, lambda body: body["items"]),
        ("/sanctions", 3, lambda body: body),
        ("/rules", 3, lambda body: body),
        ("/log", 4, lambda body: body["items"]),
    ],
)
def test_api_lists(client, personas, seed, lock_queries, path, queries, items):
    def get():
        response = client.get(
            f"/api/v1/workspaces/acme/moderation{path}", **personas.auth("moderator")
        )
        assert response.status_code == 200, response.content
        return response.json()

    lock_queries(queries, get, seed, lambda body: (len(items(body)),))
