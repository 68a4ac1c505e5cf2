"""The English catalog is complete and compiled: every text a page shows in Vietnamese
has its English msgstr, and the committed .mo is the compiled .po."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "web"
PO = WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def catalog():
    with open(PO, "rb") as fh:
        return read_po(fh, locale="en")


def test_every_message_has_an_english_translation():
    untranslated = [m.id for m in catalog() if m.id and (not m.string or m.fuzzy)]
    assert not untranslated, f"fill these msgstr in {PO}: {untranslated}"


def _plain(value):
    """A message's id or string; a plural one (ngettext) as a tuple of its forms."""
    return value if isinstance(value, str) else tuple(value)


def test_every_text_in_the_pages_is_in_the_catalog():
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog() if m.id}
    # the aliases the pages use; other catalogs (e.g. SURVEYS.gettext) are not this one's
    keywords = {"_": None, "_l": None, "ngettext": (1, 2)}
    used = {msg[2] if isinstance(msg[2], str) else msg[2][0]
            for msg in extract_from_dir(str(WEB), METHODS, keywords=keywords)}
    missing = sorted(used - known)
    assert not missing, f"run `make translations` and translate: {missing}"


def test_compiled_catalog_matches_the_source():
    with open(MO, "rb") as fh:
        compiled = {_plain(m.id): _plain(m.string) for m in read_mo(fh) if m.id}
    source = {_plain(m.id): _plain(m.string) for m in catalog() if m.id}
    assert compiled == source, "run `make translations` (pybabel compile) and commit the .mo"
