"""The standard statistics report (form II.06a) per receiving agency and procedure, and
the log book rows behind it (sổ theo dõi hồ sơ, form 06 of Circular 01/2018/TT-VPCP).

Why set-based: a city's year is millions of dossiers, so the figures are one GROUP BY
over the union of four index-friendly slices of `dossiers` (see `slices`), each read
through an index of migration 0003; Python only adds up the aggregated rows.

Definitions, for a period [first, last] of dates in the calendar's time zone, S = first
00:00 and E = the day after last, 00:00 (only dossiers logged as received count: one
turned away at the counter before it was received is not in the log book):
- carried over: received before S, result not ready and not closed before S;
- new: received in [S, E), online vs in person or by post (channel);
- resolved: result ready (result_ready_at) in [S, E). A rejection is NOT a resolution
  here: it is counted in `rejected`, so that received = resolved + rejected + withdrawn
  + pending holds for every agency and procedure;
  early: ready on a day before the appointment's day; on time: ready on the
  appointment's day, not after the appointment moment; late: ready after the
  appointment (appointment_at: the FIRST appointment, even if it was moved later), or
  postponed at all (postponed_to set): the apology (form 04) admits the lateness, so it
  counts as late whatever follows, a supplement that restarts the clock included
  (Decree 61/2018 Art. 19; applied alike to dossiers under Decree 118/2025/NĐ-CP, whose
  wording on late results was not read: unconfirmed);
- pending at E: received, not resolved and not closed before E; overdue when its
  deadline (due_at, which a postponement moves and a supplement request clears) is
  before E, or before now while the period is not over; the others, including those
  waiting for a supplement, are within the deadline. The deadline is the one the
  dossier has now: for a past period, a clock restarted since then is not undone;
- returned / rejected / withdrawn: closed in [S, E) with that status.

Return channels (issue 21): the returned dossiers split by how the result went back, at
the counter or by the public postal service (`RETURN_COLUMNS`, summing to `returned`).
Form II.06a has no such column (its "received" side splits online from "in person or by
post", the return side is not split): the split is a breakdown beside the form, not a
column of it. The log book rows carry the channel of return and the post's tracking
number after the columns of the form; whether form 06 (Circular 01/2018/TT-VPCP) / 07
(Circular 03/2025/TT-VPCP) has a column for the way of return was not confirmed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Integer, and_, bindparam, case, cast, func, literal, null, or_, select, true, union_all
from sqlalchemy.engine import Connection

from workflow.adapters.local_dates import local_date, tz_literal
from workflow.adapters.tables import agencies, dossiers, procedures
from workflow.domain.dossier import Actor
from workflow.domain.errors import Forbidden, InvalidInput
from workflow.services.reports import rollup as report_rollup
from workflow.services.reports.outcome import outcome

REPORT_ROLES = ("supervisor", "admin")
COLUMNS = ("received_total", "carried", "new_total", "new_online", "new_in_person",
           "resolved_total", "early", "on_time", "late", "pending_total", "pending_within",
           "pending_overdue", "returned", "rejected", "withdrawn")
RETURN_COLUMNS = ("returned_at_counter", "returned_by_post")
MAX_DAYS = 3 * 366
# whose figures (issue 22, item 4): by the point that received the dossier (the form's
# "cơ quan tiếp nhận", as before) or by the unit competent to settle it
BY = ("receiving", "competent")
# the dossiers received at another point than their competent unit (migration 0027's
# partial indexes hold exactly these; the condition is written as they are)
BOUNDARY_FREE = (dossiers.c.competent_unit != dossiers.c.agency,)


def unit_column(by: str):
    """The column a report groups and scopes by: dossiers.agency (the receiving point) or
    dossiers.competent_unit."""
    if by not in BY:
        raise InvalidInput("by must be receiving or competent", field="by")
    return dossiers.c.agency if by == "receiving" else dossiers.c.competent_unit


# -- who sees what -----------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """The receiving agencies a reader may see. An admin's scope lists every agency
    (`everything`), so that every query is a range per agency on an index."""

    root: str | None
    codes: tuple[str, ...]
    everything: bool = False

    def where(self, column):
        """The codes written into the statement, not sent as parameters: a city's list is
        ~900 of them, which psycopg parsed out of every statement (~10 ms of client CPU
        a statement); the planner sees the same values either way."""
        return column.in_(bindparam(None, self.codes, expanding=True, literal_execute=True))

    def where_any(self, column):
        """As `where`, but no condition at all for everything: for reads that do not range
        over an agency-led index (a list of every agency costs more to send than to test)."""
        return true() if self.everything else self.where(column)


def _under(code: str, root: str) -> bool:
    return code == root or code.startswith(root + ".")


def scope_for(conn: Connection, actor: Actor, agency: str | None = None) -> Scope:
    """A supervisor sees their agency and those whose code starts with theirs + '.';
    an admin sees all. `agency` narrows to that agency and the agencies under it."""
    if actor.role not in REPORT_ROLES:
        raise Forbidden(f"{actor.username} ({actor.role}) may not read reports: supervisors and admins only")
    agency = (agency or "").strip() or None
    if actor.role == "supervisor":
        if not actor.agency:
            raise Forbidden("a supervisor without an agency sees no reports")
        if agency and not _under(agency, actor.agency):
            raise Forbidden(f"{actor.username} supervises {actor.agency}, not {agency}", field="agency")
        agency = agency or actor.agency
    known = conn.execute(select(agencies.c.code)).scalars().all()
    if agency is None:
        return Scope(None, tuple(sorted(known)), everything=True)
    return Scope(agency, tuple(sorted({agency, *(c for c in known if _under(c, agency))})))


def quick(conn: Connection) -> None:
    """These are short queries over indexes, but the planner's estimate of their
    correlated subqueries can pass PostgreSQL's JIT threshold, and compiling then costs
    more (~1-2 s) than running: no JIT for this transaction."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")


