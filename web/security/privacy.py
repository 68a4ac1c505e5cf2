"""Who sees a dossier's applicant numbers (số định danh cá nhân / CCCD, số điện thoại) in full.

Personal data is processed only as far as each task needs it (Decree 13/2023/NĐ-CP on
personal data protection, Art. 3). Full numbers go to the people who work the dossier
with the citizen: the receiving desk (counter staff and supervisors of the receiving
agency: identity check at intake and hand-over, phone calls) and officers of the agency
holding the current step. Everyone else who may read the dossier (staff of a step agency
it is not at, administrators) sees masked numbers; lists, dashboards and exports carry no
personal numbers at all.
"""
from __future__ import annotations

from workflow.domain.dossier import Actor, Dossier

SHOWN = 3  # trailing characters left readable


def mask(value: str | None) -> str | None:
    """'0912345678' -> '•••••••678' (the length is kept; no digit beyond the last three)."""
    if not value:
        return value
    keep = value[-SHOWN:] if len(value) > SHOWN * 2 else ""
    return "•" * (len(value) - len(keep)) + keep


def sees_full_numbers(who: Actor, dossier: Dossier) -> bool:
    if who.agency in (dossier.receiving_agency, dossier.return_point) \
            and who.role in ("counter", "supervisor"):  # who takes it in, who hands it back
        return True
    step = dossier.current_step if dossier.status in ("in_progress", "supplement_requested") else None
    return bool(step and who.role == "officer" and who.agency == step.agency)


def applicant_for(who: Actor, dossier: Dossier) -> dict:
    """The applicant as `who` may see it."""
    shown = dict(vars(dossier.applicant))
    if not sees_full_numbers(who, dossier):
        shown.update(id_number=mask(shown.get("id_number")), phone=mask(shown.get("phone")))
    return shown


def filer_for(who: Actor, dossier: Dossier) -> dict | None:
    """The person who filed on the applicant's behalf, masked alike."""
    if dossier.filer is None:
        return None
    shown = dict(vars(dossier.filer))
    if not sees_full_numbers(who, dossier):
        shown.update(id_number=mask(shown.get("id_number")), phone=mask(shown.get("phone")))
    return shown
