"""The supervisor's dashboard (bảng theo dõi của lãnh đạo): what is due today, due soon or
overdue, where it sits, at which step and with whom; the on-time rate by week; and where
the time goes step by step (the bottleneck view that shows the city where to cut time).

Why this shape: every figure is one grouped query over indexed columns; Python only
folds the aggregated rows (at most agencies x procedures x steps x officers x buckets)
or, for the bottleneck percentiles, a bounded sample of dossiers' step visits (`MAX_DOSSIERS`),
because working minutes need the business calendar, which SQL does not have.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, literal_column, or_, select, true, union_all
from sqlalchemy.engine import Connection

from workflow.adapters.local_dates import epoch_us, local_date, tz_literal
from workflow.adapters.repository import ProcedureRepository
from workflow.adapters.tables import dossier_events, dossiers

from workflow.services.reports import rollup as report_rollup
from workflow.services.reports.statistics import Period, Scope, slices, outcome, quick, unit_column

# "submitted": sent online, awaiting the desk's check (no clock runs yet; issue 19)
OPEN = ("submitted", "awaiting_documents", "received", "in_progress", "supplement_requested", "result_ready")
AT_STEP = ("in_progress", "supplement_requested")
BUCKETS = ("overdue", "today", "soon", "on_track", "paused", "submitted", "awaiting", "ready")
UNASSIGNED = "chưa phân công"
LEAVING = ("forward", "send_back", "complete", "reject", "withdraw")
ENTERING = ("forward", "send_back")
MAX_DOSSIERS = 4_000
SAMPLE_TIERS = (4, 16, 64, 256)  # the partial indexes of migration 0014 (id % t = 0)
EXACT_BELOW = 2  # estimated active dossiers up to this many times max_dossiers: count them
MICROSECONDS_PER_MINUTE = 60_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
d = dossiers.c


@dataclass(frozen=True)
class Moments:
    """now; the end of today; 'soon': one working day from now (the calendar decides)."""

    now: datetime
    end_of_today: datetime
    soon: datetime


def moments(now: datetime, calendar) -> Moments:
    today = now.astimezone(calendar.tz).date()
    return Moments(now, datetime.combine(today + timedelta(days=1), time(0), tzinfo=calendar.tz),
                   calendar.add_working_minutes(now, calendar.minutes_per_day))


def _bucket_rows(bucket: str, m: Moments):
    """The rows of one bucket as plain conditions on indexed columns (the same as the
    CASE in `_open_dossiers`, taken in its order), so a drill-down reads only them."""
    running = d.status.in_(("received", "in_progress"))
    return {"submitted": d.status == "submitted",
            "awaiting": d.status == "awaiting_documents", "ready": d.status == "result_ready",
            "paused": or_(d.status == "supplement_requested", and_(running, d.due_at.is_(None))),
            "overdue": and_(running, d.due_at < m.now),
            "today": and_(running, d.due_at >= m.now, d.due_at < m.end_of_today),
            "soon": and_(running, d.due_at >= m.end_of_today, d.due_at <= m.soon),
            "on_track": and_(running, d.due_at > m.soon)}.get(bucket)


def _visible(scope: Scope, by: str = "receiving"):
    """The open dossiers of the scope: received there (by="receiving") or for which a unit
    of it is competent (by="competent", issue 22), or at a step of its offices either way."""
    unit = unit_column(by)
    return true() if scope.everything else or_(unit.in_(scope.codes), d.step_agency.in_(scope.codes))


def _open_dossiers(scope: Scope, m: Moments, only: str | None = None, by: str = "receiving"):
    """One row per open dossier: who holds it, at which step, with whom, how urgent.
    The officer is whoever last acted on the current step while holding it (a supplement
    request, a postponement); nobody yet: 'chưa phân công'. It is kept on the row
    (`step_officer`, see Dossier.note_officer) and in ix_dossiers_open, so the city's
    counts read one index and no history. `only`: the rows of one bucket, selected by
    `_bucket_rows` so that an index range finds them."""
    at_step = d.status.in_(AT_STEP)
    bucket = case(
        (d.status == "submitted", "submitted"), (d.status == "awaiting_documents", "awaiting"), (d.status == "result_ready", "ready"),
        (or_(d.status == "supplement_requested", d.due_at.is_(None)), "paused"),
        (d.due_at < m.now, "overdue"), (d.due_at < m.end_of_today, "today"),
        (d.due_at <= m.soon, "soon"), else_="on_track")
    visible = _visible(scope, by)
    return select(
        d.id, d.code, d.procedure_code, d.status, d.agency, d.due_at, d.step_due_at, d.received_at,
        case((at_step, d.step_agency), else_=d.agency).label("holder"),
        case((at_step, d.step_code), else_=None).label("step"),
        func.coalesce(case((at_step, d.step_officer), else_=None), UNASSIGNED).label("officer"),
        bucket.label("bucket"),
    ).where(visible, d.status.in_(OPEN) if _bucket_rows(only, m) is None else _bucket_rows(only, m)
            ).subquery("open_dossiers")


def counts(conn: Connection, scope: Scope, m: Moments, by: str = "receiving") -> dict:
    """Counts by bucket, folded three ways: by agency, by step, by officer.

    SQL groups the open dossiers by their raw columns, counting each due-time bucket
    (`_open_groups`); the holder, step, officer and bucket of `_open_dossiers` are
    derived here from those few thousand groups (`_fold`). Why: at 5M dossiers a city has
    ~280k open ones, and evaluating the CASE expressions per row cost more than the
    index-only scan that reads them; read in the order of ix_dossiers_open's key, the
    groups are formed as the rows arrive, with no hash table or sort."""
    quick(conn)
    rows = _fold(conn.execute(_open_groups(scope, m, by)).all())
    by_agency, by_step, by_officer = defaultdict(_zero), defaultdict(_zero), defaultdict(_zero)
    views = {"by_agency": by_agency, "by_step": by_step, "by_officer": by_officer}
    total = _zero()
    for (holder, procedure_code, step, officer, bucket), n in rows.items():
        for c in (by_agency[(holder,)], by_step[(procedure_code, step)], by_officer[(holder, officer)], total):
            c[bucket] += n
            c["total"] += n
    out = {"now": m.now, "end_of_today": m.end_of_today, "soon": m.soon,
           "agency": scope.root, "by": by, "total": total}
    names = {"by_agency": ("agency",), "by_step": ("procedure_code", "step"),
             "by_officer": ("agency", "officer")}
    for view, groups in views.items():
        items = [dict(zip(names[view], key), **c) for key, c in groups.items()]
        items.sort(key=lambda i: (-i["overdue"], -i["today"], -i["soon"], -i["total"],
                                  [str(i[k]) for k in names[view]]))
        out[view] = items
    return out


def _open_groups(scope: Scope, m: Moments, by: str = "receiving"):
    """The open dossiers counted by raw columns, with one count per due-time bucket (no
    due time, overdue, due today, due soon, later), all read from ix_dossiers_open, whose
    key is these columns then the due moment (migration 0015): PostgreSQL groups the rows
    in the order it reads them, and counts the buckets per group, without hashing them."""
    due = d.due_at
    keys = (d.status, d.agency, d.step_agency, d.procedure_code, d.step_code, d.step_officer)
    visible = _visible(scope, by)
    # as the CASE of _open_dossiers, taken in order ('soon' may end before midnight)
    buckets = (due.is_(None), due < m.now, and_(due >= m.now, due < m.end_of_today),
               and_(due >= m.end_of_today, due <= m.soon), and_(due >= m.end_of_today, due > m.soon))
    return (select(*keys, *(func.count().filter(b) for b in buckets))
            .where(visible, d.status.in_(OPEN)).group_by(*keys))


_DUE = ("paused", "overdue", "today", "soon", "on_track")  # the buckets of _open_groups' counts


def _fold(groups) -> dict[tuple, int]:
    """(holder, procedure, step, officer, bucket) -> count: the CASEs of `_open_dossiers`,
    in the same order, applied to each group of `_open_groups`."""
    out: dict[tuple, int] = defaultdict(int)
    for status, agency, step_agency, procedure_code, step_code, officer, *by_due in groups:
        at_step = status in AT_STEP
        key = (step_agency if at_step else agency, procedure_code, step_code if at_step else None,
               officer if at_step and officer is not None else UNASSIGNED)
        whole = {"submitted": "submitted", "awaiting_documents": "awaiting", "result_ready": "ready",
                 "supplement_requested": "paused"}.get(status)
        for bucket, n in zip(_DUE, by_due):
            if n:
                out[(*key, whole or bucket)] += n
    return out


def _zero() -> dict:
    return dict.fromkeys(("total", *BUCKETS), 0)


def drill_down(conn: Connection, scope: Scope, m: Moments, bucket: str | None = None,
               holder: str | None = None, procedure: str | None = None, step: str | None = None,
               officer: str | None = None, page: int = 1, per_page: int = 50,
               by: str = "receiving") -> tuple[list, int]:
    """The dossiers behind a count, most urgent (earliest deadline) first."""
    quick(conn)
    o = _open_dossiers(scope, m, bucket, by)
    where = [c == v for c, v in ((o.c.bucket, bucket), (o.c.holder, holder), (o.c.procedure_code, procedure),
                                 (o.c.step, step if step != "-" else None), (o.c.officer, officer)) if v]
    if step == "-":  # not at a step: at the one-stop desk (received, awaiting, ready)
        where.append(o.c.step.is_(None))
    total = conn.execute(select(func.count()).select_from(o).where(*where)).scalar_one()
    rows = conn.execute(select(o).where(*where)
                        .order_by(o.c.due_at.is_(None), o.c.due_at, o.c.id)
                        .limit(per_page).offset((page - 1) * per_page)).all()
    return [dict(r._mapping) for r in rows], total


def on_time_by_week(conn: Connection, scope: Scope, now: datetime, tz, weeks: int = 12) -> list[dict]:
    """Share of results ready on or before the appointment, by ISO week of readiness
    (grouped by local day in SQL, folded into weeks here)."""
    quick(conn)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    start = datetime.combine(first, time(0), tzinfo=tz)
    early, on_time, late = outcome(d.result_ready_at, d.appointment_at, tz, d.postponed_to)
    day = local_date(d.result_ready_at, tz_literal(tz))
    counted = (func.count().filter(early).label("early"), func.count().filter(on_time).label("on_time"),
               func.count().filter(late).label("late"))
    where = (d.result_ready_at >= start, d.result_ready_at <= now)
    through = report_rollup.watermark(conn)
    if through is None:
        rows = conn.execute(select(day.label("day"), *counted).where(*where, scope.where(d.agency))
                            .group_by(day)).all()
    else:  # closed before the watermark: from the daily rollup; the others live
        since = datetime.combine(through, time(0), tzinfo=tz)
        hot = union_all(
            select(d.result_ready_at, d.appointment_at, d.postponed_to).where(*where, scope.where_any(d.agency),
                                                              d.result_ready_at.is_not(None), d.closed_at.is_(None)),
            select(d.result_ready_at, d.appointment_at, d.postponed_to).where(*where, scope.where_any(d.agency),
                                                              d.closed_at >= since)).subquery("hot")
        h_early, h_on_time, h_late = outcome(hot.c.result_ready_at, hot.c.appointment_at, tz,
                                             hot.c.postponed_to)
        h_day = local_date(hot.c.result_ready_at, tz_literal(tz))
        rows = conn.execute(select(h_day.label("day"), func.count().filter(h_early).label("early"),
                                   func.count().filter(h_on_time).label("on_time"),
                                   func.count().filter(h_late).label("late")).group_by(h_day)).all()
        rows += report_rollup.outcomes_by_day(conn, first, scope)
    out = {}
    for i in range(weeks):
        monday = first + timedelta(days=7 * i)
        year, week, _ = monday.isocalendar()
        out[(year, week)] = dict(week=f"{year}-W{week:02d}", monday=monday, early=0, on_time=0, late=0)
    for r in rows:
        day_ = r.day if isinstance(r.day, date) else date.fromisoformat(str(r.day))
        w = out.get(day_.isocalendar()[:2])
        if w is not None:
            for k in ("early", "on_time", "late"):
                w[k] += r._mapping[k]
    for w in out.values():
        w["total"] = w["early"] + w["on_time"] + w["late"]
        w["rate"] = round((w["early"] + w["on_time"]) / w["total"], 4) if w["total"] else None
    return list(out.values())


def bottlenecks(conn: Connection, scope: Scope, p: Period, calendar, procedure: str | None = None,
                max_dossiers: int = MAX_DOSSIERS, tiers: tuple[int, ...] = SAMPLE_TIERS) -> dict:
    """Median and 90th percentile of the working minutes each step visit took, per
    procedure and step, over visits that ended in the period.

    A visit runs from the event entering the step (forward, send_back) to the event
    leaving it; a wait for the citizen's supplement inside the step is part of it. The
    time allowed is the step's in the version of the procedure in force on the period's
    last day. Which dossiers' visits are measured: see `_sample`."""
    quick(conn)
    active, found, every, estimated = _sample(conn, scope, p, procedure, max_dossiers, tiers)
    minutes, n = _visit_minutes(conn, active, [], p, calendar.timeline())
    repo, versions = ProcedureRepository(conn), {}
    items = []
    for (code, step_code), values in minutes.items():
        if code not in versions:
            versions[code] = (repo.current(code, p.last) or (None, None))[1]
        proc = versions[code]
        idx = proc.step_index(step_code) if proc else None
        step = proc.steps[idx] if idx is not None else None
        budget = round(step.days * calendar.minutes_per_day) if step else None
        values.sort()
        items.append(dict(procedure_code=code, procedure_name=proc.name if proc else code, step=step_code,
                          step_name=step.name if step else step_code,
                          agency=step.agency if step else None, order=idx if idx is not None else 99,
                          visits=len(values), median_minutes=percentile(values, 0.5),
                          p90_minutes=percentile(values, 0.9), budget_minutes=budget,
                          over_budget=sum(v > budget for v in values) if budget is not None else 0))
    items.sort(key=lambda i: (i["procedure_code"], i["order"]))
    return {"from": p.first, "to": p.last, "agency": scope.root, "procedure": procedure,
            "minutes_per_day": calendar.minutes_per_day, "sample": n, "sampled": every > 1,
            "dossiers": found, "estimated": estimated, "every": every, "items": items}


