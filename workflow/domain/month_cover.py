"""How a report period (kỳ báo cáo) of whole days is read from monthly tallies.

Why: the SIPAS tallies sum the surveys per month of the dossier's closing, but a report
runs from any first day to any last day. Its whole months are read from the tallies. A
month it covers only in part is read from the answers themselves, for a few days only:
either the days inside the period (added), or the month's tally less the days outside
the period (subtracted), whichever reads fewer days that have already happened. Nothing
closes in the future, so "this month up to today" is the month's tally less nothing,
and the default twelve months read no answers at all.

Exact either way: every day of the period is counted once, every other day not at all
(tests/unit/test_month_cover.py checks every pair of days over two years). Pure: no
clock, no I/O; `today` is the caller's.
"""
from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Days:
    """Local days first..last (both included) read from the answers, added (+1) or
    subtracted (-1)."""

    first: date
    last: date
    sign: int


@dataclass(frozen=True)
class Cover:
    """Months ('YYYY-MM') read from the tallies, and days read from the answers."""

    months: tuple[str, ...]
    days: tuple[Days, ...]


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _past_days(ranges: list[tuple[date, date]], today: date) -> int:
    """Days of the ranges up to today: what reading them from the answers costs."""
    return sum(max(0, (min(last, today) - first).days + 1) for first, last in ranges)


def cover(first: date, last: date, today: date) -> Cover:
    """The months and signed day ranges whose sum is exactly the days first..last."""
    if last < first:
        raise ValueError("the period ends before it starts")
    months: list[str] = []
    days: list[Days] = []
    start = first.replace(day=1)
    while start <= last:
        end = start.replace(day=monthrange(start.year, start.month)[1])
        inside = (max(first, start), min(last, end))
        outside = [r for r in ((start, inside[0] - timedelta(days=1)), (inside[1] + timedelta(days=1), end))
                   if r[0] <= r[1]]
        if not outside:
            months.append(month_key(start))
        elif _past_days(outside, today) < _past_days([inside], today):
            months.append(month_key(start))
            days += [Days(a, b, -1) for a, b in outside]
        else:
            days.append(Days(*inside, 1))
        start = end + timedelta(days=1)
    return Cover(tuple(months), tuple(days))
