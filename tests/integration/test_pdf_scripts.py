"""Printed forms take any accepted name in any script and any accepted text length
(issue "Hostile input: no 5xx, no leaks", requirement 5).

Every form the forms listing offers (01 receipt, 02 supplement, 03 refusal, 04 apology,
05 stop notice, 06 control sheet) is printed as PDF and read back with pypdf: the name and
the reasons must be in the text, the Noto fallback fonts of their scripts embedded, and
texts at their maximum length whole, over as many pages as they take. (The log book is the
XLSX/CSV export of the reports, not a printed PDF.)
"""
from __future__ import annotations

import io
import logging
import re
import unicodedata

import pytest
from annotated_types import MaxLen
from pypdf import PdfReader

from tests.integration.test_staff_pages import login, web  # noqa: F401  (fixture)
from web.api import schemas as s
from web.staff import pdf, pdf_fonts

# the scripts of the example, the Vietnamese sent decomposed (stored and printed NFC)
NAME = unicodedata.normalize("NFD", "Nguyễn Thị Hoà 王小明 محمد علي Иван Петров สมชาย")
REASONS = {  # the other scripts of pdf_fonts.FALLBACKS, in the texts staff write
    "forward": "Chuyển tiếp: 김민준 さくら Αλέξανδρος",
    "postpone": "Chờ xác minh: សុខា ສົມພອນ राजेश",
    "request_supplement": "Thiếu văn bản ủy quyền của 李华",
    "reject": "Người nộp محمد علي không có quyền",
    "withdraw": "Người nộp Иван Петров xin rút",
}
FONTS = {"NotoSansCJKSC", "NotoSansArabic", "NotoSansThai"}  # what the name itself needs


def limit(model, field: str) -> int:
    """The maximum length the API accepts for a field (web/api/schemas.py)."""
    return next(m.max_length for m in model.model_fields[field].metadata if isinstance(m, MaxLen))


def text_of(data: bytes) -> tuple[str, int, set[str]]:
    """(the text with whitespace removed, pages, embedded font names without subset tag).
    pypdf reads a NUL before each glyph of a CID-keyed CFF font (the CJK one): dropped, as
    are the bidi marks an extractor may add around right-to-left runs."""
    reader = PdfReader(io.BytesIO(data))
    raw = "".join(p.extract_text() for p in reader.pages)
    fonts = {str(f.get_object()["/BaseFont"]).split("+")[-1] for p in reader.pages
             for f in p["/Resources"]["/Font"].values()}
    return re.sub(r"[\s\x00\u200e\u200f\u202a-\u202e]", "", raw), len(reader.pages), fonts


def words_in(text: str, value: str) -> list[str]:
    """The words of `value` not found in `text` (right-to-left runs come out in visual order,
    so a name is looked for word by word)."""
    return [w for w in unicodedata.normalize("NFC", value).split() if w not in text]


def print_all(app, api, code: str, user: str = "clerk") -> dict[str, bytes]:
    """Every form the listing offers for the dossier, as PDF: {key: bytes}."""
    forms = api(user, "GET", f"/api/v1/dossiers/{code}/forms").get_json()["items"]
    session = login(app, user)
    out = {}
    for f in forms:
        r = session.get(f["pdf"])
        assert r.status_code == 200 and r.mimetype == "application/pdf", (f["key"], r.status_code)
        assert r.data.startswith(b"%PDF") and r.data.rstrip().endswith(b"%%EOF"), f["key"]
        out[f["key"]] = r.data
    return out


def act(api, user, code, action, body):
    r = api(user, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json=body)
    assert r.status_code == 200, (action, r.get_json())


def refused_dossier(api, clock, name: str, texts: dict) -> str:
    """Received, forwarded, postponed, sent back for a supplement, supplemented, refused:
    forms 01, 02, 03, 04 and the control sheet apply."""
    code = api("clerk", "POST", "/api/v1/dossiers", json={
        "procedure_code": "1.001612", "applicant": {"name": name, "phone": "0912345678"},
        "documents": ["GDN", "CCCD"], "channel": "in_person"}).get_json()["code"]
    act(api, "clerk", code, "forward", {"note": texts["forward"]})
    clock.at = clock.at.replace(day=3)
    act(api, "kt", code, "postpone", {"reason": texts["postpone"], "new_due_at": "2026-03-10"})
    act(api, "kt", code, "request_supplement", {"missing": ["UQ"], "reason": texts["request_supplement"]})
    act(api, "clerk", code, "supplement", {"documents": ["UQ"], "note": texts["forward"]})
    act(api, "kt", code, "reject", {"reason": texts["reject"]})
    return code


def withdrawn_dossier(api, name: str, texts: dict, defect: str) -> str:
    """Taken in incomplete (a defective document noted), then withdrawn: forms 02 and 05."""
    code = api("clerk", "POST", "/api/v1/dossiers", json={
        "procedure_code": "1.001612", "applicant": {"name": name}, "documents": ["GDN"],
        "defects": {"GDN": defect}, "channel": "in_person"}).get_json()["code"]
    act(api, "clerk", code, "withdraw", {"reason": texts["withdraw"]})
    return code