# -- periods and local days --------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    first: date
    last: date
    start: datetime
    end: datetime


def period(first: date, last: date, tz, max_days: int = MAX_DAYS) -> Period:
    if last < first:
        raise InvalidInput("'to' is before 'from'", field="to")
    if (last - first).days >= max_days:
        raise InvalidInput(f"the period may span at most {max_days} days", field="to")
    start = datetime.combine(first, time(0), tzinfo=tz)
    return Period(first, last, start, datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))


# -- the report --------------------------------------------------------------------------
_COUNTED = (dossiers.c.agency, dossiers.c.procedure_code, dossiers.c.channel, dossiers.c.status,
            dossiers.c.received_at, dossiers.c.appointment_at, dossiers.c.due_at,
            dossiers.c.result_ready_at, dossiers.c.closed_at, dossiers.c.postponed_to)


def slices(p: Period, scope: Scope, extra=(), returned_before: bool = True, by: str = "receiving",
           only=()):
    """Every dossier the report counts, in four disjoint slices that each use an index
    of migration 0003 (index-only on PostgreSQL for the columns in `_COUNTED`):
    unresolved now; ready since S; closed without a result since S; returned in the
    period with a result ready before it (counted only as returned).
    by="competent": the competent unit stands in the `agency` column; its slices range
    over ix_dossiers_competent_received (migration 0024) instead. `only`: more conditions
    on the dossiers counted (BOUNDARY_FREE: those received at another point than their
    competent unit, on the partial indexes of migration 0027)."""
    d = dossiers.c
    unit = unit_column(by)
    counted = _COUNTED if by == "receiving" else (unit.label("agency"), *_COUNTED[1:])
    cols = (*extra, *counted)
    unready = (*extra, *_known_null("postponed_to", counted=counted))  # no result, no outcome: not read
    base = (d.received_at < p.end, scope.where(unit), *only)
    return union_all(
        select(*unready).where(*base, d.result_ready_at.is_(None), d.closed_at.is_(None)),
        select(*cols).where(*base, d.result_ready_at >= p.start),
        select(*unready).where(*base, d.result_ready_at.is_(None), d.closed_at.is_not(None),
                               d.closed_at >= p.start),
        *([select(*unready).where(*base, d.result_ready_at < p.start, d.closed_at >= p.start,
                                  d.closed_at < p.end)] if returned_before else []),
    ).subquery("counted")


