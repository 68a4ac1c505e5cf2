"""The chart geometry of the supervisor pages (web/supervisor/charts.py): long names are
cut at a word with an ellipsis, bars never reach the figures' column, and columns scale
to their top; the browser test measures the drawn result."""
from __future__ import annotations

from web.supervisor.charts import LABEL_CHARS, columns, hbars, short


def test_long_names_are_cut_at_a_word_and_short_ones_kept():
    name = "1.001193 · Công chức tư pháp – hộ tịch xử lý, ghi sổ hộ tịch"
    cut = short(name)
    assert len(cut) <= LABEL_CHARS and cut.endswith("…") and name.startswith(cut[:-1])
    assert cut[:-1] == cut[:-1].rstrip(" ·,;:-") and name[len(cut) - 1] in " ,"
    assert short("Trả kết quả") == "Trả kết quả"


def test_bars_stay_left_of_the_figures_and_labels_above_the_bars():
    chart = hbars([dict(label="a" * 80, title="t", text="1 / 2 ngày", light=1.0, dark=0.5, mark=0.8),
                   dict(label="b", title="t", text="0 / 0 ngày", light=0.0)], span=62.0)
    first, second = chart["rows"]
    assert first["light"] == 62.0 and first["dark"] == 31.0 and first["mark"] == 49.6
    assert first["label_y"] < first["bar_y"] and first["bar_y"] + 18 < second["label_y"] - 12
    assert second["dark"] is None and second["mark"] is None
    assert chart["height"] >= second["bar_y"] + 18


def test_columns_scale_to_their_top_and_keep_empty_ones_apart():
    chart = columns([dict(value=100.0, text="100%", label="03/2026", short="03", title=""),
                     dict(value=None, text="—", label="04/2026", short="04", title="")], top=100.0)
    full, empty = chart["bars"]
    assert full["y"] + full["h"] == chart["base"] and full["y"] == 22
    assert empty["empty"] and empty["h"] == 0
    assert chart["left"] < full["x"] < empty["x"] < 100
