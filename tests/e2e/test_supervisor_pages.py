"""Every supervisor page in a real browser at a phone's width (390 px), a tablet's (768
px) and a desktop's (1366 px), on the product started as `make run` starts it, with
dossiers received, processed, returned and surveyed through the API and the worker (and
some processed "last week" through the engine's use cases with a clock set back).
Screenshots are kept in artifacts/screenshots/ (supervisor-*-390.png, -1366.png, …); the
layout is measured, not eyeballed: no chart text overlaps another text or a bar, no page
scrolls sideways (wide tables scroll inside their own wrapper), and form II.06a fits the
printable width of A4 landscape with no cell overflowing and its names not squeezed."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from config import get_config

from tests import server_log
from tests.e2e.browser_support import LOGS, ROOT, chromium, demo_product, login, require_browser, shot
from tests.e2e.conftest import Inbox, free_port, http_json, wait_for
from tests.e2e.online_support import submit_by_api
from workflow.bootstrap import build_context
from workflow.domain.dossier import Actor, Applicant
from workflow.services.dossiers import use_cases

pytestmark = pytest.mark.e2e
sync_api = require_browser()
WIDTHS = (390, 768, 1366)  # a phone, a tablet (labels switch at 896 px), a desktop
A4_LANDSCAPE_PRINTABLE_PX = (297 - 2 * 10) / 25.4 * 96  # @page margin 10 mm (supervisor/_style.html)
BIRTH = "1.001193"  # the demo ward's birth registration: desk, civil status, leader, desk
STEPS = [("canbo.motcua", "forward"), ("canbo.motcua", "forward"), ("canbo.tuphap", "forward"),
         ("lanhdao.ky", "forward"), ("canbo.motcua", "complete"), ("canbo.motcua", "return_result")]
QUESTIONS = [f"A{i}" for i in range(1, 6)] + [f"P{i}" for i in range(1, 6)] + \
    [f"C{i}" for i in range(1, 7)] + ["R1", "R2", "R3"] + [f"F{i}" for i in range(1, 5)]
PAGES = [("dashboard", "/giam-sat"), ("dashboard-competent", "/giam-sat?by=competent"),
         ("dossiers", "/giam-sat/ho-so"), ("dossiers-on-track", "/giam-sat/ho-so?bucket=on_track"),
         ("report", "/giam-sat/bao-cao"),
         ("service-index", "/giam-sat/chi-so-766"), ("digitisation", "/giam-sat/so-hoa"),
         ("sipas", "/giam-sat/sipas"),
         ("queue", "/xu-ly?pham_vi=don-vi")]


def token(workdir: Path, username: str) -> str:
    """An API token issued by the CLI against the demo product's instance."""
    env = {**os.environ, "MOTCUA_INSTANCE": str(workdir / "instance"), "MOTCUA_ENV": "development"}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "web", "users", "token", username],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def survey_token(inbox: Inbox, code: str) -> str | None:
    for message in inbox.messages:
        parts = message.walk() if message.is_multipart() else [message]
        text = "\n".join(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8", "replace")
                         for p in parts if isinstance(p, Message) and p.get_content_maintype() == "text")
        found = re.search(r"/s/([^\s\"'<>]+)", text)
        if found and code in text:
            return found.group(1)
    return None


ACTORS = {"canbo.motcua": Actor("canbo.motcua", "counter", "H26.HD"),
          "canbo.tuphap": Actor("canbo.tuphap", "officer", "H26.HD.TP"),
          "lanhdao.ky": Actor("lanhdao.ky", "officer", "H26.HD.LD")}


