"""Every list page and API list, against the personas: the outsider never sees Acme's rows, and
each role gets exactly what the permission matrix (docs/permissions.md) grants.

Acme holds one row of every kind, each carrying the word "zephyrine" or a teammate's
@acme.test address; the owner must see it (so that its absence elsewhere means something).
Globex's owner, the outsider, gets 404 on Acme's API (its existence is not revealed), and the
pages, which have no workspace in their address, show Globex even with a forged session.
A member whose role lacks the permission gets 403.
"""

from __future__ import annotations

import pytest
from conftest import item
from django.utils import timezone

from hearth.analysis.models import WorkspaceModel
from hearth.conversations.actions.notes import add_note
from hearth.conversations.actions.saved_replies import create_saved_reply
from hearth.conversations.models import Author, Thread
from hearth.core.middleware import SESSION_KEY
from hearth.core.permissions import Perm, role_has
from hearth.listening.actions import create_query, raise_alarm
from hearth.listening.detector import Alarm
from hearth.moderation.actions.appeals import submit_appeal
from hearth.moderation.actions.links import appeal_token
from hearth.moderation.actions.rules import save_rule
from hearth.moderation.actions.sanctions import sanction_person
from hearth.pipeline.ingest import ingest_batch

MARKERS = ("zephyrine", "@acme.test")


@pytest.fixture
def acme_rows(workspace, personas, make_channel):
    """One row of every listed kind in Acme, made by its owner; returns the thread."""
    owner = personas.actor("owner")
    query = create_query(workspace, name="Zephyrine watch", expression="zephyrine", by=owner)
    channel = make_channel(workspace, name="Zephyrine forum", kind="demo")
    ingest_batch(
        channel, [item("z1", "You are a stupid idiot, zephyrine fan", author="zephyrine_troll")]
    )
    thread = Thread.objects.get(channel=channel)
    add_note(thread, "Zephyrine note for @camille", by=owner)
    create_saved_reply(
        workspace, title="Zephyrine answer", lang="en", text="Hello {{author.name}}", by=owner
    )
    save_rule(
        workspace, {"name": "Zephyrine rule", "words": "zqxw", "actions": ["queue"]}, by=owner
    )
    sanction = sanction_person(
        Author.objects.get(channel=channel), article="1", kind="block", by=owner
    )
    submit_appeal(appeal_token(sanction), "Zephyrine was only a quote.")
    now = timezone.now()
    moment = int(now.timestamp()) - 300
    raise_alarm(query, Alarm("volume", moment, moment - 600, 6.0, 0.5, 0.2), now=now)
    WorkspaceModel.objects.create(  # a real retrain takes seconds; only the listing matters
        workspace=workspace, version=1, weights_path="models/acme/v1.npz", created_by=personas.owner
    )
    return thread


