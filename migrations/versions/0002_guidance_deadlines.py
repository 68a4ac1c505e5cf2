"""Guidance, visits and deadlines: who guided whom, every trip, escalations, notifications,
and the one postponement of a dossier's appointment.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("received_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("repeat_visit", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("guidance", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("postponed_to", TS, nullable=True))
        batch.add_column(sa.Column("postponed_reason", sa.Text(), nullable=True))
        batch.create_index("ix_dossiers_repeat_visit", ["repeat_visit", "received_at"])
    op.create_table(
        "visits",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("dossier_id", ID, sa.ForeignKey("dossiers.id", name="fk_visits_dossier_id_dossiers"),
                  nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("trip", sa.Integer(), nullable=False),
        sa.Column("served_by", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("procedure_code", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_visits"),
    )
    op.create_index("ix_visits_agency_at", "visits", ["agency", "at"])
    op.create_index("ix_visits_dossier", "visits", ["dossier_id"])
    op.create_table(
        "guidance_failures",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("dossier_id", ID, sa.ForeignKey(
            "dossiers.id", name="fk_guidance_failures_dossier_id_dossiers"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("clerk", sa.String(64), nullable=False),
        sa.Column("document", sa.String(16), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("procedure_code", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_guidance_failures"),
    )
    op.create_index("ix_guidance_failures_agency_at", "guidance_failures", ["agency", "at"])
    op.create_table(
        "escalations",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("dossier_id", ID, sa.ForeignKey(
            "dossiers.id", name="fk_escalations_dossier_id_dossiers"), nullable=False),
        sa.Column("scope", sa.String(24), nullable=False),
        sa.Column("threshold", sa.String(16), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sweep", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_escalations"),
        sa.UniqueConstraint("dossier_id", "scope", "threshold", "due_at",
                            name="uq_escalations_dossier_id_scope_threshold_due_at"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", ID, sa.ForeignKey("users.id", name="fk_notifications_user_id_users"),
                  nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=True),
        sa.Column("escalation_id", ID, sa.ForeignKey(
            "escalations.id", name="fk_notifications_escalation_id_escalations"), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("read_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
    )
    op.create_index("ix_notifications_user", "notifications", ["user_id", "read_at", "id"])
    # the deadline sweep reads open dossiers by due moment and step due moment
    op.create_index("ix_dossiers_status_step_due", "dossiers", ["status", "step_due_at"])


def downgrade() -> None:
    op.drop_index("ix_dossiers_status_step_due", "dossiers")
    op.drop_table("notifications")
    op.drop_table("escalations")
    op.drop_table("guidance_failures")
    op.drop_table("visits")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index("ix_dossiers_repeat_visit")
        for col in ("postponed_reason", "postponed_to", "guidance", "repeat_visit", "received_by"):
            batch.drop_column(col)
