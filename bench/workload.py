"""A city-year of dossiers (hồ sơ) for the benchmarks: generated from a seed, written with
COPY into a migrated PostgreSQL database, consistent enough that the dashboard, the II.06a
statistics report, the repeat-visit report and the SIPAS report read it as real data.

Why a generator and not a dump: the report targets are stated at 1M / 5M / 10M dossiers,
which no real extract gives us; the same seed gives the same rows (checked by a test
through `checksum`), so two runs compare like with like.

The city. The demo catalog (workflow/catalog/demo) is loaded with the catalog loader. It
describes one ward of the two-tier era, phường Hà Đông (H26.HD and its units); the city
repeats that ward `WARDS` times (H26.HD, then H26.P002...), each ward's units under its
own code, so scopes and agency breakdowns have a realistic fan-out. Procedures received
at city level (H26.PVHCC, H26.STC, H26.CA) stay shared; their steps at a ward's unit
(land registry branch, tax) go to the unit of a ward drawn at random.

Time runs in working minutes (minute t of the working timeline maps to a local time by
two table look-ups): converting every moment through the business calendar would
dominate the load time; the working days themselves come from the real calendar
(holidays and make-up days included). Intake happens in office hours on working days,
uniformly over `DAYS` days before "now" (a fixed moment, so the data is reproducible).

The mix, and why (shares are of dossiers unless stated):
- PROCEDURE_MIX: civil status (birth 22 %, marriage 10 %) and the judicial record (15 %)
  dominate the volume of a Hanoi ward and city one-stop unit; business households (12 %)
  and land transfers (12 %) next; building permits and first land certificates are rarer
  but long (15-27 working days) and carry the inter-agency hops (land registry, tax,
  police, social insurance); the linked birth/residence/health-insurance procedure moves
  online-only (3.000722) once it exists (2026-09-12).
- ONLINE 45 %, POST 3 %, the rest in person (where the procedure offers the channel):
  Hanoi reported roughly half of its dossiers online in 2025.
- INCOMPLETE_FIRST_VISIT 12 % of in-person intakes: the counter issues the one-time
  notice (form 02, Circular 01/2018/TT-VPCP); 85 % come back within 1-10 working days
  (a second trip), the others are withdrawn after ABANDON_AFTER working days unreceived.
- SUPPLEMENT_REQUESTED 5 % during processing (the clock restarts: on_supplement=restart);
  a third of these are for a document the counter's notice left off: the dossier is
  flagged repeat_visit and a guidance failure charged to the clerk (Decree 61/2018 Art. 18).
- Step durations are log-normal with a long tail (median STEP_MEDIAN of the step's time
  budget, sigma STEP_SIGMA); a step at another agency (an inter-agency hop, liên thông)
  takes INTER_AGENCY_FACTOR longer. This gives some 5-8 % late results, which is what
  Hanoi's published on-time rates (92-99 % by unit) imply.
- REJECTED 2 %, WITHDRAWN 1 % during processing; NEVER_COLLECTED 2 % of results stay at
  the desk; the others are collected after 30 minutes to 10 working days.
- Surveys (SIPAS): one per dossier closed with a result or a rejection; REACHABLE 90 %
  (a phone or e-mail), RESPONSE 25 % of those answer (ANSWER_LEVELS, worse when late);
  an answer below "satisfied" opens a feedback item (phản ánh, kiến nghị). The SIPAS
  report's tallies are then summed from the copied answers (`fill_tallies`).
- Boundary-free reception (issue 22; tiếp nhận không phụ thuộc địa giới hành chính: Hanoi
  from 2025-10-01, see workflow/domain/boundary_free.py; extended to the whole system,
  wards' procedures included, from 2025-11-15: VietnamPlus and Dân trí, 2025-11-18).
  BOUNDARY_FREE_SHARE 10 % of the in-person dossiers of a ward procedure
  (receiving agency H26.HD in the demo catalog) received on or after BOUNDARY_FREE_FROM
  are taken in at another service point: AT_CITY_POINT 20 % of them at the city's centre
  (H26.PVHCC), the others at another ward drawn uniformly. THESE THREE SHARES ARE
  ASSUMPTIONS, not published figures: no share of boundary-free dossiers in Hanoi was
  found (searched 2026-12-07: the city's announcements give the procedures covered -
  1,038, of which 249 commune-level, Việt Nam News 2025-11-20 - not the volume received
  that way). The nearest published figure is the commune-level channel split, 1 July -
  23 September 2025: 40.05 % direct, 59.71 % online, 0.24 % by post (Lao Động,
  2025-10-03, report of the city's centre); it is why only in-person dossiers are moved
  (an online dossier has no counter). Change the share with --boundary-free-share.
  Such a dossier: `agency` (and the code prefix, the clerk, the visits, the guidance
  failures, the survey) = the receiving point; `competent_unit` = the ward whose offices
  hold the steps (its own desk's steps, TN and TKQ, by that desk's clerks);
  `return_at` = the receiving point, or RETURN_AT_COMPETENT 20 % (assumption) the
  competent ward, whose clerk then hands the result back. Everyone else:
  competent_unit = return_at = agency. The wards' desks and H26.PVHCC are service points
  (agencies.kind). Hanoi's move of paper results to the post from 2026-01-01 (Lao Động)
  is not modelled: return_at stays a counter.
- Files (issue 19): no file is written (`dossier_files` stays empty), but the moments the
  digitisation report counts are, at their worst case for its partial indexes (migrations
  0028 and 0029: the more dossiers have them, the larger the indexes it reads): every
  received dossier is digitised at reception (digitised_at = received_at) and every
  dossier with a result has it filed electronically when it is ready (result_filed_at =
  result_ready_at). This is Hanoi's rule, not a measured share: every result is issued
  as an electronic copy too (Decree 118/2025/NĐ-CP, Art. 22(1); "Hà Nội: 100% kết quả
  thủ tục hành chính trả qua bản điện tử", doanhnghiephoinhap.vn) and from 2025-09-01
  every dossier is received through the online system (Decision 1204/QĐ-TTPVHCC of the
  city's Public Administration Service Centre, reported by Hà Nội tin mỗi chiều). With
  the default "now" (2026-11-27) the whole generated year falls after that date (an
  earlier --now would apply the rule before it too). Dossiers never received (still at
  the counter, or abandoned there) have neither moment; rejected and withdrawn ones have
  no result.

Generating it in worker processes and copying it into PostgreSQL is bench/city_load.py's
(usage there).
"""
from __future__ import annotations

