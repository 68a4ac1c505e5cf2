"""axe-core (Deque's accessibility engine, pinned and installed by scripts/install-axe.sh)
run inside Chromium through Playwright, its reports kept as JSON in artifacts/axe/, and the
demo dossiers the accessibility tests visit, made through the staff pages' own forms."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.e2e.browser_support import ROOT, login
from tests.integration.test_files_api import pdf

AXE = ROOT / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = ROOT / "artifacts" / "axe"
BLOCKING = ("serious", "critical")
PHONE = "0912345678"


def require_axe() -> Path:
    """The pinned axe.min.js, or skip where it is not installed (CI installs it with
    `make setup-dev`: missing there is an error, never a skip)."""
    if not AXE.exists():
        if os.environ.get("CI"):
            raise RuntimeError("axe-core is missing: `make test` installs it (scripts/install-axe.sh)")
        pytest.skip("axe-core not installed (run scripts/install-axe.sh)", allow_module_level=True)
    return AXE


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", text).strip("-")[:80] or "home"


def run_axe(page, name: str) -> list[dict]:
    """axe-core on the page as it is now (WCAG 2.x A/AA and best practices); the whole
    report goes to artifacts/axe/<name>.json; returns its serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    report = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
        resultTypes: ['violations', 'incomplete']})""")
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    return [v for v in report["violations"] if v.get("impact") in BLOCKING]


def describe(violations: list[dict]) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {v['help']} — " +
            "; ".join(" ".join(n["target"]) if isinstance(n["target"][0], str) else str(n["target"])
                      for n in v["nodes"][:4]) for v in violations]


def posted(page, base: str, code: str, action: str, on: str = "/ho-so/{code}", **fields) -> None:
    """Take an action on a dossier through the form of its page (`on`: the dossier page,
    or the counter's hand-over page), CSRF token and version read from it, as the button
    would."""
    page.goto(base + on.format(code=code))
    form = page.locator(f"form[action$='/{code}/{action}']").first
    token = form.locator("input[name=csrf_token]").get_attribute("value")
    version = form.locator("input[name=version]").get_attribute("value")
    r = page.request.post(f"{base}/ho-so/{code}/{action}", form={"csrf_token": token, "version": version, **fields},
                          max_redirects=0)
    assert r.status == 303, (action, code, r.status, r.text()[:500])


def take_in(page, base: str, documents=("TK", "GCS", "GTTT"), name: str = "Nguyễn Văn An",
            scans=()) -> str:
    """The counter's intake form, filled and sent (with a scanned PDF for each document of
    `scans`): the new dossier's code."""
    page.goto(f"{base}/quay?thu_tuc=1.001193")
    page.fill("#applicant_name", name)
    page.fill("#applicant_phone", PHONE)
    page.fill("#applicant_email", "an@example.com")
    for doc in documents:
        page.check(f"input[name=documents][value={doc}]")
    for doc in scans:
        page.set_input_files(f"#scan-{doc}", files=[{"name": f"{doc.lower()}.pdf", "mimeType": "application/pdf",
                                                     "buffer": pdf(text=doc)}])
    page.locator("#tiep-nhan button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/quay/ho-so/.+/(bien-nhan|phieu-bo-sung)$"))
    return page.url.split("/")[-2]


def make_dossiers(browser, base: str) -> dict:
    """Dossiers in the states the pages show differently: received, incomplete (notice),
    in progress at civil status, result ready, returned (its survey mailed), rejected,
    withdrawn."""
    made = {}
    with_user = {}

    def session(username):
        if username not in with_user:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.set_default_timeout(10_000)
            login(page, base, username)
            with_user[username] = page
        return with_user[username]

    clerk = session("canbo.motcua")
    for name in ("received", "in_progress", "result_ready", "returned", "rejected", "withdrawn"):
        # the dossier pages with files (and their replace choice) are checked too
        made[name] = take_in(clerk, base, scans=("TK", "GCS") if name in ("received", "result_ready") else ())
    made["incomplete"] = take_in(clerk, base, documents=("TK",), name="Trần Thị Bình")
    posted(clerk, base, made["rejected"], "reject", reason="Không thuộc thẩm quyền")
    posted(clerk, base, made["withdrawn"], "withdraw", reason="Người nộp rút hồ sơ")
    moving = ("in_progress", "result_ready", "returned")
    for state in moving:  # the desk holds the first step, then hands on to civil status
        posted(clerk, base, made[state], "forward")
        posted(clerk, base, made[state], "forward")
    for officer in ("canbo.tuphap", "lanhdao.ky"):
        for state in moving[1:]:
            posted(session(officer), base, made[state], "forward")
    for state in moving[1:]:
        posted(clerk, base, made[state], "complete")
    posted(clerk, base, made["returned"], "return_result", on="/quay/tra-ket-qua/{code}")
    for page in with_user.values():
        page.context.close()
    return made
