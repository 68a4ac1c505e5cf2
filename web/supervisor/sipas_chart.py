"""The SIPAS trend chart as geometry for an inline SVG drawn on the server: no script,
no CDN, readable on a phone and printable. The template draws what this computes."""
from __future__ import annotations

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 34


def trend(by_month: list[dict], targets: list[dict]) -> dict:
    """Points of the monthly index and the target lines, in SVG user units."""
    values = [m["index"] for m in by_month if m["index"] is not None]
    floor = min([50.0] + [v for v in values]) // 10 * 10
    span_y = 100.0 - floor or 1.0
    n = max(len(by_month), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return round(LEFT + (plot_w * (i + 0.5) / n), 1)

    def y(v: float) -> float:
        return round(TOP + plot_h * (100.0 - v) / span_y, 1)

    points = [dict(x=x(i), y=y(m["index"]), value=m["index"], month=m["month"],
                   responses=m["responses"]) for i, m in enumerate(by_month) if m["index"] is not None]
    lines = []
    for t in targets:
        if t["high"] is not None:
            lines.append(dict(kind="band", y1=y(t["high"]), y2=y(t["low"]), year=t["year"],
                              label=f"{t['low']:g}–{t['high']:g}% ({t['year']})"))
        else:
            lines.append(dict(kind="line", y1=y(t["low"]), year=t["year"],
                              label=f"{t['low']:g}% ({t['year']})"))
    grid = [dict(y=y(v), label=f"{v:g}") for v in range(int(floor), 101, 10)]
    labels = [dict(x=x(i), text=f"{m['month'][5:]}/{m['month'][2:4]}") for i, m in enumerate(by_month)
              if n <= 12 or i % 2 == 0]
    return dict(width=WIDTH, height=HEIGHT, left=LEFT, right=WIDTH - RIGHT, top=TOP,
                bottom=HEIGHT - BOTTOM, points=points,
                polyline=" ".join(f"{p['x']},{p['y']}" for p in points),
                targets=lines, grid=grid, labels=labels)
