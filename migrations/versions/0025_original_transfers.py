"""Hand-over of paper originals between points (issue 22).

A dossier received at one service point for another unit travels electronically; where
its paper originals must follow, each hand-over between agencies is a row: from, to, the
checklist documents, sent (when, by whom), received (when, by whom), a note.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "original_transfers",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("dossier_id", ID, sa.ForeignKey(
            "dossiers.id", name="fk_original_transfers_dossier_id_dossiers"), nullable=False),
        sa.Column("from_agency", sa.String(32), nullable=False),
        sa.Column("to_agency", sa.String(32), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("received_by", sa.String(64)),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_original_transfers_dossier", "original_transfers", ["dossier_id"])


def downgrade() -> None:
    op.drop_index("ix_original_transfers_dossier", table_name="original_transfers")
    op.drop_table("original_transfers")
