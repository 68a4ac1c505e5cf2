"""SIPAS (Chỉ số hài lòng về sự phục vụ hành chính): the questionnaire as data, and the
index maths.

The survey method of Decision 2640/QĐ-BNV (2017), renewed by Decision 1001/QĐ-BNV (2023)
for 2023–2026, groups the criteria (tiêu chí) into five elements (yếu tố): access to the
service, the administrative procedure, the civil servants, the result, and receiving and
handling feedback; each is answered on a five-point scale (mức độ hài lòng). A province
may adopt its own method (Hanoi from 2025), so the questions, the scale's labels, the
"satisfied" threshold and the element weights are a versioned questionnaire parsed from
data here, never code.

The index (the exact official formula is unconfirmed, see DOMAIN.md): a criterion's index
is the share of its answers "satisfied" or "very satisfied"; an element's index is the
mean of its criteria's indexes, which, when every criterion is answered, equals the
share of satisfied answers among all of the element's answers (the pooled share computed
here, so optional criteria left blank simply do not count); the overall SIPAS is the
weighted mean of the element indexes (equal weights by default). Pure: no clock, no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from .errors import InvalidInput

SCALE = (1, 2, 3, 4, 5)
LANGS = ("vi", "en")
# per-dossier indicators a questionnaire may map to one of its questions, so the survey
# asks about them; they are scored from the records by the bands of Circular
# 01/2018/TT-VPCP Art. 13 (workflow.domain.evaluation), never from a single answer
CITIZEN_INDICATORS = ("one_stop", "disclosure", "attitude", "feedback", "online")


class QuestionnaireError(ValueError):
    """A questionnaire file that cannot be used: names the field at fault."""

    def __init__(self, source: str, field: str, message: str):
        super().__init__(f"{source}: field '{field}': {message}")
        self.source, self.field, self.message = source, field, message


@dataclass(frozen=True)
class Text:
    """A phrase in Vietnamese (always) and English (falls back to Vietnamese)."""

    vi: str
    en: str = ""

    def get(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.vi


@dataclass(frozen=True)
class Question:
    """One criterion (tiêu chí), answered 1 (very dissatisfied) .. 5 (very satisfied)."""

    code: str
    text: Text
    optional: bool = False


@dataclass(frozen=True)
class Element:
    """One of the SIPAS elements (yếu tố) and its criteria."""

    code: str
    name: Text
    questions: tuple[Question, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class Questionnaire:
    """One version of a questionnaire (phiếu khảo sát); responses keep the version."""

    code: str
    version: str
    name: Text
    effective_from: date
    scale: tuple[Text, ...]
    elements: tuple[Element, ...]
    satisfied_from: int = 4
    method: str = ""
    comment: Text = Text("Ý kiến khác của Ông/Bà (không bắt buộc)", "Other comments (optional)")
    indicators: Mapping[str, str] = field(default_factory=dict)

    @property
    def questions(self) -> dict[str, Question]:
        return {q.code: q for e in self.elements for q in e.questions}

    def element_of(self, question_code: str) -> Element:
        return next(e for e in self.elements if any(q.code == question_code for q in e.questions))


@dataclass(frozen=True)
class Tally:
    """Answers to one element: how many, how many satisfied, their points."""

    satisfied: int = 0
    answered: int = 0
    points: int = 0

    def __add__(self, other: "Tally") -> "Tally":
        return Tally(self.satisfied + other.satisfied, self.answered + other.answered,
                     self.points + other.points)


@dataclass(frozen=True)
class Index:
    """The SIPAS index in percent, per element and overall (None: no answers)."""

    elements: dict[str, float | None]
    overall: float | None
    answers: dict[str, int]


@dataclass(frozen=True)
class Target:
    """A published target, e.g. Hanoi's Plan 143/KH-UBND: above 85% in 2023, 90–95% by 2025."""

    year: int
    low: float
    high: float | None = None


# ----------------------------------------------------------------------------------
# parsing (the questionnaire is data)
# ----------------------------------------------------------------------------------
def _text(value, source: str, where: str) -> Text:
    if isinstance(value, str) and value.strip():
        return Text(value.strip())
    if isinstance(value, dict) and isinstance(value.get("vi"), str) and value["vi"].strip():
        en = value.get("en") or ""
        if not isinstance(en, str):
            raise QuestionnaireError(source, f"{where}.en", "must be text")
        return Text(value["vi"].strip(), en.strip())
    raise QuestionnaireError(source, where, "a text, or {vi: ..., en: ...}, is required")


