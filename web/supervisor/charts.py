"""The supervisor pages' charts as geometry for inline SVG drawn on the server
(web/templates/supervisor/_charts.html draws what this computes).

Why hand-written SVG and not a charting library: pygal and matplotlib's SVG backend place
every mark in one coordinate system that a viewBox scales, so a chart fitted to a 390 px
phone shrinks its labels to 7 px, and their label layout knows nothing of 60-character
Vietnamese step names. Here horizontal positions are percentages of the chart's width and
vertical ones CSS pixels: bars stretch with the page while text keeps its size, each long
name sits on its own line above its bar (cut short, the full name in the tooltip and in
the data table), and the pages stay script-free under the CSP's 'self'. The layout is
tested in a browser (tests/e2e/test_supervisor_pages.py): no text box overlaps another
or a bar.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _

LABEL_CHARS = 44  # fits one line of 12 px text in the 358 px of a 390 px phone
WIDE_LABEL_CHARS = 90  # and in a window of 56rem (896 px), from which the wide labels show (app.css)


def short(text: str, limit: int = LABEL_CHARS) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ·,;:-")
    return (cut or text[:limit - 1]) + "…"


def columns(values: list[dict], height: int = 200, top: float | None = None) -> dict:
    """Vertical bars, one per item of `values` (keys: value in 0..`top` or None, text, label,
    short (the label on a phone), title). Value labels above the bars and the long labels
    below are hidden on a phone by CSS; the data table beside the chart has them all."""
    left, above, below = 10.0, 22, 40
    plot = height - above - below
    top = top or 1.0
    slot = (100.0 - left) / max(len(values), 1)
    bars = []
    for i, v in enumerate(values):
        h = round((v["value"] or 0) / top * plot, 1)
        bars.append(dict(v, x=round(left + i * slot + slot * 0.2, 2), w=round(slot * 0.6, 2),
                         cx=round(left + (i + 0.5) * slot, 2), y=round(above + plot - h, 1), h=h,
                         empty=v["value"] is None))
    ticks = [dict(y=round(above + plot - f * plot, 1), value=f * top) for f in (0, 0.5, 1)]
    return dict(height=height, left=left, base=above + plot, bars=bars, ticks=ticks)


def level(chart: dict, value: float, top: float) -> float:
    """The y of `value` on a `columns` chart whose scale ends at `top`."""
    above, base = 22, chart["base"]
    return round(base - value / top * (base - above), 1)


def hbars(rows: list[dict], span: float = 62.0, row: int = 46, solid: bool = False) -> dict:
    """Horizontal bars, one row per item of `rows` (keys: label, title, text, and the bar
    lengths as fractions of the longest: `light` (the wide pale bar), optional `dark`
    (inside it) and `mark` (a tick)). The label is a line of its own above the bar and the
    figures sit right of `span` percent, where no bar reaches. `solid`: one measure, drawn
    in the dark colour."""
    out = []
    for n, r in enumerate(rows):
        y = n * row + 4
        out.append(dict(r, y=y, label_y=y + 13, bar_y=y + 19, text_y=y + 33, short=short(r["label"]),
                        wide=short(r["label"], WIDE_LABEL_CHARS),
                        light=round(span * (r.get("light") or 0), 2),
                        dark=None if r.get("dark") is None else round(span * r["dark"], 2),
                        mark=None if r.get("mark") is None else round(span * r["mark"], 2)))
    return dict(height=max(len(out), 1) * row + 6, rows=out, span=span, solid=solid)


def _days(minutes, per_day: int) -> str:
    return f"{(minutes or 0) / per_day:.2f}".rstrip("0").rstrip(".")


def week_chart(weeks: list[dict]) -> dict:
    """Share of results ready on or before the appointment, one bar per ISO week, named
    "Tuần 38" with its dates (dd/mm) in the tooltip and the table."""
    values = []
    for w in weeks:
        number = int(w["week"][-2:])
        sunday = w["monday"] + timedelta(days=6)
        dates = f"{w['monday'].strftime('%d/%m')}–{sunday.strftime('%d/%m/%Y')}"
        text = "—" if w["rate"] is None else f"{round(w['rate'] * 100)}%"
        values.append(dict(value=w["rate"], text=text, label=_("Tuần %(n)s", n=number), short=str(number),
                           dates=dates, early=w["early"], on_time=w["on_time"], late=w["late"],
                           title=_("Tuần %(n)s (%(dates)s): %(early)s trước hạn, %(on_time)s đúng hạn, "
                                   "%(late)s quá hạn", n=number, dates=dates, early=w["early"],
                                   on_time=w["on_time"], late=w["late"])))
    chart = columns(values)
    for t in chart["ticks"]:
        t["label"] = f"{round(t['value'] * 100)}%"
    return chart


def step_chart(items: list[dict], minutes_per_day: int) -> dict:
    """Per step: the median (dark) and 90th percentile (light) in working days, and the
    step's time allowed (a red tick)."""
    scale = max([i["p90_minutes"] or 0 for i in items] + [i["budget_minutes"] or 0 for i in items] + [1])
    rows = []
    for i in items:
        d = lambda m: _days(m, minutes_per_day)  # noqa: E731
        rows.append(dict(
            label=f"{i['procedure_code']} · {i['step_name']}", procedure=i["procedure_code"],
            step=i["step_name"], visits=i["visits"], over=i["over_budget"],
            median=d(i["median_minutes"]), p90=d(i["p90_minutes"]),
            budget=d(i["budget_minutes"]) if i["budget_minutes"] else None,
            light=(i["p90_minutes"] or 0) / scale, dark=(i["median_minutes"] or 0) / scale,
            mark=i["budget_minutes"] / scale if i["budget_minutes"] else None,
            text=_("%(median)s / %(p90)s ngày", median=d(i["median_minutes"]), p90=d(i["p90_minutes"])),
            title=_("%(label)s: %(visits)s lượt; trung vị %(median)s, P90 %(p90)s, cho phép %(budget)s "
                    "ngày làm việc; %(over)s lượt vượt", label=f"{i['procedure_code']} · {i['step_name']}",
                    visits=i["visits"], median=d(i["median_minutes"]), p90=d(i["p90_minutes"]),
                    budget=d(i["budget_minutes"]), over=i["over_budget"])))
    return hbars(rows)
