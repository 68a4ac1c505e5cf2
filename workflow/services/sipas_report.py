"""The SIPAS report: the index per element and overall, per agency, procedure and month,
with the number of responses and the response rate, against the published targets.

The same function serves the supervisors' API and page and the public results page
(Hanoi's Plan 143/KH-UBND requires publishing the results to the people). A survey
belongs to the period in which its dossier closed; the response rate is responses over
surveys that reached the citizen. The maths is `workflow.domain.sipas.sipas_index`,
applied to summed tallies with the questionnaire in force at the period's end.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from workflow.adapters.agencies import agency_names
from workflow.adapters import survey_queries as queries
from workflow.domain.errors import InvalidInput
from workflow.domain.sipas import Tally, percent, sipas_index

from .context import Context
from .survey_config import SurveyConfig

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


def _group(q, tallies: dict[str, Tally], counts: dict) -> dict:
    index = sipas_index(q, tallies)
    return dict(
        index=index.overall,
        elements=[dict(code=e.code, name=e.name.vi, name_en=e.name.en, index=index.elements[e.code],
                       answers=index.answers[e.code]) for e in q.elements],
        responses=counts.get("responses", 0), invited=counts.get("invited", 0),
        response_rate=percent(counts.get("responses", 0), counts.get("invited", 0)),
        evaluation_score=percent(counts.get("evaluation_points", 0), counts.get("evaluation_max", 0)))


def sipas_report(ctx: Context, conf: SurveyConfig, date_from: date, date_to: date,
                 agency: str | None = None, procedure: str | None = None) -> dict:
    if date_from > date_to:
        raise InvalidInput("'from' must not be after 'to'", field="from")
    if (date_to - date_from).days > MAX_DAYS:
        raise InvalidInput("the period may span at most five years", field="from")
    tz = ctx.calendar.tz
    start = datetime.combine(date_from, time(0), tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=tz)
    try:
        q = conf.in_force(date_to).questionnaire
    except RuntimeError:  # a period before any questionnaire existed: nothing to report on
        raise InvalidInput("no satisfaction questionnaire was in force by 'to'", field="to") from None
    with ctx.engine.connect() as conn:
        cube = queries.element_cube(conn, start, end, agency, procedure)
        counts = queries.count_cube(conn, start, end, agency, procedure)
        feedback = queries.feedback_counts(conn, start, end, ctx.now(), agency)
        agencies = agency_names(conn)
        names = queries.procedure_names(conn, {r.procedure_code for r in counts})

    dims = {"overall": lambda r: "", "agency": lambda r: r.agency,
            "procedure": lambda r: r.procedure_code, "month": lambda r: r.period}
    tallies = {d: defaultdict(lambda: defaultdict(Tally)) for d in dims}
    sums = {d: defaultdict(lambda: defaultdict(int)) for d in dims}
    for r in cube:
        t = Tally(int(r.satisfied), int(r.answered), int(r.points))
        for d, key in dims.items():
            tallies[d][key(r)][r.element] += t
    for r in counts:
        for d, key in dims.items():
            for field in ("invited", "responses", "evaluation_points", "evaluation_max"):
                sums[d][key(r)][field] += int(getattr(r, field))

    def rows(dim: str, keys) -> list[tuple[str, dict]]:
        return [(k, _group(q, tallies[dim][k], sums[dim][k])) for k in keys]

    return dict(
        date_from=date_from, date_to=date_to, agency=agency, procedure=procedure,
        questionnaire=dict(code=q.code, version=q.version, method=q.method,
                           satisfied_from=q.satisfied_from),
        targets=[dict(year=t.year, low=t.low, high=t.high) for t in conf.targets],
        overall=dict(_group(q, tallies["overall"][""], sums["overall"][""]), feedback=feedback),
        by_agency=[dict(g, agency=k, name=agencies.get(k, k))
                   for k, g in rows("agency", sorted(sums["agency"]))],
        by_procedure=[dict(g, procedure_code=k, name=names.get(k, k))
                      for k, g in rows("procedure", sorted(sums["procedure"]))],
        by_month=[dict(g, month=k) for k, g in rows("month", months(date_from, date_to))])
