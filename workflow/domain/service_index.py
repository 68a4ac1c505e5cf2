"""The Government's real-time service index (Bộ chỉ số phục vụ người dân, doanh nghiệp;
Decision 766/QĐ-TTg, 23 June 2022): five groups, 100 points. Pure: the criteria as data
and the arithmetic that turns a measured rate into points.

Verified [U: secondary sources only; the decision's annex itself was not read]:
- the groups and their maxima: publicity and transparency 18, progress and results of
  settlement 20, digitisation 22, online services 22 (shown on the national portal as
  online public services 12 and online payment 10), satisfaction 18;
- criteria, points and formulas from a transcription of the national portal's method
  ("Mô tả công thức tính chỉ số 766"): points = maximum x rate, or full points from a
  threshold rate (80 %, 50 %, 90 %) and proportional below it.
A criterion the product cannot know (publication dates, synchronisation with the national
portal, payments, electronic copies, reuse of digitised data) is "not measured here", never
estimated; the split of the 12 online-service points among its three criteria was not
found, so those show their rates without points.
"""
from __future__ import annotations

from dataclasses import dataclass

GROUPS = (  # code, name, maximum points
    ("publicity", "Công khai, minh bạch", 18),
    ("progress", "Tiến độ, kết quả giải quyết", 20),
    ("online", "Cung cấp dịch vụ trực tuyến", 22),
    ("digitisation", "Số hóa hồ sơ", 22),
    ("satisfaction", "Mức độ hài lòng", 18),
)
MAX_TOTAL = sum(m for _, _, m in GROUPS)


@dataclass(frozen=True)
class Criterion:
    code: str
    group: str
    name: str
    max_points: float | None      # None: the points of this criterion were not found
    formula: str
    full_at: float = 1.0          # the rate from which the full points are given
    measured: bool = True
    why_not: str | None = None    # why the product does not measure it

    def points(self, rate: float | None) -> float | None:
        """max x min(1, rate / full_at); None when not measured, unknown or undefined."""
        if not self.measured or self.max_points is None or rate is None:
            return None
        return round(self.max_points * min(1.0, rate / self.full_at), 2)


