"""The rules in force through the API, the pages and the mails, on SQLite and PostgreSQL:
a postponed dossier counts as late in every report whatever follows; the forms a dossier
has are listed by GET /api/v1/dossiers/{code}/forms with the numbers of the circular in
force when it was received, and each renders as HTML and PDF; nothing printed, shown or
mailed for a dossier received after 1 July 2025 cites the repealed texts; intake names a
case; a refusal reaches the citizen."""
from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.online import take_online
from workflow.domain.dossier import Actor, Applicant
from tests.conftest import vn
from tests.integration.conftest import INTAKE
from tests.integration.test_apology import Outgoing
from tests.integration.test_staff_pages import login
from web import create_app
from workflow.adapters.sms import FileSmsSender
from workflow.adapters.users import create_user, issue_token
from workflow.services.importing.catalog import load
from workflow.services.reports import dashboard
from workflow.services.notifications import outbox
from workflow.services.reports import rollup as report_rollup
from workflow.services.reports import statistics as reports
from workflow.services.context import Context
from workflow.services.notifications.applicant_notices import mail_handlers

DEMO = Path(__file__).parents[2] / "workflow" / "catalog" / "demo"
REPEALED = re.compile(r"61/2018|107/2021|01/2018")


# -- a postponement stays on the record -------------------------------------------------
def _late_after_postponement(api, clock, code):
    assert api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={}).status_code == 200
    clock.at = vn(2026, 3, 3, 9, 0)
    r = api("kt", "POST", f"/api/v1/dossiers/{code}/actions/postpone",
            json={"reason": "chờ ý kiến cơ quan thuế", "new_due_at": "2026-03-10"})
    assert r.status_code == 200, r.get_json()
    r = api("kt", "POST", f"/api/v1/dossiers/{code}/actions/request_supplement",
            json={"missing": ["UQ"], "reason": "cần văn bản ủy quyền"})
    assert r.status_code == 200, r.get_json()
    clock.at = vn(2026, 3, 4, 9, 0)  # the supplement restarts the clock
    body = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/supplement",
               json={"documents": ["UQ"]}).get_json()
    assert body["appointment_at"].startswith("2026-03-05T09:00")   # the first appointment stays
    for who in ("kt", "tax", "ld"):
        assert api(who, "POST", f"/api/v1/dossiers/{code}/actions/forward", json={}).status_code == 200
    clock.at = vn(2026, 3, 4, 15, 0)  # ready before even the first appointment
    r = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/complete", json={})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_postpone_then_supplement_then_an_early_result_counts_late_everywhere(api, ctx, clock, engine):
    code = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE).get_json()["code"]
    _late_after_postponement(api, clock, code)
    summary = api("root", "GET", "/api/v1/reports/summary?from=2026-03-02&to=2026-03-06").get_json()
    row = summary["total"]
    assert (row["resolved_total"], row["early"], row["on_time"], row["late"]) == (1, 0, 0, 1)
    tz = ctx.calendar.tz
    with engine.connect() as conn:
        scope = reports.scope_for(conn, _root())
        weeks = dashboard.on_time_by_week(conn, scope, clock.at, tz, weeks=1)
        p = reports.period(date(2026, 3, 2), date(2026, 3, 6), tz)
        logged = [dict(r._mapping) for r in conn.execute(reports.log_rows(p, scope, clock.at, tz))]
    assert sum(w["late"] for w in weeks) == 1 and sum(w["early"] + w["on_time"] for w in weeks) == 0
    assert [r["result"] for r in logged] == ["late"]
    evaluation = api("clerk", "GET", f"/api/v1/dossiers/{code}/evaluation").get_json()
    total = next(i for i in evaluation["indicators"] if i["code"] == "total_time")
    assert total["value"] == "late" and total["points"] == 0
    # handed over, then rolled up: the rollup counts it late too
    assert api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result", json={}).status_code == 200
    clock.at = vn(2026, 3, 9, 8, 0)
    report_rollup.refresh_now(ctx)
    with engine.connect() as conn:
        assert report_rollup.watermark(conn) == date(2026, 3, 9)
    rolled = api("root", "GET", "/api/v1/reports/summary?from=2026-03-02&to=2026-03-06").get_json()["total"]
    assert (rolled["early"], rolled["on_time"], rolled["late"]) == (0, 0, 1)


