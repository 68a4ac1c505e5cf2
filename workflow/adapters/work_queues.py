"""Set-based reads behind the staff pages: an agency's work queue (hàng việc), the
counter's lists (waiting for documents, results to hand over). Each is one indexed
query with a limit, never a loop over dossiers."""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from .tables import dossiers, procedures

d = dossiers.c
ROW = (d.code, d.procedure_id, d.procedure_code, procedures.c.name.label("procedure_name"), d.agency, d.status,
       d.step_code, d.step_agency, d.step_due_at, d.due_at, d.appointment_at, d.received_at,
       d.created_at, d.result_ready_at, d.applicant_name, d.version)
STEP_OPEN = ("in_progress", "supplement_requested")


def _page(stmt, page: int, per_page: int):
    return stmt.limit(per_page).offset((max(page, 1) - 1) * per_page)


def work_queue(conn: Connection, agency: str, desk: bool, page: int = 1, per_page: int = 50):
    """Dossiers whose current step this agency holds; with `desk`, also those received at
    this agency and not yet sent to their first step. Most urgent first."""
    mine = and_(d.step_agency == agency, d.status.in_(STEP_OPEN))
    if desk:
        mine = or_(mine, and_(d.agency == agency, d.status == "received"))
    due = func.coalesce(d.step_due_at, d.due_at)
    total = conn.execute(select(func.count()).select_from(dossiers).where(mine)).scalar_one()
    rows = conn.execute(_page(select(*ROW).join(procedures, procedures.c.id == d.procedure_id)
                              .where(mine).order_by(due.is_(None), due, d.id), page, per_page)).all()
    return rows, total


def agency_overview(conn: Connection, agency: str, now, overdue_only: bool = False,
                    page: int = 1, per_page: int = 50):
    """A supervisor's view: every open dossier received by the agency, latest deadline last."""
    where = [d.agency == agency, d.status.in_(("submitted", "awaiting_documents", "received", *STEP_OPEN,
                                               "result_ready"))]
    if overdue_only:
        where += [d.status.in_(("received", *STEP_OPEN)), d.due_at < now]
    total = conn.execute(select(func.count()).select_from(dossiers).where(*where)).scalar_one()
    rows = conn.execute(_page(select(*ROW).join(procedures, procedures.c.id == d.procedure_id)
                              .where(*where).order_by(d.due_at.is_(None), d.due_at, d.id),
                              page, per_page)).all()
    return rows, total


def desk_list(conn: Connection, agency: str, status: str, limit: int = 50) -> list:
    """The counter's lists: 'result_ready' (to hand over), 'awaiting_documents', or
    'submitted' (online submissions to check, oldest first)."""
    order = (d.result_ready_at if status == "result_ready" else d.created_at if status == "submitted"
             else d.created_at.desc())
    # results are handed back where they are collected (return_at, issue 22); those going
    # by post are sent by the receiving point
    here = (or_(d.return_at == agency, and_(d.return_at.is_(None), d.agency == agency))
            if status == "result_ready" else d.agency == agency)
    return conn.execute(select(*ROW).join(procedures, procedures.c.id == d.procedure_id)
                        .where(here, d.status == status)
                        .order_by(order, d.id).limit(limit)).all()
