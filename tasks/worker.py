"""The Celery app: `celery -A tasks.worker worker` and `celery -A tasks.worker beat`.

Tasks are thin: each builds nothing but calls one use case with ids, never ORM objects.
Acks are late and a lost worker's task is re-queued, so every task must be (and is)
safe to run twice. The broker is Redis in production and a SQLite file by default.
"""
from __future__ import annotations

import logging

from celery import Celery, signals
from kombu import Queue

from config import get_config
from tasks import beat_lock
from workflow.adapters.mail import mail_sender
from workflow.adapters.sms import sms_sender
from workflow.bootstrap import build_context
from workflow.services.deadlines import escalation as deadlines
from workflow.services.notifications import outbox
from workflow.services.reports import rollup as report_rollup
from workflow.services.accounts import sign_in
from workflow.services.notifications.applicant_notices import mail_handlers
from workflow.services.online.codes import code_handlers
from workflow.services.surveys import delivery as survey_delivery
from workflow.services.surveys.config import survey_config
from workflow.services.surveys.use_cases import survey_handlers

log = logging.getLogger("motcua.tasks")
settings = {k: getattr(get_config(), k) for k in dir(get_config()) if k.isupper()}
if hasattr(get_config(), "check"):  # production: the key signs the survey links we mail
    get_config().check()

app = Celery("motcua", broker=settings["CELERY_BROKER_URL"])
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    # Redis only (the SQLite broker would pass it on to its engine and fail)
    broker_transport_options={"visibility_timeout": settings["BROKER_VISIBILITY_TIMEOUT"]}
    if settings["CELERY_BROKER_URL"].startswith(("redis://", "rediss://")) else {},
    timezone=settings["TIMEZONE"],
    # separate queues so a mail backlog never delays deadline work; a worker started
    # without -Q consumes all of them
    task_queues=(Queue("default"), Queue("notifications"), Queue("sweeps")),
    task_default_queue="default",
    task_routes={"motcua.outbox.*": {"queue": "notifications"},
                 "motcua.deadlines.*": {"queue": "sweeps"}, "motcua.surveys.*": {"queue": "sweeps"},
                 "motcua.reports.*": {"queue": "sweeps"},
                 "motcua.logins.*": {"queue": "sweeps"}},
    beat_schedule={
        "relay-outbox": {"task": "motcua.outbox.relay",
                         "schedule": settings["OUTBOX_INTERVAL_SECONDS"]},
        "deadline-sweep": {"task": "motcua.deadlines.sweep",
                           "schedule": settings["DEADLINE_SWEEP_SECONDS"],
                           "options": {"expires": settings["DEADLINE_SWEEP_SECONDS"]}},
        "survey-sweep": {"task": "motcua.surveys.sweep", "schedule": settings["SURVEY_SWEEP_SECONDS"],
                         "options": {"expires": settings["SURVEY_SWEEP_SECONDS"]}},
        # the II.06a daily rollup: a no-op but for the first run after midnight
        "report-rollup": {"task": "motcua.reports.rollup", "schedule": 3600, "options": {"expires": 3600}},
        "login-prune": {"task": "motcua.logins.prune", "schedule": 3600, "options": {"expires": 3600}},
    },
)

_context = None


def context():
    """The worker's use-case context, built once per process (after fork)."""
    global _context
    if _context is None:
        _context = build_context(settings)
    return _context


_schedule_lock = None  # the beat's connection holding the schedule (tasks/beat_lock.py)


@signals.beat_init.connect
def _one_scheduler(**_):
    """Before scheduling anything, hold the schedule (a second beat waits as a standby)."""
    global _schedule_lock
    _schedule_lock = beat_lock.hold_schedule(settings["DATABASE_URL"])


@signals.worker_init.connect
def _without_cluster_chatter(sender=None, **_):
    """Workers here never talk to each other: no gossip, mingle or event heartbeat.

    Nothing in the product uses them (no remote revokes, no Flower), and with the Redis
    broker their consumers are what fails on a reconnect after an outage ("Error on
    restarting Gossip", celery/kombu#582; celery/celery#8030). The same as
    `--without-gossip --without-mingle --without-heartbeat` on every command line.
    """
    if sender is not None and hasattr(sender, "options"):
        sender.options.update(without_gossip=True, without_mingle=True, without_heartbeat=True)


@signals.worker_process_init.connect
def _after_fork(**_):
    global _context
    if _context is not None:
        _context.engine.dispose(close=False)
    _context = None


def handlers(ctx) -> dict:
    sender = mail_sender(settings)  # SMTP, or the development mailbox under `make run`
    sms = sms_sender(settings)
    return {**mail_handlers(ctx, sender, settings["PUBLIC_BASE_URL"], sms),
            **survey_handlers(ctx, settings, sender, sms), **code_handlers(sender, sms)}


@app.task(name="motcua.outbox.relay", bind=True)
def relay_outbox(self, batch: int | None = None) -> dict:
    ctx = context()  # the task id names the leases, so a redelivery takes them back
    counts = outbox.relay(ctx, handlers(ctx), batch or settings["OUTBOX_BATCH"], self.request.id)
    if counts["sent"] or counts["failed"]:
        log.info("outbox relay: %s", counts)
    return counts


@app.task(name="motcua.deadlines.sweep")
def sweep_deadlines() -> dict:
    counts = deadlines.sweep(context(), settings["DEADLINE_WARNING_DAYS"])
    if any(counts.values()):
        log.info("deadline sweep: %s", counts)
    return counts


@app.task(name="motcua.reports.rollup")
def refresh_report_rollup() -> dict:
    """Roll up the dossiers closed before today (safe twice: a second run adds nothing)."""
    return report_rollup.refresh_now(context())


@app.task(name="motcua.logins.prune")
def prune_login_counts() -> int:
    """Forget failed-login counts whose window has ended (workflow.services.accounts.sign_in)."""
    return sign_in.prune(context())


@app.task(name="motcua.surveys.sweep")
def sweep_surveys() -> dict:
    """Queue the invitations that waited their turn and the one reminder (SIPAS survey)."""
    counts = survey_delivery.sweep(context(), survey_config(settings))
    if any(counts.values()):
        log.info("survey sweep: %s", counts)
    return counts
