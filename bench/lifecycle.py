"""Throughput benchmark of full dossier lifecycles, beside pgbench measured in the same run.

Why this exists: the performance issue sets targets relative to what the machine's
PostgreSQL can do, not absolute numbers, so that results from a laptop and a server
compare. Targets: engine-only (use cases, no HTTP) >= 0.75x pgbench tpcb-like TPS, and
through HTTP (gunicorn + Flask) >= 0.4x pgbench TPS. One run measures all three:

1. reference: `pgbench -i -s 10` then `pgbench -c C -j 2 -T N` on a fresh database;
2. engine-only: C clients loop over intake -> forward x4 -> complete -> return_result
   through `workflow.services.dossiers.use_cases` (each intake or action = one transaction), spread
   over P processes (one per core by default: as gunicorn or Celery run the engine; the
   threads of one process share its GIL);
3. HTTP: gunicorn and wrk or locust (bench/http_load.py), intake only and full lifecycles.

Usage, from the repo root (bench databases are dropped before and after):
    python bench/lifecycle.py [--seconds N] [--clients C] [--pg-admin-url URL]
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

import http_load  # noqa: E402

from workflow.adapters.database import make_engine  # noqa: E402
from workflow.adapters.migrations import upgrade  # noqa: E402
from workflow.adapters.users import create_user, issue_token  # noqa: E402
from workflow.bootstrap import build_calendar  # noqa: E402
from workflow.services.importing.catalog import load  # noqa: E402
from workflow.domain.dossier import Actor, Applicant  # noqa: E402
from workflow.services.dossiers import use_cases  # noqa: E402
from workflow.services.context import Context, utc_now  # noqa: E402
from config import get_config  # noqa: E402

# named per run, so two runs at once (a test suite and a bench) never drop each other's
RUN = f"motcua_bench_tp_{os.getpid()}"
BENCH_DB, PGBENCH_DB = RUN, f"{RUN}_pgbench"
CATALOG = ROOT / "tests" / "fixtures" / "catalog"
PROCEDURE = "1.001612"
STAFF = {"clerk": ("counter", "T1"), "kt": ("officer", "T1.KT"),
         "tax": ("officer", "TAX"), "ld": ("officer", "T1.LD")}
# (who, action) after intake by the clerk; the last step (TKQ) is held by the desk T1.
STEPS = [("clerk", "forward"), ("kt", "forward"), ("tax", "forward"), ("ld", "forward"),
         ("clerk", "complete"), ("clerk", "return_result")]
APPLICANT = {"name": "Nguyễn Văn An", "id_number": "001090012345", "phone": "0912345678"}
DOCUMENTS = ["GDN", "CCCD"]


# -- databases --------------------------------------------------------------------------
def db_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def recreate_db(admin, name: str, create: bool = True) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))


def prepare_bench_db(url: str) -> dict[str, str]:
    """Migrate, load the fixture catalog, create staff; returns username -> API token."""
    upgrade(url)
    engine = make_engine(url, 1, 0)
    report = load(engine, [CATALOG])
    if report.errors:
        raise SystemExit(f"catalog errors: {report.errors}")
    with engine.begin() as conn:
        tokens = {}
        for name, (role, agency) in STAFF.items():
            create_user(conn, name, role, agency)
            tokens[name] = issue_token(conn, name)
    engine.dispose()
    return tokens


# -- 1. pgbench -------------------------------------------------------------------------
def run_pgbench(admin_url: str, seconds: int, clients: int) -> float:
    u = make_url(admin_url)
    conn_args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    env = dict(os.environ, **({"PGPASSWORD": u.password} if u.password else {}))
    subprocess.run(["pgbench", "-i", "-q", "-s", "10", *conn_args, PGBENCH_DB], env=env,
                   check=True, capture_output=True)
    for attempt in (1, 2):  # a shared server may drop a client once (exit 2): run it again
        done = subprocess.run(["pgbench", "-c", str(clients), "-j", "2", "-T", str(seconds),
                               *conn_args, PGBENCH_DB], env=env, capture_output=True, text=True)
        if done.returncode == 0:
            break
        print(f"      pgbench exit {done.returncode} (attempt {attempt}): {done.stderr.strip()[-500:]}",
              flush=True)
    else:
        raise SystemExit(f"pgbench failed twice:\n{done.stderr[-2000:]}")
    out = done.stdout
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if not m:
        raise SystemExit(f"could not parse pgbench output:\n{out}")
    return float(m.group(1))


# -- 2. engine-only ---------------------------------------------------------------------
def engine_lifecycle(ctx: Context, actors: dict[str, Actor], lat: list[float]) -> None:
    t = time.perf_counter()
    dossier, _ = use_cases.intake(ctx, actors["clerk"], PROCEDURE, Applicant(**APPLICANT),
                                  DOCUMENTS, "in_person")
    lat.append(time.perf_counter() - t)
    for who, action in STEPS:
        t = time.perf_counter()
        use_cases.act(ctx, actors[who], dossier.code, action, {})
        lat.append(time.perf_counter() - t)


def engine_context(url: str, pool: int) -> Context:
    settings = get_config("development")
    return Context(engine=make_engine(url, pool_size=pool, max_overflow=pool),
                   calendar=build_calendar({k: getattr(settings, k) for k in (
                       "TIMEZONE", "OFFICE_HOURS", "EXTRA_DAYS_OFF", "EXTRA_WORKING_DAYS")}),
                   now=utc_now)


def _engine_worker(args) -> tuple[int, list[float], list[str]]:
    """One client: its own process, engine and pool, as a web or worker process would be."""
    url, seconds, start_at, threads = args
    ctx = engine_context(url, threads)
    actors = {n: Actor(n, role, agency) for n, (role, agency) in STAFF.items()}
    engine_lifecycle(ctx, actors, [])  # warm-up: connect, build the lifecycle machine
    time.sleep(max(0.0, start_at - time.time()))
    results: list[tuple[int, list[float], list[str]]] = []

    def loop():
        lat, errors, n = [], [], 0
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            try:
                engine_lifecycle(ctx, actors, lat)
                n += 1
            except Exception as exc:  # noqa: BLE001 - counted and printed
                errors.append(repr(exc))
        results.append((n, lat, errors))

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    [th.start() for th in pool]
    [th.join() for th in pool]
    ctx.engine.dispose()
    return (sum(n for n, _, _ in results), [x for _, ls, _ in results for x in ls],
            [e for _, _, es in results for e in es])


def run_engine(url: str, seconds: float, clients: int, processes: int | None = None) -> dict:
    """`clients` concurrent lifecycles spread over `processes` processes (default: one per
    client; 1 = threads in one process, bound by its GIL)."""
    processes = processes or clients
    per = [clients // processes + (i < clients % processes) for i in range(processes)]
    start_at = time.time() + 2.0 + 0.3 * processes  # every process forked and warmed up
    with mp.get_context("fork").Pool(processes) as pool:
        out = pool.map_async(_engine_worker, [(url, seconds, start_at, t) for t in per]).get(
            timeout=seconds + 120)
    elapsed = time.time() - start_at
    lat = [x for _, ls, _ in out for x in ls]
    return dict(elapsed=elapsed, txns=len(lat), lifecycles=sum(n for n, _, _ in out), lat=lat,
                errors=[e for _, _, es in out for e in es], processes=processes)


# -- report -----------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] * 1000 if s else float("nan")


def rows_for(label: str, unit: str, r: dict, tps: float) -> list[tuple[str, str, str]]:
    rate = r["txns"] / r["elapsed"]
    return [(f"{label}: {unit}/s", f"{rate:.1f}", f"{rate / tps:.2f}x"),
            (f"{label}: lifecycles/s", f"{r['lifecycles'] / r['elapsed']:.1f}", ""),
            (f"{label}: latency p50 / p95 (ms)", f"{pct(r['lat'], .5):.1f} / {pct(r['lat'], .95):.1f}", ""),
            (f"{label}: errors", str(len(r["errors"])), "")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=20, help="duration of each phase")
    ap.add_argument("--clients", type=int, default=4, help="concurrent clients in each phase")
    ap.add_argument("--processes", type=int, default=min(4, os.cpu_count() or 1),
                    help="engine-only processes (1: threads in one process)")
    ap.add_argument("--users", type=int, default=8, help="HTTP clients (wrk connections or locust users)")
    ap.add_argument("--pg-admin-url", default=os.environ.get(
        "PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    a = ap.parse_args()
    admin = create_engine(a.pg_admin_url, isolation_level="AUTOCOMMIT")
    url = db_url(a.pg_admin_url, BENCH_DB)
    try:
        for name in (PGBENCH_DB, BENCH_DB):
            recreate_db(admin, name)
        print(f"[1/3] pgbench tpcb-like: -c {a.clients} -j 2 -T {a.seconds} (scale 10) ...", flush=True)
        tps = run_pgbench(a.pg_admin_url, a.seconds, a.clients)
        recreate_db(admin, PGBENCH_DB, create=False)
        tokens = prepare_bench_db(url)
        print(f"      tps = {tps:.1f}\n[2/3] engine-only, {a.clients} clients in {a.processes} "
              "processes ...", flush=True)
        eng = run_engine(url, a.seconds, a.clients, a.processes)
        print(f"      {eng['txns'] / eng['elapsed']:.1f} transitions/s\n[3/3] HTTP ...", flush=True)
        web = http_load.measure(url, tokens, a.seconds, a.users)
    finally:
        for name in (PGBENCH_DB, BENCH_DB):
            recreate_db(admin, name, create=False)
        admin.dispose()
    if eng["errors"]:
        print(f"\nengine-only: {len(eng['errors'])} errors; first ones:\n   " + "\n   ".join(eng["errors"][:10]))
    rows = [("pgbench tpcb-like TPS", f"{tps:.1f}", "1.00x")] + rows_for("engine-only", "transitions", eng, tps)
    for phase, r in web.items():
        rows.append((f"HTTP {phase}: requests/s", f"{r['rps']:.1f}", f"{r['rps'] / tps:.2f}x"))
        rows.append((f"HTTP {phase}: latency p50 / p95 (ms)", f"{r['p50']:.0f} / {r['p95']:.0f}", ""))
    print(f"\n{a.clients} clients, {a.seconds} s per phase; targets: engine-only >= 0.75x, HTTP >= 0.4x\n")
    print("| measure | value | ratio to pgbench tpcb-like |\n|---|---|---|")
    print("\n".join(f"| {m} | {v} | {r} |" for m, v, r in rows))
    print(f"\nmachine: nproc={len(os.sched_getaffinity(0))}, "
          f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}")


if __name__ == "__main__":
    main()
