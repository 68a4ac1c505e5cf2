"""Settings as classes, read from environment variables. Imports no project code.

Embedded defaults (SQLite file, Celery on a SQLite broker) let a newcomer run the product
with no services; production points DATABASE_URL at PostgreSQL and the broker at Redis.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("MOTCUA_INSTANCE", ROOT / "instance"))
DEFAULT_SECRET_KEY = "dev-insecure-change-me"


def _env(name: str, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _dates(name: str) -> tuple[str, ...]:
    return tuple(d.strip() for d in (_env(name, "") or "").split(",") if d.strip())


class Base:
    SECRET_KEY = _env("SECRET_KEY", DEFAULT_SECRET_KEY)
    DATABASE_URL = _env("DATABASE_URL", f"sqlite:///{INSTANCE / 'motcua.db'}")
    DB_POOL_SIZE = int(_env("DB_POOL_SIZE", 10))
    DB_MAX_OVERFLOW = int(_env("DB_MAX_OVERFLOW", 10))
    CELERY_BROKER_URL = _env("CELERY_BROKER_URL", _env("REDIS_URL",
                             f"sqla+sqlite:///{INSTANCE / 'celery-broker.db'}"))
    CELERY_ALWAYS_EAGER = False
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    TIMEZONE = _env("TIMEZONE", "Asia/Ho_Chi_Minh")
    SMTP_HOST = _env("SMTP_HOST", "localhost")
    SMTP_PORT = int(_env("SMTP_PORT", 25))
    MAIL_FROM = _env("MAIL_FROM", "motcua@localhost")
    # business calendar: office hours "HH:MM-HH:MM,HH:MM-HH:MM"; extra days off and
    # make-up working days as comma-separated ISO dates (the yearly override table)
    OFFICE_HOURS = _env("OFFICE_HOURS", "08:00-12:00,13:00-17:00")
    EXTRA_DAYS_OFF = _dates("EXTRA_DAYS_OFF")
    EXTRA_WORKING_DAYS = _dates("EXTRA_WORKING_DAYS")
    DOSSIER_CODE_FORMAT = _env("DOSSIER_CODE_FORMAT", "{agency}-{day:%y%m%d}-{seq:04d}")
    OUTBOX_BATCH = int(_env("OUTBOX_BATCH", 100))
    OUTBOX_INTERVAL_SECONDS = float(_env("OUTBOX_INTERVAL_SECONDS", 10))
    DEADLINE_SWEEP_SECONDS = float(_env("DEADLINE_SWEEP_SECONDS", 300))
    DEADLINE_WARNING_DAYS = float(_env("DEADLINE_WARNING_DAYS", 1))
    JSON_MAX_BYTES = int(_env("JSON_MAX_BYTES", 1_000_000))
    TESTING = False
    DEBUG = False


class Development(Base):
    DEBUG = True


class Testing(Base):
    TESTING = True
    DATABASE_URL = _env("TEST_DATABASE_URL", "sqlite://")


class Production(Base):
    @classmethod
    def check(cls) -> None:
        """Refuse to start with settings that are only safe on a developer's machine."""
        if cls.SECRET_KEY == DEFAULT_SECRET_KEY or len(cls.SECRET_KEY) < 16:
            raise RuntimeError("SECRET_KEY must be set to a long random value in production")


CONFIGS = {"development": Development, "testing": Testing, "production": Production}


def get_config(name: str | None = None):
    name = name or _env("MOTCUA_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"MOTCUA_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
