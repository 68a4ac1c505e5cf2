"""E-mail sender over SMTP (SMTP_HOST, SMTP_PORT, MAIL_FROM).

Each mail carries a Message-ID derived from its outbox message, so a mail sent twice
after a worker crash is recognisable as the same mail by any receiving system.
"""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from .mailbox import MailboxMailSender, dev_mailbox


@dataclass(frozen=True)
class SmtpSender:
    host: str
    port: int
    sender: str
    timeout: float = 10.0

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = message_id
        msg.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(msg)


def mail_sender(settings):
    """SMTP when SMTP_HOST is set or there is no development mailbox (production: always,
    localhost by default); else the development mailbox."""
    mailbox = dev_mailbox(settings)
    if mailbox is not None and not settings.get("SMTP_HOST"):
        return MailboxMailSender(mailbox)
    return SmtpSender(settings.get("SMTP_HOST") or "localhost", int(settings["SMTP_PORT"]),
                      settings["MAIL_FROM"])
