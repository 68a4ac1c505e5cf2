"""The per-dossier evaluation (đánh giá việc giải quyết TTHC, Circular 01/2018/TT-VPCP
Art. 13-15) from the records: the dossier's history, its feedback items, the complaint
given with its survey answer, and its agency's online service in the month of receipt.
The bands are in workflow.domain.evaluation; this module gathers the facts they need.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, time

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from workflow.adapters.queries import list_procedures
from workflow.adapters.repository import ProcedureRepository
from workflow.adapters.tables import dossiers
from workflow.adapters.tables_surveys import survey_feedback, survey_responses, surveys
from workflow.domain import evaluation
from workflow.domain.dossier import Dossier
from workflow.domain.errors import InvalidInput, NotFound

from workflow.services.reports import statistics as reports
from workflow.services.context import Context
from workflow.services.unit_of_work import UnitOfWork


def _month(moment: datetime, tz) -> tuple[datetime, datetime]:
    local = moment.astimezone(tz).date().replace(day=1)
    nxt = local.replace(year=local.year + (local.month == 12), month=local.month % 12 + 1)
    return datetime.combine(local, time(0), tzinfo=tz), datetime.combine(nxt, time(0), tzinfo=tz)


def online_service(conn: Connection, agency: str, moment: datetime, now: datetime, tz) -> evaluation.OnlineService:
    """The agency's procedures offered online, and its dossiers of the month of `moment`:
    how many came online, and how many online ones were late or are unresolved past
    their date (indicator 9)."""
    start, end = _month(moment, tz)
    repo = ProcedureRepository(conn)
    mine = [p for p in (repo.by_id(i) for i in list_procedures(conn, start.date())) if p.agency == agency]
    d = dossiers.c
    online = d.channel == "online"
    late = or_(d.postponed_to.is_not(None), d.result_ready_at > d.appointment_at,
               and_(d.result_ready_at.is_(None), d.closed_at.is_(None), d.due_at < now))
    row = conn.execute(select(func.count(), func.count().filter(online),
                              func.count().filter(and_(online, late)))
                       .where(d.agency == agency, d.received_at >= start, d.received_at < end)).one()
    return evaluation.OnlineService(procedures=len(mine),
                                    procedures_online=sum(1 for p in mine if "online" in p.channels),
                                    dossiers=row[0], dossiers_online=row[1], online_overdue=row[2])


def facts_for(conn: Connection, d: Dossier, now: datetime, tz) -> evaluation.Facts:
    moment = d.received_at or d.created_at
    return dataclasses.replace(own_facts(conn, d),
                               online=online_service(conn, d.receiving_agency, moment, now, tz) if moment else None)


def evaluation_of(ctx: Context, code: str) -> dict:
    """The nine indicators of a dossier, scored now from its records."""
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        d, events = uow.dossiers.get_with_history(code)
        if d is None:
            raise NotFound(f"no dossier '{code}'", field="code")
        facts = facts_for(uow.conn, d, now, ctx.calendar.tz)
        answered = uow.conn.execute(select(func.count()).select_from(
            survey_responses.join(surveys, surveys.c.id == survey_responses.c.survey_id))
            .where(surveys.c.dossier_id == d.id)).scalar() > 0
    found = evaluation.evaluate(d, events, ctx.calendar, facts, now).as_dict()
    return dict(found, dossier=code, answered=answered, receiving_agency=d.receiving_agency,
                basis="Thông tư 01/2018/TT-VPCP, Điều 13-15")


MAX_DOSSIERS = 20_000   # one request's roll-up: a ward's months; a city's month is narrowed first
STAFF_INDICATORS = ("total_time", "agency_time", "contacts", "agencies_contacted", "attitude")
STAFF_GRADES = ((5, "hoan_thanh_100"), (3.5, "hoan_thanh_70"), (0, "duoi_70"))


def staff_grade(score: float) -> str:
    """A civil servant's result from indicators 1, 2, 3, 4 and 7 (Art. 15(3)): 5 or more
    means 100 % of tasks completed, 3.5 to under 5 from 70 %, under 3.5 under 70 %."""
    return next(name for floor, name in STAFF_GRADES if score >= floor)


def _averages(evaluations: list, codes) -> tuple[dict, float]:
    """Each indicator's score: its points summed over the dossiers it could score, over
    those dossiers, to one decimal (Art. 15(2)(a); Art. 15(4)(b) leaves out the others)."""
    out = {}
    for code in codes:
        points = [e[code] for e in evaluations if e.get(code) is not None]
        out[code] = round(sum(points) / len(points), 1) if points else None
    return out, round(sum(v for v in out.values() if v is not None), 1)


def rollup(ctx: Context, scope, first, last) -> dict:
    """Per receiving agency and month, and per officer, the Art. 15 scores of the
    dossiers whose result was ready (or which were refused) in the period, scored from the
    records as `evaluation_of` does. Python over each dossier's history: bounded by
    MAX_DOSSIERS per request (a 422 asks to narrow the scope or the period)."""
    tz, now = ctx.calendar.tz, ctx.now()
    p = reports.period(first, last, tz, max_days=93)
    d = dossiers.c
    left = func.coalesce(d.result_ready_at, d.closed_at)
    where = (scope.where(d.agency), d.received_at.is_not(None), left >= p.start, left < p.end,
             or_(d.result_ready_at.is_not(None), d.status == "rejected"))
    with UnitOfWork(ctx.engine) as uow:
        conn = uow.conn
        n = conn.execute(select(func.count()).where(*where)).scalar_one()
        if n > MAX_DOSSIERS:
            raise InvalidInput(f"{n} dossiers in the period: narrow the agency or the period "
                               f"(at most {MAX_DOSSIERS})", field="agency")
        codes = conn.execute(select(d.code).where(*where).order_by(d.id)).scalars().all()
        online_cache: dict[tuple, evaluation.OnlineService] = {}
        agencies, officers = {}, {}
        for code in codes:
            dossier, events = uow.dossiers.get_with_history(code)
            month = (dossier.received_at or dossier.created_at).astimezone(tz).strftime("%Y-%m")
            key = (dossier.receiving_agency, month)
            if key not in online_cache:
                online_cache[key] = online_service(conn, dossier.receiving_agency,
                                                   dossier.received_at or dossier.created_at, now, tz)
            facts = dataclasses.replace(own_facts(conn, dossier), online=online_cache[key])
            ev = evaluation.evaluate(dossier, events, ctx.calendar, facts, now)
            points = {i.code: i.points for i in ev.indicators}
            ready_month = (dossier.result_ready_at or dossier.closed_at).astimezone(tz).strftime("%Y-%m")
            agencies.setdefault((dossier.receiving_agency, ready_month), []).append(points)
            # who handled it: the clerk who received it and whoever acted on one of its steps
            handled = {e.actor for e in events if (e.from_state or "").startswith("in_progress@")}
            for officer in {*handled, dossier.received_by} - {None}:
                officers.setdefault((officer, ready_month), []).append(points)
    codes9 = [c for c, _, _ in evaluation.INDICATORS]
    agency_rows = []
    for (agency, month), evs in sorted(agencies.items()):
        scores, total = _averages(evs, codes9)
        agency_rows.append(dict(agency=agency, month=month, dossiers=len(evs), indicators=scores,
                                score=total, grade=evaluation.grade(total)))
    officer_rows = []
    for (officer, month), evs in sorted(officers.items()):
        scores, total = _averages(evs, STAFF_INDICATORS)
        officer_rows.append(dict(officer=officer, month=month, dossiers=len(evs), indicators=scores,
                                 score=total, grade=staff_grade(total)))
    return {"from": p.first, "to": p.last, "agency": scope.root, "agencies": agency_rows,
            "officers": officer_rows, "basis": "Thông tư 01/2018/TT-VPCP, Điều 15"}


def own_facts(conn: Connection, d: Dossier) -> evaluation.Facts:
    """The dossier's own facts (feedback items, complaint); the online service is the
    agency's month, computed once per month by the caller."""
    f = survey_feedback.c
    items = tuple(evaluation.Feedback(r.due_at, r.answered_at, r.reason in ("complaint", "both"))
                  for r in conn.execute(select(f.due_at, f.answered_at, f.reason)
                                        .where(f.dossier_code == d.code)))
    complaint = bool(conn.execute(
        select(func.count()).select_from(survey_responses.join(surveys, surveys.c.id == survey_responses.c.survey_id))
        .where(surveys.c.dossier_id == d.id, survey_responses.c.complaint.is_(True))).scalar())
    return evaluation.Facts(feedback=items, complaint=complaint)
