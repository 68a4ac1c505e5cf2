"""Hostile input (issue 16): whatever is sent, no 5xx, no leak, the documented JSON error
on /api/, nothing written. One section per category of the report; every test runs on
SQLite and PostgreSQL, and fails if the server logged an unhandled error (tests/server_log.py, for every test of the run)."""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.integration.conftest import INTAKE
from tests.integration.test_access_matrix import World
from tests.integration.test_staff_access import signed_in
from tests.integration.test_surveys import all_fives
from web.i18n import safe_next
from workflow.adapters.export import csv_stream, write_xlsx
from workflow.adapters.tables import dossiers, dossier_events


@pytest.fixture
def hapi(app, api):
    app.config.update(WTF_CSRF_ENABLED=False)
    return api


def refused(r, status=None):
    """A 4xx with the documented error object."""
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    if status:
        assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:300])
    err = r.get_json()["error"]
    assert set(err) >= {"code", "message", "field"} and err["message"]
    return err


def counts(engine):
    with engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(dossiers)).scalar(),
                conn.execute(select(func.count()).select_from(dossier_events)).scalar())


def intake(api, **changes):
    r = api("clerk", "POST", "/api/v1/dossiers", json={**INTAKE, **changes})
    assert r.status_code == 201, r.get_json()
    return r.get_json()


# -- NUL and control characters ------------------------------------------------------------
@pytest.mark.parametrize("user,path", [
    (None, "/api/v1/procedures/1%00"),
    (None, "/api/v1/procedures/1.001612%00/check"),
    ("clerk", "/api/v1/dossiers/T1%00"),
    ("clerk", "/api/v1/dossiers?agency=T1%00"),
    ("boss", "/api/v1/reports/repeat-visits?agency=T1%00"),
    ("boss", "/api/v1/reports/summary?agency=%00"),
    ("boss", "/api/v1/feedback?status=%00"),
])
def test_nul_in_paths_and_query_values_is_refused(hapi, user, path):
    method = "POST" if path.endswith("/check") else "GET"
    refused(hapi(user, method, path, json={"documents": []} if method == "POST" else None))


@pytest.mark.parametrize("applicant", [
    {"name": "Nguyễn\x00Văn An"}, {"name": "An", "email": "a\x00@example.com"},
    {"name": "An\u202e"},  # a bidi override changes how the name reads
    {"name": "\ud800"},    # a lone surrogate
])
def test_control_characters_in_json_strings_are_refused(hapi, engine, applicant):
    before = counts(engine)
    body = json.dumps({**INTAKE, "applicant": applicant})  # escaped: \\u0000, \\ud800
    err = refused(hapi("clerk", "POST", "/api/v1/dossiers", data=body, content_type="application/json"), 422)
    assert err["field"].startswith("applicant")
    assert counts(engine) == before


def test_nul_in_notes_survey_comments_and_defect_keys(hapi, app, engine):
    code = intake(hapi)["code"]
    refused(hapi("clerk", "POST", f"/api/v1/dossiers/{code}/actions/reject", json={"reason": "x\x00"}), 422)
    refused(hapi("clerk", "POST", "/api/v1/dossiers", json={**INTAKE, "defects": {"G\x00": "x"}}), 422)
    token = World(app, hapi, engine).survey()
    r = hapi(None, "POST", f"/api/v1/surveys/{token}", json={"answers": all_fives(), "comment": "tốt\x00"})
    refused(r, 422)


def test_nul_in_forms_and_usernames_is_a_4xx_page(app, engine, tokens, api):
    app.config.update(WTF_CSRF_ENABLED=False)
    r = app.test_client().post("/dang-nhap", data={"username": "clerk\x00", "password": "x"})
    assert 400 <= r.status_code < 500
    code = intake(api)["code"]
    clerk = signed_in(app, engine, "clerk")
    r = clerk.post(f"/ho-so/{code}/reject", data={"reason": "lý do\x00"})
    assert 400 <= r.status_code < 500
    assert clerk.get(f"/ho-so/{code}%00").status_code in (400, 403, 404, 422)
    r = app.test_client().post("/tra-cuu", data={"ma": "T1\x00", "so": "1234"})
    assert 400 <= r.status_code < 500


def test_nfd_text_is_stored_composed(hapi):
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hường")
    d = intake(hapi, applicant={**INTAKE["applicant"], "name": nfd})
    assert d["applicant"]["name"] == "Nguyễn Thị Hường"


@pytest.mark.parametrize("name", ["\u200b", " \u200b ", "\u2060"])
def test_an_invisible_name_is_no_name(hapi, name):
    err = refused(hapi("clerk", "POST", "/api/v1/dossiers",
                       json={**INTAKE, "applicant": {**INTAKE["applicant"], "name": name}}), 422)
    assert err["field"] == "applicant.name"


