"""The Decision 766/QĐ-TTg service index against the hand-counted fixture of the II.06a
report (tests/integration/report_fixtures.py), group by group, on SQLite and PostgreSQL."""
from __future__ import annotations

import io
import re

import openpyxl
import pytest

from tests.integration.report_fixtures import build_report_fixture, world  # noqa: F401  (fixture)
from tests.integration.test_reports import login, pages  # noqa: F401  (fixture)
from workflow.domain import service_index

PERIOD = "from=2026-03-09&to=2026-03-13"


def groups(body):
    return {g["code"]: g for g in body["groups"]}


def criteria(body):
    return {c["code"]: c for g in body["groups"] for c in g["criteria"]}


def test_the_index_of_the_hand_counted_fixture(world, api):  # noqa: F811
    """T1 (supervisor boss) in the week of 9-13 March 2026, from the II.06a hand count:
    resolved 11 (early 3, on time 3, late 5), pending 9 (5 within); new 13, 5 online; both
    T1 procedures offered online, both with online dossiers; no feedback item."""
    build_report_fixture(world)
    r = api("boss", "GET", f"/api/v1/reports/service-index?{PERIOD}")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    c = criteria(body)
    assert (c["2.1"]["numerator"], c["2.1"]["denominator"], c["2.1"]["points"]) == (11, 20, 11.0)  # 20 x 0.55
    assert (c["3.1"]["rate"], c["3.2"]["rate"], c["3.3"]["numerator"], c["3.3"]["denominator"]) == (1.0, 1.0, 5, 13)
    assert c["3.3"]["points"] is None and c["3.3"]["max"] is None   # the 12 points' split was not found
    assert c["5.2"]["rate"] is None and c["5.2"]["points"] is None  # no feedback item fell due
    # 100 % - (5 late + 0 feedback) / 11 resolved = 54.55 %, full points from 90 %: 6 x 0.5455 / 0.9
    assert (c["5.4"]["rate"], c["5.4"]["points"]) == (0.5455, 3.64)
    g = groups(body)
    assert (g["progress"]["points"], g["progress"]["measured_max"]) == (11.0, 20)
    assert (g["satisfaction"]["points"], g["satisfaction"]["measured_max"]) == (3.64, 6)
    assert (g["publicity"]["points"], g["publicity"]["measured_max"]) == (0, 0)
    assert (g["digitisation"]["points"], g["online"]["points"]) == (0, 0)
    # 4.1 and 4.2 are measured from the files: none in the fixture, so 0 of their 10 points
    assert (c["4.2"]["numerator"], c["4.2"]["denominator"], c["4.2"]["points"]) == (0, 13, 0.0)
    assert (body["points"], body["measured_max"], body["max"], body["not_measured"]) == (14.64, 36, 100, 64)
    assert not c["1.4"]["measured"] and c["1.4"]["why_not"]
    assert [x["max"] for x in body["groups"]] == [18, 20, 22, 22, 18]
    # what moves it: H's 8 late or overdue dossiers on time make 2.1 19/20 (19 points) and
    # 5.4 1 - 1/11 = 90.9 % (full 6): 25.0 - 14.64; K's one: 12.0 + 6 x 0.6364/0.9 = 16.24
    moves = [(a["procedure_code"], a["dossiers"], a["gain"]) for a in body["actions"]]
    assert moves == [("1.001612", 8, 10.36), ("1.001193", 1, 1.6)]
    assert "1.001612" in body["actions"][0]["text"] and "10.36" in body["actions"][0]["text"]


def test_the_index_exports_and_is_for_supervisors_only(world, api):  # noqa: F811
    build_report_fixture(world)
    r = api("boss", "GET", f"/api/v1/reports/service-index?{PERIOD}&format=xlsx")
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Nhóm", "Mã", "Tiêu chí")
    assert next(row for row in rows if row[1] == "2.1")[8] == 11.0
    assert rows[-1][0] == "Tổng" and rows[-1][8] == 14.64
    assert api("clerk", "GET", f"/api/v1/reports/service-index?{PERIOD}").status_code == 403
    assert api("boss", "GET", f"/api/v1/reports/service-index?{PERIOD}&agency=TAX").status_code == 403
    assert api("boss", "GET", f"/api/v1/reports/service-index?{PERIOD}&format=pdf").status_code == 422


@pytest.mark.parametrize("rate, full_at, expected", [(0.5, 1.0, 10.0), (0.8, 0.8, 20.0), (0.95, 0.9, 20.0),
                                                      (0.45, 0.9, 10.0), (0.0, 1.0, 0.0)])
def test_points_scale_with_the_rate_up_to_the_threshold(rate, full_at, expected):
    c = service_index.Criterion("x", "progress", "x", 20, "", full_at=full_at)
    assert c.points(rate) == expected


def test_the_supervisor_page_shows_the_index_what_loses_and_what_gains(world, pages):  # noqa: F811
    build_report_fixture(world)
    html = login(pages, "boss").get(f"/giam-sat/chi-so-766?{PERIOD}").get_data(as_text=True)
    assert "14.64 / 36" in html                                   # the measured points
    assert "64 trên 100 điểm chưa đo được" in html
    assert "8 hồ sơ thủ tục 1.001612" in html and "10.36" in html  # the first action
    # losing most: 2.1 loses 9.00 of 20, 4.1 (no electronic result) 6.00 of 6, 4.2 4.00 of 4
    losing = html.split("Tiêu chí mất nhiều điểm nhất")[1].split("</ol>")[0]
    assert losing.index("2.1") < losing.index("4.1") < losing.index("4.2")
    assert "9.00 / 20" in losing and "6.00 / 6" in losing and "4.00 / 4" in losing
    # its Excel link is the signed-in page's (the API wants a bearer token a browser has not)
    link = f"/giam-sat/chi-so-766/tai-ve?{PERIOD}"
    assert link.replace("&", "&amp;") in html and "/api/v1/" not in html
    sheet = login(pages, "boss").get(link)
    assert sheet.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.get_data())).active.iter_rows(values_only=True))
    assert rows[-1][0] == "Tổng" and rows[-1][8] == 14.64
    assert login(pages, "boss").get(f"/giam-sat/chi-so-766/tai-ve?{PERIOD}&agency=TAX").status_code == 403
    months = re.findall(r"<td>(\d\d/\d{4})</td>", html)          # six months of trend
    assert months == ["10/2025", "11/2025", "12/2025", "01/2026", "02/2026", "03/2026"]
    english = login(pages, "boss")
    english.get("/ngon-ngu/en")
    assert "Criteria losing the most points" in english.get(f"/giam-sat/chi-so-766?{PERIOD}").get_data(as_text=True)
