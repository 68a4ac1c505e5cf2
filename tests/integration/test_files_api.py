"""A dossier's files through the API (issue 19): the clerk digitises the documents at the
counter, the files are listed under each document and streamed to those who may see the
dossier, a replacement keeps both, the result's file is attached at the last step; every
bad upload gets a clear 4xx and stores nothing."""
from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from workflow.adapters.tables_files import dossier_files


def pdf(pages: int = 1, text: str = "scan") -> bytes:
    """A small real PDF of `pages` pages (fpdf2, as the product prints its slips)."""
    from fpdf import FPDF
    doc = FPDF()
    doc.set_font("helvetica", size=12)
    for i in range(pages):
        doc.add_page()
        doc.cell(text=f"{text} {i + 1}")
    return bytes(doc.output())


def png() -> bytes:
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def dossier(api):
    body = {"procedure_code": "1.001193", "applicant": {"name": "Nguyễn Văn An", "phone": "0912345678"},
            "documents": ["TK", "GCS"], "channel": "in_person"}
    resp = api("clerk", "POST", "/api/v1/dossiers", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["code"]


def upload(client, tokens, user, code, document, data, name="scan.pdf", replaces=None,
           path=None):
    form = {"file": (io.BytesIO(data), name)}
    if replaces is not None:
        form["replaces"] = str(replaces)
    return client.post(path or f"/api/v1/dossiers/{code}/documents/{document}/files", data=form,
                       headers={"Authorization": f"Bearer {tokens[user]}"},
                       content_type="multipart/form-data")


def stored_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(dossier_files)).scalar_one()


def stored_blobs(ctx) -> list:
    root = ctx.files.root
    return [p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts]


def test_clerk_digitises_a_document_and_the_dossier_lists_it(client, tokens, api, dossier, ctx):
    data = pdf(pages=3)
    resp = upload(client, tokens, "clerk", dossier, "TK", data, name="Tờ khai (bản quét).PDF")
    assert resp.status_code == 201, resp.get_json()
    f = resp.get_json()
    assert f["media_type"] == "application/pdf" and f["pages"] == 3 and f["size"] == len(data)
    assert f["sha256"] == hashlib.sha256(data).hexdigest() and f["uploaded_by"] == "clerk"
    assert f["name"] == "Tờ khai (bản quét).pdf" and f["uploaded_at"].endswith("+07:00")
    got = api("clerk", "GET", f"/api/v1/dossiers/{dossier}").get_json()
    assert [x["id"] for x in got["files"]["documents"]["TK"]] == [f["id"]] and got["files"]["result"] == []
    attach = [e for e in got["events"] if e["action"] == "attach_file"]
    assert len(attach) == 1 and attach[0]["data"]["file"] == f["id"] and attach[0]["actor"] == "clerk"
    # the officer of a later step sees it; the content comes back byte for byte
    for user in ("clerk", "kt", "boss", "root"):
        down = client.get(f"/api/v1/files/{f['id']}", headers={"Authorization": f"Bearer {tokens[user]}"})
        assert down.status_code == 200 and down.data == data, user
        assert down.headers["Content-Type"] == "application/pdf"
        assert down.headers["X-Content-Type-Options"] == "nosniff"
        assert "attachment" in down.headers["Content-Disposition"]


def test_an_uninvolved_agency_cannot_see_or_attach(client, tokens, dossier, ctx, engine):
    f = upload(client, tokens, "clerk", dossier, "TK", png(), name="tk.png").get_json()
    for user in ("tax", "stranger"):  # the tax office has no step in this procedure
        down = client.get(f"/api/v1/files/{f['id']}", headers={"Authorization": f"Bearer {tokens[user]}"})
        assert down.status_code == 404, user  # the same answer as for a file that does not exist
        assert upload(client, tokens, user, dossier, "GCS", png()).status_code == 403
    missing = client.get("/api/v1/files/999999", headers={"Authorization": f"Bearer {tokens['tax']}"})
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == down.get_json()["error"]["code"] == "not_found"
    assert client.get(f"/api/v1/files/{f['id']}").status_code == 401
    assert stored_rows(engine) == 1


