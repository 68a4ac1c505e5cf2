"""Satisfaction surveys (SIPAS): questionnaires, one survey per closed dossier, deliveries,
responses with their element scores, and the feedback items unhappy answers open.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def _id():
    return sa.Column("id", ID, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "survey_questionnaires", _id(),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("version", sa.String(20), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("loaded_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_questionnaires")),
        sa.UniqueConstraint("code", "version", "fingerprint",
                            name=op.f("uq_survey_questionnaires_code_version_fingerprint")))
    op.create_table(
        "surveys", _id(),
        sa.Column("dossier_id", ID, nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("procedure_code", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("closed_at", TS, nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("questionnaire_id", ID, nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("citizen_key", sa.String(64), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("invite_queued_at", TS, nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("invited_at", TS, nullable=True),
        sa.Column("reminder_queued_at", TS, nullable=True),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"], name=op.f("fk_surveys_dossier_id_dossiers")),
        sa.ForeignKeyConstraint(["questionnaire_id"], ["survey_questionnaires.id"],
                                name=op.f("fk_surveys_questionnaire_id_survey_questionnaires")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_surveys_dossier_id")),
        sa.UniqueConstraint("nonce", name=op.f("uq_surveys_nonce")))
    op.create_index("ix_surveys_agency_closed", "surveys", ["agency", "closed_at"])
    op.create_index("ix_surveys_closed", "surveys", ["closed_at"])
    op.create_index("ix_surveys_citizen", "surveys", ["citizen_key", "invite_queued_at"])
    op.create_index("ix_surveys_to_invite", "surveys", ["invite_queued_at", "reachable", "closed_at"])
    op.create_index("ix_surveys_to_remind", "surveys", ["reminder_queued_at", "invited_at"])
    op.create_table(
        "survey_citizens",
        sa.Column("citizen_key", sa.String(64), nullable=False),
        sa.Column("last_survey_id", ID, nullable=True),
        sa.Column("last_invited_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("citizen_key", name=op.f("pk_survey_citizens")))
    op.create_table(
        "survey_deliveries", _id(),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"],
                                name=op.f("fk_survey_deliveries_survey_id_surveys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_deliveries")),
        sa.UniqueConstraint("survey_id", "kind", "channel",
                            name=op.f("uq_survey_deliveries_survey_id_kind_channel")))
    op.create_table(
        "survey_responses", _id(),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("questionnaire_id", ID, nullable=False),
        sa.Column("answered_at", TS, nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("complaint", sa.Boolean(), nullable=False),
        sa.Column("unhappy", sa.Boolean(), nullable=False),
        sa.Column("evaluation", sa.JSON(), nullable=False),
        sa.Column("evaluation_points", sa.Integer(), nullable=False),
        sa.Column("evaluation_max", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"],
                                name=op.f("fk_survey_responses_survey_id_surveys")),
        sa.ForeignKeyConstraint(["questionnaire_id"], ["survey_questionnaires.id"],
                                name=op.f("fk_survey_responses_questionnaire_id_survey_questionnaires")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_survey_responses_survey_id")))
    op.create_table(
        "survey_scores",
        sa.Column("response_id", ID, nullable=False),
        sa.Column("element", sa.String(32), nullable=False),
        sa.Column("satisfied", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["survey_responses.id"],
                                name=op.f("fk_survey_scores_response_id_survey_responses")),
        sa.PrimaryKeyConstraint("response_id", "element", name=op.f("pk_survey_scores")))
    op.create_table(
        "survey_feedback", _id(),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("dossier_code", sa.String(64), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("answered_by", sa.String(64), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"],
                                name=op.f("fk_survey_feedback_survey_id_surveys")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_feedback")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_survey_feedback_survey_id")))
    op.create_index("ix_survey_feedback_open", "survey_feedback", ["agency", "answered_at", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_survey_feedback_open", table_name="survey_feedback")
    for table in ("survey_feedback", "survey_scores", "survey_responses", "survey_deliveries",
                  "survey_citizens"):
        op.drop_table(table)
    for index in ("ix_surveys_to_remind", "ix_surveys_to_invite", "ix_surveys_citizen",
                  "ix_surveys_closed", "ix_surveys_agency_closed"):
        op.drop_index(index, table_name="surveys")
    op.drop_table("surveys")
    op.drop_table("survey_questionnaires")
