"""Deadline sweep over N open dossiers on PostgreSQL (default 1,000,000).

Issue target: the sweep over 1M open dossiers under 3 s. Loads N in-progress dossiers with
COPY (due moments spread from 5 days ago to 30 days ahead, step due moments from 2 days
ago to 5 days ahead, across the four steps and agencies of the test procedure), then
times: the first sweep (catching up every crossing at once), a steady sweep right after
(no new crossings) and a sweep five minutes later (a few new crossings), each the median
of several runs, beside pgbench tpcb-like TPS measured in the same run.

    python bench/sweep.py [--rows N] [--pg-admin-url URL] [--seconds S]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from lifecycle import PGBENCH_DB, RUN, db_url, prepare_bench_db, recreate_db, run_pgbench  # noqa: E402
from workflow.adapters.database import make_engine  # noqa: E402
from workflow.bootstrap import build_calendar  # noqa: E402
from workflow.services.context import Context  # noqa: E402
from workflow.services.deadlines.escalation import sweep  # noqa: E402

DB = f"{RUN}_sweep"
STEPS = [("TD", "T1.KT"), ("THUE", "TAX"), ("PD", "T1.LD"), ("TKQ", "T1")]
COLUMNS = ("code", "procedure_id", "procedure_code", "agency", "status", "step_code", "step_agency",
           "channel", "applicant_name", "documents", "missing_documents", "flags", "visits",
           "supplement_trips", "created_at", "received_at", "due_at", "appointment_at",
           "step_due_at", "last_seq", "version", "repeat_visit", "guidance", "competent_unit")


def load(url: str, rows: int, now: datetime, seed: int = 7) -> float:
    rnd = random.Random(seed)
    started = time.perf_counter()
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        procedure_id = conn.execute("SELECT id FROM procedures WHERE code = '1.001612'").fetchone()[0]
        with conn.cursor().copy(f"COPY dossiers ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            docs = json.dumps(["GDN", "CCCD"])
            for i in range(rows):
                step, agency = STEPS[i % 4]
                due = now + timedelta(minutes=rnd.randint(-5 * 1440, 30 * 1440))
                step_due = now + timedelta(minutes=rnd.randint(-2 * 1440, 5 * 1440))
                received = due - timedelta(days=5)
                copy.write_row((f"T1-B-{i:08d}", procedure_id, "1.001612", "T1", "in_progress", step,
                                agency, "in_person", "Nguyễn Văn An", docs, "[]", "[]", 1, 0,
                                received, received, due, due, step_due, 2, 2, False, "[]", "T1"))
        conn.execute("ANALYZE dossiers")
    return time.perf_counter() - started


def timed(ctx: Context, runs: int) -> tuple[float, dict]:
    times, counts = [], {}
    for _ in range(runs):
        t = time.perf_counter()
        counts = sweep(ctx)
        times.append(time.perf_counter() - t)
    return statistics.median(times), counts


def measure(admin_url: str, rows: int, log=print) -> dict:
    """Load `rows` open dossiers into a fresh database, time the sweeps, drop it."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    url = db_url(admin_url, DB)
    try:
        recreate_db(admin, DB)
        prepare_bench_db(url)
        now = datetime.now(timezone.utc)
        log(f"      loading {rows:,} open dossiers with COPY ...")
        load_s = load(url, rows, now)
        clock = {"at": now}
        ctx = Context(engine=make_engine(url, 2, 0), calendar=build_calendar({
            "TIMEZONE": "Asia/Ho_Chi_Minh", "OFFICE_HOURS": "08:00-12:00,13:00-17:00",
            "EXTRA_DAYS_OFF": (), "EXTRA_WORKING_DAYS": ()}), now=lambda: clock["at"])
        first, first_counts = timed(ctx, 1)
        with ctx.engine.connect() as conn:  # what autovacuum does after a mass update
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        steady, _ = timed(ctx, 5)
        clock["at"] = now + timedelta(minutes=5)
        later, later_counts = timed(ctx, 1)
        with ctx.engine.connect() as conn:
            plan = conn.execute(text(
                "EXPLAIN ANALYZE SELECT id FROM dossiers WHERE status IN ('received','in_progress',"
                "'supplement_requested') AND step_due_level < 2 AND step_due_at < now() "
                "AND step_due_at IS NOT NULL")).scalars().all()
        ctx.engine.dispose()
        return dict(rows=rows, load_s=load_s, first=first, first_counts=first_counts, steady=steady,
                    later=later, later_counts=later_counts, plan=plan)
    finally:
        recreate_db(admin, DB, create=False)
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=10, help="pgbench duration")
    ap.add_argument("--pg-admin-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = ap.parse_args()
    admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
    try:
        recreate_db(admin, PGBENCH_DB)
        tps = run_pgbench(args.pg_admin_url, args.seconds, 4)
    finally:
        recreate_db(admin, PGBENCH_DB, create=False)
        admin.dispose()
    r = measure(args.pg_admin_url, args.rows)
    print(f"\n{args.rows:,} open dossiers loaded with COPY in {r['load_s']:.1f} s\n")
    print("| measure | value | note |\n|---|---|---|")
    print(f"| pgbench tpcb-like TPS (reference) | {tps:.0f} | 4 clients, {args.seconds} s |")
    print(f"| first sweep (catch-up) | {r['first']:.2f} s | {r['first_counts']} |")
    print(f"| steady sweep, no new crossing (median of 5) | {r['steady']:.2f} s | target < 3 s |")
    print(f"| sweep 5 minutes later | {r['later']:.2f} s | {r['later_counts']} |")
    print("\nplan of the steady step-overdue scan:\n  " + "\n  ".join(r["plan"][:6]))


if __name__ == "__main__":
    main()
