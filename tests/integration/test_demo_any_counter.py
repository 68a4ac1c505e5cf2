"""The demo's dossier received at one ward's centre for the other ward (issue 22, item 5):
marriage registration (1.000894), published once for phường Hà Đông and phường Dương Nội,
taken in by Hà Đông's clerk for Dương Nội, worked by Dương Nội's offices and handed back
at Hà Đông, with the demo accounts `demo load` creates."""
from __future__ import annotations

import pytest

from web.cli.commands import DEMO_USERS
from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases

ROLES = {u: (role, agency) for u, role, agency, _ in DEMO_USERS}


def who(name: str) -> Actor:
    return Actor(name, *ROLES[name])


def act(ctx, user, code, action):
    dossier, _ = use_cases.get(ctx, code)
    return use_cases.act(ctx, who(user), code, action, {"version": dossier.version})


@pytest.mark.parametrize("return_at, returner", [(None, "canbo.motcua"), ("H26.PVHCC", "motcua.thanhpho")])
def test_a_dossier_received_at_ha_dong_for_duong_noi(app, ctx, return_at, returner):
    out = app.test_cli_runner().invoke(args=["demo", "load"])
    assert out.exit_code == 0, out.output
    d, _ = use_cases.intake(ctx, who("canbo.motcua"), "1.000894",
                            Applicant("Nguyễn Văn An", phone="0912345678"), ["TK", "GTTT"],
                            "in_person", competent_unit="H26.DN", return_at=return_at)
    assert d.status == "received" and d.receiving_agency == "H26.HD" and d.competent_unit == "H26.DN"
    assert d.code.startswith("H26.HD")
    assert [s.agency for s in d.procedure.steps] == ["H26.DN", "H26.DN.TP", "H26.DN.LD", "H26.DN"]
    assert d.return_point == (return_at or "H26.HD")
    # Hà Đông's desk sends it on; Dương Nội's centre, justice officer and leader work it
    for user, action in (("canbo.motcua", "forward"), ("motcua.duongnoi", "forward"), ("canbo.tuphap.duongnoi", "forward"),
                         ("lanhdao.ky.duongnoi", "forward"), ("motcua.duongnoi", "complete"),
                         (returner, "return_result")):
        act(ctx, user, d.code, action)
    done, _ = use_cases.get(ctx, d.code)
    assert done.status == "returned"


def test_each_ward_and_the_other_ward_take_in_the_shared_procedure_from_the_counter_page(ctx, db_url, catalog):
    from web import create_app
    web = create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False}, context=ctx)
    out = web.test_cli_runner().invoke(args=["demo", "load"])
    assert out.exit_code == 0, out.output
    for clerk, ward, unit in (("canbo.motcua", "H26.HD", "H26.HD"), ("motcua.duongnoi", "H26.DN", "H26.DN"),
                              ("canbo.motcua", "H26.HD", "H26.DN")):  # Hà Đông's desk for Dương Nội
        client = web.test_client()
        r = client.post("/dang-nhap", data={"username": clerk, "password": "motcua-demo"})
        assert r.status_code == 302, r.get_data(as_text=True)
        r = client.post("/quay/ho-so", data={
            "procedure_code": "1.000894", "applicant_name": "Nguyễn Văn An",
            "applicant_phone": "0912345678", "documents": ["TK", "GTTT"], "channel": "in_person",
            "competent_unit": unit})
        assert r.status_code == 303, r.get_data(as_text=True)
        code = r.headers["Location"].split("/")[3]
        d, _ = use_cases.get(ctx, code)
        assert d.receiving_agency == ward and d.competent_unit == unit
        assert [s.agency for s in d.procedure.steps] == [unit, f"{unit}.TP", f"{unit}.LD", unit]


def test_the_public_pages_name_both_wards_and_online_submission_asks_the_ward(app, ctx):
    out = app.test_cli_runner().invoke(args=["demo", "load"])
    assert out.exit_code == 0, out.output
    client = app.test_client()
    html = client.get("/thu-tuc/1.000894").get_data(as_text=True)
    assert "{unit}" not in html and "/nop-truc-tuyen/1.000894" in html
    assert "Công chức tư pháp – hộ tịch phường Hà Đông / Công chức tư pháp – hộ tịch phường Dương Nội" in html
    assert "{unit}" not in client.get("/").get_data(as_text=True)
    # online, the applicant names the ward of their place (never an agency named "{unit}")
    form = client.get("/nop-truc-tuyen/1.000894").get_data(as_text=True)
    assert 'name="competent_unit"' in form and "{unit}" not in form
    assert 'value="H26.HD"' in form and 'value="H26.DN"' in form
