"""Lock-out after failed logins, on SQLite and PostgreSQL, after OWASP's "Slow Down Online
Guessing Attacks with Device Cookies" (workflow.services.accounts.sign_in): it tells no one which
accounts exist, a stranger cannot lock the owner's own browser out, a known browser is
held by its own failures only, a forged device cookie counts as none, and simultaneous
guesses get no more password checks than guesses in a row."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from web import create_app
from web.staff.device_cookie import COOKIE
from workflow.adapters.tables import login_throttles
from workflow.services.accounts import sign_in

LOCKED = [401, 401, 401, 401, 429]  # LOGIN_MAX_FAILURES = 5


@pytest.fixture
def web(ctx, db_url, catalog, tokens):
    return create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False}, context=ctx)


def attempt(client, username, password="wrong"):
    return client.post("/dang-nhap", data={"username": username, "password": password})


def guesses(client, username, n=5):
    return [attempt(client, username).status_code for _ in range(n)]


def signed_in_once(app, username="clerk"):
    """A browser that signed in to the account and out again: it holds a device cookie."""
    client = app.test_client()
    assert attempt(client, username, f"pw-{username}").status_code == 302
    assert client.post("/dang-xuat").status_code == 302
    assert client.get_cookie(COOKIE, path="/dang-nhap") is not None
    return client


def test_an_unknown_username_is_answered_exactly_like_a_real_one(web):
    real, ghost = web.test_client(), web.test_client()
    real_pages = [attempt(real, "clerk") for _ in range(6)]
    ghost_pages = [attempt(ghost, "khong-co-ai") for _ in range(6)]
    assert [r.status_code for r in real_pages] == [r.status_code for r in ghost_pages] == LOCKED + [429]
    for mine, theirs in zip(real_pages, ghost_pages):
        text = re.sub(r'value="clerk"', "", mine.get_data(as_text=True))
        assert text == re.sub(r'value="khong-co-ai"', "", theirs.get_data(as_text=True))


def test_a_strangers_guesses_do_not_lock_the_owners_browser(web):
    owner = signed_in_once(web)
    stranger = web.test_client()
    assert guesses(stranger, "clerk") == LOCKED
    assert attempt(stranger, "clerk", "pw-clerk").status_code == 429  # even the right password
    assert attempt(web.test_client(), "clerk", "pw-clerk").status_code == 429  # any unknown browser
    r = attempt(owner, "clerk", "pw-clerk")
    assert r.status_code == 302 and r.headers["Location"] == "/quay"


def test_a_known_browser_is_held_by_its_own_failures_only(web):
    owner = signed_in_once(web)
    assert guesses(owner, "clerk") == LOCKED
    assert attempt(owner, "clerk", "pw-clerk").status_code == 429
    assert attempt(web.test_client(), "clerk", "pw-clerk").status_code == 302


def test_the_lock_ends_after_its_minutes(web, clock):
    stranger = web.test_client()
    assert guesses(stranger, "clerk") == LOCKED
    clock.advance(minutes=14)
    assert attempt(stranger, "clerk", "pw-clerk").status_code == 429
    clock.advance(minutes=2)
    assert attempt(stranger, "clerk", "pw-clerk").status_code == 302


def test_a_forged_or_foreign_device_cookie_counts_as_none(web):
    other = signed_in_once(web, "clerk2")  # a genuine cookie, for another account
    other.set_cookie(COOKIE, other.get_cookie(COOKIE, path="/dang-nhap").value, path="/dang-nhap")
    assert guesses(other, "clerk") == LOCKED
    forged = web.test_client()
    forged.set_cookie(COOKIE, "W1siY2xlcmsiLCJ4Il1d.forged.sig", path="/dang-nhap")
    assert attempt(forged, "clerk", "pw-clerk").status_code == 429  # counted as untrusted


def test_the_device_cookie_is_guarded(web):
    r = attempt(web.test_client(), "clerk", "pw-clerk")
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith(COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dang-nhap" in cookie
    assert re.search(r"Max-Age=\d+", cookie)


def test_simultaneous_guesses_get_no_more_checks_than_the_limit(web):
    statuses, start = [], threading.Barrier(20)

    def guess():
        client = web.test_client()
        start.wait()
        statuses.append(attempt(client, "clerk").status_code)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [401] * 4 + [429] * 16


def test_usernames_typed_are_never_stored_and_ended_counts_are_pruned(web, ctx, clock, engine):
    guesses(web.test_client(), "mật-khẩu-gõ-nhầm-chỗ", 2)
    with engine.connect() as conn:
        keys = conn.execute(select(login_throttles.c.key)).scalars().all()
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)
    assert sign_in.prune(ctx) == 0
    clock.advance(minutes=16)
    assert sign_in.prune(ctx) == len(keys)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(login_throttles)).scalar_one() == 0
