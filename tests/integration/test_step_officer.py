"""The officer kept on the dossier row (step_officer, cán bộ xử lý) equals what the history
says, by the definition the dashboard searched the events with until migration 0011:
the actor of the latest event whose step is the current step and whose from_state is
'in_progress@' + that step. Dossiers go through the real use cases (supplement request,
postponement, send-back to a step visited before, forwards), on SQLite and PostgreSQL,
and the dashboard's counts and drill-downs are compared with the old definition's."""
from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

from sqlalchemy import case, func, literal, or_, select, true

from tests.conftest import vn
from tests.integration.report_fixtures import H, K, X, world  # noqa: F401  (world is a fixture)
from workflow.adapters.tables import dossier_events, dossiers
from workflow.domain.dossier import Actor
from workflow.services.reports import dashboard
from workflow.services.reports import statistics as reports

d, e = dossiers.c, dossier_events.c
MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0011_step_officer.py"
# the definition before migration 0011, kept here as the reference
REFERENCE = (select(e.actor).where(e.dossier_id == d.id, e.step == d.step_code,
                                   e.from_state == literal("in_progress@") + d.step_code)
             .order_by(e.seq.desc()).limit(1).scalar_subquery())


def _reference_open_dossiers(scope, m, only=None, by="receiving"):
    """dashboard._open_dossiers as it was: the officer searched in the history."""
    at_step = d.status.in_(dashboard.AT_STEP)
    bucket = case(
        (d.status == "awaiting_documents", "awaiting"), (d.status == "result_ready", "ready"),
        (or_(d.status == "supplement_requested", d.due_at.is_(None)), "paused"),
        (d.due_at < m.now, "overdue"), (d.due_at < m.end_of_today, "today"),
        (d.due_at <= m.soon, "soon"), else_="on_track")
    visible = true() if scope.everything else or_(d.agency.in_(scope.codes), d.step_agency.in_(scope.codes))
    rows = dashboard._bucket_rows(only, m)
    return select(
        d.id, d.code, d.procedure_code, d.status, d.agency, d.due_at, d.step_due_at, d.received_at,
        case((at_step, d.step_agency), else_=d.agency).label("holder"),
        case((at_step, d.step_code), else_=None).label("step"),
        func.coalesce(case((at_step, REFERENCE), else_=None), dashboard.UNASSIGNED).label("officer"),
        bucket.label("bucket"),
    ).where(visible, d.status.in_(dashboard.OPEN) if rows is None else rows).subquery("open_dossiers")


def _build(w) -> dict:
    """Now: Wed 18 March 2026 10:00. H = 1.001612: TD (T1.KT) -> THUE (TAX) -> PD (T1.LD) -> TKQ."""
    c = {}
    c["sent_back"] = w.take(H, vn(2026, 3, 9, 9))   # kt asks for a supplement at TD, it comes back,
    w.forward(c["sent_back"], vn(2026, 3, 9, 10))     # on to THUE and PD, ld sends it back to TD:
    w.act(c["sent_back"], "kt", "request_supplement", vn(2026, 3, 9, 11), missing=["UQ"], reason="thiếu")
    w.act(c["sent_back"], "clerk", "supplement", vn(2026, 3, 10, 9), documents=["UQ"])
    w.act(c["sent_back"], "kt", "forward", vn(2026, 3, 10, 10))
    w.act(c["sent_back"], "tax", "postpone", vn(2026, 3, 10, 11), reason="xác minh",
          new_due_at=date(2026, 3, 20))                # (tax is THUE's officer on the way)
    w.act(c["sent_back"], "tax", "forward", vn(2026, 3, 11, 9))
    w.act(c["sent_back"], "ld", "send_back", vn(2026, 3, 12, 9), to_step="TD", note="sai")  # TD: kt again
    c["back_one"] = w.take(H, vn(2026, 3, 16, 9))    # to THUE, sent back by tax to TD: nobody acted at TD
    w.forward(c["back_one"], vn(2026, 3, 16, 10))
    w.act(c["back_one"], "kt", "forward", vn(2026, 3, 16, 11))
    w.act(c["back_one"], "tax", "send_back", vn(2026, 3, 17, 9), note="thiếu thông tin")
    c["postponed"] = w.take(H, vn(2026, 3, 16, 9))   # postponed at TD by kt
    w.forward(c["postponed"], vn(2026, 3, 16, 10))
    w.act(c["postponed"], "kt", "postpone", vn(2026, 3, 16, 11), reason="xác minh", new_due_at=date(2026, 3, 24))
    c["paused"] = w.take(H, vn(2026, 3, 16, 9))      # waiting for a supplement asked by kt
    w.forward(c["paused"], vn(2026, 3, 16, 10))
    w.act(c["paused"], "kt", "request_supplement", vn(2026, 3, 17, 9), missing=["UQ"], reason="thiếu")
    c["forwarded"] = w.take(H, vn(2026, 3, 17, 9))   # at THUE after kt's forward: nobody yet
    w.forward(c["forwarded"], vn(2026, 3, 17, 10))
    w.act(c["forwarded"], "kt", "forward", vn(2026, 3, 17, 11))
    c["k_paused"] = w.take(K, vn(2026, 3, 17, 9))    # another procedure, paused then resumed
    w.forward(c["k_paused"], vn(2026, 3, 17, 9, 30))
    w.act(c["k_paused"], "kt", "request_supplement", vn(2026, 3, 17, 10), missing=["GCS"], reason="thiếu")
    w.act(c["k_paused"], "kt", "supplement", vn(2026, 3, 17, 11), documents=["GCS"])
    c["ready"] = w.take(H, vn(2026, 3, 9, 9))        # ready: the desk holds it
    w.ready(c["ready"], vn(2026, 3, 12, 10))
    c["desk"] = w.take(H, vn(2026, 3, 17, 9))        # received, at the desk
    c["awaiting"] = w.take(H, vn(2026, 3, 17, 9), docs=["GDN"])
    c["tax"] = w.take(X, vn(2026, 3, 17, 9))         # TAX's own procedure, at its step
    w.act(c["tax"], "xclerk", "forward", vn(2026, 3, 17, 10))
    w.clock.at = vn(2026, 3, 18, 10)
    return c


