"""The citizen's online-submission pages (issue 19) with the Flask test client, CSRF on as
in production: the procedure page's link, step 1 (who, where the code goes), step 2 (the
code and one file per checklist document), the private link page and its supplement form.
Refusals re-render the form with a Vietnamese message and a 4xx, keeping what was typed;
the private link is never cached, sends no Referer and never reaches a log line."""
from __future__ import annotations

import io
import logging
import re
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.integration.test_abuse import fetch as fetch_status, make
from tests.integration.test_files_api import pdf, png
from tests.integration.test_online_submission import BIRTH, messages
from workflow.adapters.tables import dossiers
from workflow.domain.dossier import Actor
from workflow.services.dossiers import use_cases
from workflow.services.files.attachments import RESULT, attach
from workflow.services.online import codes, submissions

NAME = "Lê Thị Hoa"
CLERK, KT = Actor("clerk", "counter", "T1"), Actor("kt", "officer", "T1.KT")


# -- helpers shared with test_english_pages.py ----------------------------------------------
def online_dossier(ctx, files=(("TK", "to-khai"),), phone="0987654321") -> tuple[str, str]:
    """(dossier code, private token) of an online submission made through the services."""
    procedure = submissions.procedure_online(ctx, BIRTH)[1]
    sent = codes.request_code(ctx, procedure, phone, None, phone)
    code = messages(ctx.engine, codes.TOPIC)[-1]["code"]
    uploads = [submissions.Upload(doc, io.BytesIO(pdf(2, name)), f"{name}.pdf") for doc, name in files]
    dossier, token, _files, _history = submissions.submit(ctx, sent["verification"], code, BIRTH, None,
                                                          NAME, None, uploads)
    return dossier.code, token


def ask_supplement(ctx, code: str) -> None:
    use_cases.act(ctx, CLERK, code, "request_supplement", {"missing": ["GCS"], "reason": "Thiếu giấy chứng sinh"})


def with_result(ctx, code: str) -> None:
    """Accepted, through both steps, a result file attached, completed."""
    for who, action in ((CLERK, "accept"), (CLERK, "forward"), (KT, "forward")):
        use_cases.act(ctx, who, code, action, {})
    attach(ctx, CLERK, code, RESULT, None, io.BytesIO(pdf(1, "ket qua")), "ket-qua.pdf")
    use_cases.act(ctx, CLERK, code, "complete", {})


# -- the page flow ----------------------------------------------------------------------------
def csrf(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def alert(html: str) -> str:
    return re.search(r'role="alert"[^>]*>([^<]*)<', html).group(1)


def step_two(client, phone="0987654321", **extra):
    token = csrf(client, f"/nop-truc-tuyen/{BIRTH}")
    r = client.post(f"/nop-truc-tuyen/{BIRTH}/ma-xac-nhan",
                    data={"csrf_token": token, "name": NAME, "id_number": "001190012345", "phone": phone, **extra})
    return r, token


def send(client, html: str, token: str, code: str, files: dict):
    data = {"csrf_token": token, "code": code,
            **{f: hidden(html, f) for f in ("verification", "name", "id_number", "case", "sent_to")},
            **{f"file-{doc}": (io.BytesIO(content), name) for doc, (name, content) in files.items()}}
    return client.post(f"/nop-truc-tuyen/{BIRTH}", data=data, content_type="multipart/form-data")


def count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(dossiers)).scalar_one()


def test_the_procedure_page_offers_online_submission(client):
    page = client.get(f"/thu-tuc/{BIRTH}").get_data(as_text=True)
    assert f'href="/nop-truc-tuyen/{BIRTH}"' in page and "Nộp hồ sơ trực tuyến" in page


