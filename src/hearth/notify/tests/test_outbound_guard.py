"""Addresses users configure are never called on loopback, private or link-local networks
unless the operator allows them; redirects are not followed; errors name no internal detail."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hearth.channels.models import OutboxItem
from hearth.conversations.actions.settings import update_inbox_settings
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.outbound import OutboundRefused, check_url
from hearth.notify.actions import add_destination, raise_alert


@pytest.fixture
def production(settings):
    settings.HEARTH_OUTBOUND_ALLOW = []  # the default: only public addresses


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost:5432/",
        "http://[::1]:8000/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0:22/",
        "http://[::ffff:127.0.0.1]/",
        "http://224.0.0.1/",
        "ftp://example.org/",
    ],
)
def test_local_and_private_addresses_are_refused(production, url):
    with pytest.raises(OutboundRefused) as refused:
        check_url(url)
    assert "6379" not in str(refused.value) and "127.0.0.1" not in str(refused.value)


def test_an_allowed_network_is_called(settings):
    settings.HEARTH_OUTBOUND_ALLOW = ["10.0.0.0/8"]
    check_url("http://10.1.2.3:9000/hook")


def test_saving_a_loopback_destination_or_handoff_is_refused(production, workspace, actor):
    with pytest.raises(ActionError, match="local or private network"):
        add_destination(
            workspace, name="x", kind="webhook", target="http://127.0.0.1:6379/", by=actor
        )
    with pytest.raises(ActionError, match="local or private network"):
        update_inbox_settings(
            workspace, handoff_webhook="http://169.254.169.254/", by=Actor.system()
        )


def test_a_delivery_to_an_address_that_resolves_locally_fails_without_calling_it(
    production, workspace, actor, receiver, django_capture_on_commit_callbacks
):
    # A host name passes the check on save; at send time it resolves to loopback.
    target = receiver.url.replace("127.0.0.1", "localhost")
    add_destination(workspace, name="Ops", kind="webhook", target=target, by=actor)
    with django_capture_on_commit_callbacks(execute=True):
        raise_alert(
            workspace.pk,
            source="listening",
            kind="volume",
            subject="q",
            title="t",
            fired_at=timezone.now(),
        )
    item = OutboxItem.objects.get(ref_type="alert")
    assert item.status == "failed"
    assert "local or private network" in item.last_error
    assert receiver.requests == []


def test_redirects_are_not_followed(workspace, actor, receiver, django_capture_on_commit_callbacks):
    receiver.status = 302
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    add_destination(workspace, name="Ops", kind="webhook", target=receiver.url, by=actor)
    with django_capture_on_commit_callbacks(execute=True):
        raise_alert(
            workspace.pk,
            source="listening",
            kind="volume",
            subject="q",
            title="t",
            fired_at=timezone.now(),
        )
    item = OutboxItem.objects.get(ref_type="alert")
    assert item.status == "failed" and "HTTP 302" in item.last_error
    assert len(receiver.requests) == 1