def test_every_form_prints_a_name_in_any_script_with_the_fallback_fonts(web, api, clock):  # noqa: F811
    refused = print_all(web, api, refused_dossier(api, clock, NAME, REASONS))
    withdrawn = print_all(web, api, withdrawn_dossier(api, NAME, REASONS, "Bản khai có chữ 王小明"))
    assert set(refused) == {"receipt", "supplement", "refusal", "apology", "control"}
    assert set(withdrawn) == {"supplement", "stop"}
    for key, data in [*refused.items(), *(("withdrawn " + k, v) for k, v in withdrawn.items())]:
        text, _pages, fonts = text_of(data)
        assert not words_in(text, NAME), (key, words_in(text, NAME))
        assert FONTS <= fonts, (key, fonts)
    # the staff's texts in the other scripts, each on the form that prints it
    for key, action in (("apology", "postpone"), ("refusal", "reject"), ("control", "forward")):
        text, _pages, fonts = text_of(refused[key])
        assert not words_in(text, REASONS[action]), (key, words_in(text, REASONS[action]))
    assert {"NotoSansKhmer", "NotoSansLao", "NotoSansDevanagari"} <= text_of(refused["apology"])[2]
    assert not words_in(text_of(withdrawn["stop"])[0], REASONS["withdraw"])


def test_a_vietnamese_slip_embeds_no_fallback_font(web, api, clock):  # noqa: F811
    texts = {k: "Hồ sơ thiếu chữ ký" for k in REASONS}
    forms = print_all(web, api, refused_dossier(api, clock, "Nguyễn Văn An", texts))
    for key, data in forms.items():
        assert text_of(data)[2] <= {"Roboto", "RobotoBold", "RobotoItalic"}, key


def long_text(n: int, tag: str) -> str:
    """Exactly n characters: a word too long for any line (Vietnamese and Chinese), then
    numbered words with a line break every ten; `in_order` finds them back."""
    out, i = "Lý-do-" + "đ" * 150 + "王", 0
    while len(out) < n:
        i += 1
        out += ("\n" if i % 10 == 1 else " ") + f"{tag}{i:04d}"
    return out[:n - 1] + "x"


def in_order(text: str, value: str, tag: str) -> bool:
    """Every numbered word of `value` is in `text`, in order (a table's columns interleave
    their lines, so a cell's text is not one run)."""
    at = 0
    for word in re.findall(rf"{tag}\d{{4}}", value):
        at = text.find(word, at)
        if at < 0:
            return False
    return True


def test_every_form_prints_every_text_at_its_maximum_length(web, api, clock):  # noqa: F811
    name_max = limit(s.ApplicantIn, "name")
    name = (unicodedata.normalize("NFC", NAME) + " ") * 10
    name = name[:name_max - 1].rstrip().ljust(name_max - 1, "a") + "a"
    assert len(name) == name_max == 200
    texts = {"forward": long_text(limit(s.NoteIn, "note"), "fw"),
             "postpone": long_text(limit(s.PostponeIn, "reason"), "pp"),
             "request_supplement": long_text(limit(s.RequestSupplementIn, "reason"), "rq"),
             "reject": long_text(limit(s.ReasonIn, "reason"), "rj"),
             "withdraw": long_text(limit(s.ReasonIn, "reason"), "wd")}
    assert {len(t) for t in texts.values()} == {2000}
    defect = long_text(500, "df")  # web.api.schemas.Defect
    refused = print_all(web, api, refused_dossier(api, clock, name, texts))
    withdrawn = print_all(web, api, withdrawn_dossier(api, name, texts, defect))
    flat = lambda v: re.sub(r"\s", "", v)  # noqa: E731
    for key, data in [*refused.items(), *withdrawn.items()]:
        assert not words_in(text_of(data)[0], name), key
    # the letters print each reason whole, in one run, over two pages
    for data, action in ((refused["apology"], "postpone"), (refused["refusal"], "reject"),
                         (withdrawn["stop"], "withdraw")):
        text, pages, _fonts = text_of(data)
        assert flat(texts[action]) in text and pages >= 2, action
    # the tables: the reason of the notice, the defect, every note of the control sheet
    assert in_order(text_of(refused["supplement"])[0], texts["request_supplement"], "rq")
    assert in_order(text_of(withdrawn["supplement"])[0], defect, "df")
    control, pages, _fonts = text_of(refused["control"])
    assert in_order(control, texts["forward"], "fw") and pages >= 3
    assert control.count("fw0050") == 2  # the forward's note and the supplement's, both whole


def test_without_the_fallback_fonts_the_slip_still_prints_and_says_so_once(monkeypatch, caplog):
    from bench.pdf_slip import TZ, model  # the bench's receipt: no database needed
    monkeypatch.setattr(pdf_fonts, "installed", lambda: {})
    monkeypatch.setattr(pdf_fonts, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="web.staff.pdf_fonts"):
        first = pdf.receipt_pdf(model(unicodedata.normalize("NFC", NAME)), TZ)
        pdf.receipt_pdf(model(unicodedata.normalize("NFC", NAME)), TZ)
    text, _pages, fonts = text_of(first)
    assert "Иван" in text and unicodedata.normalize("NFC", "Nguyễn") in text  # Roboto's scripts print
    assert fonts <= {"Roboto", "RobotoBold", "RobotoItalic"}
    ours = [r for r in caplog.records if r.name == "web.staff.pdf_fonts"]
    assert len(ours) == 1 and "install-fonts.sh" in ours[0].getMessage()


@pytest.mark.parametrize("fallback", pdf_fonts.FALLBACKS, ids=lambda f: f.family)
def test_every_fallback_font_is_installed(fallback):
    """make setup-dev installs them (scripts/install-fonts.sh); a missing one fails here,
    not silently on a slip."""
    assert fallback.file in pdf_fonts.installed(), f"{fallback.file} ({fallback.scripts})"
