"""The per-dossier evaluation (đánh giá việc giải quyết thủ tục hành chính) of Circular
01/2018/TT-VPCP Art. 13-15 (Decree 61/2018/NĐ-CP Art. 31): nine indicators, each scored
2, 1 or 0 points by the bands of Art. 13 [R: the text read in a full-text copy of the
codified law]. Whether Decree 118/2025/NĐ-CP or Circular 03/2025/TT-VPCP restate or change
them was not read (unconfirmed): the same bands are applied to dossiers of both regimes.

Each indicator is scored from the records (the dossier's history and, through `Facts`,
its feedback and its agency's online service), where the text makes it objective:
1 total time (early 2, on time 1, late 0; an appointment moved by an apology is late);
2 time of each agency, step by step (faster 2, equal 1, slower 0: the worst counts);
3 contacts needed to complete the dossier (none 2, one 1, more 0), not counting those the
  applicant caused; 4 agencies contacted to complete it (none 2, only the one-stop unit 1);
5 received and returned at the one-stop unit (1; the 2-point share of procedures approved
  at the unit itself is not recorded here); 6 disclosure (published electronically in the
  catalog: 1; posting at the office is not recorded); 7 attitude (early and no complaint 2,
  on time and no complaint 1, a complaint 0); 8 feedback handled on time (none or all 2,
  90 % 1, less or one left pending past its date 0); 9 the agency's online service in the
  month of receipt (procedures online, share of dossiers online >= 30 % 2, >= 15 % 1, and no
  online dossier unresolved past its date). An indicator the records cannot score is not
  counted (Art. 15(4)(b)). Our readings where the text is silent are marked [I].
Pure: `now`, the calendar, the history and the facts are arguments.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from .clock import Clock
from .dossier import Dossier, Event, REJECTED

MAX_POINTS = 2
INDICATORS = (  # code, Vietnamese name (Art. 13), English name — in the circular's order
    ("total_time", "Tổng thời gian giải quyết thủ tục hành chính so với thời gian cho phép theo quy định",
     "Total time against the legal limit"),
    ("agency_time", "Thời gian thực hiện của từng cơ quan, đơn vị tham gia giải quyết (kể cả đơn vị "
                    "phối hợp) so với quy định", "Time taken by each agency"),
    ("contacts", "Số lần phải liên hệ với nơi tiếp nhận hồ sơ để hoàn thiện hồ sơ",
     "Contacts needed to complete the dossier"),
    ("agencies_contacted", "Số lượng cơ quan, đơn vị, tổ chức phải liên hệ để hoàn thiện hồ sơ",
     "Agencies contacted"),
    ("one_stop", "Thực hiện tổ chức tiếp nhận hồ sơ, giải quyết, trả kết quả tại Bộ phận Một cửa",
     "Received, processed and returned at the one-stop unit"),
    ("disclosure", "Công khai các thủ tục hành chính", "Disclosure of the procedures"),
    ("attitude", "Thái độ của cán bộ, công chức, viên chức khi hướng dẫn lập hồ sơ, tiếp nhận hồ sơ "
                 "và giải quyết", "Attitude of the civil servants"),
    ("feedback", "Tiếp thu, giải trình đối với các ý kiến phản ánh, kiến nghị của tổ chức, cá nhân",
     "Handling of feedback"),
    ("online", "Tiến độ và chất lượng cung cấp dịch vụ công trực tuyến của cơ quan có thẩm quyền",
     "Progress and quality of the online public service"),
)
NAMES = {code: (vi, en) for code, vi, en in INDICATORS}


@dataclass(frozen=True)
class Feedback:
    """One feedback item (phản ánh, kiến nghị) about the dossier: its due moment, when it
    was answered, and whether it complains of the staff's conduct."""

    due_at: object
    answered_at: object | None
    complaint: bool


@dataclass(frozen=True)
class OnlineService:
    """The receiving agency's online service in the month the dossier was received."""

    procedures: int              # procedures the agency receives (in force)
    procedures_online: int       # of which offered online
    dossiers: int                # dossiers received in the month
    dossiers_online: int         # of which submitted online
    online_overdue: int          # online dossiers of the month unresolved past their date, or late


@dataclass(frozen=True)
class Facts:
    """What the records outside the dossier's history say (gathered by the service)."""

    feedback: tuple[Feedback, ...] = ()
    complaint: bool = False                   # a complaint given with the survey answer
    published_online: bool = True             # the procedure is in the public catalog
    online: OnlineService | None = None


