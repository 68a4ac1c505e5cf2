"""API fixtures: the Flask app on the parametrised backend, users and their tokens."""
from __future__ import annotations

import pytest

from web import create_app
from workflow.adapters.users import create_user, issue_token

STAFF = {  # username: (role, agency)
    "clerk": ("counter", "T1"),
    "clerk2": ("counter", "T1"),
    "kt": ("officer", "T1.KT"),
    "tax": ("officer", "TAX"),
    "ld": ("officer", "T1.LD"),
    "boss": ("supervisor", "T1"),
    "stranger": ("counter", "TAX"),
    "root": ("admin", None),
}


@pytest.fixture
def app(ctx, db_url, catalog):
    return create_app("testing", {"DATABASE_URL": db_url}, context=ctx)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(engine, catalog):
    out = {}
    with engine.begin() as conn:
        for name, (role, agency) in STAFF.items():
            create_user(conn, name, role, agency, "pw-" + name)
            out[name] = issue_token(conn, name)
    return out


@pytest.fixture
def api(client, tokens):
    """api(user, method, path, json=..., headers=...) -> response"""
    def call(user, method, path, json=None, headers=None, **kw):
        h = dict(headers or {})
        if user:
            h["Authorization"] = f"Bearer {tokens[user]}"
        return client.open(path, method=method, json=json, headers=h, **kw)
    return call


INTAKE = {"procedure_code": "1.001612",
          "applicant": {"name": "Nguyễn Văn An", "id_number": "001090012345", "phone": "0912345678",
                        "email": "an@example.com"},
          "documents": ["GDN", "CCCD"], "channel": "in_person"}
