"""A report period read from monthly tallies and a few days of answers counts every day
of the period once and no other day; and the usual periods read no answers at all."""
from __future__ import annotations

from calendar import monthrange
from collections import Counter
from datetime import date, timedelta

import pytest

from workflow.domain.month_cover import Days, cover


def weights(c) -> Counter:
    """How many times each day is counted: +1 per tally month, ±1 per day range."""
    out: Counter = Counter()
    for key in c.months:
        year, month = map(int, key.split("-"))
        for d in range(1, monthrange(year, month)[1] + 1):
            out[date(year, month, d)] += 1
    for r in c.days:
        assert r.first <= r.last and r.first.month == r.last.month and r.sign in (1, -1)
        day = r.first
        while day <= r.last:
            out[day] += r.sign
            day += timedelta(days=1)
    return +out  # drop days counted zero times


def days(first: date, last: date) -> Counter:
    return Counter({first + timedelta(days=k): 1 for k in range((last - first).days + 1)})


def test_every_day_of_the_period_once_and_no_other():
    start = date(2027, 12, 1)  # across a year's end and the leap February of 2028
    for i in range(0, 100):
        first = start + timedelta(days=i)
        for span in list(range(0, 64, 1 if i % 5 == 0 else 3)) + [365]:
            last = first + timedelta(days=span)
            for today in (first - timedelta(days=3), first + timedelta(days=span // 2),
                          last + timedelta(days=40)):
                assert weights(cover(first, last, today)) == days(first, last), (first, last, today)


def test_the_default_twelve_months_read_no_answers():
    today = date(2026, 11, 27)
    c = cover(date(2025, 12, 1), today, today)  # default_range: the 1st, 11 months ago, to today
    assert len(c.months) == 12 and all(r.first > today for r in c.days)


def test_a_partial_month_reads_the_fewer_past_days():
    today = date(2026, 11, 27)
    assert cover(date(2026, 3, 5), date(2026, 3, 28), today).days == (  # 24 days in, 7 out
        Days(date(2026, 3, 1), date(2026, 3, 4), -1), Days(date(2026, 3, 29), date(2026, 3, 31), -1))
    few = cover(date(2026, 3, 2), date(2026, 3, 6), today)
    assert few.months == () and few.days == (Days(date(2026, 3, 2), date(2026, 3, 6), 1),)
    bench = cover(date(2025, 11, 28), today, today)  # city.py's "12 months": 3 days, then whole months
    assert bench.days[0] == Days(date(2025, 11, 28), date(2025, 11, 30), 1)
    assert all(r.first > today for r in bench.days[1:]) and len(bench.months) == 12


def test_a_period_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        cover(date(2026, 3, 2), date(2026, 3, 1), date(2026, 3, 1))
