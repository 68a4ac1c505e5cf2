"""Repeat-visit measures (đi lại nhiều lần): the city's plan says nobody should come back
more than once to supplement a dossier; these figures show where that still happens.

Per agency, procedure, clerk (who received the dossier) and month of receipt:
dossiers received, dossiers with more than one supplement trip, the repeat-visit rate,
guidance failures (documents left off an earlier guidance) and average trips (in-person
visits) per dossier. Set-based: grouped SQL over indexed columns.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, case, cast, func, select

from workflow.adapters.tables import dossiers
from workflow.adapters.tables_followup import guidance_failures

from workflow.services.context import Context


def _month(conn, col):
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Ho_Chi_Minh", col), "YYYY-MM")
    return func.strftime("%Y-%m", col, "+7 hours")


def report(ctx: Context, start: datetime, end: datetime, agency: str | None = None) -> dict:
    """Figures for dossiers received in [start, end)."""
    d, g = dossiers.c, guidance_failures.c
    with ctx.engine.connect() as conn:
        month = _month(conn, d.created_at)
        where = [d.created_at >= start, d.created_at < end]
        if agency:
            where.append(d.agency == agency)
        repeat = func.sum(case((d.supplement_trips > 1, 1), else_=0))
        rows = conn.execute(
            select(d.agency, d.procedure_code, d.received_by, month.label("month"),
                   func.count().label("dossiers"), repeat.label("repeat"),
                   func.sum(d.visits).label("trips"),
                   func.sum(cast(d.repeat_visit, Integer)).label("flagged"))
            .where(*where).group_by(d.agency, d.procedure_code, d.received_by, month)
            .order_by(d.agency, d.procedure_code, d.received_by, month)).all()
        fail_where = [g.at >= start, g.at < end] + ([g.agency == agency] if agency else [])
        failures = conn.execute(select(g.agency, g.procedure_code, g.clerk, func.count())
                                .where(*fail_where).group_by(g.agency, g.procedure_code, g.clerk)).all()
    by_clerk = {(a, p, c): n for a, p, c, n in failures}
    groups = [dict(agency=r.agency, procedure_code=r.procedure_code, clerk=r.received_by,
                   month=r.month, dossiers=r.dossiers, repeat_visit_dossiers=int(r.repeat or 0),
                   repeat_visit_rate=round((r.repeat or 0) / r.dossiers, 4),
                   flagged=int(r.flagged or 0), trips=int(r.trips or 0),
                   avg_trips=round((r.trips or 0) / r.dossiers, 3)) for r in rows]
    total = sum(x["dossiers"] for x in groups)
    repeat_total = sum(x["repeat_visit_dossiers"] for x in groups)
    trips = sum(x["trips"] for x in groups)
    return {
        "from": start, "to": end, "agency": agency,
        "totals": dict(dossiers=total, repeat_visit_dossiers=repeat_total,
                       repeat_visit_rate=round(repeat_total / total, 4) if total else 0.0,
                       guidance_failures=sum(by_clerk.values()),
                       flagged=sum(x["flagged"] for x in groups),
                       avg_trips=round(trips / total, 3) if total else 0.0),
        "groups": groups,
        "guidance_failures": [dict(agency=a, procedure_code=p, clerk=c, count=n)
                              for (a, p, c), n in sorted(by_clerk.items())],
    }
