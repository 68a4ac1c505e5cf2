"""Staff accounts (cán bộ, công chức) and their API tokens.

Passwords are stored as salted scrypt hashes (werkzeug.security); API tokens as SHA-256
digests, so a leaked database does not leak usable credentials.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from werkzeug.security import generate_password_hash

from workflow.domain.dossier import Actor
from workflow.domain.errors import InvalidInput, NotFound

from .tables import agencies, api_tokens, users

ROLES = ("counter", "officer", "supervisor", "admin")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(conn: Connection, username: str, role: str, agency: str | None,
                password: str | None = None, full_name: str | None = None) -> int:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    if role != "admin" and not agency:
        raise InvalidInput("staff other than admins belong to an agency", field="agency")
    if agency and conn.execute(select(agencies.c.code).where(agencies.c.code == agency)).first() is None:
        raise InvalidInput(f"unknown agency '{agency}'", field="agency")
    if conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise InvalidInput(f"user '{username}' already exists", field="username")
    return conn.execute(insert(users).values(
        username=username, role=role, agency=agency, full_name=full_name,
        password_hash=generate_password_hash(password) if password else None, active=True,
        created_at=datetime.now(timezone.utc)).returning(users.c.id)).scalar_one()


def issue_token(conn: Connection, username: str) -> str:
    row = conn.execute(select(users.c.id).where(users.c.username == username)).first()
    if row is None:
        raise NotFound(f"no user '{username}'", field="username")
    token = secrets.token_urlsafe(32)
    conn.execute(insert(api_tokens).values(user_id=row.id, token_hash=_digest(token),
                                           created_at=datetime.now(timezone.utc)))
    return token


def revoke_tokens(conn: Connection, username: str) -> int:
    ids = select(users.c.id).where(users.c.username == username).scalar_subquery()
    return conn.execute(update(api_tokens).where(api_tokens.c.user_id == ids,
                                                 api_tokens.c.revoked_at.is_(None))
                        .values(revoked_at=datetime.now(timezone.utc))).rowcount


def actor_for_token(conn: Connection, token: str) -> Actor | None:
    row = conn.execute(
        select(users.c.username, users.c.role, users.c.agency)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == _digest(token), api_tokens.c.revoked_at.is_(None),
               users.c.active.is_(True))).first()
    return Actor(row.username, row.role, row.agency) if row else None
