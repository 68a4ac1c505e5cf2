"""Sending survey invitations (thư mời khảo sát), the one reminder and the answers to
feedback, each through the outbox so an outage of Redis or of the mail server delays a
message but never loses it.

One outbox message per channel (mail, SMS): a mail server that is down never holds back
the SMS, and each channel is retried on its own backoff.

Exactly once, as far as it can be: an invitation is queued once (the survey row's
`invite_queued_at`, set in the same commit as its outbox messages); each channel's send
is recorded (`survey_deliveries`, unique per survey, kind and channel) right after it
succeeds, and a redelivered message skips what is recorded. What remains is the window
between the mail server accepting a message and that record's commit: a worker dying
exactly there sends the message again when the outbox lease ends, with the same
Message-ID (and SMS id), so the receiving side can recognise the duplicate.

Not a flood: a citizen (identified by a keyed digest, see survey_config) has at most one
open invitation at a time; the others wait, and the sweep sends the next once the open
one is answered, has expired or is SURVEY_MIN_INTERVAL_DAYS old.

The first channel recorded as sent is when a survey reaches the citizen: the tallies'
`invited` (the response rate's denominator) counts it in the same commit, once, whichever
channel comes first; never on queueing, never for a channel that failed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from workflow.adapters import survey_tally as tally
from workflow.adapters.repository import _upsert
from workflow.adapters.tables import dossiers, outbox, procedures
from workflow.adapters.tables_surveys import (survey_citizens, survey_deliveries, survey_feedback,
                                              surveys)

from workflow.services.context import Context
from workflow.services.surveys.config import SurveyConfig

OUTCOME = {"returned": "đã có kết quả và được trả", "rejected": "đã được trả lời (từ chối giải quyết)"}


def enqueue(conn: Connection, topic: str, payload: dict, now: datetime) -> None:
    conn.execute(insert(outbox).values(topic=topic, payload=payload, created_at=now,
                                       available_at=now, attempts=0))


def enqueue_per_channel(conn: Connection, topic: str, payload: dict, survey_id: int,
                        now: datetime) -> None:
    """One message per channel of the survey, so each is sent and retried on its own."""
    channels = conn.execute(select(surveys.c.channels).where(surveys.c.id == survey_id)).scalar()
    for channel in channels or ():
        enqueue(conn, topic, {**payload, "channel": channel}, now)


def lock_citizen(conn: Connection, key: str) -> None:
    """Hold the citizen's row until commit, so two of their dossiers closing at the same
    moment decide their invitations one after the other."""
    stmt = _upsert(conn)(survey_citizens).values(citizen_key=key)
    conn.execute(stmt.on_conflict_do_update(index_elements=["citizen_key"],
                                            set_={"citizen_key": stmt.excluded.citizen_key}))


def may_invite(conn: Connection, key: str | None, survey_id: int, now: datetime,
               conf: SurveyConfig) -> bool:
    """No other open invitation to the same citizen within the minimum interval."""
    if key is None or conf.min_interval is None:
        return True
    s = surveys.c
    blocking = conn.execute(select(s.id).where(
        s.citizen_key == key, s.id != survey_id, s.invite_queued_at.is_not(None),
        s.invite_queued_at > now - conf.min_interval, s.answered_at.is_(None),
        s.expires_at > now).limit(1)).first()
    return blocking is None


def queue_invitation(conn: Connection, survey_id: int, key: str | None, now: datetime,
                     conf: SurveyConfig) -> bool:
    """Start the link's life and queue the invitation, once."""
    done = conn.execute(update(surveys).where(surveys.c.id == survey_id,
                                              surveys.c.invite_queued_at.is_(None))
                        .values(invite_queued_at=now, expires_at=now + conf.ttl)).rowcount
    if done != 1:
        return False
    enqueue_per_channel(conn, "survey.invite", {"survey": survey_id}, survey_id, now)
    if key is not None:
        conn.execute(update(survey_citizens).where(survey_citizens.c.citizen_key == key)
                     .values(last_survey_id=survey_id, last_invited_at=now))
    return True


def sweep(ctx: Context, conf: SurveyConfig, batch: int = 500) -> dict[str, int]:
    """The beat's pass: invitations that waited their turn, and the one reminder."""
    now = ctx.now()
    counts = {"invited": 0, "reminded": 0}
    s = surveys.c
    with ctx.engine.begin() as conn:
        waiting = conn.execute(select(s.id, s.citizen_key).where(
            s.invite_queued_at.is_(None), s.reachable.is_(True), s.answered_at.is_(None),
            s.closed_at > now - conf.ttl).order_by(s.closed_at, s.id).limit(batch)).all()
        for row in waiting:
            if row.citizen_key:
                lock_citizen(conn, row.citizen_key)
            if may_invite(conn, row.citizen_key, row.id, now, conf) \
                    and queue_invitation(conn, row.id, row.citizen_key, now, conf):
                counts["invited"] += 1
        if conf.reminder is not None:
            due = conn.execute(select(s.id).where(
                s.reminder_queued_at.is_(None), s.invited_at <= now - conf.reminder,
                s.answered_at.is_(None), s.expires_at > now).order_by(s.id).limit(batch)).scalars()
            for survey_id in list(due):
                if conn.execute(update(surveys).where(s.id == survey_id, s.reminder_queued_at.is_(None))
                                .values(reminder_queued_at=now)).rowcount == 1:
                    enqueue_per_channel(conn, "survey.remind", {"survey": survey_id}, survey_id, now)
                    counts["reminded"] += 1
    return counts


