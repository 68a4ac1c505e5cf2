"""The survey tallies (bảng tổng hợp khảo sát): writing them.

Why: the city-wide SIPAS report summed a million answers per request (seconds); the
tallies hold the same sums per (month of closing, receiving agency, procedure[, element]),
a few thousand rows a year, and per local day of closing for the months a report period
covers only in part. The report adds those instead (survey_queries.py), never joining
the answers, whatever the period.

Exact, not approximate: each tally row equals the sums over the raw rows it stands for
(surveys, survey_responses, survey_scores) because every change is added, to the month's
row and to the day's, in the transaction that makes it:
- a survey opened (open_survey): surveys + 1;
- a survey reached the citizen (the first of invited_at, answered_at to be set):
  invited + 1 (survey_delivery.record or the answer, whichever comes first);
- an answer stored (answer): responses + 1, its evaluation points, and per element its
  satisfied / answered / points (the survey_scores rows).
Answers are append-only in the product: nothing updates or deletes a response, its
scores or a survey. Whatever would (a correction, a purge) must, in its transaction,
`retract` the surveys it touches before the change and `restore` them after it; or
`rebuild` everything (`flask --app web surveys rebuild-tally`).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from sqlalchemy import case, delete, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from workflow.domain.sipas import Tally

from .local_dates import local_date, tz_literal
from .tables_surveys import (DAILY_KEY, TALLY_COUNTS, TALLY_KEY, TALLY_SCORES, survey_responses, survey_scores,
                             survey_tally, survey_tally_counts, survey_tally_counts_daily, survey_tally_daily,
                             surveys)

COUNTS = ((survey_tally_counts, TALLY_KEY), (survey_tally_counts_daily, DAILY_KEY))
SCORES = ((survey_tally, TALLY_KEY + ("element",)), (survey_tally_daily, DAILY_KEY + ("element",)))


def _adding(conn: Connection, table, keys: tuple[str, ...], measures: tuple[str, ...]):
    """INSERT ... ON CONFLICT (key) DO UPDATE SET m = m + excluded.m: adds to a row."""
    stmt = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)
    return stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={m: table.c[m] + stmt.excluded[m] for m in measures})


def add(conn: Connection, period: str, day: date, agency: str, procedure_code: str,
        elements: Mapping[str, Tally] | None = None, **counts: int) -> None:
    """Add to the tallies of one (month, local day of closing, agency, procedure): `counts`
    by name (surveys, invited, responses, evaluation_points, evaluation_max), `elements`
    per element code. Rows go month first, then day, elements in code order, so two
    transactions lock the rows they share in the same order."""
    unknown = set(counts) - set(TALLY_COUNTS)
    if unknown:
        raise ValueError(f"unknown tally counts: {sorted(unknown)}")
    key = dict(period=period, day=day, agency=agency, procedure_code=procedure_code)
    for table, keys in COUNTS:
        conn.execute(_adding(conn, table, keys, TALLY_COUNTS).values(
            **{k: key[k] for k in keys}, **{c: int(counts.get(c, 0)) for c in TALLY_COUNTS}))
    if elements:
        for table, keys in SCORES:
            conn.execute(_adding(conn, table, keys, TALLY_SCORES), [
                dict({k: key[k] for k in keys if k != "element"}, element=code, satisfied=t.satisfied,
                     answered=t.answered, points=t.points) for code, t in sorted(elements.items())])


def local_day(moment: datetime, tz) -> date:
    """The local day of closing a survey's daily tally rows are filed under."""
    return moment.astimezone(tz).date()


# -- from the raw rows: backfill, rebuild, corrections ---------------------------------------
def _key_columns(daily: bool, tz) -> list:
    s = surveys.c
    day = [local_date(s.closed_at, tz_literal(tz)).label("day")] if daily else []
    return [s.period, *day, s.agency, s.procedure_code]


def count_sums(daily: bool, tz, sign: int = 1, where: Iterable = ()):
    """SELECT of the counts per tally key, summed over the surveys (times `sign`)."""
    s, r = surveys.c, survey_responses.c
    keys = _key_columns(daily, tz)
    reached = case((s.invited_at.is_not(None) | s.answered_at.is_not(None), 1), else_=0)
    return (select(*keys, (func.count() * sign).label("surveys"), (func.sum(reached) * sign).label("invited"),
                   (func.count(s.answered_at) * sign).label("responses"),
                   (func.coalesce(func.sum(r.evaluation_points), 0) * sign).label("evaluation_points"),
                   (func.coalesce(func.sum(r.evaluation_max), 0) * sign).label("evaluation_max"))
            .select_from(surveys.outerjoin(survey_responses, r.survey_id == s.id))
            .where(true(), *where)  # SQLite needs a WHERE before an upsert's ON CONFLICT
            .group_by(*keys))


def score_sums(daily: bool, tz, sign: int = 1, where: Iterable = ()):
    """SELECT of the element sums per tally key and element (times `sign`)."""
    sc = survey_scores.c
    keys = _key_columns(daily, tz) + [sc.element]
    return (select(*keys, *[(func.sum(sc[m]) * sign).label(m) for m in TALLY_SCORES])
            .select_from(survey_scores.join(survey_responses, survey_responses.c.id == sc.response_id)
                         .join(surveys, surveys.c.id == survey_responses.c.survey_id))
            .where(true(), *where)
            .group_by(*keys))


def _apply(conn: Connection, tz, sign: int, where: Iterable = ()) -> None:
    where = list(where)
    for (table, keys), daily in zip(COUNTS, (False, True)):
        conn.execute(_adding(conn, table, keys, TALLY_COUNTS).from_select(
            list(keys + TALLY_COUNTS), count_sums(daily, tz, sign, where)))
    for (table, keys), daily in zip(SCORES, (False, True)):
        conn.execute(_adding(conn, table, keys, TALLY_SCORES).from_select(
            list(keys + TALLY_SCORES), score_sums(daily, tz, sign, where)))


def retract(conn: Connection, tz, survey_ids: Iterable[int]) -> None:
    """Take these surveys out of the tallies, as they are now (before changing them)."""
    _apply(conn, tz, -1, [surveys.c.id.in_(list(survey_ids))])


def restore(conn: Connection, tz, survey_ids: Iterable[int]) -> None:
    """Put these surveys back into the tallies, as they are now (after changing them)."""
    _apply(conn, tz, 1, [surveys.c.id.in_(list(survey_ids))])


def rebuild(conn: Connection, tz) -> int:
    """Recompute every tally from the raw rows, in the caller's transaction (the same sums
    as migration 0010's backfill; the benchmark loader fills the tallies with it). On
    PostgreSQL the tallies are locked against the services' additions until it commits,
    which then add to the rebuilt rows. Returns the number of monthly count rows."""
    tables = [t for t, _ in COUNTS + SCORES]
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(t.name for t in tables)} IN SHARE ROW EXCLUSIVE MODE")
    for table in tables:
        conn.execute(delete(table))
    _apply(conn, tz, 1)
    return conn.execute(select(func.count()).select_from(survey_tally_counts)).scalar_one()
