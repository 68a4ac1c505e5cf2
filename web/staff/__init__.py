"""Staff pages (cán bộ, công chức): login, the counter, the work queue, the dossier page and
administration. Sessions come from Flask-Login; every form carries a CSRF token
(Flask-WTF), except the bearer-token REST API which has no cookies to steal."""
from __future__ import annotations

from flask import request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from web.staff import admin, auth, counter, digitisation, dossier, mailbox, officer, originals

csrf = CSRFProtect()


def init_app(app) -> None:
    # CSRF on every form: all unsafe requests outside /api/ (which uses bearer tokens,
    # never cookies), whichever blueprint serves them
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def csrf_on_pages():
        if app.config.get("WTF_CSRF_ENABLED", True) and not request.path.startswith("/api/") \
                and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            csrf.protect()

    auth.login_manager.init_app(app)
    for module in (auth, counter, officer, dossier, digitisation, originals, admin):
        app.register_blueprint(module.bp)
    if app.config.get("MAILBOX_DIR"):  # development only: production has no such page
        app.register_blueprint(mailbox.bp)

    @app.after_request
    def page_headers(resp):
        if request.path.startswith("/api/"):
            return resp
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("CONTENT_SECURITY_POLICY"):
            resp.headers.setdefault("Content-Security-Policy", app.config["CONTENT_SECURITY_POLICY"])
        if current_user and current_user.is_authenticated:
            resp.headers["Cache-Control"] = "no-store"  # pages with personal data
        return resp
