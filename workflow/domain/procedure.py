"""A procedure (thủ tục hành chính) as the engine sees it: immutable, versioned data.

Procedures are published documents: the checklist of documents (thành phần hồ sơ), the
steps and the agency of each, the statutory time in working days (ngày làm việc), the
fee and the channels. A dossier keeps the version it was received under, so every
object here is frozen and identified by (code, version).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

CHANNELS = ("in_person", "online", "post")
SUPPLEMENT_RULES = ("restart", "resume")


@dataclass(frozen=True)
class DocumentSpec:
    """One line of the checklist (thành phần hồ sơ)."""

    code: str
    name: str
    copies: int = 1
    original: bool = True
    optional: bool = False
    present_only: bool = False
    note: str | None = None


@dataclass(frozen=True)
class Step:
    """One processing step (bước xử lý) held by one agency for a share of the time."""

    code: str
    name: str
    agency: str
    days: float


@dataclass(frozen=True)
class Fee:
    amount: int
    currency: str = "VND"
    note: str | None = None


@dataclass(frozen=True)
class Procedure:
    """One version of a procedure; `version` grows each time its published text changes."""

    code: str
    name: str
    field: str
    agency: str
    processing_days: float
    documents: tuple[DocumentSpec, ...]
    steps: tuple[Step, ...]
    version: int = 1
    level: str | None = None
    fee: Fee = Fee(0)
    channels: tuple[str, ...] = CHANNELS
    result: str = ""
    result_code: str | None = None
    legal_basis: tuple[str, ...] = ()
    on_supplement: str = "restart"
    cutoff: time | None = None
    effective_from: date = date(1900, 1, 1)
    effective_to: date | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def required_documents(self) -> tuple[str, ...]:
        """Codes the counter must see before accepting (optional lines excluded)."""
        return tuple(d.code for d in self.documents if not d.optional)

    def missing(self, presented) -> list[str]:
        """Every required document not yet presented, in checklist order."""
        have = set(presented)
        return [c for c in self.required_documents if c not in have]

    def step_index(self, code: str) -> int | None:
        for i, s in enumerate(self.steps):
            if s.code == code:
                return i
        return None

    def applies_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)