def processed_last_week(workdir: Path, n: int) -> None:
    """`n` birth registrations received last Monday and processed through last week's
    office hours, the k-th with k+1 times 50 minutes between hand-offs, so that steps took
    working time: made through the API a second apart, every visit would measure 0
    minutes, and the product has no clock to move. The engine's own use cases write them,
    with a clock set back, into the demo product's database."""
    now = datetime.now(timezone.utc)
    moment = [(now - timedelta(days=now.weekday() + 7)).replace(hour=1, minute=30, second=0, microsecond=0)]
    cfg = get_config("development")
    settings = {k: getattr(cfg, k) for k in dir(cfg) if k.isupper()}
    settings["DATABASE_URL"] = f"sqlite:///{workdir / 'instance' / 'motcua.db'}"
    ctx = replace(build_context(settings), now=lambda: moment[0])
    try:
        for k in range(n):
            moment[0] = moment[0].replace(hour=1, minute=30) + timedelta(days=0 if k == 0 else 1) \
                if moment[0].weekday() < 3 else moment[0]
            dossier, _ = use_cases.intake(ctx, ACTORS["canbo.motcua"], BIRTH,
                                          Applicant(f"Trần Thị Tuần {k}", f"00119001234{k}", f"098765432{k}"),
                                          ["TK", "GCS", "GTTT"], "in_person")
            for user, action in STEPS:
                moment[0] += timedelta(minutes=50 * (k + 1))
                use_cases.act(ctx, ACTORS[user], dossier.code, action, {})
    finally:
        ctx.engine.dispose()


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    """The demo product with work to show: five birth registrations returned (so steps
    have times and weeks a rate), two answered surveys (one unhappy: a feedback item), and
    four dossiers left open at different steps."""
    workdir = tmp_path_factory.mktemp("supervisor")
    inbox = Inbox()
    mail = Controller(inbox, hostname="127.0.0.1", port=free_port())
    mail.start()
    try:
        with demo_product(workdir, mail.port) as base:
            port = int(base.rsplit(":", 1)[1])
            tokens = {u: token(workdir, u) for u in {u for u, _ in STEPS}}

            def receive(n: int) -> str:
                if n % 2:  # every other one submitted online, then accepted at the desk
                    code = submit_by_api(base, workdir, BIRTH, f"Nguyễn Văn Thử {n}", f"thu{n}@example.com",
                                         ["TK", "GCS", "GTTT"])
                    status, body = http_json(port, "POST", f"/api/v1/dossiers/{code}/actions/accept", {},
                                             tokens["canbo.motcua"])
                    assert status == 200, body
                    return code
                status, body = http_json(port, "POST", "/api/v1/dossiers", {
                    "procedure_code": BIRTH, "channel": "in_person",
                    "applicant": {"name": f"Nguyễn Văn Thử {n}", "id_number": f"00109001234{n}",
                                  "phone": f"091234567{n}", "email": f"thu{n}@example.com"},
                    "documents": ["TK", "GCS", "GTTT"]}, tokens["canbo.motcua"])
                assert status == 201, body
                return body["code"]

            def act(code: str, steps) -> None:
                for user, action in steps:
                    status, body = http_json(port, "POST", f"/api/v1/dossiers/{code}/actions/{action}", {},
                                             tokens[user])
                    assert status == 200, (user, action, body)
            closed = [receive(n) for n in range(5)]
            for code in closed:
                act(code, STEPS)
            processed_last_week(workdir, 3)
            for n, upto in zip(range(5, 9), (0, 2, 3, 4)):
                act(receive(n), STEPS[:upto])
            for code, mark, extra in ((closed[0], 5, {}), (closed[1], 2, {"comment": "Chờ lâu", "complaint": True})):
                link = wait_for(lambda: survey_token(inbox, code), timeout=90)
                status, body = http_json(port, "POST", f"/api/v1/surveys/{link}",
                                         {"answers": dict.fromkeys(QUESTIONS, mark), **extra})
                assert status == 201, body
            yield base, workdir
    finally:
        mail.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium(sync_api) as b:
        yield b


@pytest.fixture
def server(product, request):
    base, workdir = product
    for name in LOGS:
        server_log.watch(request, workdir / name)
    return base


def signed_in(browser, base: str, width: int, username: str = "lanhdao.phuong"):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="vi-VN",
                                  is_mobile=width < 500, has_touch=width < 500)
    page = context.new_page()
    login(page, base, username)
    return context, page


OVERLAPS = """(svg) => {
  const visible = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).display !== 'none'; };
  const box = (el) => { const r = el.getBoundingClientRect();
    return {x1: r.left, y1: r.top, x2: r.right, y2: r.bottom, what: el.tagName + ' ' + (el.textContent || el.getAttribute('class'))}; };
  const texts = [...svg.querySelectorAll('text')].filter(visible).map(box);
  const bars = [...svg.querySelectorAll('rect.bar, rect.light, rect.dark')].filter(visible).map(box);
  const hit = (a, b) => a.x1 < b.x2 - 0.5 && b.x1 < a.x2 - 0.5 && a.y1 < b.y2 - 0.5 && b.y1 < a.y2 - 0.5;
  const out = [];
  texts.forEach((a, i) => texts.slice(i + 1).forEach((b) => { if (hit(a, b)) out.push([a.what, b.what]); }));
  texts.forEach((a) => bars.forEach((b) => { if (hit(a, b)) out.push([a.what, b.what]); }));
  const frame = svg.getBoundingClientRect();
  const outside = texts.filter((t) => t.x1 < frame.left - 0.5 || t.x2 > frame.right + 0.5)
    .map((t) => [t.what, t.x1, t.x2, frame.left, frame.right]);
  return {count: texts.length, overlaps: out, outside: outside};
}"""


def assert_no_overlap(page, selector: str, at_least: int = 1) -> None:
    found = page.eval_on_selector(selector, OVERLAPS)
    assert found["count"] >= at_least, f"{selector}: {found['count']} visible labels"
    assert not found["overlaps"], f"{selector}: overlapping text: {found['overlaps']}"
    assert not found["outside"], f"{selector}: text outside the chart: {found['outside']}"