_OUTSIDE = "kept outside this product (the national portal, the publication decisions)"
_NO_FILES = "the product does not issue electronic copies or reuse digitised data yet"
_NO_PAYMENTS = "the product does not record payments yet"
CRITERIA = (
    Criterion("1.1", "publicity", "Tỷ lệ thủ tục hành chính công bố đúng hạn", 6,
              "TTHC công bố đúng hạn / TTHC đã công bố trong kỳ", measured=False, why_not=_OUTSIDE),
    Criterion("1.2", "publicity", "Tỷ lệ TTHC được cập nhật, công khai đúng hạn", 4,
              "TTHC công khai đúng hạn / TTHC đã công bố", measured=False, why_not=_OUTSIDE),
    Criterion("1.3", "publicity", "Tỷ lệ TTHC công khai đầy đủ các bộ phận tạo thành", 2,
              "TTHC công khai đầy đủ / TTHC đã công bố", measured=False, why_not=_OUTSIDE),
    Criterion("1.4", "publicity", "Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia", 6,
              "hồ sơ đồng bộ / hồ sơ tiếp nhận", measured=False, why_not=_OUTSIDE),
    Criterion("2.1", "progress", "Tỷ lệ hồ sơ xử lý trước hạn, đúng hạn", 20,
              "(giải quyết trước hạn + đúng hạn + đang giải quyết trong hạn) / "
              "(đã giải quyết + đang giải quyết)"),
    Criterion("3.1", "online", "Tỷ lệ TTHC cung cấp dịch vụ công trực tuyến", None,
              "TTHC có kênh trực tuyến / TTHC đang áp dụng", full_at=0.8),
    Criterion("3.2", "online", "Tỷ lệ dịch vụ công trực tuyến có phát sinh hồ sơ trực tuyến", None,
              "TTHC trực tuyến có hồ sơ nộp trực tuyến trong kỳ / TTHC có kênh trực tuyến"),
    Criterion("3.3", "online", "Tỷ lệ hồ sơ nộp trực tuyến", None,
              "hồ sơ tiếp nhận trực tuyến / hồ sơ tiếp nhận trong kỳ", full_at=0.5),
    Criterion("3.5", "online", "Tỷ lệ TTHC có nghĩa vụ tài chính tích hợp thanh toán trực tuyến", 2,
              "", measured=False, why_not=_NO_PAYMENTS),
    Criterion("3.5b", "online", "TTHC có phát sinh giao dịch thanh toán trực tuyến", 2, "",
              measured=False, why_not=_NO_PAYMENTS),
    Criterion("3.6", "online", "Tỷ lệ hồ sơ thanh toán trực tuyến", 6, "", measured=False,
              why_not=_NO_PAYMENTS),
    # 4.1 and 4.2 from the dossiers' files (workflow/services/reports/digitisation.py); the
    # formulas are the product's reading of the criteria's names [U: the annex was not read]
    Criterion("4.1", "digitisation", "Tỷ lệ hồ sơ có cấp kết quả điện tử", 6,
              "hồ sơ trả kết quả trong kỳ có tệp kết quả điện tử / hồ sơ trả kết quả trong kỳ"),
    Criterion("4.2", "digitisation", "Tỷ lệ hồ sơ được số hóa", 4,
              "hồ sơ tiếp nhận trong kỳ có tệp cho mọi giấy tờ bắt buộc / hồ sơ tiếp nhận trong kỳ"),
    Criterion("4.2b", "digitisation", "Tỷ lệ hồ sơ cấp bản sao điện tử", 2, "", measured=False,
              why_not=_NO_FILES),
    Criterion("4.3", "digitisation", "Tỷ lệ tái sử dụng dữ liệu số hóa", 2, "", measured=False,
              why_not=_NO_FILES),
    Criterion("4.4", "digitisation", "Kết nối kho dữ liệu cá nhân trên Cổng DVCQG", 4, "",
              measured=False, why_not=_OUTSIDE),
    Criterion("4.5", "digitisation", "Khai thác, kết nối Cơ sở dữ liệu quốc gia về dân cư", 4, "",
              measured=False, why_not=_OUTSIDE),
    Criterion("5.2", "satisfaction", "Tỷ lệ phản ánh, kiến nghị được xử lý đúng hạn", 6,
              "phản ánh, kiến nghị trả lời đúng hạn / phản ánh, kiến nghị đến hạn trong kỳ"),
    Criterion("5.3", "satisfaction", "Mức độ hài lòng về kết quả xử lý phản ánh, kiến nghị", 6, "",
              measured=False, why_not="the citizen is not asked to rate the answer to the feedback"),
    Criterion("5.4", "satisfaction", "Tỷ lệ hài lòng trong tiếp nhận, giải quyết TTHC", 6,
              "100 % - (tỷ lệ hồ sơ giải quyết quá hạn + tỷ lệ hồ sơ có phản ánh, kiến nghị)",
              full_at=0.9),
)
assert all(sum(c.max_points or 0 for c in CRITERIA if c.group == g) <= m for g, _, m in GROUPS)


def score(rates: dict[str, dict]) -> dict:
    """The index from measured rates: `rates` maps a criterion code to {rate, numerator,
    denominator} (rate None when the denominator is 0). Returns the groups with their
    criteria, points over what is measured, and the points not measured here."""
    groups = []
    for code, name, maximum in GROUPS:
        criteria = []
        for c in (c for c in CRITERIA if c.group == code):
            found = rates.get(c.code, {}) if c.measured else {}
            criteria.append(dict(code=c.code, name=c.name, max=c.max_points, formula=c.formula,
                                 full_at=c.full_at, measured=c.measured, why_not=c.why_not,
                                 rate=found.get("rate"), numerator=found.get("numerator"),
                                 denominator=found.get("denominator"), points=c.points(found.get("rate"))))
        scored = [c for c in criteria if c["points"] is not None]
        groups.append(dict(code=code, name=name, max=maximum, criteria=criteria,
                           points=round(sum(c["points"] for c in scored), 2),
                           measured_max=sum(c["max"] for c in scored)))
    measured_max = sum(g["measured_max"] for g in groups)
    return dict(groups=groups, points=round(sum(g["points"] for g in groups), 2),
                measured_max=measured_max, max=MAX_TOTAL, not_measured=MAX_TOTAL - measured_max)


def rate(numerator: int, denominator: int) -> dict:
    return dict(rate=round(numerator / denominator, 4) if denominator else None,
                numerator=numerator, denominator=denominator)
