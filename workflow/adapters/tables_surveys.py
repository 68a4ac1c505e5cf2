"""Tables of the satisfaction survey (khảo sát mức độ hài lòng, SIPAS).

On the same metadata as `tables.py`. A survey row is unique per dossier, so a redelivered
`dossier.closed` message can never open a second one; a delivery row is unique per
(survey, kind, channel), so a redelivered send is skipped once the first is recorded.
The report filters and groups on plain indexed columns (agency, procedure, closing
time and month), never on JSON; it reads the tallies (`survey_tally*`) rather than the
answers, see workflow/adapters/survey_tally.py.
"""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint)

from .tables import ID, TS, dossiers, metadata

questionnaires = Table(
    "survey_questionnaires", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False),
    Column("version", String(20), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("loaded_at", TS, nullable=False),
    UniqueConstraint("code", "version", "fingerprint"),
)

surveys = Table(
    "surveys", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("dossier_id", ID, ForeignKey(dossiers.c.id), nullable=False, unique=True),
    Column("dossier_code", String(64), nullable=False),
    Column("agency", String(32), nullable=False),            # receiving agency
    Column("procedure_code", String(40), nullable=False),
    Column("outcome", String(16), nullable=False),           # returned | rejected
    Column("closed_at", TS, nullable=False),
    Column("period", String(7), nullable=False),             # YYYY-MM of closing, local time
    Column("questionnaire_id", ID, ForeignKey("survey_questionnaires.id"), nullable=False),
    Column("nonce", String(64), nullable=False, unique=True),  # the link's secret part
    Column("citizen_key", String(64)),                       # keyed hash, no personal data
    Column("channels", JSON, nullable=False),                # ["email", "sms"]
    Column("reachable", Boolean, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("invite_queued_at", TS),
    Column("expires_at", TS),
    Column("invited_at", TS),
    Column("reminder_queued_at", TS),
    Column("reminded_at", TS),
    Column("answered_at", TS),
    Index("ix_surveys_agency_closed", "agency", "closed_at"),
    Index("ix_surveys_closed", "closed_at"),
    Index("ix_surveys_citizen", "citizen_key", "invite_queued_at"),
    Index("ix_surveys_to_invite", "invite_queued_at", "reachable", "closed_at"),
    Index("ix_surveys_to_remind", "reminder_queued_at", "invited_at"),
)

survey_citizens = Table(  # one row per citizen: the lock that serialises their invitations
    "survey_citizens", metadata,
    Column("citizen_key", String(64), primary_key=True),
    Column("last_survey_id", ID),
    Column("last_invited_at", TS),
)

survey_deliveries = Table(
    "survey_deliveries", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("survey_id", ID, ForeignKey(surveys.c.id), nullable=False),
    Column("kind", String(16), nullable=False),              # invitation | reminder | feedback
    Column("channel", String(8), nullable=False),            # email | sms
    Column("message_id", String(128), nullable=False),
    Column("sent_at", TS, nullable=False),
    UniqueConstraint("survey_id", "kind", "channel"),
)

survey_responses = Table(
    "survey_responses", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("survey_id", ID, ForeignKey(surveys.c.id), nullable=False, unique=True),
    Column("questionnaire_id", ID, ForeignKey("survey_questionnaires.id"), nullable=False),
    Column("answered_at", TS, nullable=False),
    Column("lang", String(5), nullable=False),
    Column("answers", JSON, nullable=False),
    Column("comment", Text),
    Column("complaint", Boolean, nullable=False),
    Column("unhappy", Boolean, nullable=False),
    Column("evaluation", JSON, nullable=False),              # the nine indicators
    Column("evaluation_points", Integer, nullable=False),
    Column("evaluation_max", Integer, nullable=False),
)

survey_scores = Table(  # one row per (response, element): what the index sums
    "survey_scores", metadata,
    Column("response_id", ID, ForeignKey(survey_responses.c.id), primary_key=True),
    Column("element", String(32), primary_key=True),
    Column("satisfied", Integer, nullable=False),
    Column("answered", Integer, nullable=False),
    Column("points", Integer, nullable=False),
)

survey_feedback = Table(  # phản ánh, kiến nghị opened by an unhappy answer
    "survey_feedback", metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("survey_id", ID, ForeignKey(surveys.c.id), nullable=False, unique=True),
    Column("agency", String(32), nullable=False),
    Column("dossier_code", String(64), nullable=False),
    Column("opened_at", TS, nullable=False),
    Column("due_at", TS, nullable=False),
    Column("reason", String(16), nullable=False),            # low_score | complaint | both
    Column("elements", JSON, nullable=False),                # elements below "satisfied"
    Column("comment", Text),
    Column("answered_at", TS),
    Column("answered_by", String(64)),
    Column("answer", Text),
    Index("ix_survey_feedback_open", "agency", "answered_at", "due_at"),
)


# The tallies (bảng tổng hợp khảo sát): what the SIPAS report sums, per receiving agency,
# procedure and month of the dossier's closing (`surveys.period`, the month the report
# files a survey under), and the same per local day of closing (`day`) for the months a
# report period covers only in part; kept in the transaction that changes a survey
# (survey_tally.py). Apart, so a year's month rows stay a small table of their own.
TALLY_KEY = ("period", "agency", "procedure_code")
DAILY_KEY = ("period", "day", "agency", "procedure_code")
TALLY_COUNTS = ("surveys", "invited", "responses", "evaluation_points", "evaluation_max")
TALLY_SCORES = ("satisfied", "answered", "points")


def _tally(name: str, daily: bool, element: bool, measures: tuple[str, ...]) -> Table:
    return Table(
        name, metadata,
        Column("period", String(7), primary_key=True),
        *([Column("day", Date, primary_key=True)] if daily else []),
        Column("agency", String(32), primary_key=True),
        Column("procedure_code", String(40), primary_key=True),
        *([Column("element", String(32), primary_key=True)] if element else []),
        *[Column(m, Integer, nullable=False, default=0, server_default="0") for m in measures],
    )


# per survey: opened, reached the citizen, answered, the nine indicators' points
survey_tally_counts = _tally("survey_tally_counts", False, False, TALLY_COUNTS)
survey_tally_counts_daily = _tally("survey_tally_counts_daily", True, False, TALLY_COUNTS)
# per element (yếu tố) of the answers: the sums of survey_scores
survey_tally = _tally("survey_tally", False, True, TALLY_SCORES)
survey_tally_daily = _tally("survey_tally_daily", True, True, TALLY_SCORES)
