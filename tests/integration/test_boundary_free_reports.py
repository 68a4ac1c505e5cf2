"""Reports from both sides of reception regardless of administrative boundaries (issue 22,
item 4): a point sees what it received for others and what waits at its counter; a unit
sees what came from other points and how long the hand-overs took."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.integration.test_any_counter import USERS, city, take_in  # noqa: F401 (fixture)
from workflow.adapters.users import create_user, issue_token
from workflow.domain.dossier import Actor
from workflow.services.dossiers import use_cases

STAFF = dict(USERS, wb_boss=("supervisor", "WB"), wa_ld=("officer", "WA.LD"))
PERIOD = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def scenario(city, ctx, clock, engine):  # noqa: F811
    """d1 WA for WB, waiting at WA; d2 WA for WB, returned at C.PV; d3 WB for WB (not
    boundary-free), returned; d4 C.PV for WA, returned at WB."""
    d1 = take_in(ctx)
    clock.advance(minutes=30)
    act(ctx, "wa", d1.code, "forward")
    d2 = take_in(ctx, return_at="C.PV")
    clock.advance(minutes=60)
    act(ctx, "wa", d2.code, "forward")
    d3 = take_in(ctx, clerk="wb")
    act(ctx, "wb", d3.code, "forward")
    d4 = take_in(ctx, clerk="pv", unit="WA", return_at="WB")
    clock.advance(minutes=10)
    act(ctx, "pv", d4.code, "forward")
    for code in (d1.code, d2.code, d3.code):
        act(ctx, "wb_tp", code, "forward")
        act(ctx, "wb_ld", code, "forward")
        act(ctx, "wb", code, "complete")
    act(ctx, "wa_tp", d4.code, "forward")
    act(ctx, "wa_ld", d4.code, "forward")
    act(ctx, "wa", d4.code, "complete")
    clock.advance(minutes=30)
    act(ctx, "wb", d4.code, "return_result")
    act(ctx, "wb", d3.code, "return_result")
    clock.advance(minutes=90)
    act(ctx, "pv", d2.code, "return_result")
    return d1, d2, d3, d4


def act(ctx, user, code, action):
    dossier, _ = use_cases.get(ctx, code)
    use_cases.act(ctx, Actor(user, *STAFF[user]), code, action, {"version": dossier.version})


def test_the_hand_over_moment_is_kept_once_and_backfilled(scenario, ctx, clock, engine):
    """hand_over.to_unit reads dossiers.handed_over_at (migration 0030): the first forward
    out of received, written by that forward and moved by no later one (a send_back to the
    first step and its forward again included); the migration's backfill gives dossiers
    forwarded before it the same moment from their events."""
    import importlib.util
    from pathlib import Path
    from sqlalchemy import func, select, update
    from workflow.adapters.tables import dossier_events, dossiers
    d5 = take_in(ctx)
    clock.advance(minutes=20)
    act(ctx, "wa", d5.code, "forward")
    clock.advance(minutes=5)
    act(ctx, "wb_tp", d5.code, "forward")
    dossier, _ = use_cases.get(ctx, d5.code)
    use_cases.act(ctx, Actor("wb_ld", *STAFF["wb_ld"]), d5.code, "send_back",
                  {"version": dossier.version, "note": "làm lại"})
    clock.advance(minutes=5)
    act(ctx, "wb_tp", d5.code, "forward")
    e = dossier_events.c

    def moments():
        with engine.connect() as conn:
            return dict(conn.execute(select(dossiers.c.code, dossiers.c.handed_over_at)).all())
    with engine.connect() as conn:
        first = dict(conn.execute(
            select(dossiers.c.code, func.min(e.at)).join(dossier_events, e.dossier_id == dossiers.c.id)
            .where(e.action == "forward", e.from_state == "received").group_by(dossiers.c.code)).all())
        assert conn.execute(select(func.count()).where(e.action == "send_back")).scalar_one() == 1
        received = conn.execute(select(dossiers.c.received_at).where(dossiers.c.code == d5.code)).scalar_one()
    kept = moments()
    assert set(kept) == set(first) == {d.code for d in (*scenario, d5)}
    assert kept == first
    assert (kept[d5.code] - received).total_seconds() == 20 * 60  # the desk's forward, not a later one
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0030_handed_over_at.py"
    spec = importlib.util.spec_from_file_location("m0030", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with engine.begin() as conn:
        conn.execute(update(dossiers).values(handed_over_at=None))
        module.backfill(conn)
    assert moments() == kept


@pytest.fixture
def call(scenario, client, engine):
    tokens = {}
    with engine.begin() as conn:
        for name, (role, agency) in STAFF.items():
            create_user(conn, name, role, agency, "pw-" + name)
            tokens[name] = issue_token(conn, name)

    def get(user, path):
        return client.get(path, headers={"Authorization": f"Bearer {tokens[user]}"})
    return get


def test_the_competent_unit_sees_what_came_from_other_points_and_the_hand_overs(call):
    r = call("wb_boss", f"/api/v1/reports/boundary-free?{PERIOD}")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["agency"] == "WB"
    assert body["received_for_others"] == {"total": 0, "items": []}  # d3 is its own
    assert body["received_elsewhere"] == {"total": 2, "items": [{"receiving_point": "WA", "count": 2}]}
    hand = body["hand_over"]
    assert hand["dossiers"] == 2
    # d1 forwarded 30 min after reception, d2 60: interpolated as percentile_cont
    assert hand["to_unit"] == {"count": 2, "median_minutes": 45.0, "p90_minutes": 57.0}
    # only d2 is collected away from WB (at C.PV): ready, then returned 120 min later
    assert hand["to_return_point"] == {"count": 1, "median_minutes": 120.0, "p90_minutes": 120.0}
    assert body["awaiting_collection"] == {"count": 0, "oldest": []}  # d4 was collected at WB


def test_the_receiving_point_sees_what_it_received_for_others_and_what_waits(call, scenario):
    d1 = scenario[0]
    body = call("wa_boss", f"/api/v1/reports/boundary-free?{PERIOD}").get_json()
    assert body["received_for_others"] == {"total": 2, "items": [{"competent_unit": "WB", "count": 2}]}
    assert body["received_elsewhere"] == {"total": 1, "items": [{"receiving_point": "C.PV", "count": 1}]}
    assert body["hand_over"]["to_unit"] == {"count": 1, "median_minutes": 10.0, "p90_minutes": 10.0}
    # d4: WA's result, collected at WB 30 min after it was ready
    assert body["hand_over"]["to_return_point"]["median_minutes"] == 30.0
    waiting = body["awaiting_collection"]
    assert waiting["count"] == 1
    assert [(w["code"], w["receiving_point"], w["competent_unit"]) for w in waiting["oldest"]] == \
        [(d1.code, "WA", "WB")]
    assert waiting["oldest"][0]["ready_since"]
    pv = call("root", f"/api/v1/reports/boundary-free?agency=C.PV&{PERIOD}").get_json()
    assert pv["received_for_others"]["items"] == [{"competent_unit": "WA", "count": 1}]
    assert pv["received_elsewhere"]["total"] == 0 and pv["awaiting_collection"]["count"] == 0


def test_another_agencys_supervisor_and_the_counter_are_refused(call):
    assert call("wa_boss", f"/api/v1/reports/boundary-free?agency=WB&{PERIOD}").status_code == 403
    assert call("wb", f"/api/v1/reports/boundary-free?{PERIOD}").status_code == 403


@pytest.mark.parametrize("query, field", [("from=2026-13-01", "from"), ("to=yesterday", "to"),
                                          ("from=2026-03-10&to=2026-03-01", "to"),
                                          ("from=2020-01-01&to=2026-03-01", "to")])
def test_bad_dates_are_refused(call, query, field):
    r = call("wb_boss", f"/api/v1/reports/boundary-free?{query}")
    assert r.status_code == 422 and r.get_json()["error"]["field"] == field, r.get_json()


def test_a_period_without_the_dossiers_counts_none_but_what_waits_now(call):
    body = call("wa_boss", "/api/v1/reports/boundary-free?from=2026-02-01&to=2026-02-28").get_json()
    assert body["received_for_others"]["total"] == 0 and body["hand_over"]["dossiers"] == 0
    assert body["awaiting_collection"]["count"] == 1


def _figures(call, user, by, agency=""):
    body = call(user, f"/api/v1/reports/summary?{PERIOD}&by={by}{agency}").get_json()
    assert body["by"] == by
    return {row["agency"]: (row["received_total"], row["resolved_total"], row["returned"])
            for row in body["rows"]}, body["total"]


@pytest.mark.parametrize("rolled_up", [None, "before", "after"])
def test_ii06a_by_competent_unit_differs_from_by_receiving_point(call, ctx, engine, clock, rolled_up):
    """Counted directly; with the rollup's watermark before the dossiers (all hot); and
    after their day, d2-d4 in the boundary-free sums (report_bf_*) and d1 in the ready
    ones: the same figures each way."""
    if rolled_up:
        from workflow.adapters.tables_reports import report_bf_daily, report_bf_ready_daily
        from workflow.services.reports import rollup
        today = clock().astimezone(ctx.calendar.tz).date()
        if rolled_up == "after":
            clock.advance(days=1)
        with engine.begin() as conn:
            rollup.refresh(conn, today if rolled_up == "before" else today + timedelta(days=1),
                           ctx.calendar.tz, clock())
            assert rollup.watermark(conn) is not None
            held = [conn.execute(select(func.count()).select_from(t)).scalar()
                    for t in (report_bf_daily, report_bf_ready_daily)]
        assert (held[0] > 0 and held[1] > 0) == (rolled_up == "after"), held
    # WB received d3 only; it is competent for d1, d2 (received at WA) and d3
    assert _figures(call, "wb_boss", "receiving")[0] == {"WB": (1, 1, 1)}
    assert _figures(call, "wb_boss", "competent")[0] == {"WB": (3, 3, 2)}  # d1 waits at WA
    # WA received d1 and d2 for WB; it is competent for d4 only (received at C.PV)
    assert _figures(call, "wa_boss", "receiving")[0] == {"WA": (2, 2, 1)}
    assert _figures(call, "wa_boss", "competent")[0] == {"WA": (1, 1, 1)}
    # city-wide the totals agree, only the rows move
    by_point, total = _figures(call, "root", "receiving")
    by_unit, total_unit = _figures(call, "root", "competent")
    assert by_point == {"WA": (2, 2, 1), "WB": (1, 1, 1), "C.PV": (1, 1, 1)}
    assert by_unit == {"WA": (1, 1, 1), "WB": (3, 3, 2)}
    assert total == total_unit


def test_ii06a_by_competent_exports_the_forms_columns_and_bad_by_is_refused(call):
    plain = call("wb_boss", f"/api/v1/reports/summary?{PERIOD}&format=csv")
    unit = call("wb_boss", f"/api/v1/reports/summary?{PERIOD}&format=csv&by=competent")
    assert plain.status_code == unit.status_code == 200
    header = lambda r: r.get_data(as_text=True).lstrip("\ufeff").splitlines()[0]  # noqa: E731
    assert header(plain) == header(unit)
    assert "theo-co-quan-giai-quyet" in unit.headers["Content-Disposition"]
    log = call("wb_boss", f"/api/v1/reports/summary?{PERIOD}&format=csv&rows=dossiers&by=competent")
    lines = log.get_data(as_text=True).splitlines()[1:]
    assert sorted(line.split(",")[1] for line in lines) == ["WA", "WA", "WB"]  # their receiving points
    r = call("wb_boss", f"/api/v1/reports/summary?{PERIOD}&by=unit")
    assert r.status_code == 422 and r.get_json()["error"]["field"] == "by"


def test_the_supervisor_page_shows_both_sides(call, scenario, ctx, db_url):
    from web import create_app
    app = create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False}, context=ctx)
    browser = app.test_client()
    assert browser.post("/dang-nhap", data={"username": "wa_boss", "password": "pw-wa_boss"}).status_code == 302
    page = browser.get(f"/giam-sat/khong-dia-gioi?{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Đã tiếp nhận cho cơ quan khác giải quyết: 2" in html
    assert "Hồ sơ thuộc thẩm quyền, tiếp nhận tại điểm khác: 1" in html
    assert "Kết quả chờ trả tại quầy: 1" in html and scenario[0].code in html
    assert browser.get(f"/giam-sat/khong-dia-gioi?agency=WB&{PERIOD}").status_code == 403


def test_the_dashboard_by_competent_unit_counts_its_dossiers_at_other_points(call, ctx, scenario):
    waiting = take_in(ctx)  # at WA's desk for WB, not yet handed over: no step of WB holds it
    for user, total in (("wb_boss", 0), ("wa_boss", 2)):  # WA: it and d1, ready at its counter
        body = call(user, "/api/v1/reports/dashboard?by=receiving").get_json()
        assert (body["by"], body["total"]["total"]) == ("receiving", total), body["total"]
    body = call("wb_boss", "/api/v1/reports/dashboard?by=competent").get_json()
    assert body["by"] == "competent"
    assert body["total"]["total"] == 2 and body["total"]["ready"] == 1  # d1 and the new one
    assert {a["agency"] for a in body["by_agency"]} == {"WA"}  # both sit at WA's desk
    listed = call("wb_boss", "/api/v1/reports/dashboard/dossiers?by=competent").get_json()
    assert {i["code"] for i in listed["items"]} == {waiting.code, scenario[0].code}
    assert listed["total"] == 2
    assert call("wa_boss", "/api/v1/reports/dashboard?by=competent").get_json()["total"]["total"] == 0
    assert call("wb_boss", "/api/v1/reports/dashboard?by=x").status_code == 422


def test_the_ii06a_page_reads_by_competent_unit(call, ctx, db_url):
    from web import create_app
    app = create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False}, context=ctx)
    browser = app.test_client()
    assert browser.post("/dang-nhap", data={"username": "wb_boss", "password": "pw-wb_boss"}).status_code == 302
    plain = browser.get(f"/giam-sat/bao-cao?{PERIOD}").get_data(as_text=True)
    unit = browser.get(f"/giam-sat/bao-cao?{PERIOD}&by=competent").get_data(as_text=True)
    assert "không theo nơi tiếp nhận" in unit and "không theo nơi tiếp nhận" not in plain
    assert 'href="/giam-sat/bao-cao/tai-ve?format=xlsx&amp;from=2026-03-01&amp;to=2026-03-31&amp;by=competent"' in unit
    export = browser.get(f"/giam-sat/bao-cao/tai-ve?format=csv&by=competent&{PERIOD}")
    assert export.status_code == 200 and "theo-co-quan-giai-quyet" in export.headers["Content-Disposition"]
    assert browser.get(f"/giam-sat/bao-cao?{PERIOD}&by=x").status_code == 422
