"""Survey invitations per channel, and the development mailbox `make run` uses.

A mail server that is down never holds back the SMS: each channel is its own outbox
message, retried on its own; the response rate's denominator counts the survey once, when
its first channel is delivered. Under development settings with no SMTP_HOST, mail and SMS
are files in MAILBOX_DIR that a new process reads back; the staff page listing them exists
only in development and only for signed-in staff."""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from config import Development, Production
from tests.e2e.conftest import Inbox, free_port
from tests.integration.test_staff_access import signed_in
from tests.integration.test_surveys import close, count, sms_lines
from web import create_app
from workflow.adapters.mail import SmtpSender, mail_sender
from workflow.adapters.mailbox import Mailbox, MailboxMailSender, MailboxSmsSender
from workflow.adapters.sms import FileSmsSender, sms_sender
from workflow.adapters.tables import outbox
from workflow.adapters.tables_surveys import survey_deliveries
from workflow.services.context import Context, utc_now
from workflow.services.notifications import outbox as relay_service
from workflow.services.surveys.config import survey_config
from workflow.services.surveys.sipas_report import sipas_report
from workflow.services.surveys.use_cases import survey_handlers

MARCH = (date(2026, 3, 1), date(2026, 3, 31))  # the fixture clock's month


def invited(ctx, conf) -> tuple[int, int]:
    """(invitations that reached the citizen, responses) as the SIPAS report shows them."""
    overall = sipas_report(ctx, conf, *MARCH)["overall"]
    return overall["invited"], overall["responses"]


def test_mail_server_down_never_blocks_the_sms_and_is_retried_alone(api, app, ctx, engine, tmp_path):
    """Without per-channel messages the refused mail fails the whole invitation: no SMS,
    nothing counted; here the SMS goes, the mail follows when the server is back, and the
    survey is counted once."""
    port = free_port()  # nothing listens: the mail server is down
    settings = dict(app.config, SMS_FILE=str(tmp_path / "sms.jsonl"))
    handlers = survey_handlers(ctx, settings, SmtpSender("127.0.0.1", port, "m@t", timeout=2))
    conf = survey_config(settings)
    skew = [timedelta(0)]
    claimer = Context(engine=ctx.engine, calendar=ctx.calendar, now=lambda: utc_now() + skew[0])

    close(api)
    for _ in range(3):  # the closing, then the invitation's messages
        relay_service.relay(claimer, handlers)
    sms = sms_lines(type("W", (), {"sms": tmp_path / "sms.jsonl"}))
    assert len(sms) == 1 and "/s/" in sms[0]["text"]
    assert count(engine, survey_deliveries) == 1
    assert invited(ctx, conf) == (1, 0)  # reached by SMS: counted, once
    with engine.connect() as conn:
        [mail] = conn.execute(select(outbox).where(outbox.c.sent_at.is_(None))).all()
    assert mail.payload["channel"] == "email" and "refused" in (mail.last_error or "").lower()

    box = Inbox()  # the mail server comes back on the same port
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        skew[0] = timedelta(minutes=2)  # past the mail message's backoff
        assert relay_service.relay(claimer, handlers)["sent"] == 1
    finally:
        controller.stop()
    assert len(box.messages) == 1 and len(sms_lines(type("W", (), {"sms": tmp_path / "sms.jsonl"}))) == 1
    assert count(engine, survey_deliveries) == 2
    assert invited(ctx, conf) == (1, 0)  # the second channel does not count it again
    assert relay_service.pending(claimer) == 0


def test_nothing_is_counted_while_no_channel_is_delivered(api, app, ctx, engine, tmp_path):
    """Queueing is not reaching: with the mail server and the SMS gateway down, the
    survey's invitation is queued but the response rate's denominator stays 0."""
    settings = dict(app.config, SMS_GATEWAY_URL=f"http://127.0.0.1:{free_port()}/sms")
    handlers = survey_handlers(ctx, settings, SmtpSender("127.0.0.1", free_port(), "m@t", timeout=2))
    claimer = Context(engine=ctx.engine, calendar=ctx.calendar)
    close(api)
    for _ in range(3):
        relay_service.relay(claimer, handlers)
    assert count(engine, outbox, outbox.c.topic == "survey.invite") == 2
    assert count(engine, survey_deliveries) == 0
    assert invited(ctx, survey_config(settings)) == (0, 0)


