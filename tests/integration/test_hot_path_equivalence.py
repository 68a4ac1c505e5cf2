"""On PostgreSQL a dossier is read and written by plain SQL (workflow/adapters/
pg_statements.py: one statement of data-modifying CTEs per intake or transition, the
events read as one JSON array) where SQLite uses SQLAlchemy Core. Where the two are not
one definition, this runs the same scenarios through both on PostgreSQL and compares
every row written (dossier, events, outbox messages, visits, guidance failures) and every
answer read."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.integration.conftest import INTAKE
from workflow.adapters import repository
from workflow.adapters.tables import dossier_events, dossiers, outbox
from workflow.adapters.tables_followup import guidance_failures, visits

# every kind of write: intake, hand-overs, a supplement asked for a document the counter
# could have seen missing (a guidance failure, a trip), the supplement, a postponement
# (a message, an apology), completion and return (a visit, the closing message)
SCENARIO = [("clerk", "forward", {}),
            ("kt", "request_supplement", {"missing": ["UQ"], "reason": "nộp thay cần ủy quyền"}),
            ("clerk", "supplement", {"documents": ["UQ"]}),
            ("kt", "postpone", {"new_due_at": "2026-03-20", "reason": "cần xác minh thêm"}),
            ("kt", "forward", {}), ("tax", "forward", {}), ("ld", "forward", {}),
            ("clerk", "complete", {}), ("clerk", "return_result", {})]
WALL_CLOCK = {"created_at", "available_at"}  # outbox columns stamped with the server's time


@pytest.fixture
def db_url(pg_url):
    """PostgreSQL only: SQLite has one path."""
    return pg_url


def run(api, clock, start):
    clock.at = start
    body = {**INTAKE, "documents": ["GDN", "CCCD"]}
    r = api("clerk", "POST", "/api/v1/dossiers", json=body)
    assert r.status_code == 201, r.get_json()
    code, answers = r.get_json()["code"], [r.get_json()]
    for user, action, payload in SCENARIO:
        clock.advance(hours=3)
        r = api(user, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json=payload)
        assert r.status_code == 200, (action, r.get_json())
        answers.append(r.get_json())
    answers.append(api("boss", "GET", f"/api/v1/dossiers/{code}").get_json())
    return code, answers


def rows(engine, code):
    """Every row the dossier wrote, keys and its code left out, in a stable order."""
    def plain(row, drop=()):
        return {k: v for k, v in row._mapping.items() if k not in {"id", "dossier_id", *drop}}

    with engine.connect() as conn:
        d = conn.execute(select(dossiers).where(dossiers.c.code == code)).one()
        found = {"dossier": plain(d, {"code", "idempotency_key"})}
        for name, table, order in (("events", dossier_events, dossier_events.c.seq),
                                   ("visits", visits, visits.c.at),
                                   ("failures", guidance_failures, guidance_failures.c.at)):
            found[name] = [plain(r) for r in conn.execute(
                select(table).where(table.c.dossier_id == d.id).order_by(order, *table.primary_key))]
        messages = conn.execute(select(outbox).order_by(outbox.c.id)).all()
        found["outbox"] = [plain(m, WALL_CLOCK) for m in messages if code in json.dumps(m.payload)]
        assert all(m.created_at == m.available_at for m in messages)
    return found


def without_code(value, code):
    return json.loads(json.dumps(value, default=str, ensure_ascii=False).replace(code, "<code>"))


def test_the_plain_sql_path_and_the_core_path_write_and_read_the_same(api, clock, engine, monkeypatch):
    start = clock()
    fast_code, fast_answers = run(api, clock, start)
    fast_rows = rows(engine, fast_code)

    core_init = repository.DossierRepository.__init__

    def core_only(self, *args, **kwargs):
        core_init(self, *args, **kwargs)
        self._pg = False  # the path SQLite takes, on this PostgreSQL database
    monkeypatch.setattr(repository.DossierRepository, "__init__", core_only)
    core_code, core_answers = run(api, clock, start)
    core_rows = rows(engine, core_code)

    assert fast_code != core_code
    assert len(fast_rows["events"]) == len(SCENARIO) + 1
    assert fast_rows["visits"] and fast_rows["failures"] and fast_rows["outbox"]
    assert without_code(fast_rows, fast_code) == without_code(core_rows, core_code)
    assert without_code(fast_answers, fast_code) == without_code(core_answers, core_code)


def test_the_equivalence_check_sees_a_difference(api, clock, engine, monkeypatch):
    """A path that wrote one column differently would be caught: the comparison is not idle."""
    start = clock()
    fast_code, _ = run(api, clock, start)
    real_values = repository.DossierRepository._values

    def one_flag_off(self, d):
        values = real_values(d)
        return {**values, "repeat_visit": not values["repeat_visit"]}
    monkeypatch.setattr(repository.DossierRepository, "_values", one_flag_off)
    other_code, _ = run(api, clock, start)
    assert without_code(rows(engine, fast_code), fast_code) != without_code(rows(engine, other_code), other_code)
