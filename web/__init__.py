"""The Flask adapter: `create_app()` wires settings, the use-case context, the API
blueprint, JSON errors and the command line (`flask --app web ...`)."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException, InternalServerError

from config import get_config
from workflow.bootstrap import build_context
from workflow.domain.errors import DomainError

from web.errors.pages import html_error

log = logging.getLogger("motcua.web")


class PageSessions(SecureCookieSessionInterface):
    """The signed-cookie session (phiên đăng nhập), for pages only: the API authenticates
    each request by its bearer token and keeps no session, so its requests skip reading and
    verifying the cookie (a null session: reading gives nothing, writing is refused)."""

    def open_session(self, app, request):
        if request.path.startswith("/api/"):
            return self.make_null_session(app)
        return super().open_session(app, request)


def create_app(config_name: str | None = None, overrides: dict | None = None, context=None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.session_interface = PageSessions()
    config = get_config(config_name)
    if hasattr(config, "check") and not (overrides or {}).get("SKIP_CONFIG_CHECK"):
        config.check()
    app.config.from_object(config)
    app.config.update(overrides or {})
    app.config["MAX_CONTENT_LENGTH"] = app.config["JSON_MAX_BYTES"]
    if app.config.get("PROXY_COUNT"):  # trust exactly that many X-Forwarded-* hops, no more
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.json.ensure_ascii = False
    app.extensions["motcua"] = context or build_context(app.config)

    from web.api.followup import bp as api_followup_bp
    from web.api.views import bp as api_bp
    from web.citizen.catalog import bp as pages_bp
    app.register_blueprint(api_bp)
    app.register_blueprint(api_followup_bp)
    from web.citizen.selfcheck import bp as selfcheck_bp
    app.register_blueprint(selfcheck_bp)
    app.register_blueprint(pages_bp)
    _register_errors(app)

    from web import i18n, staff
    from web.citizen import status_lookup as public
    i18n.init_app(app)
    staff.init_app(app)
    app.register_blueprint(public.bp)

    from web.api.reports import bp as api_reports_bp
    app.register_blueprint(api_reports_bp)
    from web.supervisor.pages import bp as supervisor_bp
    app.register_blueprint(supervisor_bp)
    from web.api.surveys import bp as api_surveys_bp
    app.register_blueprint(api_surveys_bp)
    from web.api.trail import bp as api_trail_bp
    app.register_blueprint(api_trail_bp)
    from web.api.files import bp as api_files_bp
    from web.api.payments import bp as api_payments_bp
    app.register_blueprint(api_files_bp)
    app.register_blueprint(api_payments_bp)
    from web.api.originals import bp as api_originals_bp
    app.register_blueprint(api_originals_bp)
    from web.api.submissions import bp as api_submissions_bp
    app.register_blueprint(api_submissions_bp)
    from web.citizen.online import bp as online_pages_bp
    app.register_blueprint(online_pages_bp)
    from web.citizen import survey_pages
    survey_pages.init_app(app)
    from web.security import limits  # after every limited view is registered
    limits.init_app(app, on_breach={"public.status": public.too_many_tries})
    from web.security import log_filters
    log_filters.init_app(app)  # no bearer or survey-link token in any log line
    from web.cli.commands import register
    register(app)
    return app


def error_response(status: int, code: str, message: str, field=None, **extra):
    body = {"code": code, "message": message, "field": field}
    body.update({k: v for k, v in extra.items() if v is not None})
    resp = jsonify({"error": body})
    resp.status_code = status
    return resp


def _register_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        if not request.path.startswith("/api/"):  # a page: the error page, not the API's JSON
            from web.staff.access import domain_error_page
            return domain_error_page(exc)
        return error_response(exc.status, exc.code, exc.message, exc.field,
                              allowed=exc.details.get("allowed"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if not request.path.startswith("/api/"):
            return html_error(exc)
        return error_response(exc.code or 500, exc.name.lower().replace(" ", "_"), exc.description)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not request.path.startswith("/api/"):
            return html_error(InternalServerError())
        return error_response(500, "internal", "unexpected error; it has been logged")

    from web.errors.outage import register_outage_errors
    register_outage_errors(app, error_response, unexpected)
    from web.security import guard
    guard.init_app(app, error_response)  # before any other before_request (CSRF reads the form)
