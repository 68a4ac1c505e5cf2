"""The dossier lifecycle: ONE `transitions` machine per procedure version.

States follow the one-stop rules (Decree 61/2018/NĐ-CP as amended by Decree
107/2021/NĐ-CP, and from 1 July 2025 Decree 118/2025/NĐ-CP): submitted (online, awaiting the
desk's check), awaiting_documents, received, in_progress@STEP, supplement_requested@STEP,
result_ready, returned, rejected, withdrawn. The step is part
of the state, so the machine of a procedure version knows exactly which hand-offs exist.

The machine is built once per procedure version (`model=None`, `auto_transitions=False`,
`send_event=True`) and triggers are fired on plain Dossier objects; callbacks only apply
the effects to the object and record events. Nothing here touches a clock or a database:
`now` and the calendar are arguments, and the caller's unit of work commits or drops the
whole change.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from transitions import Machine

from .clock import Clock
from .dossier import (APPLICANT, AWAITING_DOCUMENTS, CLOSED, IN_PROGRESS, NOTIFY_APPLICANT,
                      RECEIVED, REJECTED, RESULT_READY, RETURN_AT_COUNTER, RETURN_BY_POST,
                      RETURNED, SUBMITTED, SUPPLEMENT_REQUESTED, WITHDRAWN, Actor, Applicant,
                      Dossier, Filer, applicant_of)
from .errors import ActionNotAllowed, Forbidden, InvalidInput, NotFound
from . import guidance, postponement
from .appointment import statutory_clock
from .procedure import CHANNELS, Procedure
from .return_and_filer import check_return, check_return_and_filer
from .boundary_free import INTAKE_ROLES, authorise_intake, check_return_at

ACTIONS = ("accept", "supplement", "request_supplement", "forward", "send_back", "complete",
           "return_result", "reject", "withdraw", "postpone")

DESK, STEP, RETURN = "desk", "step", "return"
# Who may fire an action, by the status it is fired from. "desk": counter staff or a
# supervisor of the receiving agency (bộ phận một cửa; the service point that took the
# dossier in). "step": an officer or supervisor of the agency holding the current step
# (counter staff too when the competent unit's or the receiving desk itself holds that
# step, e.g. the return step at the desk). "return": counter staff or a supervisor of
# the point where the result is collected (by default the receiving point; by post, the
# receiving point sends it). "applicant": the citizen acting on their own online dossier
# through its private link.
PERMISSIONS: dict[tuple[str, str], frozenset[str]] = {
    ("accept", SUBMITTED): frozenset({DESK}),
    ("request_supplement", SUBMITTED): frozenset({DESK}),
    ("reject", SUBMITTED): frozenset({DESK}),
    ("withdraw", SUBMITTED): frozenset({DESK}),
    ("supplement", AWAITING_DOCUMENTS): frozenset({DESK, APPLICANT}),
    ("supplement", SUPPLEMENT_REQUESTED): frozenset({DESK, STEP}),
    ("forward", RECEIVED): frozenset({DESK}),
    ("forward", IN_PROGRESS): frozenset({STEP}),
    ("send_back", IN_PROGRESS): frozenset({STEP}),
    ("complete", IN_PROGRESS): frozenset({STEP}),
    ("request_supplement", IN_PROGRESS): frozenset({STEP}),
    ("return_result", RESULT_READY): frozenset({RETURN}),
    ("reject", AWAITING_DOCUMENTS): frozenset({DESK}),
    ("reject", RECEIVED): frozenset({DESK}),
    ("reject", IN_PROGRESS): frozenset({STEP}),
    ("reject", SUPPLEMENT_REQUESTED): frozenset({STEP}),
    ("withdraw", AWAITING_DOCUMENTS): frozenset({DESK}),
    ("withdraw", RECEIVED): frozenset({DESK}),
    ("withdraw", IN_PROGRESS): frozenset({DESK}),
    ("withdraw", SUPPLEMENT_REQUESTED): frozenset({DESK}),
    ("postpone", RECEIVED): frozenset({DESK}),
    ("postpone", IN_PROGRESS): frozenset({STEP}),
    ("postpone", SUPPLEMENT_REQUESTED): frozenset({STEP}),
}
REASON_REQUIRED = {"reject": "reason", "withdraw": "reason", "send_back": "note", "postpone": "reason"}


def capacities(actor: Actor, dossier: Dossier) -> set[str]:
    """The capacities in which this actor stands towards this dossier."""
    held = set()
    if actor.role == APPLICANT:
        if dossier.is_online and actor.username == applicant_of(dossier.code):
            held.add(APPLICANT)
        return held
    desk_staff = actor.role in INTAKE_ROLES and actor.agency is not None
    if desk_staff and actor.agency == dossier.receiving_agency:
        held.add(DESK)
    if desk_staff and actor.agency == (dossier.return_point or dossier.receiving_agency):
        held.add(RETURN)
    step = dossier.current_step
    if step is not None and actor.agency == step.agency:
        if actor.role in ("officer", "supervisor") or (
                actor.role == "counter" and step.agency in (dossier.receiving_agency,
                                                            dossier.competent_unit)):
            held.add(STEP)
    return held


def involved_agencies(dossier: Dossier) -> set[str]:
    """The agencies a dossier concerns: the point that received it, the point where its
    result is collected, the competent unit and every step's agency."""
    return {dossier.receiving_agency, dossier.competent_unit,
            *((dossier.return_point,) if dossier.return_point else ()),
            *(step.agency for step in dossier.procedure.steps)}


