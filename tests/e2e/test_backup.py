"""Backups: a `pg_dump -Fc` of a database with dossiers and their events restores with
`pg_restore` into a new database that holds every dossier and event (counts and a
checksum), keeps the audit trail's protection, and needs no migration."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from alembic.script import ScriptDirectory

from tests.conftest import empty_pg_database
from tests.e2e.private_services import _pg_bindir
from workflow.adapters.migrations import alembic_config
from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases

pytestmark = pytest.mark.e2e
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLERK, KT = Actor("clerk", "counter", "T1"), Actor("kt", "officer", "T1.KT")
FINGERPRINT = {  # what must survive, in a stable order
    "dossiers": "SELECT count(*), md5(string_agg(id || ':' || code || ':' || status || ':' || version, ',' "
                "ORDER BY id)) FROM dossiers",
    "events": "SELECT count(*), md5(string_agg(dossier_id || ':' || seq || ':' || action || ':' || actor "
              "|| ':' || to_state || ':' || extract(epoch FROM at) || ':' || data::text, ',' "
              "ORDER BY dossier_id, seq)) FROM dossier_events",
    "outbox": "SELECT count(*), md5(string_agg(id || ':' || topic, ',' ORDER BY id)) FROM outbox",
    "alembic": "SELECT count(*), string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version",
}


def fingerprint(url: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {name: tuple(conn.execute(text(sql)).one()) for name, sql in FINGERPRINT.items()}
    engine.dispose()
    return out


def libpq_args(url: str) -> list[str]:
    u = make_url(url)
    return ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]


@pytest.fixture
def restored_db():
    with empty_pg_database("motcua_restore") as url:
        yield url


def test_pg_dump_restores_every_dossier_and_event(ctx, catalog, engine, db_url, restored_db, tmp_path, clock):
    assert engine.dialect.name == "postgresql"
    for n in range(12):
        d, _ = use_cases.intake(ctx, CLERK, "1.001612", Applicant(f"Công dân {n}", email=f"c{n}@example.com"),
                                ["GDN", "CCCD"] if n % 3 else ["GDN"], "in_person")
        if d.status == "received":
            clock.advance(minutes=5)
            use_cases.act(ctx, CLERK, d.code, "forward", {})
            use_cases.act(ctx, KT, d.code, "forward", {"note": f"thẩm định {n}"})
    before = fingerprint(db_url)
    assert before["dossiers"][0] == 12 and before["events"][0] == 12 + 2 * 8

    dump, bindir = tmp_path / "motcua.dump", _pg_bindir()
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    subprocess.run([os.path.join(bindir, "pg_dump"), "-Fc", *libpq_args(db_url), "-f", str(dump),
                    make_url(db_url).database], check=True, env=env, timeout=120)
    subprocess.run([os.path.join(bindir, "pg_restore"), "--no-owner", "--exit-on-error",
                    *libpq_args(restored_db), "-d", make_url(restored_db).database, str(dump)],
                   check=True, env=env, timeout=120)
    assert fingerprint(restored_db) == before

    restored = create_engine(restored_db)
    try:  # the audit trail's protection came back with the schema
        with pytest.raises(DBAPIError, match="append-only"), restored.begin() as conn:
            conn.execute(text("UPDATE dossier_events SET actor = 'x'"))
    finally:
        restored.dispose()

    upgraded = subprocess.run([sys.executable, "-m", "flask", "--app", "web", "db", "upgrade"], cwd=ROOT,
                              env={**env, "DATABASE_URL": restored_db, "MOTCUA_ENV": "development"},
                              capture_output=True, text=True, timeout=120)
    assert upgraded.returncode == 0, upgraded.stderr
    heads = sorted(ScriptDirectory.from_config(alembic_config(restored_db)).get_heads())
    assert fingerprint(restored_db) == before  # alembic_version too: nothing was migrated
    assert before["alembic"] == (len(heads), ",".join(heads))  # the dump was at the heads