def _root():
    from workflow.domain.dossier import Actor
    return Actor("root", "admin", None)


# -- the demo catalog: forms of the two regimes, citations, cases, refusals --------------
DEMO_STAFF = {"clerk.hd": ("counter", "H26.HD"), "tp.hd": ("officer", "H26.HD.TP"),
              "ld.hd": ("officer", "H26.HD.LD"), "clerk.ml": ("counter", "H26.ML"),
              "clerk.ca": ("counter", "H26.CA")}
BIRTH = {"procedure_code": "1.001193", "channel": "in_person",
         "applicant": {"name": "Trần Thị Bình", "phone": "0912000111", "email": "binh@example.vn"},
         "documents": ["TK", "GCS", "GTTT"]}


@pytest.fixture
def demo(ctx, engine, db_url):
    report = load(engine, [DEMO], now=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert not report.errors, report.errors
    tokens = {}
    with engine.begin() as conn:
        for name, (role, agency) in DEMO_STAFF.items():
            create_user(conn, name, role, agency, f"pw-{name}")
            tokens[name] = issue_token(conn, name)
    app = create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                                 "PUBLIC_BASE_URL": "https://motcua.example.vn"}, context=ctx)
    client = app.test_client()

    def call(user, method, path, json=None):
        return client.open(path, method=method, json=json, headers={"Authorization": f"Bearer {tokens[user]}"})
    return app, call


def _pdf_text(data: bytes) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _render_all(app, user, forms):
    """Every listed form as HTML and PDF through a signed-in session: {number: (html, pdf text)}."""
    session = login(app, user)
    out = {}
    for f in forms:
        html = session.get(f["html"])
        pdf = session.get(f["pdf"])
        assert html.status_code == 200, (f, html.status_code)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf", f
        out[f["form"]] = (html.get_data(as_text=True), _pdf_text(pdf.data))
    return out


def test_forms_of_a_dossier_received_before_the_change_of_rules(demo, clock):
    app, call = demo
    clock.at = vn(2025, 6, 30, 9, 0)        # Decree 61/2018, Circular 01/2018
    body = dict(BIRTH, documents=["TK", "GCS", "GTTT"])
    code = call("clerk.ml", "POST", "/api/v1/dossiers", json=body).get_json()["code"]
    forms = call("clerk.ml", "GET", f"/api/v1/dossiers/{code}/forms").get_json()
    assert [(f["form"], f["key"]) for f in forms["items"]] == [("01", "receipt"), ("05", "control")]
    assert "01/2018/TT-VPCP" in forms["regime"] and "61/2018" in forms["regime"]
    rendered = _render_all(app, "clerk.ml", forms["items"])
    html, text = rendered["05"]
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in html
    assert "Mẫu số 05, Phụ lục Thông tư 01/2018/TT-VPCP" in html and "Mẫu số 05" in text
    assert "Mẫu số 01, Phụ lục Thông tư 01/2018/TT-VPCP" in rendered["01"][0]


