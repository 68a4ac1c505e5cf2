"""Issue 18's newcomer: `make run` exactly (no SMTP server, no SMS gateway), an applicant
with mail and phone whose dossier is closed gets the survey link in the development
mailbox by both channels, the SIPAS report counts one invitation, and the mailbox is still
there after the product restarts."""
from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.browser_support import LOGS, PASSWORD, demo_product
from tests.e2e.conftest import http_json, wait_for
from workflow.adapters.mailbox import Mailbox

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"https?://[^\s\"'<>]+/s/[^\s\"'<>]+")
# exactly `make run`: whatever the test runner's shell holds, no mail server or SMS sender is set
MAKE_RUN = {"SMTP_HOST": "", "SMTP_PORT": "", "SMS_FILE": "", "SMS_GATEWAY_URL": "", "MAILBOX_DIR": ""}


def token(workdir: Path, username: str) -> str:
    env = {**os.environ, **MAKE_RUN, "MOTCUA_INSTANCE": str(workdir / "instance"), "MOTCUA_ENV": "development"}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "web", "users", "token", username],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def mailbox_page(base: str, username: str = "canbo.motcua", message: str | None = None) -> str:
    """The mailbox page (or one message on it) as a signed-in staff member sees it (the
    login form, CSRF and all)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    form = opener.open(f"{base}/dang-nhap", timeout=10).read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": csrf}).encode()
    opener.open(f"{base}/dang-nhap", data=body, timeout=10).read()
    query = f"?m={message}" if message else ""
    with opener.open(f"{base}/hop-thu{query}", timeout=10) as resp:
        assert resp.status == 200 and resp.url.endswith(f"/hop-thu{query}")
        return resp.read().decode()


def survey_messages(workdir: Path) -> dict[str, dict]:
    """The survey invitation in the mailbox, by channel."""
    found = {}
    for m in Mailbox(workdir / "instance" / "mailbox").latest(100):
        if LINK.search(m["body"]):
            found[m["channel"]] = m
    return found if len(found) == 2 else {}


def sipas_overall(port: int, supervisor: str) -> dict:
    status, report = http_json(port, "GET", "/api/v1/reports/sipas", token=supervisor)
    assert status == 200, report
    return report["overall"]


def test_make_run_delivers_the_survey_link_to_the_development_mailbox(tmp_path, watch_log):
    for name in LOGS:
        watch_log(tmp_path / name)
    with demo_product(tmp_path, env=MAKE_RUN) as base:
        port = int(base.rsplit(":", 1)[1])
        clerk, boss = token(tmp_path, "canbo.motcua"), token(tmp_path, "lanhdao.phuong")
        status, dossier = http_json(port, "POST", "/api/v1/dossiers", {
            "procedure_code": "1.001193",
            "applicant": {"name": "Nguyễn Văn An", "email": "an@example.com", "phone": "0912345678"},
            "documents": ["TK", "GCS", "GTTT"], "channel": "in_person"}, clerk)
        assert status == 201, dossier
        code = dossier["code"]
        status, closed = http_json(port, "POST", f"/api/v1/dossiers/{code}/actions/reject",
                                   {"reason": "không thuộc thẩm quyền"}, clerk)
        assert status == 200 and closed["status"] == "rejected", closed

        sent = wait_for(lambda: survey_messages(tmp_path), timeout=90)
        assert sent["mail"]["to"] == "an@example.com" and code in sent["mail"]["subject"]
        assert sent["sms"]["to"] == "0912345678"
        link = LINK.search(sent["mail"]["body"]).group(0)
        assert link in sent["sms"]["body"]
        page = mailbox_page(base)
        assert f'href="{link}"' not in page  # the list shows subjects; the message shows the link
        name = sent["mail"]["name"]
        assert f"m={name}" in page and "an@example.com" in page and "0912345678" in page
        assert f'<a href="{link}">' in mailbox_page(base, message=name)  # clickable

        wait_for(lambda: sipas_overall(port, boss)["invited"] == 1, timeout=30)
        wait_for(lambda: http_json(port, "GET", "/healthz")[0] == 200)
        overall = sipas_overall(port, boss)  # both channels delivered: still one invitation
        assert overall["invited"] == 1 and overall["responses"] == 0 and overall["response_rate"] == 0
        run_output = (tmp_path / "run.log").read_text()
        assert f"{base}/hop-thu" in run_output

    first = tmp_path / "first-run"  # the restart overwrites the logs: keep them for the scan
    for log in LOGS:
        (first / log).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / log, first / log)
        watch_log(first / log)

    with demo_product(tmp_path, env=MAKE_RUN) as base:  # restarted: the mailbox is still there
        assert survey_messages(tmp_path) == sent
        page = mailbox_page(base, "canbo.tuphap")
        assert f"m={name}" in page