def _sample(conn: Connection, scope: Scope, p: Period, procedure: str | None, max_dossiers: int,
            tiers: tuple[int, ...]):
    """The dossiers whose visits are measured: (subquery of id, procedure_code; how many
    dossiers were active in the period; every how many one is measured; whether that
    count is an estimate).

    The dossiers that can hold a visit ending in the period are those active in it (as
    the statistics report's, indexed by agency and time). Up to `max_dossiers` of them
    are all measured; beyond, every m-th by id (a systematic sample, even over time and
    steps). How many there are is first estimated from the coarsest tier index (every
    256th dossier, migration 0014). When that is at most EXACT_BELOW times
    `max_dossiers`, they are counted, and m is the least that fits. Otherwise m is the
    least power of two that fits, and the sample is read from the index of the largest
    tier dividing m (at most twice the entries it keeps), never from all the dossiers:
    between max_dossiers / 2 and max_dossiers of them, whatever the city's size."""
    coarsest = tiers[-1]
    estimate = _count(conn, _tier_dossiers(p, scope, coarsest, coarsest, procedure)) * coarsest
    if estimate <= EXACT_BELOW * max_dossiers:
        active = slices(p, scope, (d.id,), returned_before=False)
        chosen = [active.c.procedure_code == procedure] if procedure else []
        found = _count(conn, select(active.c.id, active.c.procedure_code).where(*chosen).subquery())
        every = max(1, -(-found // max_dossiers))
        if every > 1:
            chosen.append(active.c.id % every == 0)
        return (select(active.c.id, active.c.procedure_code).where(*chosen).subquery("chosen"),
                found, every, False)
    every = 1 << (-(-estimate // max_dossiers) - 1).bit_length()  # least power of two >= the ratio
    tier = max(t for t in tiers if every % t == 0)
    chosen = _tier_dossiers(p, scope, tier, every, procedure)
    return chosen, _count(conn, chosen) * every, every, True


def _count(conn: Connection, rows) -> int:
    return conn.execute(select(func.count()).select_from(rows)).scalar_one()


def _tier_dossiers(p: Period, scope: Scope, tier: int, every: int, procedure: str | None):
    """The dossiers active in the period (as `slices` without its returned-before slice:
    received before the end, and unresolved, or their result ready or, without one,
    closed since the start) whose id `every` divides, as (id, procedure_code), read from
    the index of `tier` (which divides `every`). Spelled as the partial indexes of
    migration 0014 are, each modulus written out, so that PostgreSQL matches the index."""
    def divides(m: int):
        return d.id.op("%")(literal_column(str(int(m)))) == literal_column("0")
    left = func.coalesce(d.result_ready_at, d.closed_at)
    base = (divides(tier), *([divides(every)] if every != tier else []), d.received_at < p.end,
            scope.where_any(d.agency), *([d.procedure_code == procedure] if procedure else []))
    return union_all(select(d.id, d.procedure_code).where(*base, left >= p.start),
                     select(d.id, d.procedure_code).where(*base, left.is_(None))).subquery("chosen")


def _visit_minutes(conn: Connection, active, chosen: list, p: Period, timeline) -> tuple[dict, int]:
    """Working minutes of each step visit that ended in the period, by (procedure, step),
    and the number of visits.

    One ordered read of the chosen dossiers' hand-offs (every event that may enter or
    leave a step), folded here: a visit ends at an event leaving a step inside the period
    and began at the latest forward / send_back before it in the dossier's history.
    Why: two correlated look-ups per visit (the entering step, then its time) cost more
    than reading those few events once; each event's place on the office timeline is
    taken once (a forward both ends a visit and begins the next), from its time as
    epoch microseconds (no datetime objects)."""
    e = dossier_events.c
    stmt = (select(e.dossier_id, e.action, e.from_state, e.step, epoch_us(e.at), active.c.procedure_code)
            .join_from(active, dossier_events, e.dossier_id == active.c.id)
            .where(*chosen, e.action.in_(LEAVING)).order_by(e.dossier_id, e.seq))
    minutes: dict[tuple[str, str], list[int]] = defaultdict(list)
    n, dossier, entered = 0, None, None
    start, end, position = _micros(p.start), _micros(p.end), timeline.position_us
    for dossier_id, action, from_state, step, at, procedure_code in conn.execute(stmt).all():
        if dossier_id != dossier:
            dossier, entered = dossier_id, None
        here = None
        if entered is not None and start <= at < end and from_state and "@" in from_state:
            n += 1
            here = position(at)
            since_step, since_at, since = entered
            minutes[(procedure_code, since_step)].append(
                (here - since) // MICROSECONDS_PER_MINUTE if at > since_at else 0)
        if action in ENTERING:
            entered = (step, at, position(at) if here is None else here)
    return minutes, n


def _micros(at: datetime) -> int:
    return (at - EPOCH) // timedelta(microseconds=1)


def percentile(values: list[int], q: float) -> float | None:
    """Linear interpolation between closest ranks (as PostgreSQL's percentile_cont)."""
    if not values:
        return None
    pos = q * (len(values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return round(values[lo] + (values[hi] - values[lo]) * (pos - lo), 1)
