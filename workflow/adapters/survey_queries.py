"""Set-based reads of the survey tables for the SIPAS report and the feedback list.

The report reads two small cubes grouped by (agency, procedure, month[, element]) on
indexed columns; rolling them up into totals happens in Python over the cube, never
over individual responses.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.engine import Connection

from .tables import procedures
from .tables_surveys import survey_feedback, survey_responses, survey_scores, surveys

GROUP = (surveys.c.agency, surveys.c.procedure_code, surveys.c.period)


def _where(start: datetime, end: datetime, agency: str | None, procedure: str | None) -> list:
    where = [surveys.c.closed_at >= start, surveys.c.closed_at < end]
    if agency:
        where.append(surveys.c.agency == agency)
    if procedure:
        where.append(surveys.c.procedure_code == procedure)
    return where


def element_cube(conn: Connection, start: datetime, end: datetime, agency: str | None = None,
                 procedure: str | None = None) -> list:
    """(agency, procedure_code, period, element, satisfied, answered, points) sums."""
    sc = survey_scores.c
    return conn.execute(
        select(*GROUP, sc.element, func.sum(sc.satisfied).label("satisfied"),
               func.sum(sc.answered).label("answered"), func.sum(sc.points).label("points"))
        .select_from(survey_scores.join(survey_responses, survey_responses.c.id == sc.response_id)
                     .join(surveys, surveys.c.id == survey_responses.c.survey_id))
        .where(*_where(start, end, agency, procedure))
        .group_by(*GROUP, sc.element)).all()


def count_cube(conn: Connection, start: datetime, end: datetime, agency: str | None = None,
               procedure: str | None = None) -> list:
    """(agency, procedure_code, period, invited, responses, evaluation points and max)."""
    s, r = surveys.c, survey_responses.c
    reached = case((s.invited_at.is_not(None) | s.answered_at.is_not(None), 1), else_=0)
    return conn.execute(
        select(*GROUP, func.sum(reached).label("invited"), func.count(s.answered_at).label("responses"),
               func.coalesce(func.sum(r.evaluation_points), 0).label("evaluation_points"),
               func.coalesce(func.sum(r.evaluation_max), 0).label("evaluation_max"))
        .select_from(surveys.outerjoin(survey_responses, r.survey_id == s.id))
        .where(*_where(start, end, agency, procedure))
        .group_by(*GROUP)).all()


def feedback_counts(conn: Connection, start: datetime, end: datetime, now: datetime,
                    agency: str | None = None) -> dict:
    f = survey_feedback.c
    where = [f.opened_at >= start, f.opened_at < end] + ([f.agency == agency] if agency else [])
    row = conn.execute(select(
        func.count().label("opened"), func.count(f.answered_at).label("answered"),
        func.coalesce(func.sum(case((f.answered_at <= f.due_at, 1), else_=0)), 0).label("answered_on_time"),
        func.coalesce(func.sum(case((f.answered_at.is_(None) & (f.due_at < now), 1), else_=0)), 0)
        .label("overdue")).where(*where)).one()
    return dict(row._mapping)


def procedure_names(conn: Connection, codes) -> dict[str, str]:
    rows = conn.execute(select(procedures.c.code, procedures.c.name).where(
        procedures.c.code.in_(list(codes))).order_by(procedures.c.code, procedures.c.effective_from))
    return {r.code: r.name for r in rows}  # the latest version's name wins


FEEDBACK_STATUSES = ("open", "overdue", "answered")


def list_feedback(conn: Connection, now: datetime, agency: str | None, status: str | None,
                  page: int = 1, per_page: int = 50) -> tuple[list, int]:
    """Feedback items, oldest deadline first; paginated."""
    f = survey_feedback.c
    where = [f.agency == agency] if agency else []
    if status == "open":
        where.append(f.answered_at.is_(None))
    elif status == "overdue":
        where += [f.answered_at.is_(None), f.due_at < now]
    elif status == "answered":
        where.append(f.answered_at.is_not(None))
    total = conn.execute(select(func.count()).select_from(survey_feedback).where(*where)).scalar_one()
    rows = conn.execute(select(survey_feedback).where(*where)
                        .order_by(f.answered_at.is_not(None), f.due_at, f.id)
                        .limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total
