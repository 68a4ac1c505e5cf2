"""The local calendar date of a stored moment, and the moment as an integer, in SQL, on
PostgreSQL and SQLite.

Reports (II.06a, the on-time rate) and the SIPAS tallies count by the day a thing
happened in Viet Nam, not in UTC; one function spells that for both databases.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction
from sqlalchemy.types import BigInteger, Date


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


class epoch_us(GenericFunction):
    """A stored moment as whole microseconds since 1970-01-01 UTC, on both databases.
    Why: the bottleneck view places tens of thousands of event times on the office
    timeline (OfficeTimeline.position_us); integers cost far less to fetch and place
    than aware datetimes."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_us, "postgresql")
def _epoch_us_pg(element, compiler, **kw):
    (moment,) = list(element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(moment, **kw)}) * 1000000 AS BIGINT)"


@compiles(epoch_us, "sqlite")
def _epoch_us_sqlite(element, compiler, **kw):
    """SQLite keeps naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff' (UTCDateTime)."""
    (moment,) = list(element.clauses)
    m = compiler.process(moment, **kw)
    return f"(CAST(strftime('%s', {m}) AS INTEGER) * 1000000 + CAST(substr({m}, 21, 6) AS INTEGER))"
