"""Rate limits (giới hạn tần suất) on what anyone on the internet can hammer: the staff login,
the public status lookup, the citizen's survey (page and API) and online submission (the
code, the submission, the private link).

Counts live in RATELIMIT_STORAGE_URI: Redis in production (REDIS_URL by default), so every
web process shares them; memory in the embedded default and in tests. If Redis fails the
counts fall back to memory rather than refusing service. Each app gets its own limiter, so
two apps in one process (tests) never share counts.

The status lookup also counts *misses* per dossier code and per address (a wrong code or
wrong four digits): the four digits cannot be enumerated, from one place or from many.
Those counts are reserved *before* the lookup in one atomic increment each and given back
when the lookup finds its dossier (`reserve_misses`), so twenty simultaneous guesses get
no more answers than twenty in a row; they run in fixed windows that open at the first
miss. Account lock-out after repeated failed logins is separate
(workflow.services.accounts.sign_in).
"""
from __future__ import annotations

import logging

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.storage import MemoryStorage

log = logging.getLogger(__name__)


def by_address() -> str:
    return get_remote_address()


def misses_by_address() -> str:
    return "miss:" + get_remote_address()


def _setting(name: str):
    return lambda: current_app.config[name]


# endpoint -> limits: (setting naming the limit, key, methods, shared scope: one count over
# every endpoint naming it)
SURVEY = ("RATELIMIT_SURVEY", by_address, None, "survey")
ONLINE = ("RATELIMIT_SUBMISSION", by_address, None, "online")  # online submission, one count
LIMITS = {
    "api_submissions.request_code": [ONLINE],
    "api_submissions.create_submission": [ONLINE],
    "api_submissions.get_submission": [ONLINE],
    "api_submissions.supplement_submission": [ONLINE],
    "api_submissions.submission_file": [ONLINE],
    "online_pages.follow": [ONLINE],
    "online_pages.supplement": [ONLINE],
    "online_pages.submission_form": [ONLINE],
    "online_pages.ask_code": [ONLINE],
    "online_pages.submit": [ONLINE],
    "auth.login": [("RATELIMIT_LOGIN", by_address, ["POST"], None)],
    # misses: reserve_misses, called by the view itself
    "public.status": [("RATELIMIT_STATUS_LOOKUP", by_address, ["POST"], None)],
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
        for setting, key, methods, scope in limits:
            options = dict(key_func=key, methods=methods, on_breach=(on_breach or {}).get(endpoint))
            limit = (limiter.shared_limit(_setting(setting), scope, **options) if scope
                     else limiter.limit(_setting(setting), **options))
            view = limit(view)
        app.view_functions[endpoint] = view
    app.extensions["motcua_limiter"] = limiter
    return limiter


class Reservation:
    """Places taken in the miss counts by one lookup, to give back if it finds its dossier."""

    def __init__(self, storage, taken: list[tuple[str, int]]):
        self.storage, self.taken = storage, taken

    def give_back(self) -> None:
        for key, expiry in self.taken:
            self.storage.incr(key, expiry, amount=-1)


def reserve_misses(code: str) -> Reservation | None:
    """Count this lookup as a miss of `code` and of the client's address, atomically; None
    (and nothing counted) when either count is already full. In the limiter's storage (its
    in-memory fallback once it has seen Redis fail); if Redis fails here first, in this
    process's memory rather than refuse service."""
    try:
        return _reserve(current_app.extensions["motcua_limiter"].limiter.storage, code)
    except Exception:  # Redis down
        log.warning("rate-limit storage unavailable: counting misses in memory")
        return _reserve(current_app.extensions.setdefault("motcua_miss_fallback", MemoryStorage()), code)


def _reserve(storage, code: str) -> Reservation | None:
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    taken = []
    for item in parse_many(current_app.config["RATELIMIT_STATUS_MISSES"]):
        for subject in ("code:" + code, misses_by_address()):
            key = f"{prefix}:misses:{item.key_for(subject)}"
            taken.append((key, item.get_expiry()))
            if storage.incr(key, item.get_expiry()) > item.amount:
                Reservation(storage, taken).give_back()
                return None
    return Reservation(storage, taken)