def may_see(actor: Actor, dossier: Dossier) -> bool:
    """Administrators see every dossier; staff those their agency receives, hands back,
    settles (the competent unit) or holds a step of. Decided before anything else about
    the dossier (its state, version) is told."""
    if actor.role == "admin":
        return True
    if actor.role not in ("counter", "officer", "supervisor") or not actor.agency:
        return False
    return actor.agency in involved_agencies(dossier)


def unseen(actor: Actor, code: str):
    """The refusal for a dossier the actor may not see, the same whether it exists or not:
    403 for staff, 404 for administrators (who may see every dossier that exists)."""
    if actor.role == "admin":
        return NotFound(f"no dossier '{code}'", field="code")
    return Forbidden(f"no dossier '{code}' that {actor.username} may see", field="code")


def may_act(actor: Actor, action: str, dossier: Dossier) -> bool:
    return bool(PERMISSIONS.get((action, dossier.status), frozenset()) & capacities(actor, dossier))


# ----------------------------------------------------------------------------------
# the machine
# ----------------------------------------------------------------------------------
class Lifecycle:
    """The state machine of one procedure version, shared by all its dossiers."""

    def __init__(self, procedure: Procedure):
        self.procedure = procedure
        steps = [s.code for s in procedure.steps]
        working = [f"{IN_PROGRESS}@{s}" for s in steps]
        waiting = [f"{SUPPLEMENT_REQUESTED}@{s}" for s in steps]
        open_states = [SUBMITTED, AWAITING_DOCUMENTS, RECEIVED, *working, *waiting]
        t = []
        # online (Decree 45/2020/NĐ-CP Art. 11): the desk checks, then accepts or asks once
        t.append(dict(trigger="accept", source=SUBMITTED, dest=RECEIVED, after=_on_accepted))
        t.append(dict(trigger="request_supplement", source=SUBMITTED, dest=AWAITING_DOCUMENTS,
                      after=_on_desk_request))
        # the applicant's online supplement goes back to the desk to be checked (first match)
        t.append(dict(trigger="supplement", source=AWAITING_DOCUMENTS, dest=SUBMITTED,
                      conditions=[_by_applicant], after=_on_resubmitted))
        t.append(dict(trigger="supplement", source=AWAITING_DOCUMENTS, dest=RECEIVED,
                      conditions=[_now_complete], after=_on_complete_intake))
        t.append(dict(trigger="supplement", source=AWAITING_DOCUMENTS, dest=AWAITING_DOCUMENTS,
                      after=_on_still_incomplete))
        for s, w, q in zip(steps, working, waiting):
            t.append(dict(trigger="request_supplement", source=w, dest=q, after=_on_request_supplement))
            t.append(dict(trigger="supplement", source=q, dest=w, after=_on_supplemented))
        if steps:
            t.append(dict(trigger="forward", source=RECEIVED, dest=working[0], after=_on_step_entered))
        for i in range(len(steps) - 1):
            t.append(dict(trigger="forward", source=working[i], dest=working[i + 1], after=_on_step_entered))
        for i in range(1, len(steps)):
            for j in range(i):
                t.append(dict(trigger="send_back", source=working[i], dest=working[j],
                              conditions=[_send_back_target(steps[j], j == i - 1)], after=_on_step_entered))
        if steps:
            t.append(dict(trigger="complete", source=working[-1], dest=RESULT_READY, after=_on_result_ready))
        t.append(dict(trigger="return_result", source=RESULT_READY, dest=RETURNED, after=_on_closed))
        t.append(dict(trigger="reject", source=open_states, dest=REJECTED, after=_on_closed))
        t.append(dict(trigger="withdraw", source=open_states, dest=WITHDRAWN, after=_on_closed))
        for state in [RECEIVED, *working, *waiting]:  # the state stays; the appointment moves
            t.append(dict(trigger="postpone", source=state, dest=None, after=_on_postponed))
        self.machine = Machine(model=None, states=[*open_states, RESULT_READY, *CLOSED],
                               initial=AWAITING_DOCUMENTS, transitions=t, auto_transitions=False,
                               send_event=True, model_attribute="state")
        self._allowed = {state: tuple(a for a in ACTIONS if a in self.machine.get_triggers(state))
                         for state in self.machine.states}

    def allowed_actions(self, dossier: Dossier) -> tuple[str, ...]:
        return self._allowed.get(dossier.state, ())

    def fire(self, dossier: Dossier, action: str, actor: Actor, now: datetime, calendar,
             **payload) -> Dossier:
        """Apply one action or raise; on a raise the caller drops the dossier object."""
        if action not in ACTIONS:
            raise InvalidInput(f"unknown action '{action}'", field="action")
        allowed = self.allowed_actions(dossier)
        if action not in allowed:
            raise ActionNotAllowed(
                f"'{action}' is not allowed while the dossier is {dossier.state}", list(allowed))
        if not may_act(actor, action, dossier):
            raise Forbidden(f"{actor.username} ({actor.role}, {actor.agency}) may not {action} "
                            f"dossier {dossier.code} at {dossier.state}")
        _validate_payload(dossier, action, payload)
        if action == "request_supplement":
            payload["override"] = guidance.check_request(dossier, actor, payload["missing"],
                                                         payload.get("override_reason"))
        if action == "accept" and (missing := dossier.procedure.missing(dossier.documents)):
            raise InvalidInput(f"required documents are missing ({', '.join(missing)}): ask for "
                               f"a supplement (request_supplement) or refuse (reject)", field="documents")
        if action == "postpone":
            payload["new_due_at"] = postponement.new_appointment(
                dossier, payload.get("new_due_at"), now, calendar)
        before = dossier.state
        fired = self.machine.events[action].trigger(
            dossier, actor=actor, now=now, calendar=calendar, before=before, **payload)
        if not fired:  # only send_back can fall through: no transition matched its target
            raise InvalidInput(f"step '{payload.get('to_step')}' is not an earlier step of this dossier",
                               field="to_step")
        dossier.version += 1
        return dossier