def test_a_citizen_submits_in_two_steps_and_lands_on_the_private_link(client, engine, tokens):
    first = client.get(f"/nop-truc-tuyen/{BIRTH}")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-store"
    r, token = step_two(client)
    html = r.get_data(as_text=True)
    sent = messages(engine, codes.TOPIC)[-1]
    assert r.status_code == 200 and sent["contact"] == "0987654321"
    assert hidden(html, "verification") and sent["code"] not in html  # the id, never the code
    assert "098****321" in html and 'autocomplete="one-time-code"' in html
    for doc in ("TK", "GCS", "UQ"):  # one input per checklist document, the types shown
        assert f'name="file-{doc}" accept=".pdf,.jpg,.jpeg,.png"' in html
    assert html.count(">bắt buộc<") == 2 and ">nếu có<" in html and "tối đa 20 MB" in html

    r = send(client, html, token, sent["code"], {"TK": ("to-khai.pdf", pdf(2)), "GCS": ("gcs.png", png()),
                                                 "UQ": ("", b"")})  # an input left empty
    assert r.status_code == 303, r.get_data(as_text=True)
    link = r.headers["Location"]
    assert re.fullmatch(r"/ho-so-truc-tuyen/[A-Za-z0-9_-]{20,}", link)
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer" and '<meta name="referrer" content="no-referrer">' in html
    assert "Nộp trực tuyến, chờ tiếp nhận" in html and "Đã nộp hồ sơ" in html
    assert "to-khai.pdf" in html and "2 trang" in html and "gcs.png" in html
    assert "không chia sẻ" in html and 'action="' + link + '/bo-sung"' not in html  # no supplement form


def test_a_wrong_code_re_renders_step_two_keeping_what_was_typed(client, engine):
    r, token = step_two(client)
    html = r.get_data(as_text=True)
    right = messages(engine, codes.TOPIC)[-1]["code"]
    wrong = "000000" if right != "000000" else "111111"
    r = send(client, html, token, wrong, {"TK": ("to-khai.pdf", pdf())})
    again = r.get_data(as_text=True)
    assert r.status_code == 403 and alert(again) == "Mã xác nhận không đúng (còn 4 lần thử)."
    assert hidden(again, "verification") == hidden(html, "verification") and hidden(again, "name") == NAME
    assert count(engine) == 0
    assert send(client, again, token, right, {"TK": ("to-khai.pdf", pdf())}).status_code == 303


@pytest.mark.parametrize("content, status, message", [
    (b"<html><script>alert(1)</script></html>", 415, "Tệp không đúng định dạng"),  # HTML named .pdf
    (pdf() + b"%" * 3000, 413, "Tệp quá lớn: mỗi tệp tối đa 2 KB."),
])
def test_a_bad_file_is_refused_with_a_clear_message(client, engine, ctx, content, status, message):
    ctx.file_max_bytes = 2048
    r, token = step_two(client)
    html = r.get_data(as_text=True)
    r = send(client, html, token, messages(engine, codes.TOPIC)[-1]["code"], {"TK": ("to-khai.pdf", content)})
    assert r.status_code == status and alert(r.get_data(as_text=True)).startswith(message)
    assert hidden(r.get_data(as_text=True), "name") == NAME and count(engine) == 0


def test_no_file_at_all_is_refused(client, engine):
    r, token = step_two(client)
    r = send(client, r.get_data(as_text=True), token, messages(engine, codes.TOPIC)[-1]["code"], {})
    assert r.status_code == 422 and "đính kèm tệp" in alert(r.get_data(as_text=True))


