"""Staff accounts (cán bộ, công chức) and their API tokens.

Passwords are stored as salted scrypt hashes (werkzeug.security); API tokens as SHA-256
digests, so a leaked database does not leak usable credentials. Failed page logins are
counted by workflow.adapters.login_throttle, in the database, so a lock-out holds across
every web process.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.domain.dossier import Actor
from workflow.domain.errors import InvalidInput, NotFound

from . import login_throttle
from . import pg_statements as pg
from .tables import agencies, api_tokens, users

ROLES = ("counter", "officer", "supervisor", "admin")
MIN_PASSWORD = 8
# checked when the username is unknown, so a miss costs as long as a wrong password
_DUMMY_HASH = generate_password_hash("not-a-real-password")


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


# built once: it runs on every API request, and building it cost more than running it
_ACTOR_FOR_TOKEN = (select(users.c.username, users.c.role, users.c.agency)
                    .join(api_tokens, api_tokens.c.user_id == users.c.id)
                    .where(api_tokens.c.token_hash == bindparam("digest"),
                           api_tokens.c.revoked_at.is_(None), users.c.active.is_(True)))


_PG_ACTOR_FOR_TOKEN = pg.Compiled(_ACTOR_FOR_TOKEN)  # plain prepared SQL (pg_statements: why)


def actor_for_token(conn: Connection, token: str) -> Actor | None:
    if conn.dialect.name == "postgresql":
        row = _PG_ACTOR_FOR_TOKEN.run(conn, dict(digest=_digest(token))).fetchone()
        return Actor(*row) if row else None
    row = conn.execute(_ACTOR_FOR_TOKEN, dict(digest=_digest(token))).first()
    return Actor(row.username, row.role, row.agency) if row else None


# -- page logins and administration --------------------------------------------------
USER_COLUMNS = (users.c.id, users.c.username, users.c.full_name, users.c.role, users.c.agency,
                users.c.password_hash, users.c.active, users.c.last_login_at, users.c.created_at)


def check_credentials(conn: Connection, username: str, password: str, now: datetime):
    """The active account these credentials open, or None. An unknown username costs one
    hash check as a known one does, so timing does not tell them apart. Lock-outs are the
    caller's (workflow.adapters.login_throttle)."""
    row = conn.execute(select(*USER_COLUMNS).where(users.c.username == username)).first()
    if row is None or not row.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(row.password_hash, password) or not row.active:
        return None
    conn.execute(update(users).where(users.c.id == row.id).values(last_login_at=now))
    return row


def user_by_id(conn: Connection, user_id: int):
    return conn.execute(select(*USER_COLUMNS).where(users.c.id == user_id)).first()


def list_users(conn: Connection) -> list:
    return conn.execute(select(*USER_COLUMNS).order_by(users.c.agency, users.c.username)).all()


def display_names(conn: Connection, usernames) -> dict[str, str]:
    """username -> full name (or the username), for timelines and printed forms."""
    names = set(usernames)
    if not names:
        return {}
    rows = conn.execute(select(users.c.username, users.c.full_name).where(users.c.username.in_(names)))
    found = {r.username: r.full_name or r.username for r in rows}
    return {n: found.get(n, n) for n in names}


def update_user(conn: Connection, user_id: int, role: str, agency: str | None,
                full_name: str | None, active: bool) -> None:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    if role != "admin" and not agency:
        raise InvalidInput("staff other than admins belong to an agency", field="agency")
    if agency and conn.execute(select(agencies.c.code).where(agencies.c.code == agency)).first() is None:
        raise InvalidInput(f"unknown agency '{agency}'", field="agency")
    done = conn.execute(update(users).where(users.c.id == user_id).values(
        role=role, agency=agency or None, full_name=full_name or None, active=active)).rowcount
    if not done:
        raise NotFound(f"no user {user_id}", field="user")


def set_password(conn: Connection, user_id: int, password: str) -> None:
    """A new password also ends the lock-out (and, through the session check, old logins)."""
    if len(password or "") < MIN_PASSWORD:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD} characters", field="password")
    done = conn.execute(update(users).where(users.c.id == user_id).values(
        password_hash=generate_password_hash(password))).rowcount
    if not done:
        raise NotFound(f"no user {user_id}", field="user")
    unlock(conn, user_id)


def unlock(conn: Connection, user_id: int) -> None:
    """End the lock-out of the account's untrusted clients (an administrator's action)."""
    username = conn.execute(select(users.c.username).where(users.c.id == user_id)).scalar()
    if username is not None:
        login_throttle.clear(conn, login_throttle.subject_key(login_throttle.UNTRUSTED, username))
