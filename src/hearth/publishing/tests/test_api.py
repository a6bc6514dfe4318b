"""The publishing API: compose, schedule, approve, pause and resume, and tenancy."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from hearth.channels.models import Channel
from hearth.publishing.models import Post, PostState


def _call(client: Client, method: str, path: str, auth: dict[str, str], body: Any = None) -> Any:
    return getattr(client, method)(
        f"/api/v1/workspaces/acme{path}",
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        **auth,
    )


def test_compose_schedule_and_read_a_post(
    personas: Any, demo_channel: Channel, chirp_channel: Channel
) -> None:
    client, auth = Client(), personas.auth("manager")
    created = _call(
        client,
        "post",
        "/posts",
        auth,
        {
            "title": "Launch",
            "content_class": "promotion",
            "labels": ["halo"],
            "variants": [
                {"channel_id": demo_channel.pk, "text": "Halo is here, with every detail."},
                {"channel_id": chirp_channel.pk, "text": "x" * 300},
            ],
        },
    )
    assert created.status_code == 201, created.content
    post = created.json()
    assert post["state"] == "draft" and len(post["variants"]) == 2
    assert any("Chirp allows 280 characters" in p for p in post["problems"])
    when = (timezone.now() + timedelta(days=1)).isoformat()
    refused = _call(client, "post", f"/posts/{post['id']}/schedule", auth, {"scheduled_at": when})
    assert refused.status_code == 400 and "Chirp allows 280" in refused.json()["detail"]

    fixed = _call(
        client,
        "put",
        f"/posts/{post['id']}",
        auth,
        {
            "title": "Launch",
            "content_class": "promotion",
            "variants": [
                {"channel_id": demo_channel.pk, "text": "Halo is here, with every detail."},
                {"channel_id": chirp_channel.pk, "text": "Halo is here."},
            ],
        },
    )
    assert fixed.status_code == 200 and fixed.json()["problems"] == []
    scheduled = _call(client, "post", f"/posts/{post['id']}/schedule", auth, {"scheduled_at": when})
    assert scheduled.status_code == 200 and scheduled.json()["state"] == "scheduled"
    listed = _call(client, "get", "/posts?state=scheduled", personas.auth("viewer")).json()
    assert [p["id"] for p in listed["items"]] == [post["id"]]


def test_approvals_and_review_links_through_the_api(personas: Any, demo_channel: Channel) -> None:
    client = Client()
    owner, manager = personas.auth("owner"), personas.auth("manager")
    steps = {"mode": "one", "steps": [{"name": "Lead", "approver_ids": [personas.owner.pk]}]}
    assert (
        _call(client, "put", "/publishing/approvals", personas.auth("moderator"), steps).status_code
        == 403
    )
    assert _call(client, "put", "/publishing/approvals", manager, steps).json()["mode"] == "one"
    post = _call(
        client,
        "post",
        "/posts",
        manager,
        {"variants": [{"channel_id": demo_channel.pk, "text": "Hi"}]},
    ).json()
    assert (
        _call(client, "post", f"/posts/{post['id']}/submit", manager).json()["state"] == "in_review"
    )
    assert (
        _call(
            client, "post", f"/posts/{post['id']}/approve", personas.auth("moderator"), {}
        ).status_code
        == 403
    )
    approved = _call(client, "post", f"/posts/{post['id']}/approve", owner, {"text": "OK"})
    assert (
        approved.json()["state"] == "approved"
        and approved.json()["comments"][0]["kind"] == "approve"
    )
    link = _call(
        client,
        "post",
        "/publishing/review-links",
        owner,
        {"name": "Marie", "post_ids": [post["id"]]},
    )
    assert link.status_code == 201 and "/publishing/review/" in link.json()["url"]
    assert Client().get(link.json()["url"]).status_code == 200
    _call(client, "post", f"/publishing/review-links/{link.json()['id']}/revoke", owner)
    assert Client().get(link.json()["url"]).status_code == 404


def test_pause_and_resume_through_the_api(personas: Any, demo_channel: Channel) -> None:
    client, auth = Client(), personas.auth("manager")
    post = _call(
        client,
        "post",
        "/posts",
        auth,
        {"variants": [{"channel_id": demo_channel.pk, "text": "Hi"}]},
    ).json()
    when = (timezone.now() + timedelta(hours=2)).isoformat()
    _call(client, "post", f"/posts/{post['id']}/schedule", auth, {"scheduled_at": when})
    paused = _call(client, "post", "/publishing/pause", auth, {"reason": "Recall"}).json()
    assert paused == {"paused": True, "held": [post["id"]]}
    assert _call(client, "post", "/publishing/resume", auth).json() == {
        "paused": False,
        "held": [post["id"]],
    }
    dropped = _call(client, "post", f"/posts/{post['id']}/drop", auth).json()
    assert dropped["state"] == "draft"


def test_another_workspace_cannot_read_or_change_posts(
    personas: Any, demo_channel: Channel
) -> None:
    client = Client()
    post = _call(
        client,
        "post",
        "/posts",
        personas.auth("manager"),
        {"variants": [{"channel_id": demo_channel.pk, "text": "Secret"}]},
    ).json()
    outsider = personas.auth("outsider")
    assert _call(client, "get", "/posts", outsider).status_code == 404
    assert _call(client, "get", f"/posts/{post['id']}", outsider).status_code == 404
    assert (
        client.get(f"/api/v1/workspaces/globex/posts/{post['id']}", **outsider).status_code == 404
    )
    when = (timezone.now() + timedelta(hours=2)).isoformat()
    assert (
        client.post(
            f"/api/v1/workspaces/globex/posts/{post['id']}/schedule",
            data=json.dumps({"scheduled_at": when}),
            content_type="application/json",
            **outsider,
        ).status_code
        == 404
    )
    assert _call(client, "post", "/publishing/pause", outsider, {}).status_code == 404
    assert (
        _call(client, "post", "/publishing/pause", personas.auth("viewer"), {}).status_code == 403
    )
    assert Post.objects.get().state == PostState.DRAFT


def test_notes_and_the_queue_through_the_api(personas: Any, demo_channel: Channel) -> None:
    from hearth.publishing.actions.planning import parse_slots, set_slots

    client, auth = Client(), personas.auth("manager")
    made = _call(
        client,
        "post",
        "/publishing/notes",
        auth,
        {"title": "Fair", "starts_on": "2027-04-01", "ends_on": "2027-04-03", "kind": "event"},
    )
    assert made.status_code == 201 and made.json()["ends_on"] == "2027-04-03"
    bad = _call(
        client,
        "post",
        "/publishing/notes",
        auth,
        {"title": "Fair", "starts_on": "2027-04-03", "ends_on": "2027-04-01"},
    )
    assert bad.status_code == 400 and "last day comes before" in bad.content.decode()
    listed = _call(client, "get", "/publishing/notes?since=2027-04-02", auth).json()
    assert [n["title"] for n in listed] == ["Fair"]
    outsider = _call(
        client, "delete", f"/publishing/notes/{made.json()['id']}", personas.auth("outsider")
    )
    assert outsider.status_code in (403, 404)
    assert (
        _call(client, "delete", f"/publishing/notes/{made.json()['id']}", auth).status_code == 204
    )

    set_slots(demo_channel, parse_slots("thu 08:15"), by=personas.actor("manager"))
    post = _call(
        client,
        "post",
        "/posts",
        auth,
        {"variants": [{"channel_id": demo_channel.pk, "text": "Queued by API"}]},
    ).json()
    queued = _call(client, "post", f"/posts/{post['id']}/queue", auth)
    assert queued.status_code == 200, queued.content
    (placed,) = queued.json()
    assert placed["state"] == PostState.SCHEDULED
    at = timezone.localtime(Post.objects.get(pk=post["id"]).scheduled_at)
    assert (at.weekday(), at.hour, at.minute) == (3, 8, 15)
