"""What the desks collected (issue 21): totals per agency, procedure and day, and the daily
counter reconciliation (đối chiếu thu lệ phí cuối ngày) listing every payment with its
receipt reference. Set-based SQL over payments' (day, agency) index; the same scope rules
as the other reports (workflow.services.reports.statistics.scope_for)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select

from workflow.adapters.tables_fees import payments
from workflow.services.reports.statistics import Period, Scope

p = payments.c


def _in_scope(stmt, scope: Scope):
    return stmt if scope.everything else stmt.where(p.agency.in_(scope.codes))


def collected(conn, period: Period, scope: Scope) -> dict:
    """Sums per (agency, procedure, day): payments, refunds and net, with the count."""
    net = func.sum(p.amount)
    received = func.sum(case((p.amount > 0, p.amount), else_=0))
    stmt = _in_scope(select(p.agency, p.procedure_code, p.day, func.count().label("n"),
                            received.label("received"), net.label("net"))
                     .where(p.day >= period.first, p.day <= period.last)
                     .group_by(p.agency, p.procedure_code, p.day)
                     .order_by(p.day, p.agency, p.procedure_code), scope)
    rows = [dict(agency=r.agency, procedure_code=r.procedure_code, day=r.day, payments=int(r.n),
                 received=int(r.received), refunded=int(r.received) - int(r.net), net=int(r.net))
            for r in conn.execute(stmt)]
    total = {k: sum(r[k] for r in rows) for k in ("payments", "received", "refunded", "net")}
    return dict(first=period.first, last=period.last, agency=scope.root, items=rows, total=total)


RECONCILIATION_COLUMNS = ("receipt_no", "dossier_code", "agency", "procedure_code", "recorded_at",
                          "recorded_by", "method", "reference", "gateway_reference", "amount", "reason")


def reconciliation(conn, day: date, scope: Scope) -> dict:
    """Every payment of the day, in the order recorded, and their sum."""
    stmt = _in_scope(select(*(getattr(p, c) for c in RECONCILIATION_COLUMNS))
                     .where(p.day == day).order_by(p.id), scope)
    items = [dict(r._mapping, amount=int(r.amount)) for r in conn.execute(stmt)]
    by_method: dict[str, int] = {}
    for i in items:
        by_method[i["method"]] = by_method.get(i["method"], 0) + i["amount"]
    return dict(day=day, agency=scope.root, items=items, count=len(items),
                total=sum(i["amount"] for i in items), by_method=by_method)
