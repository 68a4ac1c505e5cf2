"""The daily rollup of the II.06a report (workflow/services/reports/rollup.py) changes no
figure: on the hand-counted fixture of test_reports.py, with the watermark on every day
around and inside the periods, the summary and the on-time rate by week are those of
the direct count (SQLite and PostgreSQL); the hot dossiers are still counted live, and an
import clears the rollup."""
from __future__ import annotations

import json
from datetime import date, timedelta

from tests.conftest import vn
from tests.integration.report_fixtures import H, build_report_fixture, world  # noqa: F401  (fixture)
from tests.integration.test_reports import EXPECTED, TOTAL, figures
from workflow.domain.dossier import Actor
from workflow.services.reports import dashboard
from workflow.services.reports import rollup as report_rollup
from workflow.services.reports import statistics as reports
from workflow.services.importing.previous_system import import_dossiers

ADMIN = Actor("root", "admin", None)
PERIODS = [(date(2026, 3, 9), date(2026, 3, 13)), (date(2026, 3, 16), date(2026, 3, 18)),
           (date(2026, 3, 2), date(2026, 3, 31)), (date(2026, 3, 12), date(2026, 3, 12)),
           (date(2026, 1, 1), date(2026, 12, 31))]


def everything(conn, calendar, now):
    out = []
    for scope in (reports.scope_for(conn, ADMIN), reports.scope_for(conn, Actor("b", "supervisor", "T1"))):
        for first, last in PERIODS:
            r = reports.summary(conn, reports.period(first, last, calendar.tz), scope, now, calendar.tz)
            out.append(([(row["agency"], row["procedure_code"], figures(row)) for row in r["rows"]],
                        figures(r["total"])))
        out.append(dashboard.on_time_by_week(conn, scope, now, calendar.tz, weeks=8))
    return out


def test_rollup_changes_no_figure(world, engine, calendar, clock):
    build_report_fixture(world)
    now = clock.at
    with engine.connect() as conn:
        assert report_rollup.watermark(conn) is None
        direct = everything(conn, calendar, now)
        r = reports.summary(conn, reports.period(*PERIODS[0], calendar.tz), reports.scope_for(conn, ADMIN),
                            vn(2026, 3, 18, 10, 0), calendar.tz)
        assert figures(r["total"]) == TOTAL  # the direct count is the hand count
    rows = 0
    for through in [date(2026, 3, 2) + timedelta(days=k) for k in range(0, 19, 2)]:
        with engine.begin() as conn:
            rows += report_rollup.refresh(conn, through, calendar.tz, now)
        with engine.connect() as conn:
            assert report_rollup.watermark(conn) == through
            assert everything(conn, calendar, now) == direct, through
    assert rows > 10  # the rollup holds something: the dossiers closed before 18 March
    with engine.connect() as conn:
        r = reports.summary(conn, reports.period(*PERIODS[0], calendar.tz), reports.scope_for(conn, ADMIN),
                            now, calendar.tz)
    assert {(row["agency"], row["procedure_code"]): figures(row) for row in r["rows"]} == EXPECTED


def test_refresh_is_idempotent_and_an_import_clears_the_rollup(world, engine, calendar, clock, ctx):
    build_report_fixture(world)
    now = clock.at
    with engine.begin() as conn:
        report_rollup.refresh(conn, date(2026, 3, 18), calendar.tz, now)
    with engine.begin() as conn:
        assert report_rollup.refresh(conn, date(2026, 3, 18), calendar.tz, now) == 0  # nothing new
        assert report_rollup.refresh(conn, date(2026, 3, 10), calendar.tz, now) == 0  # never backwards
    with engine.connect() as conn:
        before = everything(conn, calendar, now)
    line = dict(procedure_code=H, status="returned", channel="in_person",
                applicant={"name": "Trần Thị B"}, documents=["GDN"], received_at="2026-03-10T09:00:00+07:00",
                result_ready_at="2026-03-11T09:00:00+07:00", closed_at="2026-03-12T09:00:00+07:00")
    import_dossiers(ctx, [json.dumps(line)], "import")
    with engine.connect() as conn:
        assert report_rollup.watermark(conn) is None  # a past dossier arrived: count directly
        after = everything(conn, calendar, now)
    assert after != before
    assert after[0][1][0] == before[0][1][0] + 1  # received in the first period, +1


def test_cli_rolls_up_what_is_closed_and_the_report_stays(world, app, engine, clock, calendar):
    build_report_fixture(world)  # the app's clock is the fixture's: Wed 18 March 10:00
    out = app.test_cli_runner().invoke(args=["reports", "rollup"])
    assert out.exit_code == 0, out.output
    assert "through=2026-03-18" in out.output and "rows=0" not in out.output
    with engine.connect() as conn:
        assert report_rollup.watermark(conn) == date(2026, 3, 18)
        r = reports.summary(conn, reports.period(*PERIODS[0], calendar.tz), reports.scope_for(conn, ADMIN),
                            clock.at, calendar.tz)
    assert {(row["agency"], row["procedure_code"]): figures(row) for row in r["rows"]} == EXPECTED
    again = app.test_cli_runner().invoke(args=["reports", "rollup"])
    assert "rows=0" in again.output  # run twice: nothing added twice