def _measures(r, p: Period, ref: datetime, tz) -> dict:
    S, E = p.start, p.end
    resolved = and_(r.c.result_ready_at >= S, r.c.result_ready_at < E)
    early, on_time, late = outcome(r.c.result_ready_at, r.c.appointment_at, tz, r.c.postponed_to)
    carried = and_(r.c.received_at < S, or_(r.c.result_ready_at.is_(None), r.c.result_ready_at >= S))
    new = r.c.received_at >= S
    pending = and_(or_(r.c.result_ready_at.is_(None), r.c.result_ready_at >= E),
                   or_(r.c.closed_at.is_(None), r.c.closed_at >= E))
    overdue = and_(pending, r.c.due_at.is_not(None), r.c.due_at < ref)

    def closed(status):
        return and_(r.c.status == status, r.c.closed_at >= S, r.c.closed_at < E)
    return {
        "received_total": or_(carried, new), "carried": carried, "new_total": new,
        "new_online": and_(new, r.c.channel == "online"),
        "new_in_person": and_(new, r.c.channel != "online"),
        "resolved_total": resolved, "early": and_(resolved, early),
        "on_time": and_(resolved, on_time), "late": and_(resolved, late),
        "pending_total": pending, "pending_within": and_(pending, ~overdue),
        "pending_overdue": overdue, "returned": closed("returned"),
        "rejected": closed("rejected"), "withdrawn": closed("withdrawn"),
    }


def _reference(p: Period, now: datetime) -> datetime:
    """Pending dossiers are judged at the period's end, or now while it is not over."""
    return min(p.end, now)


def _known_null(*names: str, counted: tuple = _COUNTED) -> tuple:
    """`_COUNTED` with the named columns as a typed NULL: a slice that selects only rows
    where they are NULL says so, and PostgreSQL, pulling the slice up into the count
    over it, folds every condition on them to a constant instead of testing it per row."""
    return tuple(cast(null(), c.type).label(c.key) if c.key in names else c for c in counted)


CLOSING = ("returned", "rejected", "withdrawn")


def hot_slices(p: Period, scope: Scope, since: datetime, by: str = "receiving", only=()) -> list:
    """The dossiers, or the part of them, that the rollup (report_rollup) does not hold,
    as (select, the COLUMNS it counts), in four disjoint slices on indexes of migrations
    0003 and 0007: unresolved; result ready since `since` (the watermark) and not yet
    handed over; closed since the watermark, with no result or one ready since it;
    closed since the watermark with a result ready before it, whose closing only is
    counted here (the rest is in the rollup's "ready" tables). Each is filtered to the
    dossiers `slices` would count. only=BOUNDARY_FREE: those dossiers alone, by `by`'s
    unit, on the partial indexes ix_dossiers_bf_open / ix_dossiers_bf_closed (0031)."""
    d = dossiers.c
    unit = unit_column(by)
    counted = _COUNTED if by == "receiving" else (unit.label("agency"), *_COUNTED[1:])
    base = (d.received_at < p.end, scope.where_any(unit), *only)
    counted_now = or_(d.result_ready_at >= p.start, and_(d.result_ready_at.is_(None), d.closed_at >= p.start),
                      and_(d.result_ready_at < p.start, d.closed_at >= p.start, d.closed_at < p.end))
    # the closings since the watermark: a range per agency on ix_dossiers_closed (index-only,
    # ~20 ms city-wide at 5M dossiers), not the heap rows behind ix_dossiers_closed_at (~130 ms)
    # (the boundary-free ones: by closing time on their small index, 0031)
    closed = (d.received_at < p.end, scope.where_any(unit) if only else scope.where(unit),
              d.closed_at.is_not(None), d.closed_at >= since, *only)

    def null(*names):
        return _known_null(*names, counted=counted)
    return [
        (select(*null("result_ready_at", "closed_at", "postponed_to"))
         .where(*base, d.result_ready_at.is_(None), d.closed_at.is_(None)), COLUMNS),
        (select(*null("closed_at")).where(*base, d.result_ready_at.is_not(None), d.closed_at.is_(None),
                                          d.result_ready_at >= max(p.start, since)), COLUMNS),
        (select(*counted).where(*closed, counted_now, or_(d.result_ready_at.is_(None), d.result_ready_at >= since)),
         COLUMNS),
        (select(*null("postponed_to")).where(*closed, d.result_ready_at < since, d.closed_at >= p.start,
                                             d.closed_at < p.end), CLOSING),
    ]


