"""The citizen's choices about the result and who files (issue 21, items 3 and 4): the
result back at the counter or by the public postal service, a filer on the applicant's
behalf with the authorisation, and whom the notices go to. Checked at intake and at the
hand-over by the lifecycle (workflow.domain.lifecycle)."""
from __future__ import annotations

from .dossier import (AUTHORISATION_CODES, NOTIFY_CHOICES, NOTIFY_FILER, RETURN_AT_COUNTER,
                      RETURN_BY_POST, RETURN_CHANNELS, Dossier, Filer)
from .errors import InvalidInput
from .procedure import Procedure


def check_return_and_filer(procedure: Procedure, documents: list[str], return_by: str,
                           return_address: str | None, filer: Filer | None,
                           notify: tuple[str, ...], authorisation_exempt: str | None) -> None:
    """The citizen's choices at intake (issue 21, items 3 and 4):
    - the result back at the counter or by the public postal service (Decision
      45/2016/QĐ-TTg Art. 5): by post needs the address to send it to;
    - a filer on the applicant's behalf (người nộp thay) presents the authorisation
      (văn bản ủy quyền) where the procedure's checklist lists one (code UQ), unless the
      clerk records why none is needed (e.g. 1.001193's note: not for a parent, child,
      spouse or sibling). The rule that the filer must present it is the procedure's own
      published text ("nếu nộp thay"); no general article requiring it was read (unconfirmed);
    - the notices go to the applicant, the filer, or both (at least one)."""
    if return_by not in RETURN_CHANNELS:
        raise InvalidInput(f"return_by must be one of {', '.join(RETURN_CHANNELS)}", field="return_by")
    if return_by == RETURN_BY_POST and not (return_address or "").strip():
        raise InvalidInput("the postal address is required to return the result by post",
                           field="return_address")
    if return_by == RETURN_AT_COUNTER and return_address:
        raise InvalidInput("a postal address is given only when the result is returned by post",
                           field="return_address")
    if not notify or len(set(notify)) != len(notify) or any(n not in NOTIFY_CHOICES for n in notify):
        raise InvalidInput(f"notify lists one or both of {', '.join(NOTIFY_CHOICES)}", field="notify")
    if NOTIFY_FILER in notify and filer is None:
        raise InvalidInput("notices can go to the filer only when a filer is recorded", field="notify")
    if filer is None:
        if authorisation_exempt:
            raise InvalidInput("authorisation_exempt applies only to a filer", field="authorisation_exempt")
        return
    if not filer.name.strip():
        raise InvalidInput("the filer's name is required", field="filer.name")
    needed = [d for d in procedure.documents if d.code in AUTHORISATION_CODES]
    if needed and not authorisation_exempt and not any(d.code in documents for d in needed):
        doc = needed[0]
        raise InvalidInput(f"a filer on the applicant's behalf presents the authorisation: {doc.name} "
                           f"({doc.code}); or say why none is needed (authorisation_exempt)",
                           field="documents", authorisation=doc.code)


def check_return(dossier: Dossier, payload: dict) -> None:
    """Return the result as chosen at intake, unless the hand-over says otherwise (`by`):
    by post it is handed to the public postal service with its tracking number (mã vận
    đơn); a citizen who chose the post may still collect it at the counter."""
    by = payload.get("by") or dossier.return_by
    if by not in RETURN_CHANNELS:
        raise InvalidInput(f"by must be one of {', '.join(RETURN_CHANNELS)}", field="by")
    tracking = str(payload.get("tracking_number") or "").strip()
    if by == RETURN_BY_POST:
        if not dossier.return_address:
            raise InvalidInput("no postal address was given at intake: the result is returned at "
                               "the counter", field="by")
        if not tracking:
            raise InvalidInput("the post office's tracking number is required to record the "
                               "hand-over to the post", field="tracking_number")
    elif tracking:
        raise InvalidInput("a tracking number is recorded only for a return by post",
                           field="tracking_number")
    payload["by"] = by
