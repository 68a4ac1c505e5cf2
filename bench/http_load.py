"""HTTP throughput through gunicorn, driven by wrk (or locust where wrk is missing).

Two phases on the same server: intake only (POST /api/v1/dossiers), then full lifecycles
(intake and six actions). The load tool shares the machine with gunicorn and PostgreSQL, so
its own CPU is taken from what it measures: wrk (C, a Lua script: bench/wrk_lifecycle.lua,
one connection per thread) costs about a tenth of a millisecond per request, locust
(FastHttpUser) about one, an eighth of this server's whole cost per request. Locust runs
as its own process (it patches the standard library with gevent on import) and writes its
statistics as CSV, read back here. `scripts/install-bench-tools.sh` installs wrk.

    python bench/http_load.py --db-url URL --tokens JSON [--seconds N] [--users U]
"""
from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_lifecycle.lua"
INTAKE = {"procedure_code": "1.001612", "documents": ["GDN", "CCCD"], "channel": "in_person",
          "applicant": {"name": "Nguyễn Văn An", "id_number": "001090012345", "phone": "0912345678"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    """gthread workers, one pool of `threads` connections each, no access log; the
    production settings (no debug mode), as scripts/run-prod.sh runs the app."""
    env = dict(os.environ, DATABASE_URL=url, MOTCUA_ENV="production", SECRET_KEY=secrets.token_hex(32),
               DB_POOL_SIZE=str(threads), DB_MAX_OVERFLOW="0")
    with open(log_path, "w") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "gthread",
             "--threads", str(threads), "--keep-alive", "30", "-b", f"127.0.0.1:{port}",
             "web:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/v1/procedures")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"gunicorn did not start:\n{log_path.read_text()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_locust(port: int, tokens: dict, user_class: str, users: int, seconds: float,
               workdir: Path) -> dict:
    """One headless locust run; returns requests/s, lifecycles/s, latency and failures."""
    prefix = workdir / user_class
    env = dict(os.environ, BENCH_TOKENS=json.dumps(tokens))
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--only-summary",
           "-u", str(users), "-r", str(users), "-t", f"{max(1, round(seconds))}s", "--reset-stats",
           "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--loglevel", "WARNING",
           "--stop-timeout", "10", user_class]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=seconds + 120)
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        raise SystemExit(f"locust wrote no statistics (exit {out.returncode}):\n{out.stderr[-2000:]}")
    with open(stats_path, newline="") as f:
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    total = rows["Aggregated"]
    requests, rps = int(total["Request Count"]), float(total["Requests/s"])
    elapsed = requests / rps if rps else float("nan")
    done = rows.get("return_result" if user_class == "LifecycleUser" else "intake")
    failures = []
    fail_path = Path(f"{prefix}_failures.csv")
    if fail_path.exists():
        with open(fail_path, newline="") as f:
            failures = [f"{r['Occurrences']} x {r['Name']}: {r['Error']}" for r in csv.DictReader(f)]
    return dict(requests=requests, rps=rps, elapsed=elapsed,
                lifecycles=int(done["Request Count"]) - int(done["Failure Count"]) if done else 0,
                p50=float(total["50%"]), p95=float(total["95%"]),
                failures=int(total["Failure Count"]), failure_lines=failures)


def run_wrk(port: int, tokens: dict, mode: str, connections: int, seconds: float) -> dict:
    """One wrk run, one connection per thread; the same figures as run_locust."""
    cmd = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
           "--timeout", "10s", "-s", str(WRK_SCRIPT), f"http://127.0.0.1:{port}", "--",
           tokens["clerk"], tokens["kt"], tokens["tax"], tokens["ld"], mode,
           json.dumps(INTAKE, ensure_ascii=False)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no result (exit {out.returncode}):\n{out.stdout[-2000:]}"
                         f"{out.stderr[-2000:]}")
    r = json.loads(line[len("RESULT "):])
    elapsed = r["duration_us"] / 1e6
    failures = r["failures"] + r["socket_errors"]
    return dict(requests=r["requests"], rps=r["requests"] / elapsed, elapsed=elapsed,
                lifecycles=r["lifecycles"] if mode == "lifecycle" else r["requests"] - failures,
                p50=r["p50_us"] / 1000, p95=r["p95_us"] / 1000, failures=failures,
                failure_lines=[f"{failures} x {r['sample']}"] if failures else [])


def load_tool() -> str:
    """wrk where it is installed (scripts/install-bench-tools.sh), else locust."""
    return "wrk" if shutil.which("wrk") else "locust"


def measure(url: str, tokens: dict, seconds: float, users: int, workers: int = 2,
            threads: int = 4, log=print, tool: str | None = None) -> dict[str, dict]:
    """Both phases against one gunicorn; returns {"intake": stats, "lifecycle": stats},
    each with the load tool's name."""
    port = free_port()
    tool = tool or load_tool()
    with tempfile.TemporaryDirectory(prefix="motcua-http-") as tmp:
        work = Path(tmp)
        proc = start_gunicorn(url, port, workers, threads, work / "gunicorn.log")
        try:
            results = {}
            for phase, user_class in (("intake", "IntakeUser"), ("lifecycle", "LifecycleUser")):
                log(f"      {tool} {phase}: {users} clients, {seconds} s, gunicorn -w {workers} "
                    f"--threads {threads} ...")
                r = (run_wrk(port, tokens, phase, users, seconds) if tool == "wrk"
                     else run_locust(port, tokens, user_class, users, seconds, work))
                results[phase] = r = dict(r, tool=tool)
                log(f"      {r['rps']:.1f} requests/s, p50 {r['p50']:.0f} ms, p95 {r['p95']:.0f} ms, "
                    f"{r['failures']} failures")
                for line in r["failure_lines"][:5]:
                    log(f"        {line}")
                if r["failures"]:  # the server's side of the story
                    errors = [x for x in (work / "gunicorn.log").read_text().splitlines()
                              if "Error" in x or "error" in x][-10:]
                    log("        gunicorn log:\n          " + "\n          ".join(errors))
        finally:
            stop(proc)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db-url", required=True, help="a migrated database with the bench catalog")
    ap.add_argument("--tokens", required=True, help="JSON: username -> API token")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--tool", choices=("wrk", "locust"), default=None, help="default: wrk if installed")
    a = ap.parse_args()
    print(json.dumps(measure(a.db_url, json.loads(a.tokens), a.seconds, a.users, a.workers, a.threads,
                             tool=a.tool), indent=1))


if __name__ == "__main__":
    main()