def test_forms_after_the_change_list_only_what_applies_and_cite_only_texts_in_force(demo, clock, ctx, tmp_path):
    app, call = demo
    clock.at = vn(2026, 3, 2, 9, 30)        # Decree 118/2025, Circular 03/2025
    code = call("clerk.hd", "POST", "/api/v1/dossiers", json=BIRTH).get_json()["code"]
    r = call("clerk.hd", "GET", f"/api/v1/dossiers/{code}").get_json()
    assert r["appointment_at"].startswith("2026-03-02T17:00")   # same day, before 15:00
    for who in ("clerk.hd", "clerk.hd", "tp.hd"):
        assert call(who, "POST", f"/api/v1/dossiers/{code}/actions/forward", json={}).status_code == 200
    r = call("ld.hd", "POST", f"/api/v1/dossiers/{code}/actions/reject",
             json={"reason": "Người đi đăng ký không phải cha, mẹ, ông, bà hoặc người thân thích"})
    assert r.status_code == 200, r.get_json()
    forms = call("clerk.hd", "GET", f"/api/v1/dossiers/{code}/forms").get_json()
    assert [(f["form"], f["key"]) for f in forms["items"]] == [("01", "receipt"), ("03", "refusal"),
                                                                 ("06", "control")]
    assert all(f["source"] == "Phụ lục I Thông tư 03/2025/TT-VPCP" for f in forms["items"])
    rendered = _render_all(app, "clerk.hd", forms["items"])
    html, text = rendered["03"]
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in html
    assert "không phải cha, mẹ" in html and "Luật Hộ tịch 60/2014/QH13" in html
    assert "không phải cha, mẹ" in text
    control_html, control_text = rendered["06"]
    assert control_html.count("<tr>") >= 5          # receipt, three hand-offs, the refusal
    assert "Công chức tư pháp – hộ tịch phường Hà Đông" in control_html
    # the citizen is told by mail and text message
    mailer, sms_file = Outgoing(), tmp_path / "sms.jsonl"
    handlers = mail_handlers(ctx, mailer, "https://motcua.example.vn", FileSmsSender(str(sms_file)))
    sent = outbox.relay(Context(engine=ctx.engine, calendar=ctx.calendar), handlers, 100)
    assert sent["failed"] == 0
    refusals = [m for m in mailer.mails if "từ chối" in m[1]]
    assert len(refusals) == 1 and "không phải cha, mẹ" in refusals[0][2] and "Mẫu số 03" in refusals[0][2]
    texts = [json.loads(line)["text"] for line in sms_file.read_text().splitlines()]
    assert any("khong duoc tiep nhan" in t for t in texts)
    # nothing shown, printed or mailed for this dossier cites a repealed text
    session = login(app, "clerk.hd")
    pages = [session.get(f"/ho-so/{code}").get_data(as_text=True), session.get("/quay").get_data(as_text=True)]
    outputs = [*pages, *(h for h, _t in rendered.values()), *(t for _h, t in rendered.values()),
               *(m[1] + m[2] for m in mailer.mails), *texts]
    cited = [REPEALED.findall(o) for o in outputs]
    assert not any(cited), cited
    assert any("118/2025" in o for o in pages)      # the footer cites the decree in force


def test_apology_after_the_change_is_form_04_of_circular_03(demo, clock, ctx):
    app, call = demo
    clock.at = vn(2026, 3, 2, 9, 0)
    code = call("clerk.ca", "POST", "/api/v1/dossiers",
                json={"procedure_code": "3.000333", "applicant": {"name": "Lê Văn C", "phone": "0912000222"},
                      "documents": ["TK", "GTTT"], "channel": "in_person"}).get_json()
    assert "code" in code, code
    code = code["code"]
    r = call("clerk.ca", "GET", f"/api/v1/dossiers/{code}").get_json()
    assert r["appointment_at"].startswith("2026-03-12T17:00")    # 10 calendar days
    call("clerk.ca", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={})
    r = call("clerk.ca", "POST", f"/api/v1/dossiers/{code}/actions/postpone",
             json={"reason": "chờ kết quả xác minh", "new_due_at": "2026-03-20"})
    assert r.status_code == 200, r.get_json()
    forms = call("clerk.ca", "GET", f"/api/v1/dossiers/{code}/forms").get_json()["items"]
    assert [f["form"] for f in forms] == ["01", "04", "06"]
    rendered = _render_all(app, "clerk.ca", forms)
    html, text = rendered["04"]
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in html
    assert not REPEALED.search(html) and not REPEALED.search(text)