@dataclass(frozen=True)
class Indicator:
    """One scored indicator; points is None when the records cannot score it (then it is
    not counted, Art. 15(4)(b))."""

    code: str
    value: object
    points: int | None
    source: str      # system | not_applicable | not_measured | pending
    facts: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        vi, en = NAMES[self.code]
        return dict(code=self.code, name=vi, name_en=en, value=self.value, points=self.points,
                    max=MAX_POINTS, source=self.source, facts=self.facts)


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


GRADES = ((15, "xuat_sac"), (12, "tot"), (9, "kha"), (6, "trung_binh"), (0, "yeu"))


def grade(score: float) -> str:
    """An agency's class from the sum of its nine indicator scores (Art. 15(3)): 15 or more
    excellent, 12 good, 9 fair, 6 average, below 6 weak."""
    return next(name for floor, name in GRADES if score >= floor)


def timeliness(ready, appointment, tz, postponed: bool = False) -> str:
    """early | on_time | late, as the reports count it: early when ready on a day before
    the appointment's day; a moved appointment is late whatever follows."""
    if postponed:
        return "late"
    if ready.astimezone(tz).date() < appointment.astimezone(tz).date():
        return "early"
    return "on_time" if ready <= appointment else "late"


POINTS = {"early": 2, "on_time": 1, "late": 0}


def total_time(d: Dossier, calendar) -> Indicator:
    """Shorter than the legal time 2, equal 1, longer 0 (Art. 13(1)). The first
    appointment counts even if an apology moved it, and a dossier whose appointment was
    moved is late whatever follows (Decree 61/2018 Art. 19; Decree 118/2025/NĐ-CP)."""
    ready = d.result_ready_at or (d.closed_at if d.status == REJECTED else None)
    if ready is None or d.appointment_at is None:
        return Indicator("total_time", None, None, "not_applicable")
    value = timeliness(ready, d.appointment_at, calendar.tz, d.postponed_to is not None)
    return Indicator("total_time", value, POINTS[value], "system",
                     dict(ready_at=ready.isoformat(), appointment_at=d.appointment_at.isoformat(),
                          postponed=d.postponed_to is not None))


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
    """Each agency's time on its step against its share (Art. 13(2)): shorter 2, equal 1,
    longer 0, in office minutes of the step's clock (replayed from the history). The
    dossier takes the worst agency's band [I: the text scores "each agency"; one slower
    agency makes the dossier's time of agencies slower]."""
    visits = step_times(d, events, calendar)
    if not visits:
        return Indicator("agency_time", None, None, "not_applicable")
    bands = {}
    for v in visits:
        band = "early" if v["used"] < v["budget"] else "on_time" if v["used"] == v["budget"] else "late"
        worst = bands.get(v["agency"])
        if worst is None or POINTS[band] < POINTS[worst]:
            bands[v["agency"]] = band
    value = min(bands.values(), key=POINTS.get)
    return Indicator("agency_time", value, POINTS[value], "system",
                     dict(agencies={a: b for a, b in sorted(bands.items())}))


def _requests(events: Sequence[Event]) -> list[Event]:
    return [e for e in events if e.action == "request_supplement"]


def contacts(d: Dossier, events: Sequence[Event]) -> Indicator:
    """Contacts needed to complete the dossier (Art. 13(3)): none 2, one 1, more 0, not
    counting those caused by the applicant's own fault. A contact is a supplement the
    citizen brought or sent. It is the agency's doing when the request that caused it
    left the citizen a second trip the first guidance should have spared: a document that
    was missing when an earlier guidance was given but left off it, or a supervisor's
    override; otherwise (a document of the published checklist not brought, a defect in
    what was brought, the lawful appraisal request) it is the applicant's [I]."""
    supplements = [e for e in events if e.action == "supplement"]
    charged = sum(1 for e in _requests(events)
                  if e.data.get("guidance_failures") or e.data.get("override_reason"))
    points = 2 if charged == 0 else 1 if charged == 1 else 0
    return Indicator("contacts", charged, points, "system",
                     dict(contacts=len(supplements), charged_to_agency=charged,
                          applicant_caused=max(len(supplements) - charged, 0)))


def agencies_contacted(d: Dossier, events: Sequence[Event]) -> Indicator:
    """Agencies the citizen had to contact to complete the dossier (Art. 13(4)): none 2,
    only the one-stop unit 1, more 0. Every supplement goes through the one-stop unit
    (inter-agency steps pass inside, một cửa liên thông), so a completed dossier scores 2
    with no supplement and 1 with one or more; a visit to another body (a site inspection
    the law requires) is not recorded here [I]."""
    supplements = sum(1 for e in events if e.action == "supplement")
    return Indicator("agencies_contacted", 1 if supplements else 0, 1 if supplements else 2, "system",
                     dict(supplements=supplements))


