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
when max(r, u) < l, overdue_in on max(r, u) and overdue_out on l. For the service index's
digitisation group (migration 0033): digitised on r when it was digitised, result_filed on
c when it was returned with an electronic result (a closed dossier takes no more files,
so both are final; see reports.digitisation). For a period of local
days [S, E) (module doc of reports.py):
    new = Σ new over [S, E);  resolved, closing = Σ over [S, E);
    carried = Σ (new − left) over days < S;  pending = Σ (new − left) over days < E;
    overdue = Σ (overdue_in − overdue_out) over days < E
(received < E, due < E and still pending at E). Only dossiers logged as received count.
As every rolled-up dossier has left before W, Σ (new − left) over all days is 0, so
carried = Σ (left − new) over days ≥ S: the report reads only rows from S on.

Results ready but not handed over (migration 0013). A result ready never changes again
either (from result_ready the only move is returning it), so the dossiers whose result
was ready before W and which were not closed before W are summed too, in the "ready"
tables, with everything but their closing (which counts when they are handed over, live
until the next refresh). Unlike report_daily, these are rebuilt whole at each refresh
(they leave as they are handed over). At city scale they are ~2 % of the results that
are never collected plus those of the last days: read live, each tested for early / on
time / late in local dates, they were most of a 365-day report. The dashboard's on-time
rate reads report_daily only, and counts these live, as before.

Per calendar month too (report_monthly, report_ready_monthly): a period reads the month
rows of the months it does not cut and the day rows of the (at most two) months it cuts,
so a city's 365-day report reads ~13 rows per (agency, procedure) and table plus the days
of its first and last months, instead of 365.

Boundary-free dossiers (issue 22, migration 0031). Form II.06a by competent unit moves
the dossiers received at a point other than their competent unit from the point's rows
to the unit's. That move is kept as sums too (report_bf_*), signed: one query computes each
day's contributions per (point, unit, procedure); the receiving sums fold the unit away,
and each row where they differ is subtracted at the point and added at the unit. As every
measure is a sum, the report by competent unit is the receiving rows plus these.

