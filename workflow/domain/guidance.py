"""One-time complete guidance (hướng dẫn một lần, đầy đủ) and repeat-visit rules.

Decree 61/2018/NĐ-CP Art. 18 (as amended by Decree 107/2021/NĐ-CP) asks the one-stop
unit to guide the citizen once, completely, in writing (form 02 of Circular
01/2018/TT-VPCP: request to supplement or complete the dossier), and Hanoi's Plan
143/KH-UBND asks that nobody comes back more than once to supplement a dossier. This
module keeps the record of every guidance given (notices and the receipt), decides when
a new supplement request would be a second comeback, and finds whose guidance was
incomplete when a document is asked for that was already missing but not listed.
From 1 July 2025 the same duty is in Decree 118/2025/NĐ-CP (form 02 of Circular
03/2025/TT-VPCP).

A lawful second request (yêu cầu bổ sung trong quá trình thẩm định): where a procedure's
own text lets the settling agency ask once in writing for a supplement while appraising
the dossier (the building permit 1.013225: within 7 working days of receipt, one written
request; Luật Xây dựng 2014 Art. 102 as amended), the catalog says `appraisal_supplement:
true` with its basis. That one request needs no override and its trip is not a repeat
visit; a document the counter could have seen missing still charges the clerk.
"""
from __future__ import annotations

from datetime import datetime

from .dossier import Actor, Dossier, GuidanceFailure, REPEAT_VISIT, Visit
from .errors import DomainError

NOT_PRESENTED = "Chưa nộp"


class SecondComebackRefused(DomainError):
    """A supplement request that would bring the citizen back a second time."""

    code = "repeat_visit_refused"
    status = 409


def record_visit(d: Dossier, at: datetime, kind: str, channel: str, actor: Actor) -> Visit:
    visit = Visit(at, kind, channel, actor.username)
    if visit.is_trip:
        d.visits += 1
        if kind == "supplement":
            d.supplement_trips += 1
    d.pending_visits.append(visit)
    return visit


def _absent(d: Dossier) -> list[str]:
    have = set(d.documents)
    return [doc.code for doc in d.procedure.documents if doc.code not in have]


def give(d: Dossier, stage: str, at: datetime, actor: Actor, listed: list[str],
         reasons: dict[str, str] | None = None) -> dict:
    """Record one guidance point: a notice listing `listed`, or the receipt (listing none)."""
    entry = {"n": len(d.guidance) + 1, "stage": stage, "at": at.isoformat(), "by": actor.username,
             "listed": list(listed), "absent": _absent(d),
             "reasons": {c: (reasons or {}).get(c) or NOT_PRESENTED for c in listed}}
    d.guidance.append(entry)
    return entry


APPRAISAL = "appraisal"


def appraisal_request_open(d: Dossier) -> bool:
    """The procedure allows one request during appraisal and it has not been used."""
    return d.procedure.appraisal_supplement and not any(
        g["stage"] == APPRAISAL for g in d.guidance)


def request_stage(d: Dossier) -> str:
    """The guidance stage a supplement request made now would have."""
    return APPRAISAL if appraisal_request_open(d) else "processing"


def supplement_kind(d: Dossier) -> str:
    """The kind of the visit that answers the latest notice: a trip answering the lawful
    appraisal request is not a supplement trip (not a repeat visit)."""
    notices = d.notices()
    return "appraisal_supplement" if notices and notices[-1]["stage"] == APPRAISAL else "supplement"


def check_request(d: Dossier, actor: Actor, missing: list[str], override_reason: str | None) -> bool:
    """Allow a supplement request during processing, or refuse it with 409.

    The first comeback is the citizen's right to be guided; once a notice has been given
    (at the counter or during processing), another request would bring them back a
    second time: only a supervisor of the step's agency may order it, with a written
    reason. Returns True when the request is such an override. The lawful appraisal
    request of a procedure that provides one is allowed once without override."""
    if not d.notices() or appraisal_request_open(d):
        return False
    step = d.current_step
    holder = step.agency if step is not None else d.receiving_agency  # the desk, online
    if actor.role == "supervisor" and actor.agency == holder and (override_reason or "").strip():
        return True
    raise SecondComebackRefused(
        f"dossier {d.code} already had {len(d.notices())} supplement notice(s): a new request would "
        f"bring the citizen back again; a supervisor of {holder} may override "
        f"with a written reason (override_reason)", field="override_reason")


def blame(d: Dossier, at: datetime, missing: list[str], override: bool) -> list[GuidanceFailure]:
    """Flag the dossier and record whose guidance left off a document it should have listed.

    A document on an earlier notice that the citizen did not bring is the citizen's
    doing, not a failure; one absent at an earlier guidance but not listed on it is."""
    failures = []
    for code in missing:
        for g in d.guidance:
            if code in g["absent"] and code not in g["listed"]:
                failures.append(GuidanceFailure(at, g["by"], code, g["stage"]))
                break
    if failures or override:
        d.flag(REPEAT_VISIT)
    d.pending_failures.extend(failures)
    return failures


def not_brought(d: Dossier) -> list[str]:
    """Items of the latest notice still missing: the citizen did not bring them."""
    notices = d.notices()
    if not notices:
        return []
    have = set(d.documents)
    return [c for c in notices[-1]["listed"] if c not in have]
