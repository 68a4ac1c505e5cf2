"""The daily rollup (bảng tổng hợp theo ngày) of the II.06a statistics report.

Why: a city-year is millions of dossiers, and counting them for every report took
seconds. A dossier closed (returned, rejected, withdrawn) never changes again, so what it
contributes to any period's figures is summed once, per (receiving agency, procedure,
local day), for every dossier closed before the watermark (a local date W). The report
then adds, per (agency, procedure), the rollup's sums and the live count of the "hot"
dossiers: those still open or closed since W (see reports.summary). Both halves
partition the dossiers, so the figures are exactly those of the direct count (checked
by tests on the hand-counted fixture and on a generated city).

A closed dossier with received day r, result-ready day y, closed day c, leave day
l = y or else c, deadline day u, counts in the rollup: new_online / new_other on r;
left_count on l; early / on_time / late on y; returned / rejected / withdrawn on c; and,
when max(r, u) < l, overdue_in on max(r, u) and overdue_out on l. For a period of local
days [S, E) (module doc of reports.py):
    new = Σ new over [S, E);  resolved, closing = Σ over [S, E);
    carried = Σ (new − left) over days < S;  pending = Σ (new − left) over days < E;
    overdue = Σ (overdue_in − overdue_out) over days < E
(received < E, due < E and still pending at E). Only dossiers logged as received count.
As every rolled-up dossier has left before W, Σ (new − left) over all days is 0, so
carried = Σ (left − new) over days ≥ S: the report reads only rows from S on.

The beat task refreshes it nightly (days before today); importing historical dossiers
clears it (`invalidate`), the next refresh rebuilds it.
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import and_, case, delete, func, literal, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from workflow.adapters.tables import dossiers
from workflow.adapters.tables_reports import MEASURES, report_daily, report_rollup_state

d = dossiers.c
LOCK_KEY = 7_007_001  # the advisory lock of a refresh (PostgreSQL)


def watermark(conn: Connection) -> date | None:
    """Days before this local date are rolled up; None: no rollup, count directly."""
    found = conn.execute(select(report_rollup_state.c.through).where(report_rollup_state.c.id == 1)).scalar()
    if found is not None and not isinstance(found, date):
        found = date.fromisoformat(str(found))
    return found


def invalidate(conn: Connection) -> None:
    """Forget the rollup (e.g. dossiers were imported with past dates): the report counts
    directly until the next refresh rebuilds it."""
    conn.execute(delete(report_rollup_state))
    conn.execute(delete(report_daily))


def _contributions(start: datetime | None, end: datetime, tz):
    """Per (agency, procedure, day): the sums of the dossiers closed in [start, end)."""
    from .reports import local_date, outcome, tz_literal
    zone = tz_literal(tz)
    ready, closed = d.result_ready_at, d.closed_at
    leave = func.coalesce(ready, closed)
    later = case((d.due_at > d.received_at, d.due_at), else_=d.received_at)
    early, on_time, late = outcome(ready, d.appointment_at, tz)
    where = [d.received_at.is_not(None), closed.is_not(None), closed < end]
    if start is not None:
        where.append(closed >= start)
    overdue = and_(d.due_at.is_not(None), local_date(later, zone) < local_date(leave, zone))

    def one(day, condition=None, **values):
        cols = [d.agency, d.procedure_code, local_date(day, zone).label("day")]
        cols += [(values[m] if m in values else literal(0)).label(m) for m in MEASURES]
        return select(*cols).where(*where, *([condition] if condition is not None else []))
    one_if = lambda cond: case((cond, 1), else_=0)  # noqa: E731
    parts = union_all(
        one(d.received_at, new_online=one_if(d.channel == "online"), new_other=one_if(d.channel != "online")),
        one(leave, left_count=literal(1)),
        one(ready, ready.is_not(None), early=one_if(early), on_time=one_if(on_time), late=one_if(late)),
        one(closed, returned=one_if(d.status == "returned"), rejected=one_if(d.status == "rejected"),
            withdrawn=one_if(d.status == "withdrawn")),
        one(later, overdue, overdue_in=literal(1)),
        one(leave, overdue, overdue_out=literal(1)),
    ).subquery("parts")
    return (select(parts.c.agency, parts.c.procedure_code, parts.c.day,
                   *(func.sum(parts.c[m]).label(m) for m in MEASURES))
            .group_by(parts.c.agency, parts.c.procedure_code, parts.c.day))


def refresh(conn: Connection, through: date, tz, now: datetime, batch: int = 5000) -> int:
    """Add the dossiers closed since the watermark and before `through` (a local date,
    normally today) to the rollup and move the watermark. Run it in one transaction
    (the caller's): the sums and the watermark move together. Returns rows upserted."""
    if conn.dialect.name == "postgresql":  # two refreshes at once would add twice: one at a time
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
    current = watermark(conn)
    if current is not None and through <= current:
        return 0
    start = datetime.combine(current, time(0), tzinfo=tz) if current else None
    end = datetime.combine(through, time(0), tzinfo=tz)
    rows = [dict(r._mapping) for r in conn.execute(_contributions(start, end, tz))]
    for r in rows:
        if not isinstance(r["day"], date):
            r["day"] = date.fromisoformat(str(r["day"]))
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    for i in range(0, len(rows), batch):
        stmt = dialect.insert(report_daily)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["agency", "procedure_code", "day"],
            set_={m: report_daily.c[m] + stmt.excluded[m] for m in MEASURES}), rows[i:i + batch])
    stmt = dialect.insert(report_rollup_state).values(id=1, through=through, refreshed_at=now)
    conn.execute(stmt.on_conflict_do_update(index_elements=["id"],
                                            set_=dict(through=through, refreshed_at=now)))
    return len(rows)


