"""Set-based reads of the survey tables for the SIPAS report and the feedback list.

The report reads the tallies (survey_tally.py): the month rows of the months its period
covers whole, the day rows of the days of a month it covers in part, added or subtracted
(workflow/domain/month_cover.py); the database sums them per (agency, procedure) and per
month, so a few thousand rows at most reach Python, never one per answer.
`element_cube` and `count_cube` are the direct reads of the answers over a period: what
the report read before the tallies, kept as the reference the tallies must equal
(tests/integration/test_survey_tally.py).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import case, func, literal_column, null, select, union_all
from sqlalchemy.engine import Connection

from workflow.domain.month_cover import Cover, month_key

from .tables import procedures
from .tables_surveys import (TALLY_COUNTS, TALLY_SCORES, survey_feedback, survey_responses, survey_scores,
                             survey_tally, survey_tally_counts, survey_tally_counts_daily, survey_tally_daily,
                             surveys)

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


# -- the report's breakdowns, from the tallies ----------------------------------------------
def local_bounds(first: date, last: date, tz) -> tuple[datetime, datetime]:
    """[start, end) of the local days first..last."""
    return (datetime.combine(first, time(0), tzinfo=tz),
            datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))


def _parts(monthly, daily, measures: tuple[str, ...], cover: Cover, agency: str | None,
           procedure: str | None) -> list:
    """The SELECTs whose union is the period: the month rows of its whole months, and the
    day rows of its partial months' day ranges, times their sign."""
    extra = ("element",) if "element" in monthly.c else ()
    cols = ("agency", "procedure_code", "period") + extra

    def scoped(t) -> list:
        return ([t.c.agency == agency] if agency else []) + \
            ([t.c.procedure_code == procedure] if procedure else [])
    parts = [select(*[monthly.c[c] for c in cols + measures])
             .where(monthly.c.period.in_(cover.months), *scoped(monthly))] if cover.months else []
    for d in cover.days:
        sign = literal_column(str(int(d.sign)))
        parts.append(select(*[daily.c[c] for c in cols], *[(daily.c[m] * sign).label(m) for m in measures])
                     .where(daily.c.period == month_key(d.first), daily.c.day >= d.first,
                            daily.c.day <= d.last, *scoped(daily)))
    return parts


def _rollup(parts: list, measures: tuple[str, ...], by_element: bool):
    """One statement, two groupings of the union of `parts`: per (agency, procedure[,
    element]) with dim 'place', and per (month[, element]) with dim 'month'. The report's
    four breakdowns follow from them in a few thousand additions at most: per agency and
    per procedure from the first, per month and overall from the second."""
    def grouped(dim: str, keys: tuple[str, ...]):
        src = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
        cols = [src.c[k] if k in keys else null().label(k) for k in ("agency", "procedure_code", "period")]
        extra = [src.c.element] if by_element else []
        return (select(literal_column(f"'{dim}'").label("dim"), *cols, *extra,
                       *[func.coalesce(func.sum(src.c[m]), 0).label(m) for m in measures])
                .group_by(*[src.c[k] for k in keys], *extra))
    return union_all(grouped("place", ("agency", "procedure_code")), grouped("month", ("period",)))


def breakdowns(conn: Connection, cover: Cover, agency: str | None = None,
               procedure: str | None = None) -> tuple[list, list]:
    """(element rows, count rows) of the period. Columns, in this order: dim ('place' or
    'month'), agency, procedure_code, period (the first two set on 'place' rows, the
    period on 'month' rows), then element and TALLY_SCORES (satisfied, answered, points)
    on element rows, TALLY_COUNTS (surveys, invited, responses, evaluation_points,
    evaluation_max) on count rows. Zero `surveys`: no survey there in the period."""
    scores = _parts(survey_tally, survey_tally_daily, TALLY_SCORES, cover, agency, procedure)
    counts = _parts(survey_tally_counts, survey_tally_counts_daily, TALLY_COUNTS, cover, agency, procedure)
    return (conn.execute(_rollup(scores, TALLY_SCORES, True)).all(),
            conn.execute(_rollup(counts, TALLY_COUNTS, False)).all())


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
