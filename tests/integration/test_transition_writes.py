"""A transition on PostgreSQL sets only the columns whose values differ from the row it
read (DossierRepository._save_pg): a forward sets its step's columns and the version, not
the documents, the guidance or the intake's facts; what it leaves out keeps its value."""
from __future__ import annotations

from workflow.adapters import pg_statements as pg
from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases

CLERK = Actor("clerk", "counter", "T1")
OFFICER = Actor("kt", "officer", "T1.KT")


def test_a_forward_sets_only_what_changed(ctx, catalog, engine, monkeypatch):
    d, _ = use_cases.intake(ctx, CLERK, "1.001612", Applicant("A"), ["GDN", "CCCD"], "in_person")
    written: list[tuple[str, ...]] = []
    original = pg.save_statement
    monkeypatch.setattr(pg, "save_statement", lambda columns, *shape: written.append(columns)
                        or original(columns, *shape))
    use_cases.act(ctx, CLERK, d.code, "forward", {})
    use_cases.act(ctx, OFFICER, d.code, "forward", {})
    final, events = use_cases.get(ctx, d.code)
    assert (final.state, final.version, final.documents) == ("in_progress@THUE", 3, ["GDN", "CCCD"])
    assert final.received_at == d.received_at and final.due_at == d.due_at
    assert [e.action for e in events] == ["intake", "forward", "forward"]
    if engine.dialect.name == "postgresql":
        assert len(written) == 2
        for columns in written:
            assert {"step_code", "step_agency", "step_due_at", "last_seq", "version"} <= set(columns)
            assert not {"documents", "missing_documents", "guidance", "received_at", "received_by",
                        "due_at", "appointment_at"} & set(columns)
