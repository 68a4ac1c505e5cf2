"""The per-dossier evaluation (đánh giá việc giải quyết thủ tục hành chính) of Circular
01/2018/TT-VPCP, Chapter III: nine indicators, each scored 0 to 2 points (18 in all).

The system fills in from the dossier's own history the four it knows (time against the
legal limit, time taken by each agency, contacts needed, agencies contacted) instead of
asking the citizen; the other five come from the citizen's survey answers, through the
question the questionnaire maps to each. The point bands below are our reading of the
circular (unconfirmed): kept in this one module so they can be corrected in one place.
Pure: `now`, the calendar and the history are arguments.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from .clock import Clock
from .dossier import Dossier, Event, REJECTED
from .sipas import CITIZEN_INDICATORS, Questionnaire

MAX_POINTS = 2
INDICATORS = (  # code, Vietnamese name, English name — in the circular's order
    ("total_time", "Tổng thời gian giải quyết so với thời gian quy định",
     "Total time against the legal limit"),
    ("agency_time", "Thời gian thực hiện của từng cơ quan, đơn vị tham gia giải quyết",
     "Time taken by each agency"),
    ("contacts", "Số lần phải liên hệ với nơi tiếp nhận để hoàn thiện hồ sơ",
     "Contacts needed to complete the dossier"),
    ("agencies_contacted", "Số lượng cơ quan, đơn vị phải liên hệ", "Agencies contacted"),
    ("one_stop", "Tiếp nhận, giải quyết, trả kết quả tại Bộ phận Một cửa",
     "Received, processed and returned at the one-stop unit"),
    ("disclosure", "Công khai thủ tục hành chính", "Disclosure of the procedure"),
    ("attitude", "Thái độ của cán bộ, công chức", "Attitude of the civil servants"),
    ("feedback", "Tiếp nhận, xử lý phản ánh, kiến nghị", "Handling of feedback"),
    ("online", "Tiến độ và chất lượng cung cấp dịch vụ công trực tuyến",
     "Progress and quality of the online public service"),
)
NAMES = {code: (vi, en) for code, vi, en in INDICATORS}
assert set(CITIZEN_INDICATORS) <= set(NAMES)


@dataclass(frozen=True)
class Indicator:
    """One scored indicator; points is None when it does not apply or was not answered."""

    code: str
    value: object
    points: int | None
    source: str      # system | citizen | not_applicable | unanswered

    def as_dict(self) -> dict:
        vi, en = NAMES[self.code]
        return dict(code=self.code, name=vi, name_en=en, value=self.value, points=self.points,
                    max=MAX_POINTS, source=self.source)


@dataclass(frozen=True)
class Evaluation:
    indicators: tuple[Indicator, ...]

    @property
    def points(self) -> int:
        return sum(i.points for i in self.indicators if i.points is not None)

    @property
    def max_points(self) -> int:
        return MAX_POINTS * sum(1 for i in self.indicators if i.points is not None)

    def as_dict(self) -> dict:
        return dict(points=self.points, max=self.max_points,
                    indicators=[i.as_dict() for i in self.indicators])


def _band(count: int) -> int:
    """1 → 2 points, 2 → 1 point, more → 0 (contacts, agencies, late agencies + 1)."""
    return 2 if count <= 1 else 1 if count == 2 else 0


def total_time(d: Dossier, calendar) -> Indicator:
    """Early (ready on a day before the appointment) 2, on time 1, late 0. The first
    appointment counts even if an apology moved it, and a dossier whose appointment was
    moved is late whatever follows (Decree 61/2018 Art. 19; Decree 118/2025/NĐ-CP)."""
    ready = d.result_ready_at or (d.closed_at if d.status == REJECTED else None)
    if ready is None or d.appointment_at is None:
        return Indicator("total_time", None, None, "not_applicable")
    if d.postponed_to is not None:
        return Indicator("total_time", "late", 0, "system")
    tz = calendar.tz
    if ready.astimezone(tz).date() < d.appointment_at.astimezone(tz).date():
        return Indicator("total_time", "early", 2, "system")
    if ready <= d.appointment_at:
        return Indicator("total_time", "on_time", 1, "system")
    return Indicator("total_time", "late", 0, "system")


def step_times(d: Dossier, events: Sequence[Event], calendar) -> list[dict]:
    """Replay each step's clock from the history: working minutes used against the
    step's budget, per visit of a step (a send-back starts a new visit); `ended_seq` is
    the event that ended the visit."""
    proc, out, clock, current = d.procedure, [], None, None
    for e in events:
        before = (e.from_state or "").partition("@")
        after = e.to_state.partition("@")
        if before[0] == "in_progress" and (after[0] != "in_progress" or after[2] != before[2]) \
                and after[0] != "supplement_requested" and clock is not None:
            clock.pause(e.at, calendar)
            out.append(dict(current, used=clock.used, late=clock.used > clock.budget, ended_seq=e.seq))
            clock = None
        elif before[0] == "supplement_requested" and after[0] != "in_progress" and clock is not None:
            out.append(dict(current, used=clock.used, late=clock.used > clock.budget, ended_seq=e.seq))
            clock = None
        if after[0] == "in_progress" and before[0] == "supplement_requested" and clock is not None:
            start = calendar.next_opening(e.at)
            clock.restart(start) if proc.on_supplement == "restart" else clock.start(start)
        elif after[0] == "in_progress" and (before[0] != "in_progress" or before[2] != after[2]):
            step = proc.steps[proc.step_index(after[2])]
            clock = Clock(round(step.days * calendar.minutes_per_day))
            clock.start(calendar.next_opening(e.at))
            current = dict(step=step.code, agency=step.agency, budget=clock.budget)
        elif after[0] == "supplement_requested" and clock is not None:
            clock.pause(e.at, calendar)
    return out


def agency_time(d: Dossier, events: Sequence[Event], calendar) -> Indicator:
    """Every agency within its step time 2; one agency late 1; more 0."""
    visits = step_times(d, events, calendar)
    if not visits:
        return Indicator("agency_time", None, None, "not_applicable")
    late = sorted({v["agency"] for v in visits if v["late"]})
    agencies = sorted({v["agency"] for v in visits})
    return Indicator("agency_time", {"agencies": agencies, "late": late}, _band(len(late) + 1), "system")


def contacts(events: Sequence[Event]) -> Indicator:
    """The submission plus every supplement the citizen had to bring or send."""
    count = 1 + sum(1 for e in events if e.action == "supplement")
    return Indicator("contacts", count, _band(count), "system")


def agencies_contacted(d: Dossier) -> Indicator:
    """Every contact the system records is at the receiving one-stop unit; the other
    agencies' steps pass inside (một cửa liên thông), so the citizen contacted one."""
    return Indicator("agencies_contacted", 1, _band(1), "system")


def citizen_indicator(code: str, d: Dossier, q: Questionnaire | None,
                      answers: Mapping[str, int] | None) -> Indicator:
    """From the mapped answer: satisfied or better 2, one level below 1, lower 0."""
    if code == "online" and d.channel != "online":
        return Indicator(code, None, None, "not_applicable")
    question = q.indicators.get(code) if q else None
    value = (answers or {}).get(question) if question else None
    if value is None:
        return Indicator(code, None, None, "unanswered")
    points = 2 if value >= q.satisfied_from else 1 if value == q.satisfied_from - 1 else 0
    return Indicator(code, value, points, "citizen")


def evaluate(d: Dossier, events: Sequence[Event], calendar, q: Questionnaire | None = None,
             answers: Mapping[str, int] | None = None) -> Evaluation:
    """The nine indicators of one dossier, from its history and (if given) the answers."""
    known = [total_time(d, calendar), agency_time(d, events, calendar), contacts(events),
             agencies_contacted(d)]
    asked = [citizen_indicator(code, d, q, answers) for code in CITIZEN_INDICATORS]
    by_code = {i.code: i for i in known + asked}
    return Evaluation(tuple(by_code[code] for code, _, _ in INDICATORS))
