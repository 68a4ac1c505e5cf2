"""The records of a dossier's files (issue 19: the digital dossier).

- dossier_files: one row per attached file (a checklist document's scan or upload, or the
  result), pointing at content kept outside the database by its SHA-256; rows are only
  added, a replacement marks the old row superseded_by the new one.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dossier_files",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("dossier_id", ID, sa.ForeignKey("dossiers.id", name="fk_dossier_files_dossier_id_dossiers"),
                  nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("document", sa.String(16)),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pages", sa.Integer()),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(64), nullable=False),
        sa.Column("superseded_by", ID, sa.ForeignKey(
            "dossier_files.id", name="fk_dossier_files_superseded_by_dossier_files")),
    )
    op.create_index("ix_dossier_files_dossier", "dossier_files", ["dossier_id", "kind", "document"])


def downgrade() -> None:
    op.drop_index("ix_dossier_files_dossier", "dossier_files")
    op.drop_table("dossier_files")
