"""The rule action "alert": sent after the batch commits, through notify's destinations, de-duplicated."""

from __future__ import annotations

import json
from datetime import timedelta

from conftest import item
from django.core import mail
from django.utils import timezone

from hearth.channels.models import OutboxItem
from hearth.core.actors import Actor
from hearth.core.models import AuditEvent
from hearth.core.signing import verify
from hearth.listening.actions import update_settings
from hearth.moderation.actions.alerts import raise_rule_alert
from hearth.moderation.actions.rules import save_rule
from hearth.moderation.models import QueueEntry
from hearth.notify.actions import add_destination
from hearth.notify.models import Alert
from hearth.pipeline.ingest import ingest_batch

SPAM = "Buy cheap followers now http://spam.example"


def spam_rule(workspace, **fields):
    return save_rule(
        workspace,
        {
            "name": "Spam links",
            "min_spam": 0.8,
            "has_link": True,
            "actions": ["queue", "alert"],
            **fields,
        },
        by=Actor.system(),
    )


def test_an_alert_rule_alerts_the_team_once_per_quiet_period(
    workspace, demo_channel, receiver, django_capture_on_commit_callbacks
):
    owner = Actor.system()
    add_destination(workspace, name="Mods", kind="email", target="mods@acme.test", by=owner)
    _, secret = add_destination(
        workspace, name="Hook", kind="webhook", target=receiver.url + "/hook", by=owner
    )
    add_destination(workspace, name="Chat", kind="slack", target=receiver.url + "/slack", by=owner)
    rule = spam_rule(workspace)

    # Nothing leaves before the batch's transaction commits.
    with django_capture_on_commit_callbacks(execute=False) as pending:
        ingest_batch(
            demo_channel, [item("s1", SPAM, author="a"), item("s2", SPAM + " !", author="b")]
        )
    assert not Alert.objects.exists() and not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):  # the job, then the sends it queues
        for callback in pending:
            callback()

    alert = Alert.objects.get()  # one alert for the batch, not one per message
    assert (alert.source, alert.subject, alert.kind, alert.suppressed) == (
        "moderation",
        f"rule:{rule.pk}",
        "rule",
        False,
    )
    assert alert.data["count"] == 2 and alert.data["rule_id"] == rule.pk
    assert QueueEntry.objects.get(message__external_id="s1").urgent
    assert set(OutboxItem.objects.filter(ref_type="alert").values_list("status", flat=True)) == {
        "sent"
    }
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["mods@acme.test"]
    assert "Spam links" in mail.outbox[0].subject and "2 messages caught" in mail.outbox[0].body
    hook = next(r for r in receiver.requests if r[0] == "/hook")
    assert hook[1]["X-Hearth-Event"] == "moderation.alert"
    assert verify(secret, hook[1]["X-Hearth-Signature"], hook[2], tolerance_s=300) == ""
    body = json.loads(hook[2])
    assert (
        body["event"] == "moderation.alert"
        and body["subject"] == f"rule:{rule.pk}"
        and body["data"]["rule"] == "Spam links"
        and body["link"].endswith("/moderation/")
    )
    slack = next(r for r in receiver.requests if r[0] == "/slack")
    assert "Spam links" in json.loads(slack[2])["text"]
    assert AuditEvent.objects.filter(action="moderation.alert").count() == 1

    # A second batch inside the quiet period: queued and urgent, but no new alert is sent.
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(demo_channel, [item("s3", SPAM + " again", author="c")])
    assert Alert.objects.count() == 1 and len(mail.outbox) == 1 and len(receiver.requests) == 2
    alert.refresh_from_db()
    assert alert.data["repeats"] == 1
    assert QueueEntry.objects.get(message__external_id="s3").urgent

    # Once the quiet period is over the rule alerts again.
    later = raise_rule_alert(
        rule.pk,
        [QueueEntry.objects.get(message__external_id="s3").message_id],
        now=timezone.now() + timedelta(minutes=61),
    )
    assert later.pk != alert.pk and Alert.objects.count() == 2


