"""The dossier page's section on paper originals (issue 22): the transfers between
agencies, a form to send them for staff of the agency holding them, and a "received"
button for staff of the destination. The rules are the engine's
(workflow.domain.originals); a refusal is flashed on the dossier page (303 back to it),
as for the actions and the fee."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from workflow.domain import originals as rules
from workflow.domain.errors import DomainError, Forbidden
from workflow.services.dossiers import originals
from workflow.services.dossiers.originals import transfers_of

from web.security import inputs
from web.staff.access import DOSSIER_ROLES, actor, ctx, domain_error_page, load_visible
from web.staff.auth import staff_required

bp = Blueprint("originals", __name__, url_prefix="/ho-so")
bp.register_error_handler(DomainError, domain_error_page)
ANCHOR = "h-originals"
MESSAGES = {"to": _l("chọn nơi nhận là một cơ quan liên quan đến hồ sơ."),
            "documents": _l("chọn ít nhất một giấy tờ đã nộp cùng hồ sơ."),
            "note": _l("ghi chú chưa đúng (một đoạn, tối đa 500 ký tự).")}


def section(conn, dossier) -> dict:
    """What the dossier page shows: the transfers (newest first), the holder, where the
    originals may go, and what this person may do."""
    who = actor()
    found = transfers_of(conn, dossier)
    return dict(transfers=[(t, rules.may_receive(who, t)) for t in reversed(found)],
                holder=rules.holder(dossier, found),
                destinations=rules.destinations(dossier, found),
                may_send=rules.may_send(who, dossier, found),
                open=dossier.boundary_free or bool(found))


@bp.post("/<code>/ban-goc")
@staff_required(*DOSSIER_ROLES)
def send(code):
    load_visible(code)
    form = request.form
    back = url_for("dossier.show", code=code, _anchor=ANCHOR)
    try:
        note = inputs.text((form.get("note") or "").strip()[:rules.NOTE_MAX], "note") or None
        originals.send(ctx(), actor(), code, (form.get("to") or "").strip(),
                       [c for c in form.getlist("documents") if c], note)
    except Forbidden:
        abort(403)
    except DomainError as exc:
        flash(_("Chưa chuyển được hồ sơ giấy gốc: %(message)s", message=MESSAGES.get(exc.field, exc.message)),
              "error")
        return redirect(back, 303)
    flash(_("Đã ghi nhận chuyển hồ sơ giấy gốc."), "success")
    return redirect(back, 303)


@bp.post("/<code>/ban-goc/<int:transfer_id>/da-nhan")
@staff_required(*DOSSIER_ROLES)
def received(code, transfer_id):
    load_visible(code)
    back = url_for("dossier.show", code=code, _anchor=ANCHOR)
    try:
        originals.receive(ctx(), actor(), code, transfer_id)
    except Forbidden:
        abort(403)
    except DomainError as exc:
        flash(_("Chưa ghi nhận được: %(message)s", message=exc.message), "error")
        return redirect(back, 303)
    flash(_("Đã ghi nhận đã nhận hồ sơ giấy gốc."), "success")
    return redirect(back, 303)

