"""Return of the result by the public postal service (issue 21, item 3; Decision
45/2016/QĐ-TTg): chosen at intake with an address, shown on the receipt (form 01), handed
over to the post with its tracking number, shown on the status page, in the notices and in
the reports (II.06a breakdown, log book)."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from tests.integration.conftest import INTAKE
from web import create_app
from workflow.adapters.tables import dossiers, outbox
from workflow.services.context import Context

ADDRESS = "Số 12 ngõ 34 phố Huế, phường Hai Bà Trưng, Hà Nội"
CHAIN = [("clerk", "forward"), ("kt", "forward"), ("tax", "forward"), ("ld", "forward"),
         ("clerk", "complete")]


@pytest.fixture
def web(ctx, db_url, catalog, tokens):
    return create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                                  "PUBLIC_BASE_URL": "https://motcua.example.vn"}, context=ctx)


def login(app, username):
    client = app.test_client()
    r = client.post("/dang-nhap", data={"username": username, "password": f"pw-{username}"})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def page_text(body: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def take_in(api, **changes):
    r = api("clerk", "POST", "/api/v1/dossiers", json={**INTAKE, **changes})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def to_result_ready(api, clock, code):
    for user, action in CHAIN:
        clock.advance(hours=2)
        r = api(user, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json={})
        assert r.status_code == 200, (action, r.get_json())


def test_return_by_post_with_a_tracking_number(api, clock, engine):
    d = take_in(api, return_by="post", return_address=ADDRESS)
    assert d["return_by"] == "post" and d["return_address"] == ADDRESS
    assert d["tracking_number"] is None
    assert d["events"][0]["data"]["return_by"] == "post"
    code = d["code"]
    to_result_ready(api, clock, code)
    act = f"/api/v1/dossiers/{code}/actions/return_result"
    # the hand-over to the post needs the post office's number: refused, nothing written
    r = api("clerk", "POST", act, json={})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "tracking_number"
    r = api("clerk", "POST", act, json={"tracking_number": "EL 123"})
    assert r.status_code == 422
    r = api("clerk", "POST", act, json={"tracking_number": "EL123456789VN"})
    assert r.status_code == 200, r.get_json()
    out = r.get_json()
    # the same final state as a counter return, so the survey etc. still fire
    assert out["status"] == "returned" and out["tracking_number"] == "EL123456789VN"
    last = out["events"][-1]
    assert last["action"] == "return_result"
    assert last["data"] == {"by": "post", "tracking_number": "EL123456789VN", "address": ADDRESS}
    with engine.connect() as conn:
        topics = conn.execute(select(outbox.c.topic).order_by(outbox.c.id)).scalars().all()
        row = conn.execute(select(dossiers.c.return_by, dossiers.c.tracking_number)
                           .where(dossiers.c.code == code)).one()
    assert topics[-2:] == ["dossier.posted", "dossier.closed"]
    assert tuple(row) == ("post", "EL123456789VN")
    again = api("boss", "GET", f"/api/v1/dossiers/{code}").get_json()
    assert again["tracking_number"] == "EL123456789VN" and again["return_by"] == "post"


def test_a_counter_return_takes_no_tracking_number(api, clock):
    code = take_in(api)["code"]
    assert take_in(api)["return_by"] == "counter"
    to_result_ready(api, clock, code)
    act = f"/api/v1/dossiers/{code}/actions/return_result"
    r = api("clerk", "POST", act, json={"tracking_number": "EL123456789VN"})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "tracking_number"
    r = api("clerk", "POST", act, json={"by": "post", "tracking_number": "EL123456789VN"})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "by"  # no address given
    r = api("clerk", "POST", act, json={})
    assert r.status_code == 200 and r.get_json()["events"][-1]["data"] == {"by": "counter"}


def test_a_post_dossier_may_still_be_collected_at_the_counter(api, clock):
    code = take_in(api, return_by="post", return_address=ADDRESS)["code"]
    to_result_ready(api, clock, code)
    r = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result", json={"by": "counter"})
    assert r.status_code == 200
    assert r.get_json()["return_by"] == "counter" and r.get_json()["tracking_number"] is None


@pytest.mark.parametrize("changes, field", [
    ({"return_by": "post"}, "return_address"),
    ({"return_by": "post", "return_address": "   "}, "return_address"),
    ({"return_by": "post", "return_address": "x" * 301}, "return_address"),
    ({"return_by": "post", "return_address": "Phố\u0000Huế"}, "return_address"),
    ({"return_address": ADDRESS}, "return_address"),
    ({"return_by": "drone", "return_address": ADDRESS}, "return_by"),
])
def test_bad_return_choices_are_refused(api, changes, field):
    r = api("clerk", "POST", "/api/v1/dossiers", json={**INTAKE, **changes})
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["field"] == field


def test_the_address_is_normalised(api):
    d = take_in(api, return_by="post", return_address="Pho\u0302\u0301 Hue\u0302\u0301 ")
    assert d["return_address"] == "Phố Huế"


def test_receipt_and_status_page_show_the_post(api, web, clock):
    d = take_in(api, return_by="post", return_address=ADDRESS)
    code = d["code"]
    client = login(web, "clerk")
    receipt = page_text(client.get(f"/quay/ho-so/{code}/bien-nhan").get_data(as_text=True))
    assert "dịch vụ bưu chính công ích" in receipt and ADDRESS in receipt
    pdf = client.get(f"/quay/ho-so/{code}/bien-nhan?format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    to_result_ready(api, clock, code)
    api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result",
        json={"tracking_number": "EL123456789VN"})
    public = web.test_client()
    page = public.post("/tra-cuu", data={"ma": code, "so": "5678"})
    assert page.status_code == 200
    text = page_text(page.get_data(as_text=True))
    assert "đã gửi qua bưu điện, mã vận đơn EL123456789VN" in text
    assert ADDRESS not in text  # the public page shows no address


def test_notices_tell_the_post_and_the_number(api, clock, ctx):
    from workflow.services.notifications.applicant_notices import mail_handlers
    from workflow.services.notifications.outbox import relay
    code = take_in(api, return_by="post", return_address=ADDRESS)["code"]
    to_result_ready(api, clock, code)
    api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result",
        json={"tracking_number": "EL123456789VN"})

    class Box:
        def __init__(self):
            self.sent = []

        def send(self, *args):
            self.sent.append(args)
    mail, sms = Box(), Box()
    claimer = Context(engine=ctx.engine, calendar=ctx.calendar)  # leases on real time
    assert relay(claimer, mail_handlers(ctx, mail, "https://motcua.example", sms), 100)["failed"] == 0
    bodies = {subject: body for _to, subject, body, _id in mail.sent}
    ready = bodies[f"Hồ sơ {code} đã có kết quả"]
    assert "bưu chính công ích" in ready and ADDRESS in ready
    posted = bodies[f"Kết quả hồ sơ {code} đã gửi qua bưu điện"]
    assert "Mã vận đơn: EL123456789VN" in posted
    assert any("EL123456789VN" in text for _phone, text, _id in sms.sent)


def test_the_counter_hands_the_result_to_the_post_in_two_clicks(api, web, clock):
    code = take_in(api, return_by="post", return_address=ADDRESS)["code"]
    to_result_ready(api, clock, code)
    client = login(web, "clerk")
    page = html.unescape(client.get(f"/quay/tra-ket-qua/{code}").get_data(as_text=True))
    assert ADDRESS in page and 'name="tracking_number"' in page
    version = api("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()["version"]
    r = client.post(f"/ho-so/{code}/return_result", data={"version": version, "by": "post"})
    assert r.status_code == 303  # refused without the number: back to the dossier, nothing written
    assert api("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()["status"] == "result_ready"
    r = client.post(f"/ho-so/{code}/return_result",
                    data={"version": version, "by": "post", "tracking_number": "EL123456789VN"})
    assert r.status_code == 303
    after = api("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()
    assert after["status"] == "returned" and after["tracking_number"] == "EL123456789VN"


def test_reports_separate_the_channels_of_return(api, web, clock):
    post = take_in(api, return_by="post", return_address=ADDRESS)["code"]
    counter = take_in(api)["code"]
    for code, body in ((post, {"tracking_number": "EL123456789VN"}), (counter, {})):
        to_result_ready(api, clock, code)
        r = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result", json=body)
        assert r.status_code == 200
    query = "from=2026-03-01&to=2026-03-31"
    summary = api("boss", "GET", f"/api/v1/reports/summary?{query}").get_json()
    total = summary["total"]
    assert (total["returned"], total["returned_at_counter"], total["returned_by_post"]) == (2, 1, 1)
    log = api("boss", "GET", f"/api/v1/reports/summary?{query}&format=csv&rows=dossiers")
    lines = log.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].endswith("Hình thức trả kết quả,Mã vận đơn bưu chính")
    by_code = {line.split(",")[0]: line for line in lines[1:]}
    assert by_code[post].endswith(",post,EL123456789VN")
    assert by_code[counter].endswith(",counter,")
    page = page_text(login(web, "boss").get(f"/giam-sat/bao-cao?{query}").get_data(as_text=True))
    assert "Kết quả đã trả trong kỳ theo hình thức trả" in page


@pytest.mark.parametrize("user, status", [(None, 401), ("kt", 403), ("tax", 403), ("stranger", 403),
                                          ("root", 403)])
def test_only_the_receiving_desk_hands_the_result_to_the_post(api, clock, user, status):
    code = take_in(api, return_by="post", return_address=ADDRESS)["code"]
    to_result_ready(api, clock, code)
    r = api(user, "POST", f"/api/v1/dossiers/{code}/actions/return_result",
            json={"tracking_number": "EL123456789VN"})
    assert r.status_code == status, r.get_json()
    assert api("boss", "GET", f"/api/v1/dossiers/{code}").get_json()["tracking_number"] is None
    r = api("boss", "POST", f"/api/v1/dossiers/{code}/actions/return_result",
            json={"tracking_number": "EL123456789VN"})
    assert r.status_code == 200  # a supervisor of the receiving agency may