@pytest.mark.parametrize("form, field, message", [
    ({"name": ""}, "name", "Vui lòng nhập họ và tên"),
    ({"phone": "12345"}, "phone", "Nhập số điện thoại"),
    ({"phone": "", "email": "khong-phai-thu"}, "email", "Địa chỉ thư điện tử không hợp lệ"),
])
def test_step_one_refusals_keep_what_was_typed(client, engine, form, field, message):
    r, _token = step_two(client, **form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and alert(html).startswith(message)
    assert f'id="{field}"' in html and 'aria-invalid="true"' in html and 'value="001190012345"' in html
    assert messages(engine, codes.TOPIC) == []


def test_too_many_codes_for_one_contact_is_429_on_the_form(client, engine):
    for _ in range(codes.PER_CONTACT_PER_HOUR):
        assert step_two(client)[0].status_code == 200
    r, _token = step_two(client)
    assert r.status_code == 429 and "quá nhiều mã" in alert(r.get_data(as_text=True))
    assert f'value="{NAME}"' in r.get_data(as_text=True)


def test_the_supplement_form_only_while_the_desk_waits_for_documents(client, ctx, engine, tokens):
    code, token = online_dossier(ctx)
    link = f"/ho-so-truc-tuyen/{token}"
    assert 'name="file-GCS"' not in client.get(link).get_data(as_text=True)
    ask_supplement(ctx, code)
    html = client.get(link).get_data(as_text=True)
    assert "Chờ bổ sung hồ sơ" in html and "Thiếu giấy chứng sinh" in html
    assert 'name="file-GCS"' in html and 'name="file-TK"' not in html  # only what was listed
    token_csrf = hidden(html, "csrf_token")
    bad = client.post(f"{link}/bo-sung", content_type="multipart/form-data",
                      data={"csrf_token": token_csrf, "file-GCS": (io.BytesIO(b"GIF89a"), "gcs.pdf")})
    assert bad.status_code == 415 and "Tệp không đúng định dạng" in alert(bad.get_data(as_text=True))
    r = client.post(f"{link}/bo-sung", content_type="multipart/form-data",
                    data={"csrf_token": token_csrf, "note": "Bổ sung giấy chứng sinh",
                          "file-GCS": (io.BytesIO(png()), "gcs.png")})
    assert r.status_code == 303 and r.headers["Location"] == link
    html = client.get(link).get_data(as_text=True)
    assert "Nộp trực tuyến, chờ tiếp nhận" in html and "gcs.png" in html and 'name="file-GCS"' not in html
    again = client.post(f"{link}/bo-sung", content_type="multipart/form-data",
                        data={"csrf_token": token_csrf, "file-GCS": (io.BytesIO(png()), "gcs.png")})
    assert again.status_code == 409 and "không ở trạng thái chờ bổ sung" in alert(again.get_data(as_text=True))


def test_the_result_and_a_refusal_reach_the_private_page(client, ctx, tokens):
    code, token = online_dossier(ctx, files=(("TK", "to-khai"), ("GCS", "gcs")))
    with_result(ctx, code)
    html = client.get(f"/ho-so-truc-tuyen/{token}").get_data(as_text=True)
    found = re.search(rf'href="(/api/v1/submissions/{token}/files/\d+)" download>ket-qua.pdf', html)
    assert found and "Có kết quả, chờ trả" in html and "Hẹn trả kết quả" in html
    assert client.get(found.group(1)).data.startswith(b"%PDF")
    code, token = online_dossier(ctx, phone="0911111111")
    use_cases.act(ctx, CLERK, code, "reject", {"reason": "Không thuộc thẩm quyền"})
    html = client.get(f"/ho-so-truc-tuyen/{token}").get_data(as_text=True)
    assert "Từ chối giải quyết" in html and "Lý do: Không thuộc thẩm quyền" in html


def test_unknown_links_and_procedures_are_the_ordinary_404_page(client):
    for path in ("/ho-so-truc-tuyen/khong-co-ho-so-nay", f"/nop-truc-tuyen/9.999999"):
        r = client.get(path)
        html = r.get_data(as_text=True)
        assert r.status_code == 404 and "Không tìm thấy trang hoặc hồ sơ yêu cầu." in html
        assert "no dossier" not in html and "Traceback" not in html


def test_the_private_link_never_reaches_a_log_line(ctx, db_url, tokens, caplog):
    """A real development server (werkzeug's access log) at DEBUG: the page, the language
    switch that carries it in `next`, the API and a file all log *** for the token."""
    app = make(ctx, db_url)
    code, token = online_dossier(ctx)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        with caplog.at_level(logging.DEBUG):
            page = app.test_client().get(f"/ho-so-truc-tuyen/{token}").get_data(as_text=True)
            switch = re.search(r'href="(/ngon-ngu/en\?next=[^"]+)"', page).group(1).replace("&amp;", "&")
            assert fetch_status(f"{base}/ho-so-truc-tuyen/{token}") == 200
            assert fetch_status(f"{base}{switch}") == 200  # redirected back to the page
            assert fetch_status(f"{base}/api/v1/submissions/{token}") == 200
            assert fetch_status(f"{base}/api/v1/submissions/{token}/files/1") == 200
    finally:
        server.shutdown()
    assert "/ho-so-truc-tuyen/***" in caplog.text and "/api/v1/submissions/***" in caplog.text
    assert token not in caplog.text and code not in switch
