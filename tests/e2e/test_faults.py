"""Faults survived, each in its own test (PostgreSQL; private servers where one is
restarted or stopped):

- PostgreSQL restarted during a load of intakes: clients get 503 + Retry-After (never a
  500), their retries with the same Idempotency-Key make exactly one dossier each, nothing
  is half-written and the dossier-code sequence stays unique and gapless;
- Redis stopped and started during closings: no notice or survey invitation lost or doubled;
- a Celery worker killed with SIGKILL mid-task: the task is redone once, the mail sent once;
- two officers acting on one dossier at the same moment: one wins, the other gets 409;
- an intake retried with the same Idempotency-Key, also concurrently: one dossier.
"""
from __future__ import annotations

import re
import signal
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import psutil
import pytest
from aiosmtpd.controller import Controller
from celery import Celery
from sqlalchemy import func, select

from tests.conftest import FIXTURE_CATALOG, FakeClock, vn
from tests.e2e.conftest import free_port, wait_for
from tests.e2e.private_services import PrivatePostgres, PrivateRedis
from tests.e2e.test_survey_e2e import SlowInbox, close, env, mail_text
from web import create_app
from workflow.adapters.database import make_engine
from workflow.adapters.migrations import upgrade
from workflow.adapters.repository import DossierRepository
from workflow.adapters.tables import dossier_events, dossier_sequences, dossiers, outbox
from workflow.adapters.tables_surveys import survey_deliveries
from workflow.adapters.users import create_user, issue_token
from workflow.services.importing.catalog import load
from workflow.domain.calendar import BusinessCalendar
from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases
from workflow.services.context import Context

pytestmark = pytest.mark.e2e
INTAKE = {"procedure_code": "1.001612",
          "applicant": {"name": "Nguyễn Văn An", "phone": "0912345678", "email": "an@example.com"},
          "documents": ["GDN", "CCCD"], "channel": "in_person"}
STAFF = {"clerk": ("counter", "T1"), "kt": ("officer", "T1.KT"), "kt2": ("officer", "T1.KT")}


def staff_tokens(engine) -> dict[str, dict]:
    with engine.begin() as conn:
        out = {}
        for name, (role, agency) in STAFF.items():
            create_user(conn, name, role, agency, f"pw-{name}")
            out[name] = {"Authorization": f"Bearer {issue_token(conn, name)}"}
    return out


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


# -- PostgreSQL restarted during a load of intakes ---------------------------------------
@pytest.fixture
def private_pg():
    server = PrivatePostgres()
    yield server
    server.destroy()


def test_postgres_restart_during_intakes(private_pg):
    url = private_pg.create_database("motcua")
    upgrade(url)
    engine = make_engine(url, pool_size=6, max_overflow=2)
    try:
        load(engine, [FIXTURE_CATALOG], now=datetime(2026, 1, 1, tzinfo=timezone.utc))
        tokens = staff_tokens(engine)
        ctx = Context(engine=engine, calendar=BusinessCalendar(), now=FakeClock(vn(2026, 3, 2, 9, 0)))
        app = create_app("testing", {"DATABASE_URL": url}, context=ctx)
        responses = defaultdict(list)  # Idempotency-Key -> [(status, body, Retry-After)]
        done, stop = [], threading.Event()

        def counter_desk(desk: int) -> None:
            client, n = app.test_client(), 0
            while not stop.is_set():
                key, n = f"quay-{desk}-{n:04d}", n + 1
                for _ in range(100):  # a client retries a 503 with the same key
                    r = client.post("/api/v1/dossiers", json=INTAKE,
                                    headers={**tokens["clerk"], "Idempotency-Key": key})
                    responses[key].append((r.status_code, r.get_json(), r.headers.get("Retry-After")))
                    if r.status_code != 503:
                        break
                    time.sleep(0.1)  # Retry-After says 2 s; a test need not wait that long
                done.append(key)

        with ThreadPoolExecutor(6) as pool:
            desks = [pool.submit(counter_desk, i) for i in range(6)]
            wait_for(lambda: len(done) >= 30, timeout=120)
            private_pg.restart("fast")  # while intakes are in flight
            before = len(done)
            wait_for(lambda: len(done) >= before + 30, timeout=120)
            stop.set()
            for desk in desks:
                desk.result()

        statuses = [status for tries in responses.values() for status, _, _ in tries]
        assert set(statuses) <= {201, 503}, [s for s in statuses if s not in (201, 503)]
        assert statuses.count(503) >= 1  # the restart was felt
        for tries in responses.values():
            for status, body, retry_after in tries:
                if status == 503:
                    assert retry_after == "2" and body["error"]["code"] == "database_unavailable"
        # each key ends in one 201 and every retry of it names the same dossier
        codes = {}
        for key, tries in responses.items():
            assert tries[-1][0] == 201, (key, tries)
            codes[key] = {body["code"] for status, body, _ in tries if status == 201}
            assert len(codes[key]) == 1
        made = [code for found in codes.values() for code in found]
        assert len(set(made)) == len(made) == len(responses)
        with engine.connect() as conn:
            rows = conn.execute(select(dossiers.c.code, dossiers.c.idempotency_key, dossiers.c.last_seq)).all()
            intake_events = dict(conn.execute(
                select(dossier_events.c.dossier_id, func.count()).group_by(dossier_events.c.dossier_id)).all())
            ids = conn.execute(select(dossiers.c.id)).scalars().all()
            last = conn.execute(select(dossier_sequences.c.last)).scalar_one()
        assert {r.idempotency_key: r.code for r in rows} == {f"clerk:{k}": c.pop() for k, c in codes.items()}
        assert sorted(int(r.code.rsplit("-", 1)[1]) for r in rows) == list(range(1, len(rows) + 1)) \
            and last == len(rows)  # unique, gapless: a rolled-back intake gave its number back
        assert all(intake_events.get(i) == 1 for i in ids) and all(r.last_seq == 1 for r in rows)
        assert count(engine, dossier_events) == len(rows)  # no event without its dossier
        assert count(engine, outbox, outbox.c.topic == "dossier.received") == len(rows)

        # an idle pool after a restart: the first request reconnects (checked at checkout), no 503
        private_pg.restart("fast")
        r = app.test_client().post("/api/v1/dossiers", json=INTAKE,
                                   headers={**tokens["clerk"], "Idempotency-Key": "after-restart"})
        assert r.status_code == 201, r.get_json()
    finally:
        engine.dispose()


