"""The printed forms of a dossier, numbered and titled by the rules it follows
(workflow.domain.rules): the receipt and appointment (01), the one-time request to
supplement (02), the refusal (03), the apology (04), the notice of stopping (05 of
Circular 03/2025/TT-VPCP) and the process control sheet (06 of Circular 03/2025,
05 of Circular 01/2018).

Each is built once as a plain dict that both the print page and the PDF render, so the
two can never disagree. The slips are official Vietnamese forms whatever the page
language is; each carries its form number, title and source from the dossier's regime.
"""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg

from workflow.domain.fees import vnd
from workflow.domain.appointment import time_text
from workflow.domain.dossier import Dossier, Event
from workflow.domain.evaluation import step_times
from workflow.domain.rules import regime_of

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


def _common(dossier: Dossier, agencies: dict, key: str, tz) -> dict:
    """What every form shows: the dossier, the applicant, and the form's number, title
    and source in the regime the dossier follows."""
    p = dossier.procedure
    regime = regime_of(dossier, tz)
    form = regime.form(key)
    return dict(code=dossier.code, agency=agencies.get(p.agency, p.agency), agency_code=p.agency,
                applicant=dossier.applicant, procedure=p, channel=dossier.channel,
                case=p.case_named(p.case) if p.case else None,
                form=dict(key=key, number=form.number, title=form.title, label=form.label(regime)),
                citation=regime.citation, regime=regime.key)


def receipt(dossier: Dossier, events: list[Event], names: dict, agencies: dict, base_url: str,
            tz) -> dict:
    """Form 01: what was received, when, by whom, and when to come back."""
    specs = _specs(dossier)
    taken = next((e for e in reversed(events) if e.to_state == "received"), None)
    url = status_url(base_url, dossier.code)
    documents = [dict(name=specs[c].name, form=_form_of(specs[c]), copies=specs[c].copies)
                 for c in dossier.documents if c in specs]
    return dict(_common(dossier, agencies, "receipt", tz), **_desk_agency(dossier, agencies),
                documents=documents,
                received_at=dossier.received_at, appointment_at=dossier.appointment_at,
                processing_days=dossier.procedure.processing_days,
                time_text=time_text(dossier.procedure),
                clerk=names.get(taken.actor, taken.actor) if taken else "",
                status_url=url, qr_svg=qr_svg(url), qr_url=url, fee_text=fee_text(dossier, events),
                return_line=return_line(dossier, agencies), filer=dossier.filer,
                competent_text=competent_text(dossier, agencies),
                signer=(dossier.filer or dossier.applicant).name)


PAID_AT_TEXT = {"intake": "nộp khi tiếp nhận hồ sơ", "return": "nộp khi nhận kết quả"}


def fee_text(dossier: Dossier, events: list[Event]) -> str | None:
    """The fee line of the receipt (issue 21). Form 01 has no item for the fee, so it is
    printed as a line of free text after item 6, as the amount due at intake and the
    exemption the clerk recorded (its event in the trail); None when nothing is charged."""
    fee = dossier.procedure.fee
    if fee.amount <= 0:
        return None
    exemption = next((e for e in events if e.action == "fee_exemption"), None)
    if exemption is not None:
        return (f"Lệ phí/phí: {vnd(fee.amount)} đồng, được miễn "
                f"({exemption.data.get('exemption')}: {exemption.note})")
    when = PAID_AT_TEXT.get(fee.paid_at)
    return f"Lệ phí/phí: {vnd(fee.amount)} đồng" + (f" ({when})" if when else "")