# ----------------------------------------------------------------------------------
# sending
# ----------------------------------------------------------------------------------
def _contact(conn: Connection, survey_id: int):
    return conn.execute(
        select(surveys, dossiers.c.applicant_name, dossiers.c.applicant_email,
               dossiers.c.applicant_phone, procedures.c.name.label("procedure_name"))
        .select_from(surveys.join(dossiers, dossiers.c.id == surveys.c.dossier_id)
                     .join(procedures, procedures.c.id == dossiers.c.procedure_id))
        .where(surveys.c.id == survey_id)).first()


def compose(kind: str, row, conf: SurveyConfig, tz, answer: str | None = None) -> tuple[str, str, str]:
    """(mail subject, mail body, SMS text) in Vietnamese; the link page offers English."""
    link = conf.link(row.nonce)
    until = row.expires_at.astimezone(tz).strftime("%d/%m/%Y") if row.expires_at else ""
    if kind == "feedback":
        return (f"Trả lời phản ánh, kiến nghị về hồ sơ {row.dossier_code}",
                f"Kính gửi {row.applicant_name},\n\nCảm ơn Ông/Bà đã đánh giá việc giải quyết hồ sơ "
                f"{row.dossier_code} (\"{row.procedure_name}\"). Trả lời của cơ quan về ý kiến của "
                f"Ông/Bà:\n\n{answer}\n",
                f"Tra loi y kien cua Ong/Ba ve ho so {row.dossier_code}: {(answer or '')[:300]}")
    first = "Nhắc lại: m" if kind == "reminder" else "M"
    return (f"{first}ời đánh giá mức độ hài lòng — hồ sơ {row.dossier_code}",
            f"Kính gửi {row.applicant_name},\n\nHồ sơ {row.dossier_code} (\"{row.procedure_name}\") "
            f"{OUTCOME.get(row.outcome, 'đã kết thúc')}. Mời Ông/Bà dành ít phút đánh giá mức độ hài "
            f"lòng với sự phục vụ của cơ quan (Chỉ số SIPAS):\n\n{link}\n\n"
            f"Đường dẫn dành riêng cho Ông/Bà, chỉ dùng một lần, có hiệu lực đến hết ngày {until}.\n\n"
            f"English: {link}?lang=en\n",
            f"{'Nhac lai: m' if kind == 'reminder' else 'M'}oi Ong/Ba danh gia muc do hai long ve "
            f"ho so {row.dossier_code}: {link}")


STAMP = {"invitation": "invited_at", "reminder": "reminded_at"}


def deliver(ctx: Context, conf: SurveyConfig, mailer, sms, kind: str, survey_id: int,
            answer: str | None = None, channel: str | None = None) -> None:
    """Send one kind of message on `channel` (a message queued before per-channel outbox
    messages names none: every channel) unless recorded as sent. A failure raises: the
    outbox retries that message with backoff and skips what was recorded."""
    now = ctx.now()
    with ctx.engine.connect() as conn:
        row = _contact(conn, survey_id)
        done = set(conn.execute(select(survey_deliveries.c.channel).where(
            survey_deliveries.c.survey_id == survey_id, survey_deliveries.c.kind == kind)).scalars())
    if row is None:
        return
    if kind != "feedback" and (row.answered_at is not None or row.expires_at is None
                               or row.expires_at <= now):
        return  # answered or expired meanwhile: nothing worth sending
    subject, body, text = compose(kind, row, conf, ctx.calendar.tz, answer)
    for each in row.channels:
        if each in done or channel not in (None, each):
            continue
        message_id = f"<survey-{survey_id}-{kind}@motcua>"
        if each == "email":
            mailer.send(row.applicant_email, subject, body, message_id)
        elif each == "sms":
            sms.send(row.applicant_phone, text, message_id.strip("<>"))
        record(ctx, survey_id, kind, each, message_id)


def record(ctx: Context, survey_id: int, kind: str, channel: str, message_id: str) -> None:
    now = ctx.now()
    with ctx.engine.begin() as conn:
        stmt = _upsert(conn)(survey_deliveries).values(survey_id=survey_id, kind=kind, channel=channel,
                                                       message_id=message_id, sent_at=now)
        conn.execute(stmt.on_conflict_do_nothing(index_elements=["survey_id", "kind", "channel"]))
        stamp = STAMP.get(kind)
        if stamp:
            column = surveys.c[stamp]
            s = surveys.c
            first = conn.execute(update(surveys).where(s.id == survey_id, column.is_(None)).values({stamp: now})
                                 .returning(s.period, s.closed_at, s.agency, s.procedure_code, s.answered_at)
                                 ).first()
            if first is not None and kind == "invitation" and first.answered_at is None:
                # reached the citizen now (an answer before this record counted it already)
                tally.add(conn, first.period, tally.local_day(first.closed_at, ctx.calendar.tz), first.agency,
                          first.procedure_code, invited=1)


def deliver_feedback_answer(ctx: Context, conf: SurveyConfig, mailer, sms, feedback_id: int,
                            channel: str | None = None) -> None:
    with ctx.engine.connect() as conn:
        item = conn.execute(select(survey_feedback.c.survey_id, survey_feedback.c.answer).where(
            survey_feedback.c.id == feedback_id, survey_feedback.c.answered_at.is_not(None))).first()
    if item is not None:
        deliver(ctx, conf, mailer, sms, "feedback", item.survey_id, item.answer, channel)
