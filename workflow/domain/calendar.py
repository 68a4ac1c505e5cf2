"""The Vietnamese business calendar (lịch làm việc) for deadlines in working days.

A working day ("ngày làm việc") is Monday to Friday within office hours, minus public
holidays (Labour Code 2019, Art. 112) taken from the `holidays` package, country "VN":
it knows Tết, Hùng Kings, 30/4, 1/5, 2/9 and the Government's swapped days off, and treats
make-up Saturdays (e.g. 2025-04-26, 2026-08-22) as working days. Years not yet announced
are handled by a per-year override table: extra days off and extra make-up working days.
N working days last N x the office minutes of one day; all arithmetic is on the local
(wall-clock) time of the calendar's timezone.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, NamedTuple, Sequence
from zoneinfo import ZoneInfo

import holidays

_ZERO = timedelta(0)
_MINUTE = timedelta(minutes=1)
_MICRO = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_HOUR_US, _DAY_US = 3_600_000_000, 86_400_000_000
_VARIES = None  # an hour inside which the zone's offset changes (a DST switch)


@dataclass(frozen=True)
class SkippedDay:
    """A non-working day a deadline computation jumped over."""

    day: date
    reason: str        # "weekend" | "holiday" | "day_off" (extra configured day off)
    name: str | None   # Vietnamese holiday name where known


class _Year(NamedTuple):
    names: dict[date, str]       # package holidays of the year, Vietnamese names
    makeup: frozenset[date]      # package make-up working days (weekend days worked)
    working: tuple[int, ...]     # ordinals of the year's working days, ascending


class BusinessCalendar:
    """Working days and office hours; immutable once built, holiday data cached per year."""

    __slots__ = ("tz", "office_hours", "minutes_per_day", "workdays", "extra_days_off",
                 "extra_working_days", "country", "_periods", "_per_day", "_years")

    def __init__(self, tz: str = "Asia/Ho_Chi_Minh",
                 office_hours: Sequence[tuple[time, time]] = ((time(8), time(12)), (time(13), time(17))),
                 workdays: Iterable[int] = (0, 1, 2, 3, 4),
                 extra_days_off: Iterable[date] = (),
                 extra_working_days: Iterable[date] = (),
                 country: str = "VN"):
        zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        periods = []
        for period in office_hours:
            start, end = period
            for t in (start, end):
                if not isinstance(t, time) or t.tzinfo is not None or t.second or t.microsecond:
                    raise ValueError(f"office_hours: {t!r} is not a naive time in whole minutes")
            a, b = (timedelta(hours=t.hour, minutes=t.minute) for t in (start, end))
            if a >= b:
                raise ValueError(f"office_hours: period {start}-{end} must end after it starts")
            if periods and a < periods[-1][1]:
                raise ValueError(f"office_hours: period {start}-{end} overlaps or is out of order")
            periods.append((a, b))
        if not periods:
            raise ValueError("office_hours: at least one period is required")
        days = frozenset(workdays)
        if not days or not days <= set(range(7)):
            raise ValueError("workdays: a non-empty set of weekday numbers 0 (Monday)..6")
        try:
            holidays.country_holidays(country)
        except NotImplementedError as exc:
            raise ValueError(f"country: {exc}") from None
        per_day = sum((b - a for a, b in periods), _ZERO)
        for name, value in (
            ("tz", zone), ("office_hours", tuple((s, e) for s, e in office_hours)),
            ("minutes_per_day", per_day // _MINUTE), ("workdays", days),
            ("extra_days_off", frozenset(extra_days_off)),
            ("extra_working_days", frozenset(extra_working_days)), ("country", country),
            ("_periods", tuple(periods)), ("_per_day", per_day), ("_years", {}),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError("BusinessCalendar is immutable")

    def __delattr__(self, name):
        raise AttributeError("BusinessCalendar is immutable")

    def __repr__(self) -> str:
        return f"BusinessCalendar(tz={self.tz.key!r}, minutes_per_day={self.minutes_per_day})"

    # -- days -------------------------------------------------------------------------
    def _year(self, y: int) -> _Year:
        data = self._years.get(y)
        if data is None:
            table = holidays.country_holidays(self.country, years=y, language="vi")
            names = {d: n for d, n in table.items() if d.year == y}
            makeup = frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == y)
            first = date(y, 1, 1).toordinal()
            working = tuple(o for o in range(first, date(y, 12, 31).toordinal() + 1)
                            if self._rule(date.fromordinal(o), names, makeup))
            data = self._years[y] = _Year(names, makeup, working)
        return data

    def _rule(self, d: date, names, makeup) -> bool:
        if d in self.extra_working_days:
            return True
        if d in self.extra_days_off or d in names:
            return False
        return d in makeup or d.weekday() in self.workdays

    def _date(self, d: date) -> date:
        return self._local(d).date() if isinstance(d, datetime) else d

    def is_working_day(self, d: date) -> bool:
        """Configured working days win; days off and holidays are off; then make-up
        days are working; otherwise the weekday decides."""
        d = self._date(d)
        year = self._year(d.year)
        return self._rule(d, year.names, year.makeup)

    def holiday_name(self, d: date) -> str | None:
        """The public holiday's Vietnamese name, or None."""
        d = self._date(d)
        return self._year(d.year).names.get(d)

    def _after(self, d: date, n: int = 1) -> date:
        """The n-th working day after `d` (n >= 1), by bisecting the yearly tables."""
        y, o = d.year, d.toordinal()
        days = self._year(y).working
        i = bisect_right(days, o)
        while i + n > len(days):
            n -= len(days) - i
            y, i = y + 1, 0
            days = self._year(y).working
        return date.fromordinal(days[i + n - 1])

    def _count(self, first: date, stop: date) -> int:
        """Working days in [first, stop)."""
        total, lo, hi = 0, first.toordinal(), stop.toordinal()
        for y in range(first.year, stop.year + 1):
            days = self._year(y).working
            total += bisect_left(days, hi) - bisect_left(days, lo)
        return total

    # -- moments ----------------------------------------------------------------------
    def _local(self, at: datetime) -> datetime:
        if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"naive datetime {at!r}: the calendar needs timezone-aware datetimes")
        return at.astimezone(self.tz)

    def _at(self, d: date, offset: timedelta) -> datetime:
        return datetime(d.year, d.month, d.day, tzinfo=self.tz) + offset

    @staticmethod
    def _offset(local: datetime) -> timedelta:
        """Wall-clock time since local midnight."""
        return timedelta(hours=local.hour, minutes=local.minute, seconds=local.second,
                         microseconds=local.microsecond)

    def _within(self, offset: timedelta) -> timedelta:
        """Office time of a working day before `offset`."""
        return sum((min(offset, b) - a for a, b in self._periods if offset > a), _ZERO)

    def opening_of(self, d: date) -> datetime:
        """Start of the first office period of `d` (aware, in the calendar's timezone)."""
        return self._at(d, self._periods[0][0])

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when inside office hours (period start inclusive, end exclusive),
        else the start of the next office period on a working day."""
        local = self._local(at)
        d = local.date()
        if self.is_working_day(d):
            offset = self._offset(local)
            for a, b in self._periods:
                if offset < a:
                    return self._at(d, a)
                if offset < b:
                    return local
        return self.opening_of(self._after(d))

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """The moment `minutes` of office time have elapsed from next_opening(start).
        A budget running out exactly at a period end returns that end (Mon 08:00 + 480
        -> Mon 17:00); whole days are jumped at once."""
        if minutes < 0:
            raise ValueError(f"minutes must not be negative, got {minutes}")
        at = self.next_opening(start)
        d, offset, left = at.date(), self._offset(at), timedelta(minutes=minutes)
        room = self._per_day - self._within(offset)
        if left > room:
            full, left = divmod(left - room, self._per_day)
            if not left:
                full, left = full - 1, self._per_day
            d, offset = self._after(d, full + 1), self._periods[0][0]
        for a, b in self._periods:
            if offset >= b:
                continue
            begin = max(offset, a)
            if left <= b - begin:
                return self._at(d, begin + left)
            left -= b - begin
        raise AssertionError("unreachable: the budget fits in the day")  # pragma: no cover

    def add_working_days(self, start: datetime, days: float) -> datetime:
        """add_working_minutes with `days` x minutes_per_day (0.5 -> half a day)."""
        return self.add_working_minutes(start, round(days * self.minutes_per_day))

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole office minutes in [start, end); 0 when end <= start."""
        s, e = self._local(start), self._local(end)
        if e <= s:
            return 0
        total = self._per_day * self._count(s.date(), e.date())
        if self.is_working_day(s.date()):
            total -= self._within(self._offset(s))
        if self.is_working_day(e.date()):
            total += self._within(self._offset(e))
        return total // _MINUTE

    def timeline(self) -> OfficeTimeline:
        """A memo for many `working_minutes_between` over the same few days."""
        return OfficeTimeline(self)

    def skipped_days(self, start: datetime, end: datetime) -> list[SkippedDay]:
        """Non-working days after start's date up to and including end's date, in order."""
        d, last = self._local(start).date(), self._local(end).date()
        out = []
        while d < last:
            d += timedelta(days=1)
            if not self.is_working_day(d):
                name = self.holiday_name(d)
                reason = ("day_off" if d in self.extra_days_off
                          else "holiday" if name else "weekend")
                out.append(SkippedDay(d, reason, name))
        return out


