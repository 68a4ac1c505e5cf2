"""Filing on someone's behalf (người nộp thay, issue 21 item 4): the dossier records the
applicant and the filer; where the checklist lists the authorisation (UQ) the filer presents
it or the clerk says why none is needed; notices go to the contacts the applicant chose;
the public status lookup accepts either person's last four phone digits."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import INTAKE
from web import create_app
from workflow.adapters.tables import dossiers
from workflow.services.context import Context
from workflow.services.notifications.applicant_notices import mail_handlers
from workflow.services.notifications.outbox import relay

FILER = {"name": "Trần Thị Bình", "phone": "0987 654 321", "email": "binh@example.com",
         "id_number": "001190054321"}


@pytest.fixture
def web(ctx, db_url, catalog, tokens):
    return create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                                  "PUBLIC_BASE_URL": "https://motcua.example.vn"}, context=ctx)


def take_in(api, **changes):
    r = api("clerk", "POST", "/api/v1/dossiers", json={**INTAKE, **changes})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def count(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(dossiers)).scalar_one()


def text_of(body: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_a_filer_must_present_the_authorisation(api, engine):
    r = api("clerk", "POST", "/api/v1/dossiers", json={**INTAKE, "filer": FILER})
    assert r.status_code == 422
    err = r.get_json()["error"]
    assert err["field"] == "documents" and "Văn bản ủy quyền (UQ)" in err["message"]
    assert count(engine) == 0  # nothing written
    d = take_in(api, filer=FILER, documents=["GDN", "CCCD", "UQ"])
    assert d["filer"] == FILER and d["applicant"]["name"] == INTAKE["applicant"]["name"]
    assert d["notify"] == ["applicant"]
    assert d["events"][0]["data"]["filer"] == FILER["name"]
    # the clerk may record why none is needed (e.g. the filer is a parent or a spouse)
    d = take_in(api, filer=FILER, authorisation_exempt="Người nộp thay là vợ của người yêu cầu")
    assert d["events"][0]["data"]["authorisation_exempt"].startswith("Người nộp thay là vợ")
    # no filer, no authorisation asked for (UQ stays optional)
    assert take_in(api)["filer"] is None


@pytest.mark.parametrize("changes, field", [
    ({"notify": ["filer"]}, "notify"),                                   # no filer recorded
    ({"notify": []}, "notify"),
    ({"notify": ["applicant", "applicant"]}, "notify"),
    ({"notify": ["neighbour"]}, "notify.0"),
    ({"filer": {"name": "\u0000"}}, "filer.name"),
    ({"filer": {"name": "Bình", "phone": "12"}}, "filer.phone"),
    ({"filer": {"name": "Bình", "extra": 1}}, "filer.extra"),
    ({"authorisation_exempt": "họ hàng"}, "authorisation_exempt"),       # no filer
])
def test_bad_filer_fields_are_refused(api, engine, changes, field):
    r = api("clerk", "POST", "/api/v1/dossiers", json={**INTAKE, **changes})
    assert r.status_code == 422, r.get_json()
    assert r.get_json()["error"]["field"] == field
    assert count(engine) == 0


def test_staff_of_a_step_agency_see_the_filer_masked(api, clock):
    code = take_in(api, filer=FILER, documents=["GDN", "CCCD", "UQ"])["code"]
    api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={})
    seen = api("tax", "GET", f"/api/v1/dossiers/{code}").get_json()["filer"]
    assert seen["name"] == FILER["name"] and seen["phone"].endswith("321") and "654" not in seen["phone"]


def test_notices_go_to_the_contacts_chosen(api, ctx):
    both = take_in(api, filer=FILER, documents=["GDN", "CCCD", "UQ"], notify=["applicant", "filer"])
    only_filer = take_in(api, filer=FILER, documents=["GDN", "CCCD", "UQ"], notify=["filer"])
    default = take_in(api, filer=FILER, documents=["GDN", "CCCD", "UQ"])

    class Box:
        def __init__(self):
            self.sent = []

        def send(self, *args):
            self.sent.append(args)
    mail = Box()
    claimer = Context(engine=ctx.engine, calendar=ctx.calendar)  # leases on real time
    assert relay(claimer, mail_handlers(ctx, mail, "https://motcua.example.vn"), 100)["failed"] == 0
    to = {}
    for address, subject, body, _id in mail.sent:
        code = subject.rsplit(" ", 1)[-1]
        to.setdefault(code, []).append((address, body.splitlines()[0]))
    assert sorted(to[both["code"]]) == [("an@example.com", "Kính gửi Nguyễn Văn An,"),
                                        ("binh@example.com", "Kính gửi Trần Thị Bình,")]
    assert to[only_filer["code"]] == [("binh@example.com", "Kính gửi Trần Thị Bình,")]
    assert to[default["code"]] == [("an@example.com", "Kính gửi Nguyễn Văn An,")]


def test_status_lookup_takes_either_persons_digits(api, web):
    code = take_in(api, filer=FILER, documents=["GDN", "CCCD", "UQ"])["code"]
    client = web.test_client()
    assert client.post("/tra-cuu", data={"ma": code, "so": "5678"}).status_code == 200  # applicant
    found = client.post("/tra-cuu", data={"ma": code, "so": "4321"})                  # filer
    assert found.status_code == 200
    page = text_of(found.get_data(as_text=True))
    assert code in page and FILER["name"] not in page  # still no name on the public page
    # a stranger's digits find nothing (the protection: only these two phones open it)
    assert client.post("/tra-cuu", data={"ma": code, "so": "1111"}).status_code == 404
    plain = take_in(api)["code"]  # no filer: only the applicant's digits
    assert client.post("/tra-cuu", data={"ma": plain, "so": "4321"}).status_code == 404


def test_counter_form_takes_the_filer_and_the_post(web, engine):
    client = web.test_client()
    assert client.post("/dang-nhap", data={"username": "clerk", "password": "pw-clerk"}).status_code == 302
    form = {"procedure_code": "1.001612", "applicant_name": "Nguyễn Văn An",
            "applicant_phone": "0912345678", "documents": ["GDN", "CCCD"], "channel": "in_person",
            "filer_name": "Trần Thị Bình", "filer_phone": "0987654321", "return_by": "post",
            "return_address": "Số 1 phố Huế, Hà Nội", "notify": ["applicant", "filer"]}
    refused = client.post("/quay/ho-so", data=form)  # the filer brought no authorisation
    assert refused.status_code == 422
    assert "Văn bản ủy quyền" in html.unescape(refused.get_data(as_text=True))
    assert count(engine) == 0
    r = client.post("/quay/ho-so", data={**form, "documents": ["GDN", "CCCD", "UQ"]})
    assert r.status_code == 303, r.get_data(as_text=True)
    code = r.headers["Location"].split("/")[3]
    receipt = text_of(client.get(f"/quay/ho-so/{code}/bien-nhan").get_data(as_text=True))
    assert "Người nộp thay: Trần Thị Bình" in receipt
    assert "Đăng ký nhận kết quả tại: dịch vụ bưu chính công ích, gửi đến địa chỉ: Số 1 phố Huế, Hà Nội" in receipt
    with engine.connect() as conn:
        row = conn.execute(select(dossiers.c.filer_name, dossiers.c.notify, dossiers.c.return_by)).one()
    assert tuple(row) == ("Trần Thị Bình", "applicant,filer", "post")


def test_the_dossier_page_shows_the_filer_and_the_return(api, web):
    code = take_in(api, filer=FILER, documents=["GDN", "CCCD", "UQ"], return_by="post",
                   return_address="Số 1 phố Huế, Hà Nội")["code"]
    client = web.test_client()
    assert client.post("/dang-nhap", data={"username": "clerk", "password": "pw-clerk"}).status_code == 302
    page = text_of(client.get(f"/ho-so/{code}").get_data(as_text=True))
    assert "Người nộp thay Trần Thị Bình" in page and "0987 654 321" in page
    assert "Nhận qua dịch vụ bưu chính công ích Số 1 phố Huế, Hà Nội" in page
