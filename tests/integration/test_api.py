"""The REST API end to end on SQLite and PostgreSQL: intake, every action over HTTP,
documented errors that change nothing, idempotent intake, optimistic locking."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import vn
from tests.integration.conftest import INTAKE
from workflow.adapters.tables import dossier_events, dossiers, outbox


def counts(engine):
    with engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                     for t in (dossiers, dossier_events, outbox))


def intake(api, **changes):
    body = {**INTAKE, **changes}
    r = api("clerk", "POST", "/api/v1/dossiers", json=body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_catalog_is_public(api):
    r = api(None, "GET", "/api/v1/procedures")
    assert r.status_code == 200
    codes = {p["code"] for p in r.get_json()["items"]}
    assert codes == {"1.001612", "1.001193"}
    one = api(None, "GET", "/api/v1/procedures/1.001612").get_json()
    assert [d["code"] for d in one["documents"]] == ["GDN", "CCCD", "UQ"]
    assert one["inter_agency"] is True and one["fee"]["amount"] == 100000
    assert api(None, "GET", "/api/v1/procedures/9.999999").status_code == 404


def test_complete_intake_and_full_lifecycle(api, clock, engine):
    d = intake(api)
    assert d["status"] == "received"
    assert d["code"] == "T1-260302-0001"
    assert d["due_at"] == vn(2026, 3, 5, 9, 0).isoformat()
    assert d["allowed_actions"] == ["forward", "reject", "withdraw", "postpone"]
    code = d["code"]
    steps = [("clerk", "forward", {}), ("kt", "forward", {}), ("tax", "forward", {}),
             ("ld", "forward", {}), ("clerk", "complete", {}), ("clerk", "return_result", {})]
    for user, action, body in steps:
        clock.advance(hours=2)
        r = api(user, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json=body)
        assert r.status_code == 200, (action, r.get_json())
    final = api("boss", "GET", f"/api/v1/dossiers/{code}").get_json()
    # the action's answer carries the history it wrote (read with the dossier, plus the
    # new events): the same as what a later read finds stored
    assert r.get_json()["events"] == final["events"] and r.get_json()["version"] == final["version"]
    assert final["status"] == "returned" and final["closed_at"] is not None
    assert [e["seq"] for e in final["events"]] == list(range(1, 8))
    assert [e["action"] for e in final["events"]] == ["intake", "forward", "forward", "forward",
                                                      "forward", "complete", "return_result"]
    hop = final["events"][2]
    assert hop["data"]["from_agency"] == "T1.KT" and hop["data"]["to_agency"] == "TAX"
    with engine.connect() as conn:
        topics = conn.execute(select(outbox.c.topic).order_by(outbox.c.id)).scalars().all()
    assert topics[0] == "dossier.received" and topics[-1] == "dossier.closed"


def test_every_answer_carries_the_stored_history(api, clock):
    """Intake, a supplement request with its notice, the supplement, a send-back: after
    each, the history in the answer is the one a fresh read returns."""
    code = intake(api)["code"]
    steps = [("clerk", "forward", {}), ("kt", "request_supplement", {"missing": ["UQ"], "reason": "nộp thay cần ủy quyền"}),
             ("clerk", "supplement", {"documents": ["UQ"]}), ("kt", "forward", {}),
             ("tax", "send_back", {"note": "sai số liệu"})]
    for user, action, body in steps:
        clock.advance(hours=1)
        answer = api(user, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json=body)
        assert answer.status_code == 200, (action, answer.get_json())
        stored = api("boss", "GET", f"/api/v1/dossiers/{code}").get_json()
        assert answer.get_json()["events"] == stored["events"], action
        assert answer.get_json()["events"][-1]["action"] == action


def test_incomplete_intake_lists_everything_missing(api):
    d = intake(api, documents=[])
    assert d["status"] == "awaiting_documents"
    assert d["missing_documents"] == ["GDN", "CCCD"]
    assert d["due_at"] is None and d["received_at"] is None
    r = api("clerk", "POST", f"/api/v1/dossiers/{d['code']}/actions/supplement",
            json={"documents": ["GDN", "CCCD"]})
    assert r.status_code == 200 and r.get_json()["status"] == "received"
    assert r.get_json()["visits"] == 2


def test_codes_follow_the_daily_sequence(api, clock):
    first = intake(api)["code"]
    second = intake(api)["code"]
    clock.advance(days=1)
    third = intake(api)["code"]
    assert (first, second, third) == ("T1-260302-0001", "T1-260302-0002", "T1-260303-0001")


def test_idempotency_key_returns_the_same_dossier(api, engine):
    h = {"Idempotency-Key": "abc-123"}
    r1 = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE, headers=h)
    r2 = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE, headers=h)
    assert r1.status_code == r2.status_code == 201
    assert r1.get_json()["code"] == r2.get_json()["code"]
    assert r2.headers.get("Idempotent-Replayed") == "true"
    assert counts(engine)[0] == 1


@pytest.mark.parametrize("user,path,body,status,code,field", [
    ("clerk", "/api/v1/dossiers", {**INTAKE, "procedure_code": "9.999999"}, 404, "not_found", "procedure_code"),
    ("clerk", "/api/v1/dossiers", {**INTAKE, "documents": ["NOPE"]}, 422, "invalid_input", "documents"),
    ("clerk", "/api/v1/dossiers", {**INTAKE, "channel": "fax"}, 422, "invalid_input", "channel"),
    ("clerk", "/api/v1/dossiers", {**INTAKE, "applicant": {"name": ""}}, 422, "invalid_input", "applicant.name"),
    ("clerk", "/api/v1/dossiers", {**INTAKE, "extra": 1}, 422, "invalid_input", "extra"),
    ("stranger", "/api/v1/dossiers", INTAKE, 403, "forbidden", None),
    ("kt", "/api/v1/dossiers", INTAKE, 403, "forbidden", None),
    (None, "/api/v1/dossiers", INTAKE, 401, "unauthenticated", "Authorization"),
])
def test_bad_intakes_change_nothing(api, engine, user, path, body, status, code, field):
    before = counts(engine)
    r = api(user, "POST", path, json=body)
    assert r.status_code == status, r.get_json()
    err = r.get_json()["error"]
    assert err["code"] == code and err["field"] == field and err["message"]
    assert counts(engine) == before


def test_bad_json_is_400(api, client, tokens, engine):
    before = counts(engine)
    r = client.post("/api/v1/dossiers", data="{not json", content_type="application/json",
                    headers={"Authorization": f"Bearer {tokens['clerk']}"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_json"
    r = client.post("/api/v1/dossiers", data="[1]", content_type="application/json",
                    headers={"Authorization": f"Bearer {tokens['clerk']}"})
    assert r.status_code == 400
    assert counts(engine) == before


def test_actions_refused_with_documented_errors(api, engine):
    code = intake(api)["code"]
    base = f"/api/v1/dossiers/{code}/actions"
    before = counts(engine)
    r = api("clerk", "POST", f"{base}/complete", json={})
    assert r.status_code == 409
    assert r.get_json()["error"]["allowed"] == ["forward", "reject", "withdraw", "postpone"]
    assert api("kt", "POST", f"{base}/forward", json={}).status_code == 403      # wrong agency
    assert api("clerk", "POST", f"{base}/fly", json={}).status_code == 404        # unknown action
    assert api("clerk", "POST", f"{base}/reject", json={}).status_code == 422     # reason missing
    # a dossier that does not exist answers as one the caller may not see (403; admins 404)
    assert api("clerk", "POST", "/api/v1/dossiers/T1-000000-9999/actions/forward",
               json={}).status_code == 403
    r = api("clerk", "POST", f"{base}/forward", json={}, headers={"If-Match": "7"})
    assert r.status_code == 412 and r.get_json()["error"]["field"] == "If-Match"
    assert counts(engine) == before
    r = api("clerk", "POST", f"{base}/forward", json={}, headers={"If-Match": "1"})
    assert r.status_code == 200 and r.get_json()["version"] == 2


def test_list_filters_and_pagination(api, clock):
    codes = [intake(api)["code"] for _ in range(3)]
    intake(api, documents=[])
    api("clerk", "POST", f"/api/v1/dossiers/{codes[0]}/actions/forward", json={})
    r = api("kt", "GET", "/api/v1/dossiers?agency=T1.KT").get_json()
    assert [i["code"] for i in r["items"]] == [codes[0]]
    r = api("clerk", "GET", "/api/v1/dossiers?status=received&per_page=1&page=2").get_json()
    assert r["total"] == 2 and len(r["items"]) == 1 and r["page"] == 2
    clock.advance(days=10)
    r = api("clerk", "GET", "/api/v1/dossiers?overdue=true").get_json()
    assert r["total"] == 3 and all(i["overdue"] for i in r["items"])
    assert api("clerk", "GET", "/api/v1/dossiers?page=0").status_code == 422
    assert api("clerk", "GET", "/api/v1/dossiers?status=lost").status_code == 422


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    ops = {(p, m) for p, item in doc["paths"].items() for m in item}
    assert ("/api/v1/dossiers", "post") in ops
    assert ("/api/v1/dossiers/{code}/actions/{action}", "post") in ops
    assert "DossierIn" in doc["components"]["schemas"]
