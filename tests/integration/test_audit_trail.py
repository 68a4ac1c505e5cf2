"""The audit trail cannot be rewritten (migration 0008: the database refuses UPDATE,
DELETE and, on PostgreSQL, TRUNCATE of dossier_events), and a dossier's full trail
exports as JSON or CSV for administrators and the supervisors involved."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.integration.conftest import INTAKE
from tests.integration.test_staff_pages import login
from web import create_app
from workflow.adapters.tables import dossier_events
from workflow.adapters.users import create_user, issue_token


def trail_rows(engine):
    with engine.connect() as conn:
        return conn.execute(select(dossier_events).order_by(dossier_events.c.dossier_id,
                                                            dossier_events.c.seq)).all()


@pytest.fixture
def lifecycle(api, clock):
    """A dossier taken in and forwarded twice: three events by three people."""
    r = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE)
    assert r.status_code == 201, r.get_json()
    code = r.get_json()["code"]
    for user in ("clerk", "kt"):
        clock.advance(hours=1)
        assert api(user, "POST", f"/api/v1/dossiers/{code}/actions/forward", json={"note": "ok"}).status_code == 200
    return code


@pytest.mark.parametrize("statement", [
    update(dossier_events).values(actor="someone-else"),
    update(dossier_events).values(to_state="returned").where(dossier_events.c.seq == 1),
    delete(dossier_events),
    delete(dossier_events).where(dossier_events.c.seq == 3),
], ids=["update-all", "update-one", "delete-all", "delete-one"])
def test_the_database_refuses_to_change_events(lifecycle, engine, statement):
    before = trail_rows(engine)
    assert len(before) == 3
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(statement)
    assert trail_rows(engine) == before


def test_truncate_is_refused_on_postgresql(lifecycle, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE dossier_events CASCADE"))
    assert len(trail_rows(engine)) == 3


def test_inserting_events_still_works(lifecycle, engine, api):
    """The engine appends: a further action adds one more event."""
    assert api("tax", "POST", f"/api/v1/dossiers/{lifecycle}/actions/forward", json={}).status_code == 200
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(dossier_events)).scalar_one() == 4


def test_admin_exports_the_full_trail_as_json_and_csv(lifecycle, api):
    r = api("root", "GET", f"/api/v1/dossiers/{lifecycle}/trail")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["code"] == lifecycle and body["exported_by"] == "root"
    events = body["events"]
    assert [(e["seq"], e["actor"], e["action"], e["from_state"], e["to_state"]) for e in events] == [
        (1, "clerk", "intake", None, "received"),
        (2, "clerk", "forward", "received", "in_progress@TD"),
        (3, "kt", "forward", "in_progress@TD", "in_progress@THUE")]
    assert events[2]["step"] == "THUE" and events[2]["data"]["to_agency"] == "TAX"
    assert events[1]["at"].endswith("+07:00") and events[1]["note"] == "ok"

    r = api("root", "GET", f"/api/v1/dossiers/{lifecycle}/trail?format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert f"nhat-ky_{lifecycle}.csv" in r.headers["Content-Disposition"]
    lines = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(int(x["seq"]), x["actor"], x["action"], x["to_state"]) for x in lines] == [
        (e["seq"], e["actor"], e["action"], e["to_state"]) for e in events]
    assert lines[0]["at"] == events[0]["at"] and '"to_agency": "TAX"' in lines[2]["data"]


def test_trail_export_refusals_change_nothing(lifecycle, api, engine):
    birth = api("clerk", "POST", "/api/v1/dossiers", json={**INTAKE, "procedure_code": "1.001193",
                                                          "documents": ["TK", "GCS"]}).get_json()["code"]
    before = trail_rows(engine)
    with engine.begin() as conn:  # the tax office's supervisor: involved in one, not the other
        create_user(conn, "boss-tax", "supervisor", "TAX", "pw-boss-tax")
        tax_boss = {"Authorization": f"Bearer {issue_token(conn, 'boss-tax')}"}
    path = f"/api/v1/dossiers/{lifecycle}/trail"
    assert api(None, "GET", path).status_code == 401
    assert api("clerk", "GET", path).status_code == 403  # counter staff
    assert api("kt", "GET", path).status_code == 403  # an officer
    assert api(None, "GET", path, headers=tax_boss).status_code == 200  # a step of it is theirs
    assert api(None, "GET", f"/api/v1/dossiers/{birth}/trail", headers=tax_boss).status_code == 403
    assert api("boss", "GET", path).status_code == 200  # supervisor of the receiving agency
    r = api("root", "GET", path + "?format=xml")
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "format"
    assert api("root", "GET", "/api/v1/dossiers/T1-000000-9999/trail").status_code == 404
    assert trail_rows(engine) == before


@pytest.fixture
def web(ctx, db_url, catalog, tokens):
    return create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False}, context=ctx)


def test_trail_download_from_the_pages(lifecycle, web):
    boss = login(web, "boss")
    page = boss.get(f"/ho-so/{lifecycle}").get_data(as_text=True)
    assert f"/ho-so/{lifecycle}/nhat-ky.csv" in page
    r = boss.get(f"/ho-so/{lifecycle}/nhat-ky.csv")
    assert r.status_code == 200 and r.get_data(as_text=True).count("\n") == 4  # header + 3 events
    clerk = login(web, "clerk")
    assert f"/ho-so/{lifecycle}/nhat-ky.csv" not in clerk.get(f"/ho-so/{lifecycle}").get_data(as_text=True)
    assert clerk.get(f"/ho-so/{lifecycle}/nhat-ky.csv").status_code == 403

    admin = login(web, "root")
    assert "/quan-tri/nhat-ky" in admin.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert admin.get("/quan-tri/nhat-ky").status_code == 200
    r = admin.get(f"/quan-tri/nhat-ky?ma={lifecycle}")
    assert r.status_code == 200 and r.mimetype == "text/csv" and "kt,forward" in r.get_data(as_text=True)
    r = admin.get("/quan-tri/nhat-ky?ma=KHONG-CO")
    assert r.status_code == 404 and "KHONG-CO" in r.get_data(as_text=True)
    assert boss.get("/quan-tri/nhat-ky").status_code == 403
