"""Online submission through the API (issue 19, "Done when"): a citizen asks for a code,
submits with files, the desk asks once for a supplement, the citizen supplements online
through the private link, the desk accepts, the dossier goes through its steps to a result
with an attached result file, which the citizen downloads; another submission is refused
and the citizen is told. Abuse: wrong codes, reused codes, bad files, other links."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from tests.integration.test_files_api import pdf, png, stored_blobs
from workflow.adapters.tables import dossiers, outbox
from workflow.adapters.tables_files import dossier_files
from workflow.adapters.tables_online import online_access, submission_codes
from workflow.services.dossiers.use_cases import get
from workflow.services.notifications import applicant_notices
from workflow.services.online import codes as online_codes

BIRTH = "1.001193"  # fixture: TK, GCS required; UQ optional; steps XL@T1.KT, TKQ@T1
PHONE = "0987654321"


def messages(engine, topic):
    with engine.connect() as conn:
        return [r.payload for r in conn.execute(select(outbox.c.payload).where(outbox.c.topic == topic)
                                                .order_by(outbox.c.id))]


def ask_code(client, engine, phone=PHONE, procedure=BIRTH):
    resp = client.post("/api/v1/submissions/codes", json={"procedure_code": procedure, "phone": phone})
    assert resp.status_code == 202, resp.get_json()
    sent = messages(engine, online_codes.TOPIC)[-1]
    assert sent["contact"] == phone and sent["kind"] == "phone"
    return resp.get_json()["verification"], sent["code"]


def form(verification, code, files, procedure=BIRTH, name="Lê Thị Hoa"):
    data = {"verification": verification, "code": code, "procedure_code": procedure, "name": name,
            "document": [d for d, _ in files],
            "file": [(io.BytesIO(content), f"{d}.pdf") for d, content in files]}
    return data


def submit(client, engine, files, **kw):
    verification, code = ask_code(client, engine)
    return client.post("/api/v1/submissions", data=form(verification, code, files, **kw),
                       content_type="multipart/form-data")


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_submit_supplement_accept_and_collect_an_electronic_result(client, api, engine, tokens, ctx):
    resp = submit(client, engine, [("TK", pdf(2, "to khai"))])
    assert resp.status_code == 201, resp.get_json()
    sub = resp.get_json()
    code, token = sub["code"], sub["token"]
    assert sub["status"] == "submitted" and sub["missing_documents"] == ["GCS"]
    assert sub["link"].endswith(f"/ho-so-truc-tuyen/{token}")
    assert [f["document"] for f in sub["files"]] == ["TK"] and sub["files"][0]["pages"] == 2
    confirmed = messages(engine, "submission.confirmed")
    assert confirmed[-1] == {"dossier": code, "token": token}
    with engine.connect() as conn:  # the token itself is not kept
        assert token not in str(conn.execute(select(online_access)).all())

    # in the desk's queue as an online submission; nobody else sees it
    staff = api("clerk", "GET", f"/api/v1/dossiers/{code}").get_json()
    assert staff["status"] == "submitted" and staff["channel"] == "online"
    assert set(staff["allowed_actions"]) >= {"accept", "request_supplement", "reject"}
    assert staff["due_at"] is None and staff["visits"] == 0
    assert api("stranger", "GET", f"/api/v1/dossiers/{code}").status_code == 403
    refused = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/accept", json={})
    assert refused.status_code == 422 and "GCS" in refused.get_json()["error"]["message"]

    # the desk asks once, completely; the citizen is told electronically
    asked = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/request_supplement",
                json={"missing": ["GCS"], "reason": "Thiếu giấy chứng sinh"})
    assert asked.status_code == 200, asked.get_json()
    assert asked.get_json()["status"] == "awaiting_documents"
    mine = client.get(f"/api/v1/submissions/{token}").get_json()
    assert mine["status"] == "awaiting_documents"
    assert mine["notices"][0]["listed"] == ["GCS"] and "token" not in mine or mine["token"] is None

    # the citizen supplements online: back to the desk's check, no trip counted
    resp = client.post(f"/api/v1/submissions/{token}/supplement", content_type="multipart/form-data",
                       data={"document": ["GCS"], "file": [(io.BytesIO(png()), "giay-chung-sinh.png")]})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "submitted"
    accepted = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/accept", json={})
    assert accepted.status_code == 200, accepted.get_json()
    d = accepted.get_json()
    assert d["status"] == "received" and d["due_at"] and d["received_by"] == "clerk"
    assert d["visits"] == 0 and d["supplement_trips"] == 0 and not d["repeat_visit"]
    assert [e["actor"] for e in d["events"]][:2] == [f"applicant:{code}"] * 2

    # through the steps to a result with its electronic file
    assert api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={}).status_code == 200
    assert api("kt", "POST", f"/api/v1/dossiers/{code}/actions/forward", json={}).status_code == 200
    result = client.post(f"/api/v1/dossiers/{code}/result/files", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(pdf(1, "trich luc khai sinh")), "ket-qua.pdf")},
                         headers={"Authorization": f"Bearer {tokens['clerk']}"})
    assert result.status_code == 201, result.get_json()
    assert api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/complete", json={}).status_code == 200
    mine = client.get(f"/api/v1/submissions/{token}").get_json()
    assert mine["status"] == "result_ready" and len(mine["result"]) == 1
    got = client.get(f"/api/v1/submissions/{token}/files/{mine['result'][0]['id']}")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
    assert got.headers["Content-Disposition"].startswith("attachment")
    topics = [r[0] for r in _topics(engine, code)]
    assert topics.count("dossier.supplement_notice") == 1 and "dossier.received" in topics


def _topics(engine, code):
    with engine.connect() as conn:
        return [(r.topic,) for r in conn.execute(select(outbox.c.topic, outbox.c.payload).order_by(outbox.c.id))
                if r.payload.get("dossier") == code]


def test_a_refused_submission_tells_the_citizen(client, api, engine, ctx):
    resp = submit(client, engine, [("TK", pdf()), ("GCS", pdf())])
    code, token = resp.get_json()["code"], resp.get_json()["token"]
    refused = api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/reject",
                  json={"reason": "Trẻ đã được đăng ký khai sinh tại nơi khác"})
    assert refused.status_code == 200 and refused.get_json()["status"] == "rejected"
    assert client.get(f"/api/v1/submissions/{token}").get_json()["status"] == "rejected"
    told = [p for p in messages(engine, "dossier.rejected") if p["dossier"] == code]
    assert told and told[0]["reason"] == "Trẻ đã được đăng ký khai sinh tại nơi khác"
    d, _ = get(ctx, code)
    text = applicant_notices.compose_sms("dossier.rejected", d, ctx.calendar.tz, "https://dvc.example",
                                         told[0]["reason"])
    assert code in text and told[0]["reason"] in text


def test_the_confirmation_and_the_request_reach_the_citizen(client, api, engine, ctx):
    resp = submit(client, engine, [("TK", pdf())])
    code, token = resp.get_json()["code"], resp.get_json()["token"]
    api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/request_supplement",
        json={"missing": ["GCS"], "reason": "Thiếu giấy chứng sinh"})
    d, _ = get(ctx, code)
    confirmation = applicant_notices.compose_sms("submission.confirmed", d, ctx.calendar.tz,
                                                 "https://dvc.example", token=token)
    assert f"https://dvc.example/ho-so-truc-tuyen/{token}" in confirmation
    request = applicant_notices.compose_sms("dossier.supplement_notice", d, ctx.calendar.tz, "https://dvc.example")
    assert "GCS" in request


def test_a_wrong_code_creates_nothing_and_five_wrong_tries_block_it(client, engine, ctx):
    verification, code = ask_code(client, engine)
    wrong = "000000" if code != "000000" else "111111"
    before = (count(engine, dossiers), len(stored_blobs(ctx)))
    for _ in range(online_codes.MAX_TRIES):
        resp = client.post("/api/v1/submissions", data=form(verification, wrong, [("TK", pdf())]),
                           content_type="multipart/form-data")
        assert resp.status_code == 403 and resp.get_json()["error"]["field"] == "code"
    resp = client.post("/api/v1/submissions", data=form(verification, code, [("TK", pdf())]),
                       content_type="multipart/form-data")
    assert resp.status_code == 403  # the right code, too late
    assert (count(engine, dossiers), len(stored_blobs(ctx))) == before


def test_a_code_is_used_once(client, engine):
    verification, code = ask_code(client, engine)
    first = client.post("/api/v1/submissions", data=form(verification, code, [("TK", pdf())]),
                        content_type="multipart/form-data")
    assert first.status_code == 201
    again = client.post("/api/v1/submissions", data=form(verification, code, [("TK", pdf())]),
                        content_type="multipart/form-data")
    assert again.status_code == 403
    assert count(engine, dossiers) == 1


def test_codes_are_limited_per_contact(client, engine):
    for _ in range(online_codes.PER_CONTACT_PER_HOUR):
        ask_code(client, engine)
    resp = client.post("/api/v1/submissions/codes", json={"procedure_code": BIRTH, "phone": PHONE})
    assert resp.status_code == 429
    assert count(engine, submission_codes) == online_codes.PER_CONTACT_PER_HOUR


@pytest.mark.parametrize("files, status, field", [
    ([("TK", b"<html><script>alert(1)</script></html>")], 415, "file"),   # HTML named .pdf
    ([("TK", pdf()), ("GCS", b"")], 422, "file"),                          # one empty file refuses all
    ([("KHAC", pdf())], 422, "document"),                                  # not in the checklist
])
def test_bad_files_refuse_the_whole_submission_and_keep_nothing(client, engine, ctx, files, status, field):
    before = (count(engine, dossiers), count(engine, dossier_files), len(stored_blobs(ctx)))
    resp = submit(client, engine, files)
    assert resp.status_code == status, resp.get_json()
    assert resp.get_json()["error"]["field"] == field
    assert (count(engine, dossiers), count(engine, dossier_files), len(stored_blobs(ctx))) == before


def test_an_oversized_file_is_refused(client, engine, ctx):
    limit = ctx.file_max_bytes
    big = pdf() + b"%" * (limit + 10)
    resp = submit(client, engine, [("TK", big)])
    assert resp.status_code == 413
    assert count(engine, dossiers) == 0 and stored_blobs(ctx) == []


def test_a_procedure_not_offered_online_gets_no_code(client, api, engine):
    resp = client.post("/api/v1/submissions/codes", json={"procedure_code": "9.999999", "phone": PHONE})
    assert resp.status_code == 404
    assert count(engine, submission_codes) == 0


def test_a_link_opens_only_its_own_dossier(client, engine):
    a = submit(client, engine, [("TK", pdf())]).get_json()
    b = client.post("/api/v1/submissions", data=form(*ask_code(client, engine, phone="0911111111"),
                                                      [("GCS", pdf())]),
                    content_type="multipart/form-data").get_json()
    assert client.get(f"/api/v1/submissions/{a['token']}/files/{b['files'][0]['id']}").status_code == 404
    assert client.get("/api/v1/submissions/not-a-token").status_code == 404
    # the supplement is refused while the desk has not asked for one, and keeps no file
    before = count(engine, dossier_files)
    resp = client.post(f"/api/v1/submissions/{a['token']}/supplement", content_type="multipart/form-data",
                       data={"document": ["GCS"], "file": [(io.BytesIO(pdf()), "gcs.pdf")]})
    assert resp.status_code == 409
    assert count(engine, dossier_files) == before


def test_the_desk_cannot_label_a_counter_dossier_online(api):
    resp = api("clerk", "POST", "/api/v1/dossiers", json={
        "procedure_code": BIRTH, "applicant": {"name": "B", "phone": PHONE},
        "documents": ["TK", "GCS"], "channel": "online"})
    assert resp.status_code == 422 and resp.get_json()["error"]["field"] == "channel"


def test_the_desk_pages_show_an_online_dossier_at_every_stage(app, client, api, engine):
    """The staff dossier page, its forms and the list work for a dossier that is not yet
    received (no receipt date, no clock), then after the desk's request."""
    from tests.integration.test_staff_access import signed_in
    code = submit(client, engine, [("TK", pdf())]).get_json()["code"]
    clerk = signed_in(app, engine, "clerk")
    counter = clerk.get("/quay").get_data(as_text=True)
    assert "Hồ sơ nộp trực tuyến chờ kiểm tra, tiếp nhận (1)" in counter and code in counter
    page = clerk.get(f"/ho-so/{code}")
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    text = page.get_data(as_text=True)
    assert "Nộp trực tuyến, chờ tiếp nhận" in text and "Tiếp nhận hồ sơ trực tuyến" in text
    assert api("clerk", "GET", f"/api/v1/dossiers/{code}/forms").status_code == 200
    listed = api("clerk", "GET", "/api/v1/dossiers?status=submitted").get_json()
    assert [d["code"] for d in listed["items"]] == [code]
    api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/request_supplement",
        json={"missing": ["GCS"], "reason": "Thiếu giấy chứng sinh"})
    assert clerk.get(f"/ho-so/{code}").status_code == 200
    forms = api("clerk", "GET", f"/api/v1/dossiers/{code}/forms").get_json()["items"]
    assert "supplement" in [f["key"] for f in forms]
    for f in forms:
        path = "/" + f["html"].split("://", 1)[-1].split("/", 1)[-1]
        assert clerk.get(path).status_code == 200, path
