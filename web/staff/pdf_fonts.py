"""Fallback fonts for the printed slips, so a name in any script prints with real glyphs.

Roboto (the `font-roboto` package) covers Latin with Vietnamese, Greek and Cyrillic. For
the letters it lacks, the slip draws on Debian's Noto fonts (packages fonts-noto-core and
fonts-noto-cjk, installed by scripts/install-fonts.sh), through fpdf2's own fallback
mechanism (`FPDF.set_fallback_fonts`) and HarfBuzz shaping (`FPDF.set_text_shaping`, for
Arabic joining, right-to-left order and the marks of Thai, Khmer, Devanagari...).

A fallback font is added to a PDF only when a text of that PDF needs it, so a slip in
Vietnamese alone embeds and costs what it did before. The fonts are found by file name in
the standard font directories (XDG_DATA_DIRS/fonts, as fontconfig looks). When one is not
installed, the slip still prints: the other text as usual, the letters no installed font
has left blank, and one warning in the log per process.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fallback:
    family: str       # the name the PDF knows it by
    file: str         # the file name in Debian's package
    scripts: str      # what it is here for (documentation and the log)
    face: int = 0     # the face in a font collection (.ttc)


# In order of preference: fpdf2 takes, for each letter, the first font here that has it.
# Chosen for the names and addresses a one-stop shop in Vietnam meets: its neighbours and
# minorities (Chinese, Khmer, Thai, Lao, Cham, Tai Viet, Myanmar), and foreign residents.
FALLBACKS = (
    Fallback("NotoSans", "NotoSans-Regular.ttf", "Latin, Greek and Cyrillic letters Roboto lacks"),
    Fallback("NotoSansCJK", "NotoSansCJK-Regular.ttc", "Chinese, Japanese, Korean", face=2),  # the SC face
    Fallback("NotoSansArabic", "NotoSansArabic-Regular.ttf", "Arabic"),
    Fallback("NotoSansHebrew", "NotoSansHebrew-Regular.ttf", "Hebrew"),
    Fallback("NotoSansThai", "NotoSansThai-Regular.ttf", "Thai"),
    Fallback("NotoSansLao", "NotoSansLao-Regular.ttf", "Lao"),
    Fallback("NotoSansKhmer", "NotoSansKhmer-Regular.ttf", "Khmer"),
    Fallback("NotoSansMyanmar", "NotoSansMyanmar-Regular.ttf", "Myanmar"),
    Fallback("NotoSansCham", "NotoSansCham-Regular.ttf", "Cham"),
    Fallback("NotoSansTaiViet", "NotoSansTaiViet-Regular.ttf", "Tai Viet"),
    Fallback("NotoSansDevanagari", "NotoSansDevanagari-Regular.ttf", "Devanagari"),
    Fallback("NotoSansBengali", "NotoSansBengali-Regular.ttf", "Bengali"),
    Fallback("NotoSansTamil", "NotoSansTamil-Regular.ttf", "Tamil"),
    Fallback("NotoSansArmenian", "NotoSansArmenian-Regular.ttf", "Armenian"),
    Fallback("NotoSansGeorgian", "NotoSansGeorgian-Regular.ttf", "Georgian"),
)
_warned: set[str] = set()


def font_dirs() -> list[Path]:
    """The system font directories fontconfig reads by default (XDG base directories)."""
    data = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    return [Path(d) / "fonts" for d in data.split(":") if d]


@lru_cache(maxsize=1)
def installed() -> dict[str, Path]:
    """{file name: path} of the fallback fonts present, looked up once per process."""
    wanted, found = {f.file for f in FALLBACKS}, {}
    for root in font_dirs():
        if root.is_dir():
            for path in root.rglob("Noto*"):
                if path.name in wanted:
                    found.setdefault(path.name, path)
    return found


@lru_cache(maxsize=None)
def coverage(path: str, face: int = 0) -> frozenset[int]:
    """The code points a font has glyphs for (its cmap only, read once per process)."""
    with TTFont(path, fontNumber=face, lazy=True) as font:
        return frozenset(font.getBestCmap())


class Cover:
    """What one PDF has added: `needs(text)` says which fallback fonts a text calls for
    that the PDF does not have yet (each at most once per PDF)."""

    def __init__(self, primary: Path):
        self.covered = set(coverage(str(primary)))
        self.added: list[Fallback] = []

    def needs(self, text: str) -> list[tuple[Fallback, Path]]:
        missing = {ord(c) for c in text if not c.isspace()} - self.covered
        if not missing:
            return []
        here, out = installed(), []
        for f in FALLBACKS:
            if f in self.added or f.file not in here:
                continue
            has = coverage(str(here[f.file]), f.face)
            if missing & has:
                out.append((f, here[f.file]))
                self.added.append(f)
                self.covered |= has
                missing -= has
                if not missing:
                    break
        self.covered |= missing  # asked once: a letter no font has is not looked up again
        if missing:
            _warn_once(missing, here)
        return out


def _warn_once(missing: set[int], here: dict[str, Path]) -> None:
    absent = [f for f in FALLBACKS if f.file not in here]
    key = ",".join(f.family for f in absent) or "-"
    if key in _warned:
        return
    _warned.add(key)
    sample = " ".join(f"U+{c:04X}" for c in sorted(missing)[:5])
    if absent:
        log.warning("PDF slips: fallback fonts not installed (%s: %s); letters such as %s print "
                    "blank. scripts/install-fonts.sh installs them.",
                    ", ".join(f.file for f in absent), ", ".join(f.scripts for f in absent), sample)
    else:
        log.warning("PDF slips: no installed font has letters such as %s; they print blank.", sample)
