"""French ships complete: every UI string has a translation, and the compiled catalogue is current."""

import gettext
import re
from collections import Counter
from pathlib import Path

import hearth

LOCALE = Path(hearth.__file__).parent / "locale" / "fr" / "LC_MESSAGES"


def _po_entries() -> list[tuple[str, str]]:
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = re.findall(
        r'^(?:msgctxt "(.*)"\n)?msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)', text + "\n", flags=re.M
    )

    def join(block: str) -> str:
        return "".join(re.findall(r'^"(.*)"$', block, flags=re.M))

    # A message with a context (`{% translate "active" context "token" %}`) is keyed
    # "context\x04msgid" in the compiled catalogue.
    return [(f"{c}\x04{join(a)}" if c else join(a), join(b)) for c, a, b in entries if join(a)]


def test_every_french_string_is_translated():
    entries = _po_entries()
    assert len(entries) > 50
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert untranslated == []
    assert "#, fuzzy" not in (LOCALE / "django.po").read_text(encoding="utf-8")


def test_no_message_is_defined_twice():
    # Branches append to the catalogue and git merges it by union: two translations of one
    # message would leave which one wins to the compiler.
    counts = Counter(msgid for msgid, _ in _po_entries())
    assert [msgid for msgid, n in counts.items() if n > 1] == []


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


def test_every_abuse_kind_of_the_engine_has_a_french_label():
    from django.utils import translation

    from hearth.analysis.engine import ABUSE_KINDS
    from hearth.web.templatetags.hearth_ui import abuse_label

    with translation.override("fr"):
        untranslated = [kind for kind in ABUSE_KINDS if kind and abuse_label(kind) == kind]
    assert untranslated == []


def test_every_message_the_python_code_marks_is_in_the_french_catalogue():
    """A `gettext`/`_t`/`gettext_lazy` string added without its French entry shows in English to
    a French reader, and no page test sees it when it only appears on an error path."""
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    with (LOCALE / "django.po").open("rb") as handle:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    keywords = {
        "_": None,
        "_t": None,
        "gettext": None,
        "gettext_lazy": None,
        "ngettext": (1, 2),
        "ngettext_lazy": (1, 2),
    }
    root = Path(hearth.__file__).parent
    missing = []
    for path in sorted(root.rglob("*.py")):
        if {"tests", "migrations"} & set(path.parts) or path.name.startswith("testing"):
            continue
        for lineno, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=keywords
        ):
            msgid = message if isinstance(message, str) else message[0]
            if msgid and msgid not in known:
                missing.append(f"{path.relative_to(root)}:{lineno}: {msgid}")
    assert missing == []


def test_gettext_checks_the_french_catalogue_without_an_error():
    """`msgfmt --check` refuses what Babel's compiler lets through: a plural entry translated twice,
    a duplicated message, a format placeholder the translation lost."""
    import shutil
    import subprocess

    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt is missing: install gettext (apt-get install gettext)"
    result = subprocess.run(  # noqa: S603 - a fixed tool on a file of the repository
        [msgfmt, "--check", "-o", "/dev/null", str(LOCALE / "django.po")],
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in result.stderr.splitlines() if "warning:" not in line]
    assert result.returncode == 0, "\n".join(errors)