# -- deep nesting and size ----------------------------------------------------------------
@pytest.mark.parametrize("user,path", [
    (None, "/api/v1/procedures/1.001612/check"), ("clerk", "/api/v1/dossiers"),
    (None, "/api/v1/surveys/forged"),
])
def test_deeply_nested_json_is_400(hapi, user, path):
    deep = "[" * 100_000 + "]" * 100_000
    r = hapi(user, "POST", path, data='{"documents": ' + deep + "}", content_type="application/json")
    assert refused(r, 400)["code"] == "bad_json"
    r = hapi(user, "POST", path, data='{"a":' * 40 + "1" + "}" * 40, content_type="application/json")
    assert refused(r, 400)["code"] == "bad_json"


def test_http_errors_on_the_api_are_json(hapi, app):
    refused(hapi(None, "GET", "/api/v1/procedures/" + "x" * 5000), 414)
    refused(hapi(None, "DELETE", "/api/v1/procedures"), 405)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    refused(hapi(None, "POST", "/api/v1/procedures/1.001612/check",
                 json={"documents": ["x" * 2000]}), 413)


# -- permission before state ----------------------------------------------------------------
def test_an_uninvolved_officer_learns_nothing_about_a_dossier(hapi, app, engine):
    code = World(app, hapi, engine).dossier()  # 1.001193: TAX never sees it
    missing = "T1-260302-9999"
    for user in ("tax", "stranger"):
        for method, tail, body, headers in [
                ("POST", "/actions/complete", {}, {}),              # not allowed now: was 409
                ("POST", "/actions/forward", {}, {"If-Match": "99"}),  # stale: was 412
                ("GET", "", None, {}), ("GET", "/forms", None, {}), ("GET", "/deadline", None, {}),
                ("GET", "/evaluation", None, {}), ("GET", "/trail", None, {})]:
            answers = []
            for c in (code, missing):
                r = hapi(user, method, f"/api/v1/dossiers/{c}{tail}", json=body, headers=headers)
                answers.append((r.status_code, r.get_data(as_text=True).replace(c, "CODE")))
            assert answers[0] == answers[1], (user, method, tail, answers)
            assert answers[0][0] == 403 and "allowed" not in answers[0][1]
            assert "version" not in answers[0][1]


def _untokened(html: str) -> str:
    return re.sub(r'(name="csrf_token" value=|name="csrf-token" content=)"[^"]*"', r'\1"T"', html)


def test_pages_answer_the_same_for_a_hidden_and_a_missing_dossier(app, engine, hapi):
    code = World(app, hapi, engine).dossier()
    for user in ("tax", "stranger"):
        client = signed_in(app, engine, user)
        for path in ("/ho-so/{}", "/quay/ho-so/{}/phieu-tu-choi", "/quay/ho-so/{}/thong-bao-dung",
                     "/quay/ho-so/{}/phieu-kiem-soat", "/quay/ho-so/{}/bien-nhan"):
            answers = [client.get(path.format(c)) for c in (code, "T1-260302-9999")]
            assert [a.status_code for a in answers] == [403, 403], (user, path)
            # the same page but for the per-request CSRF token (signed with the second it is made)
            assert _untokened(answers[0].get_data(as_text=True).replace(code, "X")) == \
                _untokened(answers[1].get_data(as_text=True).replace("T1-260302-9999", "X"))


# -- redirect targets -----------------------------------------------------------------------
@pytest.mark.parametrize("target", ["\t//evil.example", "/\t/evil.example", "//evil.example",
                                    "///evil.example", "https://evil.example", "/\\evil.example",
                                    "\\\\evil.example", "/x\r\nSet-Cookie: a=b", "javascript:alert(1)",
                                    " /ok", "/ok\u2028"])
def test_next_refuses_anything_but_a_path_here(target):
    assert safe_next(target) is None


def test_next_keeps_a_path_here():
    assert safe_next("/quay?ma=T1-1&x=%2F%2F") == "/quay?ma=T1-1&x=%2F%2F"


@pytest.mark.parametrize("raw", ["%09//evil.example", "%0d%0aSet-Cookie:%20a=b", "/%0a/evil.example",
                                 "%5C%5Cevil.example"])
def test_next_in_the_url_never_redirects_away_nor_fails(app, engine, tokens, raw):
    r = app.test_client().get(f"/ngon-ngu/en?next={raw}")
    assert r.status_code < 500
    assert "evil" not in r.headers.get("Location", "") and "Set-Cookie: a" not in str(r.headers)