import bisect
import json
import random
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from sqlalchemy import select, text  # noqa: E402

from workflow.adapters.database import make_engine  # noqa: E402
from workflow.adapters.migrations import upgrade  # noqa: E402
from workflow.adapters.tables import procedures  # noqa: E402
from workflow.services.importing.catalog import DEMO_DIR, load  # noqa: E402
from workflow.domain import sipas  # noqa: E402
from workflow.domain.boundary_free import SERVICE_POINT  # noqa: E402
from workflow.domain.calendar import BusinessCalendar  # noqa: E402
from workflow.services.surveys.config import load_versions, stored_id  # noqa: E402

QUESTIONNAIRES = HERE.parent / "workflow" / "catalog" / "questionnaires"
DAY = 480                      # working minutes in a day (08:00-12:00, 13:00-17:00)
DAYS = 365                     # a city-year of intake
WARDS = 126                    # Hanoi's communes and wards from 2025-07-01
WARD_UNITS = ("", ".LD", ".TP", ".KT", ".CA", ".VPDK", ".THUE")
PROCEDURE_MIX = {"1.001193": 22, "1.000894": 10, "3.000333": 15, "1.001612": 12, "1.013831": 12,
                 "2.001583": 9, "2.000986": 8, "3.000722": 4, "1.013225": 5, "1.013978": 3}