def refresh_now(ctx) -> dict:
    """The scheduled refresh: every day before today (local), in one transaction."""
    now = ctx.now()
    with ctx.engine.begin() as conn:
        rows = refresh(conn, now.astimezone(ctx.calendar.tz).date(), ctx.calendar.tz, now)
        through = watermark(conn)
    return {"rows": rows, "through": through.isoformat() if through else None}


def rolled_up(conn: Connection, first: date, last: date, scope) -> dict:
    """(agency, procedure) -> the II.06a figures of the rolled-up (closed) dossiers for
    the local days [first, last]."""
    r = report_daily.c
    end = date.fromordinal(last.toordinal() + 1)
    within = and_(r.day >= first, r.day < end)

    def total(expr, cond):
        return func.coalesce(func.sum(case((cond, expr), else_=0)), 0)
    later = r.day >= end
    # every rolled-up dossier has both entered and left (and, if ever overdue, both become
    # and ceased to be) before the watermark: a stock before day X is minus the flows
    # from X on, so only the rows from the period's first day on are read
    stmt = (select(r.agency, r.procedure_code,
                   total(r.new_online, within).label("new_online"),
                   total(r.new_other, within).label("new_in_person"),
                   total(r.left_count - r.new_online - r.new_other, r.day >= first).label("carried"),
                   total(r.left_count - r.new_online - r.new_other, later).label("pending_total"),
                   total(r.overdue_out - r.overdue_in, later).label("pending_overdue"),
                   *(total(r[m], within).label(m) for m in ("early", "on_time", "late", "returned",
                                                            "rejected", "withdrawn")))
            .where(scope.where_any(r.agency), r.day >= first)
            .group_by(r.agency, r.procedure_code))
    out = {}
    for row in conn.execute(stmt):
        m = {k: int(v) for k, v in row._mapping.items() if k not in ("agency", "procedure_code")}
        m["new_total"] = m["new_online"] + m["new_in_person"]
        m["received_total"] = m["carried"] + m["new_total"]
        m["resolved_total"] = m["early"] + m["on_time"] + m["late"]
        m["pending_within"] = m["pending_total"] - m["pending_overdue"]
        out[(row.agency, row.procedure_code)] = m
    return out


def outcomes_by_day(conn: Connection, first: date, scope) -> list:
    """(day, early, on_time, late) of the rolled-up results ready from `first` on."""
    r = report_daily.c
    return conn.execute(select(r.day, func.sum(r.early).label("early"), func.sum(r.on_time).label("on_time"),
                               func.sum(r.late).label("late"))
                        .where(scope.where_any(r.agency), r.day >= first).group_by(r.day)).all()
