"""Signed electronic results (issue 21, item 2): the issuing agency signs the result PDF
(PAdES, pyHanko) with its PKCS#12 key from RESULT_SIGNERS_DIR; the signed copy supersedes
the unsigned one (both kept, an attach_file event in the trail); the API and
`flask results verify` say who signed, when, whether the document changed since, and
whether the chain reaches a trust root of RESULT_TRUST_ROOTS; the citizen downloads the
signed result from the private link and, after the phone-digit check, from the status page.

Every key is made at test time (tests/pki.py): a throwaway CA and the agency's certificate
(RSA 2048, `cryptography`), and a second CA the trust roots do not name.
"""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.integration.test_files_api import png
from tests.integration.test_online_pages import online_dossier, with_result
from tests.pki import PASSPHRASE, make_pki
from web import create_app
from workflow.adapters.pdf_signing import SignerKeys, sign_pdf

AGENCY = "T1"  # the procedure 1.001193's agency in the fixture catalog (its issuing agency)
AGENCY_NAME = "Bộ phận một cửa phường thử nghiệm"
TEXT = "Trich luc khai sinh so 123"


def result_pdf(text: str = TEXT) -> bytes:
    """An uncompressed one-page PDF, so its text can be found (and changed) in the bytes."""
    from fpdf import FPDF
    doc = FPDF()
    doc.set_compression(False)
    doc.set_font("helvetica", size=12)
    doc.add_page()
    doc.cell(text=text)
    return bytes(doc.output())


def flip_one_byte(signed: bytes, text: str = TEXT) -> bytes:
    """The signed PDF with one byte of its page text changed (inside the signed range)."""
    at = signed.index(text.encode()) + len(text) - 1
    changed = bytearray(signed)
    changed[at] ^= 0x01
    return bytes(changed)


# -- the app -----------------------------------------------------------------------------------
@pytest.fixture
def pki(tmp_path, monkeypatch):
    signers = tmp_path / "signers"
    roots = make_pki(signers, "tin cậy", {AGENCY: AGENCY_NAME})
    monkeypatch.setenv(f"RESULT_SIGNER_PASSPHRASE_{AGENCY}", PASSPHRASE)
    monkeypatch.delenv("RESULT_SIGNER_PASSPHRASE", raising=False)
    return {"signers": signers, "roots": roots}


@pytest.fixture
def sapp(ctx, db_url, catalog, pki):
    return create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                                  "RESULT_SIGNERS_DIR": str(pki["signers"]),
                                  "RESULT_TRUST_ROOTS": str(pki["roots"])}, context=ctx)


@pytest.fixture
def call(sapp, tokens):
    client = sapp.test_client()

    def do(user, method, path, **kw):
        headers = {"Authorization": f"Bearer {tokens[user]}"} if user else {}
        return client.open(path, method=method, headers=headers, **kw)
    return do


