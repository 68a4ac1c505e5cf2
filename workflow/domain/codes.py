"""Dossier codes (mã hồ sơ), Circular 01/2018/TT-VPCP Art. 19.

`{agency code}-{YYMMDD}-{NNNN}`: the receiving agency's identity code, the date received
and a 4-digit sequence within that day for that agency. The format is configurable
because a longer form (8-digit date, longer sequence) is also in use.
"""
from __future__ import annotations

from datetime import date

DEFAULT_FORMAT = "{agency}-{day:%y%m%d}-{seq:04d}"


def dossier_code(agency: str, day: date, seq: int, fmt: str = DEFAULT_FORMAT) -> str:
    if seq < 1:
        raise ValueError("sequence numbers start at 1")
    return fmt.format(agency=agency, day=day, seq=seq)
