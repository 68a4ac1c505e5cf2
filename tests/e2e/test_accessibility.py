"""Accessible (issue 18, part 6): axe-core runs in Chromium on every page, public and staff,
as a citizen and as each role, in Vietnamese and in English, on a phone (390 px) and a
desktop; no serious or critical violation is allowed. Every report is kept as JSON in
artifacts/axe/. The counter intake is done with the keyboard alone. One product (started
as `make run` starts it) and one browser serve the whole module."""
from __future__ import annotations

import re

import pytest

from tests.e2e.axe_support import PHONE, describe, make_dossiers, require_axe, run_axe, slug
from tests.e2e.browser_support import LOGS, chromium, demo_product, login, require_browser
from tests.e2e.conftest import http_json, smtp_server, wait_for
from tests.e2e.online_support import ask_code, scans, submit_online
from tests.e2e.test_dev_mailbox_e2e import token

pytestmark = pytest.mark.e2e
sync_api = require_browser()
require_axe()
LANGS = ("vi", "en")
SIZES = {"phone": dict(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True),
         "desktop": dict(viewport={"width": 1280, "height": 900})}
# Pages on the supervisor branch's rewrite (web/supervisor/, templates/supervisor/,
# staff/queue.html, base.html, static/app.css): (page path prefix, axe rule) pairs whose
# violations are reported to that branch, not fixed here. Narrow on purpose: one rule on
# one page; empty it once that branch lands, and these pages are held to the same bar.
PENDING_SUPERVISOR: set[tuple[str, str]] = set()
STEP_TWO = "/nop-truc-tuyen/1.001193#buoc-2"  # step 1 filled and sent (a POST), as a citizen does
CITIZEN = ["/", "/thu-tuc/1.001193", "/thu-tuc/1.001193/tu-kiem-tra",
           "/thu-tuc/1.001193/tu-kiem-tra?kiem-tra=1&co=TK", "/tra-cuu", "/tra-cuu?ma={returned}",
           "/ket-qua-sipas", "/dang-nhap", "/khong-co-trang-nay", "/s/khong-hop-le", "{survey}",
           # online submission (web/citizen/online.py): step 1, step 2 (a code asked), the private
           # link as submitted and while the desk waits for documents
           "/nop-truc-tuyen/1.001193", STEP_TWO, "{online}", "{online_asked}"]
STAFF = {
    "canbo.motcua": ["/quay", "/quay?thu_tuc=1.001193", "/xu-ly", "/dang-xuat",
                     "/ho-so/{received}", "/ho-so/{incomplete}", "/ho-so/{returned}",
                     "/quay/ho-so/{received}/bien-nhan", "/quay/ho-so/{incomplete}/phieu-bo-sung",
                     "/quay/tra-ket-qua/{result_ready}", "/quay/ho-so/{rejected}/phieu-tu-choi",
                     "/quay/ho-so/{withdrawn}/thong-bao-dung", "/quay/ho-so/{returned}/phieu-kiem-soat"],
    "canbo.tuphap": ["/xu-ly", "/ho-so/{in_progress}"],
    "lanhdao.phuong": ["/giam-sat", "/giam-sat?by=competent", "/giam-sat/ho-so", "/giam-sat/bao-cao", "/giam-sat/chi-so-766",
                       "/giam-sat/so-hoa", "/giam-sat/sipas", "/xu-ly?pham_vi=don-vi", "/ho-so/{result_ready}"],
    "admin": ["/quan-tri/nguoi-dung", "/quan-tri/co-quan", "/quan-tri/nhat-ky"],
}

# staff pages also checked 390 px wide: the counter's intake and hand-over, the queue and
# a dossier (a tablet or a phone at the desk)
ON_PHONE = {"canbo.motcua": ["/quay?thu_tuc=1.001193", "/ho-so/{received}", "/quay/ho-so/{received}/bien-nhan",
                             "/quay/tra-ket-qua/{result_ready}", "/quay/ho-so/{incomplete}/phieu-bo-sung"],
            "canbo.tuphap": ["/xu-ly", "/ho-so/{in_progress}"]}


@pytest.fixture(scope="module")
def mailbox():
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture(scope="module")
def browser():
    with chromium(sync_api) as b:
        yield b


