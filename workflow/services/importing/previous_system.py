"""Importing dossiers from a previous system when a unit switches mid-year (chuyển đổi dữ
liệu từ hệ thống cũ), so that the year's log book and the II.06a figures stay whole.

Input is JSON lines, one dossier a line. Why all-or-nothing: a half-imported year would
give wrong reports that nobody notices, so every line is validated first, every error is
reported with its line number, and nothing is written unless all lines are good; then
all dossiers are written in ONE transaction through the ordinary repository. Imported
dossiers carry the same clock fields (budget, used, running since) as those taken in
here, so the deadline sweep, the reports and the next action treat them alike.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from string import Formatter
from typing import Iterable, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from workflow.adapters.repository import _upsert
from workflow.adapters.tables import dossier_sequences, dossiers
from workflow.domain import guidance
from workflow.domain.clock import Clock
from workflow.domain.codes import dossier_code
from workflow.domain.dossier import (CLOSED, IN_PROGRESS, RECEIVED, RESULT_READY, RETURNED, STEP_STATUSES,
                                     SUPPLEMENT_REQUESTED, Actor, Applicant, Dossier, Event)
from workflow.domain.errors import DomainError
from workflow.domain.appointment import statutory_clock

from workflow.services.reports import rollup as report_rollup
from workflow.services.context import Context
from workflow.services.unit_of_work import UnitOfWork

Moment = AwareDatetime


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplicantLine(Strict):
    name: str = Field(min_length=1, max_length=200)
    id_number: str | None = Field(None, pattern=r"^[0-9A-Z]{6,20}$")
    phone: str | None = Field(None, pattern=r"^\+?[0-9 .-]{8,20}$")
    email: EmailStr | None = None


class EventLine(Strict):
    at: Moment
    actor: str = Field(min_length=1, max_length=64)
    action: str = Field(min_length=1, max_length=32)
    from_state: str | None = Field(None, max_length=48)
    to_state: str = Field(min_length=1, max_length=48)
    step: str | None = Field(None, max_length=16)
    note: str | None = None
    data: dict = {}


class DossierLine(Strict):
    procedure_code: str = Field(min_length=1, max_length=40)
    applicant: ApplicantLine
    received_at: Moment
    status: Literal["received", "in_progress", "supplement_requested", "result_ready", "returned",
                    "rejected", "withdrawn"]
    code: str | None = Field(None, min_length=1, max_length=64)
    channel: Literal["in_person", "online", "post"] = "in_person"
    documents: list[str] | None = None      # default: the procedure's required documents
    due_at: Moment | None = None            # default: computed from the calendar
    appointment_at: Moment | None = None    # the first appointment; default: due_at
    current_step: str | None = None
    step_started_at: Moment | None = None
    supplement_requested_at: Moment | None = None
    missing: list[str] = []
    result_ready_at: Moment | None = None
    closed_at: Moment | None = None
    received_by: str | None = Field(None, max_length=64)
    events: list[EventLine] = []


@dataclass(frozen=True)
class LineError:
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field + ': ' if self.field else ''}{self.message}"


class ImportFailed(DomainError):
    """Nothing was imported; `errors` lists every problem found, by line."""

    code = "import_failed"
    status = 422

    def __init__(self, errors: list[LineError]):
        super().__init__(f"{len(errors)} error(s); nothing was imported")
        self.errors = errors


@dataclass
class ImportReport:
    imported: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def import_dossiers(ctx: Context, lines: Iterable[str], importer: str = "import",
                    source: str = "") -> ImportReport:
    now, cal = ctx.now(), ctx.calendar
    parsed, errors = _parse(lines)
    with UnitOfWork(ctx.engine) as uow:
        resolved = []
        for n, item in parsed:
            day = item.received_at.astimezone(cal.tz).date()
            found = uow.procedures.current(item.procedure_code, day)
            if found is None:
                errors.append(LineError(n, "procedure_code",
                                        f"no version of '{item.procedure_code}' in force on {day}"))
                continue
            errors += [LineError(n, f, m) for f, m in _check(item, found[1], now)]
            resolved.append((n, item, *found))
        errors += _check_codes(uow.conn, [(n, item.code) for n, item, *_ in resolved])
        if errors:
            raise ImportFailed(sorted(errors, key=lambda e: e.line))
        report = ImportReport()
        taken = {item.code for _, item, *_ in resolved if item.code}
        for n, item, procedure_id, procedure in resolved:
            day = item.received_at.astimezone(cal.tz).date()
            code = item.code or _next_code(uow, procedure.agency, day, ctx.code_format, taken)
            if item.code:
                _reserve(uow.conn, procedure.agency, day, item.code, ctx.code_format)
            dossier = _build(item, procedure, code, cal, now, importer, f"{source}:{n}".lstrip(":"))
            try:
                uow.dossiers.add(dossier, procedure_id)
            except IntegrityError:
                raise ImportFailed([LineError(n, "code", f"'{code}' was written meanwhile; retry")]) from None
            report.imported += 1
            report.by_status[item.status] = report.by_status.get(item.status, 0) + 1
        through = report_rollup.watermark(uow.conn)
        if through and any(moment and moment.astimezone(cal.tz).date() < through
                           for _, item, *_ in resolved for moment in (item.closed_at, item.result_ready_at)):
            report_rollup.invalidate(uow.conn)  # closed or ready before the watermark: not in the rollup
        uow.commit()
    return report


def _parse(lines: Iterable[str]) -> tuple[list[tuple[int, DossierLine]], list[LineError]]:
    parsed, errors = [], []
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            parsed.append((n, DossierLine.model_validate(json.loads(raw))))
        except json.JSONDecodeError as exc:
            errors.append(LineError(n, None, f"not valid JSON ({exc.msg}, column {exc.colno})"))
        except ValidationError as exc:
            errors += [LineError(n, ".".join(str(p) for p in e["loc"]) or None, e["msg"]) for e in exc.errors()]
    return parsed, errors


def _check(item: DossierLine, procedure, now: datetime) -> list[tuple[str, str]]:
    """The rules across fields; returns (field, message) pairs."""
    out = []
    at_step, closed = item.status in STEP_STATUSES, item.status in CLOSED
    moments = {k: getattr(item, k) for k in ("received_at", "due_at", "appointment_at", "step_started_at",
                                             "supplement_requested_at", "result_ready_at", "closed_at")}
    moments.update({f"events.{i}.at": e.at for i, e in enumerate(item.events)})
    out += [(k, "is in the future") for k, v in moments.items()
            if v and v > now and k not in ("due_at", "appointment_at")]
    out += [(k, "is before received_at") for k, v in moments.items()
            if v and k != "received_at" and not k.startswith("events") and v < item.received_at]
    known = {d.code for d in procedure.documents}
    for name in ("documents", "missing"):
        unknown = [c for c in getattr(item, name) or [] if c not in known]
        if unknown:
            out.append((name, f"not in the checklist of {procedure.code}: {', '.join(unknown)}"))
    if at_step:
        if item.current_step is None or procedure.step_index(item.current_step) is None:
            steps = ", ".join(s.code for s in procedure.steps)
            out.append(("current_step", f"required for status {item.status}: one of {steps}"))
        if item.step_started_at is None:
            out.append(("step_started_at", f"required for status {item.status}"))
    else:
        out += [(k, f"only for dossiers at a step, not {item.status}")
                for k in ("current_step", "step_started_at") if getattr(item, k) is not None]
    if item.status != SUPPLEMENT_REQUESTED:
        out += [(k, "only for status supplement_requested")
                for k in ("supplement_requested_at", "missing") if getattr(item, k)]
    elif item.supplement_requested_at and item.step_started_at \
            and item.supplement_requested_at < item.step_started_at:
        out.append(("supplement_requested_at", "is before step_started_at"))
    if closed and item.closed_at is None:
        out.append(("closed_at", f"required for status {item.status}"))
    if not closed and item.closed_at is not None:
        out.append(("closed_at", f"not for an open dossier ({item.status})"))
    has_result = item.status in (RESULT_READY, RETURNED)
    if item.status == RESULT_READY and item.result_ready_at is None:
        out.append(("result_ready_at", "required for status result_ready"))
    if not has_result and item.result_ready_at is not None:
        out.append(("result_ready_at", f"not for status {item.status}"))
    if item.result_ready_at and item.closed_at and item.closed_at < item.result_ready_at:
        out.append(("closed_at", "is before result_ready_at"))
    ats = [e.at for e in item.events]
    out += [(f"events.{i}.at", "events must be in time order") for i in range(1, len(ats)) if ats[i] < ats[i - 1]]
    return out


def _check_codes(conn, given: list[tuple[int, str | None]]) -> list[LineError]:
    errors, first = [], {}
    for n, code in given:
        if code is None:
            continue
        if code in first:
            errors.append(LineError(n, "code", f"'{code}' is repeated (first on line {first[code]})"))
        first.setdefault(code, n)
    codes = list(first)
    for i in range(0, len(codes), 500):
        for code in conn.execute(select(dossiers.c.code).where(dossiers.c.code.in_(codes[i:i + 500]))).scalars():
            errors.append(LineError(first[code], "code", f"'{code}' already exists"))
    return errors


def _next_code(uow, agency: str, day, fmt: str, taken: set) -> str:
    """The next code of the agency's daily sequence that neither the file nor the
    database uses already."""
    while True:
        code = dossier_code(agency, day, uow.dossiers.next_sequence(agency, day), fmt)
        if code not in taken and uow.dossiers.get(code) is None:
            taken.add(code)
            return code


def _reserve(conn, agency: str, day, code: str, fmt: str) -> None:
    """A kept code in this system's format moves the day's sequence past it, so a
    dossier received later that day never draws the same code."""
    pattern = ""
    for literal, name, spec, _ in Formatter().parse(fmt):
        pattern += re.escape(literal)
        if name == "seq":
            pattern += r"(?P<seq>\d+)"
        elif name is not None:
            pattern += re.escape(format({"agency": agency, "day": day}[name], spec))
    m = re.fullmatch(pattern, code)
    if m and "seq" in m.groupdict():
        seq = int(m["seq"])
        stmt = _upsert(conn)(dossier_sequences).values(agency=agency, day=day, last=seq)
        conn.execute(stmt.on_conflict_do_update(index_elements=["agency", "day"], set_={"last": seq},
                                                where=dossier_sequences.c.last < seq))


def _build(item: DossierLine, procedure, code: str, cal, now: datetime, importer: str,
           source: str) -> Dossier:
    law = statutory_clock(procedure, item.received_at, cal)  # same-day, calendar or working days
    start = law.running_since
    due = item.due_at or law.due_at(cal)
    # a given due date is the appointment promised: the budget is the time up to it
    clock = Clock(cal.working_minutes_between(start, due) if item.due_at else law.budget)
    paused_at = item.supplement_requested_at or item.step_started_at
    stopped_at = item.result_ready_at or item.closed_at
    d = Dossier(code=code, procedure=procedure, applicant=Applicant(**item.applicant.model_dump()),
                channel=item.channel, status=item.status, received_at=item.received_at,
                documents=list(item.documents if item.documents is not None else procedure.required_documents),
                created_at=min([item.received_at, *(e.at for e in item.events)]),
                appointment_at=item.appointment_at or due, due_at=due,
                result_ready_at=item.result_ready_at or (item.closed_at if item.status == RETURNED else None),
                closed_at=item.closed_at, clock=clock, visits=int(item.channel == "in_person"),
                received_by=item.received_by or importer, version=1)
    if item.status in (IN_PROGRESS, RECEIVED):
        clock.start(start)
    elif item.status == SUPPLEMENT_REQUESTED:
        clock.used = cal.working_minutes_between(start, paused_at)
        d.due_at = None
    else:
        clock.used = cal.working_minutes_between(start, stopped_at)
    desk = Actor(d.received_by, "counter", procedure.agency)
    guidance.give(d, "receipt", item.received_at, desk, [])
    if item.status in STEP_STATUSES:
        d.step_index = procedure.step_index(item.current_step)
        d.step_started_at = item.step_started_at
        step_start = cal.next_opening(item.step_started_at)
        d.step_clock = Clock(round(d.current_step.days * cal.minutes_per_day))
        if item.status == IN_PROGRESS:
            d.step_clock.start(step_start)
            d.step_due_at = d.step_clock.due_at(cal)
        else:
            d.step_clock.used = cal.working_minutes_between(step_start, paused_at)
            d.missing_documents = list(dict.fromkeys(item.missing))
            guidance.give(d, "processing", paused_at, Actor(importer, "officer", d.current_step.agency),
                          d.missing_documents)
    d.pending_events = [Event(i, e.at, e.actor, e.action, e.from_state, e.to_state, e.step, e.note, e.data)
                        for i, e in enumerate(item.events, start=1)]
    d.last_seq = len(item.events)
    # the hand-over to the unit's offices (handed_over_at), as migration 0030's backfill reads
    # it from stored events: the first forward out of received in the history given; none
    # without one (step_started_at is the current step's start, not necessarily the first)
    d.handed_over_at = min((e.at for e in item.events if e.action == "forward" and e.from_state == RECEIVED),
                           default=None)
    for e in d.pending_events:  # the officer by step, as if the history had been recorded here
        d.note_officer(e)
    d.record(now, importer, "import", None, "Chuyển đổi từ hệ thống cũ", source=source or None)
    return d
