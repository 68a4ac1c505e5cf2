"""The Decision 766/QĐ-TTg service index of a scope (agency, ward, city) for a period,
from the product's own records (workflow.domain.service_index has the criteria).

Set-based and cheap at city scale: the progress and online figures are the II.06a
summary's (reports.summary: rollup plus the hot dossiers), the procedures come from the
catalog in force at the period's end, and the feedback items are one grouped count.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from workflow.adapters.queries import list_procedures
from workflow.adapters.repository import ProcedureRepository
from workflow.adapters.tables_surveys import survey_feedback
from workflow.domain import service_index as index

from workflow.services.reports import digitisation, statistics as reports


def measure(conn: Connection, p: reports.Period, scope: reports.Scope, now: datetime, tz,
            with_actions: bool = True) -> dict:
    """Rates of the measured criteria and the index they make; with_actions=False: without
    what would gain the most (a city's month has ~900 rows to score again, ~16 ms)."""
    summary = reports.summary(conn, p, scope, now, tz)
    t = summary["total"]
    rates = {
        "2.1": index.rate(t["early"] + t["on_time"] + t["pending_within"], t["resolved_total"] + t["pending_total"]),
        "3.3": index.rate(t["new_online"], t["new_total"]),
    }
    codes = set(scope.codes)
    repo = ProcedureRepository(conn)
    mine = [q for q in (repo.by_id(i) for i in list_procedures(conn, p.last)) if q.agency in codes]
    online = {q.code for q in mine if "online" in q.channels}
    with_online = {r["procedure_code"] for r in summary["rows"] if r["new_online"]} & online
    rates["3.1"] = index.rate(len(online), len(mine))
    rates["3.2"] = index.rate(len(with_online), len(online))
    counted = digitisation.electronic(conn, p, scope).values()
    digitised, electronic = sum(c[0] for c in counted), sum(c[1] for c in counted)
    rates["4.1"] = index.rate(electronic, t["returned"])
    rates["4.2"] = index.rate(digitised, t["new_total"])
    f = survey_feedback.c
    due = conn.execute(select(
        func.count(), func.coalesce(func.sum(case((f.answered_at <= f.due_at, 1), else_=0)), 0))
        .where(f.due_at >= p.start, f.due_at < min(p.end, now), scope.where(f.agency))).one()
    rates["5.2"] = index.rate(int(due[1]), int(due[0]))
    opened = conn.execute(select(func.count()).where(
        and_(f.opened_at >= p.start, f.opened_at < p.end), scope.where(f.agency))).scalar_one()
    resolved = t["resolved_total"]
    if resolved:
        satisfied = max(0.0, 1 - (t["late"] + opened) / resolved)
        rates["5.4"] = dict(rate=round(satisfied, 4), numerator=resolved - t["late"] - opened,
                            denominator=resolved, late=t["late"], feedback=opened)
    else:
        rates["5.4"] = index.rate(0, 0)
    scored = index.score(rates)
    return dict(scored, **{"from": p.first, "to": p.last}, agency=scope.root,
                actions=actions(summary, rates, due, scored) if with_actions else [],
                generated_at=now, method="Quyết định 766/QĐ-TTg (công thức theo mô tả của Cổng DVCQG; "
                                         "chưa đối chiếu phụ lục của quyết định)")


def months_back(last: date, n: int) -> list[tuple[date, date]]:
    """The `n` calendar months ending with the month of `last`, as (first, last) days;
    the current month ends at `last`."""
    out: list[tuple[date, date]] = []
    for _ in range(n):
        end = last if not out else (out[-1][0] - timedelta(days=1))
        out.append((end.replace(day=1), end))
    return list(reversed(out))


def trend(conn: Connection, last: date, scope: reports.Scope, now: datetime, tz, months: int) -> list[dict]:
    """The measured points of each of the `months` months ending with `last`'s."""
    out = []
    for first, end in months_back(last, months):
        m = measure(conn, reports.period(first, end, tz), scope, now, tz, with_actions=False)
        out.append(dict(month=first, points=m["points"], measured_max=m["measured_max"]))
    return out


def _points(rates: dict) -> float:
    return index.score(rates)["points"]


def _gain(rates: dict, base: float, n: int, late: int) -> float:
    """The points gained had `n` dossiers (`late` of them resolved late, the others still
    overdue) been on time: progress 2.1 and satisfaction 5.4 recomputed."""
    better = dict(rates)
    r21 = rates["2.1"]
    better["2.1"] = index.rate(r21["numerator"] + n, r21["denominator"])
    r54 = rates["5.4"]
    if r54.get("denominator"):
        unsatisfied = (r54["late"] - late + r54["feedback"]) / r54["denominator"]
        better["5.4"] = dict(r54, rate=round(max(0.0, 1 - unsatisfied), 4))
    return round(_points(better) - base, 2)


def actions(summary: dict, rates: dict, due, scored: dict, top: int = 3) -> list[dict]:
    """What would gain the most points next time, from the period's own figures: for each
    (agency, procedure), its dossiers resolved late or still overdue had they been on
    time (progress 2.1 and satisfaction 5.4 together); and the feedback answered late had
    it been answered on time (5.2). The gain is the index recomputed without them."""
    base = scored["points"]
    out = []
    gains: dict[tuple, float] = {}  # a city's rows repeat the same few (n, late): score each once
    for row in summary["rows"]:
        n = row["late"] + row["pending_overdue"]
        if not n:
            continue
        key = (n, row["late"])
        if key not in gains:
            gains[key] = _gain(rates, base, n, row["late"])
        gain = gains[key]
        out.append(dict(kind="late_dossiers", agency=row["agency"], agency_name=row.get("agency_name"),
                        procedure_code=row["procedure_code"], procedure_name=row.get("procedure_name"),
                        dossiers=n, gain=gain,
                        text=f"{n} hồ sơ thủ tục {row['procedure_code']} ({row.get('procedure_name', '')}) "
                             f"tại {row.get('agency_name') or row['agency']} giải quyết quá hạn hoặc đang quá "
                             f"hạn: nếu đúng hạn, chỉ số tăng {gain:.2f} điểm"))
    late_answers = int(due[0]) - int(due[1])
    if late_answers:
        better = dict(rates, **{"5.2": index.rate(int(due[0]), int(due[0]))})
        gain = round(_points(better) - base, 2)
        out.append(dict(kind="late_feedback", dossiers=late_answers, gain=gain,
                        text=f"{late_answers} phản ánh, kiến nghị trả lời quá hạn: nếu đúng hạn, chỉ số "
                             f"tăng {gain:.2f} điểm"))
    return sorted((a for a in out if a["gain"] > 0), key=lambda a: -a["gain"])[:top]
