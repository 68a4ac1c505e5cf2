"""A dossier's deadline, explained (giải trình thời hạn): how the appointment was
computed and who used the working time.

From the procedure version and the dossier's own history: the working-time budget,
when the clock started (the next opening, or the next working day after a same-day
cut-off), the non-working days skipped, each pause for a supplement with its reason
and whether the clock restarted or resumed, the postponement, and the working minutes
each holder used: the citizen while a supplement was pending, the one-stop unit, and
each agency at its steps.
"""
from __future__ import annotations

from collections import defaultdict

from workflow.domain.appointment import statutory_clock, time_text

from workflow.services.context import Context
from workflow.services.dossiers.use_cases import get

CITIZEN = "citizen"
STOPPED = ("result_ready", "returned", "rejected", "withdrawn")


def _holder(state: str, d) -> str | None:
    status, _, step = state.partition("@")
    if status in ("awaiting_documents", "supplement_requested"):
        return CITIZEN
    if status == "received":
        return d.receiving_agency
    if status == "in_progress":
        return d.procedure.steps[d.procedure.step_index(step)].agency
    return None


def explain(ctx: Context, code: str) -> dict:
    d, events = get(ctx, code)
    cal, p, now = ctx.calendar, d.procedure, ctx.now()
    holders: dict[str, int] = defaultdict(int)
    steps: dict[str, int] = defaultdict(int)
    pauses = []
    for i, e in enumerate(events):
        end = events[i + 1].at if i + 1 < len(events) else (d.closed_at or now)
        minutes = cal.working_minutes_between(e.at, end)
        holder = _holder(e.to_state, d)
        if holder is not None and e.to_state not in STOPPED:
            holders[holder] += minutes
        status, _, step = e.to_state.partition("@")
        if status == "in_progress":
            steps[step] += minutes
        if e.action == "request_supplement":
            pauses.append({"started_at": e.at,
                           "ended_at": events[i + 1].at if i + 1 < len(events) else None,
                           "reason": e.note, "working_minutes": minutes,
                           "clock_after": p.on_supplement, "documents": e.data.get("missing", [])})
    started = statutory_clock(p, d.received_at, cal).running_since if d.received_at else None
    until = d.postponed_to or d.due_at or d.appointment_at
    return {
        "code": d.code, "procedure_code": p.code, "procedure_version": p.version,
        "processing_days": p.processing_days, "minutes_per_day": cal.minutes_per_day,
        "budget_minutes": d.clock.budget if d.clock else round(p.processing_days * cal.minutes_per_day),
        "used_minutes": d.clock.used_at(now, cal) if d.clock else 0,
        "received_at": d.received_at, "clock_started_at": started,
        "cutoff": p.cutoff.strftime("%H:%M") if p.cutoff else None,
        "same_day": p.same_day, "day_unit": p.day_unit, "case": p.case, "time_text": time_text(p),
        "on_supplement": p.on_supplement, "appointment_at": d.appointment_at, "due_at": d.due_at,
        "postponed_to": d.postponed_to, "postponed_reason": d.postponed_reason,
        "skipped_days": [{"day": s.day.isoformat(), "reason": s.reason, "name": s.name}
                         for s in cal.skipped_days(started, until)] if started and until else [],
        "pauses": pauses,
        "holders": [{"holder": h, "working_minutes": m} for h, m in sorted(holders.items())],
        "steps": [{"code": s.code, "agency": s.agency, "budget_minutes": round(s.days * cal.minutes_per_day),
                   "working_minutes": steps.get(s.code, 0)} for s in p.steps],
    }
