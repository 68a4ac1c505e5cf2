"""Rate limits (giới hạn tần suất) on what anyone on the internet can hammer: the staff login,
the public status lookup and the citizen's survey (page and API).

Counts live in RATELIMIT_STORAGE_URI: Redis in production (REDIS_URL by default), so every
web process shares them; memory in the embedded default and in tests. If Redis fails the
counts fall back to memory rather than refusing service. Each app gets its own limiter, so
two apps in one process (tests) never share counts.

The status lookup also counts *misses* per dossier code and per address (a wrong code or
wrong four digits): the four digits cannot be enumerated, from one place or from many.
Account lock-out after repeated failed logins is separate (workflow.adapters.users).
"""
from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def by_address() -> str:
    return get_remote_address()


def by_code() -> str:
    """The dossier code as the status lookup reads it."""
    return "code:" + (request.values.get("ma") or "").strip().upper()


def misses_by_address() -> str:
    return "miss:" + get_remote_address()


def missed(response) -> bool:
    return response.status_code == 404


def _setting(name: str):
    return lambda: current_app.config[name]


# endpoint -> limits: (setting naming the limit, key, count only when, methods, shared
# scope: one count over every endpoint naming it)
SURVEY = ("RATELIMIT_SURVEY", by_address, None, None, "survey")
LIMITS = {
    "auth.login": [("RATELIMIT_LOGIN", by_address, None, ["POST"], None)],
    "public.status": [("RATELIMIT_STATUS_LOOKUP", by_address, None, ["POST"], None),
                      ("RATELIMIT_STATUS_MISSES", by_code, missed, ["POST"], None),
                      ("RATELIMIT_STATUS_MISSES", misses_by_address, missed, ["POST"], None)],
    "survey_pages.survey": [SURVEY],
    "api_surveys.get_survey": [SURVEY],
    "api_surveys.answer_survey": [SURVEY],
}


def init_app(app, on_breach: dict | None = None) -> Limiter:
    """Attach a limiter to `app` and wrap the limited views (call after registering them).
    `on_breach` maps an endpoint to a function rendering its own refusal page."""
    limiter = Limiter(key_func=by_address, app=app)
    # Only the endpoints below are limited: every other request (the staff API above all)
    # skips the limiter's per-request resolution of limits.
    limiter.request_filter(lambda: request.endpoint not in LIMITS)
    for endpoint, limits in LIMITS.items():
        view = app.view_functions[endpoint]
        for setting, key, deduct_when, methods, scope in limits:
            options = dict(key_func=key, deduct_when=deduct_when, methods=methods,
                           on_breach=(on_breach or {}).get(endpoint))
            limit = (limiter.shared_limit(_setting(setting), scope, **options) if scope
                     else limiter.limit(_setting(setting), **options))
            view = limit(view)
        app.view_functions[endpoint] = view
    app.extensions["motcua_limiter"] = limiter
    return limiter