def test_quiet_period_zero_alerts_every_batch_and_no_destination_only_logs(
    workspace, demo_channel, django_capture_on_commit_callbacks
):
    update_settings(workspace, sensitivity="normal", quiet_period_minutes=0, by=Actor.system())
    spam_rule(workspace)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(demo_channel, [item("s1", SPAM, author="a")])
        ingest_batch(demo_channel, [item("s2", SPAM + " !", author="b")])
    assert Alert.objects.filter(source="moderation").count() == 2
    assert not OutboxItem.objects.filter(ref_type="alert").exists() and not mail.outbox


def test_several_alerting_rules_of_a_batch_share_one_job_and_a_failing_one_spares_the_others(
    workspace, demo_channel, monkeypatch, django_capture_on_commit_callbacks
):
    links = spam_rule(workspace)
    insults = save_rule(
        workspace,
        {"name": "Shouting", "patterns": "ALERT ME", "actions": ["queue", "alert"]},
        by=Actor.system(),
    )
    queued = []
    monkeypatch.setattr(
        "hearth.moderation.tasks.alert_rules.apply_async",
        lambda args, **options: queued.append(args[0]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(
            demo_channel, [item("s1", SPAM, author="a"), item("s2", "ALERT ME now", author="b")]
        )
    assert len(queued) == 1 and sorted(rule for rule, _ in queued[0]) == sorted(
        [links.pk, insults.pk]
    )

    from hearth.moderation import tasks

    real = tasks.alert_rule.run

    def first_fails(rule_id, message_ids):
        if rule_id == links.pk:
            raise RuntimeError("destination misconfigured")
        return real(rule_id, message_ids)

    monkeypatch.setattr(tasks.alert_rule, "run", first_fails)
    tasks.alert_rules(sorted(queued[0]))  # the job, run as the worker would
    assert list(Alert.objects.values_list("subject", flat=True)) == [f"rule:{insults.pk}"]


def test_a_broken_alert_never_breaks_ingestion(
    workspace, demo_channel, monkeypatch, django_capture_on_commit_callbacks
):
    spam_rule(workspace)

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("hearth.moderation.tasks.alert_rules.apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        result = ingest_batch(demo_channel, [item("s1", SPAM, author="a")])
    assert result is not None and QueueEntry.objects.get(message__external_id="s1").urgent
    assert not Alert.objects.exists()


def test_rules_without_alert_and_other_workspaces_stay_quiet(
    workspace, other_workspace, demo_channel, make_channel, django_capture_on_commit_callbacks
):
    add_destination(
        other_workspace, name="Theirs", kind="email", target="them@globex.test", by=Actor.system()
    )
    save_rule(
        workspace,
        {"name": "Queue only", "min_spam": 0.8, "has_link": True, "actions": ["queue"]},
        by=Actor.system(),
    )
    other_channel = make_channel(other_workspace, name="Other", kind="demo")
    spam_rule(other_workspace)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(demo_channel, [item("s1", SPAM, author="a")])
    assert not Alert.objects.exists() and not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(other_channel, [item("o1", SPAM, author="a")])
    alert = Alert.objects.get()
    assert alert.workspace == other_workspace and mail.outbox[0].to == ["them@globex.test"]
    # A message id of another workspace is never reported by this workspace's rule.
    mine = QueueEntry.objects.get(message__external_id="s1").message_id
    assert raise_rule_alert(alert.data["rule_id"], [mine]) is None


def test_the_alert_log_page_and_api_show_moderation_alerts(
    client, workspace, other_workspace, demo_channel, personas, django_capture_on_commit_callbacks
):
    spam_rule(workspace)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_batch(demo_channel, [item("s1", SPAM, author="a")])
    page = personas.client("owner").get("/listening/alerts/").content.decode()
    assert "Moderation rule “Spam links”" in page
    rows = client.get("/api/v1/workspaces/acme/listening/alerts", **personas.auth("viewer")).json()[
        "items"
    ]
    assert [(r["source"], r["query_id"], r["kind"]) for r in rows] == [
        ("moderation", None, rows[0]["kind"])
    ]
    assert rows[0]["data"]["rule"] == "Spam links"
