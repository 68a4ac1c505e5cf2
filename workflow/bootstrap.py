"""The composition root: builds the engine, calendar and use-case context from settings.

Web, worker and CLI all call `build_context` with their settings mapping, so the three
processes see the same database, calendar and clock.
"""
from __future__ import annotations

from datetime import date, time

from workflow.adapters.database import make_engine
from workflow.adapters.file_store import file_store
from workflow.adapters.payments import payment_gateway
from workflow.domain.calendar import BusinessCalendar
from workflow.services.context import Context


def parse_office_hours(spec: str) -> tuple[tuple[time, time], ...]:
    periods = []
    for part in spec.split(","):
        start, _, end = part.strip().partition("-")
        periods.append((time.fromisoformat(start), time.fromisoformat(end)))
    return tuple(periods)


def build_calendar(settings) -> BusinessCalendar:
    return BusinessCalendar(
        tz=settings["TIMEZONE"],
        office_hours=parse_office_hours(settings["OFFICE_HOURS"]),
        extra_days_off=[date.fromisoformat(d) for d in settings["EXTRA_DAYS_OFF"]],
        extra_working_days=[date.fromisoformat(d) for d in settings["EXTRA_WORKING_DAYS"]],
    )


def build_context(settings, engine=None) -> Context:
    engine = engine or make_engine(settings["DATABASE_URL"], settings["DB_POOL_SIZE"],
                                   settings["DB_MAX_OVERFLOW"],
                                   pool_timeout=settings.get("DB_POOL_TIMEOUT", 30),
                                   pool_recycle=settings.get("DB_POOL_RECYCLE", -1))
    files = None
    if settings.get("FILE_STORE"):
        files = file_store(settings["FILE_STORE"], settings.get("S3_ENDPOINT_URL"),
                           settings.get("S3_REGION"))
    return Context(engine=engine, calendar=build_calendar(settings),
                   code_format=settings["DOSSIER_CODE_FORMAT"], files=files,
                   file_max_bytes=settings.get("FILE_MAX_BYTES", 20 * 1024 * 1024),
                   payment_gateway=payment_gateway(settings.get("PAYMENT_GATEWAY", "dev")))