# -- Redis stopped and started during closings -------------------------------------------
@pytest.fixture
def live(engine, catalog):
    """Use cases on the real clock, as the worker sees it (PostgreSQL only)."""
    assert engine.dialect.name == "postgresql"
    return Context(engine=engine, calendar=BusinessCalendar())


@pytest.mark.expected_errors(  # the broker is stopped on purpose: worker and beat say so (with a traceback)
    r"consumer: Cannot connect to redis", r"Couldn't apply scheduled task [\w-]+: Error 111",
    r"beat: Connection error: Error 111", r"consumer: Connection to broker lost")
def test_redis_stopped_and_started_during_closings(live, db_url, smtp, start_celery, engine, tmp_path):
    broker = PrivateRedis()
    try:
        settings = env(db_url, broker.url, smtp.port, tmp_path)
        worker = start_celery(settings, "worker", "--concurrency=2")
        beat = start_celery(settings, "beat")
        wait_for(lambda: "ready" in worker.log_path.read_text(), timeout=30)
        codes = [close(live, 30)]
        wait_for(lambda: len(smtp.messages) == 3, timeout=60)  # receipt, result, survey
        broker.stop()
        codes += [close(live, n) for n in range(31, 35)]  # commits need only the database
        assert count(engine, outbox, outbox.c.sent_at.is_(None)) > 0
        time.sleep(2)  # beat's ticks and the worker's reconnects fail meanwhile
        broker.start()  # empty: every task queued before the stop is gone
        wait_for(lambda: len(smtp.messages) >= 15, timeout=120)
        time.sleep(2)  # more beat ticks and sweeps: nothing is sent again
        ids = [m["Message-ID"] for m in smtp.messages]
        assert len(ids) == 15 and len(set(ids)) == 15
        per_code = defaultdict(list)
        for m in smtp.messages:
            per_code[re.search(r"T1-\d{6}-\d{4}", mail_text(m)).group(0)].append(m["Message-ID"])
        assert sorted(per_code) == sorted(codes)
        for sent in per_code.values():  # the receipt, the result and the invitation, once each
            assert len(sent) == 3 and sum(i.startswith("<survey-") for i in sent) == 1
        assert count(engine, outbox, outbox.c.sent_at.is_(None)) == 0
        assert count(engine, survey_deliveries) == 10  # mail and SMS of five invitations
        for proc in (worker, beat):
            proc.terminate()
            proc.wait(timeout=15)
    finally:
        broker.stop()


# -- a Celery worker killed with SIGKILL mid-task ----------------------------------------
@pytest.mark.parametrize("victim", ["pool-process", "whole-worker"])
@pytest.mark.expected_errors(  # the pool process is killed on purpose: Celery reports it
    r"exited with 'signal 9 \(SIGKILL\)'", r"WorkerLostError\('Worker exited prematurely: signal 9")
