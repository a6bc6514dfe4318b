"""RSS/Atom channels against a real local HTTP server serving real-world-shaped feed files."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command

from hearth.channels.connectors.base import FatalConnectorError, RetryLater
from hearth.channels.connectors.rss import RssConnector, strip_html
from hearth.channels.models import Channel
from hearth.conversations.models import Message
from hearth.core.actions import ActionError
from hearth.listening.models import Mention
from hearth.pipeline.sync import sync

FEEDS = Path(__file__).parent / "feeds"


class FeedHandler(SimpleHTTPRequestHandler):
    hits: list[dict[str, str]] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(FEEDS), **kwargs)

    def do_GET(self):  # noqa: N802
        FeedHandler.hits.append(dict(self.headers))
        if self.path == "/gone.xml":
            self.send_error(410)
            return
        if self.path == "/busy.xml":
            self.send_response(503)
            self.send_header("Retry-After", "120")
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def feeds_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(FeedHandler))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def feed(workspace, make_channel, feeds_url):
    def make(name):
        return make_channel(
            workspace,
            name=name,
            slug=name.split(".")[0].replace("_", "-"),
            kind="rss",
            config={"url": f"{feeds_url}/{name}"},
        )

    return make


def test_rss2_entries_flow_through_the_pipeline_and_match_queries(feed, queries, workspace, actor):
    from hearth.listening.actions import create_query

    lumio = create_query(workspace, name="Lumio", expression='lumio OR "mise a jour"', by=actor)
    channel = feed("rss2.xml")
    assert sync(channel.pk) == 2
    first = Message.objects.get(
        channel=channel, external_id="https://maison-connectee.example/?p=4812"
    )
    assert first.kind == "post" and first.text.startswith(
        "Lumio Halo : la mise à jour 4.2.0 fait débat\n\nDe nombreux"
    )
    assert first.author.display_name == "Claire Martin"
    assert first.created_at == datetime(2026, 11, 21, 17, 5, tzinfo=UTC)
    assert first.url == "https://maison-connectee.example/2026/11/lumio-halo-4-2-0/"
    assert first.lang == "fr"
    assert Mention.objects.filter(query=lumio, message=first).exists()
    assert sync(channel.pk) == 0  # a second pass stores nothing twice
    assert Channel.objects.get(pk=channel.pk).cursor.startswith("{")


def test_a_304_costs_nothing(feed):
    channel = feed("rss2.xml")
    sync(channel.pk)
    FeedHandler.hits.clear()
    sync(channel.pk)
    assert FeedHandler.hits[-1].get(
        "If-Modified-Since"
    )  # the validator from the first answer was sent back


def test_atom_entries_use_ids_authors_and_dates(feed):
    channel = feed("atom.xml")
    assert sync(channel.pk) == 2
    brillo = Message.objects.get(
        channel=channel, external_id="tag:smarthomeweekly.example,2026-11-21:brillo-price-cut"
    )
    assert brillo.author.display_name == "Dana Wright"
    assert brillo.created_at == datetime(
        2026, 11, 21, 8, 0, tzinfo=UTC
    )  # published wins over updated
    review = Message.objects.get(channel=channel, external_id__endswith="glow-mini-review")
    assert review.author.display_name == "Smart Home Weekly"  # the feed's author
    assert review.created_at == datetime(2026, 11, 19, 14, 30, tzinfo=UTC)
    assert review.text == "Lumio Glow Mini review\n\nA tiny lamp with a big light."


def test_html_is_stripped_scripts_and_styles_dropped(feed):
    channel = feed("html_descriptions.xml")
    sync(channel.pk)
    text = Message.objects.get(channel=channel).text
    assert "<" not in text and "alert" not in text and "color:red" not in text
    assert "Show us your Halo and Dusk setups!" in text and "Bedroom lights" in text


def test_missing_dates_guids_and_authors_get_sensible_values(feed):
    channel = feed("missing_dates.xml")
    assert sync(channel.pk) == 2  # the empty item is skipped
    store = Message.objects.get(channel=channel, external_id="https://watch.example/nordlys-paris")
    assert store.author.display_name == "Competitor Watch"
    assert store.created_at.tzinfo is not None
    ceo = Message.objects.get(channel=channel, text__startswith="Brillo hires")
    assert ceo.external_id.startswith("Brillo hires a new CEO")


def test_a_malformed_but_readable_feed_is_read(feed):
    channel = feed("malformed_rss.xml")
    assert sync(channel.pk) == 1
    assert Message.objects.get(channel=channel).external_id == "sloppy-1"


def test_broken_and_failing_feeds_raise_typed_errors(feed, workspace, make_channel, feeds_url):
    with pytest.raises(FatalConnectorError, match="not a readable feed"):
        RssConnector(feed("broken.xml")).fetch("")
    with pytest.raises(FatalConnectorError, match="HTTP 410"):
        RssConnector(feed("gone.xml")).fetch("")
    with pytest.raises(RetryLater) as caught:
        RssConnector(feed("busy.xml")).fetch("")
    assert caught.value.after_s == 120
    with pytest.raises(RetryLater):
        RssConnector(
            make_channel(
                workspace, name="Down", kind="rss", config={"url": "http://127.0.0.1:9/feed"}
            )
        ).fetch("")


def test_channel_create_command_and_url_validation(workspace, feeds_url, make_channel):
    call_command(
        "channel",
        "create",
        "--workspace",
        workspace.slug,
        "--name",
        "Press",
        "--kind",
        "rss",
        "--url",
        f"{feeds_url}/atom.xml",
    )
    channel = Channel.objects.get(workspace=workspace, slug="press")
    assert channel.kind == "rss" and channel.config == {"url": f"{feeds_url}/atom.xml"}
    assert sync(channel.pk) == 2
    with pytest.raises(ActionError, match="url is missing"):
        make_channel(workspace, name="No URL", kind="rss")


def test_strip_html_keeps_text_and_decodes_entities():
    assert strip_html("<p>Caf&eacute; &amp; cr&egrave;me</p><p>two</p>") == "Café & crème\ntwo"
