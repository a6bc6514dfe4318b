"""French ships complete: every UI string has a translation, and the compiled catalogue is current."""

import gettext
import re
from pathlib import Path

import hearth

LOCALE = Path(hearth.__file__).parent / "locale" / "fr" / "LC_MESSAGES"


def _po_entries() -> list[tuple[str, str]]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = re.findall(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text + "\n", flags=re.M)

    def join(block: str) -> str:
        return "".join(re.findall(r'^"(.*)"$', block, flags=re.M))

    return [(join(a), join(b)) for a, b in entries if join(a)]


def test_every_french_string_is_translated():
    entries = _po_entries()
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert untranslated == []
    assert "#, fuzzy" not in (LOCALE / "django.po").read_text(encoding="utf-8")


def test_compiled_catalogue_matches_the_po_file():
    with (LOCALE / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]  # private, not in typeshed
    for msgid, _msgstr in _po_entries():
        key = (
            msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
            if "\\" in msgid
            else msgid
        )
        assert key in catalogue, (
            f"{msgid!r} is in django.po but not in django.mo: run `make install` (it compiles the catalogues)"
        )
