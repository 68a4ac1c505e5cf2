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
    # connections per process (docs/how-to/scale-out.md sizes them against max_connections);
    # recycled before a firewall or pgbouncer drops them idle; checked at checkout
    DB_POOL_SIZE = int(_env("DB_POOL_SIZE", 10))
    DB_MAX_OVERFLOW = int(_env("DB_MAX_OVERFLOW", 10))
    DB_POOL_TIMEOUT = float(_env("DB_POOL_TIMEOUT", 30))      # seconds to wait for a free one
    DB_POOL_RECYCLE = int(_env("DB_POOL_RECYCLE", 1800))      # seconds; -1: never
    CELERY_BROKER_URL = _env("CELERY_BROKER_URL", _env("REDIS_URL",
                             f"sqla+sqlite:///{INSTANCE / 'celery-broker.db'}"))
    CELERY_ALWAYS_EAGER = False
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    TIMEZONE = _env("TIMEZONE", "Asia/Ho_Chi_Minh")
    SMTP_HOST = _env("SMTP_HOST")  # unset: localhost, or the development mailbox
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
    # Redis broker: a task fetched by a worker that died unacknowledged is delivered
    # again after this long; must exceed the longest task (the outbox batch)
    BROKER_VISIBILITY_TIMEOUT = float(_env("BROKER_VISIBILITY_TIMEOUT", 3600))
    DEADLINE_SWEEP_SECONDS = float(_env("DEADLINE_SWEEP_SECONDS", 300))
    DEADLINE_WARNING_DAYS = float(_env("DEADLINE_WARNING_DAYS", 1))
    JSON_MAX_BYTES = int(_env("JSON_MAX_BYTES", 1_000_000))
    # a dossier's files (issue 19): a folder (default instance/files) or s3://bucket/prefix
    # with S3_ENDPOINT_URL for a non-AWS store and the credentials in AWS_ACCESS_KEY_ID /
    # AWS_SECRET_ACCESS_KEY; the largest file accepted, in bytes
    FILE_STORE = _env("FILE_STORE", str(INSTANCE / "files"))
    S3_ENDPOINT_URL = _env("S3_ENDPOINT_URL")
    S3_REGION = _env("S3_REGION")
    FILE_MAX_BYTES = int(_env("FILE_MAX_BYTES", 20 * 1024 * 1024))
    # online payment of fees (issue 21): "dev" records a made-up gateway reference and never
    # calls the network (no real gateway is wired in); "none" turns method online off
    PAYMENT_GATEWAY = _env("PAYMENT_GATEWAY", "dev")
    # signed electronic results (issue 21): a folder of the issuing agencies' keys, one
    # <AGENCY_CODE>.p12 each (unset: results are not signed); agency X's passphrase from the
    # environment variable named <RESULT_SIGNER_PASSPHRASE_ENV>_X (X in capitals, "." as "_"),
    # else from <RESULT_SIGNER_PASSPHRASE_ENV> itself; the trusted roots for verifying, PEM
    # files or folders of *.pem separated by ":"; how long the status page's download link lives
    RESULT_SIGNERS_DIR = _env("RESULT_SIGNERS_DIR")
    RESULT_SIGNER_PASSPHRASE_ENV = _env("RESULT_SIGNER_PASSPHRASE_ENV", "RESULT_SIGNER_PASSPHRASE")
    RESULT_TRUST_ROOTS = _env("RESULT_TRUST_ROOTS")
    RESULT_LINK_MINUTES = float(_env("RESULT_LINK_MINUTES", 10))
    # satisfaction survey (SIPAS) on closing: link lifetime, one reminder, one open
    # invitation per citizen at a time, the feedback deadline in working days, SMS sender
    SURVEY_TTL_DAYS = float(_env("SURVEY_TTL_DAYS", 30))
    SURVEY_REMINDER_DAYS = float(_env("SURVEY_REMINDER_DAYS", 7))     # 0: no reminder
    SURVEY_MIN_INTERVAL_DAYS = float(_env("SURVEY_MIN_INTERVAL_DAYS", 7))  # 0: no throttle
    SURVEY_FEEDBACK_DAYS = float(_env("SURVEY_FEEDBACK_DAYS", 5))    # to answer an unhappy citizen
    SURVEY_QUESTIONNAIRE = _env("SURVEY_QUESTIONNAIRE", "sipas")
    SURVEY_QUESTIONNAIRE_DIR = _env("SURVEY_QUESTIONNAIRE_DIR",
                                    str(ROOT / "workflow" / "catalog" / "questionnaires"))
    SURVEY_SWEEP_SECONDS = float(_env("SURVEY_SWEEP_SECONDS", 60))
    SIPAS_TARGETS = _env("SIPAS_TARGETS", "2023:85,2025:90-95")    # Hanoi Plan 143/KH-UBND
    SMS_GATEWAY_URL = _env("SMS_GATEWAY_URL")
    SMS_GATEWAY_KEY = _env("SMS_GATEWAY_KEY")
    SMS_FILE = _env("SMS_FILE")                                      # default sender: JSON lines
    # development mailbox (workflow/adapters/mailbox.py, page /hop-thu): with no SMTP_HOST
    # (no SMS gateway, no SMS_FILE) mail (and SMS) are files here; never in production
    MAILBOX_DIR = None
    # staff pages: session cookies, CSRF, lock-out after repeated failed logins
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = int(_env("SESSION_HOURS", 10)) * 3600  # one working day
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session (forms stay open all day)
    LOGIN_MAX_FAILURES = int(_env("LOGIN_MAX_FAILURES", 5))
    LOGIN_LOCK_MINUTES = int(_env("LOGIN_LOCK_MINUTES", 15))
    LOGIN_DEVICE_DAYS = int(_env("LOGIN_DEVICE_DAYS", 90))  # a known browser's device cookie
    # reverse proxies in front of gunicorn that append to X-Forwarded-For/-Proto: the client's
    # address (rate limits) is read that many hops back; 0: clients connect directly
    PROXY_COUNT = int(_env("PROXY_COUNT", 0))
    # rate limits (web/security/limits.py), per client address; counted in Redis when REDIS_URL is set
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", _env("REDIS_URL", "memory://"))
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_KEY_PREFIX = "motcua-limits"
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After on a 429
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: count in memory, keep serving
    # generous per address: a ward office logs in from behind one address at 8:00
    RATELIMIT_LOGIN = _env("RATELIMIT_LOGIN", "60 per minute;600 per hour")
    RATELIMIT_STATUS_LOOKUP = _env("RATELIMIT_STATUS_LOOKUP", "20 per minute")
    RATELIMIT_STATUS_MISSES = _env("RATELIMIT_STATUS_MISSES", "10 per 15 minutes")  # per code, per address
    RATELIMIT_SURVEY = _env("RATELIMIT_SURVEY", "30 per minute")
    RATELIMIT_SUBMISSION = _env("RATELIMIT_SUBMISSION", "60 per minute;600 per hour")  # per address
    DUE_SOON_HOURS = float(_env("DUE_SOON_HOURS", 4))  # queue marks a step due within this
    # pages load scripts and styles from /static only (inline style attributes allowed)
    CONTENT_SECURITY_POLICY = _env("CONTENT_SECURITY_POLICY", (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"))
    BABEL_DEFAULT_LOCALE = "vi"
    TESTING = False
    DEBUG = False


class Development(Base):
    DEBUG = True
    MAILBOX_DIR = _env("MAILBOX_DIR", str(INSTANCE / "mailbox"))


class Testing(Base):
    TESTING = True
    DATABASE_URL = _env("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"  # each test app counts alone (Redis tested on its own)


class Production(Base):
    SESSION_COOKIE_SECURE = True
    MAILBOX_DIR = None  # real mail only, and no mailbox page
    REMEMBER_COOKIE_SECURE = True

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
