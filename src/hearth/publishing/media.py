"""What a file of the media library really is, found in its bytes (never the browser's word).

Images are opened by Pillow (JPEG, PNG, GIF, WebP only: an SVG can carry script, a TIFF or a
BMP no platform takes); videos are recognised by their container's signature (MP4 and
QuickTime's `ftyp` box, WebM's EBML header). Anything else is refused with what to do.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _

IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "GIF": ("image/gif", ".gif"),
    "WEBP": ("image/webp", ".webp"),
}
VIDEO_EXT = {"video/mp4": ".mp4", "video/quicktime": ".mov", "video/webm": ".webm"}


class NotMedia(ValueError):
    """The file is not an image or video the library takes (the message says what to do)."""


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image | video
    content_type: str
    extension: str
    width: int | None = None
    height: int | None = None


def _video(head: bytes) -> str | None:
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand[:3] in (b"iso", b"mp4", b"avc", b"M4V", b"mp7", b"dash") or brand[:2] == b"mp":
            return "video/mp4"
    return None


def sniff(stream: IO[bytes]) -> Sniffed:
    """The kind, type and size in pixels of the file, or NotMedia. The stream is rewound."""
    from PIL import Image, UnidentifiedImageError

    stream.seek(0)
    head = stream.read(32)
    stream.seek(0)
    video = _video(head)
    if video is not None:
        return Sniffed(kind="video", content_type=video, extension=VIDEO_EXT[video])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as image:
                fmt = image.format or ""
                width, height = image.size
                image.verify()
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise NotMedia(
            _(
                "This file is not an image (JPEG, PNG, GIF, WebP) or a video (MP4, MOV, WebM) "
                "that Hearth can read: export it in one of these formats."
            )
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise NotMedia(
            _("This image is damaged or cut short: export it again, then upload it.")
        ) from None
    finally:
        stream.seek(0)
    if fmt not in IMAGE_FORMATS:
        raise NotMedia(
            _(
                "Hearth takes JPEG, PNG, GIF and WebP images; this one is %(format)s: export it "
                "as JPEG or PNG."
            )
            % {"format": fmt or "?"}
        )
    content_type, extension = IMAGE_FORMATS[fmt]
    return Sniffed(
        kind="image", content_type=content_type, extension=extension, width=width, height=height
    )


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"
