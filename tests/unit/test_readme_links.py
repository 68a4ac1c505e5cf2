"""The README is the front door (issue 17): short, and every link in it resolves.

Reference text (rules, limits, figures) lives in the documentation site under docs/,
which `mkdocs build --strict` checks link by link; this checks the README itself, whose
relative links must also resolve where GitHub renders it: each one names a file or folder
of the repository and, with `#anchor`, a heading of that Markdown file.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
LIMIT = 8_000

INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
CODE = re.compile(r"`[^`\n]*`")


def links(markdown: str) -> list[str]:
    """Every link target of a Markdown text, outside code blocks and code spans."""
    text = CODE.sub("", FENCE.sub("", markdown))
    return INLINE.findall(text) + REFERENCE.findall(text)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped (letters of any
    script, digits, '-' and '_' kept), each space a hyphen. Explicit `{ #id }` attributes
    (MkDocs attr_list) give their id."""
    explicit = re.search(r"\{\s*#([\w-]+)[^}]*\}\s*$", heading)
    if explicit:
        return explicit.group(1)
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link in a heading: its text
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of a Markdown file's headings, numbered as GitHub numbers duplicates."""
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", FENCE.sub("", markdown), re.M):
        slug = github_slug(heading)
        n = seen.get(slug, 0)
        out.add(slug if n == 0 else f"{slug}-{n}")
        seen[slug] = n + 1
    return out


def test_the_readme_is_under_8000_characters():
    size = len(README.read_text(encoding="utf-8"))
    assert size < LIMIT, f"README.md has {size} characters; the limit is {LIMIT}: move reference text into docs/"


def test_every_relative_link_in_the_readme_resolves():
    text = README.read_text(encoding="utf-8")
    targets = links(text)
    assert targets, "the README links into the documentation site"
    broken = []
    for target in targets:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or target.startswith("mailto:"):
            continue  # an address on the web, not a file of this repository
        path = unquote(parts.path)
        file = README.parent / path if path else README
        if path.startswith("/") or not file.resolve().is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
            continue
        if not file.exists():
            broken.append(f"{target}: no such file")
            continue
        if parts.fragment:
            if file.suffix != ".md":
                broken.append(f"{target}: an anchor into a file that is not Markdown")
            elif unquote(parts.fragment) not in anchors(file.read_text(encoding="utf-8")):
                broken.append(f"{target}: no heading #{parts.fragment} in {path or 'README.md'}")
    assert not broken, "broken links in README.md:\n" + "\n".join(broken)


def test_the_link_checker_catches_a_missing_file_and_a_missing_anchor(tmp_path):
    # the checker itself: it finds inline and reference links, skips code, reads anchors
    text = ("[a](docs/index.md) ![b](docs/x.png \"t\") `[c](not-a-link.md)`\n\n"
            "```\n[d](in-a-fence.md)\n```\n[e]: docs/rules.md#top\n")
    assert links(text) == ["docs/index.md", "docs/x.png", "docs/rules.md#top"]
    assert anchors("# Rules in force and their sources\n## Tiếng Việt\n## A\n## A\n"
                   "## The service index (Decision 766/QĐ-TTg) { #service-index }\n") == {
        "rules-in-force-and-their-sources", "tiếng-việt", "a", "a-1", "service-index"}
