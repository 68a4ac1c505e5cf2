"""Use cases on a dossier's fee (lệ phí, phí): the amount due and exemption at intake,
payments and refunds at the desk, the statement, and the hand-over check.

Each write is one transaction that also adds an event to the dossier's trail and saves
the dossier against the version it read, so two desks recording at once cannot both pass
the balance check (the second gets 409 and retries). Payments are never edited: a refund
is a new negative entry with its reason (the table refuses UPDATE/DELETE, migration 0022).
Nothing leaves the system when a payment is recorded, so there is no outbox message; the
online method asks the configured gateway (workflow.adapters.payments) BEFORE the
transaction opens, never while a row is locked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from workflow.adapters.payments import PaymentRefused
from workflow.adapters.tables_fees import dossier_fees, payments
from workflow.domain import fees
from workflow.domain.dossier import Actor, Dossier
from workflow.domain.errors import (ActionNotAllowed, Conflict, DomainError, Forbidden,
                                    IdempotencyKeyReused, InvalidInput)
from workflow.domain.lifecycle import DESK, RETURN, capacities

from workflow.services.context import Context
from workflow.services.unit_of_work import UnitOfWork

PAYMENT = "payment"           # the events' actions in the dossier's trail
REFUND = "refund"
EXEMPTION = "fee_exemption"
REFERENCE_MAX = 100


class FeeDueError(InvalidInput):
    """422: the result may not be handed over while an amount is due."""
    code = "fee_due"


@dataclass(frozen=True)
class Payment:
    id: int
    dossier_code: str
    receipt_no: str
    amount: int
    method: str
    reference: str | None
    gateway_reference: str | None
    reason: str | None
    day: date
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class Statement:
    """The fee position of one dossier."""
    due: fees.FeeDue
    paid: int
    balance: int
    payments: list[Payment]


def invalid(exc: fees.FeeError) -> InvalidInput:
    err = InvalidInput(str(exc), field=exc.field)
    err.details.update(exc.details)
    return err


# -- reading -----------------------------------------------------------------------------
def fee_due(conn, dossier: Dossier) -> fees.FeeDue:
    """The amount due: the schedule of the procedure version and case the dossier was
    received under, with the exemption recorded on it, if any."""
    f = dossier.procedure.fee
    row = conn.execute(select(dossier_fees).where(dossier_fees.c.dossier_id == dossier.id)).first() \
        if dossier.id is not None else None
    if row is None or row.exemption is None:
        return fees.FeeDue(f.amount, f.paid_at, f.basis)
    return fees.FeeDue(row.amount, row.paid_at, row.basis, row.exemption, row.exemption_ground)


def paid_total(conn, dossier_id: int) -> int:
    return int(conn.execute(select(func.coalesce(func.sum(payments.c.amount), 0))
                            .where(payments.c.dossier_id == dossier_id)).scalar_one())


def _payment(r) -> Payment:
    return Payment(r.id, r.dossier_code, r.receipt_no, int(r.amount), r.method, r.reference,
                   r.gateway_reference, r.reason, r.day, r.recorded_at, r.recorded_by)


def statement_of(conn, dossier: Dossier) -> Statement:
    due = fee_due(conn, dossier)
    rows = conn.execute(select(payments).where(payments.c.dossier_id == dossier.id)
                        .order_by(payments.c.id)).all()
    paid = sum(int(r.amount) for r in rows)
    return Statement(due, paid, fees.balance(due, paid), [_payment(r) for r in rows])


def statement(ctx: Context, actor: Actor, code: str) -> Statement:
    with UnitOfWork(ctx.engine) as uow:
        dossier = uow.visible_dossier(actor, code)
        return statement_of(uow.conn, dossier)


# -- intake: the exemption the clerk records ---------------------------------------------
def check_exemption(procedure, exemption: dict | None) -> fees.FeeDue:
    """Before the dossier's number is drawn: the exemption must be one its schedule lists."""
    try:
        return fees.amount_due(procedure.fee, *(
            (exemption.get("code"), exemption.get("ground")) if exemption else (None, None)))
    except fees.FeeError as exc:
        raise invalid(exc) from None


def record_exemption_at_intake(conn, dossier: Dossier, due: fees.FeeDue, actor: Actor,
                               now: datetime) -> None:
    """Inside the intake's transaction, once the dossier has its row and before its events
    are written: the exemption's row and its event."""
    if not due.exempt:
        return
    _write_exemption(conn, dossier, due, actor, now)


def _write_exemption(conn, dossier: Dossier, due: fees.FeeDue, actor: Actor, now: datetime) -> None:
    conn.execute(insert(dossier_fees).values(
        dossier_id=dossier.id, amount=due.amount, paid_at=due.paid_at, basis=due.basis,
        exemption=due.exemption, exemption_ground=due.exemption_ground,
        exempted_by=actor.username, exempted_at=now))


def exempt(ctx: Context, actor: Actor, code: str, exemption_code: str, ground: str | None) -> Statement:
    """The clerk records an exemption after intake (miễn lệ phí): once, with its ground,
    before anything was paid (a refund first, then the exemption)."""
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        dossier = _desk_dossier(uow, actor, code)
        current = fee_due(uow.conn, dossier)
        if current.exempt:
            raise Conflict(f"dossier {code} is already exempt ({current.exemption})")
        if paid_total(uow.conn, dossier.id) != 0:
            raise Conflict("payments were recorded: refund them before recording an exemption")
        due = check_exemption(dossier.procedure, {"code": exemption_code, "ground": ground})
        read_version = dossier.version
        _write_exemption(uow.conn, dossier, due, actor, now)
        dossier.record(now, actor.username, EXEMPTION, dossier.state, due.exemption_ground,
                       exemption=due.exemption, amount=due.amount)
        dossier.version += 1
        uow.dossiers.save(dossier, read_version)
        st = statement_of(uow.conn, dossier)
        uow.commit()
    return st


