"""Who holds each step (cán bộ xử lý) on the dossier row, so the city dashboard counts by
officer from its covering index instead of searching every open dossier's history.

- dossiers.step_officers: step code -> the actor of the latest event taken while in
  progress at that step and still at it (what Dossier.record keeps from now on).
- dossiers.step_officer: that map's entry for the current step.
- ix_dossiers_open (migration 0007) gains step_officer in its INCLUDE list, so the city's
  dashboard counts stay an index-only scan.

The backfill derives both from dossier_events with the definition the dashboard used
until now (latest event with step = X and from_state = 'in_progress@X'), set-based.

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN = ("status IN ('awaiting_documents', 'received', 'in_progress', 'supplement_requested', "
        "'result_ready')")
OPEN_READ = ["agency", "step_agency", "procedure_code", "step_code", "id"]  # as in 0007
LATEST = ("WITH latest AS (SELECT dossier_id, step, actor, row_number() OVER (PARTITION BY dossier_id, step"
          " ORDER BY seq DESC) AS n FROM dossier_events"
          " WHERE step IS NOT NULL AND from_state = 'in_progress@' || step),"
          " maps AS (SELECT dossier_id, {agg}(step, actor) AS officers FROM latest WHERE n = 1"
          " GROUP BY dossier_id)")
BACKFILL = {  # per dialect: the JSON aggregate and the look-up are spelled apart
    "postgresql": LATEST.format(agg="json_object_agg")
    + " UPDATE dossiers SET step_officers = maps.officers, step_officer = maps.officers ->> dossiers.step_code"
      " FROM maps WHERE dossiers.id = maps.dossier_id",
    "sqlite": LATEST.format(agg="json_group_object")
    + " UPDATE dossiers SET step_officers = maps.officers,"
      " step_officer = json_extract(maps.officers, '$.\"' || dossiers.step_code || '\"')"
      " FROM maps WHERE dossiers.id = maps.dossier_id",
}


def _open_index(include: list[str]) -> None:
    op.create_index("ix_dossiers_open", "dossiers", ["status", "due_at"], postgresql_include=include,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("step_officers", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch.add_column(sa.Column("step_officer", sa.String(64)))
    op.execute(BACKFILL[op.get_bind().dialect.name])
    op.drop_index("ix_dossiers_open", "dossiers")
    _open_index(OPEN_READ + ["step_officer"])


def downgrade() -> None:
    op.drop_index("ix_dossiers_open", "dossiers")
    _open_index(OPEN_READ)
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("step_officer")
        batch.drop_column("step_officers")
