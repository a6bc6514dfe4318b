"""Polls: the hosted page (one vote per browser), a native poll on a real Mastodon-API server
through the outbox, and the results summed across both."""

from __future__ import annotations

import pytest
from django.test import Client

from hearth.animation.actions import polls
from hearth.animation.models import PollVote
from hearth.channels.models import OutboxItem
from hearth.channels.tests import conftest as channel_fixtures
from hearth.core.actions import ActionError

mastodon_server = channel_fixtures.mastodon_server
mastodon = channel_fixtures.mastodon
mastodon_channel = channel_fixtures.mastodon_channel


@pytest.fixture
def poll(personas):
    return polls.create_poll(
        personas.workspace,
        question="Which colour next?",
        options=["Amber", "Teal", "Plum"],
        by=personas.actor("manager"),
    )


def test_the_hosted_page_counts_one_vote_per_browser(poll):
    client = Client()
    page = client.get(f"/p/{poll.public_token}/")
    assert page.status_code == 200 and "hearth_voter" in page.cookies
    assert client.post(f"/p/{poll.public_token}/", {"option": "1"}).status_code == 302
    again = client.post(f"/p/{poll.public_token}/", {"option": "0"})
    assert again.status_code == 400 and "already voted" in again.content.decode()
    other = Client()
    other.get(f"/p/{poll.public_token}/")
    other.post(f"/p/{poll.public_token}/", {"option": "1"})
    rows, total, _ = polls.results(poll)
    assert total == 2 and [r.votes for r in rows] == [0, 2, 0]
    partial = other.get(f"/p/{poll.public_token}/", HTTP_HX_REQUEST="true").content.decode()
    assert "<progress" in partial and "2 votes in all" in partial


def test_a_vote_without_the_cookie_or_for_no_option_is_refused(poll):
    assert Client().post(f"/p/{poll.public_token}/", {"option": "0"}).status_code == 400
    with pytest.raises(ActionError, match="option"):
        polls.vote(poll, 7, browser_id="x" * 24)
    assert not PollVote.objects.exists()


def test_bad_polls_are_refused_with_the_field_named(personas):
    with pytest.raises(ActionError, match="options"):
        polls.create_poll(
            personas.workspace, question="Q", options=["One"], by=personas.actor("manager")
        )
    with pytest.raises(ActionError, match="options"):
        polls.create_poll(
            personas.workspace, question="Q", options=list("abcde"), by=personas.actor("manager")
        )


@pytest.mark.platform_server
def test_a_native_mastodon_poll_adds_its_votes_to_the_page(
    personas, poll, mastodon, mastodon_channel, django_capture_on_commit_callbacks
):
    channel = mastodon_channel(name="Lumio on Mastodon")
    with django_capture_on_commit_callbacks(execute=True):
        publication = polls.publish_poll(poll, channel, by=personas.actor("manager"))
    item = OutboxItem.objects.get(pk=publication.outbox_item_id)
    assert item.status == "sent" and item.external_id, item.last_error
    status = mastodon.client("ana").status(item.external_id)
    assert [o["title"] for o in status["poll"]["options"]] == poll.options
    mastodon.client("ana").poll_vote(status["poll"]["id"], [2])
    mastodon.client("ben").poll_vote(status["poll"]["id"], [2])
    client = Client()
    client.get(f"/p/{poll.public_token}/")
    client.post(f"/p/{poll.public_token}/", {"option": "0"})
    assert polls.refresh_results(poll) == 1
    rows, total, by_place = polls.results(poll)
    assert [r.votes for r in rows] == [1, 0, 2] and total == 3
    assert by_place == {"page": 1, "Lumio on Mastodon": 2}
    with pytest.raises(ActionError, match="already published"):
        polls.publish_poll(poll, channel, by=personas.actor("manager"))


def test_polls_stay_in_their_workspace(personas, poll, make_channel):
    outsider = personas.client("outsider")
    assert outsider.get(f"/animation/polls/{poll.pk}/").status_code == 404
    theirs = make_channel(personas.other_workspace, name="Theirs", kind="import")
    with pytest.raises(ActionError, match="not in this workspace"):
        polls.publish_poll(poll, theirs, by=personas.actor("manager"))
    assert (
        personas.client("viewer")
        .post(f"/animation/polls/{poll.pk}/", {"verb": "refresh"})
        .status_code
        == 403
    )
