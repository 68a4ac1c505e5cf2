"""The SIPAS report: the index per element and overall, per agency, procedure and month,
with the number of responses and the response rate, against the published targets.

The same function serves the supervisors' API and page and the public results page
(Hanoi's Plan 143/KH-UBND requires publishing the results to the people). A survey
belongs to the period in which its dossier closed; the response rate is responses over
surveys that reached the citizen. The maths is `workflow.domain.sipas.sipas_index`,
applied to summed tallies with the questionnaire in force at the period's end.

The sums come from the tallies (bảng tổng hợp khảo sát) kept with every survey change
(workflow/adapters/survey_tally.py): per month for the months the period covers whole,
per day for the days of a month it covers in part (workflow/domain/month_cover.py). The
figures are those of summing the answers themselves (tests/integration/test_survey_tally.py
compares both), at a city's scale in tens of milliseconds instead of seconds. The reads
share one snapshot, so an answer stored meanwhile is in all of them or in none.
"""
from __future__ import annotations

import math

from collections import defaultdict
from datetime import date

from workflow.adapters.agencies import agency_names
from workflow.adapters import survey_queries as queries
from workflow.adapters.tables_surveys import TALLY_COUNTS
from workflow.domain.errors import InvalidInput
from workflow.domain.month_cover import cover
from workflow.domain.sipas import Tally, percent, sipas_index

from workflow.services.context import Context
from workflow.services.surveys.config import SurveyConfig

MAX_DAYS = 366 * 5


def default_range(today: date) -> tuple[date, date]:
    """The last twelve months, this one included."""
    month = today.year * 12 + today.month - 1 - 11
    return date(month // 12, month % 12 + 1, 1), today


def months(start: date, end: date) -> list[str]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def interval(index: float | None, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """A 95 % confidence interval (Wilson) of the index taken as a share over the `n`
    respondents. Why: the index is the unit's own survey of those who answered, a sample;
    read beside a target it needs its margin. Approximate [I]: the index is a weighted mean
    of element shares, and respondents chose to answer (not a random sample)."""
    if index is None or n <= 0:
        return None
    p = index / 100
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half) * 100, 1), round(min(1.0, centre + half) * 100, 1)


def _group(q, tallies: dict[str, Tally], counts: dict) -> dict:
    index = sipas_index(q, tallies)
    return dict(
        index=index.overall, interval=interval(index.overall, counts.get("responses", 0)),
        elements=[dict(code=e.code, name=e.name.vi, name_en=e.name.en, index=index.elements[e.code],
                       answers=index.answers[e.code]) for e in q.elements],
        responses=counts.get("responses", 0), invited=counts.get("invited", 0),
        response_rate=percent(counts.get("responses", 0), counts.get("invited", 0)),
        evaluation_score=percent(counts.get("evaluation_points", 0), counts.get("evaluation_max", 0)))


DIMS = ("overall", "agency", "procedure", "month")


def _breakdowns(scores, counts) -> tuple[dict, dict]:
    """Per breakdown (overall, agency, procedure, month) and key: the element tallies and
    the counts, from the database's 'place' and 'month' sums (plain integer lists while
    adding: a city's few thousand rows in milliseconds). A key is listed only if it had a
    survey in the period, as the report has always done."""
    def keys(dim, agency, procedure_code, period):
        return (("agency", agency), ("procedure", procedure_code)) if dim == "place" else \
            (("month", period), ("overall", ""))
    added = {d: defaultdict(lambda: defaultdict(lambda: [0, 0, 0])) for d in DIMS}
    for dim, agency, procedure_code, period, element, satisfied, answered, points in scores:
        for d, key in keys(dim, agency, procedure_code, period):
            into = added[d][key][element]
            into[0] += satisfied
            into[1] += answered
            into[2] += points
    tallies = {d: {key: {e: Tally(*map(int, v)) for e, v in by_element.items()}
                   for key, by_element in added[d].items()} for d in DIMS}
    sums = {d: defaultdict(lambda: [0] * len(TALLY_COUNTS)) for d in DIMS}
    for dim, agency, procedure_code, period, *values in counts:
        for d, key in keys(dim, agency, procedure_code, period):
            into = sums[d][key]
            for i, v in enumerate(values):
                into[i] += v
    return tallies, {d: {key: dict(zip(TALLY_COUNTS, map(int, v))) for key, v in sums[d].items()
                         if v[0] or d in ("overall", "month")} for d in DIMS}


def sipas_report(ctx: Context, conf: SurveyConfig, date_from: date, date_to: date,
                 agency: str | None = None, procedure: str | None = None) -> dict:
    if date_from > date_to:
        raise InvalidInput("'from' must not be after 'to'", field="from")
    if (date_to - date_from).days > MAX_DAYS:
        raise InvalidInput("the period may span at most five years", field="from")
    tz = ctx.calendar.tz
    try:
        q = conf.in_force(date_to).questionnaire
    except RuntimeError:  # a period before any questionnaire existed: nothing to report on
        raise InvalidInput("no satisfaction questionnaire was in force by 'to'", field="to") from None
    now = ctx.now()
    parts = cover(date_from, date_to, now.astimezone(tz).date())
    with ctx.engine.connect() as conn:
        _one_snapshot(conn)
        scores, counts = queries.breakdowns(conn, parts, agency, procedure)
        start, end = queries.local_bounds(date_from, date_to, tz)
        feedback = queries.feedback_counts(conn, start, end, now, agency)
        agencies = agency_names(conn)
        names = queries.procedure_names(conn, {r.procedure_code for r in counts if r.dim == "place"})

    tallies, sums = _breakdowns(scores, counts)

    def rows(dim: str, keys) -> list[tuple[str, dict]]:
        return [(k, _group(q, tallies[dim].get(k, {}), sums[dim].get(k, {}))) for k in keys]

    return dict(
        date_from=date_from, date_to=date_to, agency=agency, procedure=procedure,
        questionnaire=dict(code=q.code, version=q.version, method=q.method,
                           satisfied_from=q.satisfied_from),
        targets=[dict(year=t.year, low=t.low, high=t.high) for t in conf.targets],
        overall=dict(_group(q, tallies["overall"].get("", {}), sums["overall"].get("", {})),
                     feedback=feedback),
        by_agency=[dict(g, agency=k, name=agencies.get(k, k))
                   for k, g in rows("agency", sorted(sums["agency"]))],
        by_procedure=[dict(g, procedure_code=k, name=names.get(k, k))
                      for k, g in rows("procedure", sorted(sums["procedure"]))],
        by_month=[dict(g, month=k) for k, g in rows("month", months(date_from, date_to))])


def _one_snapshot(conn) -> None:
    """PostgreSQL: the report's reads in one REPEATABLE READ snapshot (a month's tally less
    some days' tallies must see the same answers); without JIT or parallel workers, whose
    start-up costs more than these short reads take (and far more on a busy server).
    SQLite's transaction is one snapshot already."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        conn.exec_driver_sql("SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0")
