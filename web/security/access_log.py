"""gunicorn's access log without secrets (nhật ký truy cập không lộ mã bí mật).

A link is the citizen's only credential (the survey's `/s/<token>`, the online dossier's
`/ho-so-truc-tuyen/<token>`, and their API paths: web/security/log_filters.py TOKEN_PREFIX)
and a query string may carry anything a client put there, so every atom gunicorn offers
the log format is rewritten: query strings are dropped, link tokens become `***`, the
referer keeps only its redacted path, and credentials (Authorization, cookies) are never
available, whatever `access_log_format` asks for. Used by gunicorn.conf.py.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from gunicorn.glogging import Logger

from web.security.log_filters import TOKEN_PREFIX

SECRET_PATHS = re.compile(rf"^(?P<prefix>{TOKEN_PREFIX})[^/?#]+")
HIDDEN = ("authorization", "cookie", "set-cookie", "x-api-key")


def redact_path(path: str | None) -> str:
    """The path without its query string, link tokens replaced by ***."""
    if not path:
        return "-"
    path = path.split("?", 1)[0].split("#", 1)[0]
    return SECRET_PATHS.sub(r"\g<prefix>***", path)


def redact_url(url: str | None) -> str:
    """A referer: scheme and host kept, path redacted, query and fragment dropped."""
    if not url or url == "-":
        return "-"
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return origin + redact_path(parts.path)


class RedactingLogger(Logger):
    """gunicorn's Logger with the access-log atoms scrubbed before formatting."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("RAW_URI") or environ.get("PATH_INFO"))
        referer = redact_url(environ.get("HTTP_REFERER"))
        atoms.update({
            "r": f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}",
            "U": path, "q": "", "f": referer,
            "{raw_uri}e": path, "{path_info}e": path, "{request_uri}e": path,
            "{query_string}e": "", "{http_referer}e": referer, "{referer}i": referer,
        })
        for key in list(atoms):
            if any(word in key for word in HIDDEN):
                atoms[key] = "***"
        return atoms
