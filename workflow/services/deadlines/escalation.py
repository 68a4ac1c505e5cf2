"""Deadline sweep (quét hạn xử lý): finds dossiers and steps due soon or overdue and
notifies the agency that must act, once per threshold crossing.

Set-based: one INSERT .. SELECT per (scope, threshold) over indexed due columns writes
the escalation rows, whose unique (dossier, scope, threshold, due moment) key makes a
crossing fire exactly once even when sweeps overlap; one more INSERT .. SELECT turns
the escalations this sweep created (tagged with its token) into in-app notifications for the officers and
supervisors of the responsible agency. A sweep that dies rolls back whole, and the next
one does the work. A changed due moment (a restarted clock, a postponement) is a new
crossing: saving a dossier resets its level when a due moment changes. The level
columns only spare the sweep rows it has already escalated; the unique key decides.
"""
from __future__ import annotations

import uuid

from sqlalchemy import and_, case, func, insert, literal, literal_column, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workflow.adapters.tables import dossiers, users
from workflow.adapters.tables_followup import escalations, notifications

from workflow.services.context import Context

OPEN = ("received", "in_progress", "supplement_requested")
MESSAGES = {
    ("dossier", "due_soon"): "sắp đến hạn trả kết quả",
    ("dossier", "overdue"): "đã quá hạn trả kết quả",
    ("step", "due_soon"): "sắp hết thời hạn của bước đang xử lý",
    ("step", "overdue"): "đã quá thời hạn của bước đang xử lý",
}


def _insert(conn, table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def sweep(ctx: Context, warning_days: float = 1.0) -> dict[str, int]:
    """One sweep now; returns how many new crossings of each kind were recorded."""
    now = ctx.now()
    cal = ctx.calendar
    soon = cal.add_working_minutes(now, round(warning_days * cal.minutes_per_day))
    d = dossiers.c
    token = uuid.uuid4().hex
    with ctx.engine.begin() as conn:
        for scope, due, level, holder, scope_value in (
                ("dossier", d.due_at, d.due_level, _holder(), literal("dossier")),
                ("step", d.step_due_at, d.step_due_level, d.step_agency,
                 literal("step:") + d.step_code)):
            for threshold, mark, window in (("overdue", 2, due < now),
                                            ("due_soon", 1, and_(due >= now, due <= soon))):
                # only rows whose level is below this threshold: a crossing already
                # recorded is skipped by the index, not re-tried against the unique key
                # the level is inlined (not a bound parameter) so the planner can match
                # the partial index "level < mark"
                where = [d.status.in_(OPEN), level < literal_column(str(mark)), window]
                if scope == "dossier":
                    where.append(d.result_ready_at.is_(None))
                source = select(d.id, scope_value, literal(threshold), due, holder, literal(now),
                                literal(token)).where(*where)
                conn.execute(_insert(conn, escalations).from_select(
                    ["dossier_id", "scope", "threshold", "due_at", "agency", "created_at", "sweep"],
                    source).on_conflict_do_nothing())
                e = escalations.c
                recorded = select(e.id).where(e.dossier_id == d.id, e.scope == scope_value,
                                              e.threshold == threshold, e.due_at == due).exists()
                conn.execute(update(dossiers).where(*where, recorded).values({level.name: mark}))
        _notify(conn, now, token)
        return _counts(conn, token)


def _counts(conn, token: str) -> dict[str, int]:
    e, n = escalations.c, notifications.c
    kind = case((e.scope == "dossier", "dossier"), else_="step")
    found = {f"{k}_{t}": c for k, t, c in conn.execute(
        select(kind, e.threshold, func.count()).where(e.sweep == token).group_by(kind, e.threshold))}
    counts = {f"{k}_{t}": found.get(f"{k}_{t}", 0)
              for k in ("dossier", "step") for t in ("overdue", "due_soon")}
    counts["notifications"] = conn.execute(
        select(func.count()).select_from(notifications.join(escalations, n.escalation_id == e.id))
        .where(e.sweep == token)).scalar_one()
    return counts


def _holder():
    """Who must act on the dossier's overall deadline: the current step's agency, else the
    receiving one-stop unit."""
    return func.coalesce(dossiers.c.step_agency, dossiers.c.agency)


def _notify(conn, now, token: str) -> None:
    """Officers and supervisors of the responsible agency, and the receiving unit's
    supervisors, get one notification per new crossing of this sweep."""
    e, d, u = escalations.c, dossiers.c, users.c
    for (scope, threshold), text in MESSAGES.items():
        scope_match = e.scope == "dossier" if scope == "dossier" else e.scope.like("step:%")
        message = literal("Hồ sơ ") + d.code + literal(f" {text}")
        source = (select(u.id, literal(now), literal(f"{scope}_{threshold}"), d.code, e.id, message)
                  .select_from(escalations.join(dossiers, d.id == e.dossier_id).join(users, or_(
                      and_(u.agency == e.agency, u.role.in_(("officer", "supervisor"))),
                      and_(u.agency == d.agency, u.agency != e.agency, u.role == "supervisor"))))
                  .where(e.sweep == token, e.threshold == threshold, scope_match,
                         u.active.is_(True)))
        conn.execute(insert(notifications).from_select(
            ["user_id", "created_at", "kind", "dossier_code", "escalation_id", "message"], source))
