"""A database outage (PostgreSQL restarting, a failover, the pool exhausted) answers
503 with Retry-After, not 500: the client's request changed nothing it can see, or, if
the connection broke during COMMIT, it may have; a retry with the same Idempotency-Key
returns the dossier that was made, so retrying is always safe. The pool checks each
connection at checkout (workflow.adapters.database), so after a restart the first request
reconnects instead of failing."""
from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import exc as sa_exc

log = logging.getLogger("motcua.web")
RETRY_AFTER_SECONDS = 2
MESSAGE = _l("Hệ thống tạm thời không kết nối được cơ sở dữ liệu. Vui lòng thử lại sau ít giây.")


def is_outage(error: Exception) -> bool:
    """Lost or refused database connections, and a pool with none free."""
    if isinstance(error, sa_exc.TimeoutError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, (sa_exc.OperationalError, sa_exc.InterfaceError))
    return False


def register_outage_errors(app: Flask, error_response, unexpected) -> None:
    """`unexpected` answers the other database errors (a bug: a logged 500)."""
    def outage(error: Exception):
        if not is_outage(error):
            return unexpected(error)
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    str(error).splitlines()[0] if str(error) else type(error).__name__)
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if request.path.startswith("/api/"):
            resp = error_response(503, "database_unavailable",
                                  "the database is unavailable for a moment; retry (with the same "
                                  "Idempotency-Key for an intake)", retry_after=RETRY_AFTER_SECONDS)
            resp.headers.update(headers)
            return resp
        if "_login_user" not in g:  # the page must not ask the database who is signed in
            g._login_user = current_app.login_manager.anonymous_user()
        return render_template("error.html", code=503, message=MESSAGE, detail=None), 503, headers

    for cls in (sa_exc.DBAPIError, sa_exc.TimeoutError):
        app.register_error_handler(cls, outage)
