"""SMS senders (tin nhắn), pluggable like the mail sender.

Without a gateway, each message is one JSON line in SMS_FILE when it is set, else a
file in the development mailbox (workflow/adapters/mailbox.py) in development, else a
line in the log: a developer sees what would have gone out. With SMS_GATEWAY_URL set, messages are POSTed
as JSON to an HTTP SMS gateway with `Authorization: Bearer SMS_GATEWAY_KEY`; each carries
a stable id derived from what it is for, so a gateway that deduplicates by id drops a
resend after a worker crash.
"""
from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .mailbox import MailboxSmsSender, dev_mailbox

log = logging.getLogger("motcua.sms")
_FILE_LOCK = threading.Lock()


class SmsError(RuntimeError):
    """The gateway refused or could not be reached: the outbox retries later."""


@dataclass(frozen=True)
class FileSmsSender:
    path: str | None = None

    def send(self, to: str, text: str, message_id: str) -> None:
        line = json.dumps({"to": to, "text": text, "id": message_id,
                           "at": datetime.now(timezone.utc).isoformat()}, ensure_ascii=False)
        if not self.path:
            log.info("SMS %s", line)
            return
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with _FILE_LOCK, open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")


@dataclass(frozen=True)
class HttpSmsSender:
    url: str
    key: str | None = None
    timeout: float = 10.0

    def send(self, to: str, text: str, message_id: str) -> None:
        body = json.dumps({"to": to, "text": text, "id": message_id}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": message_id}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                if not 200 <= resp.status < 300:
                    raise SmsError(f"SMS gateway answered {resp.status}")
        except urllib.error.HTTPError as exc:
            raise SmsError(f"SMS gateway answered {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"SMS gateway unreachable: {exc}") from None


def sms_sender(settings):
    """The configured sender: the HTTP gateway when SMS_GATEWAY_URL is set, else SMS_FILE,
    else the development mailbox, else the log."""
    if settings.get("SMS_GATEWAY_URL"):
        return HttpSmsSender(settings["SMS_GATEWAY_URL"], settings.get("SMS_GATEWAY_KEY"))
    mailbox = dev_mailbox(settings)
    if mailbox is not None and not settings.get("SMS_FILE"):
        return MailboxSmsSender(mailbox)
    return FileSmsSender(settings.get("SMS_FILE"))
