"""Closing the loop by direct message: where the person asked in one, or where the workspace
prefers them and the channel can send them; a channel that cannot falls back to the reply."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from hearth.channels import connectors
from hearth.channels.connectors.base import Capabilities, SendResult
from hearth.channels.models import OutboxItem
from hearth.channels.tests import fakes
from hearth.conversations.models import Message
from hearth.core.actors import Actor
from hearth.feedback import actions
from hearth.feedback.models import EventKind, IdeaNotice, IdeaStatus, NoticeVia
from hearth.pipeline.ingest import ingest_batch

pytestmark = pytest.mark.django_db


class DMConnector(fakes.FakeConnector):
    capabilities = Capabilities(fetch=True, reply=True, dm=True)

    def send_dm(self, payload: Mapping[str, Any], *, idempotency_key: str) -> SendResult:
        fakes.SCRIPT.calls.append(("dm", dict(payload)))
        return SendResult(external_id="dm-1")


@pytest.fixture
def dm_capable(fake_connector: Any, monkeypatch: Any) -> Any:
    monkeypatch.setitem(connectors.CONNECTORS, fakes.KIND, f"{__name__}.DMConnector")
    connectors.connector_class.cache_clear()
    yield fake_connector
    connectors.connector_class.cache_clear()


def _post(channel: Any, make_item: Any, capture: Any, ext: str, text: str, **kw: Any) -> Message:
    with capture(execute=True):
        ingest_batch(channel, [make_item(ext, text, **kw)])
    return Message.objects.get(channel=channel, external_id=ext)


def _calls(script: Any, kind: str) -> list[dict[str, Any]]:
    return [c[1] for c in fakes.SCRIPT.calls if c[0] == kind]


def test_asked_in_a_dm_is_told_by_dm_exactly_once(
    workspace: Any,
    fake_channel: Any,
    dm_capable: Any,
    make_item: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cap = django_capture_on_commit_callbacks
    private = _post(fake_channel, make_item, cap, "d1", "Please add a dark mode", kind="dm")
    public = _post(fake_channel, make_item, cap, "p1", "Dark mode please", author="bob")
    idea = actions.idea_from_message(private, by=Actor.system(), title="Dark mode")
    actions.link_message(idea, public, by=Actor.system())
    with cap(execute=True):
        actions.set_status(idea, IdeaStatus.PLANNED, by=Actor.system())
        actions.set_status(idea, IdeaStatus.PLANNED, by=Actor.system(), reason="Q3")
    dms, replies = _calls(dm_capable, "dm"), _calls(dm_capable, "reply")
    assert len(dms) == 1 and dms[0]["author_external_id"] == "u1"
    assert "Dark mode" in dms[0]["text"]
    # The one who asked publicly (and the workspace does not prefer DMs) gets the reply.
    assert [r["parent_external_id"] for r in replies] == ["p1"]
    vias = dict(IdeaNotice.objects.filter(idea=idea).values_list("person_key", "via"))
    assert sorted(vias.values()) == [NoticeVia.DM, NoticeVia.REPLY]
    assert OutboxItem.objects.filter(action="dm", workspace=workspace).count() == 1
    assert not idea.events.filter(kind=EventKind.NOTE).exists()


def test_workspace_preferring_dms_tells_public_askers_by_dm(
    workspace: Any,
    fake_channel: Any,
    dm_capable: Any,
    make_item: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cap = django_capture_on_commit_callbacks
    actions.save_settings(workspace, by=Actor.system(), prefer_dm=True)
    public = _post(fake_channel, make_item, cap, "p1", "Dark mode please", author="bob")
    idea = actions.idea_from_message(public, by=Actor.system(), title="Dark mode")
    with cap(execute=True):
        actions.set_status(idea, IdeaStatus.SHIPPED, by=Actor.system())
    assert [d["author_external_id"] for d in _calls(dm_capable, "dm")] == ["bob"]
    assert _calls(dm_capable, "reply") == []
    # Shipped again after a step back: shipped was told already, in progress is new.
    with cap(execute=True):
        actions.set_status(idea, IdeaStatus.IN_PROGRESS, by=Actor.system())
        actions.set_status(idea, IdeaStatus.SHIPPED, by=Actor.system())
    assert len(_calls(dm_capable, "dm")) == 2


def test_channel_without_dms_falls_back_to_the_reply_and_says_so(
    workspace: Any,
    fake_channel: Any,
    fake_connector: Any,
    make_item: Any,
    client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    cap = django_capture_on_commit_callbacks
    private = _post(fake_channel, make_item, cap, "d1", "Please add a dark mode", kind="dm")
    idea = actions.idea_from_message(private, by=Actor.system(), title="Dark mode")
    with cap(execute=True):
        actions.set_status(idea, IdeaStatus.SHIPPED, by=Actor.system())
        actions.set_status(idea, IdeaStatus.SHIPPED, by=Actor.system())
    assert _calls(fake_connector, "dm") == []
    assert [r["parent_external_id"] for r in _calls(fake_connector, "reply")] == ["d1"]
    assert IdeaNotice.objects.get(idea=idea).via == NoticeVia.REPLY
    note = idea.events.get(kind=EventKind.NOTE)
    assert f"{fake_channel.name} cannot send direct messages" in note.reason
    assert "1 person was told by a reply" in note.reason
    # The note is the team's: the public page shows the status, not how people were told.
    page = client.get(f"/ideas/{workspace.slug}/{idea.pk}/").content.decode()
    assert "Shipped" in page and "cannot send direct messages" not in page