@lru_cache(maxsize=512)
def lifecycle_for(procedure: Procedure) -> Lifecycle:
    """One machine per procedure version (procedures are frozen, hashable values)."""
    return Lifecycle(procedure)


# ----------------------------------------------------------------------------------
# intake: the moment a dossier comes to exist
# ----------------------------------------------------------------------------------
def open_dossier(procedure: Procedure, code: str, applicant: Applicant, documents: list[str],
                 channel: str, actor: Actor, now: datetime, calendar,
                 defects: dict[str, str] | None = None, return_by: str = RETURN_AT_COUNTER,
                 return_address: str | None = None, filer: Filer | None = None,
                 notify: tuple[str, ...] = (NOTIFY_APPLICANT,),
                 authorisation_exempt: str | None = None, return_at: str | None = None,
                 service_points=frozenset()) -> Dossier:
    """Take in a dossier (tiếp nhận): complete → received with its appointment; else
    awaiting_documents with EVERY missing required document listed at once. `procedure`
    is resolved for its competent unit; a service point (`service_points`) other than
    that unit's desk receives it when the procedure is approved for boundary-free
    reception, and `return_at` names another point to collect the result at."""
    authorise_intake(actor, procedure, service_points)
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    if channel == "online":  # "online" is a fact of the record, not a label the desk sets
        raise InvalidInput("online dossiers are submitted by the applicant (POST /api/v1/submissions); "
                           "the desk takes in 'in_person' or 'post'", field="channel")
    if channel not in procedure.channels:
        raise InvalidInput(f"procedure {procedure.code} is not offered through '{channel}' "
                           f"(offered: {', '.join(procedure.channels)})", field="channel")
    _check_document_codes(procedure, documents, "documents")
    defects = defects or {}
    _check_document_codes(procedure, list(defects), "defects")
    notify = tuple(notify)
    check_return_and_filer(procedure, list(documents), return_by, return_address, filer, notify,
                           authorisation_exempt)
    return_at = check_return_at(procedure, actor.agency, return_at, return_by, service_points)
    presented = [c for c in dict.fromkeys(documents) if c not in defects]
    dossier = Dossier(code=code, procedure=procedure, applicant=applicant, channel=channel,
                      documents=presented, created_at=now, received_by=actor.username,
                      receiving_point=actor.agency if actor.agency != procedure.agency else None,
                      return_at=return_at,
                      return_by=return_by,
                      return_address=return_address if return_by == RETURN_BY_POST else None,
                      filer=filer, notify=notify)
    choices = dict(return_by=return_by if return_by != RETURN_AT_COUNTER else None,
                   filer=filer.name if filer else None,
                   notify=list(notify) if notify != (NOTIFY_APPLICANT,) else None,
                   authorisation_exempt=authorisation_exempt,
                   competent_unit=dossier.competent_unit if dossier.boundary_free else None,
                   return_at=return_at)
    guidance.record_visit(dossier, now, "submission", channel, actor)
    missing = procedure.missing(dossier.documents)
    missing += [c for c in defects if c not in missing]
    dossier.missing_documents = missing
    if missing:
        dossier.status = AWAITING_DOCUMENTS
        guidance.give(dossier, "intake", now, actor, missing, defects)
        dossier.record(now, actor.username, "intake", None, missing=missing, channel=channel,
                       defects=defects or None, **choices)
        dossier.emit("dossier.supplement_notice", missing=missing)
    else:
        _receive(dossier, now, calendar)
        guidance.give(dossier, "receipt", now, actor, [])
        dossier.record(now, actor.username, "intake", None, channel=channel,
                       due_at=dossier.due_at.isoformat(), **choices)
        dossier.emit("dossier.received", due_at=dossier.due_at.isoformat())
    dossier.version = 1
    return dossier


