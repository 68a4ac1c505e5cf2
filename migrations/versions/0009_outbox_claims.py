"""Who holds an outbox message's lease: the Celery task (its id) that claimed it.

A task redelivered after its worker died (acks late, reject on worker lost) carries the
same id, so it takes back the messages its dead first run had leased instead of leaving
them until the lease ends: the work is redone once, at once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_by")
