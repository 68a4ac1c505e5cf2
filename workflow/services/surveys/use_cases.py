"""Use cases of the satisfaction survey (khảo sát mức độ hài lòng, SIPAS).

`open_survey` handles the `dossier.closed` outbox message: a returned or rejected dossier
gets exactly one survey (the unique dossier key makes a redelivered message a no-op) and,
in the same commit, its invitation is queued unless the citizen already has one open.
`view` and `answer` serve the citizen's link; an unhappy answer (an element below
"satisfied", or a comment flagged as a complaint) opens a feedback item (phản ánh, kiến
nghị) that the receiving agency's supervisor must answer within SURVEY_FEEDBACK_DAYS
working days; `answer_feedback` records the answer and queues it to the citizen.
Opening a survey and storing its answer add to the tallies the SIPAS report reads
(workflow/adapters/survey_tally.py), in the same commit.
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from workflow.adapters import survey_queries as queries
from workflow.adapters import survey_tally as tally
from workflow.adapters.agencies import agency_names
from workflow.adapters.repository import _upsert
from workflow.adapters.sms import sms_sender
from workflow.adapters.tables import procedures
from workflow.adapters.tables_surveys import survey_feedback, survey_responses, survey_scores, surveys
from workflow.domain import evaluation, sipas
from workflow.domain.dossier import REJECTED, RETURNED, Actor
from workflow.domain.errors import Conflict, Forbidden, InvalidInput, NotFound

from workflow.services.reports import evaluation as dossier_evaluation

from workflow.services.surveys import delivery
from workflow.services.context import Context
from workflow.services.surveys.config import (SurveyAnswered, SurveyConfig, SurveyExpired, SurveyInvalid, by_id,
                            new_nonce, stored_id, survey_config)
from workflow.services.unit_of_work import UnitOfWork

SURVEYED = (RETURNED, REJECTED)
FEEDBACK_ROLES = ("supervisor", "admin")


def open_survey(ctx: Context, conf: SurveyConfig, payload: dict) -> int | None:
    """The survey of a closed dossier (idempotent); returns its id, None if none is due."""
    if payload.get("status") not in SURVEYED:
        return None
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        d = uow.dossiers.get(payload["dossier"])
        if d is None or d.status not in SURVEYED:
            return None
        conn = uow.conn
        existing = conn.execute(select(surveys.c.id).where(surveys.c.dossier_id == d.id)).scalar()
        if existing is not None:
            return existing
        closed = d.closed_at or now
        local = closed.astimezone(ctx.calendar.tz)
        period = local.strftime("%Y-%m")  # the report files the survey under its closing month
        key = conf.citizen_key(d.applicant)
        if key:
            delivery.lock_citizen(conn, key)
        channels = [c for c, have in (("email", d.applicant.email), ("sms", d.applicant.phone)) if have]
        stmt = _upsert(conn)(surveys).values(
            dossier_id=d.id, dossier_code=d.code, agency=d.receiving_agency,
            procedure_code=d.procedure.code, outcome=d.status, closed_at=closed,
            period=period,
            questionnaire_id=stored_id(conn, conf.in_force(local.date()), now),
            nonce=new_nonce(), citizen_key=key, channels=channels, reachable=bool(channels),
            created_at=now)
        survey_id = conn.execute(stmt.on_conflict_do_nothing(index_elements=["dossier_id"])
                                 .returning(surveys.c.id)).scalar()
        if survey_id is None:
            return None  # a concurrent delivery of the same message created it
        tally.add(conn, period, local.date(), d.receiving_agency, d.procedure.code, surveys=1)
        if channels and delivery.may_invite(conn, key, survey_id, now, conf):
            delivery.queue_invitation(conn, survey_id, key, now, conf)
        uow.commit()
    return survey_id


def _open_row(conn, conf: SurveyConfig, token: str, now, lock: bool = False):
    query = select(surveys).where(surveys.c.nonce == conf.nonce(token))
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None or row.expires_at is None:
        raise SurveyInvalid("this survey link is not valid", field="token")
    if row.answered_at is not None:
        raise SurveyAnswered("this survey has already been answered; thank you", field="token")
    if row.expires_at <= now:
        raise SurveyExpired("this survey link has expired", field="token")
    return row


def questionnaire_view(q: sipas.Questionnaire, lang: str) -> dict:
    return dict(
        code=q.code, version=q.version, name=q.name.get(lang), satisfied_from=q.satisfied_from,
        scale=[dict(value=v, label=label.get(lang)) for v, label in zip(sipas.SCALE, q.scale)],
        elements=[dict(code=e.code, name=e.name.get(lang), questions=[
            dict(code=x.code, text=x.text.get(lang), optional=x.optional) for x in e.questions])
            for e in q.elements],
        comment=q.comment.get(lang))


def view(ctx: Context, conf: SurveyConfig, token: str, lang: str = "vi") -> dict:
    """What the citizen sees: the questionnaire and which service it is about (never who)."""
    with ctx.engine.connect() as conn:
        row = _open_row(conn, conf, token, ctx.now())
        q = by_id(conn, row.questionnaire_id)
        name = conn.execute(select(procedures.c.name).where(
            procedures.c.code == row.procedure_code).order_by(procedures.c.id.desc()).limit(1)).scalar()
        agency = agency_names(conn).get(row.agency, row.agency)
    return dict(status="open", questionnaire=questionnaire_view(q, lang), expires_at=row.expires_at,
                dossier=dict(procedure_name=name, agency_name=agency, outcome=row.outcome,
                             closed_on=row.closed_at.astimezone(ctx.calendar.tz).date().isoformat()))


def answer(ctx: Context, conf: SurveyConfig, token: str, answers, comment: str | None = None,
           complaint: bool = False, lang: str = "vi") -> dict:
    """Record the one response of a survey; opens a feedback item when it is unhappy."""
    now = ctx.now()
    comment = (comment or "").strip() or None
    if comment and len(comment) > 2000:
        raise InvalidInput("at most 2000 characters", field="comment")
    if complaint and not comment:
        raise InvalidInput("write the complaint in the comment", field="comment")
    with UnitOfWork(ctx.engine) as uow:
        conn = uow.conn
        row = _open_row(conn, conf, token, now, lock=True)
        q = by_id(conn, row.questionnaire_id)
        clean = sipas.validate_answers(q, answers)
        low = sipas.below_satisfied(q, clean)
        d = uow.dossiers.get(row.dossier_code)
        facts = dossier_evaluation.facts_for(conn, d, now, ctx.calendar.tz)
        facts = dataclasses.replace(facts, complaint=facts.complaint or bool(complaint))
        ev = evaluation.evaluate(d, uow.dossiers.events(d.id), ctx.calendar, facts, now)
        try:
            response_id = conn.execute(insert(survey_responses).values(
                survey_id=row.id, questionnaire_id=row.questionnaire_id, answered_at=now,
                lang=lang if lang in sipas.LANGS else "vi", answers=clean, comment=comment,
                complaint=bool(complaint), unhappy=bool(low or complaint), evaluation=ev.as_dict(),
                evaluation_points=ev.points, evaluation_max=ev.max_points)
                .returning(survey_responses.c.id)).scalar_one()
        except IntegrityError:
            raise SurveyAnswered("this survey has already been answered; thank you",
                                 field="token") from None
        scores = sipas.tallies(q, clean)
        conn.execute(insert(survey_scores), [
            dict(response_id=response_id, element=code, satisfied=t.satisfied, answered=t.answered,
                 points=t.points) for code, t in scores.items()])
        # the survey row is locked (PostgreSQL) or the database is (SQLite): invited_at as
        # returned here is final, so "reached" is counted once, here or at the invitation
        invited_at = conn.execute(update(surveys).where(surveys.c.id == row.id).values(answered_at=now)
                                  .returning(surveys.c.invited_at)).scalar_one()
        tally.add(conn, row.period, tally.local_day(row.closed_at, ctx.calendar.tz), row.agency,
                  row.procedure_code, scores, responses=1,
                  invited=int(invited_at is None), evaluation_points=ev.points,
                  evaluation_max=ev.max_points)
        due = None
        if low or complaint:
            due = ctx.calendar.add_working_days(now, conf.feedback_days)
            conn.execute(insert(survey_feedback).values(
                survey_id=row.id, agency=row.agency, dossier_code=row.dossier_code, opened_at=now,
                due_at=due, reason="both" if low and complaint else "complaint" if complaint
                else "low_score", elements=low, comment=comment))
        uow.commit()
    return dict(status="answered", questionnaire=dict(code=q.code, version=q.version),
                feedback_opened=due is not None, feedback_due_at=due)


# ----------------------------------------------------------------------------------
# feedback items (phản ánh, kiến nghị) for the supervisor
# ----------------------------------------------------------------------------------
def feedback_scope(actor: Actor, agency: str | None) -> str | None:
    """Supervisors see their own agency; administrators any (or all)."""
    if actor.role not in FEEDBACK_ROLES:
        raise Forbidden(f"{actor.username} ({actor.role}) may not see survey feedback")
    if actor.role == "supervisor":
        if agency and agency != actor.agency:
            raise Forbidden(f"{actor.username} supervises {actor.agency}, not {agency}", field="agency")
        return actor.agency
    return agency


def feedback_items(ctx: Context, actor: Actor, agency: str | None, status: str | None,
                   page: int, per_page: int) -> tuple[list[dict], int]:
    if status and status not in queries.FEEDBACK_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(queries.FEEDBACK_STATUSES)}",
                           field="status")
    now = ctx.now()
    with ctx.engine.connect() as conn:
        rows, total = queries.list_feedback(conn, now, feedback_scope(actor, agency), status,
                                            page, per_page)
    return [feedback_dict(r, now) for r in rows], total


def feedback_dict(row, now) -> dict:
    return dict(row._mapping, overdue=row.answered_at is None and row.due_at < now)


def answer_feedback(ctx: Context, actor: Actor, feedback_id: int, text: str) -> dict:
    """The supervisor's answer; the same commit queues it to the citizen."""
    text = (text or "").strip()
    if not text or len(text) > 4000:
        raise InvalidInput("write an answer of 1 to 4000 characters", field="answer")
    now = ctx.now()
    with ctx.engine.begin() as conn:
        item = conn.execute(select(survey_feedback).where(survey_feedback.c.id == feedback_id)).first()
        if item is None:
            raise NotFound(f"no feedback item {feedback_id}", field="id")
        feedback_scope(actor, item.agency)
        done = conn.execute(update(survey_feedback).where(
            survey_feedback.c.id == feedback_id, survey_feedback.c.answered_at.is_(None))
            .values(answered_at=now, answered_by=actor.username, answer=text)).rowcount
        if done != 1:
            raise Conflict(f"feedback item {feedback_id} has already been answered")
        delivery.enqueue_per_channel(conn, "survey.feedback_answer", {"feedback": feedback_id},
                                     item.survey_id, now)
    return dict(item._mapping, answered_at=now, answered_by=actor.username, answer=text,
                overdue=False)


def survey_handlers(ctx: Context, settings, mailer, sms=None) -> dict:
    """Outbox handlers of the survey, by topic (tasks/worker.py adds them to its own)."""
    conf = survey_config(settings)
    sms = sms or sms_sender(settings)
    return {
        "dossier.closed": lambda _id, payload: open_survey(ctx, conf, payload),
        "survey.invite": lambda _id, p: delivery.deliver(ctx, conf, mailer, sms, "invitation", p["survey"],
                                                         channel=p.get("channel")),
        "survey.remind": lambda _id, p: delivery.deliver(ctx, conf, mailer, sms, "reminder", p["survey"],
                                                         channel=p.get("channel")),
        "survey.feedback_answer": lambda _id, p: delivery.deliver_feedback_answer(
            ctx, conf, mailer, sms, p["feedback"], p.get("channel")),
    }