def test_stored_officer_equals_the_history(world, engine, ctx, monkeypatch):
    c = _build(world)
    with engine.connect() as conn:
        rows = conn.execute(select(d.code, d.status, d.step_code, d.step_officer, REFERENCE.label("ref"))).all()
        assert len(rows) == len(c)
        assert [(r.code, r.step_officer) for r in rows] == [(r.code, r.ref) for r in rows]
        officers = {r.code: r.step_officer for r in rows}
        assert officers[c["sent_back"]] == "kt" and officers[c["postponed"]] == "kt"
        assert officers[c["paused"]] == "kt" and officers[c["k_paused"]] == "kt"
        assert officers[c["back_one"]] is None and officers[c["forwarded"]] is None
        assert {r.status for r in rows} >= {"in_progress", "supplement_requested", "received",
                                            "awaiting_documents", "result_ready"}

        m = dashboard.moments(ctx.now(), ctx.calendar)
        scopes = [reports.scope_for(conn, Actor("root", "admin", None)),
                  reports.scope_for(conn, Actor("boss", "supervisor", "T1"))]
        stored = [_figures(conn, s, m) for s in scopes]
        monkeypatch.setattr(dashboard, "_open_dossiers", _reference_open_dossiers)
        assert [_figures(conn, s, m) for s in scopes] == stored
    by_officer = {(i["agency"], i["officer"]): i["total"] for i in stored[0][0]["by_officer"]}
    assert by_officer[("T1.KT", "kt")] == 4 and by_officer[("T1.KT", dashboard.UNASSIGNED)] == 1


def _figures(conn, scope, m):
    """The counts, and every drill-down by bucket and by officer."""
    counts = dashboard.counts(conn, scope, m)
    drills = {(b, o): dashboard.drill_down(conn, scope, m, bucket=b, officer=o)
              for b in (None, *dashboard.BUCKETS) for o in (None, "kt", "tax", dashboard.UNASSIGNED)}
    return counts, drills


def test_migration_backfill_matches_the_history(world, engine):
    """The backfill of migration 0011, run again over dossiers built through the use cases
    with their stored officers wiped, gives the same values."""
    spec = importlib.util.spec_from_file_location("m0011", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    c = _build(world)
    with engine.begin() as conn:
        before = conn.execute(select(d.code, d.step_officers, d.step_officer).order_by(d.code)).all()
        assert any(r.step_officers for r in before)
        conn.execute(dossiers.update().values(step_officers={}, step_officer=None))
        conn.exec_driver_sql(migration.BACKFILL[engine.dialect.name])
        after = conn.execute(select(d.code, d.step_officers, d.step_officer).order_by(d.code)).all()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert len(after) == len(c)


def test_counts_equal_the_per_dossier_buckets_at_any_hour(world, engine, ctx):
    """The grouped counts (one count per due-time bucket and group, migration 0015's
    index order) equal the per-dossier CASE of _open_dossiers counted row by row, by
    agency, step and officer: at night, before office hours (when 'soon' ends before
    midnight), on a Friday afternoon, and on the days the fixture's deadlines fall."""
    c = _build(world)
    with engine.begin() as conn:  # a deadline after office hours (imported): between 'soon' and midnight
        conn.execute(dossiers.update().where(d.code == c["forwarded"]).values(due_at=vn(2026, 3, 20, 18)))
    with engine.connect() as conn:
        scopes = [reports.scope_for(conn, Actor("root", "admin", None)),
                  reports.scope_for(conn, Actor("boss", "supervisor", "T1"))]
        for at in (vn(2026, 3, 18, 10), vn(2026, 3, 20, 7), vn(2026, 3, 20, 16, 30), vn(2026, 3, 19, 23),
                   vn(2026, 3, 23, 7, 59), vn(2026, 3, 24, 12, 30), vn(2026, 3, 25, 17), vn(2026, 4, 1, 9)):
            m = dashboard.moments(at, ctx.calendar)
            for scope in scopes:
                o = dashboard._open_dossiers(scope, m)
                want: dict = {"by_agency": {}, "by_step": {}, "by_officer": {}}
                for holder, proc, step, officer, bucket, n in conn.execute(
                        select(o.c.holder, o.c.procedure_code, o.c.step, o.c.officer, o.c.bucket, func.count())
                        .group_by(o.c.holder, o.c.procedure_code, o.c.step, o.c.officer, o.c.bucket)):
                    for view, key in (("by_agency", (holder,)), ("by_step", (proc, step)),
                                      ("by_officer", (holder, officer))):
                        want[view].setdefault(key, dict.fromkeys(("total", *dashboard.BUCKETS), 0))
                        want[view][key][bucket] += n
                        want[view][key]["total"] += n
                got = dashboard.counts(conn, scope, m)
                names = {"by_agency": ("agency",), "by_step": ("procedure_code", "step"),
                         "by_officer": ("agency", "officer")}
                for view, keys in names.items():
                    assert {tuple(i[k] for k in keys): {b: i[b] for b in ("total", *dashboard.BUCKETS)}
                            for i in got[view]} == want[view], (at, view)
            assert sum(got["total"][b] for b in dashboard.BUCKETS) == got["total"]["total"] > 0
