"""A real browser (Playwright driving Debian's Chromium) walks the newcomer's path on the
product started the way `make run` starts it: the clerk receives a birth registration,
each agency's officer forwards it, the desk completes it and hands the result over in
two clicks, the citizen checks the status on a phone and answers the survey the worker
mailed. Screenshots of the main pages are kept in artifacts/screenshots/."""
from __future__ import annotations

import re

import pytest

from tests.e2e.browser_support import LOGS, chromium, demo_product, login, logout, require_browser, shot
from tests.e2e.conftest import wait_for

pytestmark = pytest.mark.e2e
PHONE = "0912345678"
sync_api = require_browser()


@pytest.fixture
def server(tmp_path, smtp, watch_log):
    """The product as `make run` serves it: migrated SQLite, demo data, run-dev.sh."""
    for name in LOGS:
        watch_log(tmp_path / name)
    with demo_product(tmp_path, smtp.port) as base:
        yield base


@pytest.fixture
def browser():
    with chromium(sync_api) as b:
        yield b


def act(page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    sync_api.expect(page.locator(".flash.success")).to_be_visible()


def mail_text(message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    return "\n".join(p.get_payload(decode=True).decode(p.get_content_charset() or "utf-8", "replace")
                     for p in parts if p.get_content_maintype() == "text")


def survey_link(smtp, code: str) -> str | None:
    for message in smtp.messages:
        found = re.search(r"https?://[^\s\"'<>]+/s/[^\s\"'<>]+", mail_text(message))
        if found and code in mail_text(message):
            return found.group(0)
    return None


def open_from_queue(page, base: str, code: str) -> None:
    page.goto(f"{base}/xu-ly")
    page.get_by_role("link", name=code).click()
    page.wait_for_url(f"**/ho-so/{code}")


def test_intake_processing_return_status_and_survey(server, browser, smtp):
    expect = sync_api.expect
    base = server
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = desk.new_page()

    # the clerk receives a complete birth registration
    login(page, base, "canbo.motcua")
    assert page.url.endswith("/quay")
    page.fill("#q", "khai sinh")
    page.get_by_role("link", name=re.compile(r"1\.001193")).click()
    expect(page.get_by_role("heading", name=re.compile("Tiếp nhận hồ sơ: Đăng ký khai sinh"))).to_be_visible()
    page.fill("#applicant_name", "Nguyễn Văn An")
    page.fill("#applicant_id_number", "001090012345")
    page.fill("#applicant_phone", PHONE)
    page.fill("#applicant_email", "an@example.com")
    for doc in ("TK", "GCS", "GTTT"):
        page.check(f"input[name=documents][value={doc}]")
    shot(page, "01-counter-intake")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url(re.compile(r".*/quay/ho-so/.+/bien-nhan$"))
    code = page.url.split("/")[-2]
    assert re.fullmatch(r"H26\.HD-\d{6}-\d{4}", code)
    expect(page.get_by_role("heading", name="GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")).to_be_visible()
    expect(page.locator(".slip .qr svg")).to_be_visible()
    expect(page.get_by_role("link", name=f"{base}/tra-cuu?ma={code}")).to_be_visible()
    shot(page, "02-receipt")
    page.emulate_media(media="print")  # what the printer gets: the slip alone
    expect(page.locator("header.site")).to_be_hidden()
    shot(page, "02b-receipt-print")
    page.emulate_media(media="screen")
    pdf = page.request.get(f"{base}/quay/ho-so/{code}/bien-nhan?format=pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # the desk holds the first step: it forwards to it, then on to civil status
    page.get_by_role("link", name="Mở hồ sơ").click()
    act(page, "Chuyển bước tiếp theo")
    act(page, "Chuyển bước tiếp theo")
    expect(page.get_by_text("Công chức tư pháp – hộ tịch xử lý, ghi sổ hộ tịch").first).to_be_visible()
    logout(page)

    # each step's officer finds it in the queue and forwards it
    for officer in ("canbo.tuphap", "lanhdao.ky"):
        login(page, base, officer)
        assert page.url.endswith("/xu-ly")
        if officer == "canbo.tuphap":
            shot(page, "03-officer-queue")
        open_from_queue(page, base, code)
        if officer == "canbo.tuphap":
            shot(page, "04-dossier")
        act(page, "Chuyển bước tiếp theo")
        logout(page)

    # back at the desk: the last step (return) is the counter's; complete, then hand over
    login(page, base, "canbo.motcua")
    open_from_queue(page, base, code)
    act(page, "Hoàn thành, có kết quả")
    page.goto(f"{base}/quay")
    page.get_by_role("link", name=f"Trả kết quả {code}").click()            # click 1
    page.get_by_role("button", name="Xác nhận đã trả kết quả").click()      # click 2
    page.wait_for_url(re.compile(r".*/quay$"))
    expect(page.locator(".flash.success")).to_contain_text(code)
    page.goto(f"{base}/ho-so/{code}")
    expect(page.locator(".badge").first).to_have_text("Đã trả kết quả")
    shot(page, "05-dossier-returned")

    # an incomplete dossier gets the one-time supplement notice
    page.goto(f"{base}/quay?thu_tuc=1.001193")
    page.fill("#applicant_name", "Trần Thị Bình")
    page.check("input[name=documents][value=TK]")
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url(re.compile(r".*/phieu-bo-sung$"))
    expect(page.get_by_role("heading", name="PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ")).to_be_visible()
    expect(page.locator(".slip tbody tr")).to_have_count(2)  # GCS and GTTT, both at once
    shot(page, "06-supplement-notice")
    desk.close()

    # the citizen, on a phone, follows the receipt's QR code
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True, locale="vi-VN")
    citizen = phone.new_page()
    citizen.goto(f"{base}/tra-cuu?ma={code}")
    citizen.fill("#so", PHONE[-4:])
    citizen.get_by_role("button", name="Tra cứu").click()
    expect(citizen.get_by_role("heading", name=f"Hồ sơ {code}")).to_be_visible()
    expect(citizen.locator("dl.facts")).to_contain_text("Đã trả kết quả")
    body = citizen.content()
    assert "Nguyễn Văn An" not in body and PHONE not in body and "001090012345" not in body
    shot(citizen, "07-status-phone")
    wrong = citizen.request.post(f"{base}/tra-cuu", form={"ma": code, "so": "0000"})
    assert wrong.status in (400, 404)  # no CSRF token or wrong digits: nothing disclosed
    citizen.goto(f"{base}/")
    shot(citizen, "08-catalog-phone")
    citizen.goto(f"{base}/thu-tuc/1.001193")
    expect(citizen.get_by_role("heading", name="Đăng ký khai sinh")).to_be_visible()
    width = citizen.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the procedure page scrolls sideways on a phone ({width}px)"
    shot(citizen, "09-procedure-phone")
    citizen.get_by_role("link", name="English").click()
    expect(citizen.get_by_role("heading", name="Steps")).to_be_visible()
    citizen.get_by_role("link", name="Tiếng Việt").click()

    # the closed dossier's survey invitation arrives by mail (worker + outbox); answer it
    link = wait_for(lambda: survey_link(smtp, code), timeout=90)
    citizen.goto(link)
    expect(citizen.get_by_role("heading", name="Đánh giá mức độ hài lòng")).to_be_visible()
    for name in sorted(set(citizen.eval_on_selector_all(
            "input[type=radio][name^='q-']", "els => els.map(e => e.name)"))):
        citizen.check(f"input[name='{name}'][value='5']")
    shot(citizen, "10-survey-phone")
    citizen.get_by_role("button", name="Gửi đánh giá").click()
    expect(citizen.get_by_role("heading", name="Cảm ơn Ông/Bà đã đánh giá")).to_be_visible()
    citizen.goto(link)
    expect(citizen.get_by_role("heading", name="Phiếu khảo sát này đã được trả lời")).to_be_visible()
    citizen.goto(f"{base}/ket-qua-sipas")
    shot(citizen, "11-sipas-results-phone")
    phone.close()