# (address, the permission the matrix requires, whether it lists Acme's marked rows)
PAGES = [
    ("/", Perm.VIEW, True),
    ("/inbox/", Perm.VIEW, True),
    ("/inbox/saved-replies/", Perm.REPLY, True),
    ("/moderation/", Perm.MODERATE, True),
    ("/moderation/sanctions/", Perm.MODERATE, True),
    ("/moderation/log/", Perm.MODERATE, True),
    ("/moderation/rules/", Perm.MODERATE, True),
    ("/listening/", Perm.VIEW, True),
    ("/listening/alerts/", Perm.VIEW, True),
    ("/listening/trends/", Perm.VIEW_ANALYTICS, True),
    ("/listening/trends.csv", Perm.VIEW_ANALYTICS, False),
    ("/settings/audit/", Perm.VIEW_AUDIT, True),
    ("/settings/hours/", Perm.VIEW, False),
    ("/settings/alerts/", Perm.VIEW, False),
    ("/settings/thresholds/", Perm.VIEW, False),
]
API = [
    ("/channels", Perm.VIEW, True),
    ("/threads", Perm.VIEW, True),
    ("/inbox", Perm.VIEW, True),
    ("/messages", Perm.VIEW, True),
    ("/search?q=zephyrine", Perm.VIEW, True),
    ("/saved-replies", Perm.VIEW, True),
    ("/threads/{thread}/notes", Perm.VIEW, True),
    ("/response-times?by=teammate", Perm.VIEW_ANALYTICS, False),
    ("/listening/queries", Perm.VIEW, True),
    ("/listening/mentions", Perm.VIEW, True),
    ("/listening/alerts", Perm.VIEW, True),
    ("/listening/crisis-rooms", Perm.VIEW, True),
    ("/listening/trends", Perm.VIEW_ANALYTICS, False),
    ("/listening/trends", Perm.VIEW_ANALYTICS, True),
    ("/analysis/models", Perm.VIEW, True),
    ("/moderation/rules", Perm.MODERATE, True),
    ("/moderation/queue", Perm.MODERATE, True),
    ("/moderation/sanctions", Perm.MODERATE, True),
    ("/moderation/log", Perm.MODERATE, True),
]
# Where the code does not follow the matrix (none left); each would get its own strict xfail test.
DEVIATIONS: dict[str, str] = {}

ROLES = ["owner", "manager", "moderator", "analyst", "viewer"]


def _marked(response):
    body = response.content.decode().lower()
    return [m for m in MARKERS if m in body]


def _expected(role, perm):
    return 200 if role_has(role, perm) else 403


@pytest.mark.parametrize("role", ROLES)
def test_pages_follow_the_matrix(personas, acme_rows, role):
    client = personas.client(role)
    wrong = []
    for url, perm, lists_rows in PAGES:
        if DEVIATIONS.get(url) == role:
            continue
        response = client.get(url)
        expected = _expected(role, perm)
        if response.status_code != expected:
            wrong.append((url, response.status_code, expected))
        elif expected == 200 and lists_rows and not _marked(response):
            wrong.append((url, "does not show Acme's rows"))
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_api_lists_follow_the_matrix(client, personas, acme_rows, role):
    wrong = []
    for path, perm, lists_rows in API:
        url = "/api/v1/workspaces/acme" + path.format(thread=acme_rows.pk)
        response = client.get(url, **personas.auth(role))
        expected = _expected(role, perm)
        if response.status_code != expected:
            wrong.append((path, response.status_code, expected))
        elif expected == 200 and lists_rows and not _marked(response):
            wrong.append((path, "does not show Acme's rows"))
    assert wrong == []


def test_the_outsider_sees_only_globex_on_every_page_even_with_a_forged_session(
    personas, acme_rows
):
    client = personas.client("outsider")
    session = client.session
    session[SESSION_KEY] = "acme"
    session.save()
    for url, _perm, _lists in PAGES:
        response = client.get(url)
        assert (url, response.status_code, _marked(response)) == (url, 200, [])
    assert client.post("/workspace/switch/", {"workspace": "acme"}).status_code == 404


def test_the_outsider_gets_404_on_every_acme_api_list(client, personas, acme_rows):
    for path, _perm, _lists in API:
        path = path.format(thread=acme_rows.pk)
        theirs = client.get(f"/api/v1/workspaces/acme{path}", **personas.auth("outsider"))
        assert (path, theirs.status_code, _marked(theirs)) == (path, 404, [])


def test_the_outsider_never_reaches_acme_rows_through_globex(client, personas, acme_rows):
    for template, _perm, _lists in API:
        path = template.format(thread=acme_rows.pk)
        own = client.get(f"/api/v1/workspaces/globex{path}", **personas.auth("outsider"))
        expected = 404 if "{thread}" in template else 200  # Acme's thread is not in Globex
        assert (path, own.status_code, _marked(own)) == (path, expected, [])


def test_a_viewer_is_denied_the_trends_page(personas, acme_rows):
    assert personas.client("viewer").get("/listening/trends/").status_code == 403
