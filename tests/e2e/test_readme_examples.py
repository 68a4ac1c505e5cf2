"""The README's shell examples run as written on a fresh `make run` (issue 18).

The README and the page it sends newcomers to (docs/getting-started.md) are read: each
```bash block is one example (a block of `make` lines, one per line), and so is each code
span that is a whole command. Each is run:

- `make run` is run for real, in a copy of the working tree (tracked files only: no
  instance/, no database) that shares this checkout's virtualenv, so it migrates an empty
  database, loads the demo data and serves, exactly as a newcomer's first `make run`;
- the other examples run with bash against that product, in the copy, with one
  change: `localhost:5000` becomes the free port the test chose;
- `make docs` runs too; `make docs-serve` is started and must answer on port 8000;
- `make test` is not run from inside the test suite it starts (CI runs it: `.ci/run`),
  nor `make bench`, minutes long at full size (tests/e2e/test_bench_smoke.py runs the
  same benchmark command at tiny sizes); the test checks each is named where it is run.

A command nobody classified (a new kind of example) fails the test, so the README cannot
grow an example this test does not run.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.browser_support import healthy
from tests.e2e.conftest import free_port, wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PAGES = ("README.md", "docs/getting-started.md")
FENCE = re.compile(r"^```(?:bash|sh|shell)\n(.*?)^```", re.M | re.S)
SPAN = re.compile(r"`((?:make|flask|\.venv/bin/flask|curl) [^`]+)`")
DEV_PORT = "5000"
NOT_RUN_HERE = {  # run elsewhere, and why not here
    "make test": ".ci/run",  # it runs this test suite
    "make bench": "tests/e2e/test_bench_smoke.py",  # minutes at full size; run there with --quick
}


def snippets(text: str) -> list[str]:
    """Shell examples of a Markdown page: a ```bash block is one script (its variables
    carry from line to line), except that a block of `make` lines is one example per line;
    a code span that is a whole command is one example (`.venv/bin/flask ...` is not)."""
    found: list[str] = []
    for block in FENCE.findall(text):
        lines = [re.sub(r"\s+#.*$", "", line).strip() for line in block.splitlines()]
        lines = [line for line in lines if line and not line.startswith("#")]
        if all(line.startswith("make ") for line in lines):
            found += lines
        else:
            found.append(block.strip())
    found += [span for span in SPAN.findall(text) if "CODE" not in span and not span.endswith("...")]
    return found


def examples() -> list[str]:
    seen: list[str] = []
    for page in PAGES:
        for snippet in snippets((ROOT / page).read_text(encoding="utf-8")):
            if snippet not in seen:
                seen.append(snippet)
    return seen


def test_the_pages_have_the_examples_this_test_runs():
    found = examples()
    assert {"make run", "make test", "make docs", "make docs-serve"} <= set(found), found
    assert any("curl" in c and "POST" in c for c in found), found
    assert any("users token" in c for c in found), found


def tracked_copy(dest: Path) -> Path:
    """The working tree's tracked files (as edited, not as committed) in `dest`, with this
    checkout's virtualenv: what a fresh clone has after `make setup`."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (dest / ".venv").symlink_to(Path(sys.prefix))
    return dest


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def fresh_run(tmp_path, watch_log):
    """`make run` in a fresh copy; yields (copy, base URL, environment)."""
    copy = tracked_copy(tmp_path / "motcua")
    port = str(free_port())
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "MOTCUA_INSTANCE",
                        "MOTCUA_ENV", "SMTP_HOST", "SMTP_PORT", "VIRTUAL_ENV")}
    env.update(PORT=port, FLASK_DEBUG="0")
    for name in ("run.log", "instance/worker.log", "instance/beat.log"):
        watch_log(copy / name)
    log = open(copy / "run.log", "w")
    proc = subprocess.Popen(["make", "run"], cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: healthy(base) or proc.poll() is not None, timeout=240, every=0.5)
        assert proc.poll() is None, (copy / "run.log").read_text()
        yield copy, base, env
    finally:
        stop(proc)
        log.close()


def run_shell(command: str, copy: Path, env: dict, port: str) -> subprocess.CompletedProcess:
    script = command.replace(f"localhost:{DEV_PORT}", f"localhost:{port}")
    if script.startswith("flask "):  # the README says: inside .venv
        script = f". .venv/bin/activate && {script}"
    return subprocess.run(["bash", "-euc", script], cwd=copy, env=env, capture_output=True,
                          text=True, timeout=300)


def json_objects(text: str) -> list[dict]:
    """The JSON objects printed one after another (curl -s prints no newline after one)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (start := text.find("{", at)) != -1:
        try:
            value, at = decoder.raw_decode(text, start)
        except ValueError:
            at = start + 1
            continue
        found.append(value)
    return found


def test_every_example_runs_on_a_fresh_make_run(fresh_run):
    copy, base, env = fresh_run
    port = base.rsplit(":", 1)[1]
    ran = []
    for command in examples():
        if command == "make run":
            ran.append(command)  # the fixture ran it: it serves `base`
            continue
        if command in NOT_RUN_HERE:
            where = (ROOT / NOT_RUN_HERE[command]).read_text()
            assert command in where or command.split()[-1] in where, (command, NOT_RUN_HERE[command])
            continue
        if command == "make docs-serve":
            serve = subprocess.Popen(["make", "docs-serve"], cwd=copy, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                wait_for(lambda: serves("http://127.0.0.1:8000/"), timeout=180, every=1)
            finally:
                stop(serve)
            ran.append(command)
            continue
        done = run_shell(command, copy, env, port)
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "\\u0" not in done.stdout, f"escaped Vietnamese in the output of {command}"
        for answer in json_objects(done.stdout):
            assert "error" not in answer, f"{command} answered {answer}"
        ran.append(command)
        if "/api/v1/dossiers" in command and "POST" in command:
            made = [a for a in json_objects(done.stdout) if "status" in a and "code" in a]
            assert made and made[0]["status"] in ("received", "awaiting_documents"), done.stdout
    assert "make run" in ran and any("curl" in c for c in ran)


def serves(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False
