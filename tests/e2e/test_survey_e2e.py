"""The survey end to end with a real Celery worker and beat on real Redis and a real
local SMTP server (aiosmtpd), against PostgreSQL: a closed dossier's citizen receives the
mail, follows the link, answers, and the index changes; dossiers closed while Redis is
down are all surveyed exactly once when it comes back; a worker killed mid-batch loses
and duplicates nothing."""
from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import threading
import time

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text, update

from tests.e2e.conftest import Inbox, free_port, wait_for
from web import create_app
from workflow.adapters.tables import outbox
from workflow.adapters.tables_surveys import survey_deliveries, surveys
from workflow.adapters.users import create_user, issue_token
from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases
from workflow.services.context import Context

pytestmark = pytest.mark.e2e
STAFF = {"T1": Actor("clerk", "counter", "T1"), "T1.KT": Actor("kt", "officer", "T1.KT"),
         "TAX": Actor("tax", "officer", "TAX"), "T1.LD": Actor("ld", "officer", "T1.LD")}
BASE = "http://khaosat.test"


@pytest.fixture
def live(engine, catalog, calendar):
    """Use cases on the real clock, as the worker sees it (PostgreSQL only)."""
    assert engine.dialect.name == "postgresql"
    return Context(engine=engine, calendar=calendar)


def env(db_url, broker, smtp_port, tmp_path, **extra):
    return {"DATABASE_URL": db_url, "CELERY_BROKER_URL": broker, "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port), "MAIL_FROM": "motcua@test.local", "MOTCUA_ENV": "development",
            "OUTBOX_INTERVAL_SECONDS": "0.5", "SURVEY_SWEEP_SECONDS": "1", "PUBLIC_BASE_URL": BASE,
            "SMS_FILE": str(tmp_path / "sms.jsonl"), **extra}


def close(ctx, n: int) -> str:
    """Receive a dossier for citizen n and take it through every step to the return."""
    d, _ = use_cases.intake(ctx, STAFF["T1"], "1.001612",
                            Applicant(f"Công dân {n}", f"0010900{n:05d}", f"09{n:08d}", f"c{n}@example.com"),
                            ["GDN", "CCCD"], "in_person")
    for agency, action in (("T1", "forward"), ("T1.KT", "forward"), ("TAX", "forward"),
                           ("T1.LD", "forward"), ("T1", "complete"), ("T1", "return_result")):
        use_cases.act(ctx, STAFF[agency], d.code, action, {})
    return d.code


def sms_sent(tmp_path) -> list:
    """The text messages written so far (a line being written is not one yet)."""
    path = tmp_path / "sms.jsonl"
    if not path.exists():
        return []
    try:
        return [json.loads(x) for x in path.read_text().splitlines()]
    except ValueError:
        return []


def mail_text(message) -> str:
    return message.get_payload(decode=True).decode()


def survey_mails(inbox) -> list:
    """The invitations (the receipt and result mails of the same dossiers go too)."""
    return [m for m in inbox.messages if m["Message-ID"].startswith("<survey-")]


def scalar(engine, query):
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def invited(engine) -> int:
    return scalar(engine, select(func.count()).select_from(surveys).where(surveys.c.invited_at.is_not(None)))


def test_close_mail_link_answer_and_the_index_changes(live, db_url, redis_url, smtp, start_celery,
                                                     engine, tmp_path):
    with engine.begin() as conn:
        create_user(conn, "boss", "supervisor", "T1")
        token = issue_token(conn, "boss")
    app = create_app("testing", {"DATABASE_URL": db_url}, context=live)
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    before = client.get("/api/v1/reports/sipas", headers=bearer).get_json()["overall"]
    assert (before["index"], before["responses"]) == (None, 0)

    settings = env(db_url, redis_url, smtp.port, tmp_path)
    start_celery(settings, "worker", "--concurrency=2")
    start_celery(settings, "beat")
    code = close(live, 1)
    mail = wait_for(lambda: survey_mails(smtp), timeout=40)[0]
    assert code in mail_text(mail) and mail["To"] == "c1@example.com"
    link = re.search(rf"{re.escape(BASE)}(/s/\S+)", mail_text(mail)).group(1)
    [sms] = wait_for(lambda: sms_sent(tmp_path), timeout=40)  # its own message, maybe later
    assert link in sms["text"] and sms["to"] == "0900000001"

    page = client.get(link)  # the citizen follows the link
    assert page.status_code == 200 and "Tiếp cận dịch vụ" in page.get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    radios = set(re.findall(r'name="(q-[A-Z0-9]+)"', page.get_data(as_text=True)))
    done = client.post(link, data={**{r: "5" for r in radios}, "csrf_token": csrf})
    assert done.status_code == 200 and "Cảm ơn" in done.get_data(as_text=True)

    after = client.get("/api/v1/reports/sipas?agency=T1", headers=bearer).get_json()["overall"]
    assert (after["index"], after["responses"], after["invited"]) == (100.0, 1, 1)
    assert "100.0%" in client.get("/ket-qua-sipas").get_data(as_text=True)
    time.sleep(1)  # two more beat ticks and a sweep: nothing is sent again
    assert len(survey_mails(smtp)) == 1


