"""Digitisation on the staff pages (số hóa, issue 19), on SQLite and PostgreSQL, with CSRF on
as in production: the clerk attaches scans while taking a dossier in (all or nothing: a
refused scan refuses the intake, no dossier, no file), the dossier page tells which
required documents are digitised and lists every file, the clerk uploads and replaces
there (the old file kept, marked superseded), the result's file at the last step; a
person of an agency the dossier never passes through can neither upload nor download."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from tests.integration.test_files_api import pdf, png, stored_blobs, stored_rows
from tests.integration.test_staff_access import INTAKE_FORM, signed_in
from tests.integration.test_staff_pages import count_dossiers
from web import create_app
from workflow.adapters.tables import dossier_events
from workflow.adapters.tables_files import dossier_files


@pytest.fixture
def web(ctx, db_url, catalog, tokens):
    return create_app("testing", {"DATABASE_URL": db_url}, context=ctx)


def token_on(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def take_in(client, scans: dict, **changes):
    """Post the counter's intake form as the browser does (multipart, CSRF token)."""
    data = {**INTAKE_FORM, "csrf_token": token_on(client, "/quay?thu_tuc=1.001193"), **changes}
    for document, files in scans.items():
        data[f"scan_{document}"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post("/quay/ho-so", data=data, content_type="multipart/form-data")


def code_of(resp) -> str:
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return resp.headers["Location"].split("/")[3]


def upload(client, code: str, content: bytes, name="scan.pdf", document="TK", replaces=None):
    data = {"csrf_token": token_on(client, f"/ho-so/{code}"), "file": (io.BytesIO(content), name)}
    if replaces is not None:
        data["replaces"] = str(replaces)
    path = f"/ho-so/{code}/ket-qua/tep" if document is None else f"/ho-so/{code}/giay-to/{document}/tep"
    return client.post(path, data=data, content_type="multipart/form-data")


def file_ids(engine, document=None) -> list[tuple[int, int | None]]:
    f = dossier_files.c
    query = select(f.id, f.superseded_by).order_by(f.id)
    if document:
        query = query.where(f.document == document)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query)]


