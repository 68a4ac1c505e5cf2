"""The hand-over of paper originals between points (issue 22, "any counter in the city").

A dossier received at a service point for another unit is digitised at the counter and
travels electronically; where the paper originals must follow, each hand-over between
agencies is recorded here: who sent which checklist documents to whom and when, and who
received them. No legal rule was found on when originals must follow or within what
time (docs/concepts/originals.md), so nothing here sets a deadline or requires a
transfer: the rules only keep the record coherent.

- The originals are first held by the point that received the dossier; after each
  received transfer, by its destination.
- Only staff of the agency holding them send them, to another agency the dossier concerns
  (the competent unit, a step's agency, the return point, the receiving point:
  `lifecycle.involved_agencies`).
- One transfer is open (sent, not yet received) at a time: while the papers travel
  nobody holds them.
- Only staff of the destination agency record that they arrived.

Pure Python: the service (workflow.services.dossiers.originals) reads and writes rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .dossier import Actor, Dossier
from .errors import Conflict, Forbidden, InvalidInput
from .lifecycle import involved_agencies

STAFF_ROLES = ("counter", "officer", "supervisor")
SENT = "originals_sent"          # the events' actions in the dossier's trail
RECEIVED = "originals_received"
DOCUMENTS_MAX = 50
NOTE_MAX = 500


@dataclass(frozen=True)
class Transfer:
    """One hand-over of originals from one agency to another."""
    id: int | None
    from_agency: str
    to_agency: str
    documents: tuple[str, ...]
    sent_at: datetime
    sent_by: str
    received_at: datetime | None = None
    received_by: str | None = None
    note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.received_at is None


def holder(dossier: Dossier, transfers: list[Transfer]) -> str | None:
    """The agency holding the originals: the receiving point, then the destination of the
    last received transfer; None while a transfer is open (they are on their way)."""
    held = dossier.receiving_agency
    for t in transfers:  # in the order they were sent
        if t.is_open:
            return None
        held = t.to_agency
    return held


def destinations(dossier: Dossier, transfers: list[Transfer]) -> list[str]:
    """Where the holder may send them: every other agency the dossier concerns."""
    held = holder(dossier, transfers)
    return sorted(a for a in involved_agencies(dossier) if a and a != held)


def _staff_of(actor: Actor, agency: str | None) -> bool:
    return actor.role in STAFF_ROLES and actor.agency is not None and actor.agency == agency


def may_send(actor: Actor, dossier: Dossier, transfers: list[Transfer]) -> bool:
    """Whether the send form is offered: staff of the holder, no transfer open."""
    return _staff_of(actor, holder(dossier, transfers))


def may_receive(actor: Actor, transfer: Transfer) -> bool:
    """Whether the "received" button is offered on this transfer."""
    return transfer.is_open and _staff_of(actor, transfer.to_agency)


def check_send(actor: Actor, dossier: Dossier, transfers: list[Transfer], to, documents,
               note: str | None = None) -> tuple[str, ...]:
    """The documents to send (checked, without repeats), or the refusal: 403 when the
    actor's agency does not hold the originals, 409 while a transfer is open, 422 for a
    destination or documents the dossier does not have."""
    if any(t.is_open for t in transfers):
        open_one = next(t for t in transfers if t.is_open)
        raise Conflict(f"the originals are on their way from {open_one.from_agency} to "
                       f"{open_one.to_agency}: that transfer must be received first")
    held = holder(dossier, transfers)
    if not _staff_of(actor, held):
        raise Forbidden(f"{actor.username} ({actor.role}, {actor.agency}) does not hold the "
                        f"originals of {dossier.code} (held by {held})")
    allowed = destinations(dossier, transfers)
    if not isinstance(to, str) or to not in allowed:
        raise InvalidInput(f"originals go to an agency the dossier concerns: {', '.join(allowed)}",
                           field="to")
    if not isinstance(documents, (list, tuple)) or not documents \
            or not all(isinstance(c, str) for c in documents):
        raise InvalidInput("name the checklist documents whose originals are sent", field="documents")
    documents = tuple(dict.fromkeys(documents))
    presented = set(dossier.documents)
    unknown = [c for c in documents if c not in presented]
    if unknown or len(documents) > DOCUMENTS_MAX:
        raise InvalidInput(f"not among the documents presented with the dossier: {', '.join(unknown)}"
                           if unknown else f"at most {DOCUMENTS_MAX} documents", field="documents")
    if note is not None and (not isinstance(note, str) or len(note) > NOTE_MAX):
        raise InvalidInput(f"the note is text of at most {NOTE_MAX} characters", field="note")
    return documents


def check_receive(actor: Actor, transfer: Transfer) -> None:
    """Only staff of the destination record the arrival, once."""
    if not _staff_of(actor, transfer.to_agency):
        raise Forbidden(f"{actor.username} ({actor.role}, {actor.agency}) is not staff of "
                        f"{transfer.to_agency}, where these originals were sent")
    if not transfer.is_open:
        raise Conflict(f"transfer {transfer.id} was already received by {transfer.received_by}")