The beat task refreshes it nightly (days before today); importing historical dossiers
clears it (`invalidate`), the next refresh rebuilds it.
"""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import and_, case, delete, false, func, literal, or_, select, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from workflow.adapters.tables import dossiers
from workflow.adapters.tables_reports import (MEASURES, report_bf_daily, report_bf_monthly,
                                             report_bf_ready_daily, report_bf_ready_monthly, report_daily,
                                             report_monthly, report_ready_daily, report_ready_monthly,
                                             report_rollup_state)
from workflow.services.reports.outcome import outcome

d = dossiers.c
LOCK_KEY = 7_007_001  # the advisory lock of a refresh (PostgreSQL)
# (closed, ready) pairs of (daily, monthly) sums: of every dossier by receiving point, and
# the boundary-free move (signed: minus at the receiving point, plus at the competent unit)
RECEIVING = ((report_daily, report_monthly), (report_ready_daily, report_ready_monthly))
BOUNDARY_FREE = ((report_bf_daily, report_bf_monthly), (report_bf_ready_daily, report_bf_ready_monthly))


def watermark(conn: Connection) -> date | None:
    """Days before this local date are rolled up; None: no rollup, count directly."""
    found = conn.execute(select(report_rollup_state.c.through).where(report_rollup_state.c.id == 1)).scalar()
    if found is not None and not isinstance(found, date):
        found = date.fromisoformat(str(found))
    return found


def invalidate(conn: Connection) -> None:
    """Forget the rollup (e.g. dossiers were imported with past dates): the report counts
    directly until the next refresh rebuilds it."""
    for table in (report_rollup_state, *(t for pairs in (RECEIVING, BOUNDARY_FREE) for pair in pairs
                                         for t in pair)):
        conn.execute(delete(table))


def _contributions(start: datetime | None, end: datetime, tz):
    """Per (agency, competent unit, procedure, day): the sums of the dossiers closed in
    [start, end)."""
    where = [d.received_at.is_not(None), d.closed_at.is_not(None), d.closed_at < end]
    if start is not None:
        where.append(d.closed_at >= start)
    return _sums(where, tz)


def _ready_contributions(end: datetime, tz):
    """Per (agency, competent unit, procedure, day): the sums, but for their closing, of the dossiers
    whose result was ready before `end` (the watermark) and not closed before it."""
    where = [d.received_at.is_not(None), d.result_ready_at.is_not(None), d.result_ready_at < end,
             or_(d.closed_at.is_(None), d.closed_at >= end)]
    return _sums(where, tz, closing=False)


def _sums(where: list, tz, closing: bool = True):
    from workflow.adapters.local_dates import local_date, tz_literal
    zone = tz_literal(tz)
    ready, closed = d.result_ready_at, d.closed_at
    leave = func.coalesce(ready, closed)
    later = case((d.due_at > d.received_at, d.due_at), else_=d.received_at)
    early, on_time, late = outcome(ready, d.appointment_at, tz, d.postponed_to)
    overdue = and_(d.due_at.is_not(None), local_date(later, zone) < local_date(leave, zone))

    def one(day, condition=None, **values):
        cols = [d.agency, d.competent_unit, d.procedure_code, local_date(day, zone).label("day")]
        cols += [(values[m] if m in values else literal(0)).label(m) for m in MEASURES]
        return select(*cols).where(*where, *([condition] if condition is not None else []))
    one_if = lambda cond: case((cond, 1), else_=0)  # noqa: E731
    parts = union_all(
        one(d.received_at, new_online=one_if(d.channel == "online"), new_other=one_if(d.channel != "online"),
            # a dossier not closed may still get files: its digitisation is counted live
            **({"digitised": one_if(d.digitised_at.is_not(None))} if closing else {})),
        one(leave, left_count=literal(1)),
        one(ready, ready.is_not(None), early=one_if(early), on_time=one_if(on_time), late=one_if(late)),
        *([one(closed, returned=one_if(d.status == "returned"), rejected=one_if(d.status == "rejected"),
               withdrawn=one_if(d.status == "withdrawn"),
               result_filed=one_if(and_(d.status == "returned", d.result_filed_at.is_not(None))))]
          if closing else []),
        one(later, overdue, overdue_in=literal(1)),
        one(leave, overdue, overdue_out=literal(1)),
    ).subquery("parts")
    key = (parts.c.agency, parts.c.competent_unit, parts.c.procedure_code, parts.c.day)
    return select(*key, *(func.sum(parts.c[m]).label(m) for m in MEASURES)).group_by(*key)


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
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    closed = split(_day_rows(conn, _contributions(start, end, tz)))
    ready = split(_day_rows(conn, _ready_contributions(end, tz)))
    upserted = 0
    for ((daily, monthly), (ready_daily, ready_monthly)), rows, ready_rows in zip((RECEIVING, BOUNDARY_FREE),
                                                                                closed, ready):
        for table, grouped in ((daily, rows), (monthly, by_month(rows))):
            for i in range(0, len(grouped), batch):
                stmt = dialect.insert(table)
                conn.execute(stmt.on_conflict_do_update(
                    index_elements=[c.name for c in table.primary_key.columns],
                    set_={m: table.c[m] + stmt.excluded[m] for m in MEASURES}), grouped[i:i + batch])
        upserted += len(rows)
        for table, grouped in ((ready_daily, ready_rows), (ready_monthly, by_month(ready_rows))):
            conn.execute(delete(table))
            for i in range(0, len(grouped), batch):
                conn.execute(table.insert(), grouped[i:i + batch])
    stmt = dialect.insert(report_rollup_state).values(id=1, through=through, refreshed_at=now)
    conn.execute(stmt.on_conflict_do_update(index_elements=["id"],
                                            set_=dict(through=through, refreshed_at=now)))
    return upserted


def split(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """The contributions per (agency, competent unit, procedure, day) as the receiving
    sums (the unit summed away) and the boundary-free move (where they differ: minus at
    the receiving point, plus at the competent unit), each per (agency, procedure, day)."""
    receiving: dict[tuple, dict] = {}
    moved: dict[tuple, dict] = {}

    def add(into: dict, agency: str, r: dict, sign: int) -> None:
        key = (agency, r["procedure_code"], r["day"])
        acc = into.get(key)
        if acc is None:
            acc = into[key] = dict(agency=key[0], procedure_code=key[1], day=key[2], **dict.fromkeys(MEASURES, 0))
        for m in MEASURES:
            acc[m] += sign * r[m]
    for r in rows:
        add(receiving, r["agency"], r, 1)
        if r["competent_unit"] != r["agency"]:
            add(moved, r["agency"], r, -1)
            add(moved, r["competent_unit"], r, 1)
    return list(receiving.values()), list(moved.values())


def _day_rows(conn: Connection, stmt) -> list[dict]:
    rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for r in rows:
        if not isinstance(r["day"], date):
            r["day"] = date.fromisoformat(str(r["day"]))
    return rows


def month_of(day: date) -> date:
    return day.replace(day=1)


def by_month(rows: list[dict]) -> list[dict]:
    """The day rows of `split` summed per (agency, procedure, month)."""
    out: dict[tuple, dict] = {}
    for r in rows:
        key = (r["agency"], r["procedure_code"], month_of(r["day"]))
        acc = out.get(key)
        if acc is None:
            out[key] = dict(agency=key[0], procedure_code=key[1], month=key[2], **{m: r[m] for m in MEASURES})
        else:
            for m in MEASURES:
                acc[m] += r[m]
    return list(out.values())


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def rows_from(first: date, end: date, scope, tables=RECEIVING):
    """The rollup rows (closed and ready; of `tables`, the receiving sums or the
    boundary-free move) of the local days from `first` on, each as (agency,
    procedure_code, day, measures): the month rows of every month that
    [first, end) does not cut (its first day standing for all its days: each of the
    report's conditions, day >= first, day < end, day >= end, holds for all of a month's
    days or none), and the day rows of the months that `first` and `end` fall inside (not
    on their first day)."""
    cut = [m for m in (first, end) if m.day != 1]
    parts = []
    for daily, monthly in tables:
        dr, mr = daily.c, monthly.c
        days = or_(*(and_(dr.day >= month_of(m), dr.day < _next_month(m)) for m in cut)) if cut else false()
        whole = mr.month >= (_next_month(first) if first.day != 1 else first)
        if end.day != 1:
            whole = and_(whole, mr.month != month_of(end))
        parts += [select(dr.agency, dr.procedure_code, dr.day, *(dr[m] for m in MEASURES))
                  .where(scope.where_any(dr.agency), dr.day >= first, days),
                  select(mr.agency, mr.procedure_code, mr.month.label("day"), *(mr[m] for m in MEASURES))
                  .where(scope.where_any(mr.agency), whole)]
    return union_all(*parts).subquery("rolled")


def refresh_now(ctx) -> dict:
    """The scheduled refresh: every day before today (local), in one transaction."""
    now = ctx.now()
    with ctx.engine.begin() as conn:
        rows = refresh(conn, now.astimezone(ctx.calendar.tz).date(), ctx.calendar.tz, now)
        through = watermark(conn)
    return {"rows": rows, "through": through.isoformat() if through else None}


def rolled_up(conn: Connection, first: date, last: date, scope, tables=RECEIVING) -> dict:
    """(agency, procedure) -> the II.06a figures of the rolled-up (closed, and ready)
    dossiers for the local days [first, last]; tables=BOUNDARY_FREE: the boundary-free
    move (signed) to add to them for the figures by competent unit."""
    end = date.fromordinal(last.toordinal() + 1)
    r = rows_from(first, end, scope, tables).c
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


def digital(conn: Connection, first: date, last: date, scope) -> dict:
    """agency -> [digitised, result_filed] of the rolled-up closed dossiers for the local
    days [first, last]: received in them and digitised; returned in them with an
    electronic result (the ready tables hold neither)."""
    r = rows_from(first, date.fromordinal(last.toordinal() + 1), scope, RECEIVING[:1]).c
    stmt = (select(r.agency, func.sum(r.digitised), func.sum(r.result_filed))
            .where(r.day <= last).group_by(r.agency))
    return {agency: [int(a), int(b)] for agency, a, b in conn.execute(stmt)}


def outcomes_by_day(conn: Connection, first: date, scope) -> list:
    """(day, early, on_time, late) of the rolled-up results ready from `first` on."""
    r = report_daily.c
    return conn.execute(select(r.day, func.sum(r.early).label("early"), func.sum(r.on_time).label("on_time"),
                               func.sum(r.late).label("late"))
                        .where(scope.where_any(r.agency), r.day >= first).group_by(r.day)).all()