@pytest.mark.parametrize("case,expected", [
    ("text behind a .pdf name", 415),
    ("html behind a .png name", 415),
    ("a damaged pdf", 415),
    ("empty", 422),
    ("oversized", 413),
    ("not in the checklist", 422),
    ("officer before the step is theirs", 403),
    ("no file field", 422),
])
def test_a_bad_upload_gets_a_clear_refusal_and_stores_nothing(client, tokens, dossier, ctx, engine,
                                                              case, expected):
    ctx.file_max_bytes = 10_000
    user, document, data, name = "clerk", "TK", pdf(), "scan.pdf"
    if case == "text behind a .pdf name":
        data = b"just some text, not a PDF at all\n" * 10
    elif case == "html behind a .png name":
        data, name = b"<html><script>alert(1)</script></html>", "photo.png"
    elif case == "a damaged pdf":
        data = b"%PDF-1.7\n" + b"\x00garbage" * 100
    elif case == "empty":
        data = b""
    elif case == "oversized":
        data = pdf(pages=1, text="x" * 50) + b"%" + b"0" * 20_000
    elif case == "not in the checklist":
        document = "NOPE"
    elif case == "officer before the step is theirs":
        user = "kt"
    if case == "no file field":
        resp = client.post(f"/api/v1/dossiers/{dossier}/documents/TK/files", data={"other": "x"},
                           headers={"Authorization": f"Bearer {tokens['clerk']}"},
                           content_type="multipart/form-data")
    else:
        resp = upload(client, tokens, user, dossier, document, data, name=name)
    assert resp.status_code == expected, resp.get_json()
    error = resp.get_json()["error"]
    assert error["message"] and error["code"]
    assert stored_rows(engine) == 0 and stored_blobs(ctx) == []
    assert list((ctx.files.root / "tmp").glob("*")) == [] if (ctx.files.root / "tmp").exists() else True


def test_a_replaced_file_is_superseded_and_both_are_kept(client, tokens, api, dossier):
    first = upload(client, tokens, "clerk", dossier, "GCS", pdf(text="blurred")).get_json()
    second = upload(client, tokens, "clerk", dossier, "GCS", pdf(text="sharp"), replaces=first["id"])
    assert second.status_code == 201, second.get_json()
    listed = api("clerk", "GET", f"/api/v1/dossiers/{dossier}").get_json()["files"]["documents"]["GCS"]
    assert [(f["id"], f["superseded_by"]) for f in listed] == [(first["id"], second.get_json()["id"]),
                                                               (second.get_json()["id"], None)]
    again = upload(client, tokens, "clerk", dossier, "GCS", pdf(text="third"), replaces=first["id"])
    assert again.status_code == 422  # only a current file can be replaced
    other = upload(client, tokens, "clerk", dossier, "TK", pdf(text="x"), replaces=second.get_json()["id"])
    assert other.status_code == 422  # nor one of another document
    for f in listed:
        assert client.get(f"/api/v1/files/{f['id']}",
                          headers={"Authorization": f"Bearer {tokens['clerk']}"}).status_code == 200


def test_the_result_file_is_attached_at_the_last_step(client, tokens, api, dossier):
    result_path = f"/api/v1/dossiers/{dossier}/result/files"
    early = upload(client, tokens, "clerk", dossier, None, pdf(text="ket qua"), path=result_path)
    assert early.status_code == 403
    assert api("clerk", "POST", f"/api/v1/dossiers/{dossier}/actions/forward", json={}).status_code == 200
    assert upload(client, tokens, "kt", dossier, None, pdf(), path=result_path).status_code == 403
    assert api("kt", "POST", f"/api/v1/dossiers/{dossier}/actions/forward", json={}).status_code == 200
    done = upload(client, tokens, "clerk", dossier, None, pdf(text="Giay khai sinh"), path=result_path)
    assert done.status_code == 201, done.get_json()
    got = api("clerk", "GET", f"/api/v1/dossiers/{dossier}").get_json()
    assert [f["id"] for f in got["files"]["result"]] == [done.get_json()["id"]]
    assert got["files"]["result"][0]["kind"] == "result"
