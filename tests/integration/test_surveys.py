"""The satisfaction survey on SQLite and PostgreSQL, with a real local SMTP server: one
survey per closed dossier, sent once by mail and SMS through the real outbox relay;
single-use, expiring links; one invitation per citizen at a time and one reminder; the
index through SQL equals the hand-computed fixture; unhappy answers open feedback items
that supervisors answer and the citizen receives."""
from __future__ import annotations

import json
import re
from email.header import decode_header, make_header
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from tests.e2e.conftest import Inbox, free_port
from tests.integration.conftest import INTAKE
from tests.unit.test_sipas import RESPONSES, SCALE
from web import create_app
from workflow.adapters.mail import SmtpSender
from workflow.adapters.sms import HttpSmsSender, SmsError
from workflow.adapters.tables import outbox
from workflow.adapters.tables_surveys import survey_deliveries, surveys
from workflow.services.notifications import outbox as relay_service
from workflow.services.context import Context
from workflow.services.surveys.config import survey_config
from workflow.services.surveys.delivery import sweep
from workflow.services.surveys.use_cases import open_survey, survey_handlers

LINK = re.compile(r"http://127\.0\.0\.1:5000/s/(\S+)")
STEPS = [("clerk", "forward"), ("kt", "forward"), ("tax", "forward"), ("ld", "forward"),
         ("clerk", "complete"), ("clerk", "return_result")]


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture
def world(app, ctx, inbox, tmp_path, tokens):
    """handlers, the SMS file and a pump that runs the real outbox relay until idle."""
    settings = dict(app.config, SMS_FILE=str(tmp_path / "sms.jsonl"))
    mailer = SmtpSender("127.0.0.1", inbox.port, "motcua@test.local")
    handlers = survey_handlers(ctx, settings, mailer)
    claimer = Context(engine=ctx.engine, calendar=ctx.calendar)  # leases on real time

    def pump():
        while relay_service.relay(claimer, handlers)["sent"]:
            pass
    pump.handlers, pump.settings, pump.conf = handlers, settings, survey_config(settings)
    pump.sms = tmp_path / "sms.jsonl"
    return pump


def close(api, action="return_result", **applicant) -> str:
    body = {**INTAKE, "applicant": {**INTAKE["applicant"], **applicant}}
    code = api("clerk", "POST", "/api/v1/dossiers", json=body).get_json()["code"]
    steps = STEPS if action == "return_result" else [("clerk", action)]
    for user, act in steps:
        r = api(user, "POST", f"/api/v1/dossiers/{code}/actions/{act}",
                json={"reason": "không đủ điều kiện"} if act in ("reject", "withdraw") else {})
        assert r.status_code == 200, r.get_json()
    return code


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def subject(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def sms_lines(world) -> list[dict]:
    return [json.loads(x) for x in world.sms.read_text().splitlines()] if world.sms.exists() else []


def tokens_in(inbox) -> list[str]:
    return [LINK.search(m.get_payload(decode=True).decode()).group(1) for m in inbox.messages]


def all_fives(extra=None):
    codes = [f"A{i}" for i in range(1, 6)] + [f"P{i}" for i in range(1, 6)] + \
        [f"C{i}" for i in range(1, 7)] + ["R1", "R2", "R3"] + [f"F{i}" for i in range(1, 5)]
    return {**{c: 5 for c in codes}, **(extra or {})}


def test_a_closed_dossier_gets_one_survey_sent_once(api, world, inbox, engine, ctx):
    code = close(api)
    world()
    assert count(engine, surveys) == 1
    [mail] = inbox.messages
    assert code in subject(mail) and mail["To"] == "an@example.com"
    assert mail["Message-ID"] == "<survey-1-invitation@motcua>"
    token = tokens_in(inbox)[0]
    assert code not in token and "0912345678" not in token and len(token) > 40
    [sms] = sms_lines(world)
    assert sms["to"] == "0912345678" and token in sms["text"] and sms["id"] == "survey-1-invitation@motcua"
    # redelivered messages change nothing: the same survey, no second mail or SMS
    assert open_survey(ctx, world.conf, {"dossier": code, "status": "returned"}) == 1
    world.handlers["survey.invite"](0, {"survey": 1})
    assert count(engine, surveys) == 1 and len(inbox.messages) == 1 and len(sms_lines(world)) == 1
    assert count(engine, survey_deliveries) == 2


def test_rejected_dossiers_are_surveyed_withdrawn_ones_not(api, world, engine):
    close(api, "reject")
    close(api, "withdraw")
    world()
    with engine.connect() as conn:
        assert conn.execute(select(surveys.c.outcome)).scalars().all() == ["rejected"]


def test_a_failed_channel_is_retried_without_resending_the_other(api, world, inbox, ctx):
    handlers = survey_handlers(ctx, world.settings, SmtpSender("127.0.0.1", inbox.port, "m@t"),
                               HttpSmsSender(f"http://127.0.0.1:{free_port()}/sms", "key", 2))
    survey = handlers["dossier.closed"](0, {"dossier": close(api), "status": "returned"})
    with pytest.raises(SmsError):  # the SMS gateway is down: the outbox will retry
        handlers["survey.invite"](0, {"survey": survey})
    assert len(inbox.messages) == 1
    world.handlers["survey.invite"](0, {"survey": survey})  # retried, gateway back (file sender)
    assert len(inbox.messages) == 1 and len(sms_lines(world)) == 1


def test_concurrent_closings_of_one_citizen_send_one_invitation(api, world, engine, ctx):
    codes = [close(api) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda c: open_survey(ctx, world.conf, {"dossier": c, "status": "returned"}),
                      codes + codes))
    assert count(engine, surveys) == 4
    assert count(engine, surveys, surveys.c.invite_queued_at.is_not(None)) == 1
    with engine.connect() as conn:  # one invitation: one message per channel of one survey
        queued = conn.execute(select(outbox.c.payload).where(outbox.c.topic == "survey.invite")).scalars().all()
    assert len({p["survey"] for p in queued}) == 1 and sorted(p["channel"] for p in queued) == ["email", "sms"]