def page_of(client, code: str) -> str:
    r = client.get(f"/ho-so/{code}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_scans_taken_at_intake_are_stored_and_the_page_shows_them_digitised(web, engine):
    clerk = signed_in(web, engine, "clerk")
    scan = pdf(pages=2, text="to khai")
    code = code_of(take_in(clerk, {"TK": [("Tờ khai.pdf", scan)], "GCS": [("giay-chung-sinh.png", png())]}))
    assert stored_rows(engine) == 2
    with engine.connect() as conn:
        actions = conn.execute(select(dossier_events.c.action).order_by(dossier_events.c.seq)).scalars().all()
    assert actions == ["intake", "attach_file", "attach_file"]  # one transaction, one trail
    html = page_of(clerk, code)
    assert "2/2 giấy tờ bắt buộc đã số hóa" in html
    assert html.count("Đã số hóa") == 2 and "Tờ khai.pdf" in html and "giay-chung-sinh.png" in html
    assert "2 trang" in html
    first = file_ids(engine, "TK")[0][0]
    down = clerk.get(f"/tep/{first}")
    assert down.status_code == 200 and down.data == scan and down.mimetype == "application/pdf"
    assert down.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("case,status,words", [
    ("text behind a .pdf name", 415, "chỉ nhận tệp PDF, JPEG hoặc PNG"),
    ("empty", 422, "Tệp rỗng"),
    ("oversized", 413, "lớn hơn giới hạn"),
    ("a scan of a document not presented", 422, "chưa được đánh dấu là đã nộp"),
])
def test_a_refused_scan_refuses_the_whole_intake(web, engine, ctx, case, status, words):
    clerk = signed_in(web, engine, "clerk")
    ctx.file_max_bytes = 10_000
    bad, changes = ("giay-chung-sinh.pdf", b"not a PDF at all\n" * 20), {}
    if case == "empty":
        bad = ("giay-chung-sinh.pdf", b"")
    elif case == "oversized":
        bad = ("giay-chung-sinh.pdf", pdf() + b"%" + b"0" * 20_000)
    elif case == "a scan of a document not presented":
        bad, changes = ("giay-chung-sinh.pdf", pdf()), {"documents": ["TK"]}
    r = take_in(clerk, {"TK": [("to-khai.pdf", pdf())], "GCS": [bad]}, **changes)
    assert r.status_code == status
    html = r.get_data(as_text=True)
    assert "Chưa tiếp nhận được" in html and words in html and "Giấy chứng sinh:" in html
    assert count_dossiers(engine) == 0 and stored_rows(engine) == 0 and stored_blobs(ctx) == []


def test_the_clerk_digitises_on_the_dossier_page_and_replaces_a_blurred_scan(web, engine, ctx):
    clerk = signed_in(web, engine, "clerk")
    code = code_of(take_in(clerk, {}))
    html = page_of(clerk, code)
    assert "0/2 giấy tờ bắt buộc đã số hóa" in html and 'id="file-TK"' in html and "Chưa số hóa" in html
    r = upload(clerk, code, pdf(text="blurred"), "gcs-mo.pdf", document="GCS")
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/ho-so/{code}#h-docs")
    (first, _), = file_ids(engine, "GCS")
    html = page_of(clerk, code)
    assert "Đã đính kèm tệp gcs-mo.pdf" in html  # the flash
    assert "1/2 giấy tờ bắt buộc đã số hóa" in html and f'<option value="{first}">' in html
    r = upload(clerk, code, pdf(text="sharp"), "gcs-ro.pdf", document="GCS", replaces=first)
    assert r.status_code == 303
    (old, superseded_by), (new, current) = file_ids(engine, "GCS")
    assert (old, superseded_by, current) == (first, new, None)
    html = page_of(clerk, code)
    assert "gcs-mo.pdf" in html and "gcs-ro.pdf" in html and "đã được thay" in html
    assert "Tệp đã được thay (1)" in html and "1/2 giấy tờ bắt buộc đã số hóa" in html
    for file_id in (old, new):  # both kept
        assert clerk.get(f"/tep/{file_id}").status_code == 200
    again = upload(clerk, code, pdf(text="third"), "gcs-3.pdf", document="GCS", replaces=old)
    assert again.status_code == 422 and "không còn là tệp hiện hành" in again.get_data(as_text=True)
    garbled = upload(clerk, code, pdf(text="fourth"), "gcs-4.pdf", document="GCS", replaces="abc")
    assert garbled.status_code == 422 and "không còn là tệp hiện hành" in garbled.get_data(as_text=True)
    assert len(file_ids(engine)) == 2


@pytest.mark.parametrize("content,name,status,words", [
    (b"<html><script>alert(1)</script></html>", "anh.png", 415, "chỉ nhận tệp PDF, JPEG hoặc PNG"),
    (b"", "rong.pdf", 422, "Tệp rỗng"),
    (None, "", 422, "Chọn tệp đã quét"),
])
def test_a_bad_upload_on_the_page_is_told_in_words_and_stores_nothing(web, engine, ctx, content, name,
                                                                      status, words):
    clerk = signed_in(web, engine, "clerk")
    code = code_of(take_in(clerk, {}))
    if content is None:  # the form sent without choosing a file
        r = clerk.post(f"/ho-so/{code}/giay-to/TK/tep", content_type="multipart/form-data",
                       data={"csrf_token": token_on(clerk, f"/ho-so/{code}")})
    else:
        r = upload(clerk, code, content, name)
    assert r.status_code == status
    html = r.get_data(as_text=True)
    assert words in html and 'class="flash error"' in html and f"Hồ sơ {code}" in html
    assert stored_rows(engine) == 0 and stored_blobs(ctx) == []


def test_an_uninvolved_agency_can_neither_upload_nor_download(web, engine, ctx):
    clerk = signed_in(web, engine, "clerk")
    code = code_of(take_in(clerk, {"TK": [("to-khai.pdf", pdf())]}))
    (file_id, _), = file_ids(engine)
    for name in ("tax", "stranger"):  # the tax office has no step in this procedure
        outsider = signed_in(web, engine, name)
        assert outsider.get(f"/ho-so/{code}").status_code == 403
        token = token_on(outsider, "/xu-ly" if name == "tax" else "/quay")
        r = outsider.post(f"/ho-so/{code}/giay-to/GCS/tep", content_type="multipart/form-data",
                          data={"csrf_token": token, "file": (io.BytesIO(pdf()), "x.pdf")})
        assert r.status_code == 403, name
        assert outsider.get(f"/tep/{file_id}").status_code == 403
        assert outsider.get("/tep/999999").status_code == 403  # the same as a file that is not there
    # the step's officer sees the dossier and its files, but the step is not his yet
    kt = signed_in(web, engine, "kt")
    html = page_of(kt, code)
    assert "to-khai.pdf" in html and 'id="file-TK"' not in html
    assert kt.get(f"/tep/{file_id}").status_code == 200
    r = kt.post(f"/ho-so/{code}/giay-to/GCS/tep", content_type="multipart/form-data",
                data={"csrf_token": token_on(kt, f"/ho-so/{code}"), "file": (io.BytesIO(pdf()), "x.pdf")})
    assert r.status_code == 403
    assert len(file_ids(engine)) == 1 and len(stored_blobs(ctx)) == 1


def test_the_result_file_is_attached_at_the_last_step(web, engine):
    clerk = signed_in(web, engine, "clerk")
    code = code_of(take_in(clerk, {}))
    assert "Kết quả điện tử" not in page_of(clerk, code)
    kt = signed_in(web, engine, "kt")
    for who in (clerk, kt):  # to the civil-status step, then on to the desk's last step
        version = re.search(r'name="version" value="(\d+)"', page_of(who, code)).group(1)
        r = who.post(f"/ho-so/{code}/forward", data={"csrf_token": token_on(who, f"/ho-so/{code}"),
                                                     "version": version})
        assert r.status_code == 303
    assert 'id="file-result"' in page_of(clerk, code)
    assert upload(clerk, code, pdf(text="Giay khai sinh"), "giay-khai-sinh.pdf", document=None).status_code == 303
    html = page_of(clerk, code)
    assert "Kết quả điện tử" in html and "giay-khai-sinh.pdf" in html and "Chưa có tệp kết quả" not in html
