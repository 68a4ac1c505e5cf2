"""Every input normalised and bounded at the edge, one rule per kind of value
(docs/reference/security.md, "Input rules and limits").

- Text: Unicode NFC (decomposed Vietnamese is stored and printed composed). Characters
  that can never be meant in a form or a JSON string are refused, not guessed at: NUL and
  the other C0/C1 control characters (tab and line breaks only in free text), lone
  surrogates and non-characters, and the bidirectional embedding/override/isolate
  controls, which change how text reads (Trojan Source, CVE-2021-42574).
- Single-line values (path segments, query values, names, codes) take no tab or line break.
- A name must hold at least one letter or digit (a zero-width space alone is no name).
- JSON: at most JSON_MAX_DEPTH levels of nesting, at most JSON_MAX_BYTES bytes (config).
- Dates: years 2000..2099; integer ids in paths: 1..2**31-1 (anything else cannot exist).

The checks raise InvalidInput / BadInput (domain errors), so the API answers the documented
JSON error object with a 4xx and pages show an error page; nothing is written.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from workflow.domain.errors import DomainError, InvalidInput

JSON_MAX_DEPTH = 32
DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2099, 12, 31)
ID_MAX = 2**31 - 1       # integer columns; a larger id cannot exist
URL_MAX = 4096           # characters of path plus query string (414 beyond)

# refused everywhere: C0 except TAB LF CR, DEL, C1, bidi controls, surrogates, non-characters
_NEVER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                    "\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\r\n\u2028\u2029\x85]")


class BadInput(DomainError):
    """A request whose bytes cannot be what anyone meant (bad JSON shape, bad URL)."""

    code = "bad_request"
    status = 400


def text(value: str, field: str | None = None, multiline: bool = True) -> str:
    """NFC text with nothing that can never be meant; refused (422) otherwise."""
    if _NEVER.search(value):
        bad = _NEVER.search(value).group()
        raise InvalidInput(f"control or invalid character U+{ord(bad):04X} is not accepted", field=field)
    if not multiline and _LINE_BREAKS.search(value):
        raise InvalidInput("tabs and line breaks are not accepted here", field=field)
    value = unicodedata.normalize("NFC", value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value


def line(value: str, field: str | None = None) -> str:
    return text(value, field, multiline=False)


def name(value: str, field: str | None = None) -> str:
    """A person's or an agency's name: one line, with at least one letter or digit."""
    value = line(value, field).strip()
    if not any(unicodedata.category(c)[0] in "LN" for c in value):
        raise InvalidInput("a name needs at least one letter", field=field)
    return value


def ascii_digits(value: str) -> str:
    """Digits of any script as ASCII digits (٤٣٢١ → 4321); everything else dropped."""
    return "".join(str(unicodedata.decimal(c)) for c in value if unicodedata.decimal(c, None) is not None)


def parse_date(raw: str, field: str) -> date:
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(f"'{field}' must be a date YYYY-MM-DD", field=field) from None
    return in_range(day, field)


def in_range(day: date, field: str) -> date:
    if not DATE_MIN <= day <= DATE_MAX:
        raise InvalidInput(f"'{field}' must be between {DATE_MIN} and {DATE_MAX}", field=field)
    return day


def json_depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, read without parsing it
    (so a hostile body cannot exhaust the parser's recursion)."""
    if data.count(b"[") + data.count(b"{") <= JSON_MAX_DEPTH:
        return 0 if not data.strip() else 1  # too few brackets to nest too deep
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def json_value(value, path: str = ""):
    """Every string (keys too) of a parsed JSON document through `text`."""
    if isinstance(value, str):
        return text(value, path or None)
    if isinstance(value, dict):
        return {text(k, path or None): json_value(v, f"{path}.{k}" if path else str(k))
                for k, v in value.items()}
    if isinstance(value, list):
        return [json_value(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(value)]
    return value
