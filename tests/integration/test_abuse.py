"""Abuse resistance: rate limits on login, the status lookup and the survey (in memory and
on a real Redis shared by two app instances, as two web processes share it), security
headers and cookies, no token in any log line, personal numbers masked for whoever does
not need them. Lock-out and CSRF have their own tests (test_staff_pages.py,
test_staff_access.py)."""
from __future__ import annotations

import logging
import os
import re
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis
from werkzeug.serving import make_server

from tests.integration.test_access_matrix import World
from tests.integration.test_staff_access import signed_in
from web import create_app
from workflow.domain.dossier import Actor
from workflow.services.dossiers import use_cases

TEMPLATES = Path(__file__).parents[2] / "web" / "templates"


def make(ctx, db_url, config="testing", **settings):
    return create_app(config, {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                               "SKIP_CONFIG_CHECK": True, **settings}, context=ctx)


def from_address(client, address):
    client.environ_base["REMOTE_ADDR"] = address
    return client


# -- rate limits ------------------------------------------------------------------------
def test_login_is_limited_per_address(ctx, db_url, tokens):
    app = make(ctx, db_url, RATELIMIT_LOGIN="3 per minute")
    guesser = from_address(app.test_client(), "203.0.113.7")
    statuses = [guesser.post("/dang-nhap", data={"username": f"u{i}", "password": "x"}).status_code
                for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    # even the right password waits, from that address; another address is not held up
    assert guesser.post("/dang-nhap", data={"username": "clerk", "password": "pw-clerk"}).status_code == 429
    office = from_address(app.test_client(), "198.51.100.20")
    assert office.post("/dang-nhap", data={"username": "clerk", "password": "pw-clerk"}).status_code == 302


def test_status_lookup_counts_misses_per_code_from_any_address(ctx, db_url, tokens, api):
    app = make(ctx, db_url, RATELIMIT_STATUS_MISSES="3 per 15 minutes")
    code = World(app, api, None).dossier()  # phone ends 4321
    # right answers are not misses
    for _ in range(5):
        assert from_address(app.test_client(), "192.0.2.1").post(
            "/tra-cuu", data={"ma": code, "so": "4321"}).status_code == 200
    # three wrong guesses from three addresses: the code is closed to every address
    for i in range(3):
        assert from_address(app.test_client(), f"192.0.2.{10 + i}").post(
            "/tra-cuu", data={"ma": code, "so": f"{i:04d}"}).status_code == 404
    late = from_address(app.test_client(), "192.0.2.99").post("/tra-cuu", data={"ma": code, "so": "4321"})
    assert late.status_code == 429 and "quá nhiều lần" in late.get_data(as_text=True)
    # and one address guessing across codes is stopped as well
    roamer = from_address(app.test_client(), "192.0.2.200")
    statuses = [roamer.post("/tra-cuu", data={"ma": f"T1-260302-{9000 + i}", "so": "1111"}).status_code
                for i in range(4)]
    assert statuses == [404, 404, 404, 429]


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_simultaneous_guesses_get_no_more_answers_than_the_limit(ctx, db_url, tokens, api, storage,
                                                                 request):
    settings = dict(RATELIMIT_STATUS_MISSES="10 per 15 minutes", RATELIMIT_STATUS_LOOKUP="100 per minute")
    if storage == "redis":
        url, prefix = request.getfixturevalue("redis_url")
        settings.update(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix)
    app = make(ctx, db_url, **settings)
    code = World(app, api, None).dossier()  # phone ends 4321
    statuses, start = [], threading.Barrier(20)

    def guess(i):
        client = from_address(app.test_client(), f"198.18.0.{i}")
        start.wait()
        statuses.append(client.post("/tra-cuu", data={"ma": code, "so": f"{i:04d}"}).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [404] * 10 + [429] * 10
    # the owner is held up as well until the window ends: the code is under attack
    assert from_address(app.test_client(), "198.18.1.1").post(
        "/tra-cuu", data={"ma": code, "so": "4321"}).status_code == 429


def test_a_refused_lookup_takes_no_place_in_another_count(ctx, db_url, tokens, api):
    """An address that is out of tries cannot use up a stranger's dossier code."""
    app = make(ctx, db_url, RATELIMIT_STATUS_MISSES="3 per 15 minutes")
    code = World(app, api, None).dossier()
    roamer = from_address(app.test_client(), "192.0.2.201")
    for i in range(3):
        assert roamer.post("/tra-cuu", data={"ma": f"T1-260302-{9100 + i}", "so": "1111"}).status_code == 404
    for _ in range(5):
        assert roamer.post("/tra-cuu", data={"ma": code, "so": "1111"}).status_code == 429
    owner = from_address(app.test_client(), "192.0.2.202")
    assert owner.post("/tra-cuu", data={"ma": code, "so": "4321"}).status_code == 200


def test_survey_page_and_api_are_limited(ctx, db_url, tokens):
    app = make(ctx, db_url, RATELIMIT_SURVEY="2 per minute")
    page = from_address(app.test_client(), "203.0.113.50")
    assert [page.get("/s/forged").status_code for _ in range(3)] == [404, 404, 429]
    client = from_address(app.test_client(), "203.0.113.51")  # page and API count together
    assert client.get("/s/forged").status_code == 404
    assert client.post("/api/v1/surveys/forged", json={"answers": {}}).status_code == 404
    refused = client.get("/api/v1/surveys/forged")
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "too_many_requests"
    assert "Retry-After" in refused.headers


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    prefix = f"motcua-limits-test-{uuid.uuid4().hex[:8]}"
    yield url, prefix
    server = redis.Redis.from_url(url)
    for key in server.scan_iter(match=f"*{prefix}*"):  # only this test's keys
        server.delete(key)


def test_limits_are_shared_through_redis(ctx, db_url, tokens, api, redis_url):
    """Two app instances on one Redis: guesses counted by one web process block the next."""
    url, prefix = redis_url
    settings = dict(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix,
                    RATELIMIT_STATUS_MISSES="2 per 15 minutes")
    first, second = make(ctx, db_url, **settings), make(ctx, db_url, **settings)
    code = World(first, api, None).dossier()
    for app in (first, second):
        assert from_address(app.test_client(), "192.0.2.5").post(
            "/tra-cuu", data={"ma": code, "so": "0000"}).status_code == 404
    assert from_address(first.test_client(), "192.0.2.6").post(
        "/tra-cuu", data={"ma": code, "so": "4321"}).status_code == 429
    assert any(redis.Redis.from_url(url).scan_iter(match=f"*{prefix}*")), "counted in Redis"


# -- headers and cookies ----------------------------------------------------------------
PUBLIC_PAGES = ("/", "/dang-nhap", "/tra-cuu", "/thu-tuc/1.001193", "/thu-tuc/1.001193/tu-kiem-tra",
                "/ket-qua-sipas", "/s/forged", "/khong-co")


def test_pages_carry_security_headers_and_a_strict_script_policy(ctx, db_url, tokens):
    client = make(ctx, db_url).test_client()
    for path in PUBLIC_PAGES:
        r = client.get(path)
        csp = r.headers.get("Content-Security-Policy", "")
        policy = dict((part.split(" ", 1) + [""])[:2] for part in csp.split("; "))
        assert policy.get("script-src") == "'self'", (path, csp)
        assert policy.get("frame-ancestors") == "'none'" and "default-src" in policy, (path, csp)
        assert r.headers["X-Content-Type-Options"] == "nosniff", path
        assert r.headers["X-Frame-Options"] == "DENY", path
    # nothing the policy would block: no inline script or handler in any template
    for template in TEMPLATES.rglob("*.html"):
        html = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), template
        assert not re.search(r"\son[a-z]+\s*=", html), template


def test_production_session_cookie_is_secure(ctx, db_url, tokens):
    app = make(ctx, db_url, "production", SECRET_KEY="x" * 32, RATELIMIT_STORAGE_URI="memory://")
    r = app.test_client().post("/dang-nhap", data={"username": "kt", "password": "pw-kt"},
                               base_url="https://motcua.example.vn")
    assert r.status_code == 302
    cookie = r.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# -- logs ----------------------------------------------------------------------------------
def fetch(url: str, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.expected_errors(r"RuntimeError: database went away")  # provoked, to log a token-bearing URL
def test_no_token_in_any_log_line(ctx, db_url, tokens, api, caplog, monkeypatch):
    """A real development server (werkzeug writes its access log) and the app's own error
    log, at DEBUG: neither the bearer token nor the survey link's token appears."""
    app = make(ctx, db_url)
    world = World(app, api, ctx.engine)
    survey = world.survey()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"

    def broken(*args, **kwargs):  # the next survey read fails inside: an error is logged
        raise RuntimeError("database went away")
    try:
        with caplog.at_level(logging.DEBUG):
            assert fetch(f"{base}/api/v1/dossiers", {"Authorization": f"Bearer {tokens['clerk']}"}) == 200
            assert fetch(f"{base}/api/v1/dossiers", {"Authorization": "Bearer wrong-token-abcdef"}) == 401
            assert fetch(f"{base}/s/{survey}") == 200
            assert fetch(f"{base}/api/v1/surveys/{survey}?lang=en") == 200
            monkeypatch.setattr("web.api.surveys.use_cases.view", broken)
            assert fetch(f"{base}/api/v1/surveys/{survey}") >= 500
    finally:
        server.shutdown()
    logged = caplog.text
    assert "/s/***" in logged and "/api/v1/surveys/***" in logged  # the lines are there
    assert "database went away" in logged
    for secret in (tokens["clerk"], "wrong-token-abcdef", survey, survey.split(".")[0]):
        assert secret not in logged


# -- personal numbers ------------------------------------------------------------------------
def test_personal_numbers_are_masked_for_whoever_does_not_need_them(app, api, engine):
    world = World(app, api, engine)
    code = world.dossier()  # id 001190054321, phone 0987654321

    def applicant(user):
        return api(user, "GET", f"/api/v1/dossiers/{code}").get_json()["applicant"]

    full = {"id_number": "001190054321", "phone": "0987654321"}
    masked = {"id_number": "•••••••••321", "phone": "•••••••321"}
    # at the desk: the receiving desk sees everything; the step officer, not yet his turn
    assert {k: applicant("clerk")[k] for k in full} == full
    assert {k: applicant("boss")[k] for k in full} == full
    assert {k: applicant("kt")[k] for k in full} == masked
    assert {k: applicant("root")[k] for k in full} == masked
    page = signed_in(app, engine, "kt").get(f"/ho-so/{code}").get_data(as_text=True)
    assert masked["phone"] in page and full["phone"] not in page  # the page follows the same rule
    page = signed_in(app, engine, "clerk").get(f"/ho-so/{code}").get_data(as_text=True)
    assert full["phone"] in page and full["id_number"] in page
    use_cases.act(world.ctx, Actor("clerk", "counter", "T1"), code, "forward", {})
    assert {k: applicant("kt")[k] for k in full} == full  # now he works it
    # lists and exports carry no personal numbers at all
    listing = api("boss", "GET", "/api/v1/dossiers").get_data(as_text=True)
    export = api("boss", "GET", "/api/v1/reports/summary?format=csv&rows=dossiers").get_data(as_text=True)
    for text in (listing, export):
        assert code in text and "0987654321" not in text and "001190054321" not in text
