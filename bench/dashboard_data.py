"""Synthetic dossiers for bench/dashboard.py: a city of 40 wards, two years of dossiers,
each a timeline of events in working minutes, written as COPY text.

Why working-minute coordinates: converting every moment through the business calendar
would dominate the load time; here minute t of the working timeline maps to a local
time by two table look-ups, and the working days come from the real calendar.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from sqlalchemy import text

from workflow.adapters.database import make_engine
from workflow.adapters.migrations import upgrade
from workflow.adapters.repository import ProcedureRepository
from workflow.catalog.schema import parse_procedure
from workflow.domain.calendar import BusinessCalendar

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "catalog"
WARDS = [f"HN.W{i:02d}" for i in range(1, 41)]
DAY = 480  # working minutes
KINDS = [("hkd.yaml", "1.001612", 0.7, (1.0, 1.6, 0.8, 0.5)), ("khaisinh.yaml", "1.001193", 0.3, (1.0, 0.6))]


# -- catalog ------------------------------------------------------------------------------
def prepare(url: str) -> dict:
    """Migrate; agencies HN > HN.Wnn > HN.Wnn.KT / .LD and HN.TAX; per ward a version of
    each procedure (code suffixed with the ward). Returns (ward, kind) -> procedure facts."""
    upgrade(url)
    engine, now = make_engine(url, 1, 0), datetime.now(timezone.utc)
    procs = {}
    with engine.begin() as conn:
        rows = [("HN", "Thành phố", "province", None), ("HN.TAX", "Thuế cơ sở", "province", "HN")]
        for w in WARDS:
            rows += [(w, f"Phường {w[-2:]}", "commune", "HN"), (f"{w}.KT", "Phòng kinh tế", "commune", w),
                     (f"{w}.LD", "Lãnh đạo phường", "commune", w)]
        conn.execute(text("INSERT INTO agencies (code, name, level, parent_code) VALUES (:c, :n, :l, :p)"),
                     [dict(c=c, n=n, l=lv, p=p) for c, n, lv, p in rows])
        repo = ProcedureRepository(conn)
        for w in WARDS:
            for k, (file, code, _, _) in enumerate(KINDS):
                data = yaml.safe_load((FIXTURES / file).read_text(encoding="utf-8"))
                data.update(code=f"{code}.{w[3:]}", agency=w)
                for st in data["steps"]:
                    st["agency"] = {"T1": w, "T1.KT": f"{w}.KT", "T1.LD": f"{w}.LD", "TAX": "HN.TAX"}[st["agency"]]
                repo.store(parse_procedure(data), now)
                pid = conn.execute(text("SELECT id FROM procedures WHERE code = :c"), dict(c=data["code"])).scalar()
                steps = [(st["code"], st["agency"], round(st["days"] * DAY)) for st in data["steps"]]
                procs[(w, k)] = dict(id=pid, code=data["code"], steps=steps, budget=round(data["processing_days"] * DAY),
                                     budgets={c: b for c, _, b in steps}, agencies={c: a for c, a, _ in steps},
                                     clerk=f"{w[3:].lower()}.motcua", officer=f"{w[3:].lower()}.kt")
    engine.dispose()
    return procs


# -- synthetic timelines -----------------------------------------------------------------
class Timeline:
    """Working-minute coordinates: minute t of the working timeline -> local text."""

    def __init__(self, cal: BusinessCalendar, now: datetime, back_days: int = 760):
        today = now.astimezone(cal.tz).date()
        days = [d for d in (today + timedelta(days=k) for k in range(-back_days, 121)) if cal.is_working_day(d)]
        self.day_text = [x.isoformat() + " " for x in days]
        self.day_code = [f"{x:%y%m%d}" for x in days]
        self.hhmm = [f"{8 + (m + (60 if m >= 240 else 0)) // 60:02d}:{m % 60:02d}:00+07" for m in range(DAY)]
        i = days.index(today) if today in days else next(j for j, x in enumerate(days) if x > today)
        local = now.astimezone(cal.tz)
        minute = (local.hour - 8) * 60 + local.minute - (60 if local.hour >= 13 else 0)
        self.now = i * DAY + max(0, min(DAY - 1, minute if days[i] == today else 0))

    def text(self, t: int) -> str:
        i, m = divmod(t, DAY)
        return self.day_text[i] + self.hhmm[m]


def dossier(i: int, rnd: random.Random, tl: Timeline, procs: dict):
    """One dossier row and its events, as COPY text (the id stands in for the day's
    sequence in the code, so that parallel workers never draw the same code)."""
    w, kind = rnd.choice(WARDS), 0 if rnd.random() < KINDS[0][2] else 1
    p, factors, steps = procs[(w, kind)], KINDS[kind][3], procs[(w, kind)]["steps"]
    t0 = rnd.randrange(0, tl.now)
    clerk, officer = p["clerk"], p["officer"]
    ev = [(t0, clerk, "intake", None, "received", None)]
    due = appointment = t0 + p["budget"]
    clock_since, t, fate, prev = t0, t0 + rnd.randint(5, 120), rnd.random(), "received"
    stop_at = rnd.randrange(len(steps)) if fate < 0.04 else None
    for k, (step, agency, budget) in enumerate(steps):
        state = "in_progress@" + step
        ev.append((t, clerk if k == 0 or agency == w else officer, "forward", prev, state, step))
        enter, d = t, max(5, int(budget * factors[k] * rnd.lognormvariate(-0.6, 0.8)))
        if k == 0 and fate > 0.95:  # a supplement request, then the clock restarts
            ask = t + d // 2
            back = ask + rnd.randint(240, 4800)
            ev += [(ask, officer, "request_supplement", state, "supplement_requested@" + step, step),
                   (back, clerk, "supplement", "supplement_requested@" + step, state, step)]
            due, clock_since, d = back + p["budget"], back, d + back - ask
        t, prev = t + d, state
        if stop_at == k:
            end = "rejected" if fate < 0.025 else "withdrawn"
            ev.append((enter + d // 2, clerk, "reject" if end == "rejected" else "withdraw", state, end, step))
            break
    else:
        last_step = steps[-1][0]
        ev += [(t, clerk, "complete", prev, "result_ready", last_step),
               (t + rnd.randint(30, 4800), clerk, "return_result", "result_ready", "returned", last_step)]
    ev = [e for e in ev if e[0] <= tl.now]
    last = ev[-1]
    status, _, step = last[4].partition("@")
    at_step, running = status in ("in_progress", "supplement_requested"), status in ("received", "in_progress")
    ready = next((e[0] for e in ev if e[2] == "complete"), None)
    entered = next(e[0] for e in reversed(ev) if e[2] == "forward") if at_step else None
    sbudget = p["budgets"].get(step)
    tx, n = tl.text, "\\N"
    moving = status == "in_progress"
    row = [i, f"{w}-{tl.day_code[t0 // DAY]}-{i:07d}", p["id"], p["code"], w, status, step or n,
           p["agencies"].get(step, n), "online" if rnd.random() < 0.4 else "post" if rnd.random() < 0.08
           else "in_person", "Nguyễn Văn An", '["GDN", "CCCD"]', "[]", "[]", 1, 0, tx(t0), tx(t0),
           n if status == "supplement_requested" else tx(due), tx(appointment), n if ready is None else tx(ready),
           tx(last[0]) if status in ("returned", "rejected", "withdrawn") else n, p["budget"], 0,
           tx(clock_since) if running else n, sbudget or n, 0 if at_step else n, tx(entered) if moving else n,
           tx(entered) if at_step else n, tx(entered + sbudget) if moving else n, clerk, "f", "[]", len(ev), len(ev)]
    events = "".join(f"{i}\t{s}\t{tx(e[0])}\t{e[1]}\t{e[2]}\t{e[3] or n}\t{e[4]}\t{e[5] or n}\t{{}}\n"
                     for s, e in enumerate(ev, start=1))
    return "\t".join(map(str, row)) + "\n", events


_WORK: dict = {}


def init_worker(tl: Timeline, procs: dict) -> None:
    _WORK.update(tl=tl, procs=procs)


def chunk(bounds: tuple[int, int]) -> tuple[str, str]:
    """Dossiers [first, last): their COPY text and their events' (one worker process)."""
    rnd = random.Random(bounds[0])
    made = [dossier(i, rnd, _WORK["tl"], _WORK["procs"]) for i in range(*bounds)]
    return "".join(r for r, _ in made), "".join(e for _, e in made)
