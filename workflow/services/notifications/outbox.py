"""The transactional outbox relay: delivers side effects written by committed commands.

A batch of due messages is claimed in one short transaction (FOR UPDATE SKIP LOCKED on
PostgreSQL, so several workers never take the same row): each gets a lease by moving its
`available_at` forward. Handlers then run outside any transaction (a mail server being
slow never holds a database lock), and each message is marked sent, or put back with
exponential backoff, in its own short transaction. A worker that dies mid-batch leaves
its messages to come due again when the lease ends, so handlers must be safe to run
twice (delivery is at least once; mails carry a stable Message-ID). The lease names its
holder (`claimed_by`, the Celery task id): when the broker redelivers the task of a
worker killed mid-batch, the new run takes back that batch at once instead of waiting.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from sqlalchemy import func, or_, select, update

from workflow.adapters.tables import outbox

from workflow.services.context import Context

log = logging.getLogger("motcua.outbox")
Handler = Callable[[int, dict], None]  # (outbox id, payload)
LEASE = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    return min(timedelta(seconds=5 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim(ctx: Context, batch: int, claimer: str | None = None) -> list:
    """Lease up to `batch` due messages, and those `claimer` itself leased before (a
    redelivered task whose first run died)."""
    now = ctx.now()
    due = outbox.c.available_at <= now
    if claimer is not None:
        due = or_(due, outbox.c.claimed_by == claimer)
    with ctx.engine.begin() as conn:
        query = (select(outbox.c.id, outbox.c.topic, outbox.c.payload, outbox.c.attempts)
                 .where(outbox.c.sent_at.is_(None), due)
                 .order_by(outbox.c.id).limit(batch))
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = conn.execute(query).all()
        if rows:
            conn.execute(update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(
                available_at=now + LEASE, attempts=outbox.c.attempts + 1, claimed_by=claimer))
    return rows


def relay(ctx: Context, handlers: dict[str, Handler], batch: int = 100,
          claimer: str | None = None) -> dict[str, int]:
    """Deliver up to `batch` due messages; returns counts of sent, failed and skipped."""
    counts = {"sent": 0, "failed": 0, "skipped": 0}
    for row in claim(ctx, batch, claimer):
        handler = handlers.get(row.topic)
        try:
            if handler is not None:
                handler(row.id, row.payload)
        except Exception as exc:  # the message stays; the error is kept for the operator
            attempts = row.attempts + 1
            log.warning("outbox %s (%s) failed, attempt %d: %s", row.id, row.topic, attempts, exc)
            with ctx.engine.begin() as conn:
                conn.execute(update(outbox).where(outbox.c.id == row.id).values(
                    last_error=str(exc)[:2000], available_at=ctx.now() + backoff(attempts)))
            counts["failed"] += 1
            continue
        with ctx.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row.id).values(sent_at=ctx.now()))
        counts["sent" if handler is not None else "skipped"] += 1
    return counts


def pending(ctx: Context) -> int:
    with ctx.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(outbox)
                            .where(outbox.c.sent_at.is_(None))).scalar_one()
