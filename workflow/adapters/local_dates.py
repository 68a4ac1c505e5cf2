"""The local calendar date of a stored moment, in SQL, on PostgreSQL and SQLite.

Reports (II.06a, the on-time rate) and the SIPAS tallies count by the day a thing
happened in Viet Nam, not in UTC; one function spells that for both databases.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import Date


class local_date(GenericFunction):
    """The calendar date of a moment in a time zone: local_date(col, 'Asia/Ho_Chi_Minh')."""

    type = Date()
    inherit_cache = True


def tz_literal(tz) -> object:
    name = getattr(tz, "key", str(tz))
    if not re.fullmatch(r"[A-Za-z0-9_/+-]+", name):
        raise ValueError(f"unexpected time zone name {name!r}")
    return literal_column(f"'{name}'")


@compiles(local_date, "postgresql")
def _local_date_pg(element, compiler, **kw):
    moment, zone = list(element.clauses)
    return f"CAST(timezone({compiler.process(zone, **kw)}, {compiler.process(moment, **kw)}) AS DATE)"


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    """SQLite stores naive UTC: shift by the zone's offset (fixed for Asia/Ho_Chi_Minh)."""
    from zoneinfo import ZoneInfo
    moment, zone = list(element.clauses)
    offset = ZoneInfo(zone.name.strip("'")).utcoffset(datetime(2000, 1, 1))
    minutes = int(offset.total_seconds() // 60)
    return f"date({compiler.process(moment, **kw)}, '{minutes:+d} minutes')"
