"""Label decisions and per-workspace thresholds: actions, API permissions, audit, tenancy."""

from __future__ import annotations

import json

import pytest
from conftest import item
from django.core.management import CommandError, call_command

from hearth.analysis.actions import record_decision, set_thresholds
from hearth.analysis.models import LabelDecision, WorkspaceAnalysisSettings
from hearth.analysis.workspace import analyze_for_workspace, clear_cache
from hearth.conversations.models import Message
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent
from hearth.pipeline.ingest import ingest_batch


@pytest.fixture(autouse=True)
def _fresh_engines():
    clear_cache()


@pytest.fixture
def messages(other_workspace, channel, make_channel):
    ingest_batch(channel, [item("m1", "you are all idiots")])
    foreign = make_channel(other_workspace, name="Globex forum")
    ingest_batch(foreign, [item("g1", "GLOBEX secret message")])
    return {
        "message": Message.objects.get(channel=channel),
        "foreign_message": Message.objects.get(channel=foreign),
    }


def api(client, token, method, path, body=None):
    kwargs = (
        {"content_type": "application/json", "data": json.dumps(body)} if body is not None else {}
    )
    return getattr(client, method)(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs)


# -- actions ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"task": "toxicity", "predicted": "abuse", "decided": "abuse"},
            "task 'toxicity' does not exist",
        ),
        (
            {"task": "abuse", "predicted": "abuse", "decided": "toxic"},
            "decided 'toxic' is not a abuse label",
        ),
        (
            {"task": "spam", "predicted": "ham", "decided": "spam"},
            "predicted 'ham' is not a spam label",
        ),
        ({"task": "sentiment", "predicted": None, "decided": "positive"}, "predicted is missing"),
    ],
)
def test_decision_labels_are_validated(workspace, kwargs, words):
    with pytest.raises(ActionError, match=words):
        record_decision("some text", workspace=workspace, by=Actor.cli(), **kwargs)
    assert not LabelDecision.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"abuse": 0.0}, "abuse_threshold"),
        ({"abuse": 1.0}, "abuse_threshold"),
        ({"spam": -0.2}, "spam_threshold"),
        ({"spam": 1.5}, "spam_threshold"),
    ],
)
def test_thresholds_must_be_strictly_between_0_and_1(workspace, kwargs, field):
    with pytest.raises(ActionError, match=f"{field} must be strictly between 0 and 1"):
        set_thresholds(workspace, by=Actor.cli(), **kwargs)
    assert not WorkspaceAnalysisSettings.objects.exists()


def test_thresholds_are_per_workspace_and_audited(workspace, other_workspace):
    set_thresholds(workspace, abuse=0.7, by=Actor.cli())
    row = set_thresholds(workspace, spam=0.3, by=Actor.cli())
    row.refresh_from_db()
    assert (row.abuse_threshold, row.spam_threshold) == (0.7, 0.3)
    _, abuse_t, spam_t = analyze_for_workspace(workspace.pk, ["hello"])
    assert (abuse_t, spam_t) == (0.7, 0.3)
    assert analyze_for_workspace(other_workspace.pk, ["hello"])[1:] == (0.5, 0.5)
    last = AuditEvent.objects.filter(action="analysis.thresholds").first()
    assert last.workspace == workspace
    assert last.data == {
        "before": {"abuse_threshold": 0.7, "spam_threshold": 0.5},
        "after": {"abuse_threshold": 0.7, "spam_threshold": 0.3},
    }


def test_ingestion_flags_with_the_workspace_threshold(workspace, channel):
    set_thresholds(workspace, abuse=0.99, by=Actor.cli())
    ingest_batch(channel, [item("x1", "you are all idiots")])
    message = Message.objects.get(channel=channel)
    assert 0.5 <= message.abuse_score < 0.99 and not message.is_abuse


def test_thresholds_command_shows_and_sets(workspace, capsys):
    call_command("analysis", "thresholds", "--workspace", "acme")
    assert "abuse 0.5, spam 0.5" in capsys.readouterr().out
    call_command("analysis", "thresholds", "--workspace", "acme", "--abuse", "0.8")
    assert "abuse 0.8, spam 0.5" in capsys.readouterr().out
    with pytest.raises(CommandError, match="spam_threshold must be strictly between 0 and 1"):
        call_command("analysis", "thresholds", "--workspace", "acme", "--spam", "2")
    assert AuditEvent.objects.get(action="analysis.thresholds").via == "cli"


# -- API -------------------------------------------------------------------------------------------
def test_moderator_posts_a_decision(client, personas, messages):
    response = api(
        client,
        personas.token("moderator"),
        "post",
        "/workspaces/acme/analysis/decisions",
        {"message_id": messages["message"].pk, "task": "abuse", "decided": "abuse"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["predicted"] == "abuse" and body["decided"] == "abuse" and body["overturned"] is False
    )
    assert body["message_id"] == messages["message"].pk
    assert LabelDecision.objects.get(pk=body["id"]).message_id == messages["message"].pk
    assert AuditEvent.objects.get(action="analysis.decision").via == "api"


def test_viewer_cannot_post_decisions(client, personas, messages):
    response = api(
        client,
        personas.token("viewer"),
        "post",
        "/workspaces/acme/analysis/decisions",
        {"text": "hello", "task": "spam", "predicted": "spam", "decided": "not_spam"},
    )
    assert response.status_code == 403
    assert not LabelDecision.objects.exists()


def test_decision_api_hides_foreign_workspaces_and_messages(client, personas, messages):
    token = personas.token("moderator")
    body = {"message_id": messages["foreign_message"].pk, "task": "spam", "decided": "spam"}
    assert (
        api(client, token, "post", "/workspaces/acme/analysis/decisions", body).status_code == 404
    )
    assert (
        api(client, token, "post", "/workspaces/globex/analysis/decisions", body).status_code == 404
    )
    assert api(client, token, "get", "/workspaces/globex/analysis/settings").status_code == 404
    assert not LabelDecision.objects.exists()


def test_bad_labels_are_a_400_naming_the_field(client, personas, messages):
    response = api(
        client,
        personas.token("moderator"),
        "post",
        "/workspaces/acme/analysis/decisions",
        {"text": "hello", "task": "abuse", "predicted": "abuse", "decided": "maybe"},
    )
    assert response.status_code == 400 and "decided 'maybe'" in response.json()["detail"]


def test_moderator_cannot_change_thresholds_but_the_owner_can(client, personas, messages):
    path = "/workspaces/acme/analysis/settings"
    assert api(client, personas.token("viewer"), "get", path).json() == {
        "abuse_threshold": 0.5,
        "spam_threshold": 0.5,
    }
    assert (
        api(client, personas.token("moderator"), "put", path, {"abuse_threshold": 0.9}).status_code
        == 403
    )
    assert not WorkspaceAnalysisSettings.objects.exists()
    response = api(client, personas.token("owner"), "put", path, {"abuse_threshold": 0.9})
    assert response.status_code == 200 and response.json() == {
        "abuse_threshold": 0.9,
        "spam_threshold": 0.5,
    }
    bad = api(client, personas.token("owner"), "put", path, {"spam_threshold": 1})
    assert bad.status_code == 400 and "spam_threshold" in bad.json()["detail"]
    assert AuditEvent.objects.filter(action="analysis.thresholds").count() == 1


def test_models_list_is_empty_before_any_retrain(client, personas, messages):
    response = api(client, personas.token("viewer"), "get", "/workspaces/acme/analysis/models")
    assert response.status_code == 200 and response.json() == []
