"""The dossier (hồ sơ) aggregate: its state, clocks, history and pending side effects.

A dossier changes state only through `workflow.domain.lifecycle`; this module holds the
data and the small facts derived from it. New events and outbox messages are collected
in `pending_events` / `pending_messages` and written by the unit of work in the same
commit as the new state.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from .clock import Clock
from .procedure import Procedure

SUBMITTED = "submitted"  # submitted online, awaiting the desk's check (chờ tiếp nhận)
AWAITING_DOCUMENTS = "awaiting_documents"
RECEIVED = "received"
IN_PROGRESS = "in_progress"
SUPPLEMENT_REQUESTED = "supplement_requested"
RESULT_READY = "result_ready"
RETURNED = "returned"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

STATUSES = (SUBMITTED, AWAITING_DOCUMENTS, RECEIVED, IN_PROGRESS, SUPPLEMENT_REQUESTED,
            RESULT_READY, RETURNED, REJECTED, WITHDRAWN)
CLOSED = (RETURNED, REJECTED, WITHDRAWN)
REPEAT_VISIT = "repeat_visit"
STEP_STATUSES = (IN_PROGRESS, SUPPLEMENT_REQUESTED)
# guidance stages that are a request to supplement (form 02): at the counter, during
# processing, and the one request a procedure's text allows during appraisal
NOTICE_STAGES = ("intake", "processing", "appraisal")


@dataclass(frozen=True)
class Applicant:
    """The person or organisation who files (người nộp hồ sơ)."""

    name: str
    id_number: str | None = None
    phone: str | None = None
    email: str | None = None


# How the result goes back to the citizen (hình thức nhận kết quả), chosen at intake:
# at the counter, or by the public postal service to an address (Decision
# 45/2016/QĐ-TTg Art. 5: the citizen may use the post to send the dossier, to receive the
# result, or both; docs/concepts/return-and-filer.md)
RETURN_AT_COUNTER = "counter"
RETURN_BY_POST = "post"
RETURN_CHANNELS = (RETURN_AT_COUNTER, RETURN_BY_POST)
# who gets the notices of a dossier: the applicant, the person who filed for them, or both
NOTIFY_APPLICANT = "applicant"
NOTIFY_FILER = "filer"
NOTIFY_CHOICES = (NOTIFY_APPLICANT, NOTIFY_FILER)
# checklist codes that denote the authorisation a filer presents (văn bản ủy quyền): the
# demo catalog writes it "UQ" (1.001193, 1.001612, 3.000333...); TKUQ / UQTV are other
# documents (a declaration form, members' authorisation) and do not count
AUTHORISATION_CODES = ("UQ",)


@dataclass(frozen=True)
class Filer:
    """The person who files on the applicant's behalf (người nộp thay, người được ủy
    quyền) when not the applicant: named on the receipt; may get the notices and look
    the dossier up with the last digits of their phone."""

    name: str
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None


@dataclass(frozen=True)
class Contact:
    """One addressee of a notice: the applicant or the filer."""

    role: str
    name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff member (role counter | officer | supervisor | admin), or the
    applicant through their dossier's private link (role "applicant", username
    `applicant_of(code)`; no agency)."""

    username: str
    role: str
    agency: str | None


APPLICANT = "applicant"


def applicant_of(code: str) -> str:
    """The username under which the applicant acts on their own online dossier."""
    return f"applicant:{code}"


@dataclass(frozen=True)
class Event:
    """One line of the append-only history (nhật ký xử lý)."""

    seq: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str
    step: str | None = None
    note: str | None = None
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Visit:
    """One contact of the citizen with the dossier (lượt đến / lượt nộp): a trip to the
    counter, or an online / postal submission (not a trip)."""

    at: datetime
    kind: str            # "submission" | "supplement"
    channel: str
    served_by: str

    @property
    def is_trip(self) -> bool:
        return self.channel == "in_person"


