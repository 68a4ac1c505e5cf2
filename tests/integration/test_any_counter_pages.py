"""The staff pages for reception regardless of administrative boundaries (issue 22): the
counter form asks for the competent unit and the return point, the receipt names them as
free text, the dossier page shows the three places and gives the return to the return
point's desk, and the originals travel between points from the dossier page."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.test_any_counter import USERS, act, city  # noqa: F401  (fixture)
from tests.integration.test_staff_pages import count_dossiers, login, web  # noqa: F401  (fixture)
from workflow.adapters.tables import dossiers
from workflow.adapters.users import create_user

FORM = {"procedure_code": "1.999001", "applicant_name": "Trần Thị Bình", "applicant_phone": "0912000111",
        "documents": ["TK"], "channel": "in_person", "return_by": "counter"}
NAMES = {"WA": "Phường A", "WB": "Phường B", "C.PV": "Điểm phục vụ hành chính công thành phố"}


@pytest.fixture
def clerks(city, web, engine):
    with engine.begin() as conn:
        for name, (role, agency) in USERS.items():
            if name != "root":  # the web fixture's users include an administrator "root"
                create_user(conn, name, role, agency, "pw-" + name)
    return {name: login(web, name) for name in ("wa", "wb", "pv", "wc", "wb_tp")}


def row(engine, code):
    with engine.connect() as conn:
        return conn.execute(select(dossiers.c.agency, dossiers.c.competent_unit, dossiers.c.return_at)
                            .where(dossiers.c.code == code)).one()


def test_each_desk_lists_what_it_receives(clerks):
    listed = {name: clerks[name].get("/quay?q=1.999").get_data(as_text=True) for name in ("wa", "pv", "wc")}
    assert "1.999001" in listed["pv"] and "1.999001" in listed["wc"]  # any service point
    assert "1.999002" in listed["wa"]        # its own unit's procedure, not approved for it
    assert "1.999002" not in listed["pv"] and "1.999002" not in listed["wc"]


def test_the_form_offers_the_competent_unit_and_the_return_point(clerks):
    html = clerks["wa"].get("/quay?thu_tuc=1.999001").get_data(as_text=True)
    unit = html.split('name="competent_unit"')[1].split("</select>")[0]
    assert NAMES["WA"] in unit and NAMES["WB"] in unit and "Phường C" not in unit
    assert 'value="WA" selected' in unit  # the desk's own unit by default
    assert "nơi cư trú của người yêu cầu hoặc nơi có tài sản" in html
    point = html.split('name="return_at"')[1].split("</select>")[0]
    assert NAMES["C.PV"] in point and 'value="WA" selected' in point and "WA.TP" not in point
    assert "không áp dụng khi nhận qua dịch vụ bưu chính" in html
    plain = clerks["wa"].get("/quay?thu_tuc=1.999002").get_data(as_text=True)
    assert 'name="return_at"' not in plain  # not approved for boundary-free return


def test_intake_for_another_unit_with_a_third_return_point_and_its_receipt(clerks, engine):
    r = clerks["wa"].post("/quay/ho-so", data={**FORM, "competent_unit": "WB", "return_at": "C.PV"})
    assert r.status_code == 303, r.get_data(as_text=True)
    code = r.headers["Location"].split("/")[3]
    assert tuple(row(engine, code)) == ("WA", "WB", "C.PV")
    receipt = clerks["wa"].get(r.headers["Location"]).get_data(as_text=True)
    assert f"Bộ phận tiếp nhận và trả kết quả: {NAMES['WA']}" in receipt
    assert f"6. Đăng ký nhận kết quả tại: {NAMES['C.PV']}" in receipt
    assert f"Cơ quan có thẩm quyền giải quyết: {NAMES['WB']}" in receipt
    pdf = clerks["wa"].get(r.headers["Location"] + "?format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # by post, the return point is ignored (the receiving point sends it)
    r = clerks["wa"].post("/quay/ho-so", data={**FORM, "competent_unit": "WB", "return_at": "C.PV",
                                               "return_by": "post", "return_address": "1 Phố Huế"})
    assert r.status_code == 303
    assert tuple(row(engine, r.headers["Location"].split("/")[3])) == ("WA", "WB", None)


@pytest.mark.parametrize("change, message", [
    ({"competent_unit": ""}, "Chọn cơ quan có thẩm quyền giải quyết"),
    ({"competent_unit": "WC"}, "Chọn cơ quan có thẩm quyền giải quyết"),
    ({"competent_unit": "<b>"}, "Chọn cơ quan có thẩm quyền giải quyết"),
    ({"competent_unit": "WB", "return_at": "WA.TP"}, "Nơi trả kết quả phải là một điểm phục vụ"),
])
def test_refused_choices_come_back_on_the_form_in_vietnamese(clerks, engine, change, message):
    r = clerks["wa"].post("/quay/ho-so", data={**FORM, **change})
    assert r.status_code == 422, r.status_code
    html = r.get_data(as_text=True)
    assert message in html and 'name="competent_unit"' in html
    assert count_dossiers(engine) == 0


def test_a_desk_that_may_not_receive_for_the_unit_says_so(clerks, engine):
    r = clerks["wa"].post("/quay/ho-so", data={**FORM, "procedure_code": "1.999002", "competent_unit": "WB"})
    assert r.status_code == 403
    assert "Quầy này không tiếp nhận thủ tục này cho cơ quan đã chọn" in r.get_data(as_text=True)
    assert count_dossiers(engine) == 0


def test_dossier_page_names_the_places_and_the_return_point_hands_back(clerks, ctx):
    r = clerks["wa"].post("/quay/ho-so", data={**FORM, "competent_unit": "WB", "return_at": "C.PV"})
    code = r.headers["Location"].split("/")[3]
    page = clerks["wb_tp"].get(f"/ho-so/{code}").get_data(as_text=True)
    for label, name in (("Nơi tiếp nhận", NAMES["WA"]), ("Cơ quan có thẩm quyền giải quyết", NAMES["WB"]),
                        ("Nơi trả kết quả", NAMES["C.PV"])):
        assert f"<dt>{label}</dt><dd>{name}</dd>" in page, label
    for user, action in (("wa", "forward"), ("wb_tp", "forward"), ("wb_ld", "forward"), ("wb", "complete")):
        act(ctx, user, code, action)
    ready = f"/quay/tra-ket-qua/{code}"  # listed ready at the return point, not where received
    assert ready in clerks["pv"].get("/quay").get_data(as_text=True)
    assert ready not in clerks["wa"].get("/quay").get_data(as_text=True)
    assert f"/quay/tra-ket-qua/{code}" in clerks["pv"].get(f"/ho-so/{code}").get_data(as_text=True)
    assert f"/quay/tra-ket-qua/{code}" not in clerks["wa"].get(f"/ho-so/{code}").get_data(as_text=True)
    assert clerks["wa"].get(f"/quay/tra-ket-qua/{code}").status_code == 403
    assert clerks["pv"].get(f"/quay/tra-ket-qua/{code}").status_code == 200


def test_originals_are_sent_and_received_from_the_dossier_page(clerks, engine):
    r = clerks["wa"].post("/quay/ho-so", data={**FORM, "competent_unit": "WB"})
    code = r.headers["Location"].split("/")[3]
    page = clerks["wa"].get(f"/ho-so/{code}").get_data(as_text=True)
    assert "Hồ sơ giấy gốc" in page and f"/ho-so/{code}/ban-goc" in page
    assert f"/ho-so/{code}/ban-goc" not in clerks["wb"].get(f"/ho-so/{code}").get_data(as_text=True)
    bad = clerks["wa"].post(f"/ho-so/{code}/ban-goc", data={"to": "WB"})  # no document chosen
    assert bad.status_code == 303
    assert "chọn ít nhất một giấy tờ" in clerks["wa"].get(f"/ho-so/{code}").get_data(as_text=True)
    r = clerks["wa"].post(f"/ho-so/{code}/ban-goc", data={"to": "WB", "documents": ["TK"], "note": "bì thư số 7"})
    assert r.status_code == 303
    page = clerks["wb"].get(f"/ho-so/{code}").get_data(as_text=True)
    assert "bì thư số 7" in page and "/da-nhan" in page
    received = page.split('action="')[1:]
    url = next(u.split('"')[0] for u in received if u.split('"')[0].endswith("/da-nhan"))
    assert clerks["wa"].post(url).status_code == 403  # the sender does not receive
    assert clerks["wb"].post(url).status_code == 303
    page = clerks["wb"].get(f"/ho-so/{code}").get_data(as_text=True)
    assert "Đang giữ bản gốc: <strong>Phường B</strong>" in page and "/da-nhan" not in page
