"""Staff login (đăng nhập) with Flask-Login: password check, lock-out after repeated
failures (per known browser and per account from unknown ones: workflow.services.accounts.sign_in,
web/staff/device_cookie.py), and the `staff_required` guard every staff page uses.

The session holds the user id plus a fingerprint of the password hash, so changing a
password (or deactivating the account) ends every open session of that person.
"""
from __future__ import annotations

import hashlib
from functools import wraps

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from workflow.adapters import users as user_store
from workflow.domain.dossier import Actor
from workflow.services.accounts import sign_in

from web.i18n import safe_next
from web.staff import device_cookie

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
login_manager.login_message_category = "info"
# where each role lands after signing in: the page that shows its work (a supervisor's is
# the agency's dashboard, web/supervisor)
HOME = {"counter": "counter.home", "officer": "officer.queue", "supervisor": "supervisor.home",
        "admin": "admin.users"}


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


class StaffUser(UserMixin):
    """The signed-in person; `actor` is what the use cases receive."""

    def __init__(self, row):
        self.id = row.id
        self.username = row.username
        self.full_name = row.full_name or row.username
        self.role = row.role
        self.agency = row.agency
        self._fp = _fingerprint(row.password_hash)

    def get_id(self) -> str:
        return f"{self.id}:{self._fp}"

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.role, self.agency)


@login_manager.user_loader
def load_user(session_id: str):
    user_id, _, fp = session_id.partition(":")
    if not user_id.isdigit():
        return None
    with current_app.extensions["motcua"].engine.connect() as conn:
        row = user_store.user_by_id(conn, int(user_id))
    if row is None or not row.active or _fingerprint(row.password_hash) != fp:
        return None
    return StaffUser(row)


def staff_required(*roles):
    """No session: to the login page. Signed in with another role: 403."""
    def wrap(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                if request.method != "GET":  # an action URL is no page to come back to
                    flash(str(login_manager.login_message), "info")
                    return redirect(url_for("auth.login"))
                return login_manager.unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return wrap


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=200)])


def _fresh_session() -> None:
    """Drop whatever the anonymous session held (keeping the language) before login."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login():
    form = LoginForm()
    target = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target or url_for(HOME[current_user.role]))
    status = 200
    if form.validate_on_submit():
        cfg = current_app.config
        username = form.username.data.strip()
        row, outcome = sign_in.attempt(
            current_app.extensions["motcua"], username, form.password.data,
            device_cookie.nonce_for(username),
            sign_in.Policy(cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_LOCK_MINUTES"]))
        if outcome == "ok":
            _fresh_session()
            session.permanent = True
            login_user(StaffUser(row))
            response = redirect(target or url_for(HOME[row.role]))
            device_cookie.remember(response, row.username)
            return response
        if outcome == "locked":
            status = 429
            flash(_("Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau "
                    "%(minutes)s phút hoặc liên hệ quản trị hệ thống.",
                    minutes=cfg["LOGIN_LOCK_MINUTES"]), "error")
        else:
            status = 401
            flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "error")
    elif request.method == "POST":
        status = 400
    return render_template("staff/login.html", form=form, next=target), status


@bp.route("/dang-xuat", methods=["GET", "POST"])
@staff_required()
def logout():
    """GET asks, POST signs out: a link on another site cannot sign anyone out."""
    if request.method == "GET":
        return render_template("staff/logout.html")
    logout_user()
    _fresh_session()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))
