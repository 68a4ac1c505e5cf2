"""Who may attach a file to a dossier, and the event that records it (issue 19: the
digital dossier under Decree 118/2025/NĐ-CP, which makes the electronic dossier the normal
case and has paper brought to the counter digitised, "số hóa").

- A checklist document's file (a scan or an upload): the receiving desk (bộ phận một cửa),
  which digitises what it takes in, or the agency holding the current step, while the
  dossier is open.
- A document's file sent online by the applicant (through the private link) while the
  dossier waits for the desk's check.
- The result's file (kết quả điện tử): the agency holding the last step while it is at
  that step, or the receiving desk once the result is ready to be returned.

The rules are this product's reading of the decree's duties (digitise at reception, issue
results electronically); the decree does not say which officer attaches which file.
"""
from __future__ import annotations

from datetime import datetime

from workflow.domain.dossier import (APPLICANT, CLOSED, RESULT_READY, STEP_STATUSES, SUBMITTED, Actor,
                                     Dossier)
from workflow.domain.errors import Forbidden, InvalidInput
from workflow.domain.lifecycle import DESK, STEP, capacities

DOCUMENT, RESULT = "document", "result"
ATTACH = "attach_file"  # the event's action


def checklist_codes(dossier: Dossier) -> set[str]:
    return {d.code for d in dossier.procedure.documents}


def required_for_digitisation(procedure) -> list:
    """The checklist documents a dossier must have a file of to count as digitised: not
    optional (nếu có) and not only presented (xuất trình, shown and handed back)."""
    return [d for d in procedure.documents if not d.optional and not d.present_only]


def check_attach(actor: Actor, dossier: Dossier, kind: str, document: str | None) -> None:
    """Raise unless `actor` may attach a file of this kind now (the caller has already
    checked the actor may see the dossier)."""
    if kind == DOCUMENT and document not in checklist_codes(dossier):
        raise InvalidInput(f"'{document}' is not a document of the checklist of procedure "
                           f"{dossier.procedure.code}", field="document")
    if dossier.status in CLOSED:
        raise Forbidden(f"dossier {dossier.code} is closed ({dossier.status}): nothing more is attached",
                        field="code")
    held = capacities(actor, dossier)
    if kind == DOCUMENT:
        # the applicant, through the private link, while the online dossier waits for the
        # desk's check (submitted, or just supplemented back into that state)
        allowed = DESK in held or STEP in held or (APPLICANT in held and dossier.status == SUBMITTED)
    else:
        last = dossier.procedure.steps[-1].code
        at_last_step = dossier.status in STEP_STATUSES and dossier.current_step.code == last
        allowed = (STEP in held and at_last_step) or (DESK in held and dossier.status == RESULT_READY)
    if not allowed:
        raise Forbidden(f"{actor.username} may not attach a {kind} file to dossier {dossier.code} now",
                        field="code")


def may_attach(actor: Actor, dossier: Dossier, kind: str, document: str | None = None) -> bool:
    """`check_attach` as a yes or no, for a page deciding whether to offer an upload form."""
    try:
        check_attach(actor, dossier, kind, document)
    except (Forbidden, InvalidInput):
        return False
    return True


def record_attachment(dossier: Dossier, actor: Actor, at: datetime, file_id: int, kind: str,
                      document: str | None, name: str, sha256: str, size: int,
                      supersedes: int | None, signed_by: str | None = None) -> None:
    """The attachment in the dossier's trail (an event that changes no state); a signed copy
    of the result names the agency whose key signed it."""
    extra = {"signed_by": signed_by} if signed_by else {}
    dossier.record(at, actor.username, ATTACH, dossier.state, file=file_id, kind=kind,
                   document=document, name=name, sha256=sha256, size=size, supersedes=supersedes, **extra)
    dossier.version += 1