def open_online(procedure: Procedure, code: str, applicant: Applicant, documents: list[str],
                now: datetime) -> Dossier:
    """An online submission (nộp hồ sơ trực tuyến): the dossier exists, awaiting the desk's
    check (Decree 45/2020/NĐ-CP Art. 11: the portal confirms the submission, an officer
    then checks the electronic dossier). No clock runs until the desk accepts it."""
    if "online" not in procedure.channels:
        raise InvalidInput(f"procedure {procedure.code} is not offered online "
                           f"(offered: {', '.join(procedure.channels)})", field="procedure_code")
    _check_document_codes(procedure, documents, "documents")
    if not documents:
        raise InvalidInput("attach at least one document", field="documents")
    actor = Actor(applicant_of(code), APPLICANT, None)
    dossier = Dossier(code=code, procedure=procedure, applicant=applicant, channel="online",
                      documents=list(dict.fromkeys(documents)), created_at=now, status=SUBMITTED)
    guidance.record_visit(dossier, now, "submission", "online", actor)
    dossier.missing_documents = procedure.missing(dossier.documents)
    dossier.record(now, actor.username, "submit", None, channel="online",
                   documents=list(dossier.documents), missing=dossier.missing_documents or None)
    dossier.version = 1
    return dossier


def _receive(dossier: Dossier, now: datetime, calendar) -> None:
    """Received: the statutory clock starts and the appointment is set (see
    workflow.domain.appointment for same-day, calendar-day and working-day counting)."""
    dossier.status = RECEIVED
    dossier.received_at = now
    dossier.missing_documents = []
    dossier.clock = statutory_clock(dossier.procedure, now, calendar)
    dossier.due_at = dossier.clock.due_at(calendar)
    dossier.appointment_at = dossier.due_at