def _counts(parts: list, p: Period, ref: datetime, tz):
    """The II.06a counts per (agency, procedure) of the dossiers the (select, columns)
    of `parts` return, each counting only its columns: counted per part, then summed.
    Why per part: each hot row tested against the fifteen conditions of `_measures`
    (local dates included) was most of a city's report; in a part whose rows are known
    unresolved or not handed over, most conditions fold away (`_known_null`)."""
    counted = []
    for i, (part, keys) in enumerate(parts):
        r = part.subquery(f"part{i}")
        m = _measures(r, p, ref, tz)
        counted.append(select(r.c.agency, r.c.procedure_code,
                              *((func.count().filter(m[k]) if k in keys else literal(0)).label(k) for k in COLUMNS))
                       .group_by(r.c.agency, r.c.procedure_code))
    if len(counted) == 1:
        return counted[0]
    u = union_all(*counted).subquery("counts")
    return (select(u.c.agency, u.c.procedure_code, *(cast(func.sum(u.c[k]), Integer).label(k) for k in COLUMNS))
            .group_by(u.c.agency, u.c.procedure_code))


def summary(conn: Connection, p: Period, scope: Scope, now: datetime, tz, by: str = "receiving") -> dict:
    """Form II.06a figures: one row per (receiving agency, procedure) and the total.
    With a daily rollup (report_rollup), the dossiers closed before its watermark come
    from it and only the others are counted here; the figures are the same.
    by="competent": one row per (competent unit, procedure). A dossier adds the same
    figures to whichever row holds it, so the rows by competent unit are the rows by
    receiving agency, less the boundary-free dossiers each agency received for others,
    plus those received elsewhere for it: counts over the few boundary-free dossiers
    (their own netted rollup and partial indexes, migrations 0027 and 0031), not over
    the city."""
    quick(conn)
    unit_column(by)
    through = report_rollup.watermark(conn)
    since = datetime.combine(through, time(0), tzinfo=tz) if through else None
    found = _live(conn, p, scope, now, tz, since)
    if since:
        _add(found, report_rollup.rolled_up(conn, p.first, p.last, scope))
    if by == "competent":  # the boundary-free move: - at the receiving point, + at the unit
        for sign, side in ((-1, "receiving"), (1, "competent")):
            _add(found, _live(conn, p, scope, now, tz, since, side, BOUNDARY_FREE), sign)
        if since:  # netted at the refresh (report_bf_*)
            _add(found, report_rollup.rolled_up(conn, p.first, p.last, scope, report_rollup.BOUNDARY_FREE))
    by_post = return_channels(conn, p, scope, by)
    for key, row in found.items():
        posted = by_post.get(key, 0)
        row.update(returned_at_counter=row["returned"] - posted, returned_by_post=posted)
    rows = [found[key] for key in sorted(found)]
    rows = [row for row in rows if any(row[k] for k in COLUMNS)]
    names = _names(conn, {row["agency"] for row in rows}, {row["procedure_code"] for row in rows})
    for row in rows:
        row["agency_name"] = names[0].get(row["agency"], row["agency"])
        row["procedure_name"] = names[1].get(row["procedure_code"], row["procedure_code"])
    total = {k: sum(row[k] for row in rows) for k in (*COLUMNS, *RETURN_COLUMNS)}
    return {"from": p.first, "to": p.last, "agency": scope.root, "generated_at": now, "by": by,
            "rows": rows, "total": total}


