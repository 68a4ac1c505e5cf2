"""The SIPAS index by month (one column per month, its value written above it) and by
element (a horizontal bar each), as geometry for web/templates/supervisor/_charts.html.

Why columns and not the line drawn before: a line needs two months with answers to show
anything (one month drew a lone 4-unit dot), while a column with its figure reads alike
with one month or twelve. (The trend was blank for another reason: the pages passed it
as `chart`, the name of the macro they import, so the macro drew itself; see
web/citizen/survey_pages.py.)
"""
from __future__ import annotations

from web.supervisor.charts import columns, hbars, level


def trend(by_month: list[dict], targets: list[dict], unit: str) -> dict:
    """One column per month (0–100 %), and the targets as lines (a band for a range);
    `unit`: the word for responses in the page's language."""
    values = []
    for m in by_month:
        month = f"{m['month'][5:]}/{m['month'][:4]}"
        text = "—" if m["index"] is None else f"{m['index']:.1f}%"
        values.append(dict(value=m["index"], text=text, label=month, short=m["month"][5:],
                           responses=m["responses"],
                           title=f"{month}: {text} ({m['responses']} {unit})"))
    chart = columns(values, height=220, top=100.0)
    for t in chart["ticks"]:
        t["label"] = f"{t['value']:g}%"
    chart["targets"] = [dict(t, y1=level(chart, t["high"] or t["low"], 100.0), y2=level(chart, t["low"], 100.0),
                             band=t["high"] is not None,
                             label=(f"{t['low']:g}–{t['high']:g}%" if t["high"] is not None else f"{t['low']:g}%"))
                        for t in targets]
    chart["answered"] = sum(1 for m in by_month if m["index"] is not None)
    return chart


def elements(group: dict, lang: str) -> dict:
    """The index of each element of the questionnaire, as bars from 0 to 100 %."""
    rows = []
    for e in group["elements"]:
        name = e["name_en"] if lang == "en" and e.get("name_en") else e["name"]
        text = "—" if e["index"] is None else f"{e['index']:.1f}%"
        rows.append(dict(label=name, title=f"{name}: {text} ({e['answers']})", text=text,
                         light=(e["index"] or 0) / 100))
    return hbars(rows, span=70.0, solid=True)
