"""Deadlines on SQLite and PostgreSQL with a controlled clock: one notification per
threshold crossing across repeated and concurrent sweeps; postponement once, on the
business calendar; deadlines that explain themselves."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from tests.conftest import vn
from tests.integration.conftest import INTAKE
from workflow.adapters.tables import outbox
from workflow.adapters.tables_followup import escalations, notifications
from workflow.services.deadlines.escalation import sweep


def n_rows(engine, table, *where):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def start(api):
    r = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE)
    code = r.get_json()["code"]
    assert api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={}).status_code == 200
    return code


def test_each_crossing_notifies_once(api, ctx, clock, engine):
    code = start(api)  # Monday 09:00: step TD due Tuesday 14:00, dossier due Thursday 09:00
    assert sweep(ctx) == {"dossier_overdue": 0, "dossier_due_soon": 0, "step_overdue": 0,
                          "step_due_soon": 0, "notifications": 0}
    clock.at = vn(2026, 3, 2, 15, 0)
    counts = sweep(ctx)
    assert counts["step_due_soon"] == 1 and counts["dossier_due_soon"] == 0
    assert counts["notifications"] == 2  # officer kt of T1.KT and supervisor boss of T1
    assert sweep(ctx)["notifications"] == 0  # the same crossing never fires twice
    clock.at = vn(2026, 3, 3, 15, 0)
    assert sweep(ctx)["step_overdue"] == 1
    clock.at = vn(2026, 3, 4, 10, 0)
    assert sweep(ctx)["dossier_due_soon"] == 1
    clock.at = vn(2026, 3, 5, 10, 0)
    counts = sweep(ctx)
    assert counts["dossier_overdue"] == 1 and counts["step_overdue"] == 0
    assert n_rows(engine, escalations) == 4
    mine = api("kt", "GET", "/api/v1/notifications").get_json()
    assert mine["total"] == 4 and all(code in n["message"] for n in mine["items"])
    assert {n["kind"] for n in mine["items"]} == {"step_due_soon", "step_overdue", "dossier_due_soon",
                                                  "dossier_overdue"}
    assert api("clerk", "GET", "/api/v1/notifications").get_json()["total"] == 0


def test_concurrent_sweeps_notify_once(api, ctx, clock, engine):
    for _ in range(5):
        start(api)
    clock.at = vn(2026, 3, 4, 10, 0)  # every step overdue, every dossier due soon
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: sweep(ctx), range(8)))
    assert sum(r["step_overdue"] for r in results) == 5
    assert sum(r["dossier_due_soon"] for r in results) == 5
    assert sum(r["notifications"] for r in results) == 20
    assert n_rows(engine, notifications) == 20


def test_a_step_sent_back_is_a_new_deadline(api, ctx, clock):
    code = start(api)
    api("kt", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={})
    clock.at = vn(2026, 3, 3, 15, 0)  # step THUE (half a day from Monday 09:00) is overdue
    assert sweep(ctx)["step_overdue"] == 1
    r = api("tax", "POST", f"/api/v1/dossiers/{code}/actions/send_back", json={"note": "bổ sung thẩm định"})
    assert r.status_code == 200
    clock.at = vn(2026, 3, 5, 16, 0)  # TD again, 1.5 days from Tuesday 15:00: overdue again
    assert sweep(ctx)["step_overdue"] == 1
    assert sweep(ctx)["step_overdue"] == 0


def test_a_closed_or_ready_dossier_is_not_swept(api, ctx, clock):
    code = start(api)
    for user in ("kt", "tax", "ld"):
        api(user, "POST", f"/api/v1/dossiers/{code}/actions/forward", json={})
    api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/complete", json={})
    clock.at = vn(2026, 3, 20, 10, 0)
    assert sum(v for k, v in sweep(ctx).items() if k != "notifications") == 0


def test_postpone_once_notifies_the_desk_and_mails_the_apology(api, ctx, clock, engine):
    code = start(api)
    clock.at = vn(2026, 3, 3, 9, 0)
    body = {"reason": "chờ kết quả xác minh của cơ quan thuế", "new_due_at": "2026-03-10"}
    r = api("kt", "POST", f"/api/v1/dossiers/{code}/actions/postpone", json=body)
    assert r.status_code == 200, r.get_json()
    d = r.get_json()
    assert d["postponed_to"] == vn(2026, 3, 10, 17, 0).isoformat()
    assert d["appointment_at"] == vn(2026, 3, 5, 9, 0).isoformat() and d["due_at"] == d["postponed_to"]
    desk = api("clerk", "GET", "/api/v1/notifications").get_json()
    assert desk["total"] == 1 and "10/03/2026" in desk["items"][0]["message"]
    with engine.connect() as conn:
        assert "dossier.postponed" in conn.execute(select(outbox.c.topic)).scalars().all()
    again = api("kt", "POST", f"/api/v1/dossiers/{code}/actions/postpone",
                json={"reason": "lần nữa", "new_due_at": "2026-03-12"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "postponement_refused"
    clock.at = vn(2026, 3, 6, 10, 0)  # past the first appointment, before the new one
    assert sweep(ctx)["dossier_overdue"] == 0
    clock.at = vn(2026, 3, 11, 9, 0)  # past the new date: a new crossing of the new deadline
    assert sweep(ctx)["dossier_overdue"] == 1 and sweep(ctx)["dossier_overdue"] == 0


def test_postpone_refusals(api, clock):
    code = start(api)
    bad = [({"reason": "x", "new_due_at": "2026-03-07"}, 422),          # a Saturday
           ({"reason": "x", "new_due_at": "2026-03-04"}, 422),          # before the appointment
           ({"reason": "x", "new_due_at": "2026-03-10T20:00:00+07:00"}, 422),  # after office hours
           ({"reason": "", "new_due_at": "2026-03-10"}, 422),
           ({"reason": "x"}, 422)]
    for body, status in bad:
        r = api("kt", "POST", f"/api/v1/dossiers/{code}/actions/postpone", json=body)
        assert r.status_code == status, (body, r.get_json())
    assert api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/postpone",
               json={"reason": "x", "new_due_at": "2026-03-10"}).status_code == 403
    clock.at = vn(2026, 3, 4, 10, 0)  # less than a working day before Thursday 09:00
    r = api("kt", "POST", f"/api/v1/dossiers/{code}/actions/postpone",
            json={"reason": "x", "new_due_at": "2026-03-10"})
    assert r.status_code == 409


def test_deadline_explains_itself(api, clock):
    clock.at = vn(2026, 2, 13, 10, 0)  # Friday before Tết 2026
    code = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE).get_json()["code"]
    steps = [("clerk", "forward", {}, None),
             ("kt", "request_supplement", {"missing": ["UQ"], "reason": "nộp thay cần ủy quyền"},
              vn(2026, 2, 23, 9, 0)),
             ("clerk", "supplement", {"documents": ["UQ"]}, vn(2026, 2, 24, 9, 0))]
    for user, action, body, at in steps:
        clock.at = at or clock.at
        r = api(user, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json=body)
        assert r.status_code == 200, r.get_json()
    x = api("boss", "GET", f"/api/v1/dossiers/{code}/deadline").get_json()
    assert x["budget_minutes"] == 3 * 480 and x["on_supplement"] == "restart"
    assert x["appointment_at"] == x["due_at"] == vn(2026, 2, 27, 9, 0).isoformat()  # 3 full days again
    assert [p["working_minutes"] for p in x["pauses"]] == [480]
    assert x["pauses"][0]["reason"] == "nộp thay cần ủy quyền"
    holders = {h["holder"]: h["working_minutes"] for h in x["holders"]}
    assert holders == {"T1": 0, "T1.KT": 120 + 240 + 60, "citizen": 480}
    holidays = [s["day"] for s in x["skipped_days"] if s["reason"] == "holiday"]
    assert holidays == [f"2026-02-{d}" for d in range(16, 21)]
    assert all(s["name"] for s in x["skipped_days"] if s["reason"] == "holiday")