def test_worker_killed_mid_task_redoes_it_once(live, db_url, redis_url, start_celery, engine,
                                              tmp_path, victim):
    inbox = SlowInbox(delay=2.0)  # waits before accepting the recipient: the kill lands there
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        d, _ = use_cases.intake(live, Actor("clerk", "counter", "T1"), "1.001612",
                                Applicant("Trần Thị Bình", email="binh@example.com"), ["GDN", "CCCD"],
                                "in_person")
        # no beat: only the one task sent below (and its redelivery) can deliver the mail
        settings = env(db_url, redis_url, controller.port, tmp_path, BROKER_VISIBILITY_TIMEOUT="3")
        worker = start_celery(settings, "worker", "--concurrency=1")
        wait_for(lambda: "ready" in worker.log_path.read_text(), timeout=30)
        Celery(broker=redis_url).send_task("motcua.outbox.relay", queue="notifications")
        with inbox.waiting:
            assert inbox.waiting.wait_for(lambda: inbox.recipients >= 1, timeout=30)
        main = psutil.Process(worker.pid)
        if victim == "pool-process":  # the worker sees its child die and requeues the task
            for child in main.children(recursive=True):
                child.send_signal(signal.SIGKILL)
        else:  # the machine loses the whole worker; the broker redelivers to the next one
            for proc in [*main.children(recursive=True), main]:
                proc.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            # the task stays unacknowledged in Redis; a worker starting after the visibility
            # timeout puts it back in the queue (a running one checks every few minutes)
            time.sleep(4)
            start_celery(settings, "worker", "--concurrency=1")
        assert inbox.messages == []
        wait_for(lambda: len(inbox.messages) == 1, timeout=60)
        query = select(outbox.c.sent_at, outbox.c.attempts).where(outbox.c.topic == "dossier.received")
        with engine.connect() as conn:
            row = wait_for(lambda: (r := conn.execute(query).first()).sent_at and r, timeout=20)
        assert row.attempts == 2  # the first run and its one redo
        Celery(broker=redis_url).send_task("motcua.outbox.relay", queue="notifications")
        time.sleep(4)  # a further relay and any late redelivery: nothing is sent again
        assert len(inbox.messages) == 1 and d.code in inbox.messages[0]["Subject"]
    finally:
        controller.stop()


# -- two officers at the same moment; retried intakes ------------------------------------
@pytest.fixture
def http(engine, catalog, clock, calendar):
    assert engine.dialect.name == "postgresql"
    tokens = staff_tokens(engine)
    app = create_app("testing", {"DATABASE_URL": str(engine.url)},
                     context=Context(engine=engine, calendar=calendar, now=clock))
    return app, tokens


def test_two_officers_at_the_same_moment_one_gets_409(http, engine, monkeypatch):
    app, tokens = http
    client = app.test_client()
    code = client.post("/api/v1/dossiers", json=INTAKE, headers=tokens["clerk"]).get_json()["code"]
    assert client.post(f"/api/v1/dossiers/{code}/actions/forward", json={},
                       headers=tokens["clerk"]).status_code == 200  # now at the KT step
    barrier = threading.Barrier(2, timeout=20)
    original_get = DossierRepository.get_with_history  # what an API action reads

    def read_then_wait(self, wanted):  # both read version 2 before either writes
        found = original_get(self, wanted)
        barrier.wait()
        return found

    monkeypatch.setattr(DossierRepository, "get_with_history", read_then_wait)

    def officer(name):
        return app.test_client().post(f"/api/v1/dossiers/{code}/actions/forward", json={"note": name},
                                      headers=tokens[name])

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(officer, ["kt", "kt2"]))
    monkeypatch.undo()
    assert sorted(r.status_code for r in results) == [200, 409], [r.get_json() for r in results]
    loser = next(r for r in results if r.status_code == 409).get_json()["error"]
    assert loser["code"] == "conflict" and "reload" in loser["message"]
    final = client.get(f"/api/v1/dossiers/{code}", headers=tokens["clerk"]).get_json()
    assert final["version"] == 3 and [e["action"] for e in final["events"]] == ["intake", "forward", "forward"]
    assert count(engine, dossier_events) == 3


def test_retried_intake_with_the_same_key_makes_one_dossier(http, engine):
    app, tokens = http
    headers = {**tokens["clerk"], "Idempotency-Key": "quay-1-0001"}
    first = app.test_client().post("/api/v1/dossiers", json=INTAKE, headers=headers)
    again = app.test_client().post("/api/v1/dossiers", json=INTAKE, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json() == first.get_json()

    key = {**tokens["clerk"], "Idempotency-Key": f"quay-2-{uuid.uuid4().hex[:6]}"}
    barrier = threading.Barrier(8, timeout=20)

    def retry(_):
        barrier.wait()  # eight retries of one request arrive together
        return app.test_client().post("/api/v1/dossiers", json=INTAKE, headers=key)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(retry, range(8)))
    assert {r.status_code for r in results} == {201}
    assert len({r.get_json()["code"] for r in results}) == 1
    assert count(engine, dossiers) == 2 and count(engine, dossier_events) == 2
    assert count(engine, outbox, outbox.c.topic == "dossier.received") == 2