ONLINE, POST = 0.45, 0.03
INCOMPLETE_FIRST_VISIT, COME_BACK, ABANDON_AFTER = 0.12, 0.85, 30 * DAY
SUPPLEMENT_REQUESTED, GUIDANCE_FAILURE = 0.05, 1 / 3
STEP_MEDIAN, STEP_SIGMA, INTER_AGENCY_FACTOR = 0.33, 0.7, 1.25
REJECTED, WITHDRAWN, NEVER_COLLECTED = 0.02, 0.01, 0.02
REACHABLE, RESPONSE = 0.90, 0.25
# Boundary-free reception (issue 22): ASSUMPTIONS, no published share was found (see the docstring)
DEMO_WARD, CITY_POINT = "H26.HD", "H26.PVHCC"
BOUNDARY_FREE_FROM = date(2025, 10, 1)
BOUNDARY_FREE_SHARE = 0.10      # of in-person dossiers of a ward procedure: taken in at another point
AT_CITY_POINT = 0.20            # of those: at the city's centre (H26.PVHCC); the rest at another ward
RETURN_AT_COMPETENT = 0.20      # of those: the result is collected at the competent ward, else where received
ANSWER_LEVELS = ((5, 0.46), (4, 0.38), (3, 0.10), (2, 0.04), (1, 0.02))
OFFICERS_PER_UNIT, CLERKS_PER_DESK = 3, 2
N = "\\N"

TABLES = {  # table -> COPY columns, in the order the generator writes them
    "dossiers": tuple("""id code procedure_id procedure_code agency status step_code step_agency channel
        applicant_name applicant_phone documents missing_documents flags visits supplement_trips created_at
        received_at due_at appointment_at result_ready_at closed_at clock_budget clock_used clock_since
        step_budget step_used step_since step_started_at step_due_at received_by repeat_visit guidance
        due_level step_due_level step_officers step_officer last_seq version competent_unit return_at
        digitised_at result_filed_at handed_over_at""".split()),
    "dossier_events": tuple("dossier_id seq at actor action from_state to_state step data".split()),
    "visits": tuple("dossier_id at kind channel trip served_by agency procedure_code".split()),
    "guidance_failures": tuple("dossier_id at clerk document stage agency procedure_code".split()),
    "surveys": tuple("""id dossier_id dossier_code agency procedure_code outcome closed_at period
        questionnaire_id nonce channels reachable created_at invite_queued_at expires_at invited_at
        answered_at""".split()),
    "survey_responses": tuple("""id survey_id questionnaire_id answered_at lang answers complaint unhappy
        evaluation evaluation_points evaluation_max""".split()),
    "survey_scores": tuple("response_id element satisfied answered points".split()),
    "survey_feedback": tuple("id survey_id agency dossier_code opened_at due_at reason elements".split()),
}


# -- the city: catalog, agencies, plans ----------------------------------------------------
def ward_codes(n: int = WARDS) -> list[str]:
    return ["H26.HD"] + [f"H26.P{i:03d}" for i in range(2, n + 1)]


def in_ward(agency: str, ward: str) -> str:
    """The unit of `ward` that does what the demo ward's `agency` does (or what "{unit}"
    names in a procedure published for every ward)."""
    for own in ("H26.HD", "{unit}"):
        if agency == own or agency.startswith(own + "."):
            return ward + agency[len(own):]
    return agency