# -- payments ----------------------------------------------------------------------------
def _desk_dossier(uow: UnitOfWork, actor: Actor, code: str) -> Dossier:
    dossier = uow.visible_dossier(actor, code)
    if not {DESK, RETURN} & capacities(actor, dossier):  # who takes it in, who hands it back
        raise Forbidden(f"{actor.username} ({actor.role}, {actor.agency}) is not at the desk "
                        f"of {dossier.receiving_agency}: only the one-stop unit records fees")
    return dossier


def pay(ctx: Context, actor: Actor, code: str, amount: int, method: str,
        reference: str | None = None, reason: str | None = None,
        idempotency_key: str | None = None, fingerprint: str | None = None) -> tuple[Payment, bool]:
    """Record a payment (amount > 0) or a refund (amount < 0, with a reason). Returns
    (payment, replayed): a retried request with the same Idempotency-Key returns the first
    payment; the same key with another body is refused."""
    key = f"{actor.username}:{idempotency_key}" if idempotency_key else None
    if key and (found := _for_key(ctx, key, fingerprint)):
        return found, True
    if method not in fees.METHODS:
        raise InvalidInput(f"method must be one of {', '.join(fees.METHODS)}", field="method")
    with UnitOfWork(ctx.engine) as uow:  # the checks, before asking any gateway
        dossier = _desk_dossier(uow, actor, code)
        _check(uow.conn, dossier, amount, method, reason)
    gateway_reference = None
    if method == "online":
        gateway = ctx.payment_gateway
        if gateway is None:
            raise InvalidInput("online payment is not enabled (PAYMENT_GATEWAY)", field="method")
        if amount < 0:
            raise InvalidInput("an online refund goes back through the gateway's own process: "
                               "record it as cash or transfer with the gateway's reference",
                               field="method")
        try:
            gateway_reference = gateway.charge(code, amount, reference).reference
        except PaymentRefused as exc:
            raise InvalidInput(f"the payment gateway refused: {exc}", field="method") from None
    now = ctx.now()
    day = now.astimezone(ctx.calendar.tz).date()
    try:
        with UnitOfWork(ctx.engine) as uow:
            dossier = _desk_dossier(uow, actor, code)
            read_version = dossier.version
            _check(uow.conn, dossier, amount, method, reason)  # again, in the transaction
            n = uow.conn.execute(select(func.count()).select_from(payments)
                                 .where(payments.c.dossier_id == dossier.id)).scalar_one() + 1
            row = dict(dossier_id=dossier.id, dossier_code=dossier.code, agency=dossier.receiving_agency,
                       procedure_code=dossier.procedure.code, receipt_no=f"{dossier.code}/TT{n:02d}",
                       amount=amount, method=method, reference=reference,
                       gateway_reference=gateway_reference, reason=reason if amount < 0 else None,
                       day=day, recorded_at=now, recorded_by=actor.username,
                       idempotency_key=key, idempotency_fingerprint=fingerprint)
            pid = uow.conn.execute(insert(payments).values(**row).returning(payments.c.id)).scalar_one()
            dossier.record(now, actor.username, PAYMENT if amount > 0 else REFUND, dossier.state,
                           reason if amount < 0 else None, amount=amount, method=method,
                           receipt=row["receipt_no"], reference=reference)
            dossier.version += 1
            uow.dossiers.save(dossier, read_version)
            uow.commit()
    except IntegrityError:
        if key and (found := _for_key(ctx, key, fingerprint)):
            return found, True
        raise Conflict(f"dossier {code} was changed by someone else; reload and retry") from None
    return Payment(pid, dossier.code, row["receipt_no"], amount, method, reference, gateway_reference,
                   row["reason"], day, now, actor.username), False


def _check(conn, dossier: Dossier, amount, method: str, reason: str | None) -> None:
    if amount is not None and type(amount) is int and amount > 0 and dossier.is_closed:
        raise ActionNotAllowed(f"dossier {dossier.code} is closed ({dossier.status}): "
                               "no payment can be taken, only a refund", [])
    try:
        fees.check_payment(fee_due(conn, dossier), paid_total(conn, dossier.id), amount, method, reason)
    except fees.FeeError as exc:
        raise invalid(exc) from None


def _for_key(ctx: Context, key: str, fingerprint: str | None) -> Payment | None:
    with ctx.engine.connect() as conn:
        r = conn.execute(select(payments).where(payments.c.idempotency_key == key)).first()
    if r is None:
        return None
    if fingerprint and r.idempotency_fingerprint and r.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body; "
                                   "use a new key for a new payment", field="Idempotency-Key")
    return _payment(r)


# -- the hand-over -----------------------------------------------------------------------
def check_handover(conn, dossier: Dossier) -> None:
    """Called by `act` before `return_result`: refuse while an amount is due and the
    dossier is not exempt (workflow.domain.fees.handover_block)."""
    schedule = dossier.procedure.fee
    if schedule.paid_at is None or schedule.amount == 0:
        return  # nothing to read: the hand-over of a free procedure costs no query
    due = fee_due(conn, dossier)
    paid = paid_total(conn, dossier.id)
    if (why := fees.handover_block(due, paid)) is not None:
        raise FeeDueError(why, field="fee", due=fees.balance(due, paid))


__all__ = ["DomainError", "FeeDueError", "Payment", "Statement", "check_exemption", "check_handover",
           "exempt", "fee_due", "paid_total", "pay", "record_exemption_at_intake", "statement"]
