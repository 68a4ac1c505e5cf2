"""The statutory clock and the appointment (thời hạn giải quyết, ngày hẹn trả kết quả).

A procedure's published time is counted in one of three ways; each starts from the moment
the dossier is complete (received, or supplemented when the clock restarts):

- **working days** (ngày làm việc, the default): N x the office time of a working day,
  from the next office opening; a procedure with a `cutoff` but not settled within the
  day starts counting on the next working day when received at or after the cut-off.
- **same day** (`same_day: true`, "giải quyết ngay trong ngày"): received on a working day
  before the cut-off, the appointment is the close of office that day; at or after the
  cut-off (or on a day off), the close of the next working day. Source: the procedures'
  own published texts, e.g. 1.001193 birth registration, "ngay trong ngày làm việc tiếp
  nhận; nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo" (Luật Hộ tịch 2014 Art. 16;
  Decree 123/2015/NĐ-CP as amended).
- **calendar days** (`day_unit: calendar`, "ngày"): the period starts the day after the
  dossier is complete (Civil Code 2015 Art. 147) and ends at the close of its last day; when
  that day is a weekend or holiday, at the close of the next working day (Art. 148).
  Art. 148 ends a period at 24:00; the appointment is the close of office that day, the
  last moment a counter can hand a result over.

The clock is kept in office minutes whatever the unit: for same-day and calendar-day
counting its budget is the office time up to the appointment computed above, so pauses,
the sweep and the explanations work alike. A calendar-day clock that resumes after a
pause (`on_supplement: resume`) continues in office time (unconfirmed: no text found on
resuming a calendar-day period); a restart recomputes by the rule above.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from .clock import Clock
from .procedure import Procedure


def close_of(day: date, calendar) -> datetime:
    """The end of office hours of a working day."""
    return calendar.add_working_minutes(calendar.opening_of(day), calendar.minutes_per_day)


def next_working_day(day: date, calendar) -> date:
    day += timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def _after_cutoff(procedure: Procedure, local: datetime, calendar) -> bool:
    return not calendar.is_working_day(local.date()) or (
        procedure.cutoff is not None and local.time() >= procedure.cutoff) or (
        local >= close_of(local.date(), calendar))


def clock_start(procedure: Procedure, now: datetime, calendar) -> datetime:
    """When working-day time starts: the next opening, or the next working day's opening
    when the procedure has a cut-off (e.g. civil status: 15:00) and it is passed."""
    local = now.astimezone(calendar.tz)
    if procedure.cutoff is not None and calendar.is_working_day(local.date()) \
            and local.time() >= procedure.cutoff:
        return calendar.opening_of(next_working_day(local.date(), calendar))
    return calendar.next_opening(now)


def statutory_due(procedure: Procedure, now: datetime, calendar) -> datetime | None:
    """The appointment of a same-day or calendar-day procedure completed at `now`;
    None for working-day counting (the clock's budget decides)."""
    local = now.astimezone(calendar.tz)
    if procedure.same_day:
        day = local.date()
        if _after_cutoff(procedure, local, calendar):
            day = next_working_day(day, calendar)
        return close_of(day, calendar)
    if procedure.day_unit == "calendar":
        last = local.date() + timedelta(days=round(procedure.processing_days))
        if not calendar.is_working_day(last):
            last = next_working_day(last, calendar)
        return close_of(last, calendar)
    return None


def statutory_clock(procedure: Procedure, now: datetime, calendar) -> Clock:
    """A running clock for a dossier completed at `now`, its due moment the appointment."""
    due = statutory_due(procedure, now, calendar)
    if due is None:
        clock = Clock(budget=round(procedure.processing_days * calendar.minutes_per_day))
        clock.start(clock_start(procedure, now, calendar))
        return clock
    start = calendar.next_opening(now)
    clock = Clock(budget=calendar.working_minutes_between(start, due))
    clock.start(start)
    return clock


def time_text(p: Procedure) -> str:
    """The statutory time in the words a receipt or a citizen reads: "Trong ngày làm việc
    tiếp nhận; ...", "10 ngày", "15 ngày làm việc"."""
    if p.same_day:
        cut = (f"; nhận sau {p.cutoff.hour} giờ" + (f" {p.cutoff.minute} phút" if p.cutoff.minute else "")
               + " thì trả trong ngày làm việc tiếp theo") if p.cutoff else ""
        return f"Trong ngày làm việc tiếp nhận{cut}"
    unit = "ngày" if p.day_unit == "calendar" else "ngày làm việc"
    return f"{p.processing_days:g} {unit}"
