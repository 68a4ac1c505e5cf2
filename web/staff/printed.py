"""The two slips the counter prints (Circular 01/2018/TT-VPCP): form 01, the receipt and
appointment (giấy tiếp nhận hồ sơ và hẹn trả kết quả), and form 02, the one-time request
to supplement (phiếu yêu cầu bổ sung, hoàn thiện hồ sơ).

Each is built once as a plain dict that both the print page and the PDF render, so the
two can never disagree. The slips are official Vietnamese forms whatever the page
language is.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg

from workflow.domain.dossier import Dossier, Event

GENERIC_REASON = "Chưa có trong hồ sơ nộp; là thành phần hồ sơ bắt buộc của thủ tục."


def status_url(base: str, code: str) -> str:
    """The public status page a citizen reaches from the receipt's QR code."""
    return f"{base.rstrip('/')}/tra-cuu?{urlencode({'ma': code})}"


def qr_svg(data: str) -> str:
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return img.to_string(encoding="unicode")


def qr_matrix(data: str) -> list[list[bool]]:
    q = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    q.add_data(data)
    q.make(fit=True)
    return q.get_matrix()


def _specs(dossier: Dossier) -> dict:
    return {d.code: d for d in dossier.procedure.documents}


def _form_of(spec) -> str:
    if spec.present_only:
        return "Bản chính (xuất trình)"
    return "Bản chính" if spec.original else "Bản sao"


def _common(dossier: Dossier, agencies: dict) -> dict:
    p = dossier.procedure
    return dict(code=dossier.code, agency=agencies.get(p.agency, p.agency), agency_code=p.agency,
                applicant=dossier.applicant, procedure=p, channel=dossier.channel)


def receipt(dossier: Dossier, events: list[Event], names: dict, agencies: dict, base_url: str) -> dict:
    """Form 01: what was received, when, by whom, and when to come back."""
    specs = _specs(dossier)
    taken = next((e for e in reversed(events) if e.to_state == "received"), None)
    url = status_url(base_url, dossier.code)
    documents = [dict(name=specs[c].name, form=_form_of(specs[c]), copies=specs[c].copies)
                 for c in dossier.documents if c in specs]
    return dict(_common(dossier, agencies), documents=documents, received_at=dossier.received_at,
                appointment_at=dossier.appointment_at,
                processing_days=dossier.procedure.processing_days,
                clerk=names.get(taken.actor, taken.actor) if taken else "",
                status_url=url, qr_svg=qr_svg(url), qr_url=url)


def _latest_notice(dossier: Dossier, events: list[Event]) -> dict | None:
    """The latest guidance notice as {at, by, stage, items: [(code, reason)]}: from the
    dossier's guidance record, or (dossiers from before that record) from the last event
    that listed missing documents."""
    notices = dossier.notices()
    if notices:
        g = notices[-1]
        reasons = g.get("reasons") or {}
        at = g["at"]
        return dict(at=datetime.fromisoformat(at) if isinstance(at, str) else at, by=g["by"],
                    stage=g["stage"], items=[(c, reasons.get(c)) for c in g["listed"]])
    issued = next((e for e in reversed(events) if e.data.get("missing")), None)
    if issued is None:
        return None
    reason = issued.note if issued.action == "request_supplement" else None
    return dict(at=issued.at, by=issued.actor,
                stage="processing" if issued.action == "request_supplement" else "intake",
                items=[(c, reason) for c in issued.data["missing"]])


def notice(dossier: Dossier, events: list[Event], names: dict, agencies: dict) -> dict | None:
    """Form 02: EVERY missing document at once, each with its reason and legal basis.
    None when no notice was ever issued for this dossier."""
    latest = _latest_notice(dossier, events)
    if latest is None or not latest["items"]:
        return None
    p = dossier.procedure
    specs = _specs(dossier)
    default_basis = f"Thành phần hồ sơ của thủ tục {p.code} đã công bố" + \
        (f"; {p.legal_basis[0]}" if p.legal_basis else "")
    items = []
    for code, reason in latest["items"]:
        spec = specs.get(code)
        basis = getattr(spec, "legal_basis", None) or default_basis
        if isinstance(basis, (list, tuple)):
            basis = "; ".join(basis)
        if not reason or reason == "Chưa nộp":
            reason = GENERIC_REASON
        items.append(dict(code=code, name=spec.name if spec else code,
                          form=f"{_form_of(spec)}, {spec.copies} bản" if spec else "",
                          reason=reason, legal_basis=basis))
    return dict(_common(dossier, agencies), items=items, issued_at=latest["at"],
                clerk=names.get(latest["by"], latest["by"]), clerk_username=latest["by"],
                stage=latest["stage"])


def apology(dossier: Dossier, events: list[Event], names: dict, agencies: dict) -> dict | None:
    """Form 04: phiếu xin lỗi và hẹn lại ngày trả kết quả (Decree 61/2018/NĐ-CP Art. 19).

    Signed by the agency that will be late (the holder of the step when the date was
    moved). None when the appointment was never moved."""
    if dossier.postponed_to is None:
        return None
    moved = next((e for e in reversed(events) if e.action == "postpone"), None)
    steps = {s.code: s for s in dossier.procedure.steps}
    step = steps.get(moved.step) if moved and moved.step else None
    late_agency = step.agency if step else dossier.procedure.agency
    return dict(_common(dossier, agencies), received_at=dossier.received_at,
                appointment_at=dossier.appointment_at, postponed_to=dossier.postponed_to,
                reason=dossier.postponed_reason or "", issued_at=moved.at if moved else dossier.postponed_to,
                late_agency=agencies.get(late_agency, late_agency),
                officer=names.get(moved.actor, moved.actor) if moved else "")
