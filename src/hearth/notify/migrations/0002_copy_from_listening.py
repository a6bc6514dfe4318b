"""Copy listening's alert tables into notify and the outbox, keeping every id.

Destinations and alerts keep their primary keys (links and webhook payloads name them); each
delivery becomes an outbox item of its alert (transport = the destination's kind) with its
state, attempts and last error, so the alert log reads the same after the upgrade. The quiet
period moves from listening's settings to notify's.
"""

from django.db import connection, migrations

STATUS = {"queued": "queued", "sending": "queued", "sent": "sent", "failed": "failed"}


def copy(apps, schema_editor):
    Destination = apps.get_model("notify", "Destination")
    Alert = apps.get_model("notify", "Alert")
    AlertSettings = apps.get_model("notify", "AlertSettings")
    OutboxItem = apps.get_model("channels", "OutboxItem")
    OldDestination = apps.get_model("listening", "AlertDestination")
    OldAlert = apps.get_model("listening", "Alert")
    OldDelivery = apps.get_model("listening", "AlertDelivery")
    ListeningSettings = apps.get_model("listening", "ListeningSettings")

    Destination.objects.bulk_create(
        Destination(
            pk=d.pk,
            workspace_id=d.workspace_id,
            name=d.name,
            kind=d.kind,
            target=d.target,
            secret_encrypted=d.secret_encrypted,
            is_active=d.is_active,
            created_at=d.created_at,
        )
        for d in OldDestination.objects.all()
    )
    for a in OldAlert.objects.all().iterator():
        data = dict(a.data or {})
        link = ""
        if a.query_id:
            data.setdefault("query_id", a.query_id)
        if a.crisis_room_id:
            data.setdefault("crisis_room_id", a.crisis_room_id)
            link = f"/listening/crisis/{a.crisis_room_id}/"
        subject, kind = f"query:{a.query_id}" if a.query_id else "", a.kind
        if a.source == "moderation" and a.kind.startswith("rule:"):
            subject, kind, link = a.kind, "rule", "/moderation/"
        Alert.objects.create(
            pk=a.pk,
            workspace_id=a.workspace_id,
            source=a.source,
            subject=subject,
            kind=kind,
            title=a.title,
            data=data,
            link=link,
            fired_at=a.fired_at,
            suppressed=a.suppressed,
            created_at=a.created_at,
        )
    for d in OldDelivery.objects.select_related("alert__workspace", "destination").iterator():
        OutboxItem.objects.create(
            workspace_id=d.alert.workspace_id,
            channel=None,
            transport=d.destination.kind,
            action="alert",
            payload=_payload(d.alert, d.destination),
            ref_type="alert",
            ref_id=d.alert_id,
            idempotency_key=f"alert:{d.alert_id}:{d.destination_id}",
            status=STATUS.get(d.status, "failed"),
            retry_safe=True,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_error=d.last_error,
            sent_at=d.sent_at,
            created_at=d.alert.created_at,
            updated_at=d.sent_at or d.next_attempt_at,
        )
    AlertSettings.objects.bulk_create(
        AlertSettings(workspace_id=s.workspace_id, quiet_period_minutes=s.quiet_period_minutes)
        for s in ListeningSettings.objects.all()
    )
    if connection.vendor == "postgresql":  # explicit ids: move the sequences past them
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Destination, Alert]):
                cursor.execute(sql)


def _payload(alert, destination):
    """What the transport sends, as notify builds it for new alerts (so a retry still works)."""
    text = f"{alert.title} ({alert.workspace.name}): {alert.data.get('text', '')}".rstrip(": ")
    base = {"destination_id": destination.pk, "destination": destination.name}
    if destination.kind == "email":
        to = [a.strip() for a in destination.target.split(",") if a.strip()]
        return {**base, "to": to, "subject": f"[Hearth] {alert.title}", "body": text}
    if destination.kind == "webhook":
        body = {
            "event": f"{alert.source}.alert",
            "id": alert.pk,
            "workspace": alert.workspace.slug,
            "source": alert.source,
            "kind": alert.kind,
            "title": alert.title,
            "fired_at": alert.fired_at.isoformat(),
            "data": alert.data,
        }
        return {**base, "url": destination.target, "event": body["event"], "body": body,
                "secret_encrypted": destination.secret_encrypted}
    return {**base, "url": destination.target, "text": f":rotating_light: {text}"}


def no_style():
    from django.core.management.color import no_style as style

    return style()


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0001_initial"),
        ("listening", "0004_minutecount_fk_indexes_folded"),
        ("channels", "0005_channel_sync_schedule"),
    ]

    operations = [migrations.RunPython(copy, migrations.RunPython.noop)]
