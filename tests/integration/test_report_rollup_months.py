"""The II.06a rollup's month rows and its "ready" tables (migration 0013,
workflow/services/reports/rollup.py): the month rows are the day rows summed by month and
are what a period reads for the months it does not cut; results ready before the
watermark and not handed over are rolled up (all but their handing over, which counts
live), and the figures stay those of the direct count (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select, update

from tests.conftest import vn
from tests.integration.report_fixtures import H, build_report_fixture, world  # noqa: F401  (fixture)
from tests.integration.test_reports import figures
from workflow.adapters.tables import dossiers
from workflow.adapters.tables_reports import (MEASURES, report_daily, report_monthly, report_ready_daily,
                                             report_ready_monthly)
from workflow.domain.dossier import Actor
from workflow.services.reports import rollup as report_rollup
from workflow.services.reports import statistics as reports

ADMIN = Actor("root", "admin", None)
WHOLE = [(date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 1, 1), date(2026, 12, 31)),
         (date(2026, 2, 1), date(2026, 4, 30))]
CUT = [(date(2026, 3, 9), date(2026, 3, 13)), (date(2026, 2, 20), date(2026, 3, 10)),
       (date(2026, 3, 16), date(2026, 4, 15))]


def report(conn, calendar, now, periods, agency=None):
    scope = reports.scope_for(conn, Actor("b", "supervisor", agency) if agency else ADMIN)
    out = []
    for first, last in periods:
        r = reports.summary(conn, reports.period(first, last, calendar.tz), scope, now, calendar.tz)
        out.append(({(row["agency"], row["procedure_code"]): figures(row) for row in r["rows"]}, figures(r["total"])))
    return out


def direct(conn, calendar, now, periods, agency=None):
    """The figures counted from the dossiers alone: the rollup dropped, then restored."""
    conn.commit()
    report_rollup.invalidate(conn)
    try:
        return report(conn, calendar, now, periods, agency)
    finally:
        conn.rollback()


def by_month(conn, table) -> dict:
    out = {}
    for row in conn.execute(select(table)).mappings():
        day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"]))
        acc = out.setdefault((row["agency"], row["procedure_code"], day.replace(day=1)), dict.fromkeys(MEASURES, 0))
        for m in MEASURES:
            acc[m] += row[m]
    return out


def months(conn, table) -> dict:
    return {(r["agency"], r["procedure_code"], r["month"] if isinstance(r["month"], date)
             else date.fromisoformat(str(r["month"]))): {m: r[m] for m in MEASURES}
            for r in conn.execute(select(table)).mappings()}


def test_month_rows_are_the_day_rows_and_ready_results_are_rolled_up(world, engine, calendar, clock):
    build_report_fixture(world)
    now = clock.at
    for through in (date(2026, 3, 5), date(2026, 3, 12), date(2026, 3, 18)):
        with engine.begin() as conn:
            report_rollup.refresh(conn, through, calendar.tz, now)
        with engine.connect() as conn:
            assert months(conn, report_monthly) == by_month(conn, report_daily)
            assert months(conn, report_ready_monthly) == by_month(conn, report_ready_daily)
            since = vn(through.year, through.month, through.day, 0)
            d = dossiers.c
            ready = conn.execute(select(func.count()).where(
                d.received_at.is_not(None), d.result_ready_at < since,
                d.closed_at.is_(None) | (d.closed_at >= since))).scalar()
            assert (conn.execute(select(func.sum(report_ready_daily.c.left_count))).scalar() or 0) == ready
            assert conn.execute(select(func.sum(report_ready_daily.c.returned))).scalar() in (0, None)
    assert ready > 3  # the fixture holds results ready and not handed over by 18 March
    with engine.connect() as conn:
        assert report(conn, calendar, now, WHOLE + CUT) == direct(conn, calendar, now, WHOLE + CUT)


def test_whole_months_are_read_from_the_month_rows(world, engine, calendar, clock):
    build_report_fixture(world)
    now = clock.at
    with engine.begin() as conn:
        report_rollup.refresh(conn, date(2026, 3, 18), calendar.tz, now)
    with engine.connect() as conn:
        before = report(conn, calendar, now, WHOLE + CUT)
        assert before == direct(conn, calendar, now, WHOLE + CUT)
        for table in (report_daily, report_ready_daily):  # blank the day rows: only cut months change
            conn.execute(update(table).values({m: 0 for m in MEASURES}))
        after = report(conn, calendar, now, WHOLE + CUT)
        conn.rollback()
    assert after[:len(WHOLE)] == before[:len(WHOLE)]
    assert all(a != b for a, b in zip(after[len(WHOLE):], before[len(WHOLE):]))


def test_a_result_handed_over_after_the_watermark_counts_once(world, engine, calendar, clock):
    build_report_fixture(world)  # now: Wed 18 March 10:00
    with engine.begin() as conn:
        report_rollup.refresh(conn, date(2026, 3, 18), calendar.tz, clock.at)
        waiting = conn.execute(select(dossiers.c.code).where(
            dossiers.c.procedure_code == H, dossiers.c.result_ready_at.is_not(None),
            dossiers.c.closed_at.is_(None)).order_by(dossiers.c.result_ready_at)).scalars().all()
    assert len(waiting) >= 2
    for code in waiting[:2]:  # ready before the watermark, handed over after it
        world.act(code, "clerk", "return_result", vn(2026, 3, 18, 11))
    now = vn(2026, 3, 18, 12)
    periods = WHOLE + CUT + [(date(2026, 3, 18), date(2026, 3, 18))]
    with engine.connect() as conn:
        assert report_rollup.watermark(conn) == date(2026, 3, 18)
        got = report(conn, calendar, now, periods)
        assert got == direct(conn, calendar, now, periods)
        assert got[-1][1][reports.COLUMNS.index("returned")] >= 2
        assert report(conn, calendar, now, periods, "T1") == direct(conn, calendar, now, periods, "T1")


def test_an_import_of_a_result_ready_before_the_watermark_clears_the_rollup(world, engine, calendar, clock, ctx):
    """Not closed, so not in report_daily, but its result is ready before the watermark:
    the "ready" tables lack it, so the rollup must go (as for a closed one)."""
    import json
    from workflow.services.importing.previous_system import import_dossiers
    build_report_fixture(world)
    with engine.begin() as conn:
        report_rollup.refresh(conn, date(2026, 3, 18), calendar.tz, clock.at)
    line = dict(procedure_code=H, status="result_ready", channel="in_person", applicant={"name": "Trần Thị B"},
                documents=["GDN"], received_at="2026-03-10T09:00:00+07:00",
                result_ready_at="2026-03-11T09:00:00+07:00")
    import_dossiers(ctx, [json.dumps(line)], "import")
    with engine.connect() as conn:
        assert report_rollup.watermark(conn) is None
