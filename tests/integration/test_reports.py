"""Reports on SQLite and PostgreSQL against a hand-counted fixture: 33 dossiers in varied
states, built through the use cases with a fake clock, and form II.06a figures written
by hand below (each dossier's fate is noted where it is built). Also the dashboard, its
drill-down, the bottleneck view, the exports and the supervisor's pages."""
from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from tests.conftest import vn
from tests.integration.report_fixtures import (H, K, X, build_dashboard_fixture, build_report_fixture,
                                               world)  # noqa: F401  (world is a fixture)
from web import create_app
from workflow.services.reports import dashboard
from workflow.services.reports import statistics as reports

F = reports.COLUMNS
# received, carried, new, online, in person/post, resolved, early, on time, late,
# pending, within, overdue, returned, rejected, withdrawn
EXPECTED = {
    ("T1", H): (20, 9, 11, 4, 7, 9, 2, 3, 4, 9, 5, 4, 2, 1, 1),
    ("T1", K): (3, 1, 2, 1, 1, 2, 1, 0, 1, 0, 0, 0, 1, 1, 0),
    ("TAX", X): (2, 0, 2, 0, 2, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0),
}
TOTAL = (25, 10, 15, 5, 10, 12, 4, 3, 5, 10, 5, 5, 4, 2, 1)


def figures(row):
    return tuple(row[k] for k in F)


def test_summary_matches_the_hand_count(world, api, clock):
    build_report_fixture(world)
    r = api("root", "GET", "/api/v1/reports/summary?from=2026-03-09&to=2026-03-13")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    got = {(row["agency"], row["procedure_code"]): figures(row) for row in body["rows"]}
    assert got == EXPECTED
    assert figures(body["total"]) == TOTAL
    assert body["from"] == "2026-03-09" and body["to"] == "2026-03-13"
    for row in body["rows"]:  # every received dossier ends the period in exactly one place
        assert row["received_total"] == row["carried"] + row["new_total"] == \
            row["resolved_total"] + row["pending_total"] + row["rejected"] + row["withdrawn"]
    names = {row["procedure_code"]: row["procedure_name"] for row in body["rows"]}
    assert names[H] == "Đăng ký thành lập hộ kinh doanh"
    # a supervisor sees their own agency; agency= narrows; another agency is refused
    r = api("boss", "GET", "/api/v1/reports/summary?from=2026-03-09&to=2026-03-13").get_json()
    assert {(row["agency"], row["procedure_code"]) for row in r["rows"]} == {("T1", H), ("T1", K)}
    r = api("root", "GET", "/api/v1/reports/summary?from=2026-03-09&to=2026-03-13&agency=TAX").get_json()
    assert [figures(row) for row in r["rows"]] == [EXPECTED[("TAX", X)]]
    assert api("boss", "GET", "/api/v1/reports/summary?agency=TAX").status_code == 403
    assert api("clerk", "GET", "/api/v1/reports/summary").status_code == 403
    assert api(None, "GET", "/api/v1/reports/summary").status_code == 401
    r = api("root", "GET", "/api/v1/reports/summary?from=2026-03-13&to=2026-03-09")
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "to"


def test_a_period_not_over_judges_pending_dossiers_now(world, api):
    build_report_fixture(world)  # now: Wed 18 March 10:00; K4 is due at 14:00, not yet late
    body = api("root", "GET", "/api/v1/reports/summary?from=2026-03-16&to=2026-03-18").get_json()
    got = {(row["agency"], row["procedure_code"]): figures(row) for row in body["rows"]}
    assert got[("T1", H)] == (10, 9, 1, 0, 1, 2, 1, 0, 1, 8, 3, 5, 0, 0, 0)
    assert got[("T1", K)] == (1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0)


def test_exports_open_and_match_the_api(world, api):
    build_report_fixture(world)
    q = "/api/v1/reports/summary?from=2026-03-09&to=2026-03-13"
    body = api("root", "GET", q).get_json()
    r = api("root", "GET", q + "&format=xlsx")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    assert r.mimetype.endswith("spreadsheetml.sheet")
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    summary, log = (list(ws.iter_rows(values_only=True)) for ws in wb.worksheets)
    assert summary[0][4] == "Tổng số hồ sơ nhận giải quyết"
    assert [tuple(x[4:]) for x in summary[1:-1]] == [figures(row) for row in body["rows"]]
    assert [tuple(x[:3:2]) for x in summary[1:-1]] == [(row["agency"], row["procedure_code"])
                                                       for row in body["rows"]]
    assert summary[-1][1] == "Tổng cộng" and tuple(summary[-1][4:]) == TOTAL
    dossiers_ = log[1:]
    assert len(dossiers_) == 27  # H: 20 received + H2; K: 3; X: 2 received + X3
    column = {name: i for i, name in enumerate(log[0])}
    def tally(col, value):
        return sum(1 for x in dossiers_ if x[column[col]] == value)
    assert (tally("Tiếp nhận", "carried"), tally("Tiếp nhận", "new")) == (10, 15)
    assert (tally("Kết quả", "early"), tally("Kết quả", "on_time"), tally("Kết quả", "late")) == (4, 3, 5)
    assert (tally("Tồn cuối kỳ", "within"), tally("Tồn cuối kỳ", "overdue")) == (5, 5)
    assert tally("Kết thúc trong kỳ", "returned") == 4
    r = api("root", "GET", q + "&format=csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert [tuple(int(v) for v in x[4:]) for x in rows[1:-1]] == [figures(row) for row in body["rows"]]
    r = api("root", "GET", q + "&format=csv&rows=dossiers")
    assert len(list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))) == 28
    assert api("root", "GET", q + "&format=pdf").status_code == 422
    assert api("boss", "GET", "/api/v1/reports/summary?agency=TAX&format=xlsx").status_code == 403


