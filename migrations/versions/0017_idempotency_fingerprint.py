"""The fingerprint of the request an Idempotency-Key was first used with.

- dossiers.idempotency_fingerprint: SHA-256 of the intake's body as validated (canonical
  JSON). A retry with the same key and the same body gets the first dossier; the same key
  with a different body is refused with 422 (as payment APIs do), instead of silently
  answering with a dossier the request did not describe. NULL for older dossiers and for
  intakes made without a key.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08
"""
from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("idempotency_fingerprint", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("idempotency_fingerprint")