def test_intake_names_a_case_whose_time_and_documents_apply(demo, clock):
    _app, call = demo
    clock.at = vn(2026, 3, 2, 9, 0)
    body = {"procedure_code": "3.000333", "applicant": {"name": "John Smith", "phone": "0912000333"},
            "documents": ["TK", "GTTT"], "channel": "in_person"}
    r = call("clerk.ca", "POST", "/api/v1/dossiers", json=dict(body, case="NGUOINN"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["appointment_at"].startswith("2026-03-17T17:00")   # 15 calendar days
    r = call("clerk.ca", "POST", "/api/v1/dossiers", json=dict(body, case="KHONGCO"))
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "case"


def test_a_dossier_of_another_agency_lists_no_forms(demo, clock):
    _app, call = demo
    clock.at = vn(2026, 3, 2, 9, 0)
    code = call("clerk.hd", "POST", "/api/v1/dossiers", json=BIRTH).get_json()["code"]
    assert call("clerk.ca", "GET", f"/api/v1/dossiers/{code}/forms").status_code == 403


# -- the per-dossier evaluation from the records (Circular 01/2018 Art. 13) --------------
def test_evaluation_reads_the_agency_online_service_of_the_month(api, clock, ctx):
    """Two of the T1 procedures, both offered online; 5 dossiers received in March 2026,
    2 of them online (40 %), none late: indicator 9 gives 2 to each, counter or online;
    a third online dossier left overdue makes it 0 for all of that month."""
    codes = []
    for channel in ("in_person", "in_person", "in_person", "online", "online"):
        if channel == "online":  # submitted online, accepted by the desk
            codes.append(take_online(ctx, Actor("clerk", "counter", "T1"), INTAKE["procedure_code"],
                                     Applicant(INTAKE["applicant"]["name"]), INTAKE["documents"]).code)
            continue
        r = api("clerk", "POST", "/api/v1/dossiers", json=dict(INTAKE, channel=channel))
        assert r.status_code == 201, r.get_json()
        codes.append(r.get_json()["code"])
    online = {i["code"]: i for i in api("clerk", "GET", f"/api/v1/dossiers/{codes[0]}/evaluation")
              .get_json()["indicators"]}["online"]
    assert (online["points"], online["facts"]["dossiers_online_share"], online["facts"]["procedures_online_share"]) \
        == (2, 0.4, 1.0)
    clock.at = vn(2026, 3, 20, 9, 0)   # every dossier of the month now overdue, online ones included
    for code in (codes[0], codes[3]):
        online = {i["code"]: i for i in api("clerk", "GET", f"/api/v1/dossiers/{code}/evaluation")
                  .get_json()["indicators"]}["online"]
        assert online["points"] == 0 and online["facts"]["online_overdue"] == 2


def test_evaluation_rolls_up_per_agency_month_and_officer_by_article_15(api, clock):
    """Two T1 dossiers of March 2026, scored by hand (online: both T1 procedures online,
    no dossier online: 0). D1 early, no contact: 2 2 2 2 1 1 2 2 0 = 14. D2 brought
    incomplete (the applicant's doing), the tax step 810 of 240 minutes: 2 0 2 1 1 1 2 2 0
    = 11. Averages 2 1 2 1.5 1 1 2 2 0 = 12.5: "tốt". Each officer handled both: 1, 2, 3,
    4, 7 average 2 1 2 1.5 2 = 8.5: 100 % of tasks."""
    def move(code, steps):
        for at, who, action, body in steps:
            clock.at = at
            r = api(who, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json=body)
            assert r.status_code == 200, r.get_json()
    clock.at = vn(2026, 3, 2, 9, 0)
    d1 = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE).get_json()["code"]
    move(d1, [(vn(2026, 3, 2, 9, 0), "clerk", "forward", {}), (vn(2026, 3, 2, 11), "kt", "forward", {}),
              (vn(2026, 3, 2, 14), "tax", "forward", {}), (vn(2026, 3, 2, 15), "ld", "forward", {}),
              (vn(2026, 3, 2, 16), "clerk", "complete", {})])
    clock.at = vn(2026, 3, 2, 9, 30)
    d2 = api("clerk", "POST", "/api/v1/dossiers", json=dict(INTAKE, documents=["GDN"])).get_json()["code"]
    move(d2, [(vn(2026, 3, 2, 10), "clerk", "supplement", {"documents": ["CCCD"]}),
              (vn(2026, 3, 2, 10), "clerk", "forward", {}), (vn(2026, 3, 2, 11), "kt", "forward", {}),
              (vn(2026, 3, 4, 8, 30), "tax", "forward", {}), (vn(2026, 3, 4, 10, 30), "ld", "forward", {}),
              (vn(2026, 3, 4, 11), "clerk", "complete", {})])
    clock.at = vn(2026, 3, 31, 17, 0)
    body = api("boss", "GET", "/api/v1/reports/evaluation?from=2026-03-01&to=2026-03-31").get_json()
    [agency] = body["agencies"]
    assert (agency["agency"], agency["month"], agency["dossiers"]) == ("T1", "2026-03", 2)
    assert agency["indicators"] == {"total_time": 2.0, "agency_time": 1.0, "contacts": 2.0,
                                    "agencies_contacted": 1.5, "one_stop": 1.0, "disclosure": 1.0,
                                    "attitude": 2.0, "feedback": 2.0, "online": 0.0}
    assert (agency["score"], agency["grade"]) == (12.5, "tot")
    officers = {o["officer"]: o for o in body["officers"]}
    assert set(officers) == {"clerk", "kt", "tax", "ld"}
    assert (officers["tax"]["score"], officers["tax"]["grade"], officers["tax"]["dossiers"]) == (8.5, "hoan_thanh_100", 2)
    assert api("clerk", "GET", "/api/v1/reports/evaluation").status_code == 403
    r = api("boss", "GET", "/api/v1/reports/evaluation?from=2026-01-01&to=2026-06-30")
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "to"


def test_the_counter_page_chooses_a_case_and_takes_it_in(demo, clock, engine):
    app, call = demo
    clock.at = vn(2026, 3, 2, 9, 0)
    clerk = login(app, "clerk.ca")
    page = clerk.get("/quay?thu_tuc=3.000333&truong_hop=NGUOINN").get_data(as_text=True)
    assert '<option value="NGUOINN" selected>' in page and "15 ngày" in page
    assert 'name="case" value="NGUOINN"' in page
    r = clerk.post("/quay/ho-so", data={"procedure_code": "3.000333", "case": "NGUOINN",
                                        "applicant_name": "John Smith", "applicant_phone": "0912000444",
                                        "documents": ["TK", "GTTT"], "channel": "in_person", "idem": "case-1"})
    assert r.status_code == 303, r.get_data(as_text=True)
    code = r.headers["Location"].split("/")[3]
    receipt = clerk.get(f"/quay/ho-so/{code}/bien-nhan").get_data(as_text=True)
    assert "Trường hợp: Người nước ngoài" in receipt and "15 ngày" in receipt
    assert "17 giờ 00 phút, ngày 17/03/2026" in receipt          # 15 calendar days
    public = app.test_client().get("/thu-tuc/3.000333").get_data(as_text=True)
    assert "Các trường hợp" in public and "Người nước ngoài" in public


def test_the_public_procedure_page_speaks_to_citizens(demo):
    """Step times in plain words, not "0.125 ngày làm việc"; no maintainers' source marks."""
    app, _call = demo
    client = app.test_client()
    page = client.get("/thu-tuc/1.001193").get_data(as_text=True)
    assert "(1 giờ làm việc)" in page and "(4 giờ làm việc)" in page and "(2 giờ làm việc)" in page
    assert "0.125" not in page and "0,125" not in page
    marks = re.compile(r"\[(?:R|U|I)(?: [^\]]{0,20})?\]")
    for path in sorted(DEMO.glob("[0-9]*.yaml")):
        code = path.name.rsplit("-", 1)[0]
        text = client.get(f"/thu-tuc/{code}").get_data(as_text=True)
        assert not marks.search(text), (code, marks.search(text).group(0))
        for remark in ("Cổng DVC", "nguồn ghi", "chưa được xác minh", "có vẻ sai", "chưa được giải thích",
                       "Trang quốc gia", "có lẽ", "người tổng hợp", "Cột lệ phí", "KQ.G"):
            assert remark not in text, (code, remark)  # editors' remarks on the sources stay in notes
    fee = client.get("/thu-tuc/1.001612").get_data(as_text=True)
    assert "nộp khi nộp hồ sơ, không hoàn lại" in fee  # the fee's public note
    client.get("/ngon-ngu/en")
    assert "(1 working hour)" in client.get("/thu-tuc/1.001193").get_data(as_text=True)
