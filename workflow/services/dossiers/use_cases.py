"""Use cases on dossiers: one function per command, each one transaction.

`intake` takes in a new dossier (tiếp nhận hồ sơ); `act` applies a lifecycle action;
`get` reads one dossier with its history. Each runs inside a unit of work and leaves
nothing behind when it raises.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy.exc import IntegrityError

from workflow.domain.codes import dossier_code
from workflow.domain.dossier import NOTIFY_APPLICANT, RETURN_AT_COUNTER, Actor, Applicant, Dossier, Event, Filer
from workflow.domain.errors import Conflict, IdempotencyKeyReused, InvalidInput, NotFound, StaleVersion
from workflow.domain.lifecycle import lifecycle_for, may_see, open_dossier, unseen

from workflow.services.context import Context
from workflow.services.fees import payments as fee_payments
from workflow.services.notifications.inbox import notify_agency
from workflow.services.unit_of_work import UnitOfWork


UNNUMBERED = "(chưa cấp số)"  # a dossier's code until its number is drawn


def intake(ctx: Context, actor: Actor, procedure_code: str, applicant: Applicant,
           documents: list[str], channel: str, idempotency_key: str | None = None,
           defects: dict[str, str] | None = None, with_events: bool = False,
           case: str | None = None, fingerprint: str | None = None,
           before_commit: Callable[[UnitOfWork, Dossier], None] | None = None,
           fee_exemption: dict | None = None,
           return_by: str = RETURN_AT_COUNTER, return_address: str | None = None,
           filer: Filer | None = None, notify: tuple[str, ...] = (NOTIFY_APPLICANT,),
           authorisation_exempt: str | None = None):
    """Returns (dossier, replayed): replayed is True when the key was seen before.
    with_events=True returns (dossier, replayed, history), the history read in the same
    transaction (as `act` does), sparing the caller a second connection and reads.
    `fingerprint` identifies the request's body: the same key with another body is refused.
    `before_commit(uow, dossier)` writes more in the same transaction once the new dossier
    has its row (the scans taken at the counter, workflow.services.files.intake); not
    called on a replay. `fee_exemption` {code, ground?}: the exemption from the fee the
    clerk records at intake, one the procedure's fee schedule lists (workflow.domain.fees).
    `return_by` / `return_address`: the result at the counter or by post to that address;
    `filer`: who files on the applicant's behalf, `authorisation_exempt` why they need no
    authorisation; `notify`: whom the notices go to (workflow.domain.return_and_filer)."""
    key = f"{actor.username}:{idempotency_key}" if idempotency_key else None
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        if key and (existing := uow.dossiers.for_key(key)):
            _same_request(existing, fingerprint)
            dossier = uow.dossiers.get(existing.code)
            return (dossier, True, uow.dossiers.events(dossier.id)) if with_events else (dossier, True)
        found = uow.procedures.current(procedure_code, now.astimezone(ctx.calendar.tz).date())
        if found is None:
            raise NotFound(f"no procedure '{procedure_code}' in force", field="procedure_code")
        procedure_id, procedure = found
        if case:  # the case's checklist, time and fee (trường hợp)
            try:
                procedure = procedure.for_case(case)
            except KeyError:
                known = ", ".join(c.code for c in procedure.cases) or "none"
                raise InvalidInput(f"procedure {procedure.code} has no case '{case}' (cases: {known})",
                                   field="case") from None
        if not applicant.name.strip():
            raise InvalidInput("the applicant's name is required", field="applicant.name")
        due = fee_payments.check_exemption(procedure, fee_exemption)
        # every check and the domain work before drawing the number: the agency's daily
        # sequence row stays locked from the draw to the commit, and concurrent intakes
        # of the agency queue on it
        dossier = open_dossier(procedure, UNNUMBERED, applicant, documents, channel, actor, now,
                               ctx.calendar, defects, return_by=return_by,
                               return_address=return_address, filer=filer, notify=tuple(notify),
                               authorisation_exempt=authorisation_exempt)
        day = now.astimezone(ctx.calendar.tz).date()
        seq = uow.dossiers.next_sequence(procedure.agency, day)
        dossier.assign_code(dossier_code(procedure.agency, day, seq, ctx.code_format))
        events = list(dossier.pending_events)  # the whole history of a new dossier
        try:
            if due.exempt:  # in the trail with the intake, before the dossier's events are written
                dossier.record(now, actor.username, fee_payments.EXEMPTION, dossier.state,
                               due.exemption_ground, exemption=due.exemption, amount=due.amount)
                events = list(dossier.pending_events)
            uow.dossiers.add(dossier, procedure_id, key, fingerprint)
            fee_payments.record_exemption_at_intake(uow.conn, dossier, due, actor, now)
            if before_commit is not None:
                before_commit(uow, dossier)
            uow.commit()
        except IntegrityError:
            if not key:
                raise
            uow.rollback()
            return _replay(ctx, key, with_events, fingerprint)
    return (dossier, False, events) if with_events else (dossier, False)


def _same_request(existing, fingerprint: str | None) -> None:
    if fingerprint and existing.idempotency_fingerprint \
            and existing.idempotency_fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used with a different request body; "
                                   "use a new key for a new dossier", field="Idempotency-Key")


def _replay(ctx: Context, key: str, with_events: bool, fingerprint: str | None = None):
    with UnitOfWork(ctx.engine) as uow:
        existing = uow.dossiers.for_key(key)
        if existing is None:
            raise Conflict("a concurrent request with the same Idempotency-Key failed; retry")
        _same_request(existing, fingerprint)
        dossier = uow.dossiers.get(existing.code)
        return (dossier, True, uow.dossiers.events(dossier.id)) if with_events else (dossier, True)


def act(ctx: Context, actor: Actor, code: str, action: str, payload: dict,
        if_match: int | None = None, with_events: bool = False):
    """Apply one action; with_events=True returns (dossier, history): the history read
    with the dossier (one statement on PostgreSQL) and the events this action added."""
    now = ctx.now()
    # postpone also tells the one-stop unit: two writes, so a transaction; every other
    # action writes one statement
    with UnitOfWork(ctx.engine, one_statement=action != "postpone") as uow:
        if with_events:
            dossier, history = uow.dossiers.get_with_history(code)
        else:
            dossier = uow.dossiers.get(code)
        if dossier is None or not may_see(actor, dossier):  # before its version or state
            raise unseen(actor, code)
        if if_match is not None and if_match != dossier.version:
            raise StaleVersion(f"dossier {code} is at version {dossier.version}, not {if_match}",
                               field="If-Match", current_version=dossier.version)
        read_version = dossier.version
        if action == "return_result" and dossier.status == "result_ready":
            fee_payments.check_handover(uow.conn, dossier)  # not while an amount is due
        lifecycle_for(dossier.procedure).fire(dossier, action, actor, now, ctx.calendar, **payload)
        if with_events:  # the history after the action: what was read, and what it adds
            history += dossier.pending_events
        uow.dossiers.save(dossier, read_version)
        if action == "postpone":  # the one-stop unit is told in the same commit
            new_date = dossier.postponed_to.astimezone(ctx.calendar.tz)
            notify_agency(uow.conn, dossier.receiving_agency, "postponed", dossier.code,
                          f"Hồ sơ {dossier.code} được hẹn lại ngày trả kết quả: "
                          f"{new_date:%H:%M %d/%m/%Y}. Lý do: {dossier.postponed_reason}", now)
        uow.commit()
    return (dossier, history) if with_events else dossier


def get_visible(ctx: Context, actor: Actor, code: str) -> tuple[Dossier, list[Event]]:
    """The dossier and its history if the actor may see it; otherwise the same refusal
    whether it exists or not (workflow.domain.lifecycle.unseen)."""
    with UnitOfWork(ctx.engine) as uow:
        dossier, history = uow.dossiers.get_with_history(code)
        if dossier is None or not may_see(actor, dossier):
            raise unseen(actor, code)
        return dossier, history


def get(ctx: Context, code: str) -> tuple[Dossier, list[Event]]:
    with UnitOfWork(ctx.engine) as uow:
        dossier, history = uow.dossiers.get_with_history(code)
        if dossier is None:
            raise NotFound(f"no dossier '{code}'", field="code")
        return dossier, history
