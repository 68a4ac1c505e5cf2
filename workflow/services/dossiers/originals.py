"""Use cases for the hand-over of a dossier's paper originals (workflow.domain.originals).

Each write is one transaction: the transfer's row, and an event in the dossier's trail
saved against the version read. Two desks sending at once therefore cannot both open a
transfer: the second loses the optimistic lock (409) and, on retry, meets the open one.
"""
from __future__ import annotations

from sqlalchemy import insert, select, update

from workflow.adapters.tables_originals import original_transfers as t
from workflow.domain import originals
from workflow.domain.dossier import Actor, Dossier
from workflow.domain.errors import NotFound

from workflow.services.context import Context
from workflow.services.unit_of_work import UnitOfWork


def _transfer(r) -> originals.Transfer:
    return originals.Transfer(r.id, r.from_agency, r.to_agency, tuple(r.documents or ()), r.sent_at,
                              r.sent_by, r.received_at, r.received_by, r.note)


def transfers_of(conn, dossier: Dossier) -> list[originals.Transfer]:
    rows = conn.execute(select(t).where(t.c.dossier_id == dossier.id).order_by(t.c.id)).all()
    return [_transfer(r) for r in rows]


def listing(ctx: Context, actor: Actor, code: str) -> tuple[list[originals.Transfer], str | None, list[str]]:
    """(the transfers in the order sent, the agency holding the originals or None while
    they travel, where the holder may send them) for whoever may see the dossier."""
    with UnitOfWork(ctx.engine) as uow:
        dossier = uow.visible_dossier(actor, code)
        found = transfers_of(uow.conn, dossier)
    return found, originals.holder(dossier, found), originals.destinations(dossier, found)


def send(ctx: Context, actor: Actor, code: str, to, documents, note: str | None = None) -> originals.Transfer:
    """Staff of the holding agency send originals to another agency the dossier concerns."""
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        dossier = uow.visible_dossier(actor, code)
        found = transfers_of(uow.conn, dossier)
        docs = originals.check_send(actor, dossier, found, to, documents, note)
        held = originals.holder(dossier, found)
        read_version = dossier.version
        tid = uow.conn.execute(insert(t).values(
            dossier_id=dossier.id, from_agency=held, to_agency=to, documents=list(docs),
            sent_at=now, sent_by=actor.username, note=note).returning(t.c.id)).scalar_one()
        dossier.record(now, actor.username, originals.SENT, dossier.state, note,
                       transfer=tid, to=to, documents=list(docs))
        dossier.version += 1
        uow.dossiers.save(dossier, read_version)
        uow.commit()
    return originals.Transfer(tid, held, to, docs, now, actor.username, note=note)


def receive(ctx: Context, actor: Actor, code: str, transfer_id: int) -> originals.Transfer:
    """Staff of the destination record that the originals arrived."""
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        dossier = uow.visible_dossier(actor, code)
        row = uow.conn.execute(select(t).where(t.c.id == transfer_id, t.c.dossier_id == dossier.id)).first() \
            if isinstance(transfer_id, int) else None
        if row is None:
            raise NotFound(f"no transfer {transfer_id} of dossier {code}", field="transfer_id")
        transfer = _transfer(row)
        originals.check_receive(actor, transfer)
        read_version = dossier.version
        uow.conn.execute(update(t).where(t.c.id == transfer.id, t.c.received_at.is_(None))
                         .values(received_at=now, received_by=actor.username))
        dossier.record(now, actor.username, originals.RECEIVED, dossier.state, None,
                       transfer=transfer.id, **{"from": transfer.from_agency})
        dossier.version += 1
        uow.dossiers.save(dossier, read_version)
        uow.commit()
    return originals.Transfer(transfer.id, transfer.from_agency, transfer.to_agency, transfer.documents,
                              transfer.sent_at, transfer.sent_by, now, actor.username, transfer.note)
