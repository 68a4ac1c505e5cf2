"""The late-result apology (form 04 of the dossier's circular; Decree 61/2018 Art. 19):
printable by the late agency and the desk, and sent to the citizen by mail and SMS."""
from __future__ import annotations

import io
import json

from pypdf import PdfReader

from tests.conftest import vn
from tests.integration.conftest import INTAKE
from tests.integration.test_staff_pages import login, web  # noqa: F401  (fixture)
from workflow.services.notifications import outbox
from workflow.services.notifications.applicant_notices import mail_handlers
from workflow.adapters.sms import FileSmsSender
from workflow.adapters.tables import agencies
from workflow.adapters.users import create_user
from workflow.services.context import Context


class Outgoing:
    def __init__(self):
        self.mails = []

    def send(self, to, subject, body, message_id):
        self.mails.append((to, subject, body, message_id))


def postponed(api, clock):
    body = {**INTAKE, "applicant": {**INTAKE["applicant"], "email": "an@example.com"}}
    code = api("clerk", "POST", "/api/v1/dossiers", json=body).get_json()["code"]
    assert api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={}).status_code == 200
    clock.at = vn(2026, 3, 3, 9, 0)
    r = api("kt", "POST", f"/api/v1/dossiers/{code}/actions/postpone",
            json={"reason": "chờ kết quả xác minh của cơ quan thuế", "new_due_at": "2026-03-10"})
    assert r.status_code == 200, r.get_json()
    return code


def test_apology_slip_prints_both_dates_for_the_late_agency_and_the_desk(web, api, clock, engine):  # noqa: F811
    code = postponed(api, clock)
    for user in ("kt", "clerk"):
        page = login(web, user).get(f"/quay/ho-so/{code}/phieu-xin-loi")
        assert page.status_code == 200, user
        html = page.get_data(as_text=True)
        # received in 2026: form 04 of Circular 03/2025/TT-VPCP, under its own title
        assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in html
        assert "Mẫu số 04, Phụ lục I Thông tư 03/2025/TT-VPCP" in html
        assert "09 giờ 00 phút, ngày 05/03/2026" in html      # the first appointment, kept
        assert "17 giờ 00 phút, ngày 10/03/2026" in html      # the one new date
        assert "chờ kết quả xác minh của cơ quan thuế" in html
    pdf = login(web, "kt").get(f"/quay/ho-so/{code}/phieu-xin-loi?format=pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "10/03/2026" in text and "05/03/2026" in text
    with engine.begin() as conn:  # staff of an agency with no part in this procedure
        conn.execute(agencies.insert().values(code="T2", name="Phường khác", level="commune"))
        create_user(conn, "outsider", "counter", "T2", "pw-outsider")
    assert login(web, "outsider").get(f"/quay/ho-so/{code}/phieu-xin-loi").status_code == 403


def test_no_apology_slip_before_a_postponement(web, api):  # noqa: F811
    code = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE).get_json()["code"]
    assert login(web, "clerk").get(f"/quay/ho-so/{code}/phieu-xin-loi").status_code == 404


def test_apology_goes_by_mail_and_sms_once(api, ctx, clock, tmp_path):
    code = postponed(api, clock)
    mailer, sms_file = Outgoing(), tmp_path / "sms.jsonl"
    handlers = mail_handlers(ctx, mailer, "https://motcua.example.vn", FileSmsSender(str(sms_file)))
    claimer = Context(engine=ctx.engine, calendar=ctx.calendar)  # leases on real time
    first = outbox.relay(claimer, handlers, 100)
    assert first["failed"] == 0 and first["sent"] >= 2, first  # received + postponed
    assert outbox.relay(claimer, handlers, 100)["sent"] == 0  # nothing goes twice
    apologies = [m for m in mailer.mails if "xin lỗi" in m[1]]
    assert len(apologies) == 1 and "10/03/2026" in apologies[0][2]
    texts = [json.loads(line) for line in sms_file.read_text().splitlines()]
    assert len(texts) == 1 and texts[0]["to"] == INTAKE["applicant"]["phone"]
    assert code in texts[0]["text"] and "10/03/2026" in texts[0]["text"]
