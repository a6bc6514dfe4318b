"""No poison message: hostile texts are sanitised at normalisation, and an item that still fails
the pipeline is quarantined with its reason while the rest of its batch is stored.

Runs on SQLite by default and on PostgreSQL with HEARTH_DATABASE_URL=postgres://… (NUL and lone
surrogates are what PostgreSQL refuses).
"""

from __future__ import annotations

import csv
import json

import pytest
from conftest import item
from django.core.management import call_command

from hearth.channels.models import QuarantinedItem
from hearth.conversations.models import Author, Message
from hearth.core.actors import Actor
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.normalise import MAX_DEPTH, MAX_TEXT, TRUNCATED
from hearth.pipeline.quarantine import retry_quarantined
from hearth.pipeline.stages import Stage


def _nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth):
        value = {"x": value}
    return value


HOSTILE = {
    "surrogate": "cut emoji \ud83d here",
    "low-surrogate": "\udc00 alone",
    "nul": "nul\x00byte",
    "rtl": "invoice \u202egnp.exe and \u2066isolate\u2069",
    "zero-width": "a\u200b\u200c\u200d\ufeffb",
    "control": "bell\x07 and escape\x1b[31m",
    "combining": "Z\u0351\u0336\u0334" * 500,
    "megabyte": "x" * 1_000_000,
    "emoji": "👍🏽👨‍👩‍👧 family",
    "newlines": "\r\n\r\n\u2028\u2029",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_hostile_text_is_stored_sanitised(channel, name):
    raw = item(f"h-{name}", HOSTILE[name], author=f"a-{name}")
    raw["author"]["display_name"] = HOSTILE[name]
    report = ingest_batch(channel, [raw, item("ok", "a normal message", author="n")])
    assert (report.created, report.errors, report.quarantined) == (2, [], [])
    stored = Message.objects.get(external_id=f"h-{name}").text
    assert "\x00" not in stored and not any("\ud800" <= ch <= "\udfff" for ch in stored)
    assert len(stored) <= MAX_TEXT
    if len(HOSTILE[name]) > MAX_TEXT:
        assert stored.endswith(TRUNCATED)
    stored.encode("utf-8")  # strict: what PostgreSQL and every client need
    author = Author.objects.get(external_id=f"a-{name}")
    assert len(author.display_name) <= 191 and "\x00" not in author.display_name


def test_surrogate_and_nul_become_the_replacement_character(channel):
    ingest_batch(channel, [item("s", "a\ud800b\x00c")])
    assert Message.objects.get(external_id="s").text == "a\ufffdb\ufffdc"


def test_deep_nesting_is_refused_for_that_item_only(channel):
    deep = item("deep", "deep")
    deep["metrics"] = _nested(MAX_DEPTH + 5)
    report = ingest_batch(channel, [deep, item("fine")])
    assert report.created == 1
    assert [(e.position, e.field) for e in report.errors] == [(0, "(item)")]


def test_links_other_than_http_are_dropped(channel):
    ingest_batch(
        channel,
        [
            item("j", url="javascript:alert(1)"),
            item("d", url="data:text/html,<script>"),
            item("h", url="HTTPS://example.org/ok"),
        ],
    )
    urls = dict(Message.objects.values_list("external_id", "url"))
    assert urls == {"j": "", "d": "", "h": "HTTPS://example.org/ok"}


class PoisonStage(Stage):
    """Fails any batch holding a message that says POISON (what a bug in a stage would do)."""

    name = "poison"

    def before_insert(self, batch):
        if any("POISON" in m.text for m in batch.created):
            raise RuntimeError("the poison stage choked")


@pytest.fixture
def poisoned(settings):
    settings.HEARTH_PIPELINE_STAGES = [
        *settings.HEARTH_PIPELINE_STAGES,
        "hearth.pipeline.tests.test_poison.PoisonStage",
    ]


def test_an_item_failing_the_pipeline_is_quarantined_and_the_rest_stored(channel, poisoned):
    items = [item(f"g{i}", author=f"u{i}", minutes=i) for i in range(9)]
    items.insert(4, item("bad", "POISON here", author="x", minutes=4))
    report = ingest_batch(channel, items, cursor="c-42")
    assert (report.created, report.quarantined) == (9, [4])
    assert Message.objects.count() == 9
    entry = QuarantinedItem.objects.get()
    assert entry.external_id == "bad" and "RuntimeError: the poison stage choked" in entry.reason
    assert json.loads(entry.raw)["text"] == "POISON here"
    channel.refresh_from_db()
    assert channel.cursor == "c-42"  # the batch is done: the quarantined item is kept, not lost
    # Delivered again, it fails again: one entry, one more attempt.
    ingest_batch(channel, [item("bad", "POISON here", author="x", minutes=4)])
    assert QuarantinedItem.objects.get().attempts == 2


def test_a_quarantined_item_is_retried_once_the_cause_is_fixed(channel, poisoned, settings):
    ingest_batch(channel, [item("bad", "POISON here")])
    entry = QuarantinedItem.objects.get()
    assert retry_quarantined(entry, by=Actor.system()) is False  # still failing
    settings.HEARTH_PIPELINE_STAGES = settings.HEARTH_PIPELINE_STAGES[:-1]
    call_command("quarantine", "retry", "--workspace", "acme", "--id", str(entry.pk))
    assert not QuarantinedItem.objects.exists()
    assert Message.objects.get(external_id="bad").text == "POISON here"


def test_the_channel_page_lists_quarantined_items(channel, poisoned, personas):
    ingest_batch(channel, [item("bad", "POISON here")])
    page = personas.client("owner").get(f"/channels/{channel.pk}/").content.decode()
    assert "RuntimeError: the poison stage choked" in page and "bad" in page
    assert personas.client("outsider").get(f"/channels/{channel.pk}/").status_code == 404


def test_import_stores_good_lines_of_a_hostile_jsonl(channel, tmp_path, capsys):
    lines = [json.dumps(item(f"p{i}", author=f"u{i % 5}", minutes=i)) for i in range(1500)]
    lines[700] = json.dumps(item("p700", "cut \ud83d emoji"))  # what crashed analysis before
    lines[701] = json.dumps(item("p701", "nul \x00"))
    lines[702] = json.dumps({"external_id": "p702", "kind": "post", "text": _nested(200)})
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import", str(path), workspace="acme", channel="forum", no_progress=True)
    out = capsys.readouterr()
    assert "1499 created" in out.out and "1 rejected" in out.out
    call_command("import", str(path), workspace="acme", channel="forum", no_progress=True)
    assert "1499 unchanged" in capsys.readouterr().out


def test_import_of_a_latin1_csv_with_a_huge_field_reports_instead_of_crashing(
    channel, tmp_path, capsys
):
    path = tmp_path / "export.csv"
    header = ["external_id", "kind", "author_external_id", "text", "created_at"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerow(["big", "post", "a", "y" * 200_000, "2026-11-01T09:00:00Z"])
        writer.writerow(["fine", "post", "b", "plain", "2026-11-01T09:01:00Z"])
    with path.open("ab") as handle:
        handle.write("latin,post,c,café crème,2026-11-01T09:02:00Z\n".encode("latin-1"))
    call_command("import", str(path), workspace="acme", channel="forum", no_progress=True)
    out = capsys.readouterr()
    assert "2 created" in out.out and "1 rejected" in out.out
    assert "not UTF-8" in out.err
    assert Message.objects.get(external_id="big").text.endswith(TRUNCATED)
