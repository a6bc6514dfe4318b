"""The media library: files are what their bytes say, served only to the workspace, described
(alt text), checked against each platform's media rules, and uploaded by the connector when
the post goes out (the Mastodon-API server and the demo platform)."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from hearth.channels.models import Channel, OutboxItem
from hearth.core.actions import ActionError
from hearth.publishing.actions.library import delete_media, media_item, set_alt_text, upload_media
from hearth.publishing.actions.posts import PostIn, VariantIn, create_post, schedule_post
from hearth.publishing.actions.publish import follow_outbox, publish_due
from hearth.publishing.models import MediaAsset, PostState, VariantState


def png(size: tuple[int, int] = (40, 30), *, noise: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120 + noise % 100, 40)).save(out, format="PNG")
    return out.getvalue()


MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64


def _upload(personas: Any, data: bytes, name: str = "lamp.png", alt: str = "A lamp") -> Any:
    return upload_media(
        personas.workspace,
        io.BytesIO(data),
        name=name,
        size=len(data),
        alt_text=alt,
        by=personas.actor("manager"),
    )


def test_an_upload_is_typed_by_its_bytes_not_its_name(personas: Any, settings: Any) -> None:
    asset = _upload(personas, png(), name="holiday.gif")
    assert (asset.kind, asset.content_type, asset.width, asset.height) == (
        "image",
        "image/png",
        40,
        30,
    )
    assert asset.path.endswith(".png")
    assert (settings.HEARTH_DATA_DIR / "media" / asset.path).read_bytes() == png()
    video = _upload(personas, MP4, name="clip.bin", alt="")
    assert (video.kind, video.content_type) == ("video", "video/mp4")
    # The same bytes again are the same asset; its missing description is filled.
    again = _upload(personas, MP4, name="clip-copy.mp4", alt="Our lamp turning on")
    assert again.pk == video.pk and again.alt_text == "Our lamp turning on"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "not an image",
        ),
        (b"%PDF-1.7 lamp catalogue", "not an image"),
        (png()[:60], "damaged"),
    ],
)
def test_what_is_not_an_image_or_video_is_refused_with_what_to_do(
    personas: Any, data: bytes, message: str
) -> None:
    with pytest.raises(ActionError, match=message):
        _upload(personas, data, name="lamp.png")
    assert not MediaAsset.objects.exists()


def test_the_library_size_limit_names_the_file_and_the_fix(personas: Any, settings: Any) -> None:
    settings.HEARTH_MEDIA_MAX_IMAGE_MB = 0
    with pytest.raises(ActionError, match="“big.png” weighs .* compress it"):
        _upload(personas, png(), name="big.png")


def test_files_are_served_only_to_members_of_the_workspace(personas: Any) -> None:
    asset = _upload(personas, png())
    url = reverse("publishing:media_file", args=[asset.pk])
    answer = personas.client("viewer").get(url)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/png"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert b"".join(answer.streaming_content) == png()
    assert personas.client("outsider").get(url).status_code == 404
    from django.test import Client

    assert Client().get(url).status_code == 302  # to the sign-in page


def test_upload_alt_text_and_removal_through_the_pages(personas: Any) -> None:
    client = personas.client("manager")
    answer = client.post(
        reverse("publishing:media"),
        {"file": SimpleUploadedFile("lamp.png", png(), content_type="text/html")},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert answer.status_code == 201, answer.content
    asset_id = answer.json()["asset"]["id"]
    assert answer.json()["asset"]["content_type"] == "image/png"
    answer = client.post(
        reverse("publishing:media"),
        {"file": SimpleUploadedFile("notes.txt", b"hello", content_type="image/png")},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert answer.status_code == 400 and "not an image" in answer.json()["error"]
    page = client.get(reverse("publishing:media"))
    assert "No alt text yet" in page.content.decode()
    client.post(
        reverse("publishing:media_action", args=[asset_id]), {"alt_text": "A warm lamp at dusk"}
    )
    assert MediaAsset.objects.get(pk=asset_id).alt_text == "A warm lamp at dusk"
    # Another workspace's member cannot describe or remove it; a viewer may not either.
    outsider = personas.client("outsider")
    assert (
        outsider.post(
            reverse("publishing:media_action", args=[asset_id]), {"do": "delete"}
        ).status_code
        == 404
    )
    assert (
        personas.client("viewer")
        .post(reverse("publishing:media_action", args=[asset_id]), {"do": "delete"})
        .status_code
        == 403
    )
    client.post(reverse("publishing:media_action", args=[asset_id]), {"do": "delete"})
    assert not MediaAsset.objects.filter(pk=asset_id).exists()


def test_a_file_attached_to_a_waiting_post_cannot_be_removed(
    personas: Any, demo_channel: Any
) -> None:
    asset = _upload(personas, png())
    create_post(
        personas.workspace,
        PostIn(variants=[VariantIn(channel_id=demo_channel.pk, media=[{"asset_id": asset.pk}])]),
        by=personas.actor("manager"),
    )
    with pytest.raises(ActionError, match="detach it first"):
        delete_media(asset, by=personas.actor("manager"))


def test_another_workspaces_file_cannot_be_attached(
    personas: Any, demo_channel: Any, make_channel: Any
) -> None:
    theirs = upload_media(
        personas.other_workspace,
        io.BytesIO(png()),
        name="x.png",
        size=len(png()),
        alt_text="x",
        by=personas.actor("outsider"),
    )
    with pytest.raises(ActionError, match="not in this workspace's media library"):
        create_post(
            personas.workspace,
            PostIn(
                variants=[VariantIn(channel_id=demo_channel.pk, media=[{"asset_id": theirs.pk}])]
            ),
            by=personas.actor("manager"),
        )


def test_the_composer_attaches_library_files_to_a_variant(personas: Any, demo_channel: Any) -> None:
    asset = _upload(personas, png())
    client = personas.client("manager")
    page = client.get(reverse("publishing:compose"))
    assert f'"id": {asset.pk}' in page.content.decode()  # the library, for the script
    answer = client.post(
        reverse("publishing:compose"),
        {
            "channels": [demo_channel.pk],
            f"v{demo_channel.pk}-text": "Our lamp",
            f"v{demo_channel.pk}-assets": str(asset.pk),
            "intent": "save",
        },
    )
    assert answer.status_code == 302
    variant = demo_channel.post_variants.get()
    assert variant.media == [
        {
            "asset_id": asset.pk,
            "name": "lamp.png",
            "type": "image",
            "content_type": "image/png",
            "size": asset.size,
            "path": asset.path,
            "alt": "A lamp",
        }
    ]
    edit = client.get(reverse("publishing:edit", args=[variant.post_id])).content.decode()
    assert f'name="v{demo_channel.pk}-assets" value="{asset.pk}"' in edit


def test_each_platforms_media_rules_name_the_variant_and_the_fix(
    personas: Any, make_channel: Any, settings: Any
) -> None:
    # Rules need no connection: the channels are stored as they are.
    bluesky = Channel.objects.create(
        workspace=personas.workspace, name="Bluesky", slug="bsky", kind="bluesky"
    )
    mastodon = Channel.objects.create(
        workspace=personas.workspace, name="Masto", slug="masto", kind="mastodon"
    )
    big = _upload(personas, png((1400, 1400), noise=7), name="big.png")
    MediaAsset.objects.filter(pk=big.pk).update(size=3_000_000)  # as heavy as a real photo
    video = _upload(personas, MP4, name="clip.mp4", alt="")
    by = personas.actor("manager")
    post = create_post(
        personas.workspace,
        PostIn(
            variants=[
                VariantIn(channel_id=bluesky.pk, text="Hi", media=[{"asset_id": big.pk}]),
                VariantIn(
                    channel_id=mastodon.pk,
                    text="Hi",
                    media=[{"asset_id": big.pk}, {"asset_id": video.pk}],
                ),
            ]
        ),
        by=by,
    )
    with pytest.raises(ActionError) as caught:
        schedule_post(post, timezone.now() + timedelta(hours=1), by=by)
    message = str(caught.value)
    assert "Bluesky takes files up to 977 KB; “big.png” weighs 2.9 MB: compress it" in message
    assert "Masto does not mix images and a video in one post" in message
    assert "alt text missing on clip.mp4" in message


def test_a_post_with_an_image_is_published_with_it_on_the_demo_platform(
    personas: Any, demo_channel: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    asset = _upload(personas, png())
    by = personas.actor("manager")
    post = create_post(
        personas.workspace,
        PostIn(
            variants=[
                VariantIn(channel_id=demo_channel.pk, text="Lamp", media=[{"asset_id": asset.pk}])
            ]
        ),
        by=by,
    )
    set_alt_text(asset, "A warm lamp", by=by)  # after the post was saved: sent with the new one
    soon = timezone.now() + timedelta(minutes=2)
    schedule_post(post, soon, by=by)
    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=soon + timedelta(seconds=5))
    item = OutboxItem.objects.get(action="post")
    assert item.payload["media"][0]["alt"] == "A warm lamp"
    assert item.payload["media"][0]["path"] == asset.path
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED

    # A file gone from the disk fails the next post with what to do, never silently.
    (settings.HEARTH_DATA_DIR / "media" / asset.path).unlink()
    second = create_post(
        personas.workspace,
        PostIn(
            variants=[
                VariantIn(channel_id=demo_channel.pk, text="Lamp", media=[{"asset_id": asset.pk}])
            ]
        ),
        by=by,
    )
    schedule_post(second, soon, by=by)
    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=soon + timedelta(seconds=5))
    follow_outbox()
    second.refresh_from_db()
    assert second.state == PostState.FAILED
    assert "no longer in the media library" in second.state_detail


@pytest.mark.platform_server
def test_a_post_with_an_image_reaches_the_mastodon_server_with_its_description(
    mastodon: Any, mastodon_channel: Any, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        channel = mastodon_channel()
    asset = _upload(personas, png(), alt="A warm lamp at dusk")
    by = personas.actor("manager")
    post = create_post(
        personas.workspace,
        PostIn(
            variants=[
                VariantIn(channel_id=channel.pk, text="Dusk 🌆", media=[{"asset_id": asset.pk}])
            ]
        ),
        by=by,
    )
    soon = timezone.now() + timedelta(minutes=2)
    schedule_post(post, soon, by=by)
    with django_capture_on_commit_callbacks(execute=True):
        publish_due(now=soon + timedelta(seconds=5))
    post.refresh_from_db()
    variant = post.variants.get()
    assert post.state == PostState.PUBLISHED, post.state_detail
    assert variant.state == VariantState.PUBLISHED
    status = mastodon.client("ana").status(variant.external_id)
    assert [m["description"] for m in status["media_attachments"]] == ["A warm lamp at dusk"]
    assert status["media_attachments"][0]["type"] == "image"


def test_the_api_uploads_describes_and_attaches_library_files(
    personas: Any, demo_channel: Any
) -> None:
    from django.test import Client

    client, auth = Client(), personas.auth("manager")
    answer = client.post(
        "/api/v1/workspaces/acme/media",
        {"file": SimpleUploadedFile("lamp.jpg", png(), content_type="image/jpeg")},
        **auth,
    )
    assert answer.status_code == 201, answer.content
    asset = answer.json()
    assert (asset["content_type"], asset["alt_text"]) == ("image/png", "")
    refused = client.post(
        "/api/v1/workspaces/acme/media",
        {"file": SimpleUploadedFile("x.png", b"<svg/>", content_type="image/png")},
        **auth,
    )
    assert refused.status_code == 400 and "not an image" in refused.json()["detail"]
    described = client.put(
        f"/api/v1/workspaces/acme/media/{asset['id']}",
        data='{"alt_text": "A lamp"}',
        content_type="application/json",
        **auth,
    )
    assert described.json()["alt_text"] == "A lamp"
    made = client.post(
        "/api/v1/workspaces/acme/posts",
        data=json.dumps(
            {
                "variants": [
                    {
                        "channel_id": demo_channel.pk,
                        "text": "Hi",
                        "media": [{"asset_id": asset["id"]}],
                    }
                ]
            }
        ),
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 201, made.content
    assert made.json()["variants"][0]["media"][0]["alt"] == "A lamp"
    assert made.json()["problems"] == []
    # Another workspace sees none of it and cannot describe it.
    outsider = personas.auth("outsider")
    assert client.get("/api/v1/workspaces/globex/media", **outsider).json() == []
    assert (
        client.put(
            f"/api/v1/workspaces/globex/media/{asset['id']}",
            data='{"alt_text": "mine"}',
            content_type="application/json",
            **outsider,
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/workspaces/acme/media",
            {"file": SimpleUploadedFile("lamp.png", png())},
            **personas.auth("viewer"),
        ).status_code
        == 403
    )


def test_the_client_sees_the_images_of_the_posts_their_review_link_covers_only(
    personas: Any, demo_channel: Any
) -> None:
    from django.test import Client

    from hearth.publishing.actions.approvals import create_review_link, revoke_review_link

    shown, hidden = _upload(personas, png()), _upload(personas, png(noise=9), name="secret.png")
    by = personas.actor("manager")
    post = create_post(
        personas.workspace,
        PostIn(
            variants=[
                VariantIn(channel_id=demo_channel.pk, text="Dusk", media=[{"asset_id": shown.pk}])
            ]
        ),
        by=by,
    )
    link, token = create_review_link(
        personas.workspace, "Marie", [post], by=personas.actor("owner")
    )
    client = Client()  # no account
    page = client.get(reverse("publishing:review", args=[token])).content.decode()
    url = reverse("publishing:review_media", args=[token, shown.pk])
    assert f'src="{url}"' in page and 'alt="A lamp"' in page
    answer = client.get(url)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert (
        client.get(reverse("publishing:review_media", args=[token, hidden.pk])).status_code == 404
    )
    assert (
        client.get(reverse("publishing:review_media", args=["forged", shown.pk])).status_code == 404
    )
    revoke_review_link(link, by=personas.actor("owner"))
    assert client.get(url).status_code == 404


def test_a_payload_cannot_point_a_connector_outside_the_media_directory(
    personas: Any, settings: Any
) -> None:
    from hearth.channels.connectors.base import FatalConnectorError, media_files

    (settings.HEARTH_DATA_DIR / "secret_key").touch()
    for path in ("../secret_key", "/etc/passwd", "1/../../secret_key"):
        with pytest.raises(FatalConnectorError, match="no longer in the media library"):
            media_files({"media": [{"path": path, "name": "x"}]})
    asset = _upload(personas, png())
    found = media_files({"media": [{"url": "https://cdn.example/a.jpg"}, media_item(asset)]})
    assert [(f.name, f.content_type, f.alt) for f in found] == [("lamp.png", "image/png", "A lamp")]
