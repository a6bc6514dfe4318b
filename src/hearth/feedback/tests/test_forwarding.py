"""Forwarding to GitHub and Jira through the outbox, against the local fake tracker, and the
status coming back (signed webhooks, polling) closing the loop."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hearth.channels import outbox
from hearth.channels.models import OutboxItem, OutboxStatus
from hearth.core.actors import Actor
from hearth.feedback import actions, tasks
from hearth.feedback.models import IdeaLink, IdeaStatus

pytestmark = pytest.mark.django_db


def _target(workspace: Any, tracker: Any, kind: str) -> Any:
    return actions.add_target(
        workspace,
        by=Actor.system(),
        kind=kind,
        name=kind,
        base_url=tracker.url,
        project="acme/app" if kind == "github" else "APP",
        user="pm@acme.test",
        token="tok-123",
        secret="hook-secret",
    )


def _forward(idea: Any, target: Any, capture: Any) -> IdeaLink:
    with capture(execute=True):
        link = actions.forward_idea(idea, target, by=Actor.system())
    link.refresh_from_db()
    return link


def test_github_issue_is_created_with_the_documented_request(
    workspace: Any, tracker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    idea = actions.create_idea(
        workspace, title="Dark mode", description="Asked a lot.", by=Actor.system()
    )
    link = _forward(idea, _target(workspace, tracker, "github"), django_capture_on_commit_callbacks)
    sent = tracker.requests[-1]
    assert (sent["method"], sent["path"]) == ("POST", "/repos/acme/app/issues")
    assert sent["headers"]["Authorization"] == "Bearer tok-123"
    assert sent["headers"]["X-GitHub-Api-Version"] == "2022-11-28"
    assert sent["json"]["title"] == "Dark mode" and sent["json"]["labels"] == ["idea"]
    assert link.external_id == "1" and link.url.endswith("/repos/acme/app/issues/1")
    # Forwarding again is the same delivery: no second issue.
    _forward(idea, link.target, django_capture_on_commit_callbacks)
    assert sum(r["method"] == "POST" for r in tracker.requests) == 1


def test_jira_ticket_and_faults(
    workspace: Any, tracker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    target = _target(workspace, tracker, "jira")
    idea = actions.create_idea(workspace, title="Offline mode", by=Actor.system())
    tracker.fail(429, {"Retry-After": "7"})
    link = _forward(idea, target, django_capture_on_commit_callbacks)
    item = OutboxItem.objects.get(pk=link.outbox_item_id)
    assert item.status == OutboxStatus.QUEUED and "slow down" in item.last_error
    assert item.next_attempt_at >= timezone.now() + timedelta(seconds=5)
    tracker.fail(503)
    outbox.send(item.pk, now=timezone.now() + timedelta(seconds=8))
    item.refresh_from_db()
    assert item.status == OutboxStatus.QUEUED and "503" in item.last_error
    outbox.send(item.pk, now=timezone.now() + timedelta(minutes=5))
    item.refresh_from_db()
    link.refresh_from_db()
    assert item.status == OutboxStatus.SENT and link.external_id == "APP-1"
    body = tracker.requests[-1]
    assert body["path"] == "/rest/api/3/issue"
    assert body["json"]["fields"]["project"] == {"key": "APP"}
    assert body["json"]["fields"]["description"]["type"] == "doc"
    assert body["headers"]["Authorization"].startswith("Basic ")


def test_refused_token_fails_and_a_hang_is_never_sent_twice(
    workspace: Any, tracker: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from hearth.feedback import forwarding

    target = _target(workspace, tracker, "github")
    tracker.fail(401)
    link = _forward(
        actions.create_idea(workspace, title="A", by=Actor.system()),
        target,
        django_capture_on_commit_callbacks,
    )
    item = OutboxItem.objects.get(pk=link.outbox_item_id)
    assert item.status == OutboxStatus.FAILED and "refused the token" in item.last_error
    tracker.fail(403)
    link = _forward(
        actions.create_idea(workspace, title="B", by=Actor.system()),
        target,
        django_capture_on_commit_callbacks,
    )
    assert OutboxItem.objects.get(pk=link.outbox_item_id).status == OutboxStatus.FAILED
    monkeypatch.setattr(forwarding, "TIMEOUT_S", 0.3)
    tracker.hang(1.0)
    link = _forward(
        actions.create_idea(workspace, title="C", by=Actor.system()),
        target,
        django_capture_on_commit_callbacks,
    )
    # Creating an issue is not idempotent: the outcome is unknown, a person checks.
    assert OutboxItem.objects.get(pk=link.outbox_item_id).status == OutboxStatus.UNCONFIRMED


def _sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_github_webhook_ships_the_idea_and_tells_people(
    workspace: Any,
    tracker: Any,
    fake_channel: Any,
    say: Any,
    fake_connector: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    message = say(fake_channel, "Please add a dark mode", author="ana")
    idea = actions.idea_from_message(message, by=Actor.system(), title="Dark mode")
    target = _target(workspace, tracker, "github")
    link = _forward(idea, target, django_capture_on_commit_callbacks)
    body = json.dumps(
        {
            "action": "closed",
            "issue": {
                "number": int(link.external_id),
                "state": "closed",
                "state_reason": "completed",
            },
        }
    ).encode()
    client = Client()
    url = f"/feedback/hooks/{target.hook_key}"
    bad = client.post(
        url, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=_sign("wrong", body)
    )
    assert bad.status_code == 401
    idea.refresh_from_db()
    assert idea.status == IdeaStatus.NEW
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(
            url,
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=_sign("hook-secret", body),
        )
    assert ok.status_code == 200
    idea.refresh_from_db()
    assert idea.status == IdeaStatus.SHIPPED
    assert [c[0] for c in fake_connector.calls].count("reply") == 1
    # The same delivery again changes nothing and tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url,
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=_sign("hook-secret", body),
        )
    assert [c[0] for c in fake_connector.calls].count("reply") == 1


def test_polling_reads_jira_status(
    workspace: Any, tracker: Any, django_capture_on_commit_callbacks: Any
) -> None:
    idea = actions.create_idea(workspace, title="Offline mode", by=Actor.system())
    link = _forward(idea, _target(workspace, tracker, "jira"), django_capture_on_commit_callbacks)
    tracker.move_jira(link.external_id, "indeterminate", "In Progress")
    assert tasks.poll_forwarded() == 1
    idea.refresh_from_db()
    assert idea.status == IdeaStatus.IN_PROGRESS
    tracker.move_jira(link.external_id, "done", "Done")
    tasks.poll_forwarded()
    idea.refresh_from_db()
    link.refresh_from_db()
    assert idea.status == IdeaStatus.SHIPPED and link.external_status == "done"


def test_signed_webhook_target_goes_through_notify(
    workspace: Any, receiver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    target = actions.add_target(
        workspace,
        by=Actor.system(),
        kind="webhook",
        name="PM hook",
        base_url=receiver.url,
        secret="s3cret",
    )
    idea = actions.create_idea(workspace, title="Dark mode", by=Actor.system())
    link = _forward(idea, target, django_capture_on_commit_callbacks)
    _path, headers, body = receiver.requests[-1]
    assert json.loads(body)["idea"]["title"] == "Dark mode"
    assert headers["X-Hearth-Event"] == "idea.forwarded"
    assert "v1=" in headers["X-Hearth-Signature"]
    assert OutboxItem.objects.get(pk=link.outbox_item_id).status == OutboxStatus.SENT


def test_targets_of_another_workspace_are_refused(
    workspace: Any, other_workspace: Any, tracker: Any, personas: Any
) -> None:
    theirs = _target(other_workspace, tracker, "github")
    idea = actions.create_idea(workspace, title="Dark mode", by=Actor.system())
    client = personas.client("owner")
    answer = client.post(f"/feedback/{idea.pk}/forward/", {"target": theirs.pk})
    assert answer.status_code == 404
    assert not IdeaLink.objects.exists()
