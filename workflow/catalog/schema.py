"""Validation of procedure files (YAML) into domain `Procedure` values.

A procedure is published data, so a bad file must be refused whole with the file and
the field named; nothing from it is loaded. Pydantic does the field checks; the rules
that span fields (step days within the statutory time, unique codes) are checked here.
"""
from __future__ import annotations

import hashlib
import json
import re
from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workflow.domain.fees import Exemption
from workflow.domain.procedure import UNIT, Case, DocumentSpec, Fee, Procedure, Step

CODE = r"^[A-Z0-9_]{1,16}$"
AGENCY = r"^[A-Z0-9]+(\.[A-Z0-9]+)*$"
# an agency, or one written relative to the competent unit: "{unit}", "{unit}.TP"
AGENCY_OR_RELATIVE = r"^(\{unit\}|[A-Z0-9]+)(\.[A-Z0-9]+)*$"
SOURCE_MARK = re.compile(r"\[(?:R|U|I)(?: [^\]]{0,20})?\]")  # the catalog editors' marks: read, unconfirmed, inferred
EIGHTHS = 8  # step and procedure times are multiples of 1/8 day (one office hour)


class CatalogError(Exception):
    """A procedure file that cannot be loaded: names the file and the field."""

    def __init__(self, path: str, field: str, message: str):
        super().__init__(f"{path}: {field}: {message}")
        self.path, self.field, self.message = path, field, message


def _days(value: float) -> float:
    if value <= 0 or abs(value * EIGHTHS - round(value * EIGHTHS)) > 1e-9:
        raise ValueError("must be a positive multiple of 0.125 working day")
    return value


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1)
    copies: int = Field(1, ge=0, le=20)
    original: bool = True
    optional: bool = False
    present_only: bool = False
    note: str | None = None


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1)
    agency: str = Field(pattern=AGENCY_OR_RELATIVE, max_length=32)
    days: float

    _check_days = field_validator("days")(classmethod(lambda cls, v: _days(v)))


def _citizen_text(value: str | None, field: str) -> str | None:
    """Texts printed on the public procedure page as written (issue 18): source marks and
    the editors' remarks on the sources belong in the notes beside them."""
    if value is not None and SOURCE_MARK.search(value):
        raise ValueError(f"{field} is shown to citizens as written: put source marks "
                         "([R], [U], [I]) and remarks on the sources in the editors' notes")
    return value


class ExemptionIn(BaseModel):
    """A published ground for exemption from the fee (miễn lệ phí, phí)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE)
    ground: str = Field(min_length=1, max_length=500)


class FeeIn(BaseModel):
    """The fee schedule. `amount`, `currency`, `note` and `public_note` are the original
    keys; `paid_at` (intake | return), `basis` and `exemptions` were added by issue 21 and
    hash as before when absent (see ProcedureIn.fingerprint)."""

    model_config = ConfigDict(extra="forbid")
    amount: int = Field(ge=0, le=10 ** 12)
    currency: Literal["VND"] = "VND"
    note: str | None = None  # the editors' note on the fee and its sources
    public_note: str | None = None  # what citizens are told, printed as written
    paid_at: Literal["intake", "return"] | None = None  # when it is paid; None: not stated
    basis: str | None = None  # the legal basis of the amount
    exemptions: list[ExemptionIn] = []

    _citizen_words = field_validator("public_note")(classmethod(lambda cls, v: _citizen_text(v, "public_note")))

    @model_validator(mode="after")
    def _unique_exemptions(self):
        codes = [e.code for e in self.exemptions]
        if len(set(codes)) != len(codes):
            raise ValueError("fee.exemptions: an exemption code is repeated")
        return self


class CaseIn(BaseModel):
    """A case (trường hợp) whose time, checklist or fee differ from the procedure's."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=500)
    processing_days: float | None = None
    day_unit: Literal["working", "calendar"] | None = None
    same_day: bool | None = None
    documents: list[DocumentIn] = []
    fee: FeeIn | None = None

    @field_validator("processing_days")
    @classmethod
    def _check_days(cls, v):
        return None if v is None else _days(v)


