"""A real Celery worker and beat on real Redis deliver the outbox: the applicant's
receipt mail reaches a real SMTP server exactly once; an SMTP outage is retried."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from aiosmtpd.controller import Controller

from tests.e2e.conftest import Inbox, free_port, wait_for
from workflow.adapters.tables import outbox
from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases

pytestmark = pytest.mark.e2e
CLERK = Actor("clerk", "counter", "T1")


@pytest.fixture
def pg_ctx(ctx, engine):
    assert engine.dialect.name == "postgresql"
    return ctx


def worker_env(db_url, redis_url, smtp_port):
    return {"DATABASE_URL": db_url, "CELERY_BROKER_URL": redis_url, "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_port), "MAIL_FROM": "motcua@test.local",
            "OUTBOX_INTERVAL_SECONDS": "0.5", "MOTCUA_ENV": "development"}


def test_beat_and_worker_deliver_receipt_mail_once(pg_ctx, catalog, db_url, redis_url, smtp,
                                                   start_celery, engine):
    d, _ = use_cases.intake(pg_ctx, CLERK, "1.001612",
                            Applicant("Nguyễn Văn An", email="an@example.com"), ["GDN", "CCCD"],
                            "in_person")
    env = worker_env(db_url, redis_url, smtp.port)
    start_celery(env, "worker", "--concurrency=2")
    start_celery(env, "beat")
    mail = wait_for(lambda: smtp.messages, timeout=60)[0]
    assert d.code in mail["Subject"]
    assert "Ngày hẹn trả kết quả" in mail.get_payload(decode=True).decode()
    with engine.connect() as conn:
        wait_for(lambda: conn.execute(select(outbox.c.sent_at).where(
            outbox.c.topic == "dossier.received")).scalar() is not None)
    time.sleep(3)  # several more beat ticks: nothing is sent again
    assert len(smtp.messages) == 1


def test_smtp_outage_is_retried_not_lost(pg_ctx, catalog, db_url, redis_url, start_celery, engine):
    port = free_port()  # nothing listens here yet
    d, _ = use_cases.intake(pg_ctx, CLERK, "1.001612", Applicant("B", email="b@example.com"),
                            ["GDN", "CCCD"], "in_person")
    env = worker_env(db_url, redis_url, port)
    start_celery(env, "worker", "--concurrency=1")
    start_celery(env, "beat")
    query = select(outbox.c.attempts, outbox.c.sent_at, outbox.c.last_error).where(
        outbox.c.topic == "dossier.received")
    with engine.connect() as conn:
        row = wait_for(lambda: (r := conn.execute(query).first()) and r.attempts >= 1 and r, timeout=60)
    assert row.sent_at is None and row.attempts >= 1
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()  # the mail server comes back: the retry delivers, once
    try:
        mail = wait_for(lambda: inbox.messages, timeout=60)[0]
        assert d.code in mail["Subject"]
        time.sleep(2)
        assert len(inbox.messages) == 1
    finally:
        controller.stop()
