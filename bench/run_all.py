"""Every benchmark in one run, each figure printed beside its reference on the same machine.

Why one command: the performance targets are ratios to what this machine's PostgreSQL can
do (pgbench tpcb-like TPS), so the reference must be measured in the same run as the
figures, and the table must say which machine it was.

    python bench/run_all.py            # full sizes (1M sweep, 5M city-year): tens of minutes
    python bench/run_all.py --quick    # tiny sizes, seconds per part: a smoke test
    python bench/run_all.py --skip city,mail --json out.json

Parts: pgbench (reference), engine (lifecycle use cases, no HTTP), http (wrk, or locust where wrk is missing, against
gunicorn: intake, then full lifecycles), sweep (bench/sweep.py over N open dossiers), city
(bench/city.py --json, when present: dashboard, statistics and SIPAS reports, export
memory), mail (survey invitations per minute through Celery, Redis and SMTP), upload
(bench/upload_memory.py: a web worker's memory rise and the throughput for an upload and a
download of --upload-mb MB, beside 1 KB ones and plain disk writes and reads). Every bench
database is named motcua_bench_tp* (the city part names its own) and dropped afterwards.
Exit status 1 if a part failed or reported errors; a missed target is a finding, not a
failure.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from sqlalchemy import create_engine, text  # noqa: E402

import http_load  # noqa: E402
import lifecycle  # noqa: E402
import survey_mail  # noqa: E402
import sweep  # noqa: E402

PARTS = ("engine", "http", "sweep", "city", "mail", "upload")
ENGINE_TARGET, HTTP_TARGET, SWEEP_TARGET_S = 0.75, 0.4, 3.0
UPLOAD_RISE_TARGET_MB = 8  # "a few MB" for a 100 MB upload or download (issue 19)
FULL = dict(seconds=20, sweep_rows=1_000_000, city_rows=5_000_000, mails=1000, upload_mb=100)
QUICK = dict(seconds=3, sweep_rows=5_000, city_rows=5_000, mails=20, upload_mb=5)


def row(figure, value, unit, reference=None, target=None, ok=None) -> dict:
    """One line of the table (the same shape bench/city.py writes with --json)."""
    return dict(figure=figure, value=value, unit=unit, reference=reference, target=target, ok=ok)


def machine(admin_url: str) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    engine = create_engine(admin_url)
    with engine.connect() as conn:
        pg = conn.execute(text("SHOW server_version")).scalar_one()
    engine.dispose()
    return dict(cpu=cpu, cores=os.cpu_count(), ram_gib=round(mem_kb / 2**20, 1), postgresql=pg,
                python=platform.python_version(), os=platform.platform(),
                load_before=os.getloadavg()[0])


# -- the parts --------------------------------------------------------------------------
def part_engine(url: str, tps: float, a) -> list[dict]:
    processes = min(a.clients, os.cpu_count() or 1)
    r = lifecycle.run_engine(url, a.seconds, a.clients, processes)
    rate = r["txns"] / r["elapsed"]
    how = f"{a.clients} clients in {processes} processes"
    a.errors += [f"engine: {e}" for e in r["errors"][:5]]
    return [row(f"engine-only lifecycle transitions/s ({how})", rate, "1/s", tps, f">= {ENGINE_TARGET}x",
                rate / tps >= ENGINE_TARGET),
            row("engine-only lifecycles/s (intake + 6 actions)", r["lifecycles"] / r["elapsed"], "1/s"),
            row("engine-only latency p50 / p95", f"{lifecycle.pct(r['lat'], .5):.1f} / "
                f"{lifecycle.pct(r['lat'], .95):.1f}", "ms"),
            row("engine-only errors", len(r["errors"]), "", target="0", ok=not r["errors"])]


def part_http(url: str, tokens: dict, tps: float, a) -> list[dict]:
    res = http_load.measure(url, tokens, a.seconds, a.users, a.web_workers, a.web_threads, tool=a.load_tool)
    tool = res["intake"]["tool"]
    who = f"{a.users} connections" if tool == "wrk" else f"{a.users} users"
    how = f"{tool} {who}, gunicorn -w {a.web_workers} --threads {a.web_threads}"
    rows = []
    for phase, label in (("intake", "HTTP intake requests/s"), ("lifecycle", "HTTP full-lifecycle requests/s")):
        r = res[phase]
        a.errors += [f"http {phase}: {e}" for e in r["failure_lines"][:5]]
        rows += [row(f"{label} ({how})", r["rps"], "1/s", tps, f">= {HTTP_TARGET}x",
                     r["rps"] / tps >= HTTP_TARGET),
                 row(f"HTTP {phase} latency p50 / p95", f"{r['p50']:.0f} / {r['p95']:.0f}", "ms"),
                 row(f"HTTP {phase} failed requests", r["failures"], "", target="0", ok=not r["failures"])]
    r = res["lifecycle"]
    rows.insert(3, row("HTTP lifecycles/s", r["lifecycles"] / r["elapsed"], "1/s"))
    return rows


def part_sweep(a) -> list[dict]:
    r = sweep.measure(a.pg_admin_url, a.sweep_rows, log=lambda m: print(m, flush=True))
    n = f"{a.sweep_rows:,}"
    return [row(f"deadline sweep over {n} open dossiers, steady (median of 5)", r["steady"], "s",
                target=f"< {SWEEP_TARGET_S:g} s", ok=r["steady"] < SWEEP_TARGET_S),
            row(f"sweep 5 minutes later ({sum(v for k, v in r['later_counts'].items() if k != 'notifications')}"
                " new crossings)", r["later"], "s"),
            row(f"first sweep, catching up every crossing of {n} at once (one-time)", r["first"], "s")]


def part_city(a) -> list[dict]:
    script = HERE / "city.py"
    if not script.exists():
        return [row("city-year reports and export (bench/city.py)", "not present", "")]
    with tempfile.TemporaryDirectory(prefix="motcua-city-") as tmp:
        out = Path(tmp) / "city.json"
        cmd = [sys.executable, str(script), "--rows", str(a.city_rows), "--json", str(out),
               "--pg-admin-url", a.pg_admin_url]
        if a.quick:  # the export and the repeated reports at the same tiny size
            cmd += ["--export-rows", str(a.city_rows), "--repeat", "3"]
        done = subprocess.run(cmd, cwd=HERE.parent, text=True, capture_output=True)
        print("\n".join("      " + line for line in done.stdout.splitlines()[-15:]), flush=True)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"bench/city.py exit {done.returncode}: {done.stderr[-1500:]}")
        return json.loads(out.read_text())


def part_mail(a) -> list[dict]:
    r = survey_mail.measure(a.pg_admin_url, a.mails, log=lambda m: print(m, flush=True))
    missing = r["expected"] - r["mails"]
    if missing:
        a.errors.append(f"mail: {missing} of {r['expected']} invitations never arrived")
    return [row(f"survey invitations per minute (worker --concurrency=2, relay every "
                f"{survey_mail.OUTBOX_INTERVAL_SECONDS:g} s, {r['expected']} closed dossiers)",
                r["per_minute"], "1/min", r["reference"]),
            row("first invitation after the worker started", r["first_after"], "s"),
            row("invitations delivered / expected", f"{r['mails']} / {r['expected']}", "",
                target="all", ok=not missing)]


def part_upload(a) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="motcua-upload-") as tmp:
        out = Path(tmp) / "upload.json"
        done = subprocess.run([sys.executable, str(HERE / "upload_memory.py"), "--megabytes",
                               str(a.upload_mb), "--json", str(out)], cwd=HERE.parent, text=True,
                              capture_output=True)
        print("\n".join("      " + line for line in done.stdout.splitlines()), flush=True)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"bench/upload_memory.py exit {done.returncode}: {done.stderr[-1500:]}")
        r = json.loads(out.read_text())
    rows = []
    for kind, verb, ref, plain, plain_label in (
            ("upload", "taking", "reference", "plain_write_seconds", "a plain fsync'd write of the bytes"),
            ("download", "serving", "download_reference", "plain_read_seconds", "a plain read of the stored file")):
        rise = r[kind]["rise_mb"]
        rows += [row(f"web worker memory rise {verb} a {a.upload_mb} MB {kind} (reference: a 1 KB one; "
                     f"median of {r['repeat']})", rise, "MB", r[ref]["rise_mb"],
                     target=f"< {UPLOAD_RISE_TARGET_MB} MB", ok=rise < UPLOAD_RISE_TARGET_MB),
                 row(f"{a.upload_mb} MB {kind} throughput (reference: {plain_label})",
                     r[kind]["mb_per_s"], "MB/s", a.upload_mb / r[plain])]
    return rows


# -- report -----------------------------------------------------------------------------
def fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
    return "" if v is None else f"{v:,}" if isinstance(v, int) else str(v)


def table(rows: list[dict], info: dict) -> str:
    lines = ["| figure | value | reference | ratio | target | met? |", "|---|---|---|---|---|---|"]
    for r in rows:
        ratio = (f"{r['value'] / r['reference']:.2f}x" if isinstance(r["value"], (int, float))
                 and isinstance(r["reference"], (int, float)) and r["reference"] else "")
        met = {True: "yes", False: "**no**", None: ""}[r["ok"]]
        value = f"{fmt(r['value'])} {r['unit']}".strip()
        lines.append(f"| {r['figure']} | {value} | {fmt(r['reference'])} | {ratio} | "
                     f"{r['target'] or ''} | {met} |")
    lines.append("")
    lines.append(f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM; "
                 f"PostgreSQL {info['postgresql']}; Python {info['python']}; {info['os']}. "
                 f"Load average (1 min) {info['load_before']:.2f} before the run, "
                 f"{info['load_after']:.2f} after; {info['minutes']:.1f} minutes.")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds per part")
    ap.add_argument("--skip", default="", help=f"comma-separated parts to leave out: {', '.join(PARTS)}")
    ap.add_argument("--seconds", type=int, help="duration of pgbench and each throughput phase")
    ap.add_argument("--clients", type=int, default=4, help="pgbench clients and engine-only clients")
    ap.add_argument("--users", type=int, default=8, help="HTTP clients (wrk connections or locust users)")
    ap.add_argument("--load-tool", choices=("wrk", "locust"), default=None,
                    help="HTTP load tool (default: wrk if installed, else locust)")
    # processes, not threads: on a small machine the API is CPU-bound, and threads of one
    # process queue for its GIL while holding database row locks (docs/benchmarks/index.md)
    ap.add_argument("--web-workers", type=int, default=2 * (os.cpu_count() or 1))
    ap.add_argument("--web-threads", type=int, default=1)
    ap.add_argument("--sweep-rows", type=int)
    ap.add_argument("--city-rows", type=int)
    ap.add_argument("--mails", type=int)
    ap.add_argument("--upload-mb", type=int)
    ap.add_argument("--json", help="also write the rows as JSON to this path")
    ap.add_argument("--pg-admin-url", default=os.environ.get(
        "PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    a = ap.parse_args(argv)
    for k, v in (QUICK if a.quick else FULL).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    skip = {p.strip() for p in a.skip.split(",") if p.strip()}
    if skip - set(PARTS):
        ap.error(f"unknown part(s): {', '.join(sorted(skip - set(PARTS)))}")
    a.errors = []
    started = time.perf_counter()
    info = machine(a.pg_admin_url)
    admin = create_engine(a.pg_admin_url, isolation_level="AUTOCOMMIT")
    url = lifecycle.db_url(a.pg_admin_url, lifecycle.BENCH_DB)
    rows: list[dict] = []
    failed: list[str] = []

    def run(name: str, fn, *args):
        if name in skip:
            return
        print(f"[{name}] ...", flush=True)
        try:
            rows.extend(fn(*args))
        except Exception as exc:  # noqa: BLE001 - reported, the other parts still run
            traceback.print_exc()
            failed.append(f"{name}: {exc}")

    try:
        print(f"[pgbench] tpcb-like, -c {a.clients} -j 2 -T {a.seconds}, scale 10 ...", flush=True)
        lifecycle.recreate_db(admin, lifecycle.PGBENCH_DB)
        tps = lifecycle.run_pgbench(a.pg_admin_url, a.seconds, a.clients)
        lifecycle.recreate_db(admin, lifecycle.PGBENCH_DB, create=False)
        rows.append(row(f"pgbench tpcb-like TPS ({a.clients} clients, scale 10)", tps, "1/s", tps))
        if not {"engine", "http"} <= skip:
            lifecycle.recreate_db(admin, lifecycle.BENCH_DB)
            tokens = lifecycle.prepare_bench_db(url)
            run("engine", part_engine, url, tps, a)
            run("http", part_http, url, tokens, tps, a)
            lifecycle.recreate_db(admin, lifecycle.BENCH_DB, create=False)
        run("sweep", part_sweep, a)
        run("city", part_city, a)
        run("mail", part_mail, a)
        run("upload", part_upload, a)
    finally:
        for name in (lifecycle.PGBENCH_DB, lifecycle.BENCH_DB):
            lifecycle.recreate_db(admin, name, create=False)
        admin.dispose()
    info.update(load_after=os.getloadavg()[0], minutes=(time.perf_counter() - started) / 60)
    print("\n" + table(rows, info))
    for problem in failed + a.errors:
        print(f"PROBLEM {problem}")
    if a.json:
        Path(a.json).write_text(json.dumps(dict(machine=info, rows=rows), indent=1, ensure_ascii=False))
    return 1 if failed or a.errors else 0


if __name__ == "__main__":
    sys.exit(main())
