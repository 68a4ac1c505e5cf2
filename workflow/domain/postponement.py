"""Late results: apology and one new appointment (phiếu xin lỗi và hẹn lại ngày trả kết quả).

Decree 61/2018/NĐ-CP Art. 19 (as amended by Decree 107/2021/NĐ-CP): at least one working
day before the appointment, the agency that will be late tells the one-stop unit in
writing and sends the citizen an apology letter (form 04 of Circular 01/2018/TT-VPCP)
with the reason and a new return date; the date may be moved only once. The first
appointment is kept, so the dossier still counts as late in every report.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from .appointment import close_of
from .dossier import Dossier
from .errors import DomainError, InvalidInput


# how far the one new date may lie past the first appointment: a bound, so no date (year
# 9999) can take a dossier out of the deadline sweep and the reports for good
MAX_POSTPONEMENT = timedelta(days=365)


class PostponementRefused(DomainError):
    code = "postponement_refused"
    status = 409


def new_appointment(d: Dossier, requested, now: datetime, calendar) -> datetime:
    """Check the rules and return the new appointment moment.

    `requested` is a date (the close of office that day) or an aware datetime."""
    if d.postponed_to is not None:
        raise PostponementRefused("the appointment was already moved once; it may be moved only once",
                                  field="new_due_at")
    if d.appointment_at is None:
        raise PostponementRefused("the dossier has no appointment yet", field="new_due_at")
    latest_notice = calendar.add_working_minutes(now, calendar.minutes_per_day)
    if latest_notice > d.appointment_at:
        raise PostponementRefused(
            "the apology and new date must be given at least one working day before the "
            f"appointment ({d.appointment_at.astimezone(calendar.tz):%H:%M %d/%m/%Y})",
            field="new_due_at")
    if isinstance(requested, (date, datetime)):
        latest = (d.appointment_at + MAX_POSTPONEMENT).astimezone(calendar.tz).date()
        asked = requested.date() if isinstance(requested, datetime) else requested
        if asked > latest:
            raise InvalidInput(f"the new date may be at most {MAX_POSTPONEMENT.days} days after the "
                               f"appointment (by {latest:%d/%m/%Y})", field="new_due_at")
    if isinstance(requested, datetime):
        if requested.tzinfo is None:
            raise InvalidInput("give the new date with its time zone offset", field="new_due_at")
        moment = requested
        day = moment.astimezone(calendar.tz).date()
        in_office = calendar.is_working_day(day) and (
            calendar.next_opening(moment) == moment or moment == close_of(day, calendar))
        if not in_office:
            raise InvalidInput("the new appointment must fall within office hours of a working day",
                               field="new_due_at")
    elif isinstance(requested, date):
        if not calendar.is_working_day(requested):
            raise InvalidInput(f"{requested:%d/%m/%Y} is not a working day", field="new_due_at")
        moment = close_of(requested, calendar)
    else:
        raise InvalidInput("new_due_at is required (a date or a date-time)", field="new_due_at")
    if moment <= d.appointment_at:
        raise InvalidInput("the new date must be after the current appointment", field="new_due_at")
    return moment