def test_one_invitation_at_a_time_then_one_reminder(api, world, inbox, clock, ctx):
    for _ in range(3):
        close(api)  # the same citizen, three dossiers the same day
    close(api, id_number="079000000001", email="binh@example.com", phone="0987654321")
    world()
    assert sorted(m["To"] for m in inbox.messages) == ["an@example.com", "binh@example.com"]
    assert sweep(ctx, world.conf) == {"invited": 0, "reminded": 0}
    first = tokens_in(inbox)[[m["To"] for m in inbox.messages].index("an@example.com")]
    assert api(None, "POST", f"/api/v1/surveys/{first}", json={"answers": all_fives()}).status_code == 201
    assert sweep(ctx, world.conf)["invited"] == 1  # answered: the next one may go
    world()
    assert len(inbox.messages) == 3
    clock.advance(days=7, minutes=1)  # a week on: the unanswered ones get their one reminder,
    assert sweep(ctx, world.conf) == {"invited": 1, "reminded": 2}  # and the third its turn
    assert sweep(ctx, world.conf) == {"invited": 0, "reminded": 0}
    world()
    subjects = [subject(m) for m in inbox.messages]
    assert sum(s.startswith("Nhắc lại") for s in subjects) == 2 and len(subjects) == 6


def test_links_are_single_use_expiring_and_unforgeable(api, world, inbox, clock, client):
    close(api)
    close(api, id_number="079000000002", email="c@example.com", phone="0911111111")
    world()
    first, second = tokens_in(inbox)
    got = api(None, "GET", f"/api/v1/surveys/{first}")
    assert got.status_code == 200 and got.get_json()["dossier"]["outcome"] == "returned"
    assert [e["code"] for e in got.get_json()["questionnaire"]["elements"]] == [
        "access", "procedure", "civil_servants", "result", "feedback"]
    bad = api(None, "POST", f"/api/v1/surveys/{first}", json={"answers": {"A1": 9}})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "answers.A1"
    assert api(None, "POST", f"/api/v1/surveys/{first}", json={"answers": all_fives()}).status_code == 201
    again = api(None, "POST", f"/api/v1/surveys/{first}", json={"answers": all_fives()})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "survey_answered"
    forged = first[:-3] + ("AAA" if not first.endswith("AAA") else "BBB")
    assert api(None, "GET", f"/api/v1/surveys/{forged}").status_code == 404
    assert client.get(f"/s/{forged}").status_code == 404
    answered = client.get(f"/s/{first}")
    assert answered.status_code == 409 and "đã được trả lời" in answered.get_data(as_text=True)
    clock.advance(days=31)
    assert api(None, "GET", f"/api/v1/surveys/{second}").get_json()["error"]["code"] == "survey_expired"
    expired = client.get(f"/s/{second}?lang=en")
    assert expired.status_code == 410 and "has expired" in expired.get_data(as_text=True)


