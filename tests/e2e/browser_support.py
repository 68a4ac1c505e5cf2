"""Shared pieces of the browser tests: the product started the way `make run` starts it
(migrated SQLite, demo data, scripts/run-dev.sh), Debian's Chromium driven by Playwright,
and the few page steps every browser test repeats (sign in, sign out, keep a screenshot)."""
from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
PASSWORD = "motcua-demo"  # every demo user's password (README)


def require_browser():
    """The Playwright module, or skip the test module where no Chromium is installed (CI
    installs it: a missing browser there is an error, never a skip)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is missing: `make test` installs it (scripts/install-browser.sh)")
        pytest.skip("Chromium not installed (run scripts/install-browser.sh)", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def demo_product(workdir: Path, smtp_port: int | None = None, env: dict | None = None):
    """Serve the product in `workdir` as `make run` does and yield its base URL; the logs
    are workdir/run.log and workdir/instance/{worker,beat}.log (`LOGS`)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    full = {**os.environ, "MOTCUA_INSTANCE": str(workdir / "instance"), "MOTCUA_ENV": "development",
            "PORT": str(port), "PUBLIC_BASE_URL": base, "FLASK_DEBUG": "0",
            "OUTBOX_INTERVAL_SECONDS": "1",
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if smtp_port is not None:
        full.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port))
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        full.pop(name, None)
    full.update(env or {})
    flask = [sys.executable, "-m", "flask", "--app", "web"]
    for args in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run(flask + args, cwd=ROOT, env=full, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    log = open(workdir / "run.log", "w")
    proc = subprocess.Popen(["bash", "scripts/run-dev.sh"], cwd=ROOT, env=full, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: healthy(base), timeout=60)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


LOGS = ("run.log", "instance/worker.log", "instance/beat.log")


@contextlib.contextmanager
def chromium(sync_api):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def shot(page, name: str) -> None:
    """Keep a full-page screenshot in artifacts/screenshots/ (CI keeps the folder)."""
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page, base: str, username: str, button: str = "Đăng nhập") -> None:
    page.goto(f"{base}/dang-nhap")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    assert "/dang-nhap" not in page.url, page.content()


def logout(page) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(r".*/dang-nhap$"))
