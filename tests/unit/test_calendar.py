"""The Vietnamese business calendar: holidays, office hours and working-minute arithmetic."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from workflow.domain.calendar import BusinessCalendar, SkippedDay

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = BusinessCalendar()


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


# -- holidays from the package ---------------------------------------------------------
def test_tet_2026_one_working_day_jumps_the_whole_week():
    received = vn(2026, 2, 13, 10, 0)  # Friday before Tết
    assert CAL.add_working_days(received, 1) == vn(2026, 2, 23, 10, 0)
    assert CAL.working_minutes_between(received, vn(2026, 2, 23, 10, 0)) == 480


def test_tet_2026_skipped_days_with_reasons_and_names():
    skipped = CAL.skipped_days(vn(2026, 2, 13, 10, 0), vn(2026, 2, 23, 10, 0))
    assert [s.day for s in skipped] == [date(2026, 2, d) for d in range(14, 23)]
    assert [s.reason for s in skipped] == ["weekend"] * 2 + ["holiday"] * 5 + ["weekend"] * 2
    assert skipped[0] == SkippedDay(date(2026, 2, 14), "weekend", None)
    assert all(s.name for s in skipped[2:7])
    assert "Tết Nguyên Đán" in skipped[3].name
    assert CAL.holiday_name(date(2026, 2, 17)) == skipped[3].name


def test_national_day_2026_substitute_monday_and_make_up_saturday():
    for d in (date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)):
        assert not CAL.is_working_day(d)
    assert CAL.holiday_name(date(2026, 9, 2)) == "Quốc khánh"
    assert CAL.is_working_day(date(2026, 8, 22))  # Saturday, worked in exchange
    assert not CAL.is_working_day(date(2026, 8, 29))  # an ordinary Saturday
    # Friday 28 Aug 09:00 + 1 day: weekend, Mon 31, Tue 1, Wed 2 off -> Thu 3 Sep 09:00
    assert CAL.add_working_days(vn(2026, 8, 28, 9, 0), 1) == vn(2026, 9, 3, 9, 0)
    assert CAL.add_working_days(vn(2026, 8, 28, 9, 0), 2) == vn(2026, 9, 4, 9, 0)
    # a dossier received Friday 21 Aug evening starts on the make-up Saturday
    assert CAL.next_opening(vn(2026, 8, 21, 18, 0)) == vn(2026, 8, 22, 8, 0)
    reasons = {s.day: s.reason for s in CAL.skipped_days(vn(2026, 8, 28, 9), vn(2026, 9, 3, 9))}
    assert reasons == {date(2026, 8, 29): "weekend", date(2026, 8, 30): "weekend",
                       date(2026, 8, 31): "holiday", date(2026, 9, 1): "holiday",
                       date(2026, 9, 2): "holiday"}


def test_2025_swap_of_2_may_for_saturday_26_april():
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.is_working_day(date(2025, 4, 26))
    assert CAL.holiday_name(date(2025, 4, 26)) is None
    # Fri 25 Apr 09:00 + 1 day -> the make-up Saturday 26 Apr 09:00
    assert CAL.add_working_days(vn(2025, 4, 25, 9, 0), 1) == vn(2025, 4, 26, 9, 0)
    # Tue 29 Apr 09:00 + 1 day: 30/4, 1/5, 2/5 and the weekend are skipped -> Mon 5 May
    assert CAL.add_working_days(vn(2025, 4, 29, 9, 0), 1) == vn(2025, 5, 5, 9, 0)


# -- office hours ----------------------------------------------------------------------
@pytest.mark.parametrize("received, opening", [
    (vn(2026, 3, 2, 6, 30), vn(2026, 3, 2, 8, 0)),      # Monday before 08:00
    (vn(2026, 3, 2, 12, 0), vn(2026, 3, 2, 13, 0)),     # lunch, period end exclusive
    (vn(2026, 3, 2, 12, 59, 59), vn(2026, 3, 2, 13, 0)),
    (vn(2026, 3, 2, 17, 0), vn(2026, 3, 3, 8, 0)),      # after closing
    (vn(2026, 3, 6, 21, 0), vn(2026, 3, 9, 8, 0)),      # Friday night
    (vn(2026, 3, 8, 10, 0), vn(2026, 3, 9, 8, 0)),      # Sunday
    (vn(2026, 3, 2, 8, 0), vn(2026, 3, 2, 8, 0)),       # period start inclusive
    (vn(2026, 3, 2, 9, 15, 30), vn(2026, 3, 2, 9, 15, 30)),
])
def test_next_opening(received, opening):
    assert CAL.next_opening(received) == opening


@pytest.mark.parametrize("received", [
    vn(2026, 3, 2, 6, 30), vn(2026, 3, 1, 23, 0), vn(2026, 2, 28, 10, 0)])
def test_receipt_outside_office_hours_counts_from_next_opening(received):
    assert CAL.add_working_minutes(received, 60) == vn(2026, 3, 2, 9, 0)
    assert CAL.add_working_minutes(received, 0) == vn(2026, 3, 2, 8, 0)


def test_receipt_at_lunch_and_after_hours():
    assert CAL.add_working_minutes(vn(2026, 3, 2, 12, 30), 30) == vn(2026, 3, 2, 13, 30)
    assert CAL.add_working_minutes(vn(2026, 3, 2, 17, 30), 240) == vn(2026, 3, 3, 12, 0)
    assert CAL.working_minutes_between(vn(2026, 3, 2, 12, 10), vn(2026, 3, 2, 12, 50)) == 0


def test_half_day_spans_lunch():
    assert CAL.add_working_days(vn(2026, 3, 2, 10, 0), 0.5) == vn(2026, 3, 2, 15, 0)
    assert CAL.working_minutes_between(vn(2026, 3, 2, 10, 0), vn(2026, 3, 2, 15, 0)) == 240


def test_budget_ending_at_a_period_end_returns_that_end():
    monday = vn(2026, 3, 2, 8, 0)
    assert CAL.minutes_per_day == 480
    assert CAL.add_working_minutes(monday, 240) == vn(2026, 3, 2, 12, 0)
    assert CAL.add_working_minutes(monday, 480) == vn(2026, 3, 2, 17, 0)
    assert CAL.add_working_minutes(monday, 481) == vn(2026, 3, 3, 8, 1)
    assert CAL.add_working_days(monday, 5) == vn(2026, 3, 6, 17, 0)
    assert CAL.add_working_days(vn(2026, 3, 2, 9, 0), 5) == vn(2026, 3, 9, 9, 0)


def test_many_days_cross_years_and_holidays():
    # 2025-12-31 09:00 + 20 days: 1/1/2026 off, weekends skipped
    assert CAL.add_working_days(vn(2025, 12, 31, 9, 0), 20) == vn(2026, 1, 29, 9, 0)
    assert CAL.working_minutes_between(vn(2025, 12, 31, 9), vn(2026, 1, 29, 9)) == 20 * 480


def test_zero_and_negative_minutes():
    assert CAL.add_working_minutes(vn(2026, 3, 2, 9, 0), 0) == vn(2026, 3, 2, 9, 0)
    with pytest.raises(ValueError):
        CAL.add_working_minutes(vn(2026, 3, 2, 9, 0), -1)
    assert CAL.working_minutes_between(vn(2026, 3, 2, 10), vn(2026, 3, 2, 9)) == 0


def test_working_minutes_between_floors_seconds():
    assert CAL.working_minutes_between(vn(2026, 3, 2, 9, 0, 30), vn(2026, 3, 2, 9, 2)) == 1


# -- configuration ---------------------------------------------------------------------
def test_extra_days_off_and_extra_working_days():
    cal = BusinessCalendar(extra_days_off=[date(2027, 3, 5)],          # a Friday
                           extra_working_days=[date(2027, 3, 13), date(2026, 2, 17)])
    assert not cal.is_working_day(date(2027, 3, 5))
    assert cal.is_working_day(date(2027, 3, 13))  # Saturday made a working day
    assert cal.is_working_day(date(2026, 2, 17))  # wins even over Tết
    assert cal.add_working_days(vn(2027, 3, 4, 10, 0), 1) == vn(2027, 3, 8, 10, 0)
    assert cal.add_working_days(vn(2027, 3, 12, 10, 0), 1) == vn(2027, 3, 13, 10, 0)
    assert cal.skipped_days(vn(2027, 3, 4, 10), vn(2027, 3, 8, 10)) == [
        SkippedDay(date(2027, 3, 5), "day_off", None),
        SkippedDay(date(2027, 3, 6), "weekend", None),
        SkippedDay(date(2027, 3, 7), "weekend", None)]
    assert CAL.is_working_day(date(2027, 3, 5)) and not CAL.is_working_day(date(2027, 3, 13))


def test_non_default_office_hours_and_foreign_input_timezone():
    cal = BusinessCalendar(office_hours=[(time(7, 30), time(11, 30)), (time(13, 30), time(17, 30))])
    assert cal.minutes_per_day == 480
    paris = ZoneInfo("Europe/Paris")
    # 02:00 Paris (UTC+1 in winter) = 08:00 Hanoi, inside the first period
    received = datetime(2026, 3, 2, 2, 0, tzinfo=paris)
    assert cal.next_opening(received) == vn(2026, 3, 2, 8, 0)
    assert cal.next_opening(received).tzinfo is cal.tz
    # 08:00-11:30 is 210 minutes, the other 30 after the 13:30 reopening
    assert cal.add_working_minutes(received, 240) == vn(2026, 3, 2, 14, 0)
    # 00:00 UTC = 07:00 Hanoi, before opening
    assert cal.next_opening(datetime(2026, 3, 2, tzinfo=timezone.utc)) == vn(2026, 3, 2, 7, 30)
    assert cal.opening_of(date(2026, 3, 3)) == vn(2026, 3, 3, 7, 30)
    assert cal.next_opening(vn(2026, 3, 2, 11, 30)) == vn(2026, 3, 2, 13, 30)
    assert cal.add_working_days(vn(2026, 3, 2, 7, 30), 1) == vn(2026, 3, 2, 17, 30)


def test_other_calendar_timezone_outputs_in_that_zone():
    cal = BusinessCalendar(tz="Europe/Paris")
    out = cal.add_working_minutes(vn(2026, 3, 2, 14, 0), 60)  # 08:00 Paris
    assert out == datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert out.tzinfo == ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("call", [
    lambda: CAL.next_opening(datetime(2026, 3, 2, 9)),
    lambda: CAL.add_working_minutes(datetime(2026, 3, 2, 9), 10),
    lambda: CAL.working_minutes_between(datetime(2026, 3, 2, 9), vn(2026, 3, 2, 10)),
    lambda: CAL.skipped_days(vn(2026, 3, 2, 9), datetime(2026, 3, 5, 9)),
])
def test_naive_datetime_rejected(call):
    with pytest.raises(ValueError, match="naive"):
        call()


@pytest.mark.parametrize("hours", [
    [],
    [(time(12), time(8))],
    [(time(8), time(12)), (time(11), time(17))],
    [(time(13), time(17)), (time(8), time(12))],
    [(time(8, 0, 30), time(12))],
])
def test_invalid_office_hours_rejected(hours):
    with pytest.raises(ValueError, match="office_hours"):
        BusinessCalendar(office_hours=hours)


def test_calendar_is_immutable():
    with pytest.raises(AttributeError):
        CAL.tz = ZoneInfo("UTC")
    with pytest.raises(AttributeError):
        CAL.minutes_per_day = 1


# -- property: counting is the inverse of adding ---------------------------------------
moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
                       timezones=st.sampled_from([VN, timezone.utc, ZoneInfo("America/New_York")]))


@settings(max_examples=300, deadline=None)
@given(start=moments, minutes=st.integers(0, 20000))
def test_working_minutes_between_inverts_add_working_minutes(start, minutes):
    end = CAL.add_working_minutes(start, minutes)
    assert CAL.working_minutes_between(CAL.next_opening(start), end) == minutes
    assert end >= CAL.next_opening(start)
    assert CAL.is_working_day(end.date())


# -- the office timeline: many measures over the same days -------------------------------
_moment = st.datetimes(min_value=datetime(2024, 12, 1), max_value=datetime(2027, 2, 1),
                       timezones=st.just(timezone.utc))
_SHARED = CAL.timeline()  # one timeline across examples: anchors and memo as in a long fold


@settings(max_examples=400, deadline=None)
@given(_moment, _moment)
def test_timeline_minutes_equal_the_calendars(start, end):
    """Exactly equal, either order, across weekends, Tết and year ends, to the second."""
    assert _SHARED.minutes_between(start, end) == CAL.working_minutes_between(start, end)
    assert CAL.timeline().minutes_between(start, end) == CAL.working_minutes_between(start, end)


def test_timeline_over_tet_and_a_configured_day_off():
    cal = BusinessCalendar(extra_days_off=[date(2026, 3, 2)])
    line = cal.timeline()
    assert line.minutes_between(vn(2026, 3, 3, 9), vn(2026, 2, 13, 10)) == 0
    for a, b in ((vn(2026, 2, 13, 10), vn(2026, 2, 23, 10, 0, 30)), (vn(2026, 2, 27, 16, 59, 59),
                 vn(2026, 3, 3, 8, 0, 1)), (vn(2026, 2, 14, 9), vn(2026, 2, 16, 9))):
        assert line.minutes_between(a, b) == cal.working_minutes_between(a, b)
    with pytest.raises(ValueError):
        line.minutes_between(datetime(2026, 3, 3, 9), vn(2026, 3, 3, 10))


_anywhere = st.datetimes(min_value=datetime(2024, 12, 1), max_value=datetime(2027, 2, 1),
                         timezones=st.sampled_from([VN, timezone.utc, ZoneInfo("America/New_York")]))
_ZONED = {zone: BusinessCalendar(tz=zone).timeline() for zone in ("Asia/Ho_Chi_Minh", "America/New_York")}


@settings(max_examples=400, deadline=None)
@given(_anywhere, st.sampled_from(sorted(_ZONED)))
def test_timeline_position_of_epoch_microseconds_equals_the_datetimes(at, zone):
    """The integer path (a database's epoch microseconds) places a moment exactly where
    the datetime path does, in a zone without summer time and in one with it (the hour
    of each switch included)."""
    line = _ZONED[zone]
    utc_us = (at - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)
    assert line.position_us(utc_us) == line.position(at)


def test_timeline_position_of_epoch_microseconds_across_a_summer_time_switch():
    """New York switches on a Sunday: an office open every day sees the hour move."""
    line = BusinessCalendar(tz="America/New_York", workdays=range(7)).timeline()
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    for day, switch in ((8, 3), (1, 11)):
        first = datetime(2026, switch, day, 0, 30, tzinfo=timezone.utc)
        for hours in range(24):
            at = first + timedelta(hours=hours)
            assert line.position_us((at - epoch) // timedelta(microseconds=1)) == line.position(at)
