"""Request and response schemas of the REST API (pydantic).

The same models validate requests and generate the OpenAPI document, so the
documentation cannot drift from what the server accepts.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from workflow.domain.errors import InvalidInput

from web.security import inputs

Channel = Literal["in_person", "online", "post"]
Status = Literal["submitted", "awaiting_documents", "received", "in_progress", "supplement_requested",
                 "result_ready", "returned", "rejected", "withdrawn"]
DocCode = Field(pattern=r"^[A-Z0-9_]{1,16}$")


def _rule(check):
    """An edge rule of web/security/inputs.py as a pydantic validator (its refusal names the field)."""
    def run(value):
        if value is None:
            return value
        try:
            return check(value)
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
    return AfterValidator(run)


# the kinds of text an API body carries, each bounded (docs/reference/security.md, "Input rules and limits")
Name = Annotated[str, Field(min_length=1, max_length=200), _rule(inputs.name)]
Line = Annotated[str, Field(min_length=1, max_length=40), _rule(inputs.line)]
Defect = Annotated[str, Field(min_length=1, max_length=500), _rule(inputs.text)]
Address = Annotated[str, Field(min_length=1, max_length=300), _rule(inputs.name)]
AgencyCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")]
ReturnBy = Literal["counter", "post"]
NotifyWho = Literal["applicant", "filer"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    code: str
    message: str
    field: str | None = None
    allowed: list[str] | None = None


class Error(BaseModel):
    error: ErrorBody


# -- catalog ----------------------------------------------------------------------------
class DocumentOut(BaseModel):
    code: str
    name: str
    copies: int
    original: bool
    optional: bool
    present_only: bool
    note: str | None = None


class StepOut(BaseModel):
    code: str
    name: str
    agency: str
    days: float


class FeeOut(BaseModel):
    amount: int
    currency: str
    note: str | None = Field(None, description="the catalog editors' note on the fee and its sources")
    public_note: str | None = Field(None, description="what citizens are told about the fee")
    paid_at: Literal["intake", "return"] | None = Field(None, description=(
        "when it is paid: at intake or when the result is collected; null: not stated"))
    basis: str | None = Field(None, description="the legal basis of the amount")
    exemptions: list[dict[str, str]] = Field(default_factory=list, description=(
        "the published exemption grounds: [{code, ground}]"))


class ProcedureSummary(BaseModel):
    code: str
    name: str
    field: str
    level: str | None
    agency: str
    processing_days: float
    version: int
    inter_agency: bool


class ProcedureOut(ProcedureSummary):
    effective_from: str
    effective_to: str | None
    fee: FeeOut
    channels: list[str]
    result: str
    result_code: str | None
    legal_basis: list[str]
    on_supplement: str
    cutoff: str | None
    documents: list[DocumentOut]
    steps: list[StepOut]
    time_note: str | None = None
    sources: list[str] = []


class ProcedureList(BaseModel):
    items: list[ProcedureSummary]
    total: int


# -- dossiers ---------------------------------------------------------------------------
class ApplicantIn(Strict):
    name: Name
    id_number: str | None = Field(None, pattern=r"^[0-9A-Z]{6,20}$")
    phone: str | None = Field(None, pattern=r"^\+?[0-9 .-]{8,20}$")
    email: EmailStr | None = None


class FilerIn(ApplicantIn):
    """The person who files on the applicant's behalf (người nộp thay), when not the applicant."""


class DossierIn(Strict):
    procedure_code: str = Field(min_length=1, max_length=40)
    applicant: ApplicantIn
    documents: list[Line] = Field(default_factory=list, max_length=100)
    channel: Channel = "in_person"
    defects: dict[Line, Defect] = Field(default_factory=dict, max_length=100, description=(
        "documents presented but not acceptable, with the reason: listed on the notice"))
    case: str | None = Field(None, pattern=r"^[A-Z0-9_]{1,16}$", description=(
        "the procedure's case (trường hợp) where its time, documents or fee differ by case"))
    fee_exemption: "FeeExemptionIn | None" = Field(None, description=(
        "an exemption from the fee (miễn lệ phí) the clerk records: one the procedure's fee "
        "schedule lists, with the particulars of its ground"))
    return_by: ReturnBy = Field("counter", description=(
        "how the result goes back: at the counter, or by the public postal service "
        "(Decision 45/2016/QĐ-TTg) to return_address"))
    return_address: Address | None = Field(None, description="the postal address; required when return_by is post")
    filer: FilerIn | None = Field(None, description=(
        "who files on the applicant's behalf (người nộp thay); where the checklist lists the "
        "authorisation (UQ) it must be among the documents, or authorisation_exempt say why not"))
    authorisation_exempt: Defect | None = Field(None, description=(
        "why the filer needs no authorisation (e.g. the procedure exempts a parent or spouse)"))
    notify: list[NotifyWho] = Field(default_factory=lambda: ["applicant"], min_length=1, max_length=2,
                                    description="whom the notices go to: the applicant, the filer, or both")
    competent_unit: AgencyCode | None = Field(None, description=(
        "the unit competent to settle it (cơ quan có thẩm quyền), from the applicant's address or "
        "the property's location: required for a procedure published for several units; a "
        "service point receives a procedure approved for reception regardless of administrative "
        "boundaries for any of its units"))
    return_at: AgencyCode | None = Field(None, description=(
        "the service point where the result is collected, when not the receiving one (only for "
        "a procedure approved for boundary-free reception; not with return_by post)"))