def prepare(url: str, wards: int = WARDS) -> dict:
    """Migrate; load the demo catalog and the questionnaire; add the city's wards.
    Returns what the generator needs (plain data, picklable for the worker processes)."""
    upgrade(url)
    engine = make_engine(url, 1, 0)
    report = load(engine, [DEMO_DIR])
    if report.errors:
        raise SystemExit(f"demo catalog: {report.errors}")
    now = datetime.now(timezone.utc)
    codes = ward_codes(wards)
    with engine.begin() as conn:
        demo = conn.execute(text("SELECT code, name, level, parent_code FROM agencies "
                                 "WHERE code = 'H26.HD' OR code LIKE 'H26.HD.%'")).all()
        rows = [dict(c=in_ward(c, w), n=f"{n} ({w})", l=lv, p=in_ward(p, w) if p else None)
                for w in codes[1:] for c, n, lv, p in demo]
        if rows:
            conn.execute(text("INSERT INTO agencies (code, name, level, parent_code) VALUES (:c, :n, :l, :p) "
                              "ON CONFLICT (code) DO NOTHING"), rows)
        # the wards' one-stop desks and the city's centre receive and hand back for any unit
        conn.execute(text("UPDATE agencies SET kind = :k WHERE code = ANY(:codes)"),
                     dict(k=SERVICE_POINT, codes=[CITY_POINT, *codes]))
        version = max(load_versions(str(QUESTIONNAIRES)), key=lambda v: v.questionnaire.effective_from)
        qid = stored_id(conn, version, now)
        versions = conn.execute(select(procedures.c.id, procedures.c.code, procedures.c.agency,
                                       procedures.c.effective_from, procedures.c.effective_to,
                                       procedures.c.definition)
                                .where(procedures.c.code.in_(list(PROCEDURE_MIX)))
                                .order_by(procedures.c.code, procedures.c.effective_from)).all()
    engine.dispose()
    plans = []
    for v in versions:
        d = v.definition
        plans.append(dict(
            id=v.id, code=v.code, agency=v.agency, first=v.effective_from, last=v.effective_to,
            budget=round(float(d["processing_days"]) * DAY), channels=list(d["channels"]),
            required=[x["code"] for x in d["documents"] if not x.get("optional")],
            steps=[(s["code"], s["agency"], round(float(s["days"]) * DAY)) for s in d["steps"]]))
    return dict(wards=codes, plans=plans, questionnaire_id=qid,
                questionnaire=version.definition)