def survey_link(inbox, base: str) -> str | None:
    for message in inbox.messages:
        parts = message.walk() if message.is_multipart() else [message]
        for part in parts:
            if part.get_content_maintype() == "text":
                found = re.search(r"/s/[^\s\"'<>]+", part.get_payload(decode=True).decode("utf-8", "replace"))
                if found:
                    return found.group(0)
    return None


@pytest.fixture(scope="module")
def site(tmp_path_factory, mailbox, browser):
    """The demo product, its dossiers in every state, and a survey link from the mail."""
    workdir = tmp_path_factory.mktemp("a11y")
    with demo_product(workdir, mailbox.port) as base:
        made = make_dossiers(browser, base)
        made["survey"] = wait_for(lambda: survey_link(mailbox, base), timeout=90)
        made["workdir"] = workdir
        made |= online_links(browser, base, workdir)
        yield base, made


def online_links(browser, base: str, workdir) -> dict:
    """Two online submissions made on the pages, one of which the desk asks to supplement."""
    page = browser.new_context(**SIZES["phone"]).new_page()
    files = scans(workdir / "scans", "to-khai")
    made = {"online": submit_online(page, base, workdir, "a11y-1@example.com", {"TK": files["to-khai"]}),
            "online_asked": submit_online(page, base, workdir, "a11y-2@example.com", {"TK": files["to-khai"]})}
    page.context.close()
    port = int(base.rsplit(":", 1)[1])
    status, mine = http_json(port, "GET", f"/api/v1/submissions/{made['online_asked']}")
    status, asked = http_json(port, "POST", f"/api/v1/dossiers/{mine['code']}/actions/request_supplement",
                              {"missing": ["GCS"], "reason": "Thiếu giấy chứng sinh"}, token(workdir, "canbo.motcua"))
    assert status == 200, asked
    return {key: f"/ho-so-truc-tuyen/{value}" for key, value in made.items()}


@pytest.fixture
def watched(site, watch_log):
    base, made = site
    for name in LOGS:
        watch_log(made["workdir"] / name)
    return base, made


PENDING_SEEN: set[tuple[str, str]] = set()


def audit(page, base: str, paths: list[str], made: dict, who: str, lang: str, size: str) -> dict:
    """axe on each page; {page: [serious or critical violations]} not pending elsewhere."""
    failures = {}
    for path in paths:
        url = path.format(**made)
        page.goto(base + url)
        if url == STEP_TWO:  # a fresh address each time: the code limit counts per contact
            ask_code(page, base, "Lê Thị Hoa", f"a11y-{lang}-{size}@example.com")
        if url == "/tra-cuu":  # the lookup's answer is a POST: fill the form and send it
            page.fill("#ma", made["returned"])
            page.fill("#so", PHONE[-4:])
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == lang, (url, "the page's language")
        # no survey or private-link token in a file name
        name = path.strip("{}") if path.startswith("{") else slug(url)
        found = run_axe(page, f"{who}-{lang}-{size}-{name}")
        pending = {(prefix, v["id"]) for v in found for prefix, rule in PENDING_SUPERVISOR
                   if url.startswith(prefix) and v["id"] == rule}
        PENDING_SEEN.update(pending)
        found = [v for v in found if not any(v["id"] == rule for _, rule in pending)]
        if found:
            failures[f"{who} {lang} {size} {url}"] = describe(found)
    return failures


def new_page(browser, base: str, size: str, username: str | None = None):
    context = browser.new_context(**SIZES[size], bypass_csp=True)  # axe is injected inline
    page = context.new_page()
    page.set_default_timeout(10_000)
    if username:
        login(page, base, username)
    return page


def audit_in(page, base, paths, made, who, size, langs=LANGS) -> dict:
    failures = {}
    for lang in langs:
        page.goto(f"{base}/ngon-ngu/{lang}?next=/")  # the header's language link
        failures |= audit(page, base, paths, made, who, lang, size)
    page.context.close()
    return failures


