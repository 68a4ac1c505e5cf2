"""The bottleneck view's step visits, read in one ordered pass and folded in Python with
the office timeline, equal the definition they replaced: for each event leaving a step
in the period, the latest forward / send_back before it (two correlated subqueries),
measured by BusinessCalendar.working_minutes_between. Dossiers from the use cases, with
supplement requests, postponements and send-backs to steps visited before."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from tests.integration.report_fixtures import world  # noqa: F401  (world is a fixture)
from tests.integration.test_step_officer import _build
from workflow.adapters.tables import dossier_events, dossiers
from workflow.domain.dossier import Actor
from workflow.services import dashboard, reports
from workflow.services.reports import slices


def _reference_minutes(conn, scope, p, calendar, every: int = 1) -> dict:
    """dashboard.bottlenecks' visits as they were computed before (kept as the reference)."""
    active = slices(p, scope, (dossiers.c.id,), returned_before=False)
    chosen = [active.c.id % every == 0] if every > 1 else []
    left, prior = dossier_events.alias("left_step"), dossier_events.alias("prior")
    visits = (select(left.c.dossier_id, left.c.seq, left.c.at.label("left_at"), active.c.procedure_code)
              .join_from(active, left, left.c.dossier_id == active.c.id)
              .where(*chosen, left.c.at >= p.start, left.c.at < p.end, left.c.action.in_(dashboard.LEAVING),
                     left.c.from_state.like("%@%")).subquery("visits"))

    def entry(column):
        return (select(column).where(prior.c.dossier_id == visits.c.dossier_id, prior.c.seq < visits.c.seq,
                                     prior.c.action.in_(dashboard.ENTERING))
                .order_by(prior.c.seq.desc()).limit(1).scalar_subquery())
    out = defaultdict(list)
    for r in conn.execute(select(visits.c.procedure_code, entry(prior.c.step).label("step"),
                                 entry(prior.c.at).label("entered_at"), visits.c.left_at)):
        if r.entered_at is not None:
            out[(r.procedure_code, r.step)].append(calendar.working_minutes_between(r.entered_at, r.left_at))
    return {k: sorted(v) for k, v in out.items()}


def test_visits_equal_the_correlated_definition(world, engine, ctx):
    _build(world)
    cal = ctx.calendar
    with engine.connect() as conn:
        scope = reports.scope_for(conn, Actor("root", "admin", None))
        for first, last in ((date(2026, 3, 9), date(2026, 3, 18)), (date(2026, 3, 12), date(2026, 3, 17)),
                            (date(2026, 3, 16), date(2026, 3, 16))):
            p = reports.period(first, last, cal.tz)
            for every in (1, 2, 3):
                active = slices(p, scope, (dossiers.c.id,), returned_before=False)
                chosen = [active.c.id % every == 0] if every > 1 else []
                got, n = dashboard._visit_minutes(conn, active, chosen, p, cal.timeline())
                want = _reference_minutes(conn, scope, p, cal, every)
                assert {k: sorted(v) for k, v in got.items()} == want
                assert n == sum(map(len, want.values()))
            items = dashboard.bottlenecks(conn, scope, p, cal)["items"]
            assert {(i["procedure_code"], i["step"]): i["visits"] for i in items} == \
                {k: len(v) for k, v in _reference_minutes(conn, scope, p, cal).items()}
        assert any(len(v) > 1 for v in _reference_minutes(
            conn, scope, reports.period(date(2026, 3, 9), date(2026, 3, 18), cal.tz), cal).values())
