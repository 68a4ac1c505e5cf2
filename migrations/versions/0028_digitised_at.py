"""The moment a dossier became digitised, kept on its row (issue 19, at city scale).

The digitisation report (and the service index's criteria 4.1 and 4.2 it feeds) counted,
for every dossier received in the period, the current files of its required documents:
for a month of a whole city that read most of `dossiers` (Seq Scan at 5,000,000 dossiers,
2.6 s). A dossier's required documents, once each has a file, stay covered (files are
never deleted; a replacement supersedes), so the moment is written once, when the file
that completes the set is recorded (workflow.services.files.attachments.record), and the
report counts it through a small partial index. Dossiers digitised before this revision
get the moment of their latest document file.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

WHERE = sa.text("digitised_at IS NOT NULL")


def upgrade() -> None:
    op.add_column("dossiers", sa.Column("digitised_at", sa.DateTime(timezone=True), nullable=True))
    backfill(op.get_bind())
    op.create_index("ix_dossiers_digitised", "dossiers", ["agency", "received_at"],
                    postgresql_where=WHERE, sqlite_where=WHERE)


def backfill(conn) -> None:
    """Each dossier with document files: digitised when its required documents (as its
    procedure version and case list them) all have a current file, at its latest one."""
    from workflow.adapters.repository import ProcedureRepository
    from workflow.domain.attachments import required_for_digitisation
    repo = ProcedureRepository(conn)
    rows = conn.execute(sa.text(
        "SELECT d.id, d.procedure_id, d.case_code, f.document, f.uploaded_at FROM dossiers d "
        "JOIN dossier_files f ON f.dossier_id = d.id "
        "WHERE f.kind = 'document' AND f.superseded_by IS NULL ORDER BY d.id")).all()
    found: dict[int, tuple] = {}
    for r in rows:
        pid, case, docs, last = found.get(r.id, (r.procedure_id, r.case_code, set(), None))
        docs.add(r.document)
        at = r.uploaded_at if last is None or (r.uploaded_at and r.uploaded_at > last) else last
        found[r.id] = (pid, case, docs, at)
    for dossier_id, (pid, case, docs, at) in found.items():
        try:
            procedure = repo.by_id(pid).for_case(case)
        except KeyError:
            procedure = repo.by_id(pid)
        required = {d.code for d in required_for_digitisation(procedure)}
        if required and required <= docs:
            conn.execute(sa.text("UPDATE dossiers SET digitised_at = :at WHERE id = :id"),
                         dict(at=at, id=dossier_id))


def downgrade() -> None:
    op.drop_index("ix_dossiers_digitised", table_name="dossiers")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("digitised_at")
