"""Switching from a previous system mid-year: `dossiers import FILE` on SQLite and
PostgreSQL. Every line is validated first and every error named by line; nothing is
written unless all lines are good; imported dossiers are processed and reported like
any other."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from tests.conftest import FIXTURE_CATALOG, vn
from tests.integration.conftest import INTAKE
from workflow.adapters.tables import dossier_events, dossiers
from workflow.services.importing import previous_system as importing

APPLICANT = {"name": "Trần Thị Bình", "id_number": "001190054321", "phone": "0987654321"}
H = "1.001612"


def line(**kw):
    return json.dumps({"procedure_code": H, "applicant": APPLICANT, **kw}, ensure_ascii=False)


GOOD = [
    line(code="T1-260302-0007", status="in_progress", received_at="2026-03-02T09:00:00+07:00",
         current_step="TD", step_started_at="2026-03-02T10:00:00+07:00"),
    line(status="received", channel="online", received_at="2026-03-10T09:00:00+07:00"),
    line(code="CU-0003", status="supplement_requested", received_at="2026-03-09T09:00:00+07:00",
         current_step="TD", step_started_at="2026-03-09T10:00:00+07:00",
         supplement_requested_at="2026-03-10T10:00:00+07:00", missing=["UQ"]),
    line(code="CU-0004", status="result_ready", received_at="2026-03-02T09:00:00+07:00",
         result_ready_at="2026-03-04T10:00:00+07:00"),
    line(code="CU-0005", status="returned", received_at="2026-03-02T09:00:00+07:00",
         closed_at="2026-03-06T10:00:00+07:00", result_ready_at="2026-03-05T11:00:00+07:00",
         events=[{"at": "2026-03-02T09:00:00+07:00", "actor": "cu.motcua", "action": "intake",
                  "to_state": "received"},
                 {"at": "2026-03-05T11:00:00+07:00", "actor": "cu.lanhdao", "action": "complete",
                  "from_state": "in_progress@TKQ", "to_state": "result_ready", "step": "TKQ"},
                 {"at": "2026-03-06T10:00:00+07:00", "actor": "cu.motcua", "action": "return_result",
                  "from_state": "result_ready", "to_state": "returned"}]),
    "",
    line(code="CU-0006", status="rejected", received_at="2026-03-03T09:00:00+07:00",
         closed_at="2026-03-04T09:00:00+07:00"),
    line(code="CU-0007", status="withdrawn", received_at="2026-03-03T09:00:00+07:00",
         due_at="2026-03-20T17:00:00+07:00", closed_at="2026-03-04T09:00:00+07:00"),
]


def n_dossiers(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(dossiers)).scalar_one()


def test_import_then_process_and_report_like_any_dossier(ctx, clock, engine, api):
    clock.at = vn(2026, 3, 11, 10)
    report = importing.import_dossiers(ctx, GOOD, importer="chuyen.doi", source="cu.jsonl")
    assert report.imported == 7 and report.by_status == {
        "in_progress": 1, "received": 1, "supplement_requested": 1, "result_ready": 1, "returned": 1,
        "rejected": 1, "withdrawn": 1}
    d = api("boss", "GET", "/api/v1/dossiers/T1-260302-0007").get_json()
    assert d["status"] == "in_progress" and d["current_step"]["code"] == "TD"
    assert d["due_at"] == vn(2026, 3, 5, 9).isoformat()          # computed: 3 working days
    assert d["appointment_at"] == d["due_at"]
    assert d["current_step"]["due_at"] == vn(2026, 3, 3, 15).isoformat()  # 1.5 days from Mon 10:00
    assert d["clock"]["budget_minutes"] == 1440 and d["clock"]["running_since"] == vn(2026, 3, 2, 9).isoformat()
    assert [(e["seq"], e["action"], e["actor"]) for e in d["events"]] == [(1, "import", "chuyen.doi")]
    assert d["events"][0]["data"] == {"source": "cu.jsonl:1"}
    # the engine takes over: the officer of the step forwards it through the ordinary API
    r = api("kt", "POST", "/api/v1/dossiers/T1-260302-0007/actions/forward", json={})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["current_step"]["code"] == "THUE"
    assert [e["seq"] for e in r.get_json()["events"]] == [1, 2]
    # the missing code came from the day's sequence; a paused clock resumes on supplement
    assert api("boss", "GET", "/api/v1/dossiers/T1-260310-0001").get_json()["channel"] == "online"
    paused = api("boss", "GET", "/api/v1/dossiers/CU-0003").get_json()
    assert paused["due_at"] is None and paused["clock"]["used_minutes"] == 540
    assert paused["missing_documents"] == ["UQ"]
    r = api("clerk", "POST", "/api/v1/dossiers/CU-0003/actions/supplement", json={"documents": ["UQ"]})
    assert r.status_code == 200 and r.get_json()["due_at"] == vn(2026, 3, 16, 10).isoformat()
    returned = api("boss", "GET", "/api/v1/dossiers/CU-0005").get_json()
    assert [(e["seq"], e["action"]) for e in returned["events"]] == [
        (1, "intake"), (2, "complete"), (3, "return_result"), (4, "import")]
    assert api("clerk", "POST", "/api/v1/dossiers/CU-0004/actions/return_result", json={}).status_code == 200
    # a kept code in this system's format moves the day's sequence past it
    clock.at = vn(2026, 3, 2, 11)
    r = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE)
    assert r.status_code == 201 and r.get_json()["code"] == "T1-260302-0008"
    clock.at = vn(2026, 3, 11, 10)
    body = api("boss", "GET", "/api/v1/reports/summary?from=2026-03-02&to=2026-03-08").get_json()
    row = body["rows"][0]
    assert (row["new_total"], row["resolved_total"], row["early"], row["rejected"], row["withdrawn"],
            row["returned"]) == (6, 2, 1, 1, 1, 1)  # 5 imported + the intake on 2 March; CU-0005 late


def test_the_hand_over_moment_comes_from_the_imported_history(ctx, clock, engine, catalog):
    """dossiers.handed_over_at (migration 0030) as its backfill reads stored events: the
    first forward out of received in the history given; none without one."""
    clock.at = vn(2026, 3, 11, 10)
    history = [{"at": "2026-03-02T09:00:00+07:00", "actor": "cu.motcua", "action": "intake", "to_state": "received"},
               {"at": "2026-03-02T10:30:00+07:00", "actor": "cu.motcua", "action": "forward",
                "from_state": "received", "to_state": "in_progress@TD", "step": "TD"},
               {"at": "2026-03-03T10:00:00+07:00", "actor": "cu.kt", "action": "forward",
                "from_state": "in_progress@TD", "to_state": "in_progress@THUE", "step": "THUE"}]
    step = dict(status="in_progress", received_at="2026-03-02T09:00:00+07:00", current_step="THUE",
                step_started_at="2026-03-03T10:00:00+07:00")
    importing.import_dossiers(ctx, [line(code="CU-0010", events=history, **step), line(code="CU-0011", **step)],
                              importer="chuyen.doi", source="cu.jsonl")
    with engine.connect() as conn:
        kept = dict(conn.execute(select(dossiers.c.code, dossiers.c.handed_over_at)).all())
    assert kept == {"CU-0010": vn(2026, 3, 2, 10, 30), "CU-0011": None}


def test_every_bad_line_is_named_and_nothing_is_imported(ctx, clock, engine, api):
    clock.at = vn(2026, 3, 11, 10)
    existing = api("clerk", "POST", "/api/v1/dossiers", json=INTAKE).get_json()["code"]
    lines = [
        GOOD[1],                                                                  # 1 good
        "{not json",                                                              # 2
        json.dumps({"procedure_code": H, "status": "lost", "received_at": "2026-03-02T09:00:00+07:00"}),  # 3
        line(status="in_progress", received_at="2026-03-02T09:00:00+07:00"),      # 4 no step
        line(code="CU-0009", status="received", received_at="2026-03-02T09:00:00+07:00"),  # 5
        "",                                                                       # 6 blank: skipped
        line(procedure_code="9.999999", status="received", received_at="2026-03-02T09:00:00+07:00"),  # 7
        line(code=existing, status="received", received_at="2026-03-02T09:00:00+07:00"),  # 8
        line(status="received", received_at="2026-03-02T09:00:00"),               # 9 naive
        line(status="received", received_at="2026-03-12T09:00:00+07:00",
             closed_at="2026-03-12T10:00:00+07:00"),                              # 10
        line(code="CU-0009", status="returned", received_at="2026-03-02T09:00:00+07:00"),  # 11
    ]
    before = n_dossiers(engine)
    with pytest.raises(importing.ImportFailed) as caught:
        importing.import_dossiers(ctx, lines)
    errors = [(e.line, e.field) for e in caught.value.errors]
    assert sorted({n for n, _ in errors}) == [2, 3, 4, 7, 8, 9, 10, 11]
    assert (3, "applicant") in errors and (3, "status") in errors
    assert (4, "current_step") in errors and (4, "step_started_at") in errors
    assert (7, "procedure_code") in errors and (8, "code") in errors and (9, "received_at") in errors
    assert (10, "received_at") in errors and (10, "closed_at") in errors   # future; closed while open
    assert (11, "code") in errors and (11, "closed_at") in errors          # repeated; returned needs it
    assert "line 11: code: 'CU-0009' is repeated (first on line 5)" in [str(e) for e in caught.value.errors]
    assert n_dossiers(engine) == before
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(dossier_events)).scalar_one() == 1


def flask(db_url, *args):
    env = {**os.environ, "DATABASE_URL": db_url, "MOTCUA_ENV": "development"}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "web", *args],
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))), env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_import(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert flask(url, "db", "upgrade").returncode == 0
    assert flask(url, "catalog", "load", str(FIXTURE_CATALOG)).returncode == 0
    good, bad = tmp_path / "good.jsonl", tmp_path / "bad.jsonl"
    good.write_text("\n".join(GOOD[:2]) + "\n", encoding="utf-8")
    bad.write_text("\n".join([GOOD[6], "[1]", line(status="received")]) + "\n", encoding="utf-8")
    r = flask(url, "dossiers", "import", str(bad))
    assert r.returncode == 1
    assert "line 2:" in r.stderr and "line 3: received_at:" in r.stderr and "nothing was imported" in r.stderr
    r = flask(url, "dossiers", "import", str(good))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "imported 2 dossiers (in_progress 1, received 1)"
    r = flask(url, "dossiers", "import", str(good))
    assert r.returncode == 1 and "line 1: code: 'T1-260302-0007' already exists" in r.stderr