class UnitsOfLevel(BaseModel):
    """`competent_units: {level: commune, under: H26}`: every unit of a level (an agency of
    that level whose parent is of another level, so not a ward's own offices), optionally
    only those directly under one parent. The loader turns it into the list of codes."""

    model_config = ConfigDict(extra="forbid")
    level: Literal["commune", "district", "province"]
    under: str | None = Field(None, pattern=AGENCY, max_length=32)


class ProcedureIn(BaseModel):
    """The YAML schema of one procedure version (keys may be added, never renamed)."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^\d\.\d{6}(\.[0-9A-Z.]+)?$")
    name: str = Field(min_length=1)
    field: str = Field(min_length=1)
    level: Literal["commune", "district", "province", "central"] | None = None
    agency: str = Field(pattern=AGENCY_OR_RELATIVE, max_length=32)
    competent_units: list[str] | UnitsOfLevel | None = None
    anywhere: bool = False
    effective_from: date = date(1900, 1, 1)
    effective_to: date | None = None
    processing_days: float
    cutoff: time | None = None
    fee: FeeIn = FeeIn(amount=0)
    channels: list[Literal["in_person", "online", "post"]] = Field(min_length=1)
    result: str = Field(min_length=1)
    result_code: str | None = None
    legal_basis: list[str] = []
    on_supplement: Literal["restart", "resume"] = "restart"
    same_day: bool = False
    day_unit: Literal["working", "calendar"] = "working"
    cases: list[CaseIn] = []
    appraisal_supplement: bool = False
    appraisal_supplement_basis: str | None = None
    documents: list[DocumentIn] = Field(min_length=1)
    steps: list[StepIn] = Field(min_length=1)
    time_note: str | None = None
    sources: list[str] = []
    notes: str | None = None

    _check_days = field_validator("processing_days")(classmethod(lambda cls, v: _days(v)))

    _citizen_words = field_validator("time_note")(classmethod(lambda cls, v: _citizen_text(v, "time_note")))

    @field_validator("cutoff", mode="before")
    @classmethod
    def _cutoff(cls, v):
        if isinstance(v, int):  # YAML 1.1 reads 15:00 as a sexagesimal integer
            return time(v // 60, v % 60)
        return v

    @model_validator(mode="after")
    def _cross_field(self):
        for name, items in (("documents", self.documents), ("steps", self.steps)):
            seen = set()
            for i, item in enumerate(items):
                if item.code in seen:
                    raise ValueError(f"{name}.{i}.code: '{item.code}' is repeated")
                seen.add(item.code)
        total = sum(s.days for s in self.steps)
        if total > self.processing_days + 1e-9:
            raise ValueError(f"steps: step days add up to {total:g}, more than "
                             f"processing_days {self.processing_days:g}")
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to: before effective_from")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels: repeated channel")
        self._check_counting(self.processing_days, self.day_unit, self.same_day, "")
        self._check_cases()
        self._check_units()
        if self.appraisal_supplement and not (self.appraisal_supplement_basis or "").strip():
            raise ValueError("appraisal_supplement_basis: cite the text that allows a request "
                             "to supplement during appraisal")
        return self

    @staticmethod
    def _check_counting(days: float, unit: str, same_day: bool, where: str) -> None:
        if same_day and days != 1:
            raise ValueError(f"{where}processing_days: a procedure settled within the day "
                             f"(same_day) has processing_days 1")
        if same_day and unit == "calendar":
            raise ValueError(f"{where}day_unit: same_day is counted in working days")
        if unit == "calendar" and days != int(days):
            raise ValueError(f"{where}processing_days: calendar days are whole days")

    def _check_cases(self) -> None:
        known = {d.code for d in self.documents}
        seen = set()
        for i, c in enumerate(self.cases):
            if c.code in seen:
                raise ValueError(f"cases.{i}.code: '{c.code}' is repeated")
            seen.add(c.code)
            own = set()
            for j, doc in enumerate(c.documents):
                if doc.code in known or doc.code in own:
                    raise ValueError(f"cases.{i}.documents.{j}.code: '{doc.code}' is already in the checklist")
                own.add(doc.code)
            days = c.processing_days if c.processing_days is not None else self.processing_days
            same = c.same_day if c.same_day is not None else (
                self.same_day if c.processing_days is None else False)
            self._check_counting(days, c.day_unit or self.day_unit, same, f"cases.{i}.")

    def _check_units(self) -> None:
        relative = UNIT in self.agency or any(UNIT in s.agency for s in self.steps)
        units = self.competent_units
        if relative and not units:
            raise ValueError("competent_units: a procedure whose agencies are written with "
                             "{unit} names the units competent to settle it")
        if isinstance(units, list):
            if not units:
                raise ValueError("competent_units: name at least one unit")
            for i, code in enumerate(units):
                if not re.match(AGENCY, code) or len(code) > 32:
                    raise ValueError(f"competent_units.{i}: '{code[:40]}' is not an agency code")
                if code in units[:i]:
                    raise ValueError(f"competent_units.{i}: '{code}' is repeated")

    def fingerprint(self) -> str:
        """A hash of the published content: a new version is stored when it changes."""
        data = self.model_dump(mode="json")
        for key, default in _ADDED_KEYS.items():  # keys added later hash as before at default
            if data.get(key) == default:
                data.pop(key, None)
        for fee in [data.get("fee")] + [case.get("fee") for case in data.get("cases", [])]:
            for key, default in _ADDED_FEE_KEYS.items():
                if fee and fee.get(key) == default:
                    fee.pop(key, None)
        raw = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


_ADDED_FEE_KEYS = {"public_note": None, "paid_at": None, "basis": None, "exemptions": []}
_ADDED_KEYS = {"same_day": False, "day_unit": "working", "cases": [], "appraisal_supplement": False,
               "appraisal_supplement_basis": None, "competent_units": None, "anywhere": False}


def parse_procedure(data, path: str = "<input>") -> ProcedureIn:
    """Validate raw YAML data; raise CatalogError naming the first bad field."""
    if not isinstance(data, dict):
        raise CatalogError(path, "<root>", "a procedure file must be a mapping")
    try:
        return ProcedureIn.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or _field_from(err["msg"])
        return _raise(path, loc, err["msg"])


def _field_from(msg: str) -> str:
    head = msg.removeprefix("Value error, ").split(":", 1)[0].split(" ", 1)[0]
    return head or "<root>"


def _raise(path, field, msg):
    raise CatalogError(path, field, msg.removeprefix("Value error, "))


def _fee(f: FeeIn) -> Fee:
    return Fee(amount=f.amount, currency=f.currency, note=f.note, public_note=f.public_note,
               paid_at=f.paid_at, basis=f.basis,
               exemptions=tuple(Exemption(e.code, e.ground) for e in f.exemptions))


def to_domain(p: ProcedureIn, version: int = 1) -> Procedure:
    return Procedure(
        code=p.code, name=p.name, field=p.field, agency=p.agency,
        processing_days=p.processing_days, version=version, level=p.level,
        documents=tuple(DocumentSpec(**d.model_dump()) for d in p.documents),
        steps=tuple(Step(**s.model_dump()) for s in p.steps),
        fee=_fee(p.fee), channels=tuple(p.channels), result=p.result,
        result_code=p.result_code, legal_basis=tuple(p.legal_basis),
        on_supplement=p.on_supplement, cutoff=p.cutoff, effective_from=p.effective_from,
        effective_to=p.effective_to, same_day=p.same_day, day_unit=p.day_unit,
        cases=tuple(Case(code=c.code, name=c.name, processing_days=c.processing_days,
                         day_unit=c.day_unit, same_day=c.same_day,
                         documents=tuple(DocumentSpec(**d.model_dump()) for d in c.documents),
                         fee=_fee(c.fee) if c.fee else None) for c in p.cases),
        appraisal_supplement=p.appraisal_supplement,
        appraisal_supplement_basis=p.appraisal_supplement_basis,
        # stored definitions hold the list (the loader resolves a level to its units)
        competent_units=tuple(p.competent_units) if isinstance(p.competent_units, list) else (),
        anywhere=p.anywhere,
        extra={"time_note": p.time_note, "sources": p.sources, "notes": p.notes},
    )
