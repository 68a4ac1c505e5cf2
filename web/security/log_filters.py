"""Secrets never reach a log line (nhật ký không lộ mã bí mật): bearer tokens and the
citizen's link tokens (the survey's `/s/<token>`, `/api/v1/surveys/<token>`; the online
dossier's private link `/ho-so-truc-tuyen/<token>`, `/api/v1/submissions/<token>`) are
replaced by `***` in every record of the loggers that see requests: the development
server's access log (werkzeug), gunicorn's error log and the app's own. gunicorn's access
log is scrubbed field by field in web/security/access_log.py.
"""
from __future__ import annotations

import logging
import re

# the path before a link token; /api/v1/submissions/codes names an endpoint, not a token
TOKEN_PREFIX = (r"/(?:s|api/v1/surveys|ho-so-truc-tuyen|api/v1/submissions)/"
                r"(?!codes(?![^/?#\s\"']))")
PATTERNS = (
    (re.compile(rf"({TOKEN_PREFIX})[^/?#\s\"']+"), r"\1***"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',]+"), r"\1***"),
)
LOGGERS = ("werkzeug", "gunicorn.error", "gunicorn.access", "motcua.web", "web")


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Formats the record's message once, redacted, so no argument carries a token on."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


REDACT = RedactSecrets()


def init_app(app) -> None:
    for name in LOGGERS + (app.logger.name,):
        logging.getLogger(name).addFilter(REDACT)  # the same filter is added once only
