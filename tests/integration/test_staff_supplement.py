"""Supplements and late results through the staff pages: an officer's one-time request
is printed on the notice with its reason, the desk records what was brought, a second
comeback is refused in Vietnamese, and an apology moves the appointment once (shown to
the citizen)."""
from __future__ import annotations

import pytest

from tests.integration.test_staff_pages import FORM, login, receive
from web import create_app
from workflow.services.dossiers import use_cases


@pytest.fixture
def web(ctx, db_url, catalog, tokens):
    return create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False}, context=ctx)


def version(ctx, code) -> str:
    return str(use_cases.get(ctx, code)[0].version)


def test_officer_request_is_printed_and_a_second_comeback_refused(web, ctx):
    clerk = login(web, "clerk")
    code, _ = receive(clerk)
    clerk.post(f"/ho-so/{code}/forward", data={"version": "1"})
    kt = login(web, "kt")
    page = kt.get(f"/ho-so/{code}").get_data(as_text=True)
    assert f'action="/ho-so/{code}/request_supplement"' in page
    reason = "Người nộp không phải chủ hộ: cần văn bản ủy quyền"
    r = kt.post(f"/ho-so/{code}/request_supplement",
                data={"version": version(ctx, code), "missing": ["UQ"], "reason": reason})
    assert r.status_code == 303
    assert use_cases.get(ctx, code)[0].status == "supplement_requested"

    notice = clerk.get(f"/quay/ho-so/{code}/phieu-bo-sung").get_data(as_text=True)
    assert "Văn bản ủy quyền" in notice and reason in notice
    assert "Bản sao căn cước công dân" not in notice  # only what is missing now
    assert clerk.get(f"/quay/ho-so/{code}/phieu-bo-sung?format=pdf").data.startswith(b"%PDF")

    r = clerk.post(f"/ho-so/{code}/supplement", data={"version": version(ctx, code), "documents": ["UQ"],
                                                      "channel": "in_person"})
    assert r.status_code == 303
    dossier = use_cases.get(ctx, code)[0]
    assert dossier.state == "in_progress@TD" and "UQ" in dossier.documents

    r = kt.post(f"/ho-so/{code}/request_supplement", follow_redirects=True,
                data={"version": version(ctx, code), "missing": ["CCCD"], "reason": "Bản sao mờ"})
    assert "buộc người dân đi lại lần nữa" in r.get_data(as_text=True)
    assert use_cases.get(ctx, code)[0].state == "in_progress@TD"


def test_apology_moves_the_appointment_once(web, ctx):
    clerk = login(web, "clerk")
    code, _ = receive(clerk)
    first = use_cases.get(ctx, code)[0].appointment_at
    page = clerk.get(f"/ho-so/{code}").get_data(as_text=True)
    assert f'action="/ho-so/{code}/postpone"' in page
    r = clerk.post(f"/ho-so/{code}/postpone", data={"version": "1", "new_due_at": "2026-03-10",
                                                     "reason": "Chờ xác minh thông tin thuế"})
    assert r.status_code == 303
    dossier = use_cases.get(ctx, code)[0]
    assert dossier.postponed_to > first
    page = clerk.get(f"/ho-so/{code}").get_data(as_text=True)
    assert "Hẹn trả mới" in page and "10/03/2026" in page
    status = web.test_client().post("/tra-cuu", data={"ma": code, "so": FORM["applicant_phone"][-4:]})
    assert "10/03/2026" in status.get_data(as_text=True)
    r = clerk.post(f"/ho-so/{code}/postpone", follow_redirects=True,
                   data={"version": str(dossier.version), "new_due_at": "2026-03-11", "reason": "again"})
    assert "Không hẹn lại được" in r.get_data(as_text=True) or "không còn phù hợp" in r.get_data(as_text=True)