def return_line(dossier: Dossier, agencies: dict) -> str:
    """Item 6 of form 01, "Đăng ký nhận kết quả tại: ...": the receiving agency's counter,
    or the public postal service to the address given (Decision 45/2016/QĐ-TTg). The form's
    item is a free line; how a province words the postal choice on it was not read
    (unconfirmed), so the wording here is ours."""
    if dossier.by_post:
        return f"dịch vụ bưu chính công ích, gửi đến địa chỉ: {dossier.return_address}"
    # the service point where it is collected: the receiving point unless another was
    # named (reception regardless of administrative boundaries, issue 22)
    point = dossier.return_point or dossier.receiving_agency
    return agencies.get(point, point)


def _desk_agency(dossier: Dossier, agencies: dict) -> dict:
    """The one-stop unit that took the dossier in fills the receipt's blank "Bộ phận tiếp
    nhận và trả kết quả": the receiving point, which is the competent unit's own desk
    except for a dossier received regardless of administrative boundaries."""
    code = dossier.receiving_agency
    return dict(agency=agencies.get(code, code), agency_code=code)


def competent_text(dossier: Dossier, agencies: dict) -> str | None:
    """When a service point received the dossier for another unit (issue 22), the unit
    competent to settle it. Form 01 has no item for it, so, like the fee, it is a line of
    free text after item 6; the circular's own items are left as they are. None when the
    receiving point is that unit."""
    if not dossier.boundary_free:
        return None
    unit = dossier.competent_unit
    return f"Cơ quan có thẩm quyền giải quyết: {agencies.get(unit, unit)}"


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


def notice(dossier: Dossier, events: list[Event], names: dict, agencies: dict, tz) -> dict | None:
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
    return dict(_common(dossier, agencies, "supplement", tz), **_desk_agency(dossier, agencies),
                items=items, issued_at=latest["at"],
                clerk=names.get(latest["by"], latest["by"]), clerk_username=latest["by"],
                stage=latest["stage"])


def apology(dossier: Dossier, events: list[Event], names: dict, agencies: dict, tz) -> dict | None:
    """Form 04: phiếu xin lỗi và hẹn lại ngày trả kết quả (Circular 01/2018); from 1 July
    2025 văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (Circular 03/2025).

    Signed by the agency that will be late (the holder of the step when the date was
    moved). None when the appointment was never moved."""
    if dossier.postponed_to is None:
        return None
    moved = _last(events, "postpone")
    late_agency = _acting_agency(dossier, moved)
    return dict(_common(dossier, agencies, "apology", tz), basis=regime_of(dossier, tz).apology_article,
                received_at=dossier.received_at,
                appointment_at=dossier.appointment_at, postponed_to=dossier.postponed_to,
                reason=dossier.postponed_reason or "", issued_at=moved.at if moved else dossier.postponed_to,
                late_agency=agencies.get(late_agency, late_agency),
                officer=names.get(moved.actor, moved.actor) if moved else "")


def _last(events: list[Event], action: str) -> Event | None:
    return next((e for e in reversed(events) if e.action == action), None)


def _acting_agency(dossier: Dossier, event: Event | None) -> str:
    """The agency that acted: the step's agency when a step was held, else the desk's."""
    steps = {s.code: s for s in dossier.procedure.steps}
    step = steps.get(event.step) if event is not None and event.step else None
    return step.agency if step and (event.from_state or "").partition("@")[2] else dossier.procedure.agency


def refusal(dossier: Dossier, events: list[Event], names: dict, agencies: dict, tz) -> dict | None:
    """Form 03: phiếu từ chối tiếp nhận giải quyết hồ sơ, with the reasons and the legal
    basis. None unless the dossier was rejected."""
    if dossier.status != "rejected":
        return None
    e = _last(events, "reject")
    holder = _acting_agency(dossier, e)
    p = dossier.procedure
    regime = regime_of(dossier, tz)
    basis = [*p.legal_basis, regime.refusal_article] if p.legal_basis else [regime.refusal_article]
    return dict(_common(dossier, agencies, "refusal", tz), received_at=dossier.received_at or dossier.created_at,
                issued_at=e.at if e else dossier.closed_at, reason=(e.note if e else None) or "",
                legal_basis=basis, refusing_agency=agencies.get(holder, holder),
                officer=names.get(e.actor, e.actor) if e else "")


