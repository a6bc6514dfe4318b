"""Entries by comment and by form, eligibility, the public page and tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import item
from django.test import Client
from django.utils import timezone

from hearth.animation.actions import contests
from hearth.animation.models import Contest, ContestState, EntrySource
from hearth.conversations.models import Author, Thread
from hearth.core.actions import ActionError
from hearth.moderation.actions.sanctions import sanction_person
from hearth.pipeline.ingest import ingest_batch


def _now_item(external_id, text, **kwargs):
    data = item(external_id, text, **kwargs)
    data["created_at"] = (timezone.now() + timedelta(seconds=len(external_id))).isoformat()
    return data


@pytest.fixture
def post_with_comments(personas, make_channel):
    """The giveaway post, and a function that makes its comments arrive.

    The comments arrive after the contest opens (a slow machine must not date them before it).
    """
    channel = make_channel(personas.workspace, name="Forum", kind="import")
    ingest_batch(channel, [_now_item("p1", "Giveaway! Comment LAMP to enter.", author="brandish")])

    def comment(external_id, text, author):
        return _now_item(external_id, text, kind="comment", author=author, parent="p1")

    def comments_arrive():
        ingest_batch(
            channel,
            [
                comment("c1", "LAMP please!", "alice"),
                comment("c2", "I want the lamp", "bob"),
                comment("c3", "lamp lamp", "alice"),  # alice again: still one entry
                comment("c4", "nice post", "carol"),  # no keyword
                comment("c5", "LAMP", "troll"),
            ],
        )

    thread = Thread.objects.get(workspace=personas.workspace, root_external_id="p1")
    return thread, comments_arrive


def test_comments_with_the_keyword_become_one_entry_per_person(
    personas, make_contest, post_with_comments
):
    post, comments_arrive = post_with_comments
    contest = make_contest(thread=post, keyword="lamp", form_entries=False)
    comments_arrive()
    added = contests.collect_comment_entries(contest, by=personas.actor("manager"))
    handles = sorted(e.author.handle for e in contest.entries.all())
    # alice commented twice (one entry), carol without the keyword, the post itself is no entry
    assert added == 3 and handles == ["@alice", "@bob", "@troll"]
    assert all(e.source == EntrySource.COMMENT for e in contest.entries.all())
    assert contests.collect_comment_entries(contest, by=personas.actor("manager")) == 0


def test_a_sanctioned_person_is_left_out_at_the_freeze(personas, make_contest, post_with_comments):
    post, comments_arrive = post_with_comments
    contest = make_contest(thread=post, keyword="lamp", form_entries=False)
    comments_arrive()
    troll = Author.objects.get(workspace=personas.workspace, external_id="troll")
    sanction_person(troll, article="1", kind="exclusion", by=personas.actor("moderator"))
    contests.freeze_contest(contest, by=personas.actor("manager"))
    entry = contest.entries.get(author=troll)
    assert entry.excluded_reason
    assert entry.entrant_id not in contests.published_record(contest)["entrants"]
    assert (
        len(contests.published_record(contest)["entrants"])
        == contest.entries.filter(excluded_reason="").count()
        >= 2
    )


def test_the_form_checks_each_declaration(personas, make_contest):
    contest = make_contest(min_age=18, countries=["fr", "BE"])
    ok = {"name": "Ana", "email": "ana@example.org", "accept_rules": True}
    with pytest.raises(ActionError, match="age"):
        contests.enter_by_form(contest, **ok, country="FR")
    with pytest.raises(ActionError, match="country"):
        contests.enter_by_form(contest, **ok, country="US", age_confirmed=True)
    with pytest.raises(ActionError, match="email"):
        contests.enter_by_form(
            contest, name="Ana", email="nope", accept_rules=True, country="FR", age_confirmed=True
        )
    with pytest.raises(ActionError, match="rules"):
        contests.enter_by_form(contest, name="Ana", email="ana@example.org", country="FR")
    entry = contests.enter_by_form(contest, **ok, country="fr", age_confirmed=True)
    assert entry.country == "FR" and entry.age_declared
    with pytest.raises(ActionError, match="already entered"):
        contests.enter_by_form(
            contest, **{**ok, "email": "ANA@example.org"}, country="BE", age_confirmed=True
        )


def test_bad_settings_are_refused_with_the_field_named(personas, make_contest):
    with pytest.raises(ActionError, match="countries"):
        make_contest(countries=["France"])
    with pytest.raises(ActionError, match="winners"):
        make_contest(winners_count=0)
    with pytest.raises(ActionError, match="entry"):
        make_contest(form_entries=False)


def test_the_public_page_takes_an_entry_with_a_csrf_token_only(personas, make_contest):
    contest = make_contest()
    url = f"/c/{contest.public_token}/"
    strict = Client(enforce_csrf_checks=True)
    data = {"name": "Ana", "email": "ana@example.org", "accept": "on"}
    assert strict.post(url, data).status_code == 403
    page = strict.get(url)
    assert page.status_code == 200 and contest.seed_commitment in page.content.decode()
    token = page.cookies["csrftoken"].value
    response = strict.post(url, {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 200 and contest.entries.count() == 1
    assert contest.entries.get().entrant_id in response.content.decode()
    assert contest.seed not in response.content.decode()


def test_the_public_form_is_rate_limited(personas, make_contest, settings):
    settings.HEARTH_PUBLIC_FORM_LIMIT = 2
    contest = make_contest()
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(2):
        client.post(
            f"/c/{contest.public_token}/",
            {"name": "A", "email": f"a{n}@example.org", "accept": "on"},
        )
    third = client.post(
        f"/c/{contest.public_token}/", {"name": "A", "email": "a9@example.org", "accept": "on"}
    )
    assert third.status_code == 400 and contest.entries.count() == 2


def test_the_published_record_shows_the_result_after_the_draw(personas, make_contest):
    contest = make_contest()
    for n in range(4):
        contests.enter_by_form(contest, name="A", email=f"a{n}@example.org", accept_rules=True)
    contests.freeze_contest(contest, by=personas.actor("manager"))
    contests.draw_contest(contest, by=personas.actor("manager"))
    record = Client().get(f"/c/{contest.public_token}/draw.json").json()
    assert record["seed"] == contest.seed and record["winners"] == contest.winners
    page = Client().get(f"/c/{contest.public_token}/").content.decode()
    assert contest.seed in page and contest.entrants_hash in page
    assert "a0@example.org" not in page  # the public list never shows e-mail addresses


def test_an_unknown_token_is_404_and_reveals_nothing(db):
    assert Client().get("/c/nope/").status_code == 404
    assert Client().get("/c/nope/draw.json").status_code == 404


def test_teammates_of_another_workspace_cannot_see_or_draw(personas, make_contest):
    contest = make_contest()
    contests.enter_by_form(contest, name="A", email="a@example.org", accept_rules=True)
    outsider = personas.client("outsider")
    assert outsider.get(f"/animation/contests/{contest.pk}/").status_code == 404
    assert (
        outsider.post(f"/animation/contests/{contest.pk}/", {"verb": "freeze"}).status_code == 404
    )
    assert "Spring giveaway" not in outsider.get("/animation/").content.decode()
    contest.refresh_from_db()
    assert contest.state == ContestState.OPEN


def test_a_viewer_sees_but_cannot_freeze(personas, make_contest):
    contest = make_contest()
    viewer = personas.client("viewer")
    assert viewer.get(f"/animation/contests/{contest.pk}/").status_code == 200
    assert viewer.post(f"/animation/contests/{contest.pk}/", {"verb": "freeze"}).status_code == 403
    assert Contest.objects.get(pk=contest.pk).state == ContestState.OPEN


def test_the_team_creates_a_contest_through_the_page(personas):
    client = personas.client("manager")
    response = client.post(
        "/animation/contests/new/",
        {"title": "Draw", "rules": "Rules.", "form_entries": "on", "winners_count": "2"},
    )
    contest = Contest.objects.get(workspace=personas.workspace)
    assert response.status_code == 302 and contest.winners_count == 2
    bad = client.post("/animation/contests/new/", {"title": "", "rules": "x", "form_entries": "on"})
    assert bad.status_code == 400 and "title" in bad.content.decode()


def test_every_animation_page_keeps_to_the_strict_csp(personas, make_contest, make_event):
    from hearth.animation.actions import events, polls
    from hearth.web.tests.test_csp import _inline_problems

    contest = make_contest()
    contests.enter_by_form(contest, name="A", email="a@example.org", accept_rules=True)
    event = make_event()
    registration = events.register(event, name="B", email="b@example.org")
    poll = polls.create_poll(
        personas.workspace, question="Q?", options=["a", "b"], by=personas.actor("manager")
    )
    owner = personas.client("owner")
    paths = [
        "/animation/",
        "/animation/contests/new/",
        f"/animation/contests/{contest.pk}/",
        "/animation/events/new/",
        f"/animation/events/{event.pk}/",
        "/animation/polls/new/",
        f"/animation/polls/{poll.pk}/",
        "/animation/faq/",
        f"/c/{contest.public_token}/",
        f"/e/{event.public_token}/",
        f"/e/r/{registration.token}/",
        f"/p/{poll.public_token}/",
        f"/faq/{personas.workspace.slug}/",
    ]
    for path in paths:
        response = owner.get(path)
        assert response.status_code == 200, path
        assert _inline_problems(response.content.decode()) == [], path