# -- the development mailbox ------------------------------------------------------------
def dev_settings(tmp_path, **extra) -> dict:
    base = {k: getattr(Development, k) for k in dir(Development) if k.isupper()}
    return {**base, "MAILBOX_DIR": str(tmp_path / "mailbox"), "SMTP_HOST": None, "SMS_FILE": None,
            "SMS_GATEWAY_URL": None, **extra}


def test_development_without_smtp_host_sends_to_the_mailbox(tmp_path):
    settings = dev_settings(tmp_path)
    assert isinstance(mail_sender(settings), MailboxMailSender)
    assert isinstance(sms_sender(settings), MailboxSmsSender)
    # a configured SMTP server or SMS file wins; production has no mailbox at all
    assert isinstance(mail_sender(dev_settings(tmp_path, SMTP_HOST="mx")), SmtpSender)
    assert isinstance(sms_sender(dev_settings(tmp_path, SMS_FILE="x.jsonl")), FileSmsSender)
    production = {k: getattr(Production, k) for k in dir(Production) if k.isupper()}
    assert production["MAILBOX_DIR"] is None
    assert mail_sender(production) == SmtpSender("localhost", 25, production["MAIL_FROM"])


def test_the_mailbox_survives_a_restart_and_concurrent_writers(tmp_path):
    """Messages are files written whole: a new process (here a new Mailbox on the same
    folder) reads every one back, newest first; no temporary file is left behind."""
    settings = dev_settings(tmp_path)
    mailer, sms = mail_sender(settings), sms_sender(settings)
    with ThreadPoolExecutor(8) as pool:  # the worker's threads sending at once
        list(pool.map(lambda i: mailer.send(f"a{i}@example.com", f"Thư {i}", f"Nội dung {i}", f"<m{i}>"),
                      range(40)))
    sms.send("0912345678", "Moi danh gia: http://127.0.0.1:5000/s/abc", "sms-1")
    reopened = Mailbox(Path(settings["MAILBOX_DIR"]))
    names = reopened.names()
    assert len(names) == 41 and len(set(names)) == 41
    assert names == sorted(names, reverse=True)
    newest = reopened.latest(1)[0]
    assert newest["channel"] == "sms" and newest["to"] == "0912345678"
    assert {m["subject"] for m in reopened.latest(100) if m["channel"] == "mail"} == {f"Thư {i}" for i in range(40)}
    assert not [p for p in Path(settings["MAILBOX_DIR"]).iterdir() if p.name.startswith(".")]
    assert reopened.read("../../etc/passwd") is None and reopened.read(names[0].replace("json", "txt")) is None


@pytest.fixture
def dev_app(ctx, db_url, catalog, tmp_path):
    return create_app("testing", {"DATABASE_URL": db_url, "MAILBOX_DIR": str(tmp_path / "mailbox")},
                      context=ctx)


def test_the_mailbox_page_lists_and_shows_messages_to_staff(dev_app, engine, tokens, tmp_path):
    box = Mailbox(tmp_path / "mailbox")
    box.put("mail", "an@example.com", "Mời đánh giá:\n\nhttp://127.0.0.1:5000/s/tok-1\n", "<m1>", "Mời đánh giá")
    name = box.put("sms", "0912345678", "Moi danh gia: http://127.0.0.1:5000/s/tok-2", "sms-2")
    anonymous = dev_app.test_client().get("/hop-thu")
    assert anonymous.status_code == 302 and "/dang-nhap" in anonymous.headers["Location"]
    client = signed_in(dev_app, engine, "kt")
    page = client.get("/hop-thu").get_data(as_text=True)
    assert "Hộp thư thử nghiệm" in page and 'href="/hop-thu"' in page  # the nav link
    assert page.index("0912345678") < page.index("an@example.com")  # newest first
    shown = client.get(f"/hop-thu?m={name}").get_data(as_text=True)
    assert '<a href="http://127.0.0.1:5000/s/tok-2">' in shown
    assert client.get("/hop-thu?m=nothing.json").status_code == 404
    client.get("/ngon-ngu/en")
    assert "Development mailbox" in client.get("/hop-thu").get_data(as_text=True)


def test_no_mailbox_page_in_production(ctx, db_url, catalog, engine, tokens):
    app = create_app("production", {"DATABASE_URL": db_url, "SKIP_CONFIG_CHECK": True}, context=ctx)
    client = signed_in(app, engine, "root")
    assert client.get("/hop-thu").status_code == 404
    assert 'href="/hop-thu"' not in client.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert re.search(r"/hop-thu", str(list(app.url_map.iter_rules()))) is None
