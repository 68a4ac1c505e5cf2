"""A processing clock kept as a budget of working minutes.

Following the one-stop rules, time is counted in working time: the clock holds the
budget allowed, the time already used and the moment it has been running since (None
while paused or stopped). The due moment is derived from it and the business calendar,
so pauses, restarts and a changed holiday table all recompute the same way.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Clock:
    budget: int
    used: int = 0
    running_since: datetime | None = None

    @property
    def running(self) -> bool:
        return self.running_since is not None

    def start(self, at: datetime) -> None:
        self.running_since = at

    def pause(self, at: datetime, calendar) -> None:
        """Stop counting and bank the working minutes spent since the last start."""
        if self.running_since is not None:
            self.used += calendar.working_minutes_between(self.running_since, at)
            self.running_since = None

    def restart(self, at: datetime) -> None:
        """Start again from a full budget (the law's 'counted from the complete dossier')."""
        self.used = 0
        self.running_since = at

    def used_at(self, at: datetime, calendar) -> int:
        if self.running_since is None:
            return self.used
        return self.used + calendar.working_minutes_between(self.running_since, at)

    def due_at(self, calendar) -> datetime | None:
        """The moment the budget runs out if the clock keeps running; None while paused."""
        if self.running_since is None:
            return None
        return calendar.add_working_minutes(self.running_since, max(self.budget - self.used, 0))