def one_stop(d: Dossier) -> Indicator:
    """Received, settled and returned at the one-stop unit (Art. 13(5)): every procedure
    the product tracks is received and returned at its one-stop unit, the 1-point band;
    the 2-point band needs the share of procedures the unit itself appraises and approves
    (20 % province, 50 % district, 100 % commune), which is not recorded here."""
    return Indicator("one_stop", "received_and_returned_at_one_stop", 1, "system",
                     dict(approved_at_one_stop_share="not_measured"))


def disclosure(facts: Facts) -> Indicator:
    """Procedures published accurately, fully and on time both posted and electronically
    2, one of the two 1, not published 0 (Art. 13(6)). The electronic publication is the
    public catalog; posting at the office is not recorded here, so at most 1 is measured."""
    if not facts.published_online:
        return Indicator("disclosure", "not_published", 0, "system")
    return Indicator("disclosure", "electronic", 1, "system", dict(posted="not_measured"))


def attitude(d: Dossier, facts: Facts, calendar) -> Indicator:
    """Settled early with no complaint of harassment 2, on time with none 1, a complaint 0
    (Art. 13(7)); a complaint found untrue does not count (not recorded here: every
    complaint counts). Late with no complaint fits neither the 2- nor the 1-point band: 0 [I]."""
    complaint = facts.complaint or any(f.complaint for f in facts.feedback)
    if complaint:
        return Indicator("attitude", "complaint", 0, "system", dict(complaint=True))
    timely = total_time(d, calendar)
    if timely.points is None:
        return Indicator("attitude", None, None, "not_applicable")
    return Indicator("attitude", timely.value, timely.points, "system", dict(complaint=False))


def feedback(facts: Facts, now) -> Indicator:
    """Feedback answered on time (Art. 13(8)): none, or all on time and none dragging on
    2; at least 90 % on time and none dragging on 1; otherwise 0. One still open before
    its date cannot be scored yet."""
    items = facts.feedback
    if not items:
        return Indicator("feedback", "none", 2, "system", dict(items=0))
    on_time = sum(1 for f in items if f.answered_at is not None and f.answered_at <= f.due_at)
    dragging = sum(1 for f in items if f.answered_at is None and now > f.due_at)
    pending = sum(1 for f in items if f.answered_at is None and now <= f.due_at)
    counted = len(items) - pending
    if dragging == 0 and counted == 0:
        return Indicator("feedback", "pending", None, "pending", dict(items=len(items)))
    share = on_time / counted
    points = 0 if dragging else 2 if share == 1 else 1 if share >= 0.9 else 0
    return Indicator("feedback", round(share, 4), points, "system",
                     dict(items=len(items), on_time=on_time, overdue_open=dragging))


def online(facts: Facts) -> Indicator:
    """The agency's online service (Art. 13(9)) in the month the dossier was received: 2
    when at least 20 % of its procedures are offered online, at least 30 % of its dossiers
    came online and no online dossier is unresolved or overdue; 1 with online procedures
    and 15-30 % of dossiers online and none unresolved or overdue; otherwise 0. "Level 3
    or 4" online service is read as a procedure offering the online channel [I]."""
    o = facts.online
    if o is None or not o.procedures or not o.dossiers:
        return Indicator("online", None, None, "not_measured")
    procedures = o.procedures_online / o.procedures
    dossiers = o.dossiers_online / o.dossiers
    facts_out = dict(procedures_online_share=round(procedures, 4), dossiers_online_share=round(dossiers, 4),
                     online_overdue=o.online_overdue)
    if o.procedures_online == 0 or o.online_overdue or dossiers < 0.15:
        return Indicator("online", round(dossiers, 4), 0, "system", facts_out)
    points = 2 if procedures >= 0.2 and dossiers >= 0.3 else 1
    return Indicator("online", round(dossiers, 4), points, "system", facts_out)


def evaluate(d: Dossier, events: Sequence[Event], calendar, facts: Facts | None = None,
             now=None) -> Evaluation:
    """The nine indicators of one dossier from its records."""
    facts = facts or Facts()
    now = now or d.closed_at or d.result_ready_at or (events[-1].at if events else d.created_at)
    found = [total_time(d, calendar), agency_time(d, events, calendar), contacts(d, events),
             agencies_contacted(d, events), one_stop(d), disclosure(facts), attitude(d, facts, calendar),
             feedback(facts, now), online(facts)]
    return Evaluation(tuple(found))
