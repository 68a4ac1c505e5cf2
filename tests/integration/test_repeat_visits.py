"""The repeat-visit report against a hand-counted fixture of 53 dossiers.

A: 20 complete at intake (clerk)                          trips 1 each, no supplement trip
B: 15 incomplete (clerk2), return once with everything    trips 2 each, 1 supplement trip
C: 10 incomplete (clerk2), return without CCCD, then with trips 3 each, 2 supplement trips
D:  5 complete (clerk), officer asks for UQ (proxy): the
    receipt left it off -> guidance failure of clerk,     trips 2 each, 1 supplement trip
    flagged; citizen brings it in person
E:  3 incomplete (clerk2), supplement sent online         trips 1 each, 0 supplement trips
"""
from __future__ import annotations

from tests.integration.conftest import INTAKE


def _new(api, user, documents):
    r = api(user, "POST", "/api/v1/dossiers", json={**INTAKE, "documents": documents})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["code"]


def _act(api, user, code, action, body):
    r = api(user, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json=body)
    assert r.status_code == 200, (action, r.get_json())


def build_fixture(api):
    for _ in range(20):
        _new(api, "clerk", ["GDN", "CCCD"])
    for _ in range(15):
        _act(api, "clerk2", _new(api, "clerk2", []), "supplement", {"documents": ["GDN", "CCCD"]})
    for _ in range(10):
        code = _new(api, "clerk2", [])
        _act(api, "clerk2", code, "supplement", {"documents": ["GDN"]})
        _act(api, "clerk2", code, "supplement", {"documents": ["CCCD"]})
    for _ in range(5):
        code = _new(api, "clerk", ["GDN", "CCCD"])
        _act(api, "clerk", code, "forward", {})
        _act(api, "kt", code, "request_supplement", {"missing": ["UQ"], "reason": "nộp thay"})
        _act(api, "clerk", code, "supplement", {"documents": ["UQ"]})
    for _ in range(3):
        _act(api, "clerk2", _new(api, "clerk2", []), "supplement",
             {"documents": ["GDN", "CCCD"], "channel": "online"})


def test_report_matches_the_hand_count(api):
    build_fixture(api)
    r = api("boss", "GET", "/api/v1/reports/repeat-visits?from=2026-03-01&to=2026-03-31")
    assert r.status_code == 200, r.get_json()
    report = r.get_json()
    assert report["totals"] == {"dossiers": 53, "repeat_visit_dossiers": 10, "repeat_visit_rate": 0.1887,
                                "guidance_failures": 5, "flagged": 5, "avg_trips": 1.755}
    by_clerk = {g["clerk"]: g for g in report["groups"]}
    assert by_clerk["clerk"]["dossiers"] == 25 and by_clerk["clerk"]["trips"] == 30
    assert by_clerk["clerk"]["repeat_visit_dossiers"] == 0 and by_clerk["clerk"]["flagged"] == 5
    assert by_clerk["clerk2"]["dossiers"] == 28 and by_clerk["clerk2"]["trips"] == 63
    assert by_clerk["clerk2"]["repeat_visit_dossiers"] == 10
    assert by_clerk["clerk2"]["repeat_visit_rate"] == round(10 / 28, 4)
    assert {g["month"] for g in report["groups"]} == {"2026-03"}
    assert report["guidance_failures"] == [{"agency": "T1", "procedure_code": "1.001612",
                                            "clerk": "clerk", "count": 5}]
    flagged = api("boss", "GET", "/api/v1/dossiers?flag=repeat_visit&per_page=200").get_json()
    assert flagged["total"] == 5
    empty = api("boss", "GET", "/api/v1/reports/repeat-visits?from=2026-04-01&to=2026-04-30").get_json()
    assert empty["totals"]["dossiers"] == 0


def test_report_access(api):
    assert api("clerk", "GET", "/api/v1/reports/repeat-visits").status_code == 403
    assert api("boss", "GET", "/api/v1/reports/repeat-visits?agency=TAX").status_code == 403
    assert api("root", "GET", "/api/v1/reports/repeat-visits?agency=TAX").status_code == 200
    assert api("boss", "GET", "/api/v1/reports/repeat-visits?from=2026-13-01").status_code == 422


def test_second_comeback_refused_over_http_and_overridden_by_supervisor(api, tokens, engine):
    from workflow.adapters.users import create_user, issue_token
    code = _new(api, "clerk", [])
    _act(api, "clerk", code, "supplement", {"documents": ["GDN", "CCCD"]})
    _act(api, "clerk", code, "forward", {})
    r = api("kt", "POST", f"/api/v1/dossiers/{code}/actions/request_supplement",
            json={"missing": ["UQ"], "reason": "nộp thay"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "repeat_visit_refused"
    with engine.begin() as conn:
        create_user(conn, "boss-kt", "supervisor", "T1.KT")
        tokens["boss-kt"] = issue_token(conn, "boss-kt")
    r = api("boss-kt", "POST", f"/api/v1/dossiers/{code}/actions/request_supplement",
            json={"missing": ["UQ"], "reason": "nộp thay", "override_reason": "phát hiện nộp thay"})
    assert r.status_code == 200
    d = r.get_json()
    assert d["repeat_visit"] is True and d["status"] == "supplement_requested"
    assert [g["stage"] for g in d["guidance"]] == ["intake", "receipt", "processing"]


def test_self_check(api):
    r = api(None, "POST", "/api/v1/procedures/1.001612/check", json={"documents": ["GDN"]})
    assert r.get_json() == {"procedure_code": "1.001612", "complete": False, "missing": ["CCCD"],
                            "missing_names": ["Bản sao căn cước công dân"]}
    assert api(None, "POST", "/api/v1/procedures/1.001612/check",
               json={"documents": ["GDN", "CCCD"]}).get_json()["complete"] is True
    assert api(None, "POST", "/api/v1/procedures/1.001612/check",
               json={"documents": ["X"]}).status_code == 422


def test_self_check_page(client):
    page = client.get("/thu-tuc/1.001612/tu-kiem-tra?kiem-tra=1&co=GDN").get_data(as_text=True)
    assert "Còn thiếu 1 giấy tờ bắt buộc" in page and "Bản sao căn cước công dân" in page
    page = client.get("/thu-tuc/1.001612/tu-kiem-tra?kiem-tra=1&co=GDN&co=CCCD").get_data(as_text=True)
    assert "Đã đủ giấy tờ bắt buộc" in page
    assert client.get("/thu-tuc/9.999999/tu-kiem-tra").status_code == 404