def stop_notice(dossier: Dossier, events: list[Event], names: dict, agencies: dict, tz) -> dict | None:
    """Form 05 of Circular 03/2025: thông báo dừng giải quyết hồ sơ, for a dossier whose
    settlement stopped at the applicant's request (withdrawn). None otherwise, and for
    dossiers under Circular 01/2018, which has no such form."""
    if dossier.status != "withdrawn" or regime_of(dossier, tz).form("stop") is None:
        return None
    e = _last(events, "withdraw")
    return dict(_common(dossier, agencies, "stop", tz), received_at=dossier.received_at or dossier.created_at,
                issued_at=e.at if e else dossier.closed_at, reason=(e.note if e else None) or "",
                officer=names.get(e.actor, e.actor) if e else "")


ACTION_LABELS = {
    "receive": "Tiếp nhận hồ sơ", "forward": "Chuyển xử lý", "send_back": "Trả lại bước trước",
    "complete": "Có kết quả, chuyển Bộ phận Một cửa", "return_result": "Trả kết quả",
    "reject": "Từ chối giải quyết", "withdraw": "Dừng giải quyết (rút hồ sơ)",
    "request_supplement": "Yêu cầu bổ sung, hoàn thiện", "supplement": "Nhận hồ sơ bổ sung",
    "postpone": "Xin lỗi, hẹn lại ngày trả kết quả"}
HANDOFFS = tuple(a for a in ACTION_LABELS if a != "receive")


def control_sheet(dossier: Dossier, events: list[Event], names: dict, agencies: dict, calendar) -> dict | None:
    """The process control sheet (phiếu kiểm soát quá trình giải quyết hồ sơ): every
    hand-off of the dossier after its receipt, who gave it, who took it, when, and
    whether the step handed on was within its time (replayed from the history with the
    step clocks, workflow.domain.evaluation.step_times). None before receipt."""
    if dossier.received_at is None:
        return None
    tz = calendar.tz
    p = dossier.procedure
    steps = {s.code: s for s in p.steps}
    late_by_seq = {v["ended_seq"]: v["late"] for v in step_times(dossier, events, calendar)}
    rows, seen_receipt = [], False
    for e in events:
        if e.to_state == "received" and not seen_receipt:
            seen_receipt = True
            rows.append(dict(at=e.at, giver=dossier.applicant.name, receiver=agencies.get(p.agency, p.agency),
                             person=names.get(e.actor, e.actor), action="receive", step=None, late=None,
                             note=None, action_label=ACTION_LABELS["receive"]))
            continue
        if not seen_receipt or e.action not in HANDOFFS:
            continue
        src, dst = (e.from_state or "").partition("@"), e.to_state.partition("@")
        # the step's agency hands on; a supplement comes in through the one-stop unit
        giver = steps[src[2]].agency if src[2] in steps and e.action != "supplement" else p.agency
        # the step's agency; back to the one-stop unit for a result, a supplement, a refusal
        taker = steps[dst[2]].agency if dst[2] in steps and dst[0] == "in_progress" else (
            p.agency if dst[0] in ("result_ready", "supplement_requested", "rejected", "withdrawn") else None)
        rows.append(dict(at=e.at, giver=agencies.get(giver, giver),
                         receiver=agencies.get(taker, taker) if taker else (
                             dossier.applicant.name if dst[0] == "returned" else ""),
                         person=names.get(e.actor, e.actor), action=e.action, step=src[2] or None,
                         late=late_by_seq.get(e.seq), note=e.note, action_label=ACTION_LABELS[e.action]))
    return dict(_common(dossier, agencies, "control", tz), received_at=dossier.received_at,
                appointment_at=dossier.appointment_at, postponed_to=dossier.postponed_to, rows=rows)
