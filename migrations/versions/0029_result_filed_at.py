"""The moment a dossier's result was first filed electronically, kept on its row (issue 19,
at city scale).

The digitisation report's "electronic results" (and the service index's criterion 4.1 it
feeds) probed `dossier_files` for a current result file of every dossier returned in the
period: for a month of a whole city that was what remained of the report's cost
(bench/city.py at 5,000,000 dossiers). Result files are never deleted, and a signed copy
supersedes the unsigned one (workflow.services.files.signing), so once a dossier has a
result file it always has a current one: the moment is written once, when its first
result file is recorded (workflow.services.files.attachments.record), and the report
counts the returned dossiers that have it through a small partial index, index-only on
PostgreSQL, as it counts the digitised ones (migration 0028). Dossiers with result files
before this revision get the moment of their first one (one set-based UPDATE).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

WHERE = sa.text("status = 'returned' AND result_filed_at IS NOT NULL")
BACKFILL = sa.text(
    "UPDATE dossiers SET result_filed_at = (SELECT min(f.uploaded_at) FROM dossier_files f "
    "WHERE f.dossier_id = dossiers.id AND f.kind = 'result') "
    "WHERE result_filed_at IS NULL AND EXISTS (SELECT 1 FROM dossier_files f "
    "WHERE f.dossier_id = dossiers.id AND f.kind = 'result')")


def upgrade() -> None:
    op.add_column("dossiers", sa.Column("result_filed_at", sa.DateTime(timezone=True), nullable=True))
    backfill(op.get_bind())
    op.create_index("ix_dossiers_result_filed", "dossiers", ["agency", "closed_at"],
                    postgresql_where=WHERE, sqlite_where=WHERE)


def backfill(conn) -> None:
    """Each dossier with a result file and no moment yet: the moment of its first one."""
    conn.execute(BACKFILL)


def downgrade() -> None:
    op.drop_index("ix_dossiers_result_filed", table_name="dossiers")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("result_filed_at")
