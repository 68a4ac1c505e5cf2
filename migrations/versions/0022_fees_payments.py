"""Fees and payments (issue 21: lệ phí, phí).

- dossier_fees: the amount due of each dossier, fixed at intake, with the exemption the
  clerk recorded and its ground.
- payments: append-only; a refund is a negative row with a reason. As for the audit trail
  (0008), the database itself refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MESSAGE = "payments is append-only: record a refund as a new negative entry"

PG_UP = [
    f"""CREATE OR REPLACE FUNCTION motcua_refuse_payment_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$""",
    """CREATE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON payments
        FOR EACH ROW EXECUTE FUNCTION motcua_refuse_payment_change()""",
    """CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON payments
        FOR EACH STATEMENT EXECUTE FUNCTION motcua_refuse_payment_change()""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS payments_no_truncate ON payments",
    "DROP TRIGGER IF EXISTS payments_append_only ON payments",
    "DROP FUNCTION IF EXISTS motcua_refuse_payment_change()",
]
SQLITE_UP = [
    f"""CREATE TRIGGER payments_no_update BEFORE UPDATE ON payments
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER payments_no_delete BEFORE DELETE ON payments
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS payments_no_update",
               "DROP TRIGGER IF EXISTS payments_no_delete"]


def upgrade() -> None:
    op.create_table(
        "dossier_fees",
        sa.Column("dossier_id", ID, sa.ForeignKey("dossiers.id", name="fk_dossier_fees_dossier_id_dossiers"),
                  primary_key=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_at", sa.String(16)),
        sa.Column("basis", sa.Text()),
        sa.Column("exemption", sa.String(16)),
        sa.Column("exemption_ground", sa.Text()),
        sa.Column("exempted_by", sa.String(64)),
        sa.Column("exempted_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "payments",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("dossier_id", ID, sa.ForeignKey("dossiers.id", name="fk_payments_dossier_id_dossiers"),
                  nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("procedure_code", sa.String(40), nullable=False),
        sa.Column("receipt_no", sa.String(80), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("reference", sa.String(100)),
        sa.Column("gateway_reference", sa.String(100)),
        sa.Column("reason", sa.Text()),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(180)),
        sa.Column("idempotency_fingerprint", sa.String(64)),
        sa.UniqueConstraint("receipt_no", name="uq_payments_receipt_no"),
        sa.UniqueConstraint("idempotency_key", name="uq_payments_idempotency_key"),
    )
    op.create_index("ix_payments_dossier", "payments", ["dossier_id"])
    op.create_index("ix_payments_day", "payments", ["day", "agency"])
    for sql in {"postgresql": PG_UP, "sqlite": SQLITE_UP}.get(op.get_bind().dialect.name, []):
        op.execute(sql)


def downgrade() -> None:
    for sql in {"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN}.get(op.get_bind().dialect.name, []):
        op.execute(sql)
    op.drop_index("ix_payments_day", "payments")
    op.drop_index("ix_payments_dossier", "payments")
    op.drop_table("payments")
    op.drop_table("dossier_fees")
