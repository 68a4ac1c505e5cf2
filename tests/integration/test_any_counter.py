"""Reception and return regardless of administrative boundaries (issue 22, items 2-3):
a service point takes in a procedure approved for it for the unit competent to settle it,
the steps go to that unit's offices, the result is collected at a third point, and
nobody else sees or acts on the dossier."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.test_catalog import write
from tests.integration.test_competent_units import AGENCIES, TEMPLATE
from workflow.adapters.tables import dossiers
from workflow.adapters.users import create_user, issue_token
from workflow.adapters.work_queues import desk_list
from workflow.domain.dossier import Actor, Applicant
from workflow.domain.errors import Forbidden, InvalidInput
from workflow.services.dossiers import use_cases
from workflow.services.importing.catalog import load

POINTS = {"C.PV", "WA", "WB", "WC"}  # the city's point and the wards' centres
USERS = {  # username: (role, agency)
    "pv": ("counter", "C.PV"), "wa": ("counter", "WA"), "wb": ("counter", "WB"),
    "wc": ("counter", "WC"), "wb_tp": ("officer", "WB.TP"), "wb_ld": ("officer", "WB.LD"),
    "wa_tp": ("officer", "WA.TP"), "wa_boss": ("supervisor", "WA"), "root": ("admin", None),
}
HOME_ONLY = dict(TEMPLATE, code="1.999002", name="Thủ tục chỉ nhận tại phường", anywhere=False)


@pytest.fixture
def city(engine, tmp_path):
    agencies = {"agencies": [dict(a, kind="service_point") if a["code"] in POINTS else a
                             for a in AGENCIES["agencies"]]}
    report = load(engine, [write(tmp_path, agencies, "agencies-city.yaml"),
                           write(tmp_path, TEMPLATE, "anywhere.yaml"),
                           write(tmp_path, HOME_ONLY, "home-only.yaml")])
    assert not report.errors, report.errors


def who(name: str) -> Actor:
    role, agency = USERS[name]
    return Actor(name, role, agency)


def take_in(ctx, clerk="wa", unit="WB", code="1.999001", **kw):
    dossier, _ = use_cases.intake(ctx, who(clerk), code, Applicant("Trần Thị Bình", phone="0912000111"),
                                  ["TK"], "in_person", competent_unit=unit, **kw)
    return dossier


def act(ctx, user, code, action, payload=None):
    dossier, _ = use_cases.get(ctx, code)
    return use_cases.act(ctx, who(user), code, action, dict(payload or {}, version=dossier.version))


def test_a_ward_centre_receives_for_another_ward_whose_offices_settle_it(city, ctx, engine):
    d = take_in(ctx)
    assert d.status == "received"
    assert d.receiving_agency == "WA" and d.competent_unit == "WB" and d.boundary_free
    assert d.code.startswith("WA"), d.code  # the number follows the receiving point
    assert [s.agency for s in d.procedure.steps] == ["WB.TP", "WB.LD", "WB"]
    with engine.connect() as conn:
        row = conn.execute(select(dossiers.c.agency, dossiers.c.competent_unit, dossiers.c.return_at)
                           .where(dossiers.c.code == d.code)).one()
    assert tuple(row) == ("WA", "WB", "WA")
    again, _ = use_cases.get(ctx, d.code)  # read back: the same unit, the same offices
    assert again.procedure.unit == "WB" and again.receiving_agency == "WA"
    assert again.current_step is None or again.current_step.agency.startswith("WB")


def test_the_steps_run_at_the_competent_units_offices_and_the_result_at_a_third_point(city, ctx, engine):
    d = take_in(ctx, return_at="C.PV")
    assert d.return_point == "C.PV"
    act(ctx, "wa", d.code, "forward")
    with pytest.raises(Forbidden):  # the other ward's justice officer holds no step of it
        act(ctx, "wa_tp", d.code, "complete")
    act(ctx, "wb_tp", d.code, "forward")
    act(ctx, "wb_ld", d.code, "forward")
    # the last step sits at the competent unit's own desk: WB's counter staff hold it
    act(ctx, "wb", d.code, "complete")
    for clerk in ("wa", "wb"):  # neither the receiving point nor the unit hands it back
        with pytest.raises(Forbidden):
            act(ctx, clerk, d.code, "return_result")
    with engine.connect() as conn:  # it waits in the return point's list, not the receiver's
        assert [r.code for r in desk_list(conn, "C.PV", "result_ready")] == [d.code]
        assert desk_list(conn, "WA", "result_ready") == []
    done = act(ctx, "pv", d.code, "return_result")
    dossier = done[0] if isinstance(done, tuple) else done
    assert dossier.status == "returned"


def test_without_return_at_the_receiving_point_hands_back(city, ctx):
    d = take_in(ctx)
    assert d.return_point == "WA"
    for user, action in (("wa", "forward"), ("wb_tp", "forward"), ("wb_ld", "forward"),
                         ("wb", "complete")):
        act(ctx, user, d.code, action)
    with pytest.raises(Forbidden):
        act(ctx, "wb", d.code, "return_result")
    act(ctx, "wa", d.code, "return_result")


def test_who_sees_the_dossier(city, ctx):
    from workflow.domain.lifecycle import may_see
    d = take_in(ctx, return_at="C.PV")
    seen = {name for name in USERS if may_see(who(name), d)}
    assert seen == {"wa", "wa_boss", "pv", "wb", "wb_tp", "wb_ld", "root"}
    # an uninvolved ward's clerk and the receiving ward's own justice officer see nothing
    assert "wc" not in seen and "wa_tp" not in seen


@pytest.mark.parametrize("kw, field", [
    (dict(unit=None), "competent_unit"),                       # a template needs its unit
    (dict(unit="WC"), "competent_unit"),                       # not competent for it
    (dict(return_at="WA.TP"), "return_at"),                    # not a service point
    (dict(return_at="C.PV", return_by="post", return_address="1 Phố Huế"), "return_at"),
    (dict(code="1.999002", clerk="wb", return_at="C.PV"), "return_at"),  # not approved
])
def test_bad_choices_are_refused_and_nothing_is_stored(city, ctx, engine, kw, field):
    with pytest.raises(InvalidInput) as err:
        take_in(ctx, **kw)
    assert err.value.field == field, err.value
    with engine.connect() as conn:
        assert conn.execute(select(dossiers.c.id)).first() is None


def test_a_procedure_not_approved_is_received_only_by_its_unit(city, ctx):
    with pytest.raises(Forbidden) as err:
        take_in(ctx, code="1.999002")  # WA's desk, for WB: not approved for it
    assert "not approved" in str(err.value)
    assert take_in(ctx, code="1.999002", clerk="wb").receiving_agency == "WB"


def test_only_service_points_receive_for_other_units(city, ctx, engine, tmp_path):
    plain = {"agencies": [dict(a) for a in AGENCIES["agencies"]]}  # no kind: no service point
    assert not load(engine, [write(tmp_path, plain, "agencies-plain.yaml")]).errors
    with pytest.raises(Forbidden) as err:
        take_in(ctx)
    assert "not a service point" in str(err.value)


def test_the_api_takes_the_unit_and_the_return_point(city, client, engine, bearer):
    tokens = {name: h["Authorization"].split(" ", 1)[1] for name, h in bearer.items()}
    body = {"procedure_code": "1.999001", "applicant": {"name": "Lê Văn Cường"},
            "documents": ["TK"], "competent_unit": "WB", "return_at": "C.PV"}
    r = client.post("/api/v1/dossiers", json=body, headers={"Authorization": f"Bearer {tokens['wa']}"})
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert (got["agency"], got["competent_unit"], got["return_at"]) == ("WA", "WB", "C.PV")
    code = got["code"]
    r = client.get(f"/api/v1/dossiers/{code}", headers={"Authorization": f"Bearer {tokens['wc']}"})
    assert r.status_code == 403
    r = client.get(f"/api/v1/dossiers/{code}", headers={"Authorization": f"Bearer {tokens['pv']}"})
    assert r.status_code == 200
    bad = dict(body, competent_unit="WC")
    r = client.post("/api/v1/dossiers", json=bad, headers={"Authorization": f"Bearer {tokens['wa']}"})
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "competent_unit", r.get_json()
    r = client.post("/api/v1/dossiers", json=dict(body, competent_unit="{unit}"),
                    headers={"Authorization": f"Bearer {tokens['wa']}"})
    assert r.status_code == 422


ONLINE = dict(TEMPLATE, code="1.999003", name="Thủ tục trực tuyến cấp xã",
              channels=["in_person", "online"])


def test_an_online_submission_goes_to_the_unit_the_applicant_names(city, client, engine, tmp_path):
    """Online, the applicant names the unit of their place; the dossier goes to that
    unit's desk and its steps to that unit's offices. Without it nothing is created."""
    from tests.integration.test_files_api import pdf
    from tests.integration.test_online_submission import ask_code, form
    assert not load(engine, [write(tmp_path, ONLINE, "online.yaml")]).errors
    files = [("TK", pdf())]
    verification, code = ask_code(client, engine, procedure="1.999003")
    r = client.post("/api/v1/submissions", data=form(verification, code, files, procedure="1.999003"),
                    content_type="multipart/form-data")
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "competent_unit", r.get_json()
    with engine.connect() as conn:
        assert conn.execute(select(dossiers.c.id)).first() is None
    for unit, status in (("WC", 422), ("WB", 201)):
        verification, code = ask_code(client, engine, procedure="1.999003")
        data = dict(form(verification, code, files, procedure="1.999003"), competent_unit=unit)
        r = client.post("/api/v1/submissions", data=data, content_type="multipart/form-data")
        assert r.status_code == status, r.get_json()
    got, _ = use_cases.get(ctx_of(client), r.get_json()["code"])
    assert (got.receiving_agency, got.competent_unit, got.procedure.steps[0].agency) == ("WB", "WB", "WB.TP")
    assert not got.boundary_free


def ctx_of(client):
    return client.application.extensions["motcua"]


def test_the_online_page_asks_the_unit_of_the_applicants_place(city, client, engine, tmp_path):
    from tests.integration.test_online_pages import alert, csrf
    assert not load(engine, [write(tmp_path, ONLINE, "online.yaml")]).errors
    page = client.get("/nop-truc-tuyen/1.999003").get_data(as_text=True)
    assert 'name="competent_unit"' in page and "Phường A" in page and "Phường B" in page
    assert "Phường C" not in page  # not competent for it
    token = csrf(client, "/nop-truc-tuyen/1.999003")
    asked = dict(csrf_token=token, name="Lê Thị Hoa", phone="0987654321")
    r = client.post("/nop-truc-tuyen/1.999003/ma-xac-nhan", data=asked)
    assert r.status_code == 422 and alert(r.get_data(as_text=True))  # no unit: no code sent
    r = client.post("/nop-truc-tuyen/1.999003/ma-xac-nhan", data=dict(asked, competent_unit="WB"))
    assert r.status_code == 200 and 'name="competent_unit" value="WB"' in r.get_data(as_text=True)


# The access matrix of a boundary-free dossier (received at WA for WB, collected at C.PV):
# operation -> the callers allowed; every other caller gets 403 and changes nothing.
CALLERS = ("wa", "wa_boss", "wa_tp", "wb", "wb_tp", "wb_ld", "wc", "pv", "root")
MATRIX = {
    ("GET", ""): {"wa", "wa_boss", "wb", "wb_tp", "wb_ld", "pv", "root"},
    ("POST", "/actions/forward"): {"wa", "wa_boss"},            # the receiving desk
    ("POST", "/actions/return_result"): {"pv"},                 # the return point
}


@pytest.fixture
def bearer(city, engine):
    with engine.begin() as conn:
        out = {}
        for name, (role, agency) in USERS.items():
            create_user(conn, name, role, agency, "pw-" + name)
            out[name] = {"Authorization": f"Bearer {issue_token(conn, name)}"}
    return out


def _ready(ctx, code):
    for user, action in (("wa", "forward"), ("wb_tp", "forward"), ("wb_ld", "forward"), ("wb", "complete")):
        act(ctx, user, code, action)


@pytest.mark.parametrize("method, path", list(MATRIX))
def test_boundary_free_access_matrix(client, ctx, bearer, method, path):
    for caller in CALLERS:
        code = take_in(ctx, return_at="C.PV").code
        if path.endswith("return_result"):
            _ready(ctx, code)
        before, _ = use_cases.get(ctx, code)
        r = client.open(f"/api/v1/dossiers/{code}{path}", method=method, headers=bearer[caller],
                        json={} if method == "POST" else None)
        allowed = caller in MATRIX[(method, path)]
        expected = (200, 201) if allowed else (403,)
        assert r.status_code in expected, (caller, method, path, r.status_code, r.get_json())
        after, _ = use_cases.get(ctx, code)
        assert (after.version != before.version) == (allowed and method == "POST"), caller
