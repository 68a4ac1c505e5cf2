"""Throughput benchmark of full dossier lifecycles, beside pgbench measured in the same run.

Why this exists: the performance issue sets targets relative to what the machine's
PostgreSQL can do, not absolute numbers, so that results from a laptop and a server
compare. Targets: engine-only (use cases, no HTTP) >= 0.75x pgbench tpcb-like TPS, and
through HTTP (gunicorn + Flask) >= 0.4x pgbench TPS. One run measures all three:

1. reference: `pgbench -i -s 10` then `pgbench -c C -j 2 -T N` on a fresh database;
2. engine-only: C threads loop over intake -> forward x4 -> complete -> return_result
   through `workflow.services.dossiers` (each intake or action = one transaction);
3. HTTP: gunicorn (-w 2 --threads 4) and C client processes with keep-alive
   http.client connections doing the same lifecycle through /api/v1.

Usage, from the repo root (bench databases are dropped before and after):
    python bench/lifecycle.py [--seconds N] [--clients C] [--pg-admin-url URL]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import platform
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, make_url, text  # noqa: E402

from workflow.adapters.database import make_engine  # noqa: E402
from workflow.adapters.migrations import upgrade  # noqa: E402
from workflow.adapters.users import create_user, issue_token  # noqa: E402
from workflow.bootstrap import build_calendar  # noqa: E402
from workflow.catalog.loader import load  # noqa: E402
from workflow.domain.dossier import Actor, Applicant  # noqa: E402
from workflow.services import dossiers as use_cases  # noqa: E402
from workflow.services.context import Context, utc_now  # noqa: E402
from config import get_config  # noqa: E402

BENCH_DB, PGBENCH_DB = "motcua_bench", "motcua_bench_pgbench"
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
    out = subprocess.run(["pgbench", "-c", str(clients), "-j", "2", "-T", str(seconds), *conn_args,
                          PGBENCH_DB], env=env, check=True, capture_output=True, text=True).stdout
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


def run_engine(url: str, seconds: float, clients: int) -> dict:
    settings = get_config("development")
    ctx = Context(engine=make_engine(url, pool_size=clients, max_overflow=clients),
                  calendar=build_calendar({k: getattr(settings, k) for k in (
                      "TIMEZONE", "OFFICE_HOURS", "EXTRA_DAYS_OFF", "EXTRA_WORKING_DAYS")}),
                  now=utc_now)
    actors = {n: Actor(n, role, agency) for n, (role, agency) in STAFF.items()}
    for _ in range(clients):  # warm-up: fill the pool, build the lifecycle machine
        engine_lifecycle(ctx, actors, [])
    results: list[tuple[int, list[float]]] = []
    errors: list[str] = []  # list.append is atomic under the GIL
    barrier = threading.Barrier(clients + 1)

    def worker():
        lat, n = [], 0
        barrier.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            try:
                engine_lifecycle(ctx, actors, lat)
                n += 1
            except Exception as exc:  # noqa: BLE001 - counted and printed
                errors.append(repr(exc))
        results.append((n, lat))

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    [th.start() for th in threads]
    barrier.wait()
    start = time.perf_counter()
    [th.join() for th in threads]
    elapsed = time.perf_counter() - start
    ctx.engine.dispose()
    lat = [x for _, ls in results for x in ls]
    return dict(elapsed=elapsed, txns=len(lat), lifecycles=sum(n for n, _ in results),
                lat=lat, errors=errors)


# -- 3. HTTP ----------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, MOTCUA_ENV="development", DB_POOL_SIZE="8")
    with open(log_path, "w") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4",
                                 "-b", f"127.0.0.1:{port}", "web:create_app()"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/v1/procedures")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"gunicorn did not start; see {log_path}:\n{log_path.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def http_lifecycle(conn, headers: dict, lat: list[float], errors: list[str]) -> bool:
    def call(who: str, path: str, body: dict):
        t = time.perf_counter()
        conn.request("POST", path, json.dumps(body), headers[who])
        resp = conn.getresponse()
        data = resp.read()
        lat.append(time.perf_counter() - t)
        if not 200 <= resp.status < 300:
            errors.append(f"{resp.status} POST {path}: {data[:300]!r}")
            return None
        return json.loads(data)

    d = call("clerk", "/api/v1/dossiers", dict(procedure_code=PROCEDURE, applicant=APPLICANT,
                                                documents=DOCUMENTS, channel="in_person"))
    return d is not None and all(call(who, f"/api/v1/dossiers/{d['code']}/actions/{action}", {})
                                 is not None for who, action in STEPS)


def http_client(args) -> tuple[int, list[float], list[str]]:
    port, tokens, seconds, start_at = args
    headers = {n: {"Authorization": f"Bearer {tok}", "Content-Type": "application/json"}
               for n, tok in tokens.items()}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    http_lifecycle(conn, headers, [], [])  # warm-up (server pools, lifecycle machine)
    conn.close()  # gunicorn drops idle keep-alive connections after 2 s: reconnect after the wait
    time.sleep(max(0.0, start_at - time.time()))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    lat, errors, n, deadline = [], [], 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            n += http_lifecycle(conn, headers, lat, errors)
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    return n, lat, errors


def run_http(url: str, tokens: dict, seconds: float, clients: int) -> dict:
    port, log_path = free_port(), Path(os.environ.get("TMPDIR", "/tmp")) / "motcua_bench_gunicorn.log"
    proc = start_gunicorn(url, port, log_path)
    print(f"      gunicorn on port {port}, log in {log_path}", flush=True)
    try:
        start_at = time.time() + 3.0  # time for every client to fork and warm up
        with mp.get_context("fork").Pool(clients) as pool:
            res = pool.map_async(http_client, [(port, tokens, seconds, start_at)] * clients)
            out = res.get(timeout=seconds + 120)
            elapsed = time.time() - start_at
    finally:
        stop(proc)
    lat = [x for _, ls, _ in out for x in ls]
    return dict(elapsed=elapsed, txns=len(lat), lifecycles=sum(n for n, _, _ in out), lat=lat,
                errors=[e for _, _, es in out for e in es])


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
    ap.add_argument("--pg-admin-url", default=os.environ.get(
        "PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    a = ap.parse_args()
    admin = create_engine(a.pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        pg_version = conn.execute(text("SHOW server_version")).scalar_one()
    url = db_url(a.pg_admin_url, BENCH_DB)
    try:
        for name in (PGBENCH_DB, BENCH_DB):
            recreate_db(admin, name)
        print(f"[1/3] pgbench tpcb-like: -c {a.clients} -j 2 -T {a.seconds} (scale 10) ...", flush=True)
        tps = run_pgbench(a.pg_admin_url, a.seconds, a.clients)
        recreate_db(admin, PGBENCH_DB, create=False)
        tokens = prepare_bench_db(url)
        print(f"      tps = {tps:.1f}\n[2/3] engine-only, {a.clients} threads ...", flush=True)
        eng = run_engine(url, a.seconds, a.clients)
        print(f"      {eng['txns'] / eng['elapsed']:.1f} transitions/s\n"
              f"[3/3] HTTP, gunicorn -w 2 --threads 4, {a.clients} client processes ...", flush=True)
        web = run_http(url, tokens, a.seconds, a.clients)
    finally:
        for name in (PGBENCH_DB, BENCH_DB):
            recreate_db(admin, name, create=False)
        admin.dispose()
    for label, r in (("engine-only", eng), ("HTTP", web)):
        if r["errors"]:
            print(f"\n{label}: {len(r['errors'])} errors; first ones:\n   " + "\n   ".join(r["errors"][:10]))
    rows = ([("pgbench tpcb-like TPS", f"{tps:.1f}", "1.00x")]
            + rows_for("engine-only", "transitions", eng, tps) + rows_for("HTTP", "requests", web, tps))
    print(f"\n{a.clients} clients, {a.seconds} s per phase; targets: engine-only >= 0.75x, HTTP >= 0.4x\n")
    print("| measure | value | ratio to pgbench tpcb-like |\n|---|---|---|")
    print("\n".join(f"| {m} | {v} | {r} |" for m, v, r in rows))
    print(f"\nmachine: nproc={len(os.sched_getaffinity(0))}, PostgreSQL {pg_version}, "
          f"Python {platform.python_version()} ({platform.python_implementation()}), {platform.platform()}")


if __name__ == "__main__":
    main()
