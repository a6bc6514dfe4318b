"""The API and the CLI drive the same actions, and stay inside their workspace."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from hearth.animation.actions import contests
from hearth.animation.models import Contest, ContestState, Registration


def _api(personas, name):
    return Client(**personas.auth(name))


def test_a_contest_through_the_api_from_creation_to_the_record(personas):
    client = _api(personas, "manager")
    slug = personas.workspace.slug
    created = client.post(
        f"/api/v1/workspaces/{slug}/contests",
        {"title": "API draw", "rules": "Rules.", "winners_count": 1},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    contest = Contest.objects.get(pk=created.json()["id"])
    for n in range(3):
        contests.enter_by_form(contest, name="A", email=f"a{n}@example.org", accept_rules=True)
    assert client.post(f"/api/v1/workspaces/{slug}/contests/{contest.pk}/freeze").status_code == 200
    drawn = client.post(f"/api/v1/workspaces/{slug}/contests/{contest.pk}/draw").json()
    assert drawn["state"] == "drawn" and len(drawn["winners"]) == 1
    record = client.get(f"/api/v1/workspaces/{slug}/contests/{contest.pk}/record").json()
    assert record["seed"] == Contest.objects.get(pk=contest.pk).seed
    bad = client.post(
        f"/api/v1/workspaces/{slug}/contests",
        {"title": "x", "rules": "y", "countries": ["France"]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "countries" in bad.json()["detail"]


def test_the_api_keeps_workspaces_apart(personas, make_contest, make_event):
    contest = make_contest()
    event = make_event()
    outsider = _api(personas, "outsider")
    slug = personas.workspace.slug
    other = personas.other_workspace.slug
    assert outsider.get(f"/api/v1/workspaces/{slug}/contests").status_code == 404
    assert outsider.get(f"/api/v1/workspaces/{other}/contests/{contest.pk}").status_code == 404
    assert (
        outsider.post(f"/api/v1/workspaces/{other}/contests/{contest.pk}/freeze").status_code == 404
    )
    assert (
        outsider.get(f"/api/v1/workspaces/{other}/events/{event.pk}/registrations").status_code
        == 404
    )
    assert outsider.get(f"/api/v1/workspaces/{other}/contests").json()["items"] == []
    viewer = _api(personas, "viewer")
    assert viewer.post(f"/api/v1/workspaces/{slug}/contests/{contest.pk}/freeze").status_code == 403
    assert Contest.objects.get(pk=contest.pk).state == ContestState.OPEN


def test_events_through_the_api_with_the_waiting_list(personas):
    client = _api(personas, "manager")
    slug = personas.workspace.slug
    event = client.post(
        f"/api/v1/workspaces/{slug}/events",
        {
            "title": "Meetup",
            "starts_at": (timezone.now() + timedelta(days=2)).isoformat(),
            "capacity": 1,
        },
        content_type="application/json",
    ).json()
    url = f"/api/v1/workspaces/{slug}/events/{event['id']}/registrations"
    first = client.post(
        url, {"name": "A", "email": "a@example.org"}, content_type="application/json"
    ).json()
    second = client.post(
        url, {"name": "B", "email": "b@example.org"}, content_type="application/json"
    ).json()
    assert (first["status"], second["status"]) == ("confirmed", "waitlisted")
    cancelled = client.post(f"/api/v1/workspaces/{slug}/registrations/{first['id']}/cancel").json()
    assert cancelled["promoted"]["id"] == second["id"]
    outsider = _api(personas, "outsider")
    other = personas.other_workspace.slug
    assert (
        outsider.post(f"/api/v1/workspaces/{other}/registrations/{second['id']}/cancel").status_code
        == 404
    )
    assert Registration.objects.get(pk=second["id"]).status == "confirmed"


def _cmd(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_cli_runs_a_contest_and_verifies_it(personas, tmp_path):
    slug = personas.workspace.slug
    created = json.loads(
        _cmd("contest", "create", "--workspace", slug, "--title", "CLI", "--rules", "R.", "--json")
    )
    contest = Contest.objects.get(pk=created["id"])
    for n in range(4):
        contests.enter_by_form(contest, name="A", email=f"a{n}@example.org", accept_rules=True)
    _cmd("contest", "freeze", "--workspace", slug, "--contest", str(contest.pk))
    drawn = json.loads(
        _cmd("contest", "draw", "--workspace", slug, "--contest", str(contest.pk), "--json")
    )
    path = tmp_path / "draw.json"
    path.write_text(json.dumps(drawn))
    assert "The draw checks out." in _cmd("contest", "verify", str(path))
    drawn["entrants"][0] = "tampered00"
    path.write_text(json.dumps(drawn))
    with pytest.raises(CommandError, match="does NOT check out"):
        _cmd("contest", "verify", str(path))


def test_the_cli_refuses_another_workspace_and_a_role_without_the_right(personas, make_contest):
    contest = make_contest()
    with pytest.raises(CommandError, match="no contest"):
        _cmd(
            "contest",
            "freeze",
            "--workspace",
            personas.other_workspace.slug,
            "--contest",
            str(contest.pk),
        )
    with pytest.raises(CommandError, match="may not"):
        _cmd(
            "contest",
            "freeze",
            "--workspace",
            personas.workspace.slug,
            "--contest",
            str(contest.pk),
            "--as",
            "victor@acme.test",
        )


def test_the_cli_registers_cancels_and_exports(personas, make_event):
    event = make_event(capacity=1)
    slug = personas.workspace.slug
    assert "confirmed" in _cmd(
        "event",
        "register",
        "--workspace",
        slug,
        "--event",
        str(event.pk),
        "--name",
        "A",
        "--email",
        "a@example.org",
    )
    assert "waitlisted" in _cmd(
        "event",
        "register",
        "--workspace",
        slug,
        "--event",
        str(event.pk),
        "--name",
        "B",
        "--email",
        "b@example.org",
    )
    first = Registration.objects.get(email="a@example.org")
    assert "B promoted" in _cmd(
        "event",
        "cancel",
        "--workspace",
        slug,
        "--event",
        str(event.pk),
        "--registration",
        str(first.pk),
    )
    assert "b@example.org,confirmed" in _cmd(
        "event", "export", "--workspace", slug, "--event", str(event.pk)
    )
    with pytest.raises(CommandError, match="no event"):
        _cmd(
            "event", "show", "--workspace", personas.other_workspace.slug, "--event", str(event.pk)
        )


def test_polls_through_the_api_and_the_cli(personas):
    client = _api(personas, "manager")
    slug = personas.workspace.slug
    created = client.post(
        f"/api/v1/workspaces/{slug}/polls",
        {"question": "Best day?", "options": ["Mon", "Fri"]},
        content_type="application/json",
    )
    assert created.status_code == 201
    poll_id = created.json()["id"]
    results = client.get(f"/api/v1/workspaces/{slug}/polls/{poll_id}/results").json()
    assert results["total"] == 0 and [r["option"] for r in results["rows"]] == ["Mon", "Fri"]
    outsider = _api(personas, "outsider")
    other = personas.other_workspace.slug
    assert outsider.get(f"/api/v1/workspaces/{other}/polls/{poll_id}/results").status_code == 404
    out = _cmd("poll", "results", "--workspace", slug, "--poll", str(poll_id))
    assert "Mon" in out and "in all" in out
    with pytest.raises(CommandError, match="no poll"):
        _cmd("poll", "results", "--workspace", other, "--poll", str(poll_id))
