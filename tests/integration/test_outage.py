"""A database that cannot be reached answers 503 with Retry-After, as a JSON error on the
API and a Vietnamese page for people (signed in or not), never a 500. (The restart of a
live PostgreSQL under load is tests/e2e/test_faults.py.)"""
from __future__ import annotations

import socket

import pytest

from web import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unreachable():
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/motcua"  # nothing listens
    return create_app("testing", {"DATABASE_URL": url, "WTF_CSRF_ENABLED": False, "DB_POOL_TIMEOUT": 2})


def test_api_answers_503_with_retry_after(unreachable):
    client = unreachable.test_client()
    for method, path in (("GET", "/api/v1/procedures"), ("GET", "/api/v1/dossiers/T1-260302-0001"),
                         ("POST", "/api/v1/dossiers")):
        r = client.open(path, method=method, json={} if method == "POST" else None,
                        headers={"Authorization": "Bearer some-token", "Idempotency-Key": "k-1"})
        assert r.status_code == 503, (path, r.get_data(as_text=True))
        assert r.headers["Retry-After"] == "2"
        assert r.get_json()["error"]["code"] == "database_unavailable"


def test_pages_answer_503_in_vietnamese(unreachable):
    client = unreachable.test_client()
    with client.session_transaction() as session:  # a clerk signed in before the outage
        session["_user_id"], session["_fresh"] = "1:fingerprint", True
    for path in ("/quay", "/ho-so/T1-260302-0001", "/", "/tra-cuu?ma=T1-260302-0001&so=5678"):
        r = client.get(path)
        assert r.status_code == 503, path
        assert r.headers["Retry-After"] == "2"
        assert "không kết nối được cơ sở dữ liệu" in r.get_data(as_text=True)
