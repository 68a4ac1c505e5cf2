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
from workflow.domain.procedure import Procedure

from workflow.adapters.agencies import service_points
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
           authorisation_exempt: str | None = None, competent_unit: str | None = None,
           return_at: str | None = None):
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
    authorisation; `notify`: whom the notices go to (workflow.domain.return_and_filer).
    `competent_unit`: the unit that settles a procedure published for several (required
    for one written with "{unit}"); `return_at`: the service point where the result is
    collected, when not the receiving one (workflow.domain.boundary_free)."""
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
        procedure = for_competent_unit(procedure, competent_unit)
        if not applicant.name.strip():
            raise InvalidInput("the applicant's name is required", field="applicant.name")
        points = frozenset()
        if actor.agency != procedure.agency or return_at is not None:  # a boundary-free intake
            points = service_points(uow.conn, {actor.agency, return_at if isinstance(return_at, str) else None})
        due = fee_payments.check_exemption(procedure, fee_exemption)
        # every check and the domain work before drawing the number: the agency's daily
        # sequence row stays locked from the draw to the commit, and concurrent intakes
        # of the agency queue on it
        dossier = open_dossier(procedure, UNNUMBERED, applicant, documents, channel, actor, now,
                               ctx.calendar, defects, return_by=return_by,
                               return_address=return_address, filer=filer, notify=tuple(notify),
                               authorisation_exempt=authorisation_exempt, return_at=return_at,
                               service_points=points)
        day = now.astimezone(ctx.calendar.tz).date()
        # the number follows the point that received it (its daily sequence)
        seq = uow.dossiers.next_sequence(dossier.receiving_agency, day)
        dossier.assign_code(dossier_code(dossier.receiving_agency, day, seq, ctx.code_format))
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


def for_competent_unit(procedure: Procedure, unit: str | None) -> Procedure:
    """The procedure as `unit` settles it. A procedure published for several units with
    "{unit}" needs one of them; naming a unit for another procedure is allowed only when it
    is that procedure's own receiving agency or among its competent units."""
    if unit is None and not procedure.is_template:
        return procedure
    if unit is not None and not isinstance(unit, str):
        raise InvalidInput("competent_unit is an agency code", field="competent_unit")
    if unit is not None and unit == procedure.agency and not procedure.is_template:
        return procedure
    units = procedure.competent_units
    try:
        return procedure.for_unit(unit)
    except KeyError:
        listed = ", ".join(units[:12]) + (", …" if len(units) > 12 else "") or procedure.agency
        if unit is None:
            raise InvalidInput(f"procedure {procedure.code} is settled by the unit of the applicant's "
                               f"place: name it in competent_unit (one of {listed})",
                               field="competent_unit") from None
        raise InvalidInput(f"'{unit}' is not competent to settle procedure {procedure.code} "
                           f"(competent: {listed})", field="competent_unit") from None


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