@pytest.mark.expected_errors(  # the broker is stopped on purpose: worker and beat say so (with a traceback)
    r"consumer: Cannot connect to redis", r"Couldn't apply scheduled task [\w-]+: Error 111",
    r"beat: Connection error: Error 111", r"consumer: Connection to broker lost")
def test_closed_while_redis_is_down_every_survey_arrives_once(live, db_url, smtp, start_celery,
                                                             engine, tmp_path):
    port = free_port()
    broker = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        settings = env(db_url, f"redis://127.0.0.1:{port}/0", smtp.port, tmp_path)
        worker = start_celery(settings, "worker", "--concurrency=2")
        beat = start_celery(settings, "beat")
        wait_for(lambda: "ready" in worker.log_path.read_text(), timeout=30)
        # no gossip or mingle: their consumers are what crashed workers on reconnecting
        assert "mingle:" not in worker.log_path.read_text()
        broker.terminate()
        broker.wait(timeout=10)
        with pytest.raises(redis.ConnectionError):
            redis.Redis(port=port).ping()
        codes = [close(live, n) for n in range(10, 15)]  # closing needs no broker: only the outbox
        time.sleep(1)  # beat ticks fail meanwhile (tasks already fetched may still run)
        broker = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        wait_for(lambda: len(survey_mails(smtp)) >= 5 and invited(engine) == 5, timeout=90)  # the worker reconnects with back-off
        time.sleep(1)  # two more beat ticks: nothing is sent again
        ids = [m["Message-ID"] for m in survey_mails(smtp)]
        assert len(ids) == 5 and len(set(ids)) == 5
        assert sorted(re.search(r"T1-\d{6}-\d{4}", mail_text(m)).group(0)
                      for m in survey_mails(smtp)) == sorted(codes)
        for proc in (worker, beat):  # stopped while their broker is still there to say goodbye
            proc.terminate()
            proc.wait(timeout=15)
    finally:
        broker.terminate()
        broker.wait(timeout=10)


class SlowInbox(Inbox):
    """An SMTP server that takes its time before accepting each recipient, so a worker can
    be killed while it is waiting (never between the server's acceptance and its record)."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay, self.recipients = delay, 0
        self.waiting = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.waiting:
            self.recipients += 1
            self.waiting.notify_all()
        await asyncio.sleep(self.delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(live, db_url, redis_url, start_celery,
                                                                engine, tmp_path):
    inbox = SlowInbox(delay=0.3)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        codes = [close(live, n) for n in range(20, 26)]
        with engine.begin() as conn:  # their receipt and result mails went out long ago
            conn.execute(update(outbox).where(outbox.c.topic != "dossier.closed").values(
                sent_at=text("now()")))
        settings = env(db_url, redis_url, controller.port, tmp_path)
        start_celery(settings, "beat")
        worker = start_celery(settings, "worker", "--pool=solo")
        with inbox.waiting:  # two invitations delivered, the third one half-way
            assert inbox.waiting.wait_for(lambda: inbox.recipients >= 3, timeout=40)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert len(inbox.messages) == 2
        with engine.begin() as conn:  # the dead worker's leases run out (5 minutes, not waited)
            conn.execute(update(outbox).where(outbox.c.sent_at.is_(None)).values(
                available_at=text("now()")))
        start_celery(settings, "worker", "--pool=solo")
        wait_for(lambda: invited(engine) == 6 and len(inbox.messages) == 6, timeout=45)
        time.sleep(1)  # two more beat ticks: nothing is sent again
        ids = [m["Message-ID"] for m in inbox.messages]
        assert len(ids) == 6 and len(set(ids)) == 6
        found = sorted(re.search(r"T1-\d{6}-\d{4}", mail_text(m)).group(0) for m in inbox.messages)
        assert found == sorted(codes)
        assert scalar(engine, select(func.count()).select_from(surveys)) == 6
        assert scalar(engine, select(func.count()).select_from(survey_deliveries)) == 12  # mail + SMS
        sms = [json.loads(x)["id"] for x in (tmp_path / "sms.jsonl").read_text().splitlines()]
        assert len(sms) == 6 and len(set(sms)) == 6
    finally:
        controller.stop()
