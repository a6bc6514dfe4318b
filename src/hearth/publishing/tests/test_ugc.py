"""Sharing members' content: the request goes out, the member's yes or no is read from the
conversation, and only a yes allows a re-post, with credit and the permission kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from hearth.channels.models import Channel, OutboxItem
from hearth.conversations.models import Message
from hearth.core.actions import ActionError
from hearth.pipeline.ingest import ingest_batch
from hearth.publishing.actions.ugc import (
    ask_permission_to_share,
    post_from_member,
    read_answers,
    record_answer,
)
from hearth.publishing.models import PermissionState


@pytest.fixture
def photo(demo_channel: Channel, make_item: Any) -> Message:
    ingest_batch(demo_channel, [make_item("p1", "My Halo lamp at sunset, so cosy", author="ana")])
    return Message.objects.get(external_id="p1")


def test_ask_then_a_yes_in_the_conversation_allows_a_credited_repost(
    personas: Any,
    demo_channel: Channel,
    photo: Message,
    make_item: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        permission = ask_permission_to_share(photo, by=personas.actor("manager"))
    assert ask_permission_to_share(photo, by=personas.actor("manager")) == permission  # once
    item = OutboxItem.objects.get(ref_type="share_permission", ref_id=permission.pk)
    assert item.action == "dm" and item.payload["author_external_id"] == "ana"
    assert "May we re-post it" in item.payload["text"] and item.status == "sent"
    with pytest.raises(ActionError, match="has not allowed it"):
        post_from_member(permission, [demo_channel.pk], by=personas.actor("manager"))

    ingest_batch(
        demo_channel,
        [
            make_item(
                "p2",
                "Oui bien sûr, avec plaisir !",
                author="ana",
                parent="p1",
                minutes=60 * 24 * 40,
            )
        ],
    )
    assert read_answers() == 1
    permission.refresh_from_db()
    assert permission.state == PermissionState.GRANTED
    assert permission.answer.startswith("Oui")
    post = post_from_member(permission, [demo_channel.pk], by=personas.actor("manager"))
    text = post.variants.get().text
    assert "« My Halo lamp at sunset, so cosy » — @ana" in text
    assert post.share_permission == permission and post.labels == ["ugc"]


def test_a_no_refuses_and_unclear_answers_wait_for_a_person(
    personas: Any, demo_channel: Channel, photo: Message, make_item: Any
) -> None:
    permission = ask_permission_to_share(photo, by=personas.actor("manager"))
    ingest_batch(
        demo_channel,
        [make_item("p3", "Hmm, which photo?", author="ana", parent="p1", minutes=60 * 24 * 40)],
    )
    assert read_answers() == 0
    record_answer(permission, False, by=personas.actor("manager"), note="Said no by e-mail.")
    permission.refresh_from_db()
    assert permission.state == PermissionState.REFUSED
    with pytest.raises(ActionError):
        post_from_member(permission, [demo_channel.pk], by=personas.actor("manager"))


def test_only_the_workspaces_publishers_can_ask(personas: Any, photo: Message) -> None:
    for name in ("outsider", "viewer"):
        with pytest.raises(PermissionDenied):
            ask_permission_to_share(photo, by=personas.actor(name))


def test_from_the_inbox_to_a_credited_draft(
    personas: Any, demo_channel: Channel, photo: Message
) -> None:
    from django.urls import reverse

    client = personas.client("manager")
    thread = client.get(reverse("inbox_thread", args=[photo.thread_id])).content.decode()
    assert f'data-testid="ask-share-{photo.pk}"' in thread
    client.post(reverse("publishing:ask_share", args=[photo.pk]))
    permission = photo.share_permissions.get()
    page = client.get(reverse("publishing:shared")).content.decode()
    assert f'data-testid="permission-{permission.pk}"' in page
    client.post(reverse("publishing:shared_action", args=[permission.pk]), {"do": "granted"})
    answer = client.post(
        reverse("publishing:shared_action", args=[permission.pk]),
        {"do": "post", "channels": [demo_channel.pk], "comment": "Thank you Ana!"},
    )
    post = permission.posts.get()
    assert answer["Location"] == reverse("publishing:edit", args=[post.pk])
    assert post.variants.get().text.startswith("Thank you Ana!")
    outsider = personas.client("outsider")
    assert outsider.post(reverse("publishing:ask_share", args=[photo.pk])).status_code == 404
    assert (
        outsider.post(
            reverse("publishing:shared_action", args=[permission.pk]), {"do": "refused"}
        ).status_code
        == 404
    )
    # The member's name, as a word ("Analytics" in the menu is not her).
    assert not re.search(r"\bAna\b", outsider.get(reverse("publishing:shared")).content.decode())
