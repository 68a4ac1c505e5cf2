"""Size and render time of one printed receipt (form 01) as PDF, without a database.

Why: the font fallback for other scripts (web/staff/pdf_fonts.py) loads big font files;
this shows what a typical slip costs before and after, in bytes and milliseconds.

    python bench/pdf_slip.py                      # a Vietnamese name (the usual slip)
    python bench/pdf_slip.py --name "王小明 محمد"   # a name that needs the fallback fonts
    python bench/pdf_slip.py --runs 20 --out /tmp/slip.pdf
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from web.staff.pdf import receipt_pdf  # noqa: E402

TZ = "Asia/Ho_Chi_Minh"


def model(name: str) -> dict:
    """A receipt as web.staff.printed.receipt builds it, for a two-document procedure."""
    at = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo(TZ))
    return dict(
        code="T1-2603-000123", agency="UBND phường Hà Đông",
        form=dict(title="Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
                  label="Mẫu số 01, Phụ lục I Thông tư 03/2025/TT-VPCP"),
        applicant=SimpleNamespace(name=name, phone="0912345678", email="an@example.com"),
        procedure=SimpleNamespace(name="Đăng ký khai sinh", code="1.001193"),
        documents=[dict(name="Tờ khai đăng ký khai sinh", form="Bản chính", copies=1),
                   dict(name="Giấy chứng sinh", form="Bản chính", copies=1)],
        case=None, time_text="Ngay trong ngày tiếp nhận", received_at=at, appointment_at=at,
        clerk="Trần Thị Bình", qr_url="https://motcua.example.vn/tra-cuu?ma=T1-2603-000123")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--name", default="Nguyễn Văn An")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out")
    args = ap.parse_args()
    m = model(args.name)
    t0 = time.perf_counter()
    data = receipt_pdf(m, TZ)
    first = time.perf_counter() - t0
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        data = receipt_pdf(m, TZ)
        times.append(time.perf_counter() - t0)
    if args.out:
        Path(args.out).write_bytes(data)
    print(f"name={args.name!r} bytes={len(data)} first_ms={first * 1000:.0f} "
          f"median_ms={statistics.median(times) * 1000:.0f} max_ms={max(times) * 1000:.0f} runs={args.runs}")


if __name__ == "__main__":
    main()
