"""The command line as an operator uses it: migrate, load the catalog, create users and
tokens, with non-zero exits and named fields on bad input."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_CATALOG

ROOT = Path(__file__).resolve().parents[2]


def flask(db_url, *args):
    env = {**os.environ, "DATABASE_URL": db_url, "MOTCUA_ENV": "development"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "web", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def fresh_sqlite(tmp_path):
    return f"sqlite:///{tmp_path / 'cli.db'}"


def test_upgrade_load_users_token_then_api(fresh_sqlite, tmp_path):
    assert flask(fresh_sqlite, "db", "upgrade").returncode == 0
    assert flask(fresh_sqlite, "db", "upgrade").returncode == 0  # idempotent
    r = flask(fresh_sqlite, "catalog", "load", str(FIXTURE_CATALOG))
    assert r.returncode == 0, r.stderr
    assert "1.001612" in r.stdout
    r = flask(fresh_sqlite, "users", "create", "lan", "--role", "counter", "--agency", "T1",
              "--password", "secret-pw")
    assert r.returncode == 0, r.stderr
    r = flask(fresh_sqlite, "users", "create", "lan2", "--role", "counter", "--agency", "NOPE")
    assert r.returncode != 0 and "agency" in r.stderr
    r = flask(fresh_sqlite, "users", "token", "lan")
    assert r.returncode == 0 and len(r.stdout.strip()) > 30
    token = r.stdout.strip()
    from web import create_app
    app = create_app("testing", {"DATABASE_URL": fresh_sqlite})
    client = app.test_client()
    resp = client.post("/api/v1/dossiers", headers={"Authorization": f"Bearer {token}"},
                       json={"procedure_code": "1.001612", "applicant": {"name": "A"},
                             "documents": ["GDN", "CCCD"]})
    assert resp.status_code == 201, resp.get_json()


def test_bad_catalog_file_exits_non_zero_naming_file_and_field(fresh_sqlite, tmp_path):
    flask(fresh_sqlite, "db", "upgrade")
    flask(fresh_sqlite, "catalog", "load", str(FIXTURE_CATALOG / "agencies.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text((FIXTURE_CATALOG / "hkd.yaml").read_text().replace("processing_days: 3",
                                                                      "processing_days: 1"))
    r = flask(fresh_sqlite, "catalog", "load", str(bad))
    assert r.returncode == 1
    assert "bad.yaml" in r.stderr and "steps" in r.stderr


def test_production_refuses_default_secret(fresh_sqlite):
    env = {**os.environ, "DATABASE_URL": fresh_sqlite, "MOTCUA_ENV": "production"}
    env.pop("SECRET_KEY", None)
    r = subprocess.run([sys.executable, "-c", "from web import create_app; create_app()"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "SECRET_KEY" in r.stderr