class Timeline:
    """Working-minute coordinates: minute t of the working timeline -> local text."""

    def __init__(self, cal: BusinessCalendar, now: datetime, back_days: int = DAYS + 60):
        today = now.astimezone(cal.tz).date()
        days = [d for d in (today + timedelta(days=k) for k in range(-back_days, 200)) if cal.is_working_day(d)]
        self.days = days
        self.day_text = [x.isoformat() + " " for x in days]
        self.day_code = [f"{x:%y%m%d}" for x in days]
        self.hhmm = [f"{8 + (m + (60 if m >= 240 else 0)) // 60:02d}:{m % 60:02d}:00+07" for m in range(DAY)]
        i = days.index(today) if today in days else next(j for j, x in enumerate(days) if x > today)
        local = now.astimezone(cal.tz)
        minute = (local.hour - 8) * 60 + local.minute - (60 if local.hour >= 13 else 0)
        self.now = i * DAY + max(0, min(DAY - 1, minute if days[i] == today else 0))
        first = today - timedelta(days=DAYS)
        self.start = next(j for j, x in enumerate(days) if x >= first) * DAY
        self.end = len(days) * DAY - 1

    def text(self, t: int) -> str:
        i, m = divmod(min(t, self.end), DAY)
        return self.day_text[i] + self.hhmm[m]

    def day(self, t: int) -> date:
        return self.days[min(t, self.end) // DAY]


# -- one dossier ---------------------------------------------------------------------------
class Maker:
    """Turns (dossier id, random stream) into COPY lines for every table."""

    def __init__(self, city: dict, tl: Timeline):
        self.tl, self.city, self.wards = tl, city, city["wards"]
        self.qid = city["questionnaire_id"]
        self.boundary_free_share = city.get("boundary_free_share", BOUNDARY_FREE_SHARE)
        q = sipas.parse_questionnaire(city["questionnaire"], "bench")
        self.elements = [e.code for e in q.elements]
        self.answer_pool = self._answers(q, random.Random(1))
        # per working day: cumulative weights of the procedure versions in force
        self.by_day: dict[date, tuple[list, list]] = {}
        for day in set(tl.days):
            found = [(PROCEDURE_MIX[p["code"]], p) for p in city["plans"]
                     if p["first"] <= day and (p["last"] is None or day <= p["last"])]
            acc, total = [], 0
            for w, _ in found:
                total += w
                acc.append(total)
            self.by_day[day] = (acc, [p for _, p in found])

    @staticmethod
    def _answers(q, rnd: random.Random, size: int = 512) -> tuple[list, list]:
        """Pools of answer sheets (answers, tallies, unhappy elements): each sheet's answers
        scatter around one overall mood drawn from ANSWER_LEVELS. Split happy / unhappy."""
        levels, weights = zip(*ANSWER_LEVELS)
        happy, unhappy = [], []
        for _ in range(size):
            mood = rnd.choices(levels, weights)[0]
            answers = {x.code: min(5, max(1, mood + rnd.choice((0, 0, 0, 1) if mood >= 4 else (-1, 0, 0, 1))))
                       for e in q.elements for x in e.questions if not x.optional or rnd.random() < .5}
            low = sipas.below_satisfied(q, answers)
            (unhappy if low else happy).append((json.dumps(answers), [
                (c, t.satisfied, t.answered, t.points) for c, t in sipas.tallies(q, answers).items()], low))
        return happy, unhappy

    def plan(self, rnd: random.Random, t: int) -> dict:
        acc, plans = self.by_day[self.tl.day(t)]
        return plans[bisect.bisect_right(acc, rnd.random() * acc[-1])]

    def make(self, i: int, rnd: random.Random) -> dict[str, list[str]]:
        tl, tx = self.tl, self.tl.text
        out: dict[str, list[str]] = {k: [] for k in TABLES}
        first = rnd.randrange(tl.start, tl.now)
        p = self.plan(rnd, first)
        ward = rnd.choice(self.wards)
        desk = unit = in_ward(p["agency"], ward)  # receiving point; competent unit
        steps = [(c, in_ward(a, ward), b) for c, a, b in p["steps"]]
        desk_clerk = rnd.randrange(CLERKS_PER_DESK) + 1
        r = rnd.random()
        channel = ("online" if r < ONLINE else "post" if r < ONLINE + POST else "in_person")
        if channel not in p["channels"]:
            channel = p["channels"][0] if len(p["channels"]) == 1 else "in_person"
        return_at = desk
        if (channel == "in_person" and self.boundary_free_share and p["agency"] == DEMO_WARD
                and tl.day(first) >= BOUNDARY_FREE_FROM and rnd.random() < self.boundary_free_share):
            # taken in at another point (boundary-free); the steps stay at the competent ward
            if len(self.wards) < 2 or rnd.random() < AT_CITY_POINT:
                desk = CITY_POINT
            else:
                j = rnd.randrange(len(self.wards) - 1)
                desk = self.wards[j] if self.wards[j] != ward else self.wards[-1]
            return_at = unit if rnd.random() < RETURN_AT_COMPETENT else desk
        clerk = f"{desk.lower()}.motcua{desk_clerk}"
        unit_clerk = f"{unit.lower()}.motcua{desk_clerk}"  # the competent ward's desk, for its own steps
        return_clerk = clerk if return_at == desk else unit_clerk
        ev: list[tuple] = []  # (t, actor, action, from, to, step)
        visits: list[tuple] = [(first, "submission", channel, clerk)]
        failures: list[tuple] = []
        trips = int(channel == "in_person")
        supplement_trips = 0
        t0 = first
        if channel == "in_person" and rnd.random() < INCOMPLETE_FIRST_VISIT:
            ev.append((first, clerk, "intake", None, "awaiting_documents", None))
            if rnd.random() < COME_BACK:
                t0 = first + rnd.randint(DAY, 10 * DAY)
                ev.append((t0, clerk, "supplement", "awaiting_documents", "received", None))
                visits.append((t0, "supplement", "in_person", clerk))
                trips, supplement_trips = trips + 1, 1
            else:
                ev.append((first + ABANDON_AFTER, clerk, "withdraw", "awaiting_documents", "withdrawn", None))
                t0 = None
        else:
            ev.append((first, clerk, "intake", None, "received", None))
        repeat_visit = False
        if t0 is not None:
            due = appointment = t0 + p["budget"]
            clock_since, t, prev, fate = t0, t0 + rnd.randint(5, 120), "received", rnd.random()
            stop_at = rnd.randrange(len(steps)) if fate < REJECTED + WITHDRAWN else None
            ask_at = rnd.randrange(1, len(steps)) if rnd.random() < SUPPLEMENT_REQUESTED and len(steps) > 1 else None
            holder = clerk  # whoever holds the dossier forwards it on
            for k, (step, agency, budget) in enumerate(steps):
                state = "in_progress@" + step
                officer = clerk if agency == desk else unit_clerk if agency == unit else \
                    f"{agency.lower()}.cb{rnd.randrange(OFFICERS_PER_UNIT) + 1}"
                ev.append((t, holder, "forward", prev, state, step))
                holder = officer
                factor = INTER_AGENCY_FACTOR if agency != unit and not agency.startswith(unit + ".") else 1.0
                d = max(5, int(budget * STEP_MEDIAN * factor * rnd.lognormvariate(0, STEP_SIGMA)))
                enter = t
                if ask_at == k:  # a supplement request; the clock restarts when it comes back
                    ask, online = t + d // 2, rnd.random() < 0.4
                    back = ask + rnd.randint(DAY // 2, 10 * DAY)
                    ev += [(ask, officer, "request_supplement", state, "supplement_requested@" + step, step),
                           (back, clerk, "supplement", "supplement_requested@" + step, state, step)]
                    visits.append((back, "supplement", "online" if online else "in_person", clerk))
                    if not online:
                        trips, supplement_trips = trips + 1, supplement_trips + 1
                    if rnd.random() < GUIDANCE_FAILURE:
                        repeat_visit = True
                        failures.append((ask, clerk, p["required"][-1], "intake"))
                    due, clock_since, d = back + p["budget"], back, d + back - ask
                t, prev = t + d, state
                if stop_at == k:
                    rejected = fate < REJECTED
                    ev.append((enter + d // 2, officer if rejected else clerk, "reject" if rejected else "withdraw",
                               state, "rejected" if rejected else "withdrawn", step))
                    break
            else:
                last_step = steps[-1][0]
                ev.append((t, holder, "complete", prev, "result_ready", last_step))
                if rnd.random() >= NEVER_COLLECTED:
                    ev.append((t + rnd.randint(30, 10 * DAY), return_clerk, "return_result", "result_ready", "returned",
                               last_step))
        ev = [e for e in ev if e[0] <= tl.now]
        last = ev[-1]
        status, _, step = last[4].partition("@")
        received = next((e[0] for e in ev if e[4] == "received"), None)
        if received is None:  # still at the counter, or abandoned there
            due = appointment = clock_since = None
        at_step, running = status in ("in_progress", "supplement_requested"), status in ("received", "in_progress")
        ready = next((e[0] for e in ev if e[2] == "complete"), None)
        closed = last[0] if status in ("returned", "rejected", "withdrawn") else None
        entered = next(e[0] for e in reversed(ev) if e[2] == "forward") if at_step else None
        # as the lifecycle writes it (migration 0030): the first forward out of received
        handed = next((e[0] for e in ev if e[2] == "forward" and e[3] == "received"), None)
        sbudget = next((b for c, _, b in steps if c == step), None)
        step_agency = next((a for c, a, _ in steps if c == step), None) if at_step else None
        moving = status == "in_progress"
        due_text = N if status == "supplement_requested" or received is None else tx(due)
        overdue = due_text != N and status in ("received", "in_progress") and due < tl.now
        step_due = entered + sbudget if moving else None
        visits = [v for v in visits if v[0] <= tl.now]
        failures = [f for f in failures if f[0] <= tl.now]
        code = f"{desk}-{tl.day_code[first // DAY]}-{i:07d}"
        seq = len(ev)
        officers = {}  # as Dossier.note_officer: in progress at X and still at X names X's officer
        for e in ev:
            if e[5] and e[3] == "in_progress@" + e[5]:
                officers[e[5]] = e[1]
        out["dossiers"].append("\t".join(map(str, (
            i, code, p["id"], p["code"], desk, status, step or N, step_agency or N, channel,
            "Nguyễn Văn An", f"09{i % 100000000:08d}", json.dumps(p["required"]) if received else "[]",
            json.dumps(p["required"][-1:]) if received is None else "[]",
            '["repeat_visit"]' if repeat_visit and failures else "[]", trips, supplement_trips, tx(first),
            tx(received) if received is not None else N, due_text,
            tx(appointment) if appointment is not None else N, tx(ready) if ready is not None else N,
            tx(closed) if closed is not None else N, p["budget"] if received is not None else N, 0,
            tx(clock_since) if running and clock_since is not None else N, sbudget if at_step else N,
            0 if at_step else N, tx(entered) if moving else N, tx(entered) if at_step else N,
            tx(step_due) if step_due is not None else N, clerk, "t" if repeat_visit and failures else "f", "[]",
            2 if overdue else 0, 2 if step_due is not None and step_due < tl.now else 0, json.dumps(officers),
            officers.get(step, N) if step else N, seq, seq, unit, return_at,
            # every dossier digitised at reception, every result filed electronically (see above)
            tx(received) if received is not None else N, tx(ready) if ready is not None else N,
            tx(handed) if handed is not None else N))) + "\n")
        out["dossier_events"] += [f"{i}\t{s}\t{tx(e[0])}\t{e[1]}\t{e[2]}\t{e[3] or N}\t{e[4]}\t{e[5] or N}\t{{}}\n"
                                  for s, e in enumerate(ev, start=1)]
        out["visits"] += [f"{i}\t{tx(v[0])}\t{v[1]}\t{v[2]}\t{int(v[2] == 'in_person')}\t{v[3]}\t{desk}\t{p['code']}\n"
                          for v in visits]
        out["guidance_failures"] += [f"{i}\t{tx(f[0])}\t{f[1]}\t{f[2]}\t{f[3]}\t{desk}\t{p['code']}\n"
                                     for f in failures]
        if closed is not None and status in ("returned", "rejected"):
            self._survey(i, code, desk, p["code"], status, closed, ready, appointment, rnd, out)
        return out

    def _survey(self, i, code, desk, procedure, outcome, closed, ready, appointment, rnd, out) -> None:
        """The survey opened at closing; an invitation if reachable; perhaps an answer."""
        tl, tx = self.tl, self.tl.text
        reachable = rnd.random() < REACHABLE
        invited = closed + 5 if reachable and closed + 5 <= tl.now else None
        answered = invited + rnd.randint(10, 3 * DAY) if invited is not None and rnd.random() < RESPONSE else None
        if answered is not None and answered > tl.now:
            answered = None
        period = tl.day_text[closed // DAY][:7]
        out["surveys"].append("\t".join(map(str, (
            i, i, code, desk, procedure, outcome, tx(closed), period, self.qid, f"bench-{i}",
            '["sms"]' if reachable else "[]", "t" if reachable else "f", tx(closed), tx(closed + 1),
            tx(closed + 30 * DAY), tx(invited) if invited is not None else N,
            tx(answered) if answered is not None else N))) + "\n")
        if answered is None:
            return
        late = ready is not None and appointment is not None and ready > appointment
        happy, unhappy = self.answer_pool
        share = len(unhappy) / (len(happy) + len(unhappy))
        pool = unhappy if rnd.random() < (share * 3 if late else share) else happy
        answers, tallies, unhappy = pool[rnd.randrange(len(pool))]
        points = 18 if not late else rnd.randint(10, 16)
        out["survey_responses"].append(f"{i}\t{i}\t{self.qid}\t{tx(answered)}\tvi\t{answers}\tf\t"
                                       f"{'t' if unhappy else 'f'}\t{{}}\t{points}\t18\n")
        out["survey_scores"] += [f"{i}\t{c}\t{s}\t{a}\t{pts}\n" for c, s, a, pts in tallies]
        if unhappy:
            out["survey_feedback"].append(f"{i}\t{i}\t{desk}\t{code}\t{tx(answered)}\t{tx(answered + 5 * DAY)}\t"
                                          f"low_score\t{json.dumps(unhappy)}\n")
