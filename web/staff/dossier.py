"""The dossier page (hồ sơ): documents against the checklist with their files (số hóa), a
timeline of every event, and exactly the actions this person may take now, each a small
form posting to /ho-so/<code>/<action>. Actions go through the same use case as the REST
API; the form carries the version read, so a stale page cannot overwrite a newer change."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from pydantic import ValidationError

from web.api.schemas import ACTION_BODIES
from web.trail_export import csv_response
from workflow.adapters.agencies import agency_names
from workflow.adapters.users import display_names
from workflow.domain.errors import (ActionNotAllowed, Conflict, DomainError, Forbidden,
                                    StaleVersion)
from workflow.domain.lifecycle import ACTIONS, lifecycle_for, may_act
from workflow.domain.rules import applicable_forms, regime_of
from workflow.services.dossiers import audit_trail
from workflow.services.dossiers import use_cases
from workflow.services.files.attachments import files_of
from workflow.services.fees import payments as fee_payments
from workflow.domain.fees import vnd

from web.i18n import ACTION, safe_next
from web.security.privacy import applicant_for, filer_for
from web.security import inputs
from web.staff.access import DESK_ROLES, DOSSIER_ROLES, actor, at_desk, ctx, domain_error_page, load_visible
from web.staff.auth import staff_required
from web.staff.counter import DESK_FORMS, FORM_ENDPOINTS
from web.staff.dossier_files import panel, size_text
from web.staff import originals as originals_section

bp = Blueprint("dossier", __name__, url_prefix="/ho-so")
bp.register_error_handler(DomainError, domain_error_page)
FIELDS = {  # action -> form fields read (lists end in [])
    "supplement": ("documents[]", "channel", "note"),
    "request_supplement": ("missing[]", "reason", "override_reason"),
    "forward": ("note",), "complete": ("note",), "return_result": ("note", "by", "tracking_number"),
    "send_back": ("note", "to_step"), "reject": ("reason",), "withdraw": ("reason",),
    "postpone": ("reason", "new_due_at"),
}
FIELD_LABELS = {"documents": _l("Giấy tờ bổ sung"), "missing": _l("Giấy tờ cần bổ sung"),
                "reason": _l("Lý do"), "note": _l("Ghi chú"), "to_step": _l("Bước trả lại"),
                "channel": _l("Hình thức"), "override_reason": _l("Lý do yêu cầu thêm lần nữa"),
                "new_due_at": _l("Ngày hẹn trả mới"), "tracking_number": _l("Mã vận đơn"),
                "by": _l("Hình thức trả kết quả")}


def allowed_now(dossier) -> list[str]:
    who = actor()
    return [a for a in lifecycle_for(dossier.procedure).allowed_actions(dossier)
            if may_act(who, a, dossier)]


@bp.get("/<code>")
@staff_required(*DOSSIER_ROLES)
def show(code):
    return render_page(code)


def render_page(code: str, status: int = 200):
    """The dossier page; with a 4xx `status` when it answers a refused form (the reason
    flashed on it), as web/staff/digitisation.py does for an upload."""
    dossier, events = load_visible(code)
    with ctx().engine.connect() as conn:
        files = files_of(conn, dossier.id, dossier.code)
        fee = fee_payments.statement_of(conn, dossier)
        names = display_names(conn, {e.actor for e in events} | {f.uploaded_by for f in files})
        agencies = agency_names(conn)
        originals = originals_section.section(conn, dossier)
    p = dossier.procedure
    step_index = dossier.step_index if dossier.step_index is not None else -1
    missing = [m["code"] if isinstance(m, dict) else m for m in dossier.missing_documents or []]
    return render_template(
        "staff/dossier.html", d=dossier, events=list(reversed(events)), names=names,
        docs={doc.code: doc for doc in p.documents}, steps={s.code: s for s in p.steps},
        missing_codes=missing,
        agencies=agencies, actions=allowed_now(dossier), desk=at_desk(actor(), dossier),
        earlier_steps=p.steps[:max(step_index, 0)],
        next_step=p.steps[step_index + 1] if step_index + 1 < len(p.steps) else None,
        asked_before=bool(dossier.notices()),
        overdue=dossier.is_overdue(ctx().now()), now=ctx().now(),
        forms=[(f, FORM_ENDPOINTS[f.key]) for f in applicable_forms(dossier, ctx().calendar.tz)
               if at_desk(actor(), dossier) or f.key not in DESK_FORMS],
        regime=regime_of(dossier, ctx().calendar.tz),
        applicant=applicant_for(actor(), dossier),  # numbers masked unless needed (web/security/privacy.py)
        filer=filer_for(actor(), dossier),
        files=panel(dossier, files, actor()), size_text=size_text,
        fee=fee, methods=PAYMENT_METHODS, exemptions=p.fee.exemptions, originals=originals), status


PAYMENT_METHODS = {"cash": _l("Tiền mặt"), "transfer": _l("Chuyển khoản"), "online": _l("Trực tuyến")}


@bp.post("/<code>/le-phi")
@staff_required(*DESK_ROLES)
def fee(code):
    """The desk records a payment, a refund or an exemption (issue 21); a refusal is
    flashed on the dossier page (303 back to it), as for the actions."""
    load_visible(code, desk=True)
    form = request.form
    op = form.get("op")
    back = url_for("dossier.show", code=code, _anchor="h-fees")
    raw = (form.get("amount") or "").strip()
    try:
        if op == "exempt":
            fee_payments.exempt(ctx(), actor(), code, (form.get("exemption") or "").strip(),
                                (form.get("ground") or "").strip() or None)
            flash(_("Đã ghi nhận miễn lệ phí cho hồ sơ %(code)s.", code=code), "success")
            return redirect(back, 303)
        if op not in ("pay", "refund"):
            abort(400)
        if not raw.isdigit() or len(raw) > 13:
            flash(_("Số tiền phải là số nguyên dương, tính bằng đồng."), "error")
            return redirect(back, 303)
        amount = int(raw) if op == "pay" else -int(raw)
        reference = inputs.text((form.get("reference") or "").strip(), "reference") or None
        reason = inputs.text((form.get("reason") or "").strip(), "reason") or None
        pay, _replayed = fee_payments.pay(ctx(), actor(), code, amount, form.get("method") or "",
                                          reference, reason)
    except Forbidden:
        abort(403)
    except DomainError as exc:
        flash(_("Chưa thực hiện được: %(message)s", message=exc.message), "error")
        return redirect(back, 303)
    flash(_("Đã ghi nhận khoản %(amount)s đồng, biên lai %(receipt)s.", amount=vnd(pay.amount),
            receipt=pay.receipt_no), "success")
    return redirect(back, 303)


def payload_from(action: str, form) -> dict:
    data = {}
    for name in FIELDS.get(action, ("note", "reason")):
        if name.endswith("[]"):
            data[name[:-2]] = [v for v in form.getlist(name[:-2]) if v]
        elif (form.get(name) or "").strip():
            data[name] = form[name].strip()
    body = ACTION_BODIES.get(action)
    return body.model_validate(data).model_dump(exclude_none=True) if body else data


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    return _("Vui lòng kiểm tra trường “%(field)s”.", field=FIELD_LABELS.get(field, field))


@bp.post("/<code>/<action>")
@staff_required(*DOSSIER_ROLES)
def act(code, action):
    if action not in ACTIONS:
        abort(404)
    load_visible(code)
    back = url_for("dossier.show", code=code)
    target = safe_next(request.form.get("next")) or back
    try:
        payload = payload_from(action, request.form)
        version = request.form.get("version", type=int)
        dossier = use_cases.act(ctx(), actor(), code, action, payload, version)
    except ValidationError as exc:
        flash(_problem(exc), "error")
        return redirect(back, 303)
    except Forbidden:
        abort(403)
    except (StaleVersion, Conflict):
        flash(_("Hồ sơ vừa được người khác cập nhật. Trang đã được tải lại, vui lòng kiểm tra "
                "trước khi thao tác."), "warning")
        return redirect(back, 303)
    except ActionNotAllowed:
        flash(_("Thao tác “%(action)s” không còn phù hợp với trạng thái hiện tại của hồ sơ.",
                action=ACTION.get(action, action)), "warning")
        return redirect(back, 303)
    except DomainError as exc:
        if exc.code == "repeat_visit_refused":
            flash(_("Hồ sơ đã có phiếu hướng dẫn bổ sung: yêu cầu thêm sẽ buộc người dân đi lại "
                    "lần nữa. Chỉ lãnh đạo đơn vị đang xử lý được yêu cầu, kèm lý do."), "error")
        elif exc.field == "tracking_number":
            flash(_("Trả kết quả qua bưu điện cần mã vận đơn do bưu điện cấp; trả tại quầy thì "
                    "không ghi mã vận đơn."), "error")
        elif exc.code == "postponement_refused":
            flash(_("Không hẹn lại được: chỉ được hẹn lại một lần, và phải báo trước ít nhất một "
                    "ngày làm việc so với ngày hẹn (%(detail)s).", detail=exc.message), "error")
        else:
            flash(_("Chưa thực hiện được: %(message)s", message=exc.message), "error")
        return redirect(back, 303)
    flash(_("Đã thực hiện “%(action)s” cho hồ sơ %(code)s.", action=ACTION.get(action, action),
            code=dossier.code), "success")
    return redirect(target, 303)


@bp.get("/<code>/nhat-ky.csv")
@staff_required("supervisor")
def trail(code):
    """The full audit trail as CSV, for a supervisor of an agency involved."""
    dossier, events = audit_trail.trail(ctx(), actor(), code)
    return csv_response(dossier.code, events, ctx().calendar.tz)
