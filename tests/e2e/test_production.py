"""The production start (scripts/run-prod.sh: gunicorn, three Celery workers on their own
queues, one beat) on a fresh PostgreSQL database and Redis, with a real SMTP server: a
dossier goes from intake to the returned result over HTTP, the citizen's survey link
arrives by mail and is answered over HTTP, the SIPAS report counts it, and SIGTERM stops
every process cleanly."""
from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import empty_pg_database
from tests.e2e.conftest import free_port, healthy, http_json as call, wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ("web", "worker-default", "worker-notifications", "worker-sweeps", "beat")
# 1.001193 (birth registration, demo catalog): desk intake step, civil status, signature, return
STEPS = [("canbo.motcua", "forward"), ("canbo.motcua", "forward"), ("canbo.tuphap", "forward"),
         ("lanhdao.ky", "forward"), ("canbo.motcua", "complete"), ("canbo.motcua", "return_result")]


@pytest.fixture
def fresh_pg():
    """An empty PostgreSQL database: the start command itself must migrate it."""
    with empty_pg_database("motcua_prod") as url:
        yield url


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below `pid`."""
    table = subprocess.run(["ps", "-e", "-ww", "-o", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in table.splitlines()]
    children: dict[int, list] = {}
    for child, parent, *args in rows:
        children.setdefault(int(parent), []).append((int(child), args[0] if args else ""))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def running(tree) -> list[tuple[int, str]]:
    """The processes of `tree` still running (a zombie waiting for its parent is not)."""
    left = []
    for pid, args in tree:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if state != "Z":
            left.append((pid, args))
    return left


def survey_mail(inbox):
    return next((m for m in inbox.messages if m["Message-ID"].startswith("<survey-")), None)


def test_production_start_serves_a_dossier_from_intake_to_survey(fresh_pg, redis_url, smtp, tmp_path,
                                                                  watch_log):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MOTCUA_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
           "DATABASE_URL": fresh_pg, "REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url,
           "RATELIMIT_STORAGE_URI": redis_url, "BIND": f"127.0.0.1:{port}", "PUBLIC_BASE_URL": base,
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "MAIL_FROM": "motcua@test.local",
           "SMS_FILE": str(tmp_path / "sms.jsonl"), "MOTCUA_INSTANCE": str(tmp_path / "instance"),
           "WEB_CONCURRENCY": "2", "WEB_THREADS": "2", "NOTIFY_CONCURRENCY": "1",
           "OUTBOX_INTERVAL_SECONDS": "0.5", "SURVEY_SWEEP_SECONDS": "1", "DEADLINE_SWEEP_SECONDS": "1",
           "STOP_TIMEOUT": "40",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    log_path = tmp_path / "run-prod.log"
    watch_log(log_path)
    log = open(log_path, "w")
    proc = subprocess.Popen(["bash", "scripts/run-prod.sh"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: healthy(port), timeout=120)
        tree = descendants(proc.pid)
        assert len([p for p, args in tree if "tasks.worker beat" in args]) == 1, tree  # one scheduler
        flask = [sys.executable, "-m", "flask", "--app", "web"]
        loaded = subprocess.run(flask + ["demo", "load"], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120)
        assert loaded.returncode == 0, loaded.stderr
        tokens = {}
        for user in ("canbo.motcua", "canbo.tuphap", "lanhdao.ky", "lanhdao.phuong"):
            done = subprocess.run(flask + ["users", "token", user], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            tokens[user] = done.stdout.strip()

        # intake at the counter, every step, the result handed over: all over HTTP
        status, dossier = call(port, "POST", "/api/v1/dossiers", {
            "procedure_code": "1.001193", "documents": ["TK", "GCS", "GTTT"], "channel": "in_person",
            "applicant": {"name": "Nguyễn Văn An", "phone": "0912345678", "email": "an@example.com"}},
            tokens["canbo.motcua"])
        assert status == 201 and dossier["status"] == "received", dossier
        code = dossier["code"]
        for user, action in STEPS:
            status, dossier = call(port, "POST", f"/api/v1/dossiers/{code}/actions/{action}", {},
                                   tokens[user])
            assert status == 200, (user, action, dossier)
        assert dossier["status"] == "returned"

        # the notifications worker mails the survey link; the citizen answers it over HTTP
        mail = wait_for(lambda: survey_mail(smtp), timeout=90)
        body = mail.get_payload(decode=True).decode()
        assert code in body and mail["To"] == "an@example.com"
        link = re.search(rf"{re.escape(base)}/s/(\S+)", body).group(1)
        status, survey = call(port, "GET", f"/api/v1/surveys/{link}")
        assert status == 200, survey
        questions = [q["code"] for e in survey["questionnaire"]["elements"] for q in e["questions"]]
        status, answered = call(port, "POST", f"/api/v1/surveys/{link}",
                                {"answers": {q: 5 for q in questions}})
        assert status == 201 and answered["status"] == "answered", answered
        status, report = call(port, "GET", "/api/v1/reports/sipas?agency=H26.HD", token=tokens["lanhdao.phuong"])
        assert status == 200, report
        assert (report["overall"]["responses"], report["overall"]["index"]) == (1, 100.0)
        assert call(port, "POST", f"/api/v1/surveys/{link}", {"answers": {q: 1 for q in questions}})[0] == 409

        # each queue is served by its own worker: sweeps never wait behind mail
        wait_for(lambda: "motcua.deadlines.sweep" in log_path.read_text(), timeout=30)
        received = re.findall(r"^(\S+) \| .*Task (motcua\.\w+\.\w+)\[.*\] received", log_path.read_text(), re.M)
        assert {name for name, task in received if task == "motcua.deadlines.sweep"} == {"worker-sweeps"}
        assert {name for name, task in received if task == "motcua.outbox.relay"} == {"worker-notifications"}
        # the access log names the survey call but never its token
        assert "/api/v1/surveys/*** HTTP/1.1\" 201" in log_path.read_text()
        assert link not in log_path.read_text()
    finally:
        tree = descendants(proc.pid)
        os.kill(proc.pid, signal.SIGTERM)
        try:
            rc = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        log.close()
    output = log_path.read_text()
    assert rc == 0, output[-3000:]
    for name in PROCESSES:
        assert f"run-prod: {name} exited with status 0" in output
    try:
        wait_for(lambda: not running(tree), timeout=10)  # the log prefixers see their pipes close
    except AssertionError:
        raise AssertionError(f"left running: {running(tree)}") from None
