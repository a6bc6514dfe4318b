"""Sharing members' content through the API and `hearth post ugc`: ask, record the answer,
re-post with credit only after a yes — and nothing of another workspace is reachable."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from hearth.channels.models import Channel, OutboxItem
from hearth.conversations.models import Message
from hearth.pipeline.ingest import ingest_batch
from hearth.publishing.models import PermissionState, Post, SharePermission


@pytest.fixture
def photo(demo_channel: Channel, make_item: Any) -> Message:
    ingest_batch(demo_channel, [make_item("p1", "My Halo lamp at sunset, so cosy", author="ana")])
    return Message.objects.get(external_id="p1")


def _call(client: Client, method: str, path: str, auth: dict[str, str], body: Any = None) -> Any:
    return getattr(client, method)(
        f"/api/v1/workspaces/acme{path}",
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        **auth,
    )


def test_ask_answer_and_repost_through_the_api(
    personas: Any,
    demo_channel: Channel,
    photo: Message,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client, auth = Client(), personas.auth("manager")
    with django_capture_on_commit_callbacks(execute=True):
        asked = _call(client, "post", "/ugc", auth, {"message_id": photo.pk})
    assert asked.status_code == 201, asked.content
    permission = asked.json()
    assert permission["state"] == "requested" and permission["credit"] == "@ana"
    assert OutboxItem.objects.get(ref_type="share_permission").status == "sent"

    refused = _call(
        client, "post", f"/ugc/{permission['id']}/repost", auth, {"channel_ids": [demo_channel.pk]}
    )
    assert refused.status_code == 400 and "has not allowed it" in refused.json()["detail"]

    answered = _call(
        client, "post", f"/ugc/{permission['id']}/answer", auth, {"granted": True, "note": "Mail"}
    )
    assert answered.json()["state"] == "granted" and answered.json()["answer"] == "Mail"
    made = _call(
        client,
        "post",
        f"/ugc/{permission['id']}/repost",
        auth,
        {"channel_ids": [demo_channel.pk], "comment": "Lovely!"},
    )
    assert made.status_code == 201, made.content
    text = made.json()["variants"][0]["text"]
    assert text.startswith("Lovely!") and "— @ana" in text
    assert Post.objects.get(pk=made.json()["id"]).share_permission_id == permission["id"]
    listed = _call(client, "get", "/ugc?state=granted", personas.auth("viewer"))
    assert [p["post_ids"] for p in listed.json()["items"]] == [[made.json()["id"]]]
    client.force_login(personas.manager)
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/workspaces/{slug}/ugc/{permission_id}/repost" in schema["paths"]


def test_the_ugc_api_keeps_workspaces_and_roles_apart(
    personas: Any, demo_channel: Channel, photo: Message
) -> None:
    client = Client()
    permission = SharePermission.objects.create(
        workspace=personas.workspace, message=photo, credit="ana"
    )
    outsider = personas.auth("outsider")
    # The outsider names Acme: not a member. Through their own workspace: no such objects.
    assert _call(client, "get", "/ugc", outsider).status_code in (403, 404)
    own = "/api/v1/workspaces/globex"
    for method, path, body in [
        ("get", f"/ugc/{permission.pk}", None),
        ("post", f"/ugc/{permission.pk}/answer", {"granted": True}),
        ("post", f"/ugc/{permission.pk}/repost", {"channel_ids": [demo_channel.pk]}),
        ("post", "/ugc", {"message_id": photo.pk}),
    ]:
        answer = getattr(client, method)(
            own + path,
            data=json.dumps(body) if body else None,
            content_type="application/json",
            **outsider,
        )
        assert answer.status_code == 404, (path, answer.content)
    # A viewer reads but may not ask, answer or re-post.
    viewer = personas.auth("viewer")
    assert _call(client, "get", f"/ugc/{permission.pk}", viewer).status_code == 200
    assert (
        _call(client, "post", f"/ugc/{permission.pk}/answer", viewer, {"granted": True}).status_code
        == 403
    )
    assert _call(client, "post", "/ugc", viewer, {"message_id": photo.pk}).status_code == 403
    permission.refresh_from_db()
    assert permission.state == PermissionState.REQUESTED


def _run(*args: str) -> str:
    out = StringIO()
    call_command("post", "ugc", *args, stdout=out)
    return out.getvalue()


def test_the_cli_asks_records_and_reposts(
    personas: Any,
    demo_channel: Channel,
    photo: Message,
    django_capture_on_commit_callbacks: Any,
) -> None:
    manager = ("--workspace", "acme", "--as", personas.manager.email)
    with django_capture_on_commit_callbacks(execute=True):
        out = _run("ask", *manager, "--message", str(photo.pk))
    permission = SharePermission.objects.get()
    assert f"Permission {permission.pk}: asked @ana" in out
    with pytest.raises(CommandError):
        _run("repost", *manager, "--permission", str(permission.pk), "--channel", demo_channel.slug)
    assert "is granted" in _run(
        "answer", *manager, "--permission", str(permission.pk), "--granted", "yes"
    )
    out = _run(
        "repost", *manager, "--permission", str(permission.pk), "--channel", demo_channel.slug
    )
    post = Post.objects.get(share_permission=permission)
    assert f"Created draft {post.pk}" in out
    rows = json.loads(_run("list", "--workspace", "acme", "--json"))
    assert rows[0]["state"] == "granted" and rows[0]["post_ids"] == [post.pk]
    # Another workspace's permission is not found from Globex; a viewer cannot record answers.
    with pytest.raises(CommandError, match="no permission"):
        _run(
            "answer",
            "--workspace",
            "globex",
            "--permission",
            str(permission.pk),
            "--granted",
            "no",
        )
    with pytest.raises(CommandError):
        _run(
            "answer",
            "--workspace",
            "acme",
            "--as",
            personas.viewer.email,
            "--permission",
            str(permission.pk),
            "--granted",
            "no",
        )
    permission.refresh_from_db()
    assert permission.state == PermissionState.GRANTED
