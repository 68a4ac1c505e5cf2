"""The development mailbox (hộp thư thử nghiệm): mail and SMS kept as files instead of sent.

Why: under `make run` nothing listens for mail and the SMS gateway is not configured, so a
newcomer could never see a survey link or a notice. In development, with no SMTP_HOST (and
no SMS gateway or SMS_FILE), each message is one JSON file under MAILBOX_DIR, which the
staff page /hop-thu lists and which survives restarts.

Written atomically: the message goes to a hidden temporary file in the same folder, is
flushed to disk and renamed into place, so a reader (or a restart) never sees half a
message. The name starts with the UTC time in microseconds and ends with a random part:
the worker's threads and processes never write the same file, and names sort by time.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

NAME = re.compile(r"^\d{8}T\d{12}Z-(mail|sms)-[0-9a-f]{12}\.json$")


@dataclass(frozen=True)
class Mailbox:
    path: Path

    def put(self, channel: str, to: str, body: str, message_id: str, subject: str | None = None) -> str:
        """Store one message; returns its name."""
        now = datetime.now(timezone.utc)
        name = f"{now:%Y%m%dT%H%M%S%f}Z-{channel}-{secrets.token_hex(6)}.json"
        record = {"channel": channel, "to": to, "subject": subject, "body": body,
                  "message_id": message_id, "at": now.isoformat()}
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=self.path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(record, fh, ensure_ascii=False, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path / name)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def names(self) -> list[str]:
        """Every stored message, newest first (temporary files are not messages yet)."""
        if not self.path.is_dir():
            return []
        return sorted((n for n in os.listdir(self.path) if NAME.match(n)), reverse=True)

    def read(self, name: str) -> dict | None:
        """One message by name, None for a name that is not a stored message."""
        if not NAME.match(name):
            return None
        try:
            record = json.loads((self.path / name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return dict(record, name=name)

    def latest(self, limit: int) -> list[dict]:
        return [m for m in (self.read(n) for n in self.names()[:limit]) if m is not None]


@dataclass(frozen=True)
class MailboxMailSender:
    """Sends mail into the development mailbox (same signature as SmtpSender.send)."""
    mailbox: Mailbox

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        self.mailbox.put("mail", to, body, message_id, subject)


@dataclass(frozen=True)
class MailboxSmsSender:
    """Sends text messages into the development mailbox (same signature as the SMS senders)."""
    mailbox: Mailbox

    def send(self, to: str, text: str, message_id: str) -> None:
        self.mailbox.put("sms", to, text, message_id)


def dev_mailbox(settings) -> Mailbox | None:
    """The development mailbox, when MAILBOX_DIR is set (development only, see config.py)."""
    where = settings.get("MAILBOX_DIR")
    return Mailbox(Path(where)) if where else None
