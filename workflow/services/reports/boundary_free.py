"""Reception regardless of administrative boundaries, seen from both sides (issue 22,
item 4). Since 1 October 2025 Hanoi's service points take in approved procedures for any
unit of the city (Chinhphu.vn, 1 October 2025), so a dossier has a receiving point
(`dossiers.agency`), a competent unit (`competent_unit`) and a return point
(`return_at`). A point wants to know what it received for others and what waits at its
counter; a unit, what came to it from other points and how long the hand-overs took.

Why these queries: each reads one index by a range per agency code (`Scope.where`):
ix_dossiers_bf_received (agency, received_at; migration 0027, only the dossiers with
competent_unit <> agency) for what a point received for others, ix_dossiers_bf_competent
(competent_unit, received_at) for what a unit got from elsewhere and its hand-overs,
ix_dossiers_return_at_status (return_at, status; 0024) for how many wait and, for the
oldest of them, ix_dossiers_awaiting (0032: the results ready by the moment they were,
read in order; a city's oldest 50 are its first entries). The first hand-over moment is
the first `forward` out of `received`: the electronic hand-over to the competent unit's
offices. It is kept on the row (`handed_over_at`, written once by the lifecycle;
migration 0030 backfilled it from the events and put it in ix_dossiers_bf_competent's
INCLUDE), so the hand-over minutes are an index-only scan; the subquery on
`dossier_events` for every dossier it replaces took 9.0 ms against 1.6 ms for a month of
a generated city of 500,000 dossiers (bench/city.py, EXPLAIN ANALYZE, warm cache).
Minutes are elapsed (wall-clock) minutes, not working minutes: a hand-over is not a step
with a time budget.

Return hand-over: the records hold when the competent unit's result was ready
(result_ready_at) and when it was handed back (closed_at, status returned), not when it
reached the return point; for the dossiers collected at a point other than the unit
(return_at differs from competent_unit) the report gives result ready -> returned,
which includes the applicant's own wait to collect it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from workflow.adapters.local_dates import epoch_us
from workflow.adapters.tables import dossiers
from workflow.services.reports.dashboard import percentile
from workflow.services.reports.statistics import BOUNDARY_FREE, Period, Scope, quick

d = dossiers.c
MINUTE_US = 60_000_000
OLDEST = 50  # dossiers listed oldest first under awaiting_collection; `count` has them all


def report(conn: Connection, p: Period, scope: Scope, now: datetime) -> dict:
    """The four parts for the agencies of `scope` (received in the period, except
    awaiting_collection, which is the counter now)."""
    quick(conn)
    received = (d.received_at >= p.start, d.received_at < p.end)
    for_others = conn.execute(
        select(d.competent_unit, func.count().label("n"))
        .where(scope.where(d.agency), *received, *BOUNDARY_FREE)
        .group_by(d.competent_unit).order_by(d.competent_unit)).all()
    elsewhere_where = (scope.where(d.competent_unit), *received, *BOUNDARY_FREE)
    elsewhere = conn.execute(
        select(d.agency, func.count().label("n")).where(*elsewhere_where)
        .group_by(d.agency).order_by(d.agency)).all()
    return {
        "agency": scope.root, "from": p.first, "to": p.last, "generated_at": now,
        "received_for_others": _counted(for_others, "competent_unit"),
        "received_elsewhere": _counted(elsewhere, "receiving_point"),
        "hand_over": hand_over(conn, elsewhere_where),
        "awaiting_collection": awaiting(conn, scope),
    }


def _counted(rows, key: str) -> dict:
    items = [{key: code, "count": n} for code, n in rows]
    return {"total": sum(i["count"] for i in items), "items": items}


def hand_over(conn: Connection, where: tuple) -> dict:
    """Minutes from reception to the first step's start, and from result ready to
    returned where the result is collected away from the competent unit. The database
    gives each span as whole microseconds (epoch_us), not five datetimes a row: for a
    city's month, thousands of rows, building datetimes was most of the report."""
    away = and_(d.status == "returned", d.result_ready_at.is_not(None), d.return_at.is_not(None),
                d.return_at != d.competent_unit)
    rows = conn.execute(select(
        (epoch_us(d.handed_over_at) - epoch_us(d.received_at)).label("to_unit"),
        case((away, epoch_us(d.closed_at) - epoch_us(d.result_ready_at))).label("to_point"))
        .where(*where)).all()
    to_unit = sorted(r.to_unit // MINUTE_US for r in rows if r.to_unit is not None)
    to_point = sorted(r.to_point // MINUTE_US for r in rows if r.to_point is not None)
    return {"dossiers": len(rows), "to_unit": _stats(to_unit), "to_return_point": _stats(to_point)}


def _stats(values: list[int]) -> dict:
    return {"count": len(values), "median_minutes": percentile(values, 0.5),
            "p90_minutes": percentile(values, 0.9)}


def awaiting(conn: Connection, scope: Scope) -> dict:
    """Results ready to be collected at the points of `scope`, the oldest first."""
    where = (scope.where(d.return_at), d.status == "result_ready")
    count = conn.execute(select(func.count()).where(*where)).scalar_one()
    rows = conn.execute(select(d.code, d.agency, d.competent_unit, d.result_ready_at).where(*where)
                        .order_by(d.result_ready_at, d.id).limit(OLDEST)).all()
    return {"count": count, "oldest": [
        {"code": r.code, "receiving_point": r.agency, "competent_unit": r.competent_unit,
         "ready_since": r.result_ready_at} for r in rows]}
