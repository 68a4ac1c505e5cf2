"""Dashboard and report query times over N synthetic dossiers on PostgreSQL, beside
pgbench tpcb-like TPS measured in the same run (as bench/lifecycle.py does), and a check
with EXPLAIN that no query reads `dossiers` with a Seq Scan.

Why: the dashboard and the II.06a report must stay interactive on a city's history
(millions of dossiers), which only holds if every query is served by an index. The data
(bench/dashboard_data.py) is loaded with COPY into a fresh, migrated database: 40 wards (each with its own
versions of two procedures, 4 and 2 steps, one step at a shared tax office), two years
of dossiers received in office hours, step times drawn per step (the tax step slowest),
5% paused for a supplement, 4% rejected or withdrawn, the rest ready and handed over;
the state of each is wherever its timeline stands now. Each query runs through the
service functions the API uses, ~20 times; p50/p95 are printed.

Usage, from the repo root (the bench databases are dropped before and after):
    python bench/dashboard.py [--rows N] [--repeat 20] [--seconds 20] [--pg-admin-url URL]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from sqlalchemy import create_engine, event, text  # noqa: E402

from dashboard_data import WARDS, Timeline, init_worker, chunk, prepare  # noqa: E402
from lifecycle import db_url, recreate_db, run_pgbench  # noqa: E402
from workflow.adapters.database import make_engine  # noqa: E402
from workflow.domain.calendar import BusinessCalendar  # noqa: E402
from workflow.domain.dossier import Actor  # noqa: E402
from workflow.services import dashboard, reports  # noqa: E402

BENCH_DB = "motcua_bench_dashboard"
DOSSIER_COLS = tuple("""id code procedure_id procedure_code agency status step_code step_agency channel
    applicant_name documents missing_documents flags visits supplement_trips created_at received_at due_at
    appointment_at result_ready_at closed_at clock_budget clock_used clock_since step_budget step_used
    step_since step_started_at step_due_at received_by repeat_visit guidance last_seq version""".split())
EVENT_COLS = tuple("dossier_id seq at actor action from_state to_state step data".split())


def bulk_load(url: str, rows: int, procs: dict, tl: Timeline, workers: int) -> float:
    """COPY dossiers and their events (two streams side by side) with the secondary
    indexes and foreign keys dropped; then rebuild them, validate the keys, analyse."""
    import psycopg
    start = time.perf_counter()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn, psycopg.connect(dsn, autocommit=True) as conn2:
        indexes = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('dossiers', "
                               "'dossier_events') AND indexname !~ '^(pk|uq)_'").fetchall()
        keys = conn.execute("SELECT conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                            "WHERE contype = 'f' AND conrelid IN ('dossiers'::regclass, 'dossier_events'::regclass)")
        keys = keys.fetchall()
        for sql in [f'ALTER TABLE {t} DROP CONSTRAINT "{k}"' for t, k, _ in keys] + [f'DROP INDEX "{i}"' for i, _ in indexes]:
            conn.execute(sql)
        size = 10000
        with conn.cursor().copy(f"COPY dossiers ({', '.join(DOSSIER_COLS)}) FROM STDIN") as dc, \
                conn2.cursor().copy(f"COPY dossier_events ({', '.join(EVENT_COLS)}) FROM STDIN") as ec, \
                mp.get_context("fork").Pool(workers, init_worker, (tl, procs)) as pool:
            parts = [(a, min(a + size, rows + 1)) for a in range(1, rows + 1, size)]
            for n, (lines, events) in enumerate(pool.imap(chunk, parts), start=1):
                dc.write(lines)
                ec.write(events)
                if n * size % 500000 == 0:
                    print(f"      {n * size:,} dossiers ({time.perf_counter() - start:.0f} s)", flush=True)
        print(f"      copied in {time.perf_counter() - start:.0f} s; building indexes ...", flush=True)
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SELECT setval(pg_get_serial_sequence('dossiers', 'id'), %s)", (rows,))
        for sql in [ddl for _, ddl in indexes] + [f'ALTER TABLE {t} ADD CONSTRAINT "{k}" {ddl}' for t, k, ddl in keys] \
                + ["VACUUM (ANALYZE) dossiers", "VACUUM (ANALYZE) dossier_events"]:
            conn.execute(sql)
    return time.perf_counter() - start


# -- queries ------------------------------------------------------------------------------
def query_set(conn, cal: BusinessCalendar, now: datetime):
    """(label, scope name, function(conn) -> result, size(result))."""
    today = now.astimezone(cal.tz).date()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    month = reports.period(last_month_end.replace(day=1), last_month_end, cal.tz)
    year = reports.period(today - timedelta(days=364), today, cal.tz)
    last30 = reports.period(today - timedelta(days=29), today, cal.tz, 366)
    m = dashboard.moments(now, cal)
    scopes = {"ward": reports.scope_for(conn, Actor("bench", "supervisor", WARDS[0])),
              "city": reports.scope_for(conn, Actor("bench", "admin", None))}
    out = []
    for name, s in scopes.items():
        log = lambda c, s=s: sum(1 for _ in c.execute(reports.log_rows(month, s, now, cal.tz).execution_options(
            stream_results=True, yield_per=2000)))
        out += [(label, name, f, size) for label, f, size in (
            ("dashboard counts", lambda c, s=s: dashboard.counts(c, s, m), lambda r: r["total"]["total"]),
            ("drill-down: overdue, page 1", lambda c, s=s: dashboard.drill_down(c, s, m, "overdue"), lambda r: r[1]),
            ("on-time rate, 12 weeks", lambda c, s=s: dashboard.on_time_by_week(c, s, now, cal.tz),
             lambda r: sum(w["total"] for w in r)),
            ("bottlenecks, 30 days", lambda c, s=s: dashboard.bottlenecks(c, s, last30, cal), lambda r: r["sample"]),
            ("II.06a summary, last month", lambda c, s=s: reports.summary(c, month, s, now, cal.tz),
             lambda r: r["total"]["received_total"]),
            ("II.06a summary, 365 days", lambda c, s=s: reports.summary(c, year, s, now, cal.tz),
             lambda r: r["total"]["received_total"]),
            ("log book rows, last month", log, lambda r: r))]
    return out


def scans(node):
    """'Node using index on table' for every scan of dossiers or dossier_events in a plan."""
    if node.get("Relation Name") in ("dossiers", "dossier_events"):
        yield node["Node Type"] + (f" using {node['Index Name']}" if "Index Name" in node else "") \
            + f" on {node['Relation Name']}"
    for child in node.get("Plans", []):
        yield from scans(child)


def timed(run, conn) -> float:
    t = time.perf_counter()
    run(conn)
    return (time.perf_counter() - t) * 1000


def measure(url: str, repeat: int, cal: BusinessCalendar) -> tuple[list, list]:
    """Each query: one run to warm up and capture its statements, `repeat` timed runs,
    then EXPLAIN of each statement."""
    engine = make_engine(url, 2, 0)
    captured: list | None = None

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):
        if captured is not None and statement.startswith("SELECT") and "dossiers" in statement:
            captured.append((statement, parameters))

    now = datetime.now(timezone.utc)
    results, plans = [], []
    with engine.connect() as conn:
        for label, scope, run, size in query_set(conn, cal, now):
            captured = []
            value = size(run(conn))  # warm-up, and the statements to explain
            statements, captured = captured, None
            times = sorted(timed(run, conn) for _ in range(repeat))
            results.append((label, scope, times[len(times) // 2], times[min(len(times) - 1, int(.95 * len(times)))],
                            value))
            for statement, params in statements:
                plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()[0]["Plan"]
                found = list(dict.fromkeys(scans(plan)))
                plans.append((label, scope, plan["Node Type"], found, [x for x in found if x.startswith("Seq")]))
            print(f"      {label} ({scope}): p50 {results[-1][2]:.1f} ms", flush=True)
    engine.dispose()
    return results, plans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name, default, what in (("rows", 5_000_000, "synthetic dossiers to load"), ("repeat", 20, "timed runs"),
                                ("seconds", 20, "pgbench duration"), ("clients", 4, "pgbench clients"),
                                ("workers", len(os.sched_getaffinity(0)), "processes generating rows")):
        ap.add_argument(f"--{name}", type=int, default=default, help=what)
    ap.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    ap.add_argument("--pg-admin-url", default=os.environ.get(
        "PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    a = ap.parse_args()
    admin = create_engine(a.pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        pg_version = conn.execute(text("SHOW server_version")).scalar_one()
    url, cal, began = db_url(a.pg_admin_url, BENCH_DB), BusinessCalendar(), time.perf_counter()
    try:
        recreate_db(admin, "motcua_bench_pgbench")
        print(f"[1/3] pgbench tpcb-like: -c {a.clients} -j 2 -T {a.seconds} (scale 10) ...", flush=True)
        tps = run_pgbench(a.pg_admin_url, a.seconds, a.clients)
        recreate_db(admin, "motcua_bench_pgbench", create=False)
        recreate_db(admin, BENCH_DB)
        print(f"      tps = {tps:.1f}\n[2/3] loading {a.rows:,} dossiers with COPY ...", flush=True)
        load_s = bulk_load(url, a.rows, prepare(url), Timeline(cal, datetime.now(timezone.utc)), a.workers)
        with admin.connect() as conn:
            size = conn.execute(text(f"SELECT pg_size_pretty(pg_database_size('{BENCH_DB}'))")).scalar()
        print(f"      ready in {load_s:.0f} s ({size})\n[3/3] queries, {a.repeat} runs each ...", flush=True)
        results, plans = measure(url, a.repeat, cal)
    finally:
        if not a.keep:
            recreate_db(admin, BENCH_DB, create=False)
        admin.dispose()
    print(f"\n{a.rows:,} dossiers ({size}), {a.repeat} runs per query; pgbench tpcb-like "
          f"-c {a.clients} -T {a.seconds}: {tps:.1f} TPS\n")
    print("| query | scope | p50 ms | p95 ms | counted | queries/s at p50 vs pgbench TPS |\n|---|---|---|---|---|---|")
    for label, scope, p50, p95, value in results:
        print(f"| {label} | {scope} | {p50:.1f} | {p95:.1f} | {value:,} | {1000 / p50 / tps:.3f}x |")
    print("\nplans (root node; scans of dossiers / dossier_events):")
    for label, scope, root, found, _ in plans:
        print(f"  {label} ({scope}): {root}; " + "; ".join(found))
    bad = [(lb, sc) for lb, sc, _, _, seq in plans if any("on dossiers" in s for s in seq)]
    print("\nSeq Scan on dossiers: " + (", ".join(f"{lb} ({sc})" for lb, sc in bad) if bad else "none"))
    print(f"\nmachine: nproc={len(os.sched_getaffinity(0))}, PostgreSQL {pg_version}, Python "
          f"{platform.python_version()}, {platform.platform()}; whole run {time.perf_counter() - began:.0f} s")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