def assert_no_sideways_scroll(page, width: int, name: str) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name} scrolls sideways at {width}px ({scroll}px)"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_supervisor_page_at_phone_and_desktop_width(server, browser, width):
    context, page = signed_in(browser, server, width)
    assert page.url.endswith("/giam-sat"), "a supervisor lands on the agency's dashboard"
    nav = page.locator("header.site nav")
    sync_api.expect(nav.get_by_role("link", name="Giám sát")).to_have_attribute("aria-current", "page")
    sync_api.expect(nav.get_by_role("link", name="Hài lòng, phản ánh")).to_be_visible()
    for name, path in PAGES:
        response = page.goto(f"{server}{path}")
        assert response.status == 200, (path, response.status)
        assert_no_sideways_scroll(page, width, name)
        shot(page, f"supervisor-{name}-{width}")
        for chart in page.locator("svg.chart").all():
            assert_no_overlap(page, f"#{chart.get_attribute('id')}")
    page.goto(f"{server}/giam-sat")
    assert_no_overlap(page, "#chart-steps", at_least=8)  # four steps: a name and figures each
    labels = page.eval_on_selector_all("#chart-steps text.lab", "els => els.filter(e => getComputedStyle(e).display "
                                       "!== 'none').map(e => e.textContent)")
    assert len(labels) == 4 and any(t.endswith("…") for t in labels) == (width < 896), labels  # cut on a phone …
    assert page.locator("#chart-steps title").filter(has_text="ghi sổ hộ tịch").count() >= 1  # … whole here
    page.goto(f"{server}/xu-ly?pham_vi=don-vi")
    current = page.locator("nav.filters a[aria-current=page]")
    sync_api.expect(current).to_have_text("Tất cả hồ sơ đang mở")
    assert current.evaluate("a => getComputedStyle(a).backgroundColor") != \
        page.locator("nav.filters a:not([aria-current])").first.evaluate("a => getComputedStyle(a).backgroundColor")
    context.close()


def test_the_sipas_trend_shows_the_month_that_has_answers(server, browser):
    context, page = signed_in(browser, server, 1366)
    page.goto(f"{server}/giam-sat/sipas")
    sync_api.expect(page.locator("#sipas-responses")).to_have_text("2")
    bars = page.locator("#chart-sipas-months rect.bar")
    assert bars.count() == 1 and float(bars.first.get_attribute("height")) > 20
    values = [t for t in page.locator("#chart-sipas-months text.v").all_text_contents() if t != "—"]
    assert len(values) == 1 and values[0].endswith("%")
    context.close()


def test_the_dashboard_in_english_has_no_vietnamese_labels(server, browser):
    context, page = signed_in(browser, server, 1366)
    page.goto(f"{server}/ngon-ngu/en?next=/giam-sat")
    tiles = page.locator(".tiles a").all_text_contents()
    assert any("Overdue" in t for t in tiles) and not any("Quá hạn" in t for t in tiles), tiles
    weeks = page.eval_on_selector_all("#chart-weeks text", "els => els.filter(e => getComputedStyle(e).display !== 'none')"
                                      ".map(e => e.textContent)")
    assert any(w.startswith("Week ") for w in weeks) and not any("Tuần" in w for w in weeks), weeks
    assert "ngày" not in page.locator("#chart-steps").text_content()
    shot(page, "supervisor-dashboard-en-1366")
    context.close()


def test_form_ii06a_fits_a4_landscape(server, browser):
    context, page = signed_in(browser, server, 1366)
    page.goto(f"{server}/giam-sat/bao-cao")
    assert page.locator("#ii06a tbody td.name").count() >= 1
    width = int(A4_LANDSCAPE_PRINTABLE_PX)
    page.set_viewport_size({"width": width, "height": 740})
    page.emulate_media(media="print")
    table = page.locator("#ii06a").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= width + 0.5, table
    overflowing = page.eval_on_selector_all(
        "#ii06a th, #ii06a td", "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent)")
    assert not overflowing, f"text wider than its cell in print: {overflowing}"
    name = page.locator("#ii06a tbody td.name").first.bounding_box()["width"]
    assert name >= 55 / 25.4 * 96, f"the procedure names are squeezed into {name}px"
    shot(page, "supervisor-report-print")
    pdf = page.pdf(format="A4", landscape=True, prefer_css_page_size=True)
    from pypdf import PdfReader
    first = PdfReader(io.BytesIO(pdf)).pages[0]
    assert first.mediabox.width > first.mediabox.height  # landscape
    text = first.extract_text()
    assert "(17)" in text and "II.06a" in text
    page.emulate_media(media="screen")
    context.close()