def parse_questionnaire(data, source: str = "<questionnaire>") -> Questionnaire:
    """Validate a questionnaire mapping (read from YAML) and build it, or raise naming the field."""
    if not isinstance(data, dict):
        raise QuestionnaireError(source, "<file>", "a mapping is required")
    for key in ("code", "version", "effective_from", "scale", "elements"):
        if data.get(key) in (None, "", []):
            raise QuestionnaireError(source, key, "is required")
    try:
        effective = data["effective_from"] if isinstance(data["effective_from"], date) \
            else date.fromisoformat(str(data["effective_from"]))
    except ValueError:
        raise QuestionnaireError(source, "effective_from", "must be a date YYYY-MM-DD") from None
    scale = data["scale"]
    if not isinstance(scale, list) or len(scale) != len(SCALE):
        raise QuestionnaireError(source, "scale", f"exactly {len(SCALE)} labels, from 1 to 5")
    labels = tuple(_text(s, source, f"scale[{i}]") for i, s in enumerate(scale))
    satisfied = data.get("satisfied_from", 4)
    if not isinstance(satisfied, int) or not 2 <= satisfied <= 5:
        raise QuestionnaireError(source, "satisfied_from", "must be a level from 2 to 5")
    if not isinstance(data["elements"], list):
        raise QuestionnaireError(source, "elements", "must be a list")
    elements, seen = [], set()
    for i, e in enumerate(data["elements"]):
        where = f"elements[{i}]"
        if not isinstance(e, dict) or not e.get("code") or not isinstance(e.get("questions"), list) \
                or not e["questions"]:
            raise QuestionnaireError(source, where, "each element needs a code and a list of questions")
        weight = e.get("weight", 1)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
            raise QuestionnaireError(source, f"{where}.weight", "must be a positive number")
        questions = []
        for j, q in enumerate(e["questions"]):
            qwhere = f"{where}.questions[{j}]"
            code = str(q.get("code") or "") if isinstance(q, dict) else ""
            if not code:
                raise QuestionnaireError(source, qwhere, "each question needs a code")
            if code in seen or code == str(e["code"]):
                raise QuestionnaireError(source, f"{qwhere}.code", f"'{code}' is used twice")
            seen.add(code)
            questions.append(Question(code, _text(q.get("text"), source, f"{qwhere}.text"),
                                      bool(q.get("optional", False))))
        if str(e["code"]) in {x.code for x in elements}:
            raise QuestionnaireError(source, f"{where}.code", f"'{e['code']}' is used twice")
        elements.append(Element(str(e["code"]), _text(e.get("name"), source, f"{where}.name"),
                                tuple(questions), float(weight)))
    indicators = data.get("indicators") or {}
    if not isinstance(indicators, dict):
        raise QuestionnaireError(source, "indicators", "must map indicator codes to question codes")
    for key, question in indicators.items():
        if key not in CITIZEN_INDICATORS:
            raise QuestionnaireError(source, f"indicators.{key}",
                                     f"unknown indicator (known: {', '.join(CITIZEN_INDICATORS)})")
        if str(question) not in seen:
            raise QuestionnaireError(source, f"indicators.{key}", f"no question '{question}'")
    comment = _text(data["comment"], source, "comment") if data.get("comment") else Questionnaire.comment
    return Questionnaire(
        code=str(data["code"]), version=str(data["version"]),
        name=_text(data.get("name") or str(data["code"]), source, "name"), effective_from=effective,
        scale=labels, elements=tuple(elements), satisfied_from=satisfied,
        method=str(data.get("method") or ""), comment=comment,
        indicators={k: str(v) for k, v in indicators.items()})


# ----------------------------------------------------------------------------------
# one response
# ----------------------------------------------------------------------------------
def validate_answers(q: Questionnaire, answers) -> dict[str, int]:
    """The answers as {question: level}; every required question answered 1..5, nothing unknown."""
    if not isinstance(answers, Mapping):
        raise InvalidInput("answers must map question codes to levels 1..5", field="answers")
    known = q.questions
    for code in answers:
        if code not in known:
            raise InvalidInput(f"no question '{code}' in questionnaire {q.code} v{q.version}",
                               field=f"answers.{code}")
    clean = {}
    for code, question in known.items():
        value = answers.get(code)
        if value in (None, ""):
            if not question.optional:
                raise InvalidInput("this question needs an answer", field=f"answers.{code}")
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value not in SCALE:
            raise InvalidInput("answer with a level from 1 to 5", field=f"answers.{code}")
        clean[code] = value
    return clean


def tallies(q: Questionnaire, answers: Mapping[str, int]) -> dict[str, Tally]:
    """Per element: answers given, answers at or above 'satisfied', points."""
    out = {}
    for e in q.elements:
        given = [answers[x.code] for x in e.questions if answers.get(x.code) is not None]
        out[e.code] = Tally(sum(1 for v in given if v >= q.satisfied_from), len(given), sum(given))
    return out


def below_satisfied(q: Questionnaire, answers: Mapping[str, int]) -> list[str]:
    """Elements whose mean answer is below 'satisfied': an unhappy answer to follow up."""
    return [code for code, t in tallies(q, answers).items()
            if t.answered and t.points < q.satisfied_from * t.answered]


# ----------------------------------------------------------------------------------
# the index over many responses
# ----------------------------------------------------------------------------------
def percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def sipas_index(q: Questionnaire, counts: Mapping[str, Tally]) -> Index:
    """The index from summed tallies: per element the share satisfied, overall the
    weighted mean of the elements that have answers."""
    elements = {e.code: percent(counts.get(e.code, Tally()).satisfied,
                                counts.get(e.code, Tally()).answered) for e in q.elements}
    weighted = [(e.weight, elements[e.code]) for e in q.elements if elements[e.code] is not None]
    total = sum(w for w, _ in weighted)
    overall = round(sum(w * v for w, v in weighted) / total, 2) if weighted else None
    return Index(elements, overall, {e.code: counts.get(e.code, Tally()).answered for e in q.elements})


def parse_targets(spec: str) -> tuple[Target, ...]:
    """'2023:85,2025:90-95' -> targets; a bad spec raises ValueError naming the part."""
    out = []
    for part in (p.strip() for p in (spec or "").split(",") if p.strip()):
        year, _, value = part.partition(":")
        low, _, high = value.partition("-")
        try:
            out.append(Target(int(year), float(low), float(high) if high else None))
        except ValueError:
            raise ValueError(f"SIPAS target '{part}' is not YEAR:LOW or YEAR:LOW-HIGH") from None
    return tuple(sorted(out, key=lambda t: t.year))
