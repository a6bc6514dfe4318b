"""The composer's library pages in French show no English from the catalogue."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from hearth.publishing.actions.feeds import save_feed
from hearth.publishing.actions.library import save_snippet, upload_media
from hearth.publishing.tests.test_media import png
from hearth.web.tests.test_french_pages import _catalogue, _english_leftovers


@pytest.fixture(autouse=True)
def _back_to_english() -> Iterator[None]:
    # The French requests leave French active in this thread; the next tests expect English.
    yield
    translation.deactivate()


def test_library_pages_in_french(personas: Any, demo_channel: Any) -> None:
    by = personas.actor("manager")
    upload_media(personas.workspace, io.BytesIO(png()), name="lampe.png", size=len(png()), by=by)
    save_snippet(personas.workspace, kind="hashtags", name="Lumière", body="lampe déco", by=by)
    save_feed(
        personas.workspace,
        name="Blog",
        url="https://lumio.example/rss",
        channel_ids=[demo_channel.pk],
        by=by,
    )
    catalogue = _catalogue()
    client = personas.client("manager")
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    leftovers = {}
    for url in (
        "/publishing/compose/",
        "/publishing/media/",
        "/publishing/snippets/",
        "/publishing/feeds/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        found = _english_leftovers(response.content.decode(), catalogue)
        if found:
            leftovers[url] = sorted(found)
    assert leftovers == {}
    assert "Médiathèque" in client.get("/publishing/media/").content.decode()
