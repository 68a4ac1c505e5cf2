"""Confirmation codes (mã xác nhận) for online submission: before a dossier is created from
the public site, a six-digit code goes to the applicant's phone or mail and must come back
with the submission. It proves a reachable contact (every later notice goes there) and
stops a script from filling a unit's queue.

Only the code's hash is kept; a code lasts CODE_TTL, allows MAX_TRIES wrong tries and is
used once. Sending is limited per contact and per requesting address (hashed), counted in
the database so every web process shares the counts. The limits are this product's
choice: no rule sets them.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from workflow.adapters.tables import outbox
from workflow.adapters.tables_online import submission_codes
from workflow.domain.errors import DomainError, InvalidInput, NotFound

from workflow.services.context import Context
from workflow.services.unit_of_work import UnitOfWork

CODE_TTL = timedelta(minutes=15)
MAX_TRIES = 5
PER_CONTACT_PER_HOUR = 3
PER_CLIENT_PER_HOUR = 10
PHONE = re.compile(r"^0\d{9,10}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,185}\.[^@\s]{2,}$")
TOPIC = "submission.code"


class TooManyRequests(DomainError):
    """Too many codes asked for this contact or from this address within the hour."""

    code = "too_many_requests"
    status = 429


class CodeRefused(DomainError):
    """The code is wrong, expired, used, or has had too many wrong tries."""

    code = "code_refused"
    status = 403


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def contact_of(phone: str | None, email: str | None) -> tuple[str, str]:
    """(kind, contact): the phone when given, else the mail address; checked."""
    if phone:
        phone = re.sub(r"[\s.\-]", "", phone)
        if not PHONE.match(phone):
            raise InvalidInput("a phone number is 10 or 11 digits starting with 0", field="phone")
        return "phone", phone
    if email:
        email = email.strip().lower()
        if len(email) > 254 or not EMAIL.match(email):
            raise InvalidInput("not a mail address", field="email")
        return "email", email
    raise InvalidInput("give a phone number or a mail address to receive the code", field="phone")


def request_code(ctx: Context, procedure, phone: str | None, email: str | None,
                 client: str) -> dict:
    """Send a new code for `procedure` (checked by the caller to be offered online)."""
    kind, contact = contact_of(phone, email)
    now = ctx.now()
    client_key = _hash("client", client)
    code = f"{secrets.randbelow(10**6):06d}"
    verification = secrets.token_hex(16)
    c = submission_codes.c
    with UnitOfWork(ctx.engine) as uow:
        hour_ago = now - timedelta(hours=1)
        recent = uow.conn.execute(select(
            func.count().filter(c.contact == contact), func.count().filter(c.client == client_key))
            .where(c.created_at > hour_ago, (c.contact == contact) | (c.client == client_key))).one()
        if recent[0] >= PER_CONTACT_PER_HOUR or recent[1] >= PER_CLIENT_PER_HOUR:
            raise TooManyRequests("too many codes asked within the hour; try again later")
        uow.conn.execute(insert(submission_codes).values(
            id=verification, procedure_code=procedure.code, contact_kind=kind, contact=contact,
            code_hash=_hash(verification, code), client=client_key, created_at=now,
            expires_at=now + CODE_TTL, attempts=0))
        uow.conn.execute(insert(outbox).values(
            topic=TOPIC, created_at=now, available_at=now, attempts=0,
            payload={"kind": kind, "contact": contact, "code": code,
                     "procedure": procedure.code, "procedure_name": procedure.name}))
        uow.commit()
    return {"verification": verification, "channel": kind, "expires_at": now + CODE_TTL}


def check_code(ctx: Context, verification: str, code: str, procedure_code: str) -> tuple[str, str]:
    """The verified (kind, contact) if the code is right; a wrong try is counted (and
    committed) before the refusal. The code is used only when the dossier is created
    (`use`), in that transaction."""
    c = submission_codes.c
    now = ctx.now()
    with UnitOfWork(ctx.engine) as uow:
        row = uow.conn.execute(select(submission_codes).where(c.id == str(verification)[:32])).first()
        if row is None or row.procedure_code != procedure_code:
            raise NotFound("no such confirmation request for this procedure; ask for a code",
                           field="verification")
        if row.used_at is not None or row.expires_at < now or row.attempts >= MAX_TRIES:
            raise CodeRefused("this code is used, expired or blocked; ask for a new one", field="code")
        if not hmac.compare_digest(row.code_hash, _hash(row.id, str(code).strip())):
            uow.conn.execute(update(submission_codes).where(c.id == row.id)
                             .values(attempts=c.attempts + 1))
            uow.commit()
            raise CodeRefused(f"wrong code ({MAX_TRIES - row.attempts - 1} tries left)", field="code")
        return row.contact_kind, row.contact


def use(conn, verification: str, now) -> None:
    """Mark the code used, once: a second submission with it (a race) is refused."""
    c = submission_codes.c
    done = conn.execute(update(submission_codes).where(c.id == verification, c.used_at.is_(None))
                        .values(used_at=now)).rowcount
    if done != 1:
        raise CodeRefused("this code was already used", field="code")


def code_handlers(sender, sms) -> dict:
    """The outbox handler that sends a code to the contact it was asked for."""
    def handle(message_id: int, payload: dict) -> None:
        text = (f"Ma xac nhan nop ho so truc tuyen ({payload['procedure']}): {payload['code']}. "
                f"Hieu luc {int(CODE_TTL.total_seconds() // 60)} phut. Khong cung cap ma cho nguoi khac.")
        if payload["kind"] == "phone":
            if sms is None:
                raise RuntimeError("no SMS sender is configured (SMS_*)")
            sms.send(payload["contact"], text, f"outbox-{message_id}-sms")
        else:
            sender.send(payload["contact"], f"Mã xác nhận nộp hồ sơ trực tuyến: {payload['code']}",
                        f"Mã xác nhận nộp hồ sơ \"{payload['procedure_name']}\" trực tuyến: "
                        f"{payload['code']}\n\nMã có hiệu lực {int(CODE_TTL.total_seconds() // 60)} phút. "
                        f"Không cung cấp mã này cho người khác.\n", f"<outbox-{message_id}@motcua>")
    return {TOPIC: handle}
