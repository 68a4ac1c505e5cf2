"""Administration (quản trị): staff accounts (role, agency, active, password, lock-out) and
agencies. Only administrators reach these pages; they manage people, not dossiers."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from workflow.adapters import agencies as agency_store, login_throttle, users as user_store
from web.trail_export import csv_response
from workflow.domain.errors import DomainError, NotFound
from workflow.services.dossiers import audit_trail

from web.staff.access import ctx, domain_error_page
from web.staff.auth import staff_required

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")
bp.register_error_handler(DomainError, domain_error_page)


def _form(name: str) -> str | None:
    return (request.form.get(name) or "").strip() or None


def _refused(exc: DomainError) -> None:
    flash(_("Chưa lưu được (trường “%(field)s”): %(message)s", field=exc.field or "-",
            message=exc.message), "error")


@bp.get("/nguoi-dung")
@staff_required("admin")
def users():
    with ctx().engine.connect() as conn:
        rows = user_store.list_users(conn)
        agencies = agency_store.list_agencies(conn)
        locks = login_throttle.locked_accounts(conn, [r.username for r in rows], ctx().now(),
                                               current_app.config["LOGIN_MAX_FAILURES"])
    return render_template("staff/users.html", users=rows, agencies=agencies, locks=locks,
                           roles=user_store.ROLES, now=ctx().now())


@bp.post("/nguoi-dung")
@staff_required("admin")
def create_user():
    username, password = _form("username") or "", _form("password") or ""
    try:
        if len(password) < user_store.MIN_PASSWORD:
            raise DomainError(_("Mật khẩu cần ít nhất %(n)s ký tự.", n=user_store.MIN_PASSWORD),
                              field="password")
        with ctx().engine.begin() as conn:
            user_store.create_user(conn, username, _form("role") or "", _form("agency"), password,
                                   _form("full_name"))
    except DomainError as exc:
        _refused(exc)
    else:
        flash(_("Đã tạo tài khoản %(name)s.", name=username), "success")
    return redirect(url_for("admin.users"), 303)


@bp.post("/nguoi-dung/<int:user_id>")
@staff_required("admin")
def update_user(user_id):
    op = request.form.get("op", "update")
    try:
        with ctx().engine.begin() as conn:
            if user_store.user_by_id(conn, user_id) is None:
                abort(404)
            if op == "password":
                user_store.set_password(conn, user_id, request.form.get("password", ""))
            elif op == "unlock":
                user_store.unlock(conn, user_id)
            else:
                role, active = _form("role") or "", request.form.get("active") == "1"
                if user_id == current_user.id and (role != "admin" or not active):
                    raise DomainError(_("Không thể tự bỏ quyền quản trị của chính mình."),
                                      field="role")
                user_store.update_user(conn, user_id, role, _form("agency"), _form("full_name"), active)
    except DomainError as exc:
        _refused(exc)
    else:
        flash(_("Đã lưu thay đổi."), "success")
    return redirect(url_for("admin.users"), 303)


@bp.get("/co-quan")
@staff_required("admin")
def agencies():
    with ctx().engine.connect() as conn:
        rows = agency_store.list_agencies(conn)
    return render_template("staff/agencies.html", agencies=rows, levels=agency_store.LEVELS)


@bp.post("/co-quan")
@staff_required("admin")
def create_agency():
    try:
        with ctx().engine.begin() as conn:
            agency_store.create_agency(conn, _form("code") or "", _form("name") or "",
                                       _form("level"), _form("parent_code"))
    except DomainError as exc:
        _refused(exc)
    else:
        flash(_("Đã thêm cơ quan %(code)s.", code=_form("code")), "success")
    return redirect(url_for("admin.agencies"), 303)


@bp.post("/co-quan/<code>")
@staff_required("admin")
def update_agency(code):
    try:
        with ctx().engine.begin() as conn:
            agency_store.update_agency(conn, code, _form("name") or "", _form("level"),
                                       _form("parent_code"))
    except DomainError as exc:
        _refused(exc)
    else:
        flash(_("Đã lưu thay đổi."), "success")
    return redirect(url_for("admin.agencies"), 303)


@bp.get("/nhat-ky")
@staff_required("admin")
def trail_form():
    """Any dossier's full audit trail as CSV (nhật ký xử lý), by its code."""
    code = (request.args.get("ma") or "").strip()
    if not code:
        return render_template("staff/trail.html", code=None, problem=None)
    try:
        dossier, events = audit_trail.trail(ctx(), current_user.actor, code)
    except NotFound:
        return render_template("staff/trail.html", code=code,
                               problem=_("Không tìm thấy hồ sơ %(code)s.", code=code)), 404
    return csv_response(dossier.code, events, ctx().calendar.tz)
