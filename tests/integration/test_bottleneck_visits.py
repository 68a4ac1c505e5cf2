"""The bottleneck view's step visits, read in one ordered pass and folded in Python with
the office timeline, equal the definition they replaced: for each event leaving a step
in the period, the latest forward / send_back before it (two correlated subqueries),
measured by BusinessCalendar.working_minutes_between. Dossiers from the use cases, with
supplement requests, postponements and send-backs to steps visited before."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from tests.conftest import vn
from tests.integration.report_fixtures import H, K, world  # noqa: F401  (world is a fixture)
from tests.integration.test_step_officer import _build
from workflow.adapters.tables import dossier_events, dossiers
from workflow.domain.dossier import Actor
from workflow.services.reports import dashboard
from workflow.services.reports import statistics as reports
from workflow.services.reports.statistics import slices


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


def test_tier_samples_equal_every_mth_of_the_active_dossiers(world, engine, ctx):
    """The tier read (migration 0014's partial indexes, led by when the dossier left the
    counter's hands) finds exactly the dossiers the statistics report's slices find,
    every m-th by id; and a city too large to count is sampled from it."""
    made = _build(world)
    gone = world.take(K, vn(2026, 3, 6, 16))  # rejected at a step in the period: no result, closed
    world.forward(gone, vn(2026, 3, 6, 16, 30))
    world.act(gone, "kt", "reject", vn(2026, 3, 13, 11), reason="sai")
    early = world.take(H, vn(2026, 3, 5, 9))  # withdrawn before the period: not active in it
    world.forward(early, vn(2026, 3, 5, 10))
    world.act(early, "clerk", "withdraw", vn(2026, 3, 6, 9), reason="rút")
    cal = ctx.calendar
    with engine.connect() as conn:
        scope = reports.scope_for(conn, Actor("root", "admin", None))
        ward = reports.scope_for(conn, Actor("root", "admin", None), agency="T1")
        for first, last in ((date(2026, 3, 9), date(2026, 3, 18)), (date(2026, 3, 12), date(2026, 3, 17))):
            p = reports.period(first, last, cal.tz)
            for s in (scope, ward):
                for tier, every in ((1, 1), (2, 2), (2, 4), (3, 3), (1, 3)):
                    tiered = dashboard._tier_dossiers(p, s, tier, every, None)
                    active = slices(p, s, (dossiers.c.id,), returned_before=False)
                    want_ids = {i for i in conn.execute(select(active.c.id)).scalars() if i % every == 0}
                    assert set(conn.execute(select(tiered.c.id)).scalars()) == want_ids
                    got, n = dashboard._visit_minutes(conn, tiered, [], p, cal.timeline())
                    assert {k: sorted(v) for k, v in got.items()} == _reference_minutes(conn, s, p, cal, every)
            one = dashboard._tier_dossiers(p, scope, 1, 1, "1.001612")
            assert set(conn.execute(select(one.c.procedure_code)).scalars()) == {"1.001612"}
        p = reports.period(date(2026, 3, 9), date(2026, 3, 18), cal.tz)
        found = len(conn.execute(select(slices(p, scope, (dossiers.c.id,), returned_before=False).c.id)).all())
        assert found >= 6 and len(made) >= 6
        exact = dashboard.bottlenecks(conn, scope, p, cal, max_dossiers=found, tiers=(1,))
        assert (exact["dossiers"], exact["every"], exact["estimated"]) == (found, 1, False)
        ids = conn.execute(select(slices(p, scope, (dossiers.c.id,), returned_before=False).c.id)).scalars().all()
        estimate = 4 * sum(i % 4 == 0 for i in ids)  # from every 4th: more than twice the limit of 1
        big = dashboard.bottlenecks(conn, scope, p, cal, max_dossiers=1, tiers=(2, 4))
        every = 1 << (estimate - 1).bit_length()  # the least power of two >= estimate / 1
        assert estimate > 2 and (big["estimated"], big["every"]) == (True, every)
        assert big["dossiers"] == every * sum(i % every == 0 for i in ids)
        want = _reference_minutes(conn, scope, p, cal, big["every"])
        assert {(i["procedure_code"], i["step"]): i["visits"] for i in big["items"]} == \
            {k: len(v) for k, v in want.items()}
