"""The work queue (hàng việc): dossiers whose current step this person's agency holds,
most urgent first, with due-soon and overdue marked. Counter staff also see the dossiers
received at their desk and not yet sent on; a supervisor can widen the view to every
open dossier of the agency."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, current_app, render_template, request

from workflow.adapters.agencies import agency_names
from workflow.adapters.repository import ProcedureRepository
from workflow.adapters.work_queues import agency_overview, work_queue
from workflow.domain.errors import DomainError

from web.staff.access import DOSSIER_ROLES, actor, ctx, domain_error_page
from web.staff.auth import staff_required

bp = Blueprint("officer", __name__)
bp.register_error_handler(DomainError, domain_error_page)
PER_PAGE = 50


URGENCY = ("overdue", "today", "soon")  # shown by colour and by words (staff/queue.html)


def urgency(due, now, soon: timedelta, end_of_today: datetime | None = None) -> str:
    """'overdue', 'today' (due before the local day ends), 'soon' (within `soon`) or ''."""
    if due is None:
        return ""
    if due < now:
        return "overdue"
    if end_of_today is not None and due < end_of_today:
        return "today"
    return "soon" if due - now <= soon else ""


def _end_of_today(now):
    tz = ctx().calendar.tz
    return datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time(0), tzinfo=tz)


def _items(conn, rows, now, soon):
    end = _end_of_today(now)
    repo = ProcedureRepository(conn)
    out = []
    for r in rows:
        procedure = repo.by_id(r.procedure_id)
        index = procedure.step_index(r.step_code) if r.step_code else None
        step = procedure.steps[index] if index is not None and r.step_agency else None
        due = r.step_due_at or r.due_at
        out.append(dict(row=r, step=step, due=due, urgency=urgency(due, now, soon, end),
                        overall=urgency(r.due_at, now, soon) if r.status != "result_ready" else ""))
    return out


@bp.get("/xu-ly")
@staff_required(*DOSSIER_ROLES)
def queue():
    who = actor()
    page = min(max(request.args.get("trang", 1, type=int) or 1, 1), 1_000_000)
    wide = request.args.get("pham_vi") == "don-vi" and who.role == "supervisor"
    overdue_only = request.args.get("qua_han") == "1"
    now = ctx().now()
    soon = timedelta(hours=current_app.config["DUE_SOON_HOURS"])
    with ctx().engine.connect() as conn:
        if wide:
            rows, total = agency_overview(conn, who.agency, now, overdue_only, page, PER_PAGE)
        else:
            rows, total = work_queue(conn, who.agency, who.role in ("counter", "supervisor"),
                                     page, PER_PAGE)
        items = _items(conn, rows, now, soon)
        names = agency_names(conn)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_template("staff/queue.html", items=items, total=total, page=page, pages=pages,
                           wide=wide, overdue_only=overdue_only, agency_names=names,
                           agency_name=names.get(who.agency, who.agency))
