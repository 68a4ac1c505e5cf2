"""What a person reads on a page, for the language tests (test_english_pages.py): the text
of every element and the attributes people read or hear (title, aria-label, placeholder,
alt, a button's value), without scripts and styles, and without what the page itself
marks as another language (`lang="vi"` inside an English page), which the test checks
separately. Then: the catalog's and the users' data taken out, and what remains searched
for Vietnamese words."""
from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import yaml

READ_ATTRS = ("title", "aria-label", "placeholder", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
# letters only Vietnamese uses among the languages of the pages (đ ơ ư ă â ê ô), and the
# five tone marks: grave, acute, tilde, hook above, dot below (after NFD decomposition)
VIET_LETTERS = set("đĐơƠưƯăĂâÂêÊôÔ")
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# numbers of legal documents are identifiers, not words: 118/2025/NĐ-CP, 143/KH-UBND,
# 03/2025/TT-VPCP, 2640/QĐ-BNV (the Đ is part of the number)
LEGAL_NUMBER = re.compile(r"\b\d+(?:/\d{4})?/[A-ZĐ]+(?:-[A-ZĐ]+)+")


class Reader(HTMLParser):
    """Text pieces of a page; `marked` collects the elements written in another language."""

    def __init__(self, page_lang: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []  # (tag, language in force)
        self.page_lang = page_lang
        self.pieces: list[str] = []
        self.marked: list[tuple[str, dict, str]] = []  # (tag, attrs, language)
        self.skip = 0

    def lang(self) -> str:
        return self.stack[-1][1] if self.stack else self.page_lang

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang") or self.lang()
        if tag == "html":
            self.page_lang = lang
        elif "lang" in attrs and attrs["lang"] != self.page_lang:
            self.marked.append((tag, attrs, attrs["lang"]))
        if lang == self.page_lang:
            for name in READ_ATTRS:
                if attrs.get(name):
                    self.pieces.append(attrs[name])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.pieces.append(attrs["value"])
        if tag in ("script", "style"):
            self.skip += 1
        if tag not in VOID:
            self.stack.append((tag, lang))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        for i in range(len(self.stack) - 1, -1, -1):  # tolerate unclosed <p>, <li>, ...
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not self.skip and self.lang() == self.page_lang and data.strip():
            self.pieces.append(data)


def read(html: str, page_lang: str = "vi") -> Reader:
    reader = Reader(page_lang)
    reader.feed(html)
    reader.close()
    return reader


def is_vietnamese(word: str) -> bool:
    return any(c in VIET_LETTERS for c in word) or \
        any(c in TONE_MARKS for c in unicodedata.normalize("NFD", word))


def strings_of(value) -> set[str]:
    """Every string inside a YAML/JSON value (names, notes, reasons, legal bases...)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(strings_of(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(strings_of(v) for v in value)) if value else set()
    return set()


def catalog_strings(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in sorted(folder.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            found |= strings_of(doc)
    return found


def without(text: str, data: list[str]) -> str:
    """`text` with every piece of data (longest first) and every legal number taken out."""
    for value in data:
        if value:
            text = text.replace(value, " ")
    return LEGAL_NUMBER.sub(" ", text)


def vietnamese_words(pieces: list[str], data: list[str]) -> list[str]:
    """The Vietnamese words left in the page's own text once the data is out, each in its
    sentence (so the untranslated string can be found)."""
    found = []
    for piece in pieces:
        rest = without(" ".join(piece.split()), data)
        if any(is_vietnamese(w) for w in rest.split()):
            found.append(rest.strip())
    return sorted(set(found))


ENGLISH_WORDS = re.compile(r"\b(?:the|and|of|is|are|please|your|with|this|for|not|was|has|"
                           r"page|error|dossier|invalid|found)\b", re.IGNORECASE)


def english_words(pieces: list[str], data: list[str]) -> list[str]:
    """The light reverse check: English function words left in a Vietnamese page."""
    found = []
    for piece in pieces:
        rest = without(" ".join(piece.split()), data)
        if ENGLISH_WORDS.search(rest):
            found.append(rest.strip())
    return sorted(set(found))