def _live(conn: Connection, p: Period, scope: Scope, now: datetime, tz, since: datetime | None,
          by: str = "receiving", only=()) -> dict:
    """{(agency or `by`'s unit, procedure): figures} of the dossiers the rollup does not
    hold (all of them without one: `since` None). only=BOUNDARY_FREE: of those dossiers
    alone, on the partial indexes of 0027 and 0031."""
    parts = hot_slices(p, scope, since, by, only) if since else \
        [(select(*slices(p, scope, by=by, only=only).c), COLUMNS)]
    stmt = _counts(parts, p, _reference(p, now), tz)
    return {(row.agency, row.procedure_code): dict(row._mapping) for row in conn.execute(stmt)}


def _add(found: dict, more: dict, sign: int = 1) -> None:
    """Add (sign x) the figures of `more` to `found`, both {(agency, procedure): figures}."""
    for key, figures in more.items():
        row = found.setdefault(key, dict(zip(("agency", "procedure_code"), key), **dict.fromkeys(COLUMNS, 0)))
        for k in COLUMNS:
            row[k] += sign * figures[k]


def return_channels(conn: Connection, p: Period, scope: Scope, by: str = "receiving") -> dict:
    """The returns by post in the period (as the `returned` column counts them):
    {(agency, procedure): n}. Only they are counted, on the small partial index
    ix_dossiers_returned_by_post (migration 0026); the summary gives the returns at the
    counter as the returned column less these, so a city-wide year reads no more than
    the period's returns by post."""
    d = dossiers.c
    unit = unit_column(by)
    stmt = (select(unit, d.procedure_code, func.count().label("n"))
            .where(d.status == "returned", d.return_by == "post", d.closed_at >= p.start,
                   d.closed_at < p.end, d.received_at < p.end, scope.where(unit))
            .group_by(unit, d.procedure_code))
    return {(agency, procedure_code): n for agency, procedure_code, n in conn.execute(stmt)}


def _names(conn: Connection, codes: set, procedure_codes: set) -> tuple[dict, dict]:
    many = len(codes) > 50  # then read them all: the table is small, a long IN list is not
    agency_names = dict(conn.execute(select(agencies.c.code, agencies.c.name)
                                     .where(true() if many else agencies.c.code.in_(codes))).all()) if codes else {}
    proc = {}
    if procedure_codes:
        for code, name in conn.execute(select(procedures.c.code, procedures.c.name)
                                       .where(procedures.c.code.in_(procedure_codes))
                                       .order_by(procedures.c.effective_from, procedures.c.version)):
            proc[code] = name  # the latest version's name wins
    return agency_names, proc


LOG_COLUMNS = ("code", "agency", "procedure_code", "channel", "status", "received_at",
               "appointment_at", "due_at", "result_ready_at", "closed_at", "intake", "result",
               "pending", "closing", "return_by", "tracking_number")


def log_rows(p: Period, scope: Scope, now: datetime, tz, by: str = "receiving"):
    """The statement listing each dossier the report counts, with how it counts
    (stream it: a city's year is millions of rows)."""
    r = slices(p, scope, (dossiers.c.id, dossiers.c.code, dossiers.c.return_by,
                          dossiers.c.tracking_number, dossiers.c.agency.label("point")), by=by)
    m = _measures(r, p, _reference(p, now), tz)
    return select(
        r.c.code, r.c.point.label("agency"),  # a dossier's line names its receiving point either way
        r.c.procedure_code, r.c.channel, r.c.status, r.c.received_at,
        r.c.appointment_at, r.c.due_at, r.c.result_ready_at, r.c.closed_at,
        case((m["carried"], "carried"), (m["new_total"], "new"), else_=None).label("intake"),
        case((m["early"], "early"), (m["on_time"], "on_time"), (m["late"], "late"),
             else_=None).label("result"),
        case((m["pending_overdue"], "overdue"), (m["pending_total"], "within"),
             else_=None).label("pending"),
        case((or_(m["returned"], m["rejected"], m["withdrawn"]), r.c.status),
             else_=None).label("closing"),
        r.c.return_by, r.c.tracking_number,  # after the form's columns (see the module's note)
    ).order_by(r.c.received_at, r.c.id)
