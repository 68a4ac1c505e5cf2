"""A procedure (thủ tục hành chính) as the engine sees it: immutable, versioned data.

Procedures are published documents: the checklist of documents (thành phần hồ sơ), the
steps and the agency of each, the statutory time in working days (ngày làm việc), the
fee and the channels. A dossier keeps the version it was received under, so every
object here is frozen and identified by (code, version).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time
from functools import lru_cache

CHANNELS = ("in_person", "online", "post")
SUPPLEMENT_RULES = ("restart", "resume")
DAY_UNITS = ("working", "calendar")  # ngày làm việc | ngày (calendar days)
# A procedure published once for every unit competent to settle it (e.g. one commune-level
# procedure for all wards) writes its agencies relative to that unit: "{unit}" is the
# unit itself, "{unit}.TP" its justice officers. See `Procedure.for_unit`.
UNIT = "{unit}"


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
    """The fee schedule (lệ phí, phí) of a procedure or of one of its cases; the rules that
    use it are in workflow.domain.fees."""

    amount: int
    currency: str = "VND"
    note: str | None = None  # the editors' note (sources, what is unconfirmed)
    public_note: str | None = None  # what the public procedure page tells citizens
    paid_at: str | None = None  # intake | return; None: the schedule does not say (not enforced)
    basis: str | None = None  # the legal basis of the amount (căn cứ thu)
    exemptions: tuple = ()  # workflow.domain.fees.Exemption: the published grounds


@dataclass(frozen=True)
class Case:
    """One case (trường hợp) of a procedure whose time, documents or fee differ by case:
    e.g. a judicial record certificate is 10 days, 15 when the person lived in several
    places. `None` keeps the procedure's own value; `documents` are added to its checklist."""

    code: str
    name: str
    processing_days: float | None = None
    day_unit: str | None = None
    same_day: bool | None = None
    documents: tuple[DocumentSpec, ...] = ()
    fee: Fee | None = None


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
    # how the statutory time is counted (see workflow.domain.appointment): settled within
    # the day of receipt (before `cutoff`), or `processing_days` in working / calendar days
    same_day: bool = False
    day_unit: str = "working"
    cases: tuple[Case, ...] = ()
    case: str | None = None            # the case this value was narrowed to (for_case)
    # a second supplement request during appraisal that the procedure's own text allows
    # (e.g. the building permit): allowed once, not a repeat visit; basis cited
    appraisal_supplement: bool = False
    appraisal_supplement_basis: str | None = None
    # the units competent to settle it (cơ quan có thẩm quyền giải quyết) when the agencies
    # are written with UNIT; `unit` is the one this value was resolved for (for_unit)
    competent_units: tuple[str, ...] = ()
    unit: str | None = None
    # approved for reception and return regardless of administrative boundaries
    # (tiếp nhận, trả kết quả không phụ thuộc địa giới hành chính)
    anywhere: bool = False
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

    def case_named(self, code: str) -> Case | None:
        return next((c for c in self.cases if c.code == code), None)

    def for_case(self, code: str | None) -> "Procedure":
        """The procedure as it applies to one case: its time, day unit and fee where the
        case has its own, its documents added to the checklist. The same value (and so the
        same lifecycle machine) for every dossier of that case. Raises KeyError for an
        unknown case."""
        if not code:
            return self
        return _narrowed(self, code)

    @property
    def is_template(self) -> bool:
        """Written relative to its competent unit: settled only once a unit is named."""
        return UNIT in self.agency or any(UNIT in s.agency for s in self.steps)

    def for_unit(self, unit: str | None) -> "Procedure":
        """The procedure as the competent unit `unit` settles it: every "{unit}" in the
        receiving and step agencies replaced by the unit's code. A procedure not written
        with "{unit}" is itself (`unit` None or one of its units). Raises KeyError for a
        unit not among `competent_units`, or a template asked with no unit."""
        if unit is None and not self.is_template:
            return self
        if unit not in self.competent_units:
            raise KeyError(unit)
        return _resolved(self, unit)

    def applies_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


def resolve_agency(agency: str, unit: str) -> str:
    """An agency written relative to the competent unit ("{unit}.TP"), for one unit."""
    return agency.replace(UNIT, unit)


@lru_cache(maxsize=4096)
def _resolved(p: Procedure, unit: str) -> Procedure:
    return replace(p, unit=unit, agency=resolve_agency(p.agency, unit),
                   steps=tuple(replace(s, agency=resolve_agency(s.agency, unit)) for s in p.steps))


@lru_cache(maxsize=1024)
def _narrowed(p: Procedure, code: str) -> Procedure:
    case = p.case_named(code)
    if case is None:
        raise KeyError(code)
    known = {d.code for d in p.documents}
    return replace(
        p, case=case.code,
        processing_days=case.processing_days if case.processing_days is not None else p.processing_days,
        day_unit=case.day_unit or p.day_unit,
        same_day=case.same_day if case.same_day is not None else (
            p.same_day if case.processing_days is None else False),
        documents=p.documents + tuple(d for d in case.documents if d.code not in known),
        fee=case.fee or p.fee)
