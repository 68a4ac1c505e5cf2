"""Digitisation at the counter in a real browser (số hóa, issue 19): on the product started
as `make run` starts it, the clerk takes in a birth registration with the scanned
application and birth certificate chosen in the intake form's file inputs, and the
dossier page shows both required documents digitised, with the files downloadable.
Screenshots in artifacts/screenshots/."""
from __future__ import annotations

import re

import pytest

from tests.e2e.browser_support import LOGS, chromium, demo_product, login, require_browser, shot
from tests.integration.test_files_api import pdf, png

pytestmark = pytest.mark.e2e
sync_api = require_browser()


@pytest.fixture
def server(tmp_path, watch_log):
    for name in LOGS:
        watch_log(tmp_path / name)
    with demo_product(tmp_path) as base:
        yield base


def test_the_clerk_takes_in_scans_and_sees_the_dossier_digitised(server):
    expect, base = sync_api.expect, server
    scan = pdf(pages=2, text="To khai dang ky khai sinh")
    with chromium(sync_api) as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()
        login(page, base, "canbo.motcua")
        page.goto(f"{base}/quay?thu_tuc=1.001193")
        page.fill("#applicant_name", "Lê Thị Hoa")
        page.fill("#applicant_phone", "0912345678")
        for doc in ("TK", "GCS", "GTTT"):
            page.check(f"input[name=documents][value={doc}]")
        page.set_input_files("#scan-TK", files=[{"name": "to-khai.pdf", "mimeType": "application/pdf",
                                                 "buffer": scan}])
        page.set_input_files("#scan-GCS", files=[{"name": "giay-chung-sinh.png", "mimeType": "image/png",
                                                  "buffer": png()}])
        shot(page, "20-counter-intake-with-scans")
        page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
        page.wait_for_url(re.compile(r".*/quay/ho-so/.+/bien-nhan$"))
        code = page.url.split("/")[-2]

        page.goto(f"{base}/ho-so/{code}")
        expect(page.locator("#digitised-count")).to_have_text("2/2 giấy tờ bắt buộc đã số hóa")
        expect(page.locator("#doc-TK")).to_contain_text("Đã số hóa")
        expect(page.locator("#doc-GCS")).to_contain_text("Đã số hóa")
        link = page.get_by_role("link", name="to-khai.pdf")
        expect(link).to_be_visible()
        expect(page.locator("#doc-TK")).to_contain_text("2 trang")
        shot(page, "21-dossier-digitised")
        down = page.request.get(base + link.get_attribute("href"))
        assert down.status == 200 and down.headers["content-type"] == "application/pdf"
        assert down.body() == scan
