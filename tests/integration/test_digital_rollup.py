"""The service index's digitisation counts in the rollup (migration 0033,
workflow/services/reports/digitisation.electronic): with the watermark on every day
around and inside the periods, the digitised dossiers and the electronic results are
those of the direct count (SQLite and PostgreSQL); a dossier not closed is counted live,
so a file it gets after the refresh counts at once."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, func, select, update

from tests.integration.report_fixtures import build_report_fixture, world  # noqa: F401  (fixture)
from workflow.adapters.tables import dossiers
from workflow.adapters.tables_reports import report_daily, report_ready_daily, report_ready_monthly
from workflow.domain.dossier import Actor
from workflow.services.reports import digitisation
from workflow.services.reports import rollup as report_rollup
from workflow.services.reports import statistics as reports

PERIODS = [(date(2026, 3, 9), date(2026, 3, 13)), (date(2026, 3, 2), date(2026, 3, 31)),
           (date(2026, 3, 12), date(2026, 3, 12)), (date(2026, 1, 1), date(2026, 12, 31)),
           (date(2026, 2, 20), date(2026, 3, 10))]
d = dossiers.c


def digitise_some(engine) -> None:
    """Every other received dossier digitised at reception; two results in three filed when
    ready (the files themselves are not what the report reads: their moments are)."""
    with engine.begin() as conn:
        conn.execute(update(dossiers).where(d.received_at.is_not(None), d.id % 2 == 0)
                     .values(digitised_at=d.received_at))
        conn.execute(update(dossiers).where(d.result_ready_at.is_not(None), d.id % 3 != 0)
                     .values(result_filed_at=d.result_ready_at))


def counted(conn, calendar) -> list:
    out = []
    for actor in (Actor("root", "admin", None), Actor("b", "supervisor", "T1")):
        scope = reports.scope_for(conn, actor)
        for first, last in PERIODS:
            out.append(sorted(digitisation.electronic(conn, reports.period(first, last, calendar.tz), scope).items()))
    return out


def reference(conn, calendar, first: date, last: date) -> tuple[int, int]:
    """The two counts from the dossiers alone, written apart from the product's queries."""
    p = reports.period(first, last, calendar.tz)
    digitised = conn.execute(select(func.count()).where(
        d.received_at >= p.start, d.received_at < p.end, d.digitised_at.is_not(None))).scalar_one()
    filed = conn.execute(select(func.count()).where(
        d.status == "returned", d.closed_at >= p.start, d.closed_at < p.end,
        d.result_filed_at.is_not(None))).scalar_one()
    return digitised, filed


def totals(found: list) -> tuple[int, int]:
    return sum(c[0] for _, c in found), sum(c[1] for _, c in found)


def test_the_rollup_changes_no_digitisation_count(world, engine, calendar, clock):
    build_report_fixture(world)
    digitise_some(engine)
    now = clock.at
    with engine.connect() as conn:
        assert report_rollup.watermark(conn) is None
        direct = counted(conn, calendar)
        month = reference(conn, calendar, *PERIODS[1])
    assert totals(direct[1]) == month and all(month)  # the direct count is the reference's
    for through in [date(2026, 3, 2) + timedelta(days=k) for k in range(0, 19, 2)]:
        with engine.begin() as conn:
            report_rollup.refresh(conn, through, calendar.tz, now)
        with engine.connect() as conn:
            assert counted(conn, calendar) == direct, through
    with engine.connect() as conn:  # the closed dossiers' counts come from the sums
        kept = conn.execute(select(func.sum(report_daily.c.digitised), func.sum(report_daily.c.result_filed))).one()
        # ready, not handed over: it may still get files, so none of it is summed
        ready = [conn.execute(select(func.count()).where(t.c.digitised + t.c.result_filed != 0)).scalar_one()
                 for t in (report_ready_daily, report_ready_monthly)]
        not_ready = conn.execute(select(func.count()).select_from(report_ready_daily)).scalar_one()
    assert kept[0] > 0 and kept[1] > 0 and ready == [0, 0] and not_ready > 0


def test_a_dossier_digitised_after_the_refresh_counts_at_once(world, engine, calendar, clock):
    """A result ready before the watermark and not handed over is in the rollup's ready
    tables, but its documents can still be scanned: that counts now, not at the next refresh."""
    build_report_fixture(world)
    now = clock.at
    with engine.begin() as conn:
        report_rollup.refresh(conn, date(2026, 3, 18), calendar.tz, now)
    with engine.connect() as conn:
        before = counted(conn, calendar)
        waiting = conn.execute(select(d.id, d.received_at).where(
            d.status == "result_ready", d.result_ready_at < now - timedelta(days=1), d.digitised_at.is_(None))
            .order_by(d.id)).first()
    assert waiting is not None
    with engine.begin() as conn:
        conn.execute(update(dossiers).where(d.id == waiting.id).values(digitised_at=now))
    with engine.connect() as conn:
        after = counted(conn, calendar)
        expected = reference(conn, calendar, *PERIODS[3])
    assert totals(after[3]) == expected and totals(after[3])[0] == totals(before[3])[0] + 1
    with engine.connect() as conn:
        assert report_rollup.watermark(conn) == date(2026, 3, 18)
        in_march = conn.execute(select(func.count()).where(and_(
            d.id == waiting.id, d.received_at >= reports.period(*PERIODS[1], calendar.tz).start))).scalar_one()
    assert totals(after[1])[0] == totals(before[1])[0] + in_march


def test_migration_declares_the_two_measures(engine):
    """Every rollup table has the two columns as tables_reports.py declares them (a column
    the migration forgot, or one it adds that the tables do not declare, is a diff)."""
    import warnings
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from workflow.adapters.tables import metadata
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    # (the indexes of migrations 0003 and 0013 on the day and month are the migrations' only)
    assert [d for d in diffs if "report_" in repr(d) and "_index" not in repr(d)] == []
