"""French ships complete on the pages people use: rendered in French with demo-like data (a
crisis, flagged messages, a sanction and a pending appeal, a destination), no page shows a
string of the catalogue in English, and the catalogue keeps French typography."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import item
from django.utils import timezone

import hearth
from hearth.conversations.models import Author, Thread
from hearth.listening.actions import create_query
from hearth.listening.models import CrisisRoom
from hearth.moderation.actions.appeals import submit_appeal
from hearth.moderation.actions.hide import hide_message
from hearth.moderation.actions.links import appeal_token
from hearth.moderation.actions.sanctions import sanction_person
from hearth.notify.actions import add_destination
from hearth.pipeline.ingest import ingest_batch

PO = Path(hearth.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# Words that are the same in both languages, or names, are not evidence of a missing translation.
SAME_IN_BOTH = {
    "Menu",
    "Message",
    "Messages",
    "Mentions",
    "Action",
    "Article",
    "Date",
    "Description",
}


def _catalogue() -> dict[str, str]:
    text = PO.read_text(encoding="utf-8")
    found = re.findall(
        r'^(msgctxt ".*"\n)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text + "\n", flags=re.M
    )
    # A message with a context ("Enter" a contest) is not the plain word ("Enter" the key).
    pairs = [(a, b) for context, a, b in found if not context]

    def join(block: str) -> str:
        joined = "".join(re.findall(r'^"(.*)"$', block, flags=re.M))
        return joined.replace('\\"', '"').replace("\\n", "\n")

    return {join(a): join(b) for a, b in pairs if join(a)}


class _Texts(HTMLParser):
    """The text a person reads: text nodes and the attributes screen readers and tooltips show."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.nodes: set[str] = set()  # text nodes (not attributes): "Lumio · owner" is two texts
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "textarea", "code"):
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "placeholder", "aria-label") and value:
                self.texts.append(value.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "textarea", "code"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))
            self.nodes.add(self.texts[-1])


def _english_leftovers(html: str, catalogue: dict[str, str]) -> set[str]:
    english = {
        msgid
        for msgid, msgstr in catalogue.items()
        if msgstr != msgid and "%(" not in msgid and "{" not in msgid and msgid not in SAME_IN_BOTH
    }
    parser = _Texts()
    parser.feed(html)
    found = set()
    for text in parser.texts:
        parts = [p.strip() for p in text.split("·")] if text in parser.nodes else []
        for candidate in (text, text.rstrip(" :→…").strip(), text.lstrip("←✓ ").strip(), *parts):
            if candidate in english:
                found.add(candidate)
    return found


@pytest.fixture
def lived_in(workspace, make_channel, personas, actor):
    """A workspace as the demo leaves it: messages of every kind, a crisis, a hidden message, a
    sanction with a pending appeal by a second moderator, an alert destination."""
    channel = make_channel(workspace, name="Acme page", kind="demo")
    now = timezone.now()
    query = create_query(workspace, name="Acme", expression="acme", category="brand", by=actor)
    ingest_batch(
        channel,
        [
            item("q1", "How do I reset my acme lamp?", author="zoe", minutes=50),
            item("n1", "acme support is terrible, never again", author="max", minutes=40),
            item("a1", "You are a stupid idiot, shut up", author="troll", minutes=30),
            item("p1", "Love the new acme lamp, great job!", author="lea", minutes=20),
            item("s1", "You should add a timer to the acme app", author="sam", minutes=10),
        ],
    )
    author = Author.objects.get(external_id="troll")
    hide_message(
        author.messages.get(),
        by=personas.actor("moderator"),
        article="1",
        justification="Insulte envers un membre",
    )
    sanction = sanction_person(author, article="1", by=personas.actor("moderator2"))
    submit_appeal(appeal_token(sanction), "I was provoked, please look again at the thread.")
    room = CrisisRoom.objects.create(
        workspace=workspace,
        query=query,
        kind="volume",
        onset_at=now - timedelta(minutes=45),
        detected_at=now - timedelta(minutes=35),
        last_alarm_at=now - timedelta(minutes=35),
        observed=6.0,
        expected=0.5,
    )
    add_destination(
        workspace, name="On call", kind="email", target="ops@acme.test", by=personas.actor("owner")
    )
    return {"room": room, "thread": Thread.objects.filter(workspace=workspace).first()}


def test_main_pages_in_french_show_no_english_from_the_catalogue(personas, lived_in):
    catalogue = _catalogue()
    client = personas.client("owner")
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    pages = [
        "/",
        "/inbox/",
        f"/inbox/t/{lived_in['thread'].pk}/",
        "/moderation/",
        "/moderation/sanctions/",
        "/moderation/log/",
        "/moderation/rules/",
        "/listening/",
        "/listening/trends/",
        f"/listening/crisis/{lived_in['room'].pk}/",
        "/listening/alerts/",
        "/channels/",
        "/settings/hours/",
        "/settings/alerts/",
        "/settings/thresholds/",
        "/settings/audit/",
        "/banners/",
    ]
    leftovers = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        found = _english_leftovers(response.content.decode(), catalogue)
        if found:
            leftovers[url] = sorted(found)
    client.post("/logout/")
    found = _english_leftovers(client.get("/login/").content.decode(), catalogue)
    if found:
        leftovers["/login/"] = sorted(found)
    assert leftovers == {}


def test_the_analysis_reason_reads_in_french_on_the_queue_and_the_thread(personas, lived_in):
    from hearth.analysis.reasons import KIND_MEANING
    from hearth.conversations.models import Message

    channel = lived_in["thread"].channel
    ingest_batch(channel, [item("a2", "You are all idiots and morons", author="rude", minutes=5)])
    flagged = Message.objects.get(external_id="a2")
    assert flagged.analysis_reason.startswith("[")  # codes, not prose, in the database
    client = personas.client("owner")
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    english = [str(meaning) for meaning in KIND_MEANING.values()]
    for url in ("/moderation/", f"/inbox/t/{flagged.thread_id}/"):
        html = client.get(url).content.decode()
        assert "insulte visant une personne ou un groupe" in html, url
        assert not [e for e in english if e in html], url
        assert "abuse:" not in html and "rule:" not in html, url


def test_the_detector_finds_an_english_leftover():
    catalogue = {"Open the inbox": "Ouvrir la boîte de réception", "Menu": "Menu"}
    html = '<p>Ouvrir</p><a title="Open the inbox">x</a><span>Menu</span><script>"Open the inbox"</script>'
    assert _english_leftovers(html, catalogue) == {"Open the inbox"}


def test_french_catalogue_uses_french_typography():
    catalogue = _catalogue()
    # HTTP header names ("X-Hearth-Signature: …") are code, quoted as they are sent.
    bad_spacing = [
        s
        for s in catalogue.values()
        if re.search(r"[ \w][:;!?](?:\s|$)", re.sub(r"X-[\w-]+:", "", s.replace("://", "")))
    ]
    # Straight quotes stay where they are syntax a person types (JSON, the query language).
    english_quotes = [
        s
        for s in catalogue.values()
        if re.search(r'"[^"<>=]*"', s) and not re.search(r"data-|\{|\bAND\b", s)
    ]
    # An elision ("s’est", "l’analyse") takes the typographic apostrophe, not the typewriter one.
    straight_apostrophes = [s for s in catalogue.values() if re.search(r"\w'\w", s)]
    assert bad_spacing == []
    assert english_quotes == []
    assert straight_apostrophes == []
