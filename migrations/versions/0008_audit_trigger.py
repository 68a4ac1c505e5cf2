"""The audit trail (nhật ký xử lý hồ sơ) cannot be rewritten: the database itself refuses
UPDATE, DELETE and (on PostgreSQL) TRUNCATE of dossier_events, whatever the application
or an operator's SQL console does. Events are only ever inserted; the process-tracking
slip (form 05 of Circular 01/2018/TT-VPCP) is rebuilt from them.

On PostgreSQL a superuser can still bypass triggers (session_replication_role), so the
application should connect as a role that is not a superuser.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-29
"""
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None

MESSAGE = "dossier_events is append-only: the audit trail cannot be changed or deleted"

PG_UP = [
    f"""CREATE OR REPLACE FUNCTION motcua_refuse_event_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$""",
    """CREATE TRIGGER dossier_events_append_only BEFORE UPDATE OR DELETE ON dossier_events
        FOR EACH ROW EXECUTE FUNCTION motcua_refuse_event_change()""",
    """CREATE TRIGGER dossier_events_no_truncate BEFORE TRUNCATE ON dossier_events
        FOR EACH STATEMENT EXECUTE FUNCTION motcua_refuse_event_change()""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS dossier_events_no_truncate ON dossier_events",
    "DROP TRIGGER IF EXISTS dossier_events_append_only ON dossier_events",
    "DROP FUNCTION IF EXISTS motcua_refuse_event_change()",
]
SQLITE_UP = [
    f"""CREATE TRIGGER dossier_events_no_update BEFORE UPDATE ON dossier_events
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER dossier_events_no_delete BEFORE DELETE ON dossier_events
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS dossier_events_no_update",
               "DROP TRIGGER IF EXISTS dossier_events_no_delete"]


def _run(statements: dict[str, list[str]]) -> None:
    for sql in statements.get(op.get_bind().dialect.name, []):
        op.execute(sql)


def upgrade() -> None:
    _run({"postgresql": PG_UP, "sqlite": SQLITE_UP})


def downgrade() -> None:
    _run({"postgresql": PG_DOWN, "sqlite": SQLITE_DOWN})
