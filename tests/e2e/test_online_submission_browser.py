"""Issue 19's browser test: online submission on a phone (390×844, touch). A citizen opens
the procedure page, goes to online submission, asks for the code (delivered to the
development mailbox of `make run`), attaches real PDFs and submits, and lands on the
private link; the clerk asks for a supplement through the API; the citizen reloads the
link, supplements on the phone and sees the dossier back "chờ tiếp nhận". No page scrolls
sideways; screenshots go to artifacts/screenshots/online-*.png."""
from __future__ import annotations

import re

import pytest

from tests.e2e.browser_support import LOGS, chromium, demo_product, require_browser, shot
from tests.e2e.conftest import http_json, wait_for
from tests.e2e.online_support import PROCEDURE, ask_code, no_sideways_scroll, scans, send_files
from tests.e2e.test_dev_mailbox_e2e import MAKE_RUN, token
from workflow.adapters.mailbox import Mailbox

pytestmark = pytest.mark.e2e
sync_api = require_browser()
PHONE = dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
EMAIL = "hoa@example.com"


def mailed_code(workdir) -> str | None:
    """The six digits of the latest confirmation mail in the development mailbox."""
    for m in Mailbox(workdir / "instance" / "mailbox").latest(20):
        if m["to"] == EMAIL and (found := re.search(r"Mã xác nhận nộp hồ sơ trực tuyến: (\d{6})",
                                                     m.get("subject") or "")):
            return found.group(1)
    return None


def phone_fits(page, name: str) -> None:
    shot(page, f"online-{name}")
    assert no_sideways_scroll(page), f"{name}: the page scrolls sideways at 390 px"


def test_a_citizen_submits_and_supplements_online_on_a_phone(tmp_path, watch_log):
    for name in LOGS:
        watch_log(tmp_path / name)
    files = scans(tmp_path / "scans", "to-khai", "giay-chung-sinh", "cccd")
    with demo_product(tmp_path, env=MAKE_RUN) as base, chromium(sync_api) as browser:
        port = int(base.rsplit(":", 1)[1])
        page = browser.new_context(**PHONE).new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{base}/thu-tuc/{PROCEDURE}")
        phone_fits(page, "1-procedure")
        page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
        page.wait_for_url(re.compile(rf".*/nop-truc-tuyen/{re.escape(PROCEDURE)}$"))
        page.fill("#name", "Lê Thị Hoa")
        page.fill("#email", EMAIL)
        phone_fits(page, "2-contact")
        ask_code(page, base, "Lê Thị Hoa", EMAIL)
        sync_api.expect(page.locator("main")).to_contain_text("h***@example.com")
        code = wait_for(lambda: mailed_code(tmp_path), timeout=90)  # the worker delivered it
        page.fill("#code", code)
        phone_fits(page, "3-code-and-files")
        link_token = send_files(page, code, {"TK": files["to-khai"], "GTTT": files["cccd"]})
        main = page.locator("main")
        sync_api.expect(main).to_contain_text("Nộp trực tuyến, chờ tiếp nhận")
        sync_api.expect(main).to_contain_text("to-khai.pdf")
        assert page.locator("meta[name=referrer]").get_attribute("content") == "no-referrer"
        assert page.locator("input[name=file-GCS]").count() == 0  # no supplement form yet
        phone_fits(page, "4-submitted")

        status, mine = http_json(port, "GET", f"/api/v1/submissions/{link_token}")
        assert status == 200 and mine["status"] == "submitted", mine
        clerk = token(tmp_path, "canbo.motcua")
        status, asked = http_json(port, "POST", f"/api/v1/dossiers/{mine['code']}/actions/request_supplement",
                                  {"missing": ["GCS"], "reason": "Thiếu giấy chứng sinh"}, clerk)
        assert status == 200 and asked["status"] == "awaiting_documents", asked

        page.reload()
        sync_api.expect(main).to_contain_text("Chờ bổ sung hồ sơ")
        sync_api.expect(main).to_contain_text("Thiếu giấy chứng sinh")
        phone_fits(page, "5-asked")
        page.set_input_files("#file-GCS", str(files["giay-chung-sinh"]))
        page.get_by_role("button", name="Gửi bổ sung").tap()
        page.wait_for_load_state()
        sync_api.expect(main).to_contain_text("chờ tiếp nhận")
        sync_api.expect(main).to_contain_text("giay-chung-sinh.pdf")
        assert page.locator("input[name=file-GCS]").count() == 0
        phone_fits(page, "6-supplemented")
        status, mine = http_json(port, "GET", f"/api/v1/submissions/{link_token}")
        assert mine["status"] == "submitted" and {f["document"] for f in mine["files"]} == {"TK", "GTTT", "GCS"}
        run_log = (tmp_path / "run.log").read_text()
        assert link_token not in run_log  # the development server's access log hides the link
