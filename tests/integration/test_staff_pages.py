"""The staff pages on SQLite and PostgreSQL: login and lock-out, counter intake with the
receipt or the one-time notice (HTML and PDF), the work queue, the dossier page with
exactly the actions allowed now, return in two clicks, administration, languages."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from web import create_app
from workflow.adapters.tables import dossiers
from workflow.domain.lifecycle import lifecycle_for, may_act
from workflow.domain.dossier import Actor
from workflow.services.dossiers import use_cases

FORM = {"procedure_code": "1.001612", "applicant_name": "Nguyễn Văn An",
        "applicant_id_number": "001090012345", "applicant_phone": "0912345678",
        "documents": ["GDN", "CCCD"], "channel": "in_person"}


@pytest.fixture
def web(ctx, db_url, catalog, tokens):
    return create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                                  "PUBLIC_BASE_URL": "https://motcua.example.vn"}, context=ctx)


def login(app, username, password=None):
    client = app.test_client()
    r = client.post("/dang-nhap", data={"username": username, "password": password or f"pw-{username}"})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def receive(client, **changes):
    r = client.post("/quay/ho-so", data={**FORM, **changes})
    assert r.status_code == 303, r.get_data(as_text=True)
    return r.headers["Location"].split("/")[3], r.headers["Location"]


def count_dossiers(engine):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(dossiers)).scalar_one()


def test_login_lock_out_and_unlock(web, clock):
    client = web.test_client()
    for _ in range(4):
        assert client.post("/dang-nhap", data={"username": "clerk", "password": "wrong"}).status_code == 401
    r = client.post("/dang-nhap", data={"username": "clerk", "password": "wrong"})
    assert r.status_code == 429 and "tạm khóa" in r.get_data(as_text=True)
    # locked: even the right password is refused until the lock ends or an admin unlocks
    assert client.post("/dang-nhap", data={"username": "clerk", "password": "pw-clerk"}).status_code == 429
    clock.advance(minutes=16)
    r = client.post("/dang-nhap", data={"username": "clerk", "password": "pw-clerk"})
    assert r.status_code == 302 and r.headers["Location"] == "/quay"
    assert client.get("/quay").status_code == 200


def test_admin_unlocks_and_password_change_ends_sessions(web, engine):
    clerk = login(web, "clerk")
    admin = login(web, "root")
    from workflow.adapters.tables import users
    with engine.connect() as conn:
        uid = conn.execute(select(users.c.id).where(users.c.username == "clerk")).scalar_one()
    for _ in range(5):
        web.test_client().post("/dang-nhap", data={"username": "clerk", "password": "x"})
    right = {"username": "clerk", "password": "pw-clerk"}
    assert web.test_client().post("/dang-nhap", data=right).status_code == 429  # a new browser waits
    assert "Tạm khóa đến" in admin.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert admin.post(f"/quan-tri/nguoi-dung/{uid}", data={"op": "unlock"}).status_code == 303
    assert "Tạm khóa đến" not in admin.get("/quan-tri/nguoi-dung").get_data(as_text=True)
    assert web.test_client().post("/dang-nhap", data=right).status_code == 302
    assert clerk.get("/quay").status_code == 200
    r = admin.post(f"/quan-tri/nguoi-dung/{uid}", data={"op": "password", "password": "mot-mat-khau-moi"})
    assert r.status_code == 303
    assert clerk.get("/quay").status_code == 302  # the old session no longer counts
    login(web, "clerk", "mot-mat-khau-moi")


def test_login_form_works_with_csrf_and_cookies_are_guarded(ctx, db_url, catalog, tokens):
    app = create_app("testing", {"DATABASE_URL": db_url}, context=ctx)
    client = app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    r = client.post("/dang-nhap", data={"username": "kt", "password": "pw-kt", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/xu-ly"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/xu-ly").headers["Cache-Control"] == "no-store"
    from config import Production
    assert Production.SESSION_COOKIE_SECURE is True


def test_next_parameter_stays_on_this_site(web):
    client = web.test_client()
    r = client.get("/ho-so/X")
    assert r.status_code == 302 and r.headers["Location"].startswith("/dang-nhap?next=")
    r = client.post("/dang-nhap?next=//evil.example/x", data={"username": "kt", "password": "pw-kt"})
    assert r.headers["Location"] == "/xu-ly"


def test_counter_search_and_complete_intake_issues_the_receipt(web, engine):
    clerk = login(web, "clerk")
    page = clerk.get("/quay?q=ho kinh doanh").get_data(as_text=True)
    assert "thu_tuc=1.001612" in page and "thu_tuc=1.001193" not in page
    fragment = clerk.get("/quay?q=khai sinh", headers={"X-Partial": "procedures"}).get_data(as_text=True)
    assert "1.001193" in fragment and "<html" not in fragment
    code, receipt_url = receive(clerk, idem="key-1")
    assert receipt_url.endswith("/bien-nhan")
    again = clerk.post("/quay/ho-so", data={**FORM, "idem": "key-1"})  # double click
    assert again.headers["Location"] == receipt_url and count_dossiers(engine) == 1
    html = clerk.get(receipt_url).get_data(as_text=True)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in html and "<svg" in html
    assert f"https://motcua.example.vn/tra-cuu?ma={code}" in html
    assert "Nguyễn Văn An" in html and "Giấy đề nghị đăng ký hộ kinh doanh" in html
    pdf = clerk.get(receipt_url + "?format=pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")


def test_incomplete_intake_lists_every_missing_document_once(web, engine):
    clerk = login(web, "clerk")
    code, url = receive(clerk, documents=["GDN"], defect_GDN="Thiếu chữ ký của chủ hộ")
    assert url.endswith("/phieu-bo-sung")
    html = clerk.get(url).get_data(as_text=True)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in html
    assert "Bản sao căn cước công dân" in html and "Thiếu chữ ký của chủ hộ" in html
    assert "Văn bản ủy quyền" not in html  # optional: never asked for
    assert clerk.get(url + "?format=pdf").data.startswith(b"%PDF")
    assert clerk.get(f"/quay/ho-so/{code}/bien-nhan").status_code == 302  # no receipt yet


def test_bad_applicant_data_is_named_and_nothing_is_written(web, engine):
    clerk = login(web, "clerk")
    r = clerk.post("/quay/ho-so", data={**FORM, "applicant_phone": "abc", "applicant_name": ""})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Số điện thoại chưa đúng" in html and "Họ và tên người nộp là bắt buộc" in html
    assert count_dossiers(engine) == 0


def action_forms(html: str, code: str) -> set[str]:
    return set(re.findall(rf'action="/ho-so/{re.escape(code)}/(\w+)"', html)) | (
        {"return_result"} if f'href="/quay/tra-ket-qua/{code}"' in html else set())


def test_dossier_page_offers_exactly_the_actions_allowed_now(web, ctx):
    clerk = login(web, "clerk")
    code, _ = receive(clerk)
    people = {"clerk": ("counter", "T1"), "kt": ("officer", "T1.KT"), "boss": ("supervisor", "T1")}
    for step_holder in ("clerk", "kt", "tax", "ld", "clerk", "clerk"):
        dossier, _events = use_cases.get(ctx, code)
        lifecycle = lifecycle_for(dossier.procedure)
        for name, (role, agency) in people.items():
            html = login(web, name).get(f"/ho-so/{code}").get_data(as_text=True)
            expected = {a for a in lifecycle.allowed_actions(dossier)
                        if may_act(Actor(name, role, agency), a, dossier)}
            assert action_forms(html, code) == expected, (name, dossier.state)
        client = login(web, step_holder)
        action = "complete" if dossier.state == "in_progress@TKQ" else \
            "return_result" if dossier.status == "result_ready" else "forward"
        r = client.post(f"/ho-so/{code}/{action}", data={"version": str(dossier.version)})
        assert r.status_code == 303
    assert use_cases.get(ctx, code)[0].status == "returned"


def test_stale_form_changes_nothing(web, ctx):
    clerk = login(web, "clerk")
    code, _ = receive(clerk)
    clerk.post(f"/ho-so/{code}/forward", data={"version": "1"})
    r = clerk.post(f"/ho-so/{code}/forward", data={"version": "1"}, follow_redirects=True)
    assert "vừa được người khác cập nhật" in r.get_data(as_text=True)
    assert use_cases.get(ctx, code)[0].state == "in_progress@TD"
    r = clerk.post(f"/ho-so/{code}/withdraw", data={"version": "2"}, follow_redirects=True)
    assert "Vui lòng kiểm tra trường" in r.get_data(as_text=True)  # no reason given


def test_queue_sorted_by_due_with_marks_and_return_in_two_clicks(web, ctx, clock):
    clerk = login(web, "clerk")
    first, _ = receive(clerk)
    clock.advance(hours=1)
    second, _ = receive(clerk, applicant_name="Trần Thị Bình")
    for code in (first, second):
        clerk.post(f"/ho-so/{code}/forward", data={"version": "1"})
    kt = login(web, "kt")
    html = kt.get("/xu-ly").get_data(as_text=True)
    assert html.index(first) < html.index(second)
    clock.advance(days=3)
    html = kt.get("/xu-ly").get_data(as_text=True)
    assert "Quá hạn" in html
    assert "Nguyễn Văn An" in html  # staff see the applicant, citizens never do
    for user in ("kt", "tax", "ld"):
        login(web, user).post(f"/ho-so/{first}/forward", data={"version": str(use_cases.get(ctx, first)[0].version)})
    clerk.post(f"/ho-so/{first}/complete", data={"version": str(use_cases.get(ctx, first)[0].version)})
    home = clerk.get("/quay").get_data(as_text=True)
    assert f'href="/quay/tra-ket-qua/{first}"' in home                               # click 1
    confirm = clerk.get(f"/quay/tra-ket-qua/{first}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', confirm).group(1)
    r = clerk.post(f"/ho-so/{first}/return_result", data={"version": version, "next": "/quay"})  # click 2
    assert r.status_code == 303 and r.headers["Location"] == "/quay"
    assert use_cases.get(ctx, first)[0].status == "returned"


def test_supervisor_sees_every_open_dossier_of_the_agency(web, clock):
    clerk = login(web, "clerk")
    code, _ = receive(clerk)
    boss = login(web, "boss")
    assert code in boss.get("/xu-ly?pham_vi=don-vi").get_data(as_text=True)
    assert code not in boss.get("/xu-ly?pham_vi=don-vi&qua_han=1").get_data(as_text=True)
    clock.advance(days=7)
    assert code in boss.get("/xu-ly?pham_vi=don-vi&qua_han=1").get_data(as_text=True)


def test_public_status_lookup_shows_no_personal_data(web):
    clerk = login(web, "clerk")
    code, _ = receive(clerk)
    citizen = web.test_client()
    assert code in citizen.get(f"/tra-cuu?ma={code}").get_data(as_text=True)
    r = citizen.post("/tra-cuu", data={"ma": code, "so": "5678"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Đã tiếp nhận" in html and "Hẹn trả kết quả" in html
    for private in ("Nguyễn Văn An", "0912345678", "001090012345", "Giấy đề nghị"):
        assert private not in html
    assert citizen.post("/tra-cuu", data={"ma": code, "so": "1234"}).status_code == 404
    assert citizen.post("/tra-cuu", data={"ma": code, "so": "12"}).status_code == 422
    statuses = [citizen.post("/tra-cuu", data={"ma": code, "so": f"{i:04d}"}).status_code for i in range(12)]
    assert statuses[-1] == 429  # guessing the four digits is throttled
    assert citizen.post("/tra-cuu", data={"ma": code, "so": "5678"}).status_code == 429


def test_admin_manages_users_and_agencies(web, engine):
    admin = login(web, "root")
    r = admin.post("/quan-tri/nguoi-dung", data={"username": "moi", "full_name": "Cán bộ mới",
                                                 "role": "officer", "agency": "T1.KT",
                                                 "password": "mat-khau-dai"}, follow_redirects=True)
    assert "Đã tạo tài khoản moi" in r.get_data(as_text=True)
    r = admin.post("/quan-tri/nguoi-dung", data={"username": "moi", "role": "officer", "agency": "T1.KT",
                                                 "password": "mat-khau-dai"}, follow_redirects=True)
    assert "already exists" in r.get_data(as_text=True)
    newcomer = login(web, "moi", "mat-khau-dai")
    assert newcomer.get("/xu-ly").status_code == 200
    from workflow.adapters.tables import users
    with engine.connect() as conn:
        ids = dict(conn.execute(select(users.c.username, users.c.id)).all())
    admin.post(f"/quan-tri/nguoi-dung/{ids['moi']}", data={"role": "officer", "agency": "T1.KT", "active": "0"})
    assert newcomer.get("/xu-ly").status_code == 302  # deactivated: signed out
    r = admin.post(f"/quan-tri/nguoi-dung/{ids['root']}", data={"role": "counter", "agency": "T1", "active": "1"},
                   follow_redirects=True)
    assert "Không thể tự bỏ quyền quản trị" in r.get_data(as_text=True)
    admin.post("/quan-tri/co-quan", data={"code": "T2", "name": "Phường thứ hai", "level": "commune"})
    admin.post("/quan-tri/co-quan/T2", data={"name": "Phường Hai", "level": "commune", "parent_code": "T1"})
    assert "Phường Hai" in admin.get("/quan-tri/co-quan").get_data(as_text=True)


def test_english_on_request_vietnamese_by_default(web):
    client = web.test_client()
    html = client.get("/dang-nhap").get_data(as_text=True)
    assert '<html lang="vi">' in html and "Đăng nhập cán bộ" in html
    r = client.get("/ngon-ngu/en?next=/dang-nhap")
    assert r.headers["Location"] == "/dang-nhap"
    html = client.get("/dang-nhap").get_data(as_text=True)
    assert '<html lang="en">' in html and "Staff sign-in" in html and "Username" in html
    assert "Catalog of administrative procedures" in client.get("/").get_data(as_text=True)
    assert client.get("/ngon-ngu/en?next=https://evil.example").headers["Location"] == "/"


def test_public_catalog_publishes_what_the_plan_requires(web):
    client = web.test_client()
    html = client.get("/?q=ho kinh doanh").get_data(as_text=True)
    assert "1.001612" in html and "1.001193" not in html
    page = client.get("/thu-tuc/1.001612").get_data(as_text=True)
    for part in ("Thành phần hồ sơ", "Trình tự thực hiện", "Thời hạn giải quyết", "Phí, lệ phí",
                 "Cách thức nộp", "Kết quả", "Thuế cơ sở (thử nghiệm)"):
        assert part in page
