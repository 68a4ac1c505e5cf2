"""The supervisor pages as a person meets them (issue 18): supervisors land on their
agency's dashboard, reach the feedback page from the navigation, see which filter is on,
read urgency in words, read week numbers and dd/mm/yyyy dates, and, in English, no
Vietnamese labels; the monthly SIPAS trend draws the month that has answers."""
from __future__ import annotations

import re

from tests.integration.test_any_counter import city, take_in  # noqa: F401 (fixture)
from tests.integration.test_staff_access import signed_in
from web import create_app
from tests.integration.test_surveys import all_fives, close, inbox, tokens_in, world  # noqa: F401 (fixtures)


def svg_after(html: str, heading: str) -> str:
    """The first chart after `heading`, without its <title> and <desc> (what is drawn)."""
    svg = re.search(r"<svg.*?</svg>", html[html.index(heading):], re.S).group(0)
    return re.sub(r"<(title|desc)[^>]*>.*?</\1>", "", svg, flags=re.S)


def test_the_monthly_sipas_trend_draws_the_month_that_has_answers(app, api, world, inbox, engine):
    close(api)
    world()
    [token] = tokens_in(inbox)
    assert api(None, "POST", f"/api/v1/surveys/{token}", json={"answers": all_fives()}).status_code == 201
    boss = signed_in(app, engine, "boss")
    html = boss.get("/giam-sat/sipas").get_data(as_text=True)
    assert '<p class="sv-big" id="sipas-responses">1</p>' in html
    drawn = svg_after(html, "Diễn biến theo tháng")
    # the month of the answer (March 2026, the test clock's) as a column with its figure
    assert re.search(r'<rect class="bar"[^>]*height="(\d+\.?\d*)"', drawn) and ">100.0%<" in drawn
    public = app.test_client().get("/ket-qua-sipas").get_data(as_text=True)
    assert ">100.0%<" in svg_after(public, "Diễn biến theo tháng")
    assert ">03/2026<" in svg_after(public, "Diễn biến theo tháng")  # month/year, not 2026-03


def test_each_role_lands_on_its_work(ctx, db_url, catalog, tokens):
    web = create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False}, context=ctx)
    for user, home in (("boss", "/giam-sat"), ("kt", "/xu-ly"), ("clerk", "/quay")):
        r = web.test_client().post("/dang-nhap", data={"username": user, "password": f"pw-{user}"})
        assert r.status_code == 302 and r.headers["Location"] == home, (user, r.headers.get("Location"))


def test_navigation_and_filters_say_where_one_is(app, tokens, engine):
    boss = signed_in(app, engine, "boss")
    html = boss.get("/giam-sat").get_data(as_text=True)
    assert '<a href="/giam-sat" aria-current="page">Giám sát</a>' in html
    assert '<a href="/giam-sat/sipas">Hài lòng, phản ánh</a>' in html
    html = boss.get("/giam-sat/sipas").get_data(as_text=True)
    assert '<a href="/giam-sat/sipas" aria-current="page">' in html
    html = boss.get("/xu-ly?pham_vi=don-vi&qua_han=1").get_data(as_text=True)
    current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', html)
    assert ("/xu-ly?pham_vi=don-vi&amp;qua_han=1", "Chỉ hồ sơ quá hạn") in current
    assert not any(label == "Tất cả hồ sơ đang mở" for _, label in current)
    assert "/giam-sat/sipas" not in signed_in(app, engine, "kt").get("/xu-ly").get_data(as_text=True)


def test_the_dashboard_in_english_names_buckets_and_weeks_in_english(app, tokens, engine):
    boss = signed_in(app, engine, "boss")
    vi = boss.get("/giam-sat").get_data(as_text=True)
    assert "Tuần 10" in vi and "W10" not in vi  # the test clock's ISO week, 2 March 2026
    assert "02/03–08/03/2026" in vi  # its dates, day first
    boss.get("/ngon-ngu/en")
    en = boss.get("/giam-sat").get_data(as_text=True)
    tiles = re.search(r'<div class="tiles">.*?</div>', en, re.S).group(0)
    assert "Overdue" in tiles and "Due today" in tiles and "Paused, awaiting a supplement" in tiles
    for vietnamese in ("Quá hạn", "Đến hạn hôm nay", "Còn trong hạn", "Tạm dừng", "Tuần 10"):
        assert vietnamese not in en, vietnamese
    assert "Week 10" in en