@pytest.mark.parametrize("size", SIZES)
def test_citizen_pages_have_no_serious_violations(watched, browser, size):
    base, made = watched
    failures = audit_in(new_page(browser, base, size), base, CITIZEN, made, "citizen", size)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_staff_pages_have_no_serious_violations(watched, browser):
    """Every role's pages in both languages on a desktop; the counter's and the officer's
    main pages also on a phone (ON_PHONE), in Vietnamese (the desks' language)."""
    base, made = watched
    failures = {}
    for username, paths in STAFF.items():
        failures |= audit_in(new_page(browser, base, "desktop", username), base, paths, made, username, "desktop")
    for username, paths in ON_PHONE.items():
        failures |= audit_in(new_page(browser, base, "phone", username), base, paths, made, username,
                             "phone", ("vi",))
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
    fixed = PENDING_SUPERVISOR - PENDING_SEEN
    assert not fixed, f"fixed on the supervisor pages: remove {fixed} from PENDING_SUPERVISOR"


FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  return {tag: e.tagName.toLowerCase(), id: e.id, cls: e.className || '', name: e.getAttribute('name') || '',
          value: e.getAttribute('value') || '', type: e.getAttribute('type') || '',
          text: (e.innerText || '').trim().slice(0, 80), focusVisible: e.matches(':focus-visible'),
          ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'};
}"""


class Keyboard:
    """Tab, Shift+Tab, Enter, Space and typing only; every stop must show its focus."""

    def __init__(self, page):
        self.page, self.stops, self.unseen = page, 0, []

    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUSED)

    def tab_to(self, wanted, back: bool = False, limit: int = 80) -> dict:
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            f = self.focused()
            if f is None:
                continue
            self.stops += 1
            if not (f["focusVisible"] and f["ring"]):
                self.unseen.append(f)
            if wanted(f):
                return f
        raise AssertionError(f"the keyboard never reached the element wanted (last: {self.focused()})")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)


def test_counter_intake_with_the_keyboard_only(watched, browser):
    """The clerk signs in, finds the procedure, fills the applicant, ticks the documents and
    takes the dossier in without touching the mouse; each focused element shows a visible
    ring (app.css :focus-visible), and the receipt appears."""
    base, _made = watched
    context = browser.new_context(**SIZES["desktop"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    keys = Keyboard(page)
    page.goto(f"{base}/dang-nhap")  # typed into the address bar
    assert keys.focused()["id"] == "username"  # the login form starts focused
    keys.type("canbo.motcua")
    keys.tab_to(lambda f: f["id"] == "password")
    keys.type("motcua-demo")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/quay$"))

    skip = keys.tab_to(lambda f: True, limit=1)  # the first stop: "skip to main content"
    assert "skip" in skip["cls"].split(), skip
    page.keyboard.press("Enter")
    assert keys.focused()["id"] == "main"
    keys.tab_to(lambda f: f["id"] == "q")
    keys.type("khai sinh")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/quay\?q=.*"))
    keys.tab_to(lambda f: f["tag"] == "a" and f["text"].startswith("1.001193"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*thu_tuc=1\.001193.*"))

    fields = {"applicant_name": "Lê Thị Cúc", "applicant_id_number": "001190012345",
              "applicant_phone": "0987654321", "applicant_email": "cuc@example.com"}
    for field, value in fields.items():
        keys.tab_to(lambda f, field=field: f["id"] == field)
        keys.type(value)
    keys.tab_to(lambda f: f["id"] == "applicant_name", back=True)  # Shift+Tab goes back too
    assert page.input_value("#applicant_name") == fields["applicant_name"]
    for doc in ("TK", "GCS", "GTTT"):
        keys.tab_to(lambda f, doc=doc: f["type"] == "checkbox" and f["value"] == doc)
        page.keyboard.press("Space")
        assert page.is_checked(f"input[name=documents][value={doc}]")
    keys.tab_to(lambda f: f["tag"] == "button" and f["type"] == "submit" and "hồ sơ" in f["text"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/quay/ho-so/.+/bien-nhan$"))
    sync_api.expect(page.get_by_role("heading", name="GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")).to_be_visible()
    sync_api.expect(page.locator(".slip")).to_contain_text("Lê Thị Cúc")
    assert keys.stops > 10 and not keys.unseen, f"focused without a visible focus ring: {keys.unseen}"
    context.close()