class OfficeTimeline:
    """Office time laid on one line (dòng thời gian làm việc): a moment's position is the
    office time, in microseconds, from an anchor day (the first day asked about) to it,
    each local day's share memoised. `minutes_between(s, e)` equals the calendar's
    `working_minutes_between(s, e)` exactly (both are whole days times the day's office
    time, minus the office time before s on its day, plus that before e on its day).

    Why: the bottleneck view measures thousands of step visits over a few hundred days;
    asking the calendar each time looked every day up twice, counted the days between by
    bisection and did the sums in timedelta objects, which was most of that view's time.
    Not shared between threads."""

    __slots__ = ("_calendar", "_days", "_anchor", "_periods", "_offsets", "_numbered")

    def __init__(self, calendar: BusinessCalendar):
        self._calendar, self._days, self._anchor = calendar, {}, None
        self._periods = tuple((a // _MICRO, b // _MICRO) for a, b in calendar._periods)
        self._offsets: dict[int, int | None] = {}         # UTC hour -> the zone's offset in it
        self._numbered: dict[int, tuple[int, bool]] = {}  # local day number -> (base, working)

    def position(self, at: datetime) -> int:
        local = self._calendar._local(at)
        day = self._days.get(local.date())
        if day is None:
            day = self._days[local.date()] = self._day(local.date())
        base, working = day
        if not working:
            return base
        offset = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
        for a, b in self._periods:  # office time of the day before the moment
            if offset > a:
                base += (offset if offset < b else b) - a
        return base

    def position_us(self, utc_us: int) -> int:
        """`position` of the moment `utc_us` microseconds after 1970-01-01 UTC. Why: a
        database can hand a whole history over as integers, and placing them needs no
        datetime object; the zone's offset is memoised per UTC hour (an hour in which it
        changes takes the exact path)."""
        hour = utc_us // _HOUR_US
        try:
            offset = self._offsets[hour]
        except KeyError:
            offset = self._offset_in(hour)
        if offset is _VARIES:
            return self.position(_EPOCH + timedelta(microseconds=utc_us))
        number, offset = divmod(utc_us + offset, _DAY_US)
        day = self._numbered.get(number)
        if day is None:
            d = date.fromordinal(_EPOCH_ORDINAL + number)
            day = self._days.get(d)
            if day is None:
                day = self._days[d] = self._day(d)
            self._numbered[number] = day
        base, working = day
        if not working:
            return base
        for a, b in self._periods:
            if offset > a:
                base += (offset if offset < b else b) - a
        return base

    def _offset_in(self, hour: int) -> int | None:
        first = _EPOCH + timedelta(microseconds=hour * _HOUR_US)
        tz = self._calendar.tz
        a = first.astimezone(tz).utcoffset()
        b = (first + timedelta(microseconds=_HOUR_US - 1)).astimezone(tz).utcoffset()
        self._offsets[hour] = found = a // _MICRO if a == b else _VARIES
        return found

    def _day(self, d: date) -> tuple[int, bool]:
        cal = self._calendar
        if self._anchor is None:
            self._anchor = d
        days = cal._count(self._anchor, d) if d >= self._anchor else -cal._count(d, self._anchor)
        return cal._per_day // _MICRO * days, cal.is_working_day(d)

    def minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole office minutes in [start, end); 0 when end <= start."""
        to, since = self.position(end), self.position(start)
        return (to - since) // 60_000_000 if end > start else 0
