"""Agencies (cơ quan, đơn vị) as the administrator manages them.

Codes are identities that procedures, steps, dossiers and users point to, so they are
created and renamed here but never changed or deleted.
"""
from __future__ import annotations

import re

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from workflow.domain.errors import InvalidInput, NotFound

from .tables import agencies

LEVELS = ("province", "district", "commune")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


def list_agencies(conn: Connection) -> list:
    return conn.execute(select(agencies).order_by(agencies.c.code)).all()


def agency_names(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(select(agencies.c.code, agencies.c.name)).all())


def service_points(conn: Connection, codes) -> frozenset[str]:
    """Those of `codes` that are service points (kind 'service_point'): they receive
    dossiers and hand back results whatever the applicant's place (issue 22)."""
    codes = [c for c in codes if c]
    if not codes:
        return frozenset()
    return frozenset(conn.execute(select(agencies.c.code).where(
        agencies.c.code.in_(codes), agencies.c.kind == "service_point")).scalars())


def service_point_names(conn: Connection) -> dict[str, str]:
    """Every service point with its name, by name: where a result may be collected."""
    return dict(conn.execute(select(agencies.c.code, agencies.c.name)
                             .where(agencies.c.kind == "service_point")
                             .order_by(agencies.c.name, agencies.c.code)).all())


def _check(conn: Connection, name: str, level: str | None, parent: str | None) -> None:
    if not (name or "").strip():
        raise InvalidInput("the agency needs a name", field="name")
    if level and level not in LEVELS:
        raise InvalidInput(f"level must be one of {', '.join(LEVELS)}", field="level")
    if parent and conn.execute(select(agencies.c.code).where(agencies.c.code == parent)).first() is None:
        raise InvalidInput(f"unknown parent agency '{parent}'", field="parent_code")


def create_agency(conn: Connection, code: str, name: str, level: str | None = None,
                  parent: str | None = None) -> None:
    if not CODE.match(code or ""):
        raise InvalidInput("the code is 1 to 32 letters, digits, '.', '_' or '-'", field="code")
    if conn.execute(select(agencies.c.code).where(agencies.c.code == code)).first():
        raise InvalidInput(f"agency '{code}' already exists", field="code")
    _check(conn, name, level, parent)
    conn.execute(insert(agencies).values(code=code, name=name.strip(), level=level or None,
                                         parent_code=parent or None))


def update_agency(conn: Connection, code: str, name: str, level: str | None = None,
                  parent: str | None = None) -> None:
    _check(conn, name, level, parent)
    if parent == code:
        raise InvalidInput("an agency cannot be its own parent", field="parent_code")
    done = conn.execute(update(agencies).where(agencies.c.code == code).values(
        name=name.strip(), level=level or None, parent_code=parent or None)).rowcount
    if not done:
        raise NotFound(f"no agency '{code}'", field="code")
