"""The community pages: list with filters, profile, export/erase, settings; tenancy and roles."""

from __future__ import annotations

import json

import pytest

from hearth.community.members import member_for_author
from hearth.community.models import CommunitySettings, Member
from hearth.conversations.models import SavedReply, Thread


@pytest.fixture
def people(forum, insta, say):
    ana = say(forum, "ana", "I love this lamp, thanks!", handle="@ana_b", name="Ana Bell")
    say(insta, "ana-ig", "Great app", handle="ana_b", name="Ana Bell")
    bob = say(forum, "bob", "It keeps crashing", handle="@bobby", name="Bob")
    return member_for_author(ana), member_for_author(bob)


def test_list_filters_by_search_segment_channel_and_tag(personas, people, insta):
    ana, bob = people
    bob.tags = ["beta"]
    bob.save()
    client = personas.client("viewer")
    page = client.get("/community/members/").content.decode()
    assert "Ana Bell" in page and "Bob" in page
    assert "Bob" not in client.get("/community/members/?q=ana_b").content.decode()
    only_insta = client.get(f"/community/members/?channel={insta.pk}").content.decode()
    assert "Ana Bell" in only_insta and ">Bob<" not in only_insta
    tagged = client.get("/community/members/?tag=beta").content.decode()
    assert ">Bob<" in tagged and "Ana Bell" not in tagged
    creators = client.get("/community/members/?segment=creator").content.decode()
    assert "Ana Bell" in creators


def test_profile_shows_identities_timeline_and_trend(personas, people):
    ana, _ = people
    page = personas.client("viewer").get(f"/community/members/{ana.pk}/").content.decode()
    assert 'data-testid="member-identities"' in page and page.count("ana_b") >= 2
    assert "I love this lamp" in page and "Great app" in page
    assert "<polyline" in page
    assert 'data-testid="member-erase"' not in page  # the viewer cannot erase


def test_another_workspace_cannot_read_or_change_a_member(personas, people):
    ana, _ = people
    outsider = personas.client("outsider")
    assert outsider.get(f"/community/members/{ana.pk}/").status_code == 404
    assert outsider.get(f"/community/members/{ana.pk}/export/").status_code == 404
    assert outsider.post(f"/community/members/{ana.pk}/erase/").status_code == 404
    assert outsider.post(f"/community/members/{ana.pk}/edit/", {"notes": "x"}).status_code == 404
    assert "Ana Bell" not in outsider.get("/community/members/").content.decode()
    assert Member.objects.filter(pk=ana.pk).exists()


def test_notes_consent_export_and_erase(personas, people):
    ana, _ = people
    mod = personas.client("moderator")
    mod.post(f"/community/members/{ana.pk}/edit/", {"tags": "vip, beta", "notes": "Met at fair"})
    mod.post(f"/community/members/{ana.pk}/edit/", {"consent": "share_content", "given": "1"})
    ana.refresh_from_db()
    assert ana.tags == ["beta", "vip"] and ana.consent["share_content"]["given"] is True
    data = json.loads(
        personas.client("analyst").get(f"/community/members/{ana.pk}/export/").content
    )
    assert len(data["identities"]) == 2 and data["member"]["notes"] == "Met at fair"
    assert mod.post(f"/community/members/{ana.pk}/erase/").status_code == 403
    owner = personas.client("owner")
    assert owner.post(f"/community/members/{ana.pk}/erase/").status_code == 302
    assert not Member.objects.filter(pk=ana.pk).exists()


def test_settings_reject_bad_thresholds_with_the_field_named(personas, workspace):
    owner = personas.client("owner")
    page = owner.post("/community/settings/", {"newcomer_days": "0"}, follow=True)
    assert "newcomer_days" in page.content.decode()
    owner.post("/community/settings/", {"newcomer_days": "14", "retention_days": "90"})
    cfg = CommunitySettings.objects.get(workspace=workspace)
    assert cfg.newcomer_days == 14 and cfg.retention_days == 90
    assert (
        personas.client("viewer").post("/community/settings/", {"newcomer_days": "3"}).status_code
        == 403
    )


def test_inbox_card_flags_a_newcomers_first_message_with_the_welcome_reply(
    personas, people, workspace
):
    ana, _ = people
    SavedReply.objects.create(workspace=workspace, title="Welcome", text="Welcome!", lang="en")
    first = Thread.objects.get(messages__pk=ana.first_message_id)
    page = personas.client("viewer").get(f"/inbox/t/{first.pk}/").content.decode()
    assert 'data-testid="newcomer-first"' in page and "Welcome" in page
    assert f"/community/members/{ana.pk}/" in page


def test_segment_csv(personas, people):
    body = personas.client("analyst").get("/community/segments/creator.csv").content.decode()
    assert body.splitlines()[0].startswith("id,name") and "Ana Bell" in body
    assert personas.client("viewer").get("/community/segments/creator.csv").status_code == 403


def test_profile_shows_sanctions_and_the_queue_asks_a_second_look_for_influencers(
    personas, workspace, forum, say, actor
):
    from hearth.moderation.actions.netiquette import ensure_netiquette
    from hearth.moderation.actions.sanctions import sanction_person

    ensure_netiquette(workspace)
    star = say(forum, "star", "You are a stupid idiot, shut up", handle="@star", name="Star")
    member = member_for_author(star)
    member.is_influencer = True
    member.save()
    sanction_person(star, article="1", by=actor, reason="insult", confirm_influencer=True)
    profile = personas.client("moderator").get(f"/community/members/{member.pk}/")
    assert 'data-testid="member-sanctions"' in profile.content.decode()
    queue = personas.client("moderator").get("/moderation/").content.decode()
    assert 'data-testid="second-look"' in queue and f"/community/members/{member.pk}/" in queue


def test_inbox_filters_by_segment(personas, people, workspace):
    from hearth.conversations.inbox import InboxFilters, inbox_queryset

    ana, bob = people
    ana.is_champion = True
    ana.save()
    shown = list(inbox_queryset(workspace, None, InboxFilters.from_query({"segment": "champion"})))
    authors = {t.author_id for t in shown}
    assert authors and authors <= set(ana.identities.values_list("author_id", flat=True))
    everyone = inbox_queryset(workspace, None, InboxFilters.from_query({"segment": "bogus"}))
    assert len(list(everyone)) > len(shown)
