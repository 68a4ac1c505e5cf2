"""City-scale figures over a generated city-year (bench/workload.py) on PostgreSQL: p50/p95
of every dashboard query, of the II.06a statistics report (ward and city, month, quarter,
year), of the SIPAS report and of two boundary-free questions (a point's dossiers taken in
for other units, the results waiting at it: issue 22); peak memory of a streamed 1M-row
export (CSV and XLSX) beside an idle process; and EXPLAIN of every query, which must not
read `dossiers` with a Seq Scan.

Why: the dashboard and reports must stay interactive on a city's history, which holds
only while each query is served by an index or a small rollup, and an export of a city's
year must not grow with its row count. Targets (issue 7): every dashboard/report query
under TARGET_MS at p95 at 5M dossiers; export peak RSS under TARGET_MB whatever the rows.
The log book rows (sổ theo dõi) are an export, timed here for reference, not against the
interactive target. Each query runs through the service functions the API uses, after
one warm-up run (which also captures its SQL for EXPLAIN).

Usage, from the repo root (the database is named motcua_bench_city_<rows>):
    python bench/city.py --rows 5000000 [--reuse] [--keep] [--check-plans] [--sample-error]
                         [--json out.json]
The machine is usually shared: the figures are noisy; compare p50 more than p95.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from sqlalchemy import create_engine, event, func, make_url, select, text  # noqa: E402

import city_load  # noqa: E402
import workload  # noqa: E402
from config import get_config  # noqa: E402
from workflow.adapters.database import make_engine  # noqa: E402
from workflow.adapters.tables import dossiers  # noqa: E402
from workflow.domain.calendar import BusinessCalendar  # noqa: E402
from workflow.domain.dossier import Actor  # noqa: E402
from workflow.services.reports import digitisation, service_index  # noqa: E402
from workflow.services.reports import boundary_free, dashboard
from workflow.services.reports import rollup as report_rollup
from workflow.services.reports import statistics as reports
from workflow.services.context import Context  # noqa: E402
from workflow.services.surveys.sipas_report import sipas_report  # noqa: E402
from workflow.services.surveys.config import survey_config  # noqa: E402

TARGET_MS, TARGET_MB = 300, 200
DEFAULT_NOW = "2026-11-27T16:00:00+07:00"
WARD = "H26.HD"  # a ward's supervisor: phường Hà Đông and its units


# -- the queries ---------------------------------------------------------------------------
def periods(now: datetime, tz) -> dict:
    """Last complete month and quarter, and the 365 days to today (local dates)."""
    today = now.astimezone(tz).date()
    month_end = today.replace(day=1) - timedelta(days=1)
    q_first_month = (month_end.month - 1) // 3 * 3 + 1
    q_end = month_end if month_end.month % 3 == 0 else \
        month_end.replace(day=1, month=q_first_month) - timedelta(days=1)
    q_start = q_end.replace(day=1, month=(q_end.month - 1) // 3 * 3 + 1)
    return {"month": reports.period(month_end.replace(day=1), month_end, tz),
            "quarter": reports.period(q_start, q_end, tz),
            "year": reports.period(today - timedelta(days=364), today, tz)}


def query_set(conn, ctx: Context, conf, ward: str) -> list:
    """(label, scope, run(conn), size(result), interactive?)."""
    cal, now = ctx.calendar, ctx.now()
    ps = periods(now, cal.tz)
    last30 = reports.period(now.astimezone(cal.tz).date() - timedelta(days=29), now.astimezone(cal.tz).date(),
                            cal.tz, 366)
    m = dashboard.moments(now, cal)
    scopes = {"ward": reports.scope_for(conn, Actor("bench", "supervisor", ward)),
              "city": reports.scope_for(conn, Actor("bench", "admin", None))}
    out = []
    for name, s in scopes.items():
        out += [
            ("dashboard counts", name, lambda c, s=s: dashboard.counts(c, s, m), lambda r: r["total"]["total"], True),
            ("drill-down: overdue, page 1", name, lambda c, s=s: dashboard.drill_down(c, s, m, "overdue"),
             lambda r: r[1], True),
            ("on-time rate, 12 weeks", name, lambda c, s=s: dashboard.on_time_by_week(c, s, now, cal.tz),
             lambda r: sum(w["total"] for w in r), True),
            ("bottlenecks, 30 days", name, lambda c, s=s: dashboard.bottlenecks(c, s, last30, cal),
             lambda r: r["sample"], True)]
        for pname, p in ps.items():
            out.append((f"II.06a summary, {pname}", name,
                        lambda c, s=s, p=p: reports.summary(c, p, s, now, cal.tz),
                        lambda r: r["total"]["received_total"], True))
        out.append(("service index (766), month", name,
                    lambda c, s=s: service_index.measure(c, ps["month"], s, now, cal.tz),
                    lambda r: r["groups"][1]["criteria"][0]["denominator"] or 0, True))
        # the service index page (/giam-sat/chi-so-766): the period and its six-month trend
        out.append(("service index page (month and 6-month trend)", name,
                    lambda c, s=s: [service_index.measure(c, ps["month"], s, now, cal.tz),
                                    service_index.trend(c, ps["month"].last, s, now, cal.tz, 6)],
                    lambda r: len(r[1]), True))
        out.append(("digitisation report, month", name,
                    lambda c, s=s: digitisation.measure(c, ps["month"], s, now, cal.tz),
                    lambda r: r["total"]["digitised"], True))
        # issue 22: the boundary-free report, and II.06a / the dashboard by competent unit
        # (by competent unit: the rollup by receiving point, corrected by the boundary-free sums)
        out.append(("boundary-free report, month", name,
                    lambda c, s=s: boundary_free.report(c, ps["month"], s, now),
                    lambda r: r["received_elsewhere"]["total"], True))
        out.append(("II.06a summary by competent unit, month", name,
                    lambda c, s=s: reports.summary(c, ps["month"], s, now, cal.tz, "competent"),
                    lambda r: r["total"]["received_total"], True))
        out.append(("dashboard counts by competent unit", name,
                    lambda c, s=s: dashboard.counts(c, s, m, "competent"), lambda r: r["total"]["total"], True))
        out.append(("log book rows, month (export)", name, lambda c, s=s: sum(1 for _ in c.execute(
            reports.log_rows(ps["month"], s, now, cal.tz).execution_options(stream_results=True, yield_per=2000))),
            lambda r: r, False))
    out += boundary_free_queries(ps["month"], ward)
    year = ps["year"]
    for name, agency in (("ward", ward), ("city", None)):
        out.append(("SIPAS report, 12 months", name,
                    lambda c, agency=agency: sipas_report(ctx, conf, year.first, year.last, agency),
                    lambda r: r["overall"]["responses"], True))
    return out


def boundary_free_queries(month, ward: str) -> list:
    """What a service point's supervisor asks about boundary-free work (issue 22), for a
    ward's desk and the city's centre: how many dossiers it took in for other units over a
    month, and how many results wait at its counter for collection. Representative SQL
    (SQLAlchemy Core), standing in for the boundary-free report service until it lands."""
    d = dossiers.c
    out = []
    for scope, point in (("ward", ward), ("city point", workload.CITY_POINT)):
        for_others = select(func.count()).select_from(dossiers).where(
            d.agency == point, d.received_at >= month.start, d.received_at < month.end,
            d.competent_unit != d.agency)
        waiting = select(func.count()).select_from(dossiers).where(
            d.return_at == point, d.status == "result_ready")
        out += [("boundary-free: received for other units, month", scope,
                 lambda c, q=for_others: c.execute(q).scalar_one(), lambda r: r, True),
                ("boundary-free: results waiting at the point", scope,
                 lambda c, q=waiting: c.execute(q).scalar_one(), lambda r: r, True)]
    return out


def scans(node):
    """(node type, index or None, table) of every scan in a plan."""
    if "Relation Name" in node:
        yield node["Node Type"], node.get("Index Name"), node["Relation Name"]
    for child in node.get("Plans", []):
        yield from scans(child)


def measure(url: str, ctx_now: datetime, repeat: int, ward: str, log=print) -> tuple[list, list]:
    """Each query: a warm-up run capturing its statements, `repeat` timed runs, then
    EXPLAIN (FORMAT JSON) of each statement."""
    engine = make_engine(url, 2, 0)
    captured: list | None = None

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn, cursor, statement, parameters, context, executemany):
        if captured is not None and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    ctx = Context(engine, BusinessCalendar(), lambda: ctx_now)
    cfg = get_config("testing")
    conf = survey_config({k: getattr(cfg, k) for k in dir(cfg) if k.isupper()})
    results, plans = [], []
    with engine.connect() as conn:
        for label, scope, run, size, interactive in query_set(conn, ctx, conf, ward):
            captured = []
            value = size(run(conn))
            conn.rollback()
            statements, captured = captured, None
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                run(conn)
                times.append((time.perf_counter() - t) * 1000)
                conn.rollback()
            times.sort()
            p50, p95 = times[len(times) // 2], times[min(len(times) - 1, int(0.95 * len(times)))]
            results.append(dict(label=label, scope=scope, p50=p50, p95=p95, value=value, interactive=interactive))
            for statement, params in statements:
                if "dossiers" not in statement and "surveys" not in statement:
                    continue
                reports.quick(conn)
                plan = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, params).scalar()[0]["Plan"]
                conn.rollback()
                found = list(dict.fromkeys(scans(plan)))
                plans.append(dict(label=label, scope=scope, root=plan["Node Type"], scans=found,
                                  seq_on_dossiers=[f for f in found if f[0] == "Seq Scan" and f[2] == "dossiers"]))
            log(f"      {label} ({scope}): p50 {p50:.1f} ms, p95 {p95:.1f} ms, counted {value:,}")
    engine.dispose()
    return results, plans


def rollup_through(url: str, now: datetime) -> dict:
    """What the nightly task does: roll up every dossier closed before today."""
    engine = make_engine(url, 1, 0)
    try:
        return report_rollup.refresh_now(Context(engine, BusinessCalendar(), lambda: now))
    finally:
        engine.dispose()


# -- export memory, in a fresh interpreter ---------------------------------------------------
def export_child(url: str, fmt: str, rows: int, now: datetime) -> None:
    """Stream the city's year of log-book rows (at most `rows`) as `fmt` to nowhere, then
    print {"rows", "maxrss_mb", "seconds"}. fmt 'idle' only imports the same modules."""
    from workflow.adapters.export import csv_stream, local_value, stream_rows, xlsx_stream
    start, n = time.perf_counter(), 0
    if fmt != "idle":
        engine = make_engine(url, 1, 0)
        cal = BusinessCalendar()
        with engine.connect() as conn:
            scope = reports.scope_for(conn, Actor("bench", "admin", None))
        stmt = reports.log_rows(periods(now, cal.tz)["year"], scope, now, cal.tz).limit(rows)
        counted = [0]

        def body():
            for row in stream_rows(engine, stmt):
                counted[0] += 1
                yield row
        chunks = csv_stream(reports.LOG_COLUMNS, body(), local_value(cal.tz)) if fmt == "csv" else \
            xlsx_stream([("log", reports.LOG_COLUMNS, body())], local_value(cal.tz))
        with open(os.devnull, "wb") as sink:
            for chunk in chunks:
                sink.write(chunk)
        n = counted[0]
        engine.dispose()
    print(json.dumps(dict(rows=n, maxrss_mb=peak_rss_mb(), seconds=time.perf_counter() - start)))


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: on Linux that survives
    exec, so a child started by a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_memory(url: str, rows: int, now: datetime, formats=("idle", "csv", "xlsx")) -> dict:
    out = {}
    for fmt in formats:
        done = subprocess.run([sys.executable, __file__, "--export-child", fmt, "--url", url,
                               "--export-rows", str(rows), "--now", now.isoformat()],
                              capture_output=True, text=True, cwd=HERE.parent)
        if done.returncode:
            raise RuntimeError(f"export child {fmt}: {done.stderr[-2000:]}")
        out[fmt] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


# -- the run --------------------------------------------------------------------------------
def row(figure, value, unit, reference=None, target=None, ok=None) -> dict:
    return dict(figure=figure, value=value, unit=unit, reference=reference, target=target, ok=ok)


def revision(url: str) -> tuple[str, ...]:
    """The heads the database is at (the migrations have several branches)."""
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return tuple(sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()))
    finally:
        eng.dispose()


def vacuum(url: str) -> None:
    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            for t in [*workload.TABLES, *city_load.TALLIES]:
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {t}")
    finally:
        eng.dispose()


def dossier_count(admin_url: str, name: str) -> int | None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), dict(n=name)).scalar():
                return None
        eng = create_engine(make_url(admin_url).set(database=name))
        with eng.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM dossiers")).scalar()
    except Exception:  # noqa: BLE001 - a broken leftover is simply reloaded
        return None
    finally:
        admin.dispose()


def has_file_moments(url: str) -> bool:
    """Whether a reused city has the digitisation moments bench/workload.py writes (a city
    loaded before it has none: the digitisation report's partial indexes would be empty)."""
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return bool(conn.execute(text(
                "SELECT EXISTS (SELECT 1 FROM dossiers WHERE digitised_at IS NOT NULL) "
                "AND EXISTS (SELECT 1 FROM dossiers WHERE status = 'returned' AND result_filed_at IS NOT NULL)")).scalar())
    finally:
        eng.dispose()


def recreate(admin_url: str, name: str, create: bool = True) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def sample_error(url: str, ctx_now: datetime, min_visits: int = 200) -> dict:
    """The city's bottleneck view (30 days), its sample against every visit of the period:
    the relative error of each step's median and 90th percentile, over the steps with at
    least `min_visits` visits in the whole. Why: the view trades precision for staying
    interactive at any size (dashboard._sample); this says what the trade costs."""
    engine = make_engine(url, 2, 0)
    cal = BusinessCalendar()
    today = ctx_now.astimezone(cal.tz).date()
    p = reports.period(today - timedelta(days=29), today, cal.tz, 366)
    with engine.connect() as conn:
        scope = reports.scope_for(conn, Actor("bench", "admin", None))
        sampled = dashboard.bottlenecks(conn, scope, p, cal)
        conn.rollback()
        whole = dashboard.bottlenecks(conn, scope, p, cal, max_dossiers=10**9)
        conn.rollback()
    engine.dispose()
    ref = {(i["procedure_code"], i["step"]): i for i in whole["items"]}
    errors = sorted(abs(i[k] - ref[key][k]) / ref[key][k]
                    for i in sampled["items"] for key in [(i["procedure_code"], i["step"])]
                    if ref[key]["visits"] >= min_visits for k in ("median_minutes", "p90_minutes") if ref[key][k])
    return dict(sample=sampled["sample"], every=sampled["every"], whole=whole["sample"], figures=len(errors),
                median=errors[len(errors) // 2] if errors else None,
                p90=errors[int(len(errors) * 0.9)] if errors else None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=5_000_000, help="dossiers in the city-year")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--boundary-free-share", type=float, default=workload.BOUNDARY_FREE_SHARE,
                    help="ASSUMPTION: share of in-person dossiers of a ward procedure taken in at another "
                         "point (bench/workload.py; default %(default)s; not checked on --reuse)")
    ap.add_argument("--now", default=DEFAULT_NOW, help="the moment the data ends and queries run at")
    ap.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    ap.add_argument("--export-rows", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--reuse", action="store_true", help="reuse motcua_bench_city_<rows> if it is complete")
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--check-plans", action="store_true", help="exit 1 on a Seq Scan of dossiers")
    ap.add_argument("--skip-export", action="store_true")
    ap.add_argument("--skip-queries", action="store_true", help="only the export memory (with --reuse)")
    ap.add_argument("--json", help="write the figures as JSON rows to this path")
    ap.add_argument("--sample-error", action="store_true",
                    help="also measure the bottleneck sample against every visit (slow at city scale)")
    ap.add_argument("--pg-admin-url", default=os.environ.get(
        "PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--export-child", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    now = datetime.fromisoformat(a.now)
    if a.export_child:
        export_child(a.url, a.export_child, a.export_rows, now)
        return 0
    name = f"motcua_bench_city_{a.rows}"
    url = make_url(a.pg_admin_url).set(database=name).render_as_string(hide_password=False)
    began, figures, loaded, rollup, rollup_s = time.perf_counter(), [], None, {"rows": 0}, 0.0
    try:
        reuse = a.reuse and dossier_count(a.pg_admin_url, name) == a.rows
        if reuse:
            from workflow.adapters.migrations import upgrade
            was = revision(url)
            upgrade(url)  # indexes of newer revisions
            if revision(url) != was:  # a backfill (0030) leaves dead rows and stale statistics:
                vacuum(url)           # as bulk_load leaves the tables, for index-only scans
            reuse = has_file_moments(url)
            if not reuse:
                print(f"      {name} predates the generator's digitised_at / result_filed_at: reloading",
                      flush=True)
        if reuse:
            print(f"[1/3] reusing {name}", flush=True)
        else:
            recreate(a.pg_admin_url, name)
            print(f"[1/3] generating and loading {a.rows:,} dossiers with COPY (seed {a.seed}) ...", flush=True)
            loaded = city_load.bulk_load(url, a.rows, a.seed, now, a.workers,
                                        log=lambda m: print(m, flush=True),
                                        boundary_free_share=a.boundary_free_share)
            print(f"      ready in {loaded['seconds']:.0f} s; sha256 {loaded['checksum'][:16]}", flush=True)
        t = time.perf_counter()
        rollup = rollup_through(url, now)
        rollup_s = time.perf_counter() - t
        print(f"      daily rollup through {rollup['through']}: {rollup['rows']:,} rows added in {rollup_s:.0f} s",
              flush=True)
        eng = create_engine(url)
        with eng.connect() as conn:
            size = conn.execute(text("SELECT pg_size_pretty(pg_database_size(current_database()))")).scalar()
            pg_version = conn.execute(text("SHOW server_version")).scalar()
        eng.dispose()
        print(f"[2/3] queries, {a.repeat} timed runs each (database {size}) ...", flush=True)
        results, plans = ([], []) if a.skip_queries else \
            measure(url, now, a.repeat, WARD, log=lambda m: print(m, flush=True))
        accuracy = sample_error(url, now) if a.sample_error else None
        exports = {}
        if not a.skip_export:
            print(f"[3/3] export of up to {a.export_rows:,} log-book rows, peak RSS in a child process ...",
                  flush=True)
            exports = export_memory(url, a.export_rows, now)
    finally:
        if not a.keep:
            recreate(a.pg_admin_url, name, create=False)
    n = f"{a.rows:,}"
    if loaded:
        figures.append(row(f"city-year generated and loaded with COPY ({n} dossiers, {size})",
                           loaded["seconds"], "s"))
    if rollup["rows"]:
        figures.append(row(f"daily rollup of the II.06a report, built (nightly: one day's closings; "
                           f"{rollup['rows']:,} rows)", round(rollup_s, 1), "s"))
    for r in results:
        target = f"< {TARGET_MS} ms p95" if r["interactive"] else None
        figures.append(row(f"{r['label']} ({r['scope']}, {n} dossiers; p50 {r['p50']:.0f} ms; counted {r['value']:,})",
                           round(r["p95"], 1), "ms p95", None, target,
                           r["p95"] < TARGET_MS if r["interactive"] else None))
    if accuracy and accuracy["figures"]:
        figures.append(row(f"bottleneck sample (every {accuracy['every']}: {accuracy['sample']:,} of "
                           f"{accuracy['whole']:,} visits), median relative error of {accuracy['figures']} "
                           "step medians and p90s", round(100 * accuracy["median"], 1), "%"))
        figures.append(row("bottleneck sample, 9 in 10 of those figures within", round(100 * accuracy["p90"], 1), "%"))
    idle = exports.get("idle", {}).get("maxrss_mb")
    for fmt in ("csv", "xlsx"):
        if fmt in exports:
            e = exports[fmt]
            figures.append(row(f"peak RSS of a streamed {fmt.upper()} log-book export ({e['rows']:,} rows in "
                               f"{e['seconds']:.0f} s; reference: idle process)", round(e["maxrss_mb"], 1), "MB",
                               round(idle, 1), f"< {TARGET_MB} MB", e["maxrss_mb"] < TARGET_MB))
    bad = [p for p in plans if p["seq_on_dossiers"]]
    if plans:
        figures.append(row("query plans with a Seq Scan on dossiers", len(bad), "", None, "0", not bad))
    print(f"\n{n} dossiers ({size}), {a.repeat} runs per query, now = {now.isoformat()}\n")
    print("| figure | value | reference | target | met? |\n|---|---|---|---|---|")
    for f in figures:
        met = {True: "yes", False: "**no**", None: ""}[f["ok"]]
        ref = "" if f["reference"] is None else f"{f['reference']:,} {f['unit']}"
        val = f"{f['value']:,.1f}" if isinstance(f["value"], float) else f"{f['value']:,}"
        print(f"| {f['figure']} | {val} {f['unit']} | {ref} | {f['target'] or ''} | {met} |")
    print("\nplans (root node; scans):")
    for p in plans:
        print(f"  {p['label']} ({p['scope']}): {p['root']}; " + "; ".join(
            f"{t}{' using ' + i if i else ''} on {rel}" for t, i, rel in p["scans"]))
    print("\nSeq Scan on dossiers: " + (", ".join(f"{p['label']} ({p['scope']})" for p in bad) if bad else "none"))
    print(f"\nmachine: nproc={len(os.sched_getaffinity(0))}, load {os.getloadavg()[0]:.2f}, PostgreSQL {pg_version}, "
          f"Python {platform.python_version()}; whole run {time.perf_counter() - began:.0f} s")
    if a.json:
        Path(a.json).write_text(json.dumps(figures, indent=1, ensure_ascii=False, default=str))
    return 1 if a.check_plans and bad else 0


if __name__ == "__main__":
    sys.exit(main())
