"""The newcomer's path: the embedded default (SQLite database, SQLite broker) started by
the same script `make run` uses serves the API, and its worker and scheduler deliver the
applicant's receipt mail."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.browser_support import LOGS, demo_product
from tests.e2e.conftest import http_json as request, wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_embedded_setup_serves_and_mails(tmp_path, smtp, watch_log):
    for name in LOGS:
        watch_log(tmp_path / name)
    with demo_product(tmp_path, smtp.port) as base:
        port = int(base.rsplit(":", 1)[1])
        env = {**os.environ, "MOTCUA_INSTANCE": str(tmp_path / "instance"), "MOTCUA_ENV": "development"}
        env.pop("DATABASE_URL", None)
        token = subprocess.run([sys.executable, "-m", "flask", "--app", "web", "users", "token", "canbo.motcua"],
                               cwd=ROOT, env=env, capture_output=True, text=True, timeout=60).stdout.strip()
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
