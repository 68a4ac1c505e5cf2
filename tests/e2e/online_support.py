"""Online submission in the browser, for the e2e tests: the citizen's two steps on the
product's own pages (web/citizen/online.py), the confirmation code read where the product
put it (its outbox table, or the development mailbox), real PDFs made with fpdf2, and
the "no sideways scroll" check of a phone-sized page."""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from tests.integration.test_files_api import pdf

PROCEDURE = "1.001193"  # the demo catalog's birth registration, offered online
TOPIC = "submission.code"


def code_from_outbox(workdir: Path) -> str:
    """The latest confirmation code the product queued (the demo product's SQLite)."""
    with sqlite3.connect(workdir / "instance" / "motcua.db") as conn:
        row = conn.execute("SELECT payload FROM outbox WHERE topic = ? ORDER BY id DESC LIMIT 1",
                           (TOPIC,)).fetchone()
    payload = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return payload["code"]


def scans(folder: Path, *names: str) -> dict[str, Path]:
    """Real PDF files, one per name, as a phone's scanner app would save them."""
    folder.mkdir(parents=True, exist_ok=True)
    found = {}
    for name in names:
        path = folder / f"{name}.pdf"
        path.write_bytes(pdf(2, name))
        found[name] = path
    return found


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def ask_code(page, base: str, name: str, email: str) -> None:
    """Step 1 filled and sent: the page shows step 2."""
    page.goto(f"{base}/nop-truc-tuyen/{PROCEDURE}")
    page.fill("#name", name)
    page.fill("#email", email)
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#code")


def send_files(page, code: str, files: dict[str, Path]) -> str:
    """Step 2 filled (code, one file per document) and sent: the private link's token."""
    page.fill("#code", code)
    for doc, path in files.items():
        page.set_input_files(f"#file-{doc}", str(path))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/ho-so-truc-tuyen/[A-Za-z0-9_-]+$"))
    return page.url.rsplit("/", 1)[1]


def submit_online(page, base: str, workdir: Path, email: str, files: dict[str, Path]) -> str:
    ask_code(page, base, "Lê Thị Hoa", email)
    return send_files(page, code_from_outbox(workdir), files)


def submit_by_api(base: str, workdir: Path, procedure: str, name: str, email: str,
                  documents: list[str]) -> str:
    """An online submission through the public API (code by mail, one real PDF per
    document): the new dossier's code."""
    import requests
    asked = requests.post(f"{base}/api/v1/submissions/codes", json={"procedure_code": procedure, "email": email},
                          timeout=30)
    assert asked.status_code == 202, asked.text
    files = [("file", (f"{d}.pdf", pdf(1, d), "application/pdf")) for d in documents]
    sent = requests.post(f"{base}/api/v1/submissions", timeout=60, files=files, data={
        "verification": asked.json()["verification"], "code": code_from_outbox(workdir),
        "procedure_code": procedure, "name": name, "document": documents})
    assert sent.status_code == 201, sent.text
    return sent.json()["code"]
