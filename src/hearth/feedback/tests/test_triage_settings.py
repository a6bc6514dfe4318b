"""The board's segments and influence, settings and forwarding targets through the API and the
CLI, and product areas as choices."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from hearth.community.models import Member
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.feedback import actions
from hearth.feedback.board import board
from hearth.feedback.models import ForwardTarget, Idea

pytestmark = pytest.mark.django_db


def _member(idea: Idea, message: Any) -> Member:
    person = idea.people.get(message=message)
    return Member.objects.get(pk=int(person.person_key.split(":")[1]))


@pytest.fixture
def two_ideas(workspace: Any, channel: Any, say: Any) -> tuple[Idea, Idea]:
    """Export (asked by ana: champion and influencer, bob: newcomer, cid: none) and Dark mode
    (asked by dan alone: at risk, but by far the most influential)."""
    ana = say(channel, "Please add an export of the reports to PDF", author="ana")
    export = actions.idea_from_message(ana, by=Actor.system(), title="PDF export")
    bob = say(channel, "PDF export please", author="bob")
    cid = say(channel, "export to PDF would help", author="cid")
    actions.link_message(export, bob, by=Actor.system())
    actions.link_message(export, cid, by=Actor.system())
    dan = say(channel, "We need a dark mode", author="dan")
    dark = actions.idea_from_message(dan, by=Actor.system(), title="Dark mode")
    # Set by hand (the community app computes them): every new member starts as a newcomer.
    Member.objects.filter(workspace=workspace).update(is_newcomer=False)
    Member.objects.filter(pk=_member(export, ana).pk).update(
        is_champion=True, is_influencer=True, influence=40.0
    )
    Member.objects.filter(pk=_member(export, bob).pk).update(is_newcomer=True, influence=2.5)
    Member.objects.filter(pk=_member(export, cid).pk).update(influence=0.0)
    Member.objects.filter(pk=_member(dark, dan).pk).update(is_at_risk=True, influence=120.0)
    return export, dark


def test_board_counts_segments_filters_and_sorts_by_influence(
    workspace: Any, personas: Any, two_ideas: tuple[Idea, Idea]
) -> None:
    export, dark = two_ideas
    by_demand = board(workspace.pk)[""]
    assert [i.pk for i in by_demand] == [export.pk, dark.pk]  # 3 people before 1
    asked = {i.pk: i.asked for i in by_demand}  # type: ignore[attr-defined]
    assert asked[export.pk] == {
        "champion": 1,
        "influencer": 1,
        "newcomer": 1,
        "at_risk": 0,
        "influence": 42.5,
    }
    assert (asked[dark.pk]["at_risk"], asked[dark.pk]["influence"]) == (1, 120.0)
    assert [i.pk for i in board(workspace.pk, sort="influence")[""]] == [dark.pk, export.pk]
    assert [i.pk for i in board(workspace.pk, segment="at_risk")[""]] == [dark.pk]
    assert [i.pk for i in board(workspace.pk, segment="newcomer")[""]] == [export.pk]
    with pytest.raises(ActionError, match="segment 'vip' is unknown"):
        board(workspace.pk, segment="vip")

    api = Client()
    url = f"/api/v1/workspaces/{workspace.slug}/ideas/board"
    got = api.get(url, {"sort": "influence"}, **personas.auth("viewer"))
    assert got.status_code == 200, got.content
    ideas = got.json()["areas"][0]["ideas"]
    assert [i["id"] for i in ideas] == [dark.pk, export.pk]
    assert (ideas[1]["champions"], ideas[1]["influencers"], ideas[1]["newcomers"]) == (1, 1, 1)
    bad = api.get(url, {"segment": "vip"}, **personas.auth("viewer"))
    assert bad.status_code == 400 and "segment" in bad.json()["detail"]
    assert api.get(url, **personas.auth("outsider")).status_code == 404
    other = f"/api/v1/workspaces/{personas.other_workspace.slug}/ideas/board"
    assert api.get(other, **personas.auth("outsider")).json()["areas"] == []

    rows = json.loads(
        _cli("board", "--workspace", workspace.slug, "--segment", "at_risk", "--json")
    )
    assert [(r["id"], r["asked"]["at_risk"]) for r in rows] == [(dark.pk, 1)]
    with pytest.raises(CommandError, match="segment 'vip' is unknown"):
        _cli("board", "--workspace", workspace.slug, "--segment", "vip")
    assert _cli("board", "--workspace", personas.other_workspace.slug) == ""

    page = personas.client("viewer").get("/feedback/board/", {"segment": "champion"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "PDF export" in text and "Dark mode" not in text
    assert 'data-testid="idea-segments"' in text and "champions: 1" in text


def test_settings_through_the_api(workspace: Any, personas: Any) -> None:
    api = Client()
    url = f"/api/v1/workspaces/{workspace.slug}/ideas/settings"
    changed = api.patch(
        url,
        {
            "areas": ["Mobile", "Reports", "Mobile"],
            "prefer_dm": True,
            "digest_emails": ["pm@acme.test"],
            "template_fr": "« {title} » : {status}. {link}",
        },
        content_type="application/json",
        **personas.auth("manager"),
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["areas"] == ["Mobile", "Reports"] and body["prefer_dm"] is True
    assert body["digest_emails"] == ["pm@acme.test"]
    assert "{link}" in body["default_templates"]["en"]
    assert api.get(url, **personas.auth("manager")).json()["template_fr"].startswith("« {title}")
    wrong = api.patch(
        url,
        {"digest_emails": ["not an address"]},
        content_type="application/json",
        **personas.auth("manager"),
    )
    assert wrong.status_code == 400 and wrong.json()["detail"].startswith("digest_emails")
    no_link = api.patch(
        url,
        {"template_en": "Done: {title}"},
        content_type="application/json",
        **personas.auth("manager"),
    )
    assert no_link.status_code == 400 and "template_en" in no_link.json()["detail"]
    # MANAGE_CHANNELS, as the settings page: a moderator may not; another workspace sees nothing.
    assert api.get(url, **personas.auth("moderator")).status_code == 403
    assert api.get(url, **personas.auth("outsider")).status_code == 404
    assert (
        api.patch(
            url, {"prefer_dm": False}, content_type="application/json", **personas.auth("outsider")
        ).status_code
        == 404
    )
    assert actions.feedback_settings(workspace).prefer_dm is True


def test_targets_through_the_api_keep_secrets_write_only(workspace: Any, personas: Any) -> None:
    api = Client()
    url = f"/api/v1/workspaces/{workspace.slug}/ideas/targets"
    made = api.post(
        url,
        {
            "kind": "github",
            "name": "Roadmap",
            "base_url": "https://api.github.com",
            "project": "acme/roadmap",
            "token": "ghp_SECRET_TOKEN_1234",
            "secret": "hook-secret-5678",
        },
        content_type="application/json",
        **personas.auth("manager"),
    )
    assert made.status_code == 201, made.content
    assert made.json()["has_token"] and made.json()["has_secret"]
    assert "/feedback/hooks/" in made.json()["status_hook_url"]
    listed = api.get(url, **personas.auth("manager"))
    for response in (made, listed):
        assert b"ghp_SECRET" not in response.content and b"hook-secret" not in response.content
    target_id = made.json()["id"]
    assert ForwardTarget.objects.get(pk=target_id).token == "ghp_SECRET_TOKEN_1234"
    bad = api.post(
        url,
        {"kind": "github", "base_url": "https://api.github.com", "project": "roadmap"},
        content_type="application/json",
        **personas.auth("manager"),
    )
    assert bad.status_code == 400 and "project" in bad.json()["detail"]
    # Another workspace can neither list nor delete it; a moderator may not.
    other = f"/api/v1/workspaces/{personas.other_workspace.slug}/ideas/targets"
    assert api.get(other, **personas.auth("outsider")).json() == []
    assert api.delete(f"{other}/{target_id}", **personas.auth("outsider")).status_code == 404
    assert api.delete(f"{url}/{target_id}", **personas.auth("outsider")).status_code == 404
    assert api.delete(f"{url}/{target_id}", **personas.auth("moderator")).status_code == 403
    # The settings page's delete button, from another workspace: not found, nothing deleted.
    page_delete = {"do": "delete_target", "target": target_id}
    assert personas.client("outsider").post("/feedback/settings/", page_delete).status_code == 404
    assert ForwardTarget.objects.filter(pk=target_id).exists()
    assert api.delete(f"{url}/{target_id}", **personas.auth("manager")).status_code == 204
    assert not ForwardTarget.objects.filter(pk=target_id).exists()


def _cli(*args: str) -> str:
    out = StringIO()
    call_command("idea", *args, stdout=out)
    return out.getvalue()


def test_settings_and_targets_through_the_cli(
    workspace: Any, other_workspace: Any, personas: Any, monkeypatch: Any
) -> None:
    ws, manager = workspace.slug, personas.manager.email
    shown = _cli(
        "settings",
        "--workspace",
        ws,
        "--as",
        manager,
        "--json",
        "--areas",
        "Mobile, Reports",
        "--prefer-dm",
        "yes",
    )
    assert json.loads(shown)["areas"] == ["Mobile", "Reports"]
    assert json.loads(shown)["prefer_dm"] is True
    with pytest.raises(CommandError, match="--prefer-dm must be yes or no"):
        _cli("settings", "--workspace", ws, "--prefer-dm", "maybe")
    with pytest.raises(CommandError, match="^digest_emails"):
        _cli("settings", "--workspace", ws, "--digest-emails", "nobody")
    with pytest.raises(CommandError, match="may not do this"):
        _cli("settings", "--workspace", ws, "--as", personas.moderator.email)
    with pytest.raises(CommandError, match="not a member"):
        _cli("settings", "--workspace", ws, "--as", personas.outsider.email)

    with pytest.raises(CommandError, match="token is empty"):
        _cli(
            "target",
            "add",
            "--workspace",
            ws,
            "--kind",
            "jira",
            "--base-url",
            "https://acme.atlassian.net",
            "--project",
            "PROD",
            "--user",
            "pm@acme.test",
        )
    with pytest.raises(CommandError, match="--token-env: the environment variable"):
        _cli(
            "target",
            "add",
            "--workspace",
            ws,
            "--kind",
            "github",
            "--base-url",
            "https://api.github.com",
            "--project",
            "acme/app",
            "--token-env",
            "NO_SUCH_VAR_X",
        )
    monkeypatch.setenv("ACME_GH_TOKEN", "ghp_CLI_TOKEN_9999")
    added = json.loads(
        _cli(
            "target",
            "add",
            "--workspace",
            ws,
            "--as",
            manager,
            "--kind",
            "github",
            "--name",
            "App",
            "--base-url",
            "https://api.github.com",
            "--project",
            "acme/app",
            "--token-env",
            "ACME_GH_TOKEN",
        )
    )
    assert added["has_token"] and ForwardTarget.objects.get(pk=added["id"]).token.startswith("ghp")
    listed = _cli("target", "list", "--workspace", ws, "--json")
    assert "ghp_CLI" not in listed and json.loads(listed)[0]["name"] == "App"
    assert json.loads(_cli("target", "list", "--workspace", other_workspace.slug, "--json")) == []
    with pytest.raises(CommandError, match="no forwarding target"):
        _cli("target", "delete", "--workspace", other_workspace.slug, "--id", str(added["id"]))
    assert ForwardTarget.objects.filter(pk=added["id"]).exists()
    assert "deleted" in _cli("target", "delete", "--workspace", ws, "--id", str(added["id"]))
    assert not ForwardTarget.objects.filter(pk=added["id"]).exists()


def test_product_area_is_a_choice_of_the_configured_areas(workspace: Any, personas: Any) -> None:
    idea = actions.create_idea(workspace, title="Offline mode", area="Legacy", by=Actor.system())
    actions.save_settings(workspace, by=Actor.system(), areas="Mobile, Reports")
    client = personas.client("moderator")
    page = client.get(f"/feedback/{idea.pk}/").content.decode()
    assert 'data-testid="area-select"' in page
    for area in ("Mobile", "Reports", "Legacy"):  # the current one, no longer configured, stays
        assert f'<option value="{area}"' in page
    with pytest.raises(ActionError, match="^area: 'Nope' is not one of the product areas"):
        actions.update_idea(idea, by=Actor.system(), area="Nope")
    actions.update_idea(idea, by=Actor.system(), area="Legacy")  # kept: its current value
    refused = client.post(
        f"/feedback/{idea.pk}/edit/", {"title": "Offline mode", "area": "Nope"}, follow=True
    )
    assert "is not one of the product areas" in refused.content.decode()
    idea.refresh_from_db()
    assert idea.area == "Legacy"
    client.post(f"/feedback/{idea.pk}/edit/", {"title": "Offline mode", "area": "Mobile"})
    idea.refresh_from_db()
    assert idea.area == "Mobile"
    # Through the API too (the same action), with the field named.
    api = Client()
    patch = api.patch(
        f"/api/v1/workspaces/{workspace.slug}/ideas/{idea.pk}",
        {"area": "Nope"},
        content_type="application/json",
        **personas.auth("moderator"),
    )
    assert patch.status_code == 400 and patch.json()["detail"].startswith("area:")
