"""The per-dossier evaluation (đánh giá việc giải quyết TTHC, Circular 01/2018/TT-VPCP
Art. 13-15) from the records: the dossier's history, its feedback items, the complaint
given with its survey answer, and its agency's online service in the month of receipt.
The bands are in workflow.domain.evaluation; this module gathers the facts they need.
"""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from workflow.adapters.queries import list_procedures
from workflow.adapters.repository import ProcedureRepository
from workflow.adapters.tables import dossiers
from workflow.adapters.tables_surveys import survey_feedback, survey_responses, surveys
from workflow.domain import evaluation
from workflow.domain.dossier import Dossier
from workflow.domain.errors import NotFound

from .context import Context
from .unit_of_work import UnitOfWork


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
    f = survey_feedback.c
    items = tuple(evaluation.Feedback(r.due_at, r.answered_at, r.reason in ("complaint", "both"))
                  for r in conn.execute(select(f.due_at, f.answered_at, f.reason)
                                        .where(f.dossier_code == d.code)))
    complaint = bool(conn.execute(
        select(func.count()).select_from(survey_responses.join(surveys, surveys.c.id == survey_responses.c.survey_id))
        .where(surveys.c.dossier_id == d.id, survey_responses.c.complaint.is_(True))).scalar())
    moment = d.received_at or d.created_at
    return evaluation.Facts(feedback=items, complaint=complaint,
                            online=online_service(conn, d.receiving_agency, moment, now, tz) if moment else None)


def evaluation_of(ctx: Context, code: str) -> dict:
    """The nine indicators of a dossier, scored now from its records."""
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        d = uow.dossiers.get(code)
        if d is None:
            raise NotFound(f"no dossier '{code}'", field="code")
        events = uow.dossiers.events(d.id)
        facts = facts_for(uow.conn, d, now, ctx.calendar.tz)
        answered = uow.conn.execute(select(func.count()).select_from(
            survey_responses.join(surveys, surveys.c.id == survey_responses.c.survey_id))
            .where(surveys.c.dossier_id == d.id)).scalar() > 0
    found = evaluation.evaluate(d, events, ctx.calendar, facts, now).as_dict()
    return dict(found, dossier=code, answered=answered, receiving_agency=d.receiving_agency,
                basis="Thông tư 01/2018/TT-VPCP, Điều 13-15")