def counts(items, *keys):
    return {tuple(i[k] for k in keys): {b: i[b] for b in ("total", *dashboard.BUCKETS) if i[b]}
            for i in items}


def test_dashboard_counts_and_drill_down(world, api, engine):
    c = build_dashboard_fixture(world)
    body = api("boss", "GET", "/api/v1/reports/dashboard?weeks=2").get_json()
    assert body["soon"] == vn(2026, 3, 12, 10).isoformat()
    assert {k: v for k, v in body["total"].items() if v} == dict(
        total=7, overdue=1, today=1, soon=1, on_track=1, paused=1, awaiting=1, ready=1)
    assert counts(body["by_agency"], "agency") == {
        ("T1.KT",): dict(total=3, overdue=1, on_track=1, paused=1),
        ("TAX",): dict(total=1, today=1), ("T1",): dict(total=3, soon=1, awaiting=1, ready=1)}
    assert body["by_agency"][0]["agency"] == "T1.KT"  # most overdue first
    assert counts(body["by_step"], "procedure_code", "step") == {
        (H, "TD"): dict(total=3, overdue=1, on_track=1, paused=1), (H, "THUE"): dict(total=1, today=1),
        (H, None): dict(total=3, soon=1, awaiting=1, ready=1)}
    assert counts(body["by_officer"], "agency", "officer") == {
        ("T1.KT", "kt"): dict(total=2, on_track=1, paused=1),
        ("T1.KT", dashboard.UNASSIGNED): dict(total=1, overdue=1),
        ("TAX", dashboard.UNASSIGNED): dict(total=1, today=1),
        ("T1", dashboard.UNASSIGNED): dict(total=3, soon=1, awaiting=1, ready=1)}
    assert [(w["week"], w["early"], w["late"], w["rate"]) for w in body["on_time_by_week"]] == [
        ("2026-W10", 1, 1, 0.5), ("2026-W11", 0, 0, None)]
    admin = api("root", "GET", "/api/v1/reports/dashboard").get_json()
    assert admin["total"]["overdue"] == 2 and admin["total"]["total"] == 8
    with engine.begin() as conn:
        from workflow.adapters.users import create_user, issue_token
        create_user(conn, "taxboss", "supervisor", "TAX")
        token = issue_token(conn, "taxboss")
    r = api(None, "GET", "/api/v1/reports/dashboard", headers={"Authorization": f"Bearer {token}"})
    assert r.get_json()["total"]["total"] == 2  # received at TAX (D9), or at a TAX step (D2)
    # drill-down: most urgent first, paginated
    d = api("boss", "GET", "/api/v1/reports/dashboard/dossiers").get_json()
    assert d["total"] == 7
    assert [i["code"] for i in d["items"]] == [c[k] for k in ("D7", "D1", "D2", "D3", "D4", "D5", "D6")]
    d = api("boss", "GET", "/api/v1/reports/dashboard/dossiers?bucket=overdue").get_json()
    assert [(i["code"], i["holder"], i["step"]) for i in d["items"]] == [(c["D1"], "T1.KT", "TD")]
    d = api("boss", "GET", "/api/v1/reports/dashboard/dossiers?officer=kt&per_page=1&page=2").get_json()
    assert d["total"] == 2 and [i["code"] for i in d["items"]] == [c["D5"]]
    d = api("boss", "GET", "/api/v1/reports/dashboard/dossiers?procedure=1.001612&step=-").get_json()
    assert [i["code"] for i in d["items"]] == [c[k] for k in ("D7", "D3", "D6")]  # at the desk
    assert api("boss", "GET", "/api/v1/reports/dashboard/dossiers?bucket=x").status_code == 422
    assert api("kt", "GET", "/api/v1/reports/dashboard").status_code == 403


