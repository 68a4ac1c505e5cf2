"""Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): after a
successful sign-in the browser gets a signed cookie naming the account and a fresh random
nonce. A browser that shows one is a *trusted* client of that account and has its own count
of failed logins (workflow.services.accounts.sign_in), so a stranger's guesses never lock the owner's
own browser out.

One cookie holds the last few accounts signed in from the browser (a shared counter PC);
it is HttpOnly, SameSite=Lax, Secure where the session cookie is, sent only to the login
page, and expires after LOGIN_DEVICE_DAYS. A forged or expired cookie counts as none.
"""
from __future__ import annotations

import secrets

from flask import current_app, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE = "motcua_device"
SALT = "motcua.device-cookie"
KEEP = 8  # accounts remembered by one browser


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _max_age() -> int:
    return int(current_app.config["LOGIN_DEVICE_DAYS"]) * 86400


def _entries() -> list[list[str]]:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return []
    try:
        entries = _serializer().loads(raw, max_age=_max_age())
    except BadData:
        return []
    return [e for e in entries if isinstance(e, list) and len(e) == 2
            and all(isinstance(v, str) for v in e)] if isinstance(entries, list) else []


def nonce_for(username: str) -> str | None:
    """The nonce this browser holds for `username`, if its cookie is genuine and current."""
    return next((nonce for user, nonce in _entries() if user == username), None)


def remember(response, username: str) -> None:
    """A fresh nonce for `username` on this browser (a new one after each sign-in)."""
    entries = [e for e in _entries() if e[0] != username][-(KEEP - 1):]
    entries.append([username, secrets.token_urlsafe(16)])
    response.set_cookie(COOKIE, _serializer().dumps(entries), max_age=_max_age(),
                        path=url_for("auth.login"), httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
