"""Request and response schemas of the survey and SIPAS API (pydantic), beside
`schemas.py`: the same models validate and document (OpenAPI) the routes."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictInt

from web.api.schemas import Strict


# -- the citizen's survey ------------------------------------------------------------
class ScaleLevel(BaseModel):
    value: int
    label: str


class SurveyQuestion(BaseModel):
    code: str
    text: str
    optional: bool


class SurveyElement(BaseModel):
    code: str
    name: str
    questions: list[SurveyQuestion]


class QuestionnaireOut(BaseModel):
    code: str
    version: str
    name: str
    satisfied_from: int
    scale: list[ScaleLevel]
    elements: list[SurveyElement]
    comment: str


class SurveyDossier(BaseModel):
    """Which service the survey is about; nothing about who the citizen is."""

    procedure_name: str | None
    agency_name: str
    outcome: Literal["returned", "rejected"]
    closed_on: date


class SurveyOut(BaseModel):
    status: Literal["open"]
    questionnaire: QuestionnaireOut
    dossier: SurveyDossier
    expires_at: datetime


class SurveyAnswerIn(Strict):
    answers: dict[Annotated[str, Field(min_length=1, max_length=40)],
                  StrictInt | None] = Field(max_length=100, 
        description="question code → level 1 (very dissatisfied) .. 5 (very satisfied)")
    comment: str | None = Field(None, max_length=2000)
    complaint: bool = Field(False, description="the comment is a complaint that needs an answer")
    lang: Literal["vi", "en"] = "vi"


class QuestionnaireRef(BaseModel):
    code: str
    version: str


class SurveyAnswerOut(BaseModel):
    status: Literal["answered"]
    questionnaire: QuestionnaireRef
    feedback_opened: bool
    feedback_due_at: datetime | None


# -- the SIPAS report --------------------------------------------------------------------
class ElementIndex(BaseModel):
    code: str
    name: str
    name_en: str
    index: float | None = Field(description="percent of answers satisfied or very satisfied")
    answers: int


class SipasGroup(BaseModel):
    index: float | None = Field(description=(
        "the unit's own satisfaction survey computed with the SIPAS method, percent; not the "
        "official SIPAS (a sample survey by the Ministry of Home Affairs)"))
    interval: tuple[float, float] | None = Field(None, description=(
        "95 % confidence interval of the index over the respondents (Wilson; approximate)"))
    elements: list[ElementIndex]
    responses: int = Field(description="the sample: surveys answered")
    invited: int
    response_rate: float | None
    evaluation_score: float | None = Field(
        description="per-dossier evaluation points over the points possible, percent")


class FeedbackCounts(BaseModel):
    opened: int
    answered: int
    answered_on_time: int
    overdue: int


class SipasOverall(SipasGroup):
    feedback: FeedbackCounts


class AgencyGroup(SipasGroup):
    agency: str
    name: str


class ProcedureGroup(SipasGroup):
    procedure_code: str
    name: str


class MonthGroup(SipasGroup):
    month: str


class TargetOut(BaseModel):
    year: int
    low: float
    high: float | None


class ReportQuestionnaire(BaseModel):
    code: str
    version: str
    method: str
    satisfied_from: int


class SipasReport(BaseModel):
    date_from: date
    date_to: date
    agency: str | None
    procedure: str | None
    questionnaire: ReportQuestionnaire
    targets: list[TargetOut]
    overall: SipasOverall
    by_agency: list[AgencyGroup]
    by_procedure: list[ProcedureGroup]
    by_month: list[MonthGroup]


# -- feedback items and the per-dossier evaluation -----------------------------------------
class FeedbackOut(BaseModel):
    id: int
    agency: str
    dossier_code: str
    opened_at: datetime
    due_at: datetime
    reason: Literal["low_score", "complaint", "both"]
    elements: list[str]
    comment: str | None
    answered_at: datetime | None
    answered_by: str | None
    answer: str | None
    overdue: bool


class FeedbackList(BaseModel):
    items: list[FeedbackOut]
    page: int
    per_page: int
    total: int


class FeedbackAnswerIn(Strict):
    answer: str = Field(min_length=1, max_length=4000)


class IndicatorOut(BaseModel):
    code: str
    name: str
    name_en: str
    value: Any = None
    points: int | None
    max: int
    source: Literal["system", "not_applicable", "not_measured", "pending"]
    facts: dict = Field(default_factory=dict, description="the records the points were read from")


class EvaluationOut(BaseModel):
    dossier: str
    answered: bool = Field(description="the citizen answered the satisfaction survey")
    basis: str = Field(description="the text whose bands score the indicators")
    points: int
    max: int
    indicators: list[IndicatorOut]