def test_bottlenecks_median_and_p90_per_step(world, api, ctx, engine):
    b1 = world.take(H, vn(2026, 3, 2, 8))
    for who, action, at in (("clerk", "forward", vn(2026, 3, 2, 9)), ("kt", "forward", vn(2026, 3, 2, 11)),
                            ("tax", "forward", vn(2026, 3, 2, 14)), ("ld", "forward", vn(2026, 3, 3, 9)),
                            ("clerk", "complete", vn(2026, 3, 3, 10))):
        world.act(b1, who, action, at)       # TD 120, THUE 120, PD 240, TKQ 60 working minutes
    b2 = world.take(H, vn(2026, 3, 2, 9))
    for who, action, at in (("clerk", "forward", vn(2026, 3, 2, 9)), ("kt", "forward", vn(2026, 3, 3, 9)),
                            ("tax", "forward", vn(2026, 3, 3, 10)), ("ld", "forward", vn(2026, 3, 3, 11)),
                            ("clerk", "complete", vn(2026, 3, 3, 11, 30))):
        world.act(b2, who, action, at)       # TD 480, THUE 60, PD 60, TKQ 30
    b3 = world.take(H, vn(2026, 3, 2, 9))
    world.act(b3, "clerk", "forward", vn(2026, 3, 2, 9))
    world.act(b3, "kt", "forward", vn(2026, 3, 2, 10))                                # TD 60
    world.act(b3, "tax", "send_back", vn(2026, 3, 2, 13, 30), note="thiếu thông tin")  # THUE 150
    world.act(b3, "kt", "forward", vn(2026, 3, 2, 16, 30))                            # TD 180
    world.clock.at = vn(2026, 3, 4, 9)
    body = api("boss", "GET", "/api/v1/reports/bottlenecks?from=2026-03-02&to=2026-03-03").get_json()
    got = {i["step"]: (i["visits"], i["median_minutes"], i["p90_minutes"], i["budget_minutes"])
           for i in body["items"]}
    assert got == {"TD": (4, 150, 390, 720), "THUE": (3, 120, 144, 240), "PD": (2, 150, 222, 240),
                   "TKQ": (2, 45, 57, 240)}
    assert [i["step"] for i in body["items"]] == ["TD", "THUE", "PD", "TKQ"]
    assert body["sample"] == 11 and body["sampled"] is False
    r = api("boss", "GET", "/api/v1/reports/bottlenecks?from=2026-03-02&to=2026-03-03&procedure=1.001193")
    assert r.get_json()["items"] == []
    assert api("boss", "GET", "/api/v1/reports/bottlenecks?from=2025-01-01&to=2026-03-03").status_code == 422
    with engine.connect() as conn:
        p = reports.period(date(2026, 3, 2), date(2026, 3, 3), ctx.calendar.tz)
        every = reports.Scope(None, ("T1", "T1.KT", "T1.LD", "TAX"), everything=True)
        small = dashboard.bottlenecks(conn, every, p, ctx.calendar, max_dossiers=2)
    assert (small["dossiers"], small["every"], small["sampled"]) == (3, 2, True)
    assert small["sample"] == 4  # every 2nd dossier by id: b2, its four visits


@pytest.fixture
def pages(ctx, db_url, catalog, tokens):
    return create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False}, context=ctx)


def login(app, username):
    client = app.test_client()
    r = client.post("/dang-nhap", data={"username": username, "password": f"pw-{username}"})
    assert r.status_code == 302
    return client


def test_supervisor_pages(world, pages):
    build_report_fixture(world)
    anonymous = pages.test_client().get("/giam-sat")
    assert anonymous.status_code == 302 and "/dang-nhap" in anonymous.headers["Location"]
    assert login(pages, "clerk").get("/giam-sat").status_code == 403
    boss = login(pages, "boss")
    html = boss.get("/giam-sat").get_data(as_text=True)
    assert "Quá hạn" in html and "<svg" in html and "T1.KT" in html
    html = boss.get("/giam-sat/ho-so?bucket=overdue").get_data(as_text=True)
    assert "Hồ sơ" in html
    r = boss.get("/giam-sat/bao-cao?from=2026-03-09&to=2026-03-13")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "II.06a" in html and "format=xlsx" in html
    assert ">20<" in html  # T1, 1.001612 received
    r = boss.get("/giam-sat/bao-cao/tai-ve?from=2026-03-09&to=2026-03-13&format=xlsx")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.data))
    assert [tuple(x[4:]) for x in list(wb.worksheets[0].iter_rows(values_only=True))[1:-1]] == [
        EXPECTED[("T1", K)], EXPECTED[("T1", H)]]  # ordered by agency, procedure code
    assert boss.get("/giam-sat/bao-cao?agency=TAX").status_code == 403