class SupplementIn(Strict):
    documents: list[Line] = Field(min_length=1, max_length=100)
    channel: Channel | None = None
    note: str | None = Field(None, max_length=2000)


class RequestSupplementIn(Strict):
    missing: list[Line] = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=1, max_length=2000)
    override_reason: str | None = Field(None, max_length=2000)


class NoteIn(Strict):
    note: str | None = Field(None, max_length=2000)


class SendBackIn(Strict):
    note: str = Field(min_length=1, max_length=2000)
    to_step: str | None = Field(None, pattern=r"^[A-Z0-9_]{1,16}$")


class ReturnIn(Strict):
    """The hand-over of the result: at the counter, or to the post office with its
    tracking number (mã vận đơn) when the result goes by post."""
    note: str | None = Field(None, max_length=2000)
    by: ReturnBy | None = Field(None, description="the channel used; the one chosen at intake when left out")
    tracking_number: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{4,40}$", description=(
        "the post office's tracking number; required when the result goes by post"))


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class PostponeIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)
    new_due_at: date | datetime = Field(description=(
        "the new return date (close of office that day) or moment, with offset"))


ACTION_BODIES: dict[str, type[BaseModel]] = {
    "accept": NoteIn, "supplement": SupplementIn, "request_supplement": RequestSupplementIn,
    "forward": NoteIn, "send_back": SendBackIn, "complete": NoteIn,
    "return_result": ReturnIn, "reject": ReasonIn, "withdraw": ReasonIn, "postpone": PostponeIn,
}


class CurrentStep(BaseModel):
    code: str
    name: str
    agency: str
    due_at: datetime | None


class ClockOut(BaseModel):
    budget_minutes: int
    used_minutes: int
    running_since: datetime | None


class EventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str
    step: str | None
    note: str | None
    data: dict


class ApplicantOut(BaseModel):
    name: str
    id_number: str | None
    phone: str | None
    email: str | None


class DossierSummary(BaseModel):
    code: str
    procedure_code: str
    agency: str
    status: Status
    current_step: CurrentStep | None
    received_at: datetime | None
    due_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    version: int


class GuidanceOut(BaseModel):
    n: int
    stage: Literal["intake", "receipt", "processing", "appraisal"]
    at: datetime
    by: str
    listed: list[str]
    absent: list[str]
    reasons: dict[str, str]


class FormLink(BaseModel):
    """One printed form of the dossier (biểu mẫu), numbered by the rules it follows."""

    form: str = Field(description="the form's number in its circular, e.g. \"03\"")
    key: str = Field(description="receipt | supplement | refusal | apology | stop | control")
    title: str
    source: str = Field(description="where the form is prescribed, e.g. Phụ lục I Thông tư 03/2025/TT-VPCP")
    html: str
    pdf: str


class FormList(BaseModel):
    items: list[FormLink]
    regime: str = Field(description="the rules the dossier follows: the decree and circular in force "
                                    "when it was received")


class DossierOut(DossierSummary):
    procedure_version: int
    procedure_name: str
    channel: Channel
    applicant: ApplicantOut
    appointment_at: datetime | None
    result_ready_at: datetime | None
    visits: int
    supplement_trips: int
    flags: list[str]
    documents: list[str]
    missing_documents: list[str]
    clock: ClockOut | None
    received_by: str | None
    repeat_visit: bool
    guidance: list[GuidanceOut]
    postponed_to: datetime | None
    postponed_reason: str | None
    allowed_actions: list[str]
    events: list[EventOut]
    files: DossierFiles | None = Field(None, description="the dossier's files; null where files are not enabled")
    return_by: ReturnBy = Field("counter", description="how the result goes (or went) back")
    return_address: str | None = None
    tracking_number: str | None = Field(None, description="the post's tracking number, once handed over")
    filer: ApplicantOut | None = Field(None, description="who filed on the applicant's behalf")
    notify: list[NotifyWho] = ["applicant"]
    competent_unit: str | None = Field(None, description=(
        "the unit competent to settle it; `agency` is the point that received it"))
    return_at: str | None = Field(None, description=(
        "the service point where the result is collected; null when it goes back by post"))


class FileOut(BaseModel):
    """A file attached to a dossier (issue 19); its content: GET /api/v1/files/{id}."""
    id: int
    name: str
    media_type: str
    size: int
    sha256: str
    pages: int | None = None
    uploaded_at: datetime
    uploaded_by: str
    kind: str = Field(description="document (a checklist document's file) or result")
    document: str | None = None
    superseded_by: int | None = Field(None, description="the file that replaced this one; both are kept")