def attach_result(call, code: str, data: bytes, name: str = "ket-qua.pdf", replaces: int | None = None):
    form = {"file": (io.BytesIO(data), name)}
    if replaces is not None:
        form["replaces"] = str(replaces)
    resp = call("clerk", "POST", f"/api/v1/dossiers/{code}/result/files", data=form,
                content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


@pytest.fixture
def at_result(call):
    """A counter dossier (phone …5678) at its last step (the T1 desk's TKQ): the result may
    be attached, and signed, from here on."""
    def make(phone: str = "0912345678") -> str:
        body = {"procedure_code": "1.001193", "applicant": {"name": "Nguyễn Văn An", "phone": phone},
                "documents": ["TK", "GCS"], "channel": "in_person"}
        code = call("clerk", "POST", "/api/v1/dossiers", json=body).get_json()["code"]
        assert call("clerk", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={}).status_code == 200
        assert call("kt", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={}).status_code == 200
        return code
    return make


def sign(call, code: str, user: str = "clerk"):
    return call(user, "POST", f"/api/v1/dossiers/{code}/result/sign")


def verify_cli(app, path: Path, *extra):
    return app.test_cli_runner().invoke(args=["results", "verify", str(path), *extra])


# -- signing and verifying ---------------------------------------------------------------------
def test_the_agency_signs_the_result_and_both_files_are_kept(call, at_result, sapp, ctx, tmp_path):
    code = at_result()
    unsigned = attach_result(call, code, result_pdf())
    before = datetime.now(timezone.utc)
    resp = sign(call, code)
    assert resp.status_code == 201, resp.get_json()
    signed = resp.get_json()
    assert signed["kind"] == "result" and signed["media_type"] == "application/pdf"
    assert signed["name"] == "ket-qua (đã ký số).pdf" and signed["uploaded_by"] == "clerk"
    assert signed["id"] != unsigned["id"] and signed["sha256"] != unsigned["sha256"]

    got = call("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()
    files = {f["id"]: f for f in got["files"]["result"]}
    assert files[unsigned["id"]]["superseded_by"] == signed["id"]  # kept, marked superseded
    assert files[signed["id"]]["superseded_by"] is None
    event = [e for e in got["events"] if e["action"] == "attach_file"][-1]
    assert event["actor"] == "clerk" and event["data"]["file"] == signed["id"]
    assert event["data"]["supersedes"] == unsigned["id"] and event["data"]["signed_by"] == AGENCY

    # the unsigned bytes are the start of the signed file: signing only appends a revision
    old = call("clerk", "GET", f"/api/v1/files/{unsigned['id']}").data
    new = call("clerk", "GET", f"/api/v1/files/{signed['id']}").data
    assert new.startswith(old) and len(new) == signed["size"]

    report = call("kt", "GET", f"/api/v1/files/{signed['id']}/signature")  # whoever may see the dossier
    assert report.status_code == 200, report.get_json()
    r = report.get_json()
    assert r["signed"] is True and r["signer"] == AGENCY_NAME and r["organisation"] == AGENCY_NAME
    assert r["document"] == "intact" and r["chain_valid"] is True and r["problem"] is None
    at = datetime.fromisoformat(r["signed_at"])
    assert r["signed_at"].endswith("+07:00") and before - timedelta(seconds=5) <= at <= datetime.now(timezone.utc)
    plain = call("clerk", "GET", f"/api/v1/files/{unsigned['id']}/signature").get_json()
    assert plain["signed"] is False and plain["document"] is None and plain["signer"] is None

    # the command line says the same of the downloaded file, and exits 0
    path = tmp_path / "ket-qua-da-ky.pdf"
    path.write_bytes(new)
    out = verify_cli(sapp, path)
    assert out.exit_code == 0, out.output
    assert f"signer: {AGENCY_NAME}" in out.output and "document: intact" in out.output
    assert "chain_valid: true" in out.output and "signed_at: " in out.output

    # signing again is refused: the current result is the signed one
    again = sign(call, code)
    assert again.status_code == 409 and "already signed" in again.get_json()["error"]["message"]


def test_a_one_byte_change_is_detected(call, at_result, sapp, tmp_path):
    code = at_result()
    attach_result(call, code, result_pdf())
    signed = sign(call, code).get_json()
    data = call("clerk", "GET", f"/api/v1/files/{signed['id']}").data
    changed = flip_one_byte(data)
    path = tmp_path / "sua.pdf"
    path.write_bytes(changed)
    out = verify_cli(sapp, path)
    assert out.exit_code == 1 and "document: modified" in out.output, out.output
    assert f"signer: {AGENCY_NAME}" in out.output  # still says whose signature it claims to be
    # the same copy put back as the result: the API says it was modified
    back = attach_result(call, code, changed, name="ban-sua.pdf", replaces=signed["id"])
    r = call("clerk", "GET", f"/api/v1/files/{back['id']}/signature").get_json()
    assert r["signed"] is True and r["document"] == "modified"
    assert "do not match" in r["problem"]


def test_a_signature_from_outside_the_trust_roots_is_reported(call, at_result, sapp, tmp_path, monkeypatch):
    other = make_pki(tmp_path / "other", "không tin cậy", {AGENCY: "Cơ quan giả mạo"})
    monkeypatch.setenv(f"RESULT_SIGNER_PASSPHRASE_{AGENCY}", PASSPHRASE)
    forged = sign_pdf(result_pdf(), SignerKeys(other.parent).load(AGENCY), reason="thử")
    path = tmp_path / "gia.pdf"
    path.write_bytes(forged)
    out = verify_cli(sapp, path)
    assert out.exit_code == 1 and "chain_valid: false" in out.output, out.output
    assert "document: intact" in out.output and "signer: Cơ quan giả mạo" in out.output
    # trusting that CA on the command line, the same file passes
    assert verify_cli(sapp, path, "--trust-roots", str(other)).exit_code == 0

    code = at_result()
    stored = attach_result(call, code, forged)
    r = call("clerk", "GET", f"/api/v1/files/{stored['id']}/signature").get_json()
    assert r["signed"] is True and r["document"] == "intact" and r["chain_valid"] is False
    assert "trust root" in r["problem"]


# -- refusals ----------------------------------------------------------------------------------
def test_no_signer_for_the_agency_is_a_clear_refusal(call, at_result, pki, monkeypatch):
    code = at_result()
    attach_result(call, code, result_pdf())
    monkeypatch.setenv(f"RESULT_SIGNER_PASSPHRASE_{AGENCY}", "sai-mat-khau")
    wrong = sign(call, code)
    assert wrong.status_code == 409 and "does not open with the passphrase" in wrong.get_json()["error"]["message"]
    (pki["signers"] / f"{AGENCY}.p12").unlink()
    none = sign(call, code)
    assert none.status_code == 409, none.get_json()
    assert f"no signing key for agency {AGENCY}" in none.get_json()["error"]["message"]
    got = call("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()
    assert len(got["files"]["result"]) == 1  # nothing stored


def test_signing_unconfigured_is_refused(ctx, db_url, catalog, tokens):
    app = create_app("testing", {"DATABASE_URL": db_url}, context=ctx)  # no RESULT_SIGNERS_DIR
    client = app.test_client()
    auth = {"Authorization": f"Bearer {tokens['clerk']}"}
    body = {"procedure_code": "1.001193", "applicant": {"name": "An", "phone": "0912345678"},
            "documents": ["TK", "GCS"], "channel": "in_person"}
    code = client.post("/api/v1/dossiers", json=body, headers=auth).get_json()["code"]
    client.post(f"/api/v1/dossiers/{code}/actions/forward", json={}, headers=auth)
    client.post(f"/api/v1/dossiers/{code}/actions/forward", json={},
                headers={"Authorization": f"Bearer {tokens['kt']}"})
    client.post(f"/api/v1/dossiers/{code}/result/files", headers=auth, content_type="multipart/form-data",
                data={"file": (io.BytesIO(result_pdf()), "kq.pdf")})
    resp = client.post(f"/api/v1/dossiers/{code}/result/sign", headers=auth)
    assert resp.status_code == 409 and "RESULT_SIGNERS_DIR is not set" in resp.get_json()["error"]["message"]


def test_nothing_to_sign_an_image_and_callers_who_may_not(call, at_result):
    code = at_result()
    assert sign(call, code).status_code == 404  # no result file yet
    image = attach_result(call, code, png(), name="anh.png")
    refused = sign(call, code)
    assert refused.status_code == 415 and "only a PDF" in refused.get_json()["error"]["message"]
    attach_result(call, code, result_pdf(), replaces=image["id"])
    assert sign(call, code, "kt").status_code == 403      # sees the dossier, may not attach the result now
    assert sign(call, code, "tax").status_code == 403     # may not see the dossier
    signed = sign(call, code)
    assert signed.status_code == 201
    # the signature report follows the download's rule: 404 to whoever may not see the dossier
    assert call("tax", "GET", f"/api/v1/files/{signed.get_json()['id']}/signature").status_code == 404
    assert call("stranger", "GET", f"/api/v1/files/{signed.get_json()['id']}/signature").status_code == 404
    assert call(None, "GET", f"/api/v1/files/{signed.get_json()['id']}/signature").status_code == 401
    assert call("clerk", "GET", "/api/v1/files/999999/signature").status_code == 404


# -- the citizen -------------------------------------------------------------------------------
def lookup(client, code: str, digits: str):
    return client.post("/tra-cuu", data={"ma": code, "so": digits})


def test_the_citizen_gets_the_signed_result_from_the_private_link_and_the_status_page(call, sapp, ctx):
    code, token = online_dossier(ctx, files=(("TK", "to-khai"), ("GCS", "gcs")))  # phone …4321
    citizen = sapp.test_client()
    early = lookup(citizen, code, "4321")
    assert early.status_code == 200 and "/tra-cuu/ket-qua/" not in early.get_data(as_text=True)
    with_result(ctx, code)
    unsigned = call("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()["files"]["result"][0]
    signed = sign(call, code)
    assert signed.status_code == 201, signed.get_json()
    signed = signed.get_json()
    content = call("clerk", "GET", f"/api/v1/files/{signed['id']}").data

    # the private link lists the current result, the signed copy, and serves it
    mine = citizen.get(f"/api/v1/submissions/{token}").get_json()
    assert [f["id"] for f in mine["result"]] == [signed["id"]]
    assert citizen.get(f"/api/v1/submissions/{token}/files/{signed['id']}").data == content
    page = citizen.get(f"/ho-so-truc-tuyen/{token}").get_data(as_text=True)
    assert f'/files/{signed["id"]}"' in page and f'/files/{unsigned["id"]}"' not in page

    # the status page, after the phone-digit check, links the signed copy for a short while
    wrong = lookup(citizen, code, "0000")
    assert wrong.status_code == 404 and "/tra-cuu/ket-qua/" not in wrong.get_data(as_text=True)
    found = lookup(citizen, code, "4321")
    html = found.get_data(as_text=True)
    links = re.findall(r'href="(/tra-cuu/ket-qua/[^"]+)"', html)
    assert found.status_code == 200 and len(links) == 1 and signed["name"] in html
    got = sapp.test_client().get(links[0])  # the link alone, from anywhere, while it lives
    assert got.status_code == 200 and got.data == content
    assert got.headers["Cache-Control"] == "private, no-store"
    assert sapp.test_client().get(links[0][:-3] + "xyz").status_code == 404  # forged
    assert sapp.test_client().get("/tra-cuu/ket-qua/" + code).status_code == 404
    with sapp.test_request_context():  # a well-signed link to the superseded file leads nowhere
        from web.citizen.status_lookup import _links
        stale = _links().dumps([code, unsigned["id"]])
    assert sapp.test_client().get(f"/tra-cuu/ket-qua/{stale}").status_code == 404
    sapp.config["RESULT_LINK_MINUTES"] = -1  # expired
    assert sapp.test_client().get(links[0]).status_code == 404

    # returned over the counter: still downloadable through the lookup
    sapp.config["RESULT_LINK_MINUTES"] = 10
    assert call("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result", json={}).status_code == 200
    again = re.findall(r'href="(/tra-cuu/ket-qua/[^"]+)"', lookup(citizen, code, "4321").get_data(as_text=True))
    assert len(again) == 1 and sapp.test_client().get(again[0]).data == content


# -- the staff page ----------------------------------------------------------------------------
def test_the_dossier_page_signs_the_result(sapp, call, at_result, engine):
    from tests.integration.test_staff_access import signed_in
    code = at_result()
    clerk = signed_in(sapp, engine, "clerk")
    assert "ket-qua/ky-so" not in clerk.get(f"/ho-so/{code}").get_data(as_text=True)  # no result yet
    nothing = clerk.post(f"/ho-so/{code}/ket-qua/ky-so")
    assert nothing.status_code == 303
    assert "Chưa có tệp kết quả để ký số." in clerk.get(f"/ho-so/{code}").get_data(as_text=True)
    attach_result(call, code, result_pdf())
    page = clerk.get(f"/ho-so/{code}").get_data(as_text=True)
    assert f"/ho-so/{code}/ket-qua/ky-so" in page
    done = clerk.post(f"/ho-so/{code}/ket-qua/ky-so")
    assert done.status_code == 303
    page = clerk.get(f"/ho-so/{code}").get_data(as_text=True)
    assert "Đã ký số kết quả: ket-qua (đã ký số).pdf." in page
    assert signed_in(sapp, engine, "tax").post(f"/ho-so/{code}/ket-qua/ky-so").status_code == 403