# -- Unicode digits and scripts -------------------------------------------------------------
def test_status_lookup_reads_digits_of_any_script(app, hapi):
    code = intake(hapi)["code"]  # phone 0912345678
    client = app.test_client()
    assert client.post("/tra-cuu", data={"ma": code, "so": "٥٦٧٨"}).status_code == 200
    assert client.post("/tra-cuu", data={"ma": code, "so": "²³⁴⁵"}).status_code == 422


# -- spreadsheet formulas -------------------------------------------------------------------
FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "＝1"]


def test_csv_and_xlsx_exports_neutralise_formulas(tmp_path):
    rows = [(f, 5, None) for f in FORMULAS]
    text = b"".join(csv_stream(["a", "b", "c"], rows)).decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text)))[1:]
    assert [r[0] for r in read] == ["'" + f for f in FORMULAS] and read[0][1] == "5"
    path = tmp_path / "x.xlsx"
    write_xlsx(str(path), [("s", ["a", "b", "c"], rows)])
    ws = load_workbook(path).active
    cells = [row for row in ws.iter_rows(min_row=2, values_only=True)]
    assert [c[0] for c in cells] == ["'" + f for f in FORMULAS] and cells[0][1] == 5
    assert all(cell.data_type != "f" for row in ws.iter_rows() for cell in row)


def test_the_trail_export_neutralises_a_note(hapi):
    code = intake(hapi)["code"]
    assert hapi("clerk", "POST", f"/api/v1/dossiers/{code}/actions/forward",
                json={"note": "=cmd|' /C calc'!A0"}).status_code == 200
    r = hapi("root", "GET", f"/api/v1/dossiers/{code}/trail?format=csv")
    assert r.status_code == 200
    assert "'=cmd" in r.get_data(as_text=True) and ",=cmd" not in r.get_data(as_text=True)


# -- out-of-range values --------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/api/v1/reports/repeat-visits?from=0001-01-01", "/api/v1/reports/repeat-visits?to=9999-12-31",
    "/api/v1/reports/summary?from=0001-01-01&to=0001-01-31", "/api/v1/reports/summary?to=9999-12-31",
    "/api/v1/reports/sipas?from=0001-01-01", "/api/v1/reports/sipas?to=9999-12-31",
])
def test_report_periods_far_past_or_future_are_422(hapi, path):
    refused(hapi("boss", "GET", path), 422)


@pytest.mark.parametrize("path", ["/api/v1/notifications/99999999999999999999/read",
                                  "/api/v1/notifications/2147483648/read", "/api/v1/notifications/0/read",
                                  "/api/v1/feedback/99999999999999999999/answer"])
def test_ids_past_the_integer_columns_are_404(hapi, path):
    user = "boss" if "feedback" in path else "clerk"
    refused(hapi(user, "POST", path, json={"answer": "x"} if "feedback" in path else None), 404)


def test_a_postponement_to_year_9999_is_refused(hapi, engine):
    code = intake(hapi)["code"]
    for when in ("9999-12-31", "9999-12-31T10:00:00+07:00", "2031-03-03"):
        err = refused(hapi("clerk", "POST", f"/api/v1/dossiers/{code}/actions/postpone",
                           json={"reason": "chậm", "new_due_at": when}), 422)
        assert err["field"] == "new_due_at"
    assert hapi("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()["postponed_to"] is None


# -- type coercion ----------------------------------------------------------------------------
def test_a_boolean_is_no_survey_score(hapi, app, engine):
    token = World(app, hapi, engine).survey()
    err = refused(hapi(None, "POST", f"/api/v1/surveys/{token}",
                       json={"answers": all_fives({"A1": True})}), 422)
    assert err["field"] == "answers.A1"
    assert hapi(None, "POST", f"/api/v1/surveys/{token}", json={"answers": all_fives()}).status_code == 201


# -- idempotency --------------------------------------------------------------------------------
def test_an_idempotency_key_reused_with_another_body_is_422(hapi, engine):
    h = {"Idempotency-Key": "k-16"}
    first = hapi("clerk", "POST", "/api/v1/dossiers", json=INTAKE, headers=h)
    assert first.status_code == 201
    other = {**INTAKE, "applicant": {**INTAKE["applicant"], "name": "Trần Văn Bình"}}
    err = refused(hapi("clerk", "POST", "/api/v1/dossiers", json=other, headers=h), 422)
    assert err["code"] == "idempotency_key_reused" and err["field"] == "Idempotency-Key"
    again = hapi("clerk", "POST", "/api/v1/dossiers", json=INTAKE, headers=h)
    assert again.status_code == 201 and again.get_json()["code"] == first.get_json()["code"]
    assert counts(engine)[0] == 1