@dataclass(frozen=True)
class GuidanceFailure:
    """A document asked for later that was already missing when an earlier guidance
    (notice or receipt) was given but was left off it: the guidance was incomplete."""

    at: datetime
    clerk: str           # who gave the incomplete guidance
    document: str
    stage: str           # stage of the incomplete guidance: "intake" | "receipt" | "processing"


@dataclass(frozen=True)
class Message:
    """A side effect to send after commit, through the outbox."""

    topic: str
    payload: dict


@dataclass
class Dossier:
    code: str
    procedure: Procedure
    applicant: Applicant
    channel: str
    status: str = AWAITING_DOCUMENTS
    step_index: int | None = None
    documents: list[str] = field(default_factory=list)
    missing_documents: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    received_at: datetime | None = None
    due_at: datetime | None = None
    appointment_at: datetime | None = None
    result_ready_at: datetime | None = None
    closed_at: datetime | None = None
    # the first forward out of `received`: the hand-over to the competent unit's offices,
    # written once (lifecycle._on_step_entered; the boundary-free report, migration 0030)
    handed_over_at: datetime | None = None
    clock: Clock | None = None
    step_clock: Clock | None = None
    step_started_at: datetime | None = None
    step_due_at: datetime | None = None
    visits: int = 0
    supplement_trips: int = 0
    flags: list[str] = field(default_factory=list)
    received_by: str | None = None
    # the guidance given to the citizen (hướng dẫn): notices and the receipt, in order,
    # each {"n", "stage", "at", "by", "listed": [codes], "absent": [codes], "reasons": {code: why}}
    guidance: list[dict] = field(default_factory=list)
    postponed_to: datetime | None = None
    postponed_reason: str | None = None
    # step code -> the officer who last acted on that step while holding it (cán bộ xử lý
    # của bước): kept with the row so a dashboard never searches the history for it
    step_officers: dict[str, str] = field(default_factory=dict)
    # how the result is returned (counter | post) and, by post, where to (địa chỉ nhận)
    return_by: str = RETURN_AT_COUNTER
    return_address: str | None = None
    # the post office's tracking number (mã vận đơn / số hiệu bưu gửi), once handed over
    tracking_number: str | None = None
    filer: Filer | None = None
    notify: tuple[str, ...] = (NOTIFY_APPLICANT,)
    # reception regardless of administrative boundaries: the service point that took it in
    # when not the procedure's own receiving agency, and the point where the result is
    # collected when not the receiving one (None: the receiving point; by post: none)
    receiving_point: str | None = None
    return_at: str | None = None
    version: int = 0
    last_seq: int = 0
    id: int | None = None
    procedure_id: int | None = None
    pending_events: list[Event] = field(default_factory=list)
    pending_messages: list[Message] = field(default_factory=list)
    pending_visits: list[Visit] = field(default_factory=list)
    pending_failures: list[GuidanceFailure] = field(default_factory=list)

    # -- the machine's view of the state: the status plus the step where it has one --
    @property
    def state(self) -> str:
        if self.status in STEP_STATUSES:
            return f"{self.status}@{self.current_step.code}"
        return self.status

    @state.setter
    def state(self, value: str) -> None:
        status, _, step = value.partition("@")
        self.status = status
        if step:
            self.step_index = self.procedure.step_index(step)

    @property
    def current_step(self):
        if self.step_index is None:
            return None
        return self.procedure.steps[self.step_index]

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED

    @property
    def is_online(self) -> bool:
        """Submitted by the applicant online (nộp trực tuyến): the desk checks it before
        it is received, and the applicant supplements it through the private link."""
        return self.channel == "online"

    @property
    def by_post(self) -> bool:
        """The result goes back by the public postal service (trả kết quả qua bưu chính)."""
        return self.return_by == RETURN_BY_POST

    def contacts(self) -> list[Contact]:
        """Whom the notices go to, as the applicant chose at intake (the applicant by
        default; the filer, or both)."""
        out = []
        if NOTIFY_APPLICANT in self.notify:
            a = self.applicant
            out.append(Contact(NOTIFY_APPLICANT, a.name, a.phone, a.email))
        if NOTIFY_FILER in self.notify and self.filer is not None:
            f = self.filer
            out.append(Contact(NOTIFY_FILER, f.name, f.phone, f.email))
        return out

    def lookup_phones(self) -> list[str]:
        """The phone numbers whose last digits open the public status page: the
        applicant's and the filer's."""
        return [p for p in (self.applicant.phone, self.filer.phone if self.filer else None) if p]

    @property
    def receiving_agency(self) -> str:
        """The agency that took the dossier in (nơi tiếp nhận): its desk supplements and
        forwards it; its daily sequence numbers it. The procedure's receiving agency unless
        a service point received it for another unit."""
        return self.receiving_point or self.procedure.agency

    @property
    def competent_unit(self) -> str:
        """The unit competent to settle it (cơ quan có thẩm quyền giải quyết), as its
        receiving agency: the procedure's agency as that unit settles it."""
        return self.procedure.agency

    @property
    def return_point(self) -> str | None:
        """The service point where the result is collected (nơi trả kết quả); None when it
        goes back by post, which the receiving point sends."""
        if self.by_post:
            return None
        return self.return_at or self.receiving_agency

    @property
    def boundary_free(self) -> bool:
        """Received at a point other than the competent unit's own (tiếp nhận không phụ
        thuộc địa giới hành chính)."""
        return self.receiving_agency != self.competent_unit

    def record(self, at: datetime, actor: str, action: str, from_state: str | None,
               note: str | None = None, **data) -> Event:
        """Append the next event; seq grows 1, 2, 3... without gaps."""
        self.last_seq += 1
        step = self.current_step.code if self.current_step else None
        event = Event(self.last_seq, at, actor, action, from_state, self.state, step, note,
                      {k: v for k, v in data.items() if v is not None})
        self.pending_events.append(event)
        self.note_officer(event)
        return event

    def note_officer(self, event: Event) -> None:
        """An event taken while in progress at step X, still at X (a supplement request, a
        postponement, a completion...), names X's officer (cán bộ xử lý): the latest one wins.
        Every event goes through here, recorded or imported, so the map equals what the
        history says by construction."""
        if event.step and event.from_state == f"{IN_PROGRESS}@{event.step}":
            self.step_officers[event.step] = event.actor

    @property
    def step_officer(self) -> str | None:
        """The officer of the current step, None while nobody has acted on it."""
        step = self.current_step
        return self.step_officers.get(step.code) if step else None

    @property
    def repeat_visit(self) -> bool:
        return REPEAT_VISIT in self.flags

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)

    def notices(self) -> list[dict]:
        """The supplement notices issued (phiếu yêu cầu bổ sung, hoàn thiện hồ sơ)."""
        return [g for g in self.guidance if g["stage"] in NOTICE_STAGES]

    def assign_code(self, code: str) -> None:
        """Give a dossier opened without its number (mã hồ sơ) the one drawn for it, in
        its pending messages too. Why: the agency's daily sequence is a row lock held until
        commit, so the number is drawn after the checks and the domain work, not before."""
        old, self.code = self.code, code
        for m in self.pending_messages:
            if m.payload.get("dossier") == old:
                m.payload["dossier"] = code
        before, after = applicant_of(old), applicant_of(code)  # an online submission's events
        self.pending_events = [replace(e, actor=after) if e.actor == before else e
                               for e in self.pending_events]
        self.pending_visits = [replace(v, served_by=after) if v.served_by == before else v
                               for v in self.pending_visits]

    def emit(self, topic: str, **payload) -> None:
        self.pending_messages.append(Message(topic, {"dossier": self.code, **payload}))

    def is_overdue(self, now: datetime) -> bool:
        return self.due_at is not None and not self.is_closed and self.result_ready_at is None \
            and now > self.due_at
