"""The moment of the desk's hand-over to the competent unit, kept on the dossier's row
(issue 22, at city scale).

The boundary-free report's hand-over minutes (workflow.services.reports.boundary_free)
looked up, for every dossier received elsewhere in the period, its first `forward` out of
`received` in dossier_events: one correlated subquery a dossier, reading the events' heap.
For a month of a whole city that was most of the report's time (bench/city.py). The
lifecycle never goes back to `received` once forwarded (workflow.domain.lifecycle), so the
moment is written once, by that forward (_on_step_entered), and the report reads it with
the rest of the row from ix_dossiers_bf_competent, recreated here with handed_over_at and
the columns the report reads in its INCLUDE (an index-only scan; 0027's columns kept).
Dossiers forwarded before this revision get the moment of their first such event.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

WHERE = sa.text("competent_unit <> agency")
# as 0027: the columns form II.06a counts by competent unit
COUNTED = ["procedure_code", "channel", "status", "appointment_at", "due_at", "result_ready_at",
           "closed_at", "postponed_to", "return_at"]
BACKFILL = sa.text(  # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33
    "UPDATE dossiers SET handed_over_at = f.at FROM (SELECT dossier_id, min(at) AS at "
    "FROM dossier_events WHERE action = 'forward' AND from_state = 'received' GROUP BY dossier_id) "
    "AS f WHERE f.dossier_id = dossiers.id AND dossiers.handed_over_at IS NULL")


def upgrade() -> None:
    op.add_column("dossiers", sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))
    backfill(op.get_bind())
    _competent_index(["agency", "id", *COUNTED, "handed_over_at"])


def backfill(conn) -> None:
    """Each dossier forwarded out of `received`: the moment of its first such event, in
    one statement over the events grouped by dossier."""
    conn.execute(BACKFILL)


def _competent_index(include: list[str]) -> None:
    op.drop_index("ix_dossiers_bf_competent", table_name="dossiers")
    op.create_index("ix_dossiers_bf_competent", "dossiers", ["competent_unit", "received_at"],
                    postgresql_include=include, postgresql_where=WHERE, sqlite_where=WHERE)


def downgrade() -> None:
    _competent_index(["agency", "id", *COUNTED])  # as 0027
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("handed_over_at")
