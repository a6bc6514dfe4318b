"""Each platform's rules for a post (its connector's `limits` and `capabilities`), checked live
by the composer (the same figures, as JSON), before scheduling and again before sending."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from hearth.channels.connectors import connector_class
from hearth.channels.connectors.base import PublishLimits
from hearth.channels.models import Channel
from hearth.publishing.media import human_size


def limits_of(channel: Channel) -> PublishLimits:
    return connector_class(channel.kind).limits


def can_publish(channel: Channel) -> bool:
    return connector_class(channel.kind).capabilities.publish


def rules_json(channels: list[Channel]) -> dict[str, dict[str, Any]]:
    """What the composer's script checks as the person types, per channel id."""
    out: dict[str, dict[str, Any]] = {}
    for channel in channels:
        limits = limits_of(channel)
        out[str(channel.pk)] = {
            "name": channel.name,
            "kind": channel.kind,
            "platform": connector_class(channel.kind).label or channel.kind,
            "max_text": limits.max_text,
            "max_media": limits.max_media,
            "media_types": sorted(limits.media_types),
            "image_types": sorted(limits.image_types),
            "video_types": sorted(limits.video_types),
            "max_image_bytes": limits.max_image_bytes,
            "max_video_bytes": limits.max_video_bytes,
            "max_videos": limits.max_videos,
            "mix_media": limits.mix_media,
            "first_comment": limits.first_comment,
            "handle": (channel.identity or {}).get("handle") or channel.name,
        }
    return out


def variant_problems(
    channel: Channel, *, text: str, link: str = "", media: list[Any], first_comment: str = ""
) -> list[str]:
    """Why this content cannot go out on `channel`, as sentences that say what to do ([]: it can)."""
    problems: list[str] = []
    if not can_publish(channel):
        problems.append(
            _("%(channel)s does not let Hearth publish: choose another channel.")
            % {"channel": channel.name}
        )
        return problems
    limits = limits_of(channel)
    body = text.strip()
    if link and link not in body:
        body = f"{body}\n\n{link}" if body else link
    if not body and not media:
        problems.append(
            _("The variant for %(channel)s is empty: write a text or add media.")
            % {"channel": channel.name}
        )
    if len(body) > limits.max_text:
        problems.append(
            _(
                "%(channel)s allows %(max)s characters; this variant has %(count)s: shorten it "
                "by %(over)s."
            )
            % {
                "channel": channel.name,
                "max": limits.max_text,
                "count": len(body),
                "over": len(body) - limits.max_text,
            }
        )
    if len(media) > limits.max_media:
        problems.append(
            _("%(channel)s allows %(max)s media per post; this variant has %(count)s.")
            % {"channel": channel.name, "max": limits.max_media, "count": len(media)}
        )
    problems += _media_problems(channel, limits, media)
    for item in media:
        if not str((item or {}).get("alt") or "").strip():
            problems.append(
                _(
                    "Describe every image for people who cannot see it (alt text missing on %(url)s)."
                )
                % {"url": str((item or {}).get("name") or (item or {}).get("url") or "?")[:80]}
            )
    if first_comment.strip():
        if not limits.first_comment:
            problems.append(
                _("%(channel)s does not take a first comment from Hearth: remove it.")
                % {"channel": channel.name}
            )
        elif len(first_comment.strip()) > limits.max_text:
            problems.append(
                _("The first comment for %(channel)s is longer than %(max)s characters.")
                % {"channel": channel.name, "max": limits.max_text}
            )
    return problems


def _formats(types: frozenset[str]) -> str:
    return ", ".join(sorted(t.split("/")[-1].upper().replace("QUICKTIME", "MOV") for t in types))


def _media_problems(channel: Channel, limits: PublishLimits, media: list[Any]) -> list[str]:
    """The platform's rules on files: how many, which kinds and types, how heavy."""
    problems: list[str] = []
    kinds = [str((item or {}).get("type") or "image") for item in media]
    videos = kinds.count("video")
    if videos > limits.max_videos and "video" in limits.media_types:
        problems.append(
            _(
                "%(channel)s takes at most %(max)s video per post; this variant has %(count)s: "
                "keep one."
            )
            % {"channel": channel.name, "max": limits.max_videos, "count": videos}
        )
    if videos and len(kinds) > videos and not limits.mix_media:
        problems.append(
            _(
                "%(channel)s does not mix images and a video in one post: keep the images or "
                "the video in this variant."
            )
            % {"channel": channel.name}
        )
    for item, kind in zip(media, kinds, strict=True):
        item = item or {}
        name = str(item.get("name") or item.get("url") or "?")[:80]
        if kind not in limits.media_types:
            problems.append(
                _("%(channel)s does not take %(type)s media in a post: remove “%(name)s”.")
                % {"channel": channel.name, "type": kind, "name": name}
            )
            continue
        content_type = str(item.get("content_type") or "")
        allowed = limits.video_types if kind == "video" else limits.image_types
        if content_type and content_type not in allowed:
            problems.append(
                _(
                    "%(channel)s does not take “%(name)s” (%(type)s): convert it to one of "
                    "%(formats)s."
                )
                % {
                    "channel": channel.name,
                    "name": name,
                    "type": content_type,
                    "formats": _formats(allowed),
                }
            )
        size = int(item.get("size") or 0)
        heaviest = limits.max_video_bytes if kind == "video" else limits.max_image_bytes
        if size > heaviest:
            problems.append(
                _(
                    "%(channel)s takes files up to %(max)s; “%(name)s” weighs %(size)s: compress "
                    "it or choose a lighter one."
                )
                % {
                    "channel": channel.name,
                    "name": name,
                    "max": human_size(heaviest),
                    "size": human_size(size),
                }
            )
    return problems


def rate_problem(
    channel: Channel, when: datetime, *, planned_in_hour: int, now: datetime
) -> str | None:
    """Whether the channel can take one more post at `when`: the platform's hourly cap (counting
    the posts already planned in the hour before) and a rate limit it is waiting out now."""
    limits = limits_of(channel)
    if limits.posts_per_hour is not None and planned_in_hour >= limits.posts_per_hour:
        return _(
            "%(channel)s takes at most %(max)s posts an hour and %(count)s are already planned "
            "in the hour before %(when)s: choose another time."
        ) % {
            "channel": channel.name,
            "max": limits.posts_per_hour,
            "count": planned_in_hour,
            "when": when.strftime("%Y-%m-%d %H:%M"),
        }
    if channel.rate_limited_until is not None and channel.rate_limited_until > max(when, now):
        return _(
            "%(channel)s asked Hearth to wait until %(until)s (its rate limit): choose a later "
            "time."
        ) % {"channel": channel.name, "until": channel.rate_limited_until.strftime("%H:%M")}
    return None


HOUR = timedelta(hours=1)
