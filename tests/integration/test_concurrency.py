"""Concurrent writers on PostgreSQL (and SQLite): exactly one wins, nothing is lost,
dossier codes never repeat."""
from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.integration.test_files_api import pdf
from workflow.adapters.repository import DossierRepository
from workflow.adapters.tables import dossier_events, dossiers, outbox
from workflow.adapters.tables_files import dossier_files
from workflow.domain.dossier import Actor, Applicant
from workflow.domain.errors import Conflict, DomainError
from workflow.services.dossiers import use_cases
from workflow.services.online import codes, submissions

CLERK = Actor("clerk", "counter", "T1")
N = 8


def same_version_race(engine, monkeypatch) -> tuple:
    """Make N writers race on one version; returns the errors the losers may raise.
    PostgreSQL: every writer reads the dossier before anyone writes, so the version check
    must decide (Conflict). SQLite serialises writers (BEGIN IMMEDIATE): later ones see
    the new state, where the action may no longer be allowed (any DomainError)."""
    if engine.dialect.name != "postgresql":
        return (DomainError,)
    barrier = threading.Barrier(N, timeout=20)
    original_get = DossierRepository.get

    def get_then_wait(self, code):
        found = original_get(self, code)
        barrier.wait()
        return found

    monkeypatch.setattr(DossierRepository, "get", get_then_wait)
    return (Conflict,)


def race(ctx, engine, monkeypatch, actor: Actor, code: str, action: str, payload: dict) -> list[str]:
    """N writers apply the same action to one version at once; 'won' or 'lost' for each.
    Each gets its own copy of the payload (an action may add to it)."""
    losers = same_version_race(engine, monkeypatch)

    def attempt(_):
        try:
            use_cases.act(ctx, actor, code, action, dict(payload))
            return "won"
        except losers:
            return "lost"

    with ThreadPoolExecutor(N) as pool:
        outcomes = list(pool.map(attempt, range(N)))
    monkeypatch.undo()
    return outcomes


def test_concurrent_transitions_exactly_one_wins(ctx, catalog, engine, monkeypatch):
    d, _ = use_cases.intake(ctx, CLERK, "1.001612", Applicant("A"), ["GDN", "CCCD"], "in_person")
    outcomes = race(ctx, engine, monkeypatch, CLERK, d.code, "forward", {})
    assert outcomes.count("won") == 1 and outcomes.count("lost") == N - 1
    final, events = use_cases.get(ctx, d.code)
    assert final.version == 2 and final.state == "in_progress@TD"
    assert [e.seq for e in events] == [1, 2]


def test_concurrent_intakes_get_distinct_consecutive_codes(ctx, catalog, engine):
    def one(i):
        return use_cases.intake(ctx, CLERK, "1.001612", Applicant(f"A{i}"), ["GDN"], "in_person")[0].code

    with ThreadPoolExecutor(N) as pool:
        codes = list(pool.map(one, range(4 * N)))
    assert len(set(codes)) == 4 * N
    assert sorted(int(c.rsplit("-", 1)[1]) for c in codes) == list(range(1, 4 * N + 1))


def test_concurrent_idempotent_retries_make_one_dossier(ctx, catalog, engine):
    def one(_):
        return use_cases.intake(ctx, CLERK, "1.001612", Applicant("A"), ["GDN"], "in_person",
                                idempotency_key="same-key")[0].code

    with ThreadPoolExecutor(N) as pool:
        codes = set(pool.map(one, range(N)))
    assert len(codes) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(dossiers)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(dossier_events)).scalar_one() == 1


def test_racing_supplement_requests_record_one_guidance_failure(ctx, catalog, engine, monkeypatch):
    """The receipt left off the power of attorney (UQ), which the citizen had not brought:
    N officers ask for it at once from the same version. One request wins, and only its
    guidance failure is recorded (the side rows go with the version-guarded write)."""
    from workflow.adapters.tables_followup import guidance_failures
    officer = Actor("kt", "officer", "T1.KT")
    d, _ = use_cases.intake(ctx, CLERK, "1.001612", Applicant("A"), ["GDN", "CCCD"], "in_person")
    use_cases.act(ctx, CLERK, d.code, "forward", {})
    outcomes = race(ctx, engine, monkeypatch, officer, d.code, "request_supplement",
                    {"missing": ["UQ"], "reason": "thiếu giấy ủy quyền"})
    assert outcomes.count("won") == 1 and outcomes.count("lost") == N - 1
    with engine.connect() as conn:
        failures = conn.execute(select(guidance_failures.c.clerk, guidance_failures.c.document,
                                       guidance_failures.c.stage)).all()
    assert [tuple(f) for f in failures] == [("clerk", "UQ", "receipt")]
    final, events = use_cases.get(ctx, d.code)
    assert final.status == "supplement_requested" and final.repeat_visit
    assert [e.seq for e in events] == [1, 2, 3]


def test_one_confirmation_code_creates_one_dossier_when_two_submissions_race(ctx, catalog, engine,
                                                                            monkeypatch):
    """Two submissions with the same code at the same moment (a double tap, a replayed
    request): both pass the code check, then race to use it; exactly one dossier is
    created and the other is refused with nothing kept. On PostgreSQL both wait until
    both are inside their transaction; SQLite serialises writers on its own."""
    procedure = submissions.procedure_online(ctx, "1.001193", None)[1]
    sent = codes.request_code(ctx, procedure, "0987654321", None, "203.0.113.9")
    with engine.connect() as conn:  # the code as the SMS would carry it: only its hash is kept
        code = conn.execute(select(outbox.c.payload).where(outbox.c.topic == codes.TOPIC)).scalar_one()["code"]
    if engine.dialect.name == "postgresql":
        barrier = threading.Barrier(2, timeout=20)
        original_use = codes.use

        def use_together(conn, verification, now):
            barrier.wait()
            return original_use(conn, verification, now)

        monkeypatch.setattr(codes, "use", use_together)

    def attempt(_):
        upload = submissions.Upload("TK", io.BytesIO(pdf(1, "to khai")), "TK.pdf")
        try:
            submissions.submit(ctx, sent["verification"], code, "1.001193", None, "Lê Thị Hoa", None,
                               [upload])
            return "won"
        except codes.CodeRefused:
            return "lost"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(attempt, range(2)))
    assert outcomes == ["lost", "won"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(dossiers)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(dossier_files)).scalar_one() == 1
