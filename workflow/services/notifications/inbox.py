"""A staff member's in-app notifications (thông báo): deadline crossings, postponements.

Also writes the notification the one-stop unit gets when an agency postpones a result,
in the same transaction as the postponement.
"""
from __future__ import annotations

from sqlalchemy import and_, func, insert, literal, select, update

from workflow.adapters.tables import users
from workflow.adapters.tables_followup import notifications
from workflow.domain.dossier import Actor
from workflow.domain.errors import NotFound

from workflow.services.context import Context


def _user_id(conn, actor: Actor) -> int:
    uid = conn.execute(select(users.c.id).where(users.c.username == actor.username)).scalar()
    if uid is None:
        raise NotFound(f"no user '{actor.username}'")
    return uid


def list_for(ctx: Context, actor: Actor, unread_only: bool, page: int, per_page: int):
    n = notifications.c
    with ctx.engine.connect() as conn:
        where = [n.user_id == _user_id(conn, actor)]
        if unread_only:
            where.append(n.read_at.is_(None))
        total = conn.execute(select(func.count()).select_from(notifications).where(*where)).scalar_one()
        rows = conn.execute(select(n.id, n.created_at, n.kind, n.dossier_code, n.message, n.read_at)
                            .where(*where).order_by(n.id.desc())
                            .limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def mark_read(ctx: Context, actor: Actor, notification_id: int) -> None:
    n = notifications.c
    with ctx.engine.begin() as conn:
        done = conn.execute(update(notifications).where(
            n.id == notification_id, n.user_id == _user_id(conn, actor))
            .values(read_at=func.coalesce(n.read_at, ctx.now()))).rowcount
    if not done:
        raise NotFound(f"no notification {notification_id} for {actor.username}", field="id")


def notify_agency(conn, agency: str, kind: str, dossier_code: str, message: str, now) -> int:
    """Every active staff member of `agency` gets the notification (set-based)."""
    u = users.c
    source = select(u.id, literal(now), literal(kind), literal(dossier_code), literal(message)).where(
        and_(u.agency == agency, u.active.is_(True)))
    return conn.execute(insert(notifications).from_select(
        ["user_id", "created_at", "kind", "dossier_code", "message"], source)).rowcount or 0