def test_the_survey_page_in_vietnamese_and_english(api, world, inbox, client):
    close(api)
    world()
    [token] = tokens_in(inbox)
    page = client.get(f"/s/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="vi">' in html and "Tiếp cận dịch vụ" in html
    assert 'name="viewport"' in html and "Nguyễn Văn An" not in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    english = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Access to the service" in english
    form = {f"q-{k}": str(v) for k, v in all_fives().items() if k != "C2"}
    missing = client.post(f"/s/{token}", data={**form, "csrf_token": csrf})
    assert missing.status_code == 422 and 'id="q-C2"' in missing.get_data(as_text=True)
    done = client.post(f"/s/{token}", data={**form, "q-C2": "2", "q-C1": "2", "csrf_token": csrf,
                                           "comment": "Cán bộ không hướng dẫn", "complaint": "1"})
    assert done.status_code == 200 and "Thank you" in done.get_data(as_text=True)
    assert client.post(f"/s/{token}", data={**form, "csrf_token": csrf}).status_code == 409


def test_unhappy_answer_opens_feedback_the_supervisor_answers(api, world, inbox, engine):
    code = close(api)
    world()
    [token] = tokens_in(inbox)
    low = all_fives({"C1": 2, "C2": 2, "C3": 3})
    r = api(None, "POST", f"/api/v1/surveys/{token}", json={"answers": low, "comment": "Chờ lâu"})
    assert r.status_code == 201 and r.get_json()["feedback_opened"] is True
    assert r.get_json()["feedback_due_at"].startswith("2026-03-09T09:00")  # 5 working days
    listed = api("boss", "GET", "/api/v1/feedback?status=open").get_json()
    assert listed["total"] == 1 and listed["items"][0]["elements"] == ["civil_servants"]
    assert api("kt", "GET", "/api/v1/feedback").status_code == 403
    item = listed["items"][0]["id"]
    assert api("stranger", "POST", f"/api/v1/feedback/{item}/answer", json={"answer": "x"}).status_code == 403
    ok = api("boss", "POST", f"/api/v1/feedback/{item}/answer", json={"answer": "Xin lỗi Ông/Bà."})
    assert ok.status_code == 200 and ok.get_json()["answered_by"] == "boss"
    assert api("boss", "POST", f"/api/v1/feedback/{item}/answer", json={"answer": "y"}).status_code == 409
    world()
    reply = inbox.messages[-1]
    assert subject(reply).startswith("Trả lời phản ánh") and code in subject(reply)
    assert "Xin lỗi Ông/Bà." in reply.get_payload(decode=True).decode()
    assert sms_lines(world)[-1]["id"] == "survey-1-feedback@motcua"
    report = api("boss", "GET", "/api/v1/reports/sipas").get_json()
    assert report["overall"]["feedback"] == {"opened": 1, "answered": 1, "answered_on_time": 1,
                                             "overdue": 0}
    evaluation = api("boss", "GET", f"/api/v1/dossiers/{code}/evaluation").get_json()
    assert evaluation["answered"] is True and len(evaluation["indicators"]) == 9
    points = {i["code"]: i["points"] for i in evaluation["indicators"]}
    # scored from the records (Circular 01/2018 Art. 13): low marks without a complaint of
    # harassment leave attitude to the time taken; the feedback was answered on time
    assert (points["attitude"], points["feedback"]) == (2, 2)
    assert evaluation["basis"] == "Thông tư 01/2018/TT-VPCP, Điều 13-15"


def test_index_through_sql_equals_the_hand_computed_fixture(ctx, db_url, catalog, tokens, tmp_path,
                                                           inbox, engine):
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "t.yaml").write_text(json.dumps({
        "code": "t", "version": "1", "effective_from": "2023-01-01", "scale": SCALE,
        "elements": [{"code": c, "name": c, "questions": [{"code": q, "text": q, "optional": q == "F1"}
                                                          for q in qs]}
                     for c, qs in (("access", ["A1", "A2"]), ("procedure", ["P1"]), ("staff", ["C1", "C2"]),
                                   ("result", ["R1"]), ("feedback", ["F1"]))]}), encoding="utf-8")
    app = create_app("testing", {"DATABASE_URL": db_url, "SURVEY_QUESTIONNAIRE": "t",
                                 "SURVEY_QUESTIONNAIRE_DIR": str(tmp_path / "q")}, context=ctx)
    client = app.test_client()

    def api(user, method, path, json=None):
        return client.open(path, method=method, json=json,
                           headers={"Authorization": f"Bearer {tokens[user]}"} if user else {})
    handlers = survey_handlers(ctx, app.config, SmtpSender("127.0.0.1", inbox.port, "m@t"))
    claimer = Context(engine=ctx.engine, calendar=ctx.calendar)
    before = api("boss", "GET", "/api/v1/reports/sipas").get_json()["overall"]
    assert (before["index"], before["responses"], before["response_rate"]) == (None, 0, None)
    for i in range(4):
        close(api, id_number=f"0790000001{i}", email=f"p{i}@example.com")
    while relay_service.relay(claimer, handlers)["sent"]:
        pass
    for token, answers in zip(tokens_in(inbox), RESPONSES):
        assert api(None, "POST", f"/api/v1/surveys/{token}", json={"answers": answers}).status_code == 201
    report = api("boss", "GET", "/api/v1/reports/sipas?from=2026-03-01&to=2026-03-31&agency=T1").get_json()
    overall = report["overall"]
    assert overall["index"] == 70.0
    assert {e["code"]: e["index"] for e in overall["elements"]} == {
        "access": 87.5, "procedure": 75.0, "staff": 62.5, "result": 75.0, "feedback": 50.0}
    assert (overall["responses"], overall["invited"], overall["response_rate"]) == (4, 4, 100.0)
    assert report["by_agency"][0]["agency"] == "T1" and report["by_agency"][0]["index"] == 70.0
    assert report["by_procedure"][0]["procedure_code"] == "1.001612"
    assert [m["index"] for m in report["by_month"]] == [70.0]
    assert report["questionnaire"]["code"] == "t"
    assert api("kt", "GET", "/api/v1/reports/sipas").status_code == 403
    assert api("boss", "GET", "/api/v1/reports/sipas?from=2026-04-01&to=2026-03-01").status_code == 422
    assert api("boss", "GET", "/api/v1/reports/sipas?from=yesterday").get_json()["error"]["field"] == "from"
    # 70 % over 4 respondents: Wilson's 95 % interval, by hand
    # z² = 3.8416: centre (0.7 + 3.8416/8) / (1 + 3.8416/4) = 1.1802 / 1.9604 = 0.6020;
    # half 1.96 × √(0.7 × 0.3/4 + 3.8416/64) / 1.9604 = 1.96 × 0.33545 / 1.9604 = 0.3354
    assert overall["interval"] == [26.7, 93.7]
    public = client.get("/ket-qua-sipas").get_data(as_text=True)
    assert "<svg" in public and "70.0%" in public
    # named for what it is: the unit's own survey by the SIPAS method, with its margin, and
    # the plan's target as a reference, never as "met"
    assert "khảo sát của đơn vị" in public and "Không phải chỉ số SIPAS chính thức" in public
    assert "26.7–93.7%" in public and "4 phiếu" in public
    assert "✔" not in public and "✘" not in public and "Mốc tham chiếu" in public


def test_supervisor_page_and_openapi(app, api, world, inbox, engine):
    from tests.integration.test_staff_access import signed_in
    close(api)
    world()
    assert app.test_client().get("/giam-sat/sipas").status_code == 302  # to the login page
    boss = signed_in(app, engine, "boss")
    html = boss.get("/giam-sat/sipas").get_data(as_text=True)
    assert "<svg" in html and "85%" in html and "Phản ánh, kiến nghị" in html
    paths = api(None, "GET", "/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/surveys/{token}"])
    assert "410" in paths["/api/v1/surveys/{token}"]["get"]["responses"]
    assert "/api/v1/reports/sipas" in paths and "/api/v1/feedback/{feedback_id}/answer" in paths
