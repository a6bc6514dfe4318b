"""Every connection to a user-configured address goes to the address that was vetted: a DNS
answer that changes after the check (DNS rebinding) cannot reach loopback.

Two real servers share one port: 127.0.0.2 stands for the public internet (the operator allows
it), 127.0.0.1 for Hearth's own network (refused). A resolver answers 127.0.0.2 first and
127.0.0.1 afterwards, as a rebinding name server would.
"""

from __future__ import annotations

import socket
import threading
from itertools import chain, repeat

import httpx
import pytest
from conftest import Receiver
from django.utils import timezone

from hearth.channels.connectors import get_connector
from hearth.channels.connectors.base import FatalConnectorError
from hearth.channels.models import OutboxItem
from hearth.core import outbound
from hearth.core.outbound import BLOCKED, OutboundRefused
from hearth.notify.actions import add_destination, raise_alert

NAME = "hooks.example.test"
_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def servers(settings):
    settings.HEARTH_OUTBOUND_ALLOW = ["127.0.0.2/32"]  # "public"; 127.0.0.1 is not allowed
    public = Receiver("127.0.0.2")
    try:
        internal = Receiver("127.0.0.1", public.port)
    except OSError:
        public.server.server_close()
        pytest.skip("the port is taken on 127.0.0.1")
    yield public, internal
    for server in (public, internal):
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
def rebinding(monkeypatch):
    """getaddrinfo for NAME: 127.0.0.2 the first time, 127.0.0.1 every time after."""
    answers = chain(["127.0.0.2"], repeat("127.0.0.1"))
    lookups: list[str] = []
    lock = threading.Lock()

    def resolve(host, port, *args, **kwargs):
        if host != NAME:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        with lock:
            address = next(answers)
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return lookups


@pytest.fixture
def loopback_name(monkeypatch, settings):
    """NAME always resolves to loopback, which the operator does not allow."""
    settings.HEARTH_OUTBOUND_ALLOW = []

    def resolve(host, port, *args, **kwargs):
        if host != NAME:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def test_an_alert_webhook_goes_to_the_vetted_address_not_the_rebound_one(
    servers, rebinding, workspace, actor, django_capture_on_commit_callbacks
):
    public, internal = servers
    url = f"http://{NAME}:{public.port}/hook"
    add_destination(workspace, name="Ops", kind="webhook", target=url, by=actor)
    with django_capture_on_commit_callbacks(execute=True):
        raise_alert(
            workspace.pk, source="listening", kind="volume", subject="q", title="t",
            fired_at=timezone.now(),
        )  # fmt: skip
    assert OutboxItem.objects.get(ref_type="alert").status == "sent"
    assert internal.requests == []
    assert len(public.requests) == 1
    _path, headers, _body = public.requests[0]
    assert headers["Host"] == f"{NAME}:{public.port}"  # the name, not the address
    assert rebinding == ["127.0.0.2"]  # resolved once: the connection used that answer


def test_the_requests_session_resolves_once_per_connection(servers, rebinding):
    public, internal = servers
    with outbound.session() as session:
        assert session.get(f"http://{NAME}:{public.port}/a", timeout=5).status_code == 200
    assert len(public.requests) == 1 and internal.requests == []
    # The next connection resolves again, gets loopback, and is refused without calling it.
    with outbound.session() as session, pytest.raises(OutboundRefused) as refused:
        session.get(f"http://{NAME}:{public.port}/b", timeout=5)
    assert internal.requests == [] and str(refused.value) == BLOCKED


def test_the_httpx_transport_connects_to_the_vetted_address(servers, rebinding):
    public, internal = servers
    with httpx.Client(transport=outbound.httpx_transport(), timeout=5) as client:
        assert client.get(f"http://{NAME}:{public.port}/a").status_code == 200
        assert internal.requests == [] and len(public.requests) == 1
    with (
        httpx.Client(transport=outbound.httpx_transport(), timeout=5) as client,
        pytest.raises(OutboundRefused),
    ):
        client.get(f"http://{NAME}:{public.port}/b")
    assert internal.requests == []


def test_smtp_and_imap_connect_only_to_vetted_addresses(loopback_name):
    for client in (outbound.SMTP, outbound.SMTP_SSL, outbound.IMAP4, outbound.IMAP4_SSL):
        with pytest.raises(OutboundRefused) as refused:
            client(NAME, 2525, timeout=2)
        assert "127.0.0.1" not in str(refused.value) and "2525" not in str(refused.value)


@pytest.mark.parametrize("kind", ["discourse", "matrix", "rss", "mastodon", "telegram"])
def test_a_connector_whose_server_resolves_to_loopback_is_refused_without_calling_it(
    kind, loopback_name, workspace, make_channel, fake_platform, settings
):
    settings.HEARTH_OUTBOUND_ALLOW = ["127.0.0.0/8"]  # while the channel is created
    port = fake_platform.url.rsplit(":", 1)[1]
    url = f"http://{NAME}:{port}"
    config = {"url": f"{url}/feed.xml"} if kind == "rss" else {"base_url": url}
    credentials = {
        "discourse": {"api_key": "k", "api_username": "system"},
        "matrix": {"access_token": "t"},
        "rss": {},
        "mastodon": {"access_token": "t"},
        "telegram": {"token": "1:abc"},
    }[kind]
    if kind == "matrix":
        config["rooms"] = ["!room:example.test"]
    channel = make_channel(workspace, kind=kind, config=config, credentials=credentials)
    settings.HEARTH_OUTBOUND_ALLOW = []
    with pytest.raises(FatalConnectorError) as refused:
        get_connector(channel).fetch("")
    assert str(refused.value) == BLOCKED  # names no address nor port
    assert fake_platform.requests == []


def test_a_mailbox_on_a_local_server_is_refused_with_no_internal_detail(
    loopback_name, workspace, make_channel, settings
):
    settings.HEARTH_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    channel = make_channel(
        workspace,
        kind="email",
        config={
            "address": "support@lumio.test",
            "imap_host": NAME,
            "imap_port": 1143,
            "imap_security": "none",
            "smtp_host": NAME,
            "smtp_port": 1025,
            "smtp_security": "none",
            "username": "support@lumio.test",
        },
        credentials={"password": "pw"},
    )
    settings.HEARTH_OUTBOUND_ALLOW = []
    with pytest.raises(FatalConnectorError) as refused:
        get_connector(channel).fetch("")
    assert str(refused.value) == BLOCKED


def test_a_literal_local_base_url_is_refused_when_saved(workspace, make_channel, settings):
    from hearth.core.actions import ActionError

    settings.HEARTH_OUTBOUND_ALLOW = []
    with pytest.raises(ActionError, match="base_url points to a local or private network"):
        make_channel(
            workspace,
            kind="discourse",
            config={"base_url": "http://169.254.169.254"},
            credentials={"api_key": "k", "api_username": "system"},
        )
