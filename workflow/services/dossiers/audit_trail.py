"""A dossier's full audit trail (nhật ký xử lý hồ sơ) for export: every event in order,
who acted, when, from which state to which, at which step, with its note and data.

The events are append-only (the database refuses to change them, migration 0008), so an
export is evidence of what happened to the dossier, as the process-tracking slip (form 05
of Circular 01/2018/TT-VPCP) records it. Administrators may export any dossier;
supervisors, the dossiers their agency receives or processes.
"""
from __future__ import annotations

import json
from datetime import datetime

from workflow.domain.dossier import Actor, Dossier, Event
from workflow.domain.errors import Forbidden
from workflow.domain.lifecycle import involved_agencies

from workflow.services.dossiers import use_cases
from workflow.services.context import Context

COLUMNS = ("seq", "at", "actor", "action", "from_state", "to_state", "step", "note", "data")


def may_export(actor: Actor, dossier: Dossier) -> bool:
    if actor.role == "admin":
        return True
    return actor.role == "supervisor" and actor.agency in involved_agencies(dossier)


def trail(ctx: Context, actor: Actor, code: str) -> tuple[Dossier, list[Event]]:
    """The dossier and all its events, or Forbidden / NotFound."""
    dossier, events = use_cases.get_visible(ctx, actor, code)
    if not may_export(actor, dossier):
        raise Forbidden(f"{actor.username} ({actor.role}) may not export the trail of {code}: "
                        "administrators, and supervisors of the agencies involved")
    return dossier, events


def rows(events: list[Event], tz) -> list[tuple]:
    """One CSV line per event; moments in local time, data as JSON."""
    return [(e.seq, _local(e.at, tz), e.actor, e.action, e.from_state, e.to_state, e.step, e.note,
             json.dumps(e.data, ensure_ascii=False, sort_keys=True, default=str)) for e in events]


def _local(at: datetime, tz) -> str:
    return at.astimezone(tz).isoformat()
