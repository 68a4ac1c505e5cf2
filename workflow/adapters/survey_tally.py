"""The monthly survey tallies (bảng tổng hợp khảo sát theo tháng): writing them.

Why: the city-wide SIPAS report summed a million answers per request (seconds); the
tallies hold the same sums per (month of closing, receiving agency, procedure[, element]),
a few thousand rows a year, and the report adds those instead (survey_queries.py).

Exact, not approximate: each tally row equals the sums over the raw rows it stands for
(surveys, survey_responses, survey_scores) because every change is added in the
transaction that makes it:
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

from sqlalchemy import case, delete, func, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from workflow.domain.sipas import Tally

from .tables_surveys import (TALLY_COUNTS, TALLY_KEY, TALLY_SCORES, survey_responses, survey_scores,
                             survey_tally, survey_tally_counts, surveys)


def _insert(conn: Connection, table):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def _adding(conn: Connection, table, keys: tuple[str, ...], measures: tuple[str, ...]):
    """INSERT ... ON CONFLICT (key) DO UPDATE SET m = m + excluded.m: adds to a row."""
    stmt = _insert(conn, table)
    return stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_={m: table.c[m] + stmt.excluded[m] for m in measures})


def add(conn: Connection, period: str, agency: str, procedure_code: str,
        elements: Mapping[str, Tally] | None = None, **counts: int) -> None:
    """Add to the tallies of one (month, agency, procedure): `counts` by name (surveys,
    invited, responses, evaluation_points, evaluation_max), `elements` per element code.
    Element rows go in code order, so two answers lock the rows in the same order."""
    unknown = set(counts) - set(TALLY_COUNTS)
    if unknown:
        raise ValueError(f"unknown tally counts: {sorted(unknown)}")
    key = dict(period=period, agency=agency, procedure_code=procedure_code)
    conn.execute(_adding(conn, survey_tally_counts, TALLY_KEY, TALLY_COUNTS).values(
        **key, **{c: int(counts.get(c, 0)) for c in TALLY_COUNTS}))
    if elements:
        conn.execute(_adding(conn, survey_tally, TALLY_KEY + ("element",), TALLY_SCORES), [
            dict(key, element=code, satisfied=t.satisfied, answered=t.answered, points=t.points)
            for code, t in sorted(elements.items())])


# -- from the raw rows: backfill, rebuild, corrections ---------------------------------------
def count_sums(sign: int = 1, where: Iterable = ()):
    """SELECT of the counts per tally key, summed over the surveys (times `sign`)."""
    s, r = surveys.c, survey_responses.c
    reached = case((s.invited_at.is_not(None) | s.answered_at.is_not(None), 1), else_=0)
    return (select(s.period, s.agency, s.procedure_code,
                   (func.count() * sign).label("surveys"), (func.sum(reached) * sign).label("invited"),
                   (func.count(s.answered_at) * sign).label("responses"),
                   (func.coalesce(func.sum(r.evaluation_points), 0) * sign).label("evaluation_points"),
                   (func.coalesce(func.sum(r.evaluation_max), 0) * sign).label("evaluation_max"))
            .select_from(surveys.outerjoin(survey_responses, r.survey_id == s.id))
            .where(true(), *where)  # SQLite needs a WHERE before an upsert's ON CONFLICT
            .group_by(s.period, s.agency, s.procedure_code))


def score_sums(sign: int = 1, where: Iterable = ()):
    """SELECT of the element sums per tally key and element (times `sign`)."""
    s, sc = surveys.c, survey_scores.c
    return (select(s.period, s.agency, s.procedure_code, sc.element,
                   *[(func.sum(sc[m]) * sign).label(m) for m in TALLY_SCORES])
            .select_from(survey_scores.join(survey_responses, survey_responses.c.id == sc.response_id)
                         .join(surveys, s.id == survey_responses.c.survey_id))
            .where(true(), *where)
            .group_by(s.period, s.agency, s.procedure_code, sc.element))


def _apply(conn: Connection, sign: int, where: Iterable = ()) -> None:
    where = list(where)
    conn.execute(_adding(conn, survey_tally_counts, TALLY_KEY, TALLY_COUNTS).from_select(
        list(TALLY_KEY + TALLY_COUNTS), count_sums(sign, where)))
    conn.execute(_adding(conn, survey_tally, TALLY_KEY + ("element",), TALLY_SCORES).from_select(
        list(TALLY_KEY + ("element",) + TALLY_SCORES), score_sums(sign, where)))


def retract(conn: Connection, survey_ids: Iterable[int]) -> None:
    """Take these surveys out of the tallies, as they are now (before changing them)."""
    _apply(conn, -1, [surveys.c.id.in_(list(survey_ids))])


def restore(conn: Connection, survey_ids: Iterable[int]) -> None:
    """Put these surveys back into the tallies, as they are now (after changing them)."""
    _apply(conn, 1, [surveys.c.id.in_(list(survey_ids))])


def rebuild(conn: Connection) -> int:
    """Recompute every tally from the raw rows, in the caller's transaction (the same sums
    as migration 0010's backfill; the benchmark loader fills the tallies with it). On
    PostgreSQL the tallies are locked against the services' additions until it commits,
    which then add to the rebuilt rows. Returns the number of count rows."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE survey_tally_counts, survey_tally IN SHARE ROW EXCLUSIVE MODE")
    conn.execute(delete(survey_tally))
    conn.execute(delete(survey_tally_counts))
    _apply(conn, 1)
    return conn.execute(select(func.count()).select_from(survey_tally_counts)).scalar_one()