class SignatureOut(BaseModel):
    """What a file's electronic signature says (issue 21): GET /api/v1/files/{id}/signature."""
    file: int
    signed: bool = Field(description="the file carries a PDF signature (PAdES or another)")
    signer: str | None = Field(None, description="the signer certificate's subject common name (CN)")
    organisation: str | None = Field(None, description="the signer certificate's subject organisation (O)")
    signed_at: datetime | None = Field(None, description="the signing time the signature states")
    document: Literal["intact", "modified"] | None = Field(
        None, description="whether the document changed since it was signed; null when not signed")
    chain_valid: bool | None = Field(
        None, description="the signer's certificate chains to a trust root of RESULT_TRUST_ROOTS "
        "(revocation is not checked)")
    signatures: int = Field(0, description="how many signatures the file has; the report is on the last")
    problem: str | None = Field(None, description="why the document is modified or the chain not valid")


class DossierFiles(BaseModel):
    documents: dict[str, list[FileOut]] = Field(description="by checklist document code, in upload order")
    result: list[FileOut]


class DossierList(BaseModel):
    items: list[DossierSummary]
    page: int
    per_page: int
    total: int


# -- online submission (issue 19) -------------------------------------------------------
class CodeRequestIn(Strict):
    """Ask for the confirmation code that a submission must carry (sent by SMS or mail)."""
    procedure_code: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z.\-_]{1,32}$")
    phone: str | None = Field(None, max_length=20, description="10 or 11 digits from 0; the code goes by SMS")
    email: EmailStr | None = Field(None, description="used when no phone is given; the code goes by mail")


class CodeRequestOut(BaseModel):
    verification: str = Field(description="send it back with the code in POST /api/v1/submissions")
    channel: Literal["phone", "email"]
    expires_at: datetime


class NoticeOut(BaseModel):
    """A request to supplement given to the applicant (form 02): everything missing at once."""
    at: datetime
    listed: list[str]
    reasons: dict[str, str]


class SubmissionOut(BaseModel):
    """An online dossier as its applicant sees it through the private link."""
    code: str
    procedure_code: str
    procedure_name: str
    status: Status
    submitted_at: datetime
    received_at: datetime | None
    appointment_at: datetime | None
    documents: list[str]
    missing_documents: list[str]
    notices: list[NoticeOut]
    files: list[FileOut]
    result: list[FileOut]
    link: str | None = Field(None, description="the private link (only in the answer to the submission)")
    token: str | None = Field(None, description="the private link's token (only in the answer to the "
                                                "submission; also sent to the applicant)")


# -- fees and payments (issue 21) ---------------------------------------------------------
Amount = Annotated[int, Field(strict=True, ge=-10 ** 12, le=10 ** 12, description=(
    "whole đồng (VND); negative for a refund"))]


class FeeExemptionIn(Strict):
    code: str = Field(pattern=r"^[A-Z0-9_]{1,16}$", description="the exemption's code in the schedule")
    ground: Defect | None = Field(None, description=(
        "the particulars of the ground (e.g. the certificate shown); the schedule's wording if omitted"))


class PaymentIn(Strict):
    amount: Amount
    method: Literal["cash", "transfer", "online"]
    reference: Line | None = Field(None, description="the payer's or bank's reference, if any")
    reason: Defect | None = Field(None, description="required for a refund (negative amount)")


class PaymentOut(BaseModel):
    id: int
    dossier_code: str
    receipt_no: str
    amount: int
    method: str
    reference: str | None
    gateway_reference: str | None
    reason: str | None
    day: date
    recorded_at: datetime
    recorded_by: str


class FeeStatementOut(BaseModel):
    dossier_code: str
    amount: int
    currency: str = "VND"
    paid_at: Literal["intake", "return"] | None
    basis: str | None
    exemption: str | None
    exemption_ground: str | None
    payable: int
    paid: int
    balance: int
    payments: list[PaymentOut]


# -- the hand-over of paper originals between points (issue 22) --------------------------
class OriginalTransferIn(Strict):
    to: AgencyCode = Field(description=(
        "the agency the originals go to: one the dossier concerns (the competent unit, a "
        "step's agency, the return point, the receiving point), not the one holding them"))
    documents: list[Line] = Field(min_length=1, max_length=50, description=(
        "the checklist codes of the documents presented whose paper originals are sent"))
    note: Defect | None = Field(None, description="how they travel, what is enclosed (free text)")


class OriginalTransferOut(BaseModel):
    id: int
    dossier_code: str
    from_agency: str
    to_agency: str
    documents: list[str]
    sent_at: datetime
    sent_by: str
    received_at: datetime | None
    received_by: str | None
    note: str | None


class OriginalTransfersOut(BaseModel):
    dossier_code: str
    holder: str | None = Field(description="the agency holding the originals; null while a transfer is open")
    destinations: list[str] = Field(description="where the holder may send them")
    items: list[OriginalTransferOut]


DossierIn.model_rebuild()