# ----------------------------------------------------------------------------------
# payload rules and callbacks (each receives transitions' EventData)
# ----------------------------------------------------------------------------------
def _check_document_codes(procedure: Procedure, codes, field: str) -> None:
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise InvalidInput("must be a list of document codes", field=field)
    known = {d.code for d in procedure.documents}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput(f"not in the checklist of procedure {procedure.code}: {', '.join(unknown)}",
                           field=field)


def _validate_payload(dossier: Dossier, action: str, payload: dict) -> None:
    key = REASON_REQUIRED.get(action)
    if key and not str(payload.get(key) or "").strip():
        raise InvalidInput(f"'{key}' is required to {action}", field=key)
    if action == "supplement":
        _check_document_codes(dossier.procedure, payload.get("documents", []), "documents")
        channel = payload.get("channel") or dossier.channel
        if channel not in CHANNELS:
            raise InvalidInput(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    if action == "request_supplement":
        missing = payload.get("missing")
        if not missing:
            raise InvalidInput("list the documents to supplement", field="missing")
        _check_document_codes(dossier.procedure, missing, "missing")
        if not str(payload.get("reason") or "").strip():
            raise InvalidInput("'reason' is required to request a supplement", field="reason")
    if action == "return_result":
        check_return(dossier, payload)


def _kw(ev):
    return ev.kwargs


def _now_complete(ev) -> bool:
    d: Dossier = ev.model
    return not d.procedure.missing([*d.documents, *_kw(ev).get("documents", [])])


def _count_trip(d: Dossier, kw) -> str:
    channel = kw.get("channel") or d.channel
    guidance.record_visit(d, kw["now"], guidance.supplement_kind(d), channel, kw["actor"])
    return channel


def _add_documents(d: Dossier, codes) -> list[str]:
    new = [c for c in codes if c not in d.documents]
    d.documents.extend(new)
    return new


def _on_complete_intake(ev) -> None:
    d: Dossier = ev.model
    kw = _kw(ev)
    channel = _count_trip(d, kw)
    added = _add_documents(d, kw.get("documents", []))
    _receive(d, kw["now"], kw["calendar"])
    guidance.give(d, "receipt", kw["now"], kw["actor"], [])
    d.record(kw["now"], kw["actor"].username, "supplement", kw["before"], kw.get("note"),
             documents=added, channel=channel, due_at=d.due_at.isoformat())
    d.emit("dossier.received", due_at=d.due_at.isoformat())


def _by_applicant(ev) -> bool:
    return _kw(ev)["actor"].role == APPLICANT


def _on_accepted(ev) -> None:
    """The desk found the online dossier complete: received now, so the clock starts from
    the acceptance (the time the officer receives the complete dossier, Decree 45/2020
    Art. 11), and the receipt goes to the applicant electronically."""
    d: Dossier = ev.model
    kw = _kw(ev)
    _receive(d, kw["now"], kw["calendar"])
    d.received_by = kw["actor"].username
    guidance.give(d, "receipt", kw["now"], kw["actor"], [])
    d.record(kw["now"], kw["actor"].username, "accept", kw["before"], kw.get("note"),
             due_at=d.due_at.isoformat())
    d.emit("dossier.received", due_at=d.due_at.isoformat())


def _on_desk_request(ev) -> None:
    """The desk's one complete request to supplement an online dossier (form 02, sent
    electronically): everything missing listed at once, as at the counter."""
    d: Dossier = ev.model
    kw = _kw(ev)
    now = kw["now"]
    d.missing_documents = list(dict.fromkeys(kw["missing"]))
    failures = guidance.blame(d, now, d.missing_documents, kw["override"])
    guidance.give(d, "intake", now, kw["actor"], d.missing_documents,
                  {c: kw.get("reason") for c in d.missing_documents})
    d.record(now, kw["actor"].username, "request_supplement", kw["before"], kw.get("reason"),
             missing=d.missing_documents, override_reason=kw.get("override_reason"),
             guidance_failures=[{"clerk": f.clerk, "document": f.document} for f in failures] or None)
    d.emit("dossier.supplement_notice", missing=d.missing_documents, reason=kw.get("reason"))


def _on_resubmitted(ev) -> None:
    """The applicant supplemented online: back to the desk's check (not a trip)."""
    d: Dossier = ev.model
    kw = _kw(ev)
    channel = _count_trip(d, kw)
    added = _add_documents(d, kw.get("documents", []))
    d.missing_documents = d.procedure.missing(d.documents)
    d.record(kw["now"], kw["actor"].username, "supplement", kw["before"], kw.get("note"),
             documents=added, channel=channel, not_brought=guidance.not_brought(d) or None)


def _on_still_incomplete(ev) -> None:
    d: Dossier = ev.model
    kw = _kw(ev)
    channel = _count_trip(d, kw)
    added = _add_documents(d, kw.get("documents", []))
    d.missing_documents = [c for c in d.missing_documents if c not in d.documents]
    d.record(kw["now"], kw["actor"].username, "supplement", kw["before"], kw.get("note"),
             documents=added, channel=channel, missing=d.missing_documents,
             not_brought=guidance.not_brought(d))


def _step_clock(d: Dossier, now: datetime, calendar) -> None:
    step = d.current_step
    d.step_clock = Clock(budget=round(step.days * calendar.minutes_per_day))
    d.step_clock.start(calendar.next_opening(now))
    d.step_started_at = now
    d.step_due_at = d.step_clock.due_at(calendar)


def _on_step_entered(ev) -> None:
    """forward / send_back: the next holder's step clock starts (a hand-off when the
    agency changes: recorded on the process-tracking slip, form 05 of Circular 01/2018).
    The forward out of `received` is the desk's hand-over to the competent unit's offices:
    its moment is kept on the dossier (handed_over_at) for the boundary-free report."""
    d: Dossier = ev.model
    kw = _kw(ev)
    source = ev.transition.source
    from_step = source.partition("@")[2] or None
    from_agency = d.procedure.steps[d.procedure.step_index(from_step)].agency if from_step \
        else d.receiving_agency
    _step_clock(d, kw["now"], kw["calendar"])
    if source == RECEIVED and d.handed_over_at is None:  # the first hand-over, kept once
        d.handed_over_at = kw["now"]
    action = ev.event.name
    d.record(kw["now"], kw["actor"].username, action, kw["before"], kw.get("note"),
             from_agency=from_agency, to_agency=d.current_step.agency,
             step_due_at=d.step_due_at.isoformat())
    if from_agency != d.current_step.agency:
        d.emit("dossier.handed_over", step=d.current_step.code, agency=d.current_step.agency)


def _send_back_target(step_code: str, is_previous: bool):
    def condition(ev) -> bool:
        wanted = _kw(ev).get("to_step")
        return wanted == step_code if wanted else is_previous
    return condition


def _on_request_supplement(ev) -> None:
    d: Dossier = ev.model
    kw = _kw(ev)
    now, cal = kw["now"], kw["calendar"]
    d.clock.pause(now, cal)
    d.step_clock.pause(now, cal)
    d.due_at = None
    d.step_due_at = None
    d.missing_documents = list(dict.fromkeys(kw["missing"]))
    stage = guidance.request_stage(d)
    failures = guidance.blame(d, now, d.missing_documents, kw["override"])
    guidance.give(d, stage, now, kw["actor"], d.missing_documents,
                  {c: kw.get("reason") for c in d.missing_documents})
    d.record(now, kw["actor"].username, "request_supplement", kw["before"], kw.get("reason"),
             missing=d.missing_documents, override_reason=kw.get("override_reason"),
             appraisal=(stage == guidance.APPRAISAL) or None,
             guidance_failures=[{"clerk": f.clerk, "document": f.document} for f in failures] or None)
    d.emit("dossier.supplement_requested", missing=d.missing_documents)


def _on_supplemented(ev) -> None:
    d: Dossier = ev.model
    kw = _kw(ev)
    now, cal = kw["now"], kw["calendar"]
    channel = _count_trip(d, kw)
    added = _add_documents(d, kw.get("documents", []))
    d.missing_documents = [c for c in d.missing_documents if c not in d.documents]
    start = cal.next_opening(now)
    if d.procedure.on_supplement == "restart":  # counted again from the complete dossier
        d.clock = statutory_clock(d.procedure, now, cal)
        d.step_clock.restart(start)
    else:
        d.clock.start(start)
        d.step_clock.start(start)
    d.due_at = d.clock.due_at(cal)
    if d.postponed_to is None:
        d.appointment_at = d.due_at
    else:
        # the apology admitted lateness: the first appointment stays on the record (and
        # the dossier counts as late in every report); the one new date is a floor
        d.due_at = max(d.due_at, d.postponed_to)
    d.step_due_at = d.step_clock.due_at(cal)
    d.record(now, kw["actor"].username, "supplement", kw["before"], kw.get("note"),
             documents=added, channel=channel, clock=d.procedure.on_supplement,
             due_at=d.due_at.isoformat())


def _stop_clocks(d: Dossier, now: datetime, cal) -> None:
    if d.clock is not None:
        d.clock.pause(now, cal)
    if d.step_clock is not None:
        d.step_clock.pause(now, cal)
    d.step_due_at = None


def _on_result_ready(ev) -> None:
    d: Dossier = ev.model
    kw = _kw(ev)
    _stop_clocks(d, kw["now"], kw["calendar"])
    d.result_ready_at = kw["now"]
    late = d.appointment_at is not None and kw["now"] > d.appointment_at
    d.record(kw["now"], kw["actor"].username, "complete", kw["before"], kw.get("note"), late=late)
    d.emit("dossier.result_ready")


def _on_closed(ev) -> None:
    d: Dossier = ev.model
    kw = _kw(ev)
    now = kw["now"]
    _stop_clocks(d, now, kw["calendar"])
    d.closed_at = now
    action = ev.event.name
    note = kw.get("reason") if action in ("reject", "withdraw") else kw.get("note")
    if action == "return_result":  # the channel actually used, and the post's number
        d.return_by = kw.get("by") or d.return_by
        d.tracking_number = (kw.get("tracking_number") or "").strip() or None
        d.record(now, kw["actor"].username, action, kw["before"], note, by=d.return_by,
                 tracking_number=d.tracking_number,
                 address=d.return_address if d.by_post else None)
        if d.by_post:  # the citizen is told it is on its way, with the number
            d.emit("dossier.posted", tracking_number=d.tracking_number)
        d.emit("dossier.closed", status=d.status)
        return
    d.record(now, kw["actor"].username, action, kw["before"], note)
    if action == "reject":  # the citizen is told, with the reasons (refusal slip, form 03)
        d.emit("dossier.rejected", reason=note)
    d.emit("dossier.closed", status=d.status)


def _on_postponed(ev) -> None:
    """The agency that will be late apologises and gives one new date (form 04)."""
    d: Dossier = ev.model
    kw = _kw(ev)
    d.postponed_to = kw["new_due_at"]
    d.postponed_reason = kw["reason"].strip()
    d.due_at = d.postponed_to
    d.record(kw["now"], kw["actor"].username, "postpone", kw["before"], d.postponed_reason,
             appointment_at=d.appointment_at.isoformat(), new_due_at=d.postponed_to.isoformat())
    d.emit("dossier.postponed", new_due_at=d.postponed_to.isoformat(), reason=d.postponed_reason)
