"""Who may see which dossier on the staff pages, and the shared helpers of the staff views.

What a person may *do* is the engine's `may_act` (PERMISSIONS in workflow.domain.lifecycle);
what a person may *see* is decided here: staff of the receiving agency, and staff of an
agency that holds a step of the dossier's procedure. Administrators manage accounts and
agencies, not dossiers.
"""
from __future__ import annotations

from flask import abort, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from workflow.domain.dossier import Actor, Dossier
from workflow.domain.errors import DomainError
from workflow.domain.lifecycle import DESK, RETURN, capacities, may_see
from workflow.services.dossiers import use_cases

DESK_ROLES = ("counter", "supervisor")
DOSSIER_ROLES = ("counter", "officer", "supervisor")


def ctx():
    return current_app.extensions["motcua"]


def today():
    return ctx().now().astimezone(ctx().calendar.tz).date()


def actor() -> Actor:
    return current_user.actor


def may_view(who: Actor, dossier: Dossier) -> bool:
    """The engine's rule (workflow.domain.lifecycle.may_see); the pages are for staff."""
    return who.role in DOSSIER_ROLES and may_see(who, dossier)


def at_desk(who: Actor, dossier: Dossier) -> bool:
    """Counter staff or supervisor of the receiving agency (bộ phận một cửa)."""
    return who.role in DESK_ROLES and DESK in capacities(who, dossier)


def at_return_point(who: Actor, dossier: Dossier) -> bool:
    """Counter staff or supervisor of the point where the result is collected: the
    receiving point unless another service point was named (issue 22); the engine's
    RETURN capacity, on which `may_act(actor, "return_result", dossier)` rests."""
    return who.role in DESK_ROLES and RETURN in capacities(who, dossier)


def load_visible(code: str, desk: bool = False, returning: bool = False):
    """(dossier, events) if the signed-in person may see it (at the receiving desk, or at
    the return point's desk, when asked), else 403, the same for a dossier that does not
    exist."""
    try:
        dossier, events = use_cases.get_visible(ctx(), actor(), code)
    except DomainError:
        abort(403)
    if not may_view(actor(), dossier) or (desk and not at_desk(actor(), dossier)) \
            or (returning and not at_return_point(actor(), dossier)):
        abort(403)
    return dossier, events


MESSAGES = {
    403: _l("Bạn không có quyền xem hoặc thực hiện thao tác này."),
    404: _l("Không tìm thấy nội dung yêu cầu."),
    409: _l("Thao tác không còn phù hợp với trạng thái hiện tại của hồ sơ."),
    412: _l("Hồ sơ vừa được người khác cập nhật; vui lòng tải lại trang."),
    422: _l("Dữ liệu chưa hợp lệ."),
}


def domain_error_page(exc: DomainError):
    """Engine refusals escaping a page view become a page, not the API's JSON."""
    message = MESSAGES.get(exc.status, _l("Không thực hiện được yêu cầu."))
    return render_template("error.html", code=exc.status, message=message,
                           detail=exc.message), exc.status
