"""The edge guard: every request's URL, path values, query and form values pass the rules
of web/security/inputs.py before any view runs, and the exception classes hostile input can still
raise deep down (a value the database refuses, a date past year 9999, nesting beyond the
parser) answer 4xx, never 500. JSON bodies are checked where they are read
(web/api/registry.py json_body)."""
from __future__ import annotations

import logging

from flask import Flask, current_app, request
from sqlalchemy import exc as sa_exc
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, RequestURITooLarge

from workflow.domain.errors import DomainError

from web.security import inputs
from web.errors.pages import html_error

log = logging.getLogger("motcua.web")


class NotFoundHere(DomainError):
    code = "not_found"
    status = 404


def _clean(multi, multiline: bool):
    items = [(inputs.line(str(k), "field name"), inputs.text(str(v), str(k), multiline))
             for k, vs in multi.lists() for v in vs]
    return ImmutableMultiDict(items)


def check_request() -> None:
    if len(request.path) + len(request.query_string) > inputs.URL_MAX:
        raise RequestURITooLarge()
    for key, value in (request.view_args or {}).items():
        if isinstance(value, int) and not 1 <= value <= inputs.ID_MAX:
            raise NotFoundHere(f"no {key} {value}", field=key)
        if isinstance(value, str):
            request.view_args[key] = inputs.line(value, key)
    if request.args:
        request.args = _clean(request.args, multiline=False)
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "upload_limit", None):  # an upload route: its own limit, before parsing
        request.max_content_length = view.upload_limit()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data") and request.form:
        request.form = _clean(request.form, multiline=True)


def init_app(app: Flask, error_response) -> None:
    app.before_request(check_request)

    def refused(exc: Exception):
        """Hostile input the edge rules did not stop: a 4xx, logged as a warning to fix."""
        log.warning("refused input on %s %s: %s: %s", request.method, request.path,
                    type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
        if request.path.startswith("/api/"):
            return error_response(422, "invalid_input", "a value is outside what the service accepts")
        return html_error(BadRequest())

    for cls in (RecursionError, OverflowError, UnicodeError, sa_exc.DataError):
        app.register_error_handler(cls, refused)