def test_form_ii06a_is_laid_out_as_the_form(app, tokens, engine):
    html = signed_in(app, engine, "boss").get("/giam-sat/bao-cao?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert "Biểu số II.06a" in html and "Kỳ báo cáo: từ ngày 01/03/2026 đến ngày 31/03/2026" in html
    assert "(17)" in html and "Người lập biểu" in html and "Thủ trưởng cơ quan" in html
    assert "@page{size:A4 landscape" in html


def test_period_forms_take_and_show_dates_day_first(app, tokens, engine):
    boss = signed_in(app, engine, "boss")
    r = boss.get("/giam-sat/bao-cao?from=1/03/2026&to=31/03/2026&agency=T1")
    assert r.status_code == 302
    assert r.headers["Location"] == "/giam-sat/bao-cao?from=2026-03-01&to=2026-03-31&agency=T1"
    html = boss.get(r.headers["Location"]).get_data(as_text=True)
    assert 'name="from" value="01/03/2026"' in html and 'name="to" value="31/03/2026"' in html
    assert boss.get("/giam-sat/chi-so-766?from=31/02/2026").status_code == 302  # then refused, as ever
    assert boss.get("/giam-sat/chi-so-766?from=2026-02-31").status_code in (400, 422)


def test_the_dashboard_reads_by_receiving_point_or_by_competent_unit(app, city, ctx, engine):  # noqa: F811
    """Issue 22: a dossier taken in at WA for WB counts on WA's dashboard by receiving
    point, on WB's by competent unit, and not the other way round; the drill-downs keep
    the choice; a `by` the page does not know is refused as bad input, not a failure."""
    from workflow.adapters.users import create_user
    with engine.begin() as conn:
        for name, agency in (("wa_lead", "WA"), ("wb_lead", "WB")):
            create_user(conn, name, "supervisor", agency, "pw-" + name)
    dossier = take_in(ctx)  # at WA's desk, for WB; not yet handed over
    wa, wb = signed_in(app, engine, "wa_lead"), signed_in(app, engine, "wb_lead")

    def total(client, query=""):
        html = client.get(f"/giam-sat{query}").get_data(as_text=True)
        tiles = re.search(r'<div class="tiles">.*?</div>', html, re.S).group(0)
        return sum(int(n) for n in re.findall(r"<strong>(\d+)</strong>", tiles)), html

    assert total(wa)[0] == 1 and total(wb)[0] == 0  # by receiving point, the default
    assert total(wa, "?by=receiving")[0] == 1
    n, html = total(wb, "?by=competent")
    assert n == 1 and total(wa, "?by=competent")[0] == 0
    assert '<option value="competent" selected>Theo đơn vị có thẩm quyền giải quyết</option>' in html
    assert 'href="/giam-sat/ho-so?bucket=on_track&amp;by=competent"' in html  # the choice is kept
    assert 'href="/giam-sat/bao-cao?by=competent"' in html
    listed = wb.get("/giam-sat/ho-so?bucket=on_track&by=competent").get_data(as_text=True)
    assert dossier.code in listed and 'href="/giam-sat?by=competent"' in listed
    assert dossier.code not in wa.get("/giam-sat/ho-so?by=competent").get_data(as_text=True)
    assert dossier.code not in wb.get("/giam-sat/ho-so").get_data(as_text=True)
    wb.get("/ngon-ngu/en")
    assert "By competent unit" in wb.get("/giam-sat?by=competent").get_data(as_text=True)
    for path in ("/giam-sat?by=x", "/giam-sat/ho-so?by=unit"):
        bad = wa.get(path)
        assert bad.status_code == 422, (path, bad.status_code)  # as the II.06a page's `by`
        assert "Dữ liệu chưa hợp lệ." in bad.get_data(as_text=True)
