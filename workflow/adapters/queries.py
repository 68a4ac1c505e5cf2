"""Set-based reads for lists (no Python loops over dossiers): filters run on indexed
columns and every list is paginated."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from .tables import dossiers, procedures

OPEN_NOT_READY = ("received", "in_progress", "supplement_requested")
LIST_COLUMNS = (dossiers.c.code, dossiers.c.procedure_code, dossiers.c.agency, dossiers.c.status,
                dossiers.c.step_code, dossiers.c.step_agency, dossiers.c.step_due_at,
                dossiers.c.received_at, dossiers.c.due_at, dossiers.c.closed_at, dossiers.c.version)


def list_dossiers(conn: Connection, now: datetime, status: str | None = None,
                  agency: str | None = None, overdue: bool | None = None,
                  page: int = 1, per_page: int = 50, flag: str | None = None) -> tuple[list, int]:
    where = []
    if flag == "repeat_visit":
        where.append(dossiers.c.repeat_visit.is_(True))
    if status:
        where.append(dossiers.c.status == status)
    if agency:
        where.append(or_(dossiers.c.agency == agency, dossiers.c.step_agency == agency))
    if overdue is not None:
        late = (dossiers.c.status.in_(OPEN_NOT_READY)) & (dossiers.c.due_at < now)
        where.append(late if overdue else ~late | dossiers.c.due_at.is_(None))
    total = conn.execute(select(func.count()).select_from(dossiers).where(*where)).scalar_one()
    rows = conn.execute(select(*LIST_COLUMNS).where(*where)
                        .order_by(dossiers.c.due_at.is_(None), dossiers.c.due_at, dossiers.c.id)
                        .limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def list_procedures(conn: Connection, on) -> list:
    c = procedures.c
    rows = conn.execute(select(c.id, c.code, c.effective_from).where(
        c.is_current.is_(True), c.effective_from <= on,
        (c.effective_to.is_(None)) | (c.effective_to >= on)).order_by(c.code, c.effective_from.desc()))
    seen, ids = set(), []
    for r in rows:
        if r.code not in seen:
            seen.add(r.code)
            ids.append(r.id)
    return ids
