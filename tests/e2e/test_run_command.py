"""The newcomer's path: the embedded default (SQLite database, SQLite broker) started by
the same script `make run` uses serves the API, and its worker and scheduler deliver the
applicant's receipt mail."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import free_port, healthy, http_json as request, wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_embedded_setup_serves_and_mails(tmp_path, smtp, watch_log):
    port = free_port()
    env = {**os.environ, "MOTCUA_INSTANCE": str(tmp_path / "instance"), "MOTCUA_ENV": "development",
           "PORT": str(port), "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
           "OUTBOX_INTERVAL_SECONDS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(name, None)
    flask = [sys.executable, "-m", "flask", "--app", "web"]
    for args in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run(flask + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    token = subprocess.run(flask + ["users", "token", "canbo.motcua"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60).stdout.strip()
    for name in ("run.log", "instance/worker.log", "instance/beat.log"):
        watch_log(tmp_path / name)
    log = open(tmp_path / "run.log", "w")
    proc = subprocess.Popen(["bash", "scripts/run-dev.sh"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: healthy(port), timeout=60)
        status, procedures = request(port, "GET", "/api/v1/procedures")
        assert status == 200 and procedures["total"] >= 6
        status, dossier = request(port, "POST", "/api/v1/dossiers", {
            "procedure_code": "1.001193",
            "applicant": {"name": "Nguyễn Văn An", "email": "an@example.com"},
            "documents": ["TK", "GCS", "GTTT"], "channel": "in_person"}, token)
        assert status == 201, dossier
        assert dossier["status"] == "received" and dossier["code"].startswith("H26.HD-")
        mail = wait_for(lambda: smtp.messages, timeout=90)[0]
        assert dossier["code"] in mail["Subject"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
