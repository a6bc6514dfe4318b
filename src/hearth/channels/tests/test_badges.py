"""Platform marks are coloured by classes, since the Content-Security-Policy forbids style=."""

from __future__ import annotations

from pathlib import Path

from hearth.channels.views import BADGES, badge

CSS = Path(__file__).resolve().parents[1] / "static" / "channels" / "channels.css"


def test_every_platform_mark_has_its_colour_rule_in_the_stylesheet() -> None:
    css = CSS.read_text()
    for key, (_letters, colour) in BADGES.items():
        assert f".badge-{key} {{ background: {colour}; }}" in css, key
    assert ".badge-other {" in css


def test_a_demo_channel_shows_the_mark_of_the_platform_it_simulates() -> None:
    assert badge("demo", "Mastodon")["badge"] == "badge-mastodon"
    assert badge("rss")["badge"] == "badge-rss"
    assert badge("not-a-platform")["badge"] == "badge-other"
