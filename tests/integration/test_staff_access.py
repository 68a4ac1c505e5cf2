"""Every staff page and action refuses whoever may not use it: no session (to the login
page), another role (403), another agency (403). One declared table lists each route;
walking `app.url_map` makes a new route without an entry fail here, and CSRF is checked
on every form post outside the bearer-token API."""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from tests.integration.conftest import STAFF
from tests.integration.test_files_api import pdf
from web import create_app
from workflow.adapters.tables import users
from workflow.adapters.users import create_user
from workflow.domain.dossier import Actor
from workflow.services.dossiers import originals, use_cases
from workflow.services.files import attachments

ALL = {"counter", "officer", "supervisor", "admin"}
DESK = {"counter", "supervisor"}
WORK = {"counter", "officer", "supervisor"}
ADMIN = {"admin"}
OVERSIGHT = {"supervisor", "admin"}
# scope: whose agency may pass. "dossier": staff of the receiving agency or of an agency
# holding a step; "desk": the receiving agency's counter; "intake": the procedure's desk.
# kt_boss supervises a step agency: may see the dossier, but is not the receiving desk
ROSTER = {**STAFF, "kt_boss": ("supervisor", "T1.KT")}
OUTSIDERS = {"dossier": {"tax", "stranger", "ld"}, "desk": {"stranger", "kt_boss"},
             "intake": {"stranger", "kt_boss"}, "agency": {"kt_boss"},  # agency: ?agency=T1
             # "destination": staff of T1.KT, where the ready dossier's originals were sent
             "destination": {"tax", "stranger", "ld", "boss", "clerk", "clerk2"}}
INTAKE_FORM = {"procedure_code": "1.001193", "applicant_name": "Nguyễn Văn An",
               "applicant_phone": "0912345678", "documents": ["TK", "GCS"], "channel": "in_person"}


def scan_form() -> dict:
    """A form with a fresh upload, for each post (a stream is read once)."""
    return {"file": (io.BytesIO(pdf()), "scan.pdf")}


# (rule, method) -> (roles, scope, which dossier, form posted by the allowed user; a
# function makes it anew for each post)
STAFF_ROUTES = {
    ("/dang-xuat", "GET"): (ALL, None, None, None),
    ("/dang-xuat", "POST"): (ALL, None, None, {}),
    ("/quay", "GET"): (DESK, None, None, None),
    ("/quay/ho-so", "POST"): (DESK, "intake", None, INTAKE_FORM),
    ("/quay/ho-so/<code>/bien-nhan", "GET"): (DESK, "desk", "complete", None),
    ("/quay/ho-so/<code>/phieu-bo-sung", "GET"): (DESK, "desk", "incomplete", None),
    ("/quay/tra-ket-qua/<code>", "GET"): (DESK, "desk", "complete", None),
    ("/quay/ho-so/<code>/phieu-xin-loi", "GET"): (WORK, "dossier", "postponed", None),
    # the other forms of a dossier (workflow.domain.rules): refusal, stopping, control sheet
    ("/quay/ho-so/<code>/phieu-tu-choi", "GET"): (WORK, "dossier", "rejected", None),
    ("/quay/ho-so/<code>/thong-bao-dung", "GET"): (WORK, "dossier", "withdrawn", None),
    ("/quay/ho-so/<code>/phieu-kiem-soat", "GET"): (WORK, "dossier", "complete", None),
    ("/xu-ly", "GET"): (WORK, None, None, None),
    ("/ho-so/<code>", "GET"): (WORK, "dossier", "complete", None),
    ("/ho-so/<code>/<action>", "POST"): (WORK, "dossier", "complete", {"version": "1"}),
    ("/quan-tri/nguoi-dung", "GET"): (ADMIN, None, None, None),
    ("/quan-tri/nguoi-dung", "POST"): (ADMIN, None, None, {"username": "moi", "role": "counter",
                                                           "agency": "T1", "password": "mat-khau-dai"}),
    ("/quan-tri/nguoi-dung/<int:user_id>", "POST"): (ADMIN, None, None, {"op": "unlock"}),
    ("/quan-tri/co-quan", "GET"): (ADMIN, None, None, None),
    ("/quan-tri/co-quan", "POST"): (ADMIN, None, None, {"code": "T9", "name": "Phường mới"}),
    ("/quan-tri/co-quan/<code>", "POST"): (ADMIN, None, None, {"name": "Tên mới"}),
    # a dossier's audit trail as CSV: supervisors of the agencies involved; admins by code
    ("/ho-so/<code>/nhat-ky.csv", "GET"): ({"supervisor"}, "dossier", "complete", None),
    ("/quan-tri/nhat-ky", "GET"): (ADMIN, None, None, None),
    # supervision (web/supervisor/pages.py): a supervisor sees their agency and those under it
    ("/giam-sat", "GET"): (OVERSIGHT, "agency", None, None),
    ("/giam-sat/ho-so", "GET"): (OVERSIGHT, "agency", None, None),
    ("/giam-sat/bao-cao", "GET"): (OVERSIGHT, "agency", None, None),
    ("/giam-sat/bao-cao/tai-ve", "GET"): (OVERSIGHT, "agency", None, None),
    ("/giam-sat/chi-so-766", "GET"): (OVERSIGHT, "agency", None, None),
    ("/giam-sat/khong-dia-gioi", "GET"): (OVERSIGHT, "agency", None, None),
    ("/giam-sat/so-hoa", "GET"): (OVERSIGHT, "agency", None, None),
    ("/giam-sat/so-hoa/tai-ve", "GET"): (OVERSIGHT, "agency", None, None),
    ("/giam-sat/chi-so-766/tai-ve", "GET"): (OVERSIGHT, "agency", None, None),
    ("/giam-sat/le-phi/doi-chieu", "GET"): (OVERSIGHT, "agency", None, None),
    # the SIPAS survey's supervision page and the answer to a feedback item (web/citizen/survey_pages.py)
    ("/giam-sat/sipas", "GET"): (OVERSIGHT, None, None, None),
    ("/giam-sat/sipas", "POST"): (OVERSIGHT, None, None, {"feedback_id": "0", "answer": "x"}),
    # digitisation (web/staff/digitisation.py): whoever may see the dossier reaches the
    # forms, the engine decides who may attach (here the desk); downloads, as the page
    ("/ho-so/<code>/giay-to/<document>/tep", "POST"): (WORK, "dossier", "complete", scan_form),
    ("/ho-so/<code>/ket-qua/tep", "POST"): (WORK, "dossier", "ready", scan_form),
    ("/tep/<int:file_id>", "GET"): (WORK, "dossier", "complete", None),
    # signing the result (issue 21): the engine decides as for attaching it; a refusal is
    # flashed on the dossier page (here: no result file yet)
    ("/ho-so/<code>/ket-qua/ky-so", "POST"): (WORK, "dossier", "ready", {}),
    # fees (issue 21): the receiving desk records payments, refunds and exemptions; the use
    # case refuses what the dossier does not allow (here: nothing is due), flashed on the page
    ("/ho-so/<code>/le-phi", "POST"): (DESK, "desk", "complete", {"op": "pay", "amount": "1000",
                                                                  "method": "cash"}),
    # paper originals (issue 22, web/staff/originals.py): staff of the agency holding them
    # (the receiving desk) send them; staff of the destination record their arrival
    ("/ho-so/<code>/ban-goc", "POST"): (DESK, "desk", "complete", {"to": "T1.KT", "documents": ["TK"]}),
    ("/ho-so/<code>/ban-goc/<int:transfer_id>/da-nhan", "POST"): (
        {"officer", "supervisor"}, "destination", "ready", {}),
    # the development mailbox (web/staff/mailbox.py): any staff member; absent in production
    ("/hop-thu", "GET"): (ALL, None, None, None),
}


QUERY = {"/giam-sat": "?agency=T1", "/giam-sat/ho-so": "?agency=T1", "/giam-sat/bao-cao": "?agency=T1",
         "/giam-sat/chi-so-766": "?agency=T1", "/giam-sat/khong-dia-gioi": "?agency=T1",
         "/giam-sat/so-hoa": "?agency=T1", "/giam-sat/so-hoa/tai-ve": "?agency=T1",
         "/giam-sat/chi-so-766/tai-ve": "?agency=T1",
         "/giam-sat/le-phi/doi-chieu": "?agency=T1&format=csv",
         "/giam-sat/bao-cao/tai-ve": "?agency=T1&format=csv"}
DEVELOPMENT_ONLY = {("/hop-thu", "GET")}  # registered only with MAILBOX_DIR (development settings)
PUBLIC_ROUTES = {
    ("/", "GET"), ("/thu-tuc/<code>", "GET"), ("/thu-tuc/<code>/tu-kiem-tra", "GET"),
    ("/healthz", "GET"), ("/tra-cuu", "GET"), ("/tra-cuu", "POST"), ("/ngon-ngu/<lang>", "GET"),
    ("/dang-nhap", "GET"), ("/dang-nhap", "POST"), ("/static/<path:filename>", "GET"),
}
# the survey pages (web/citizen/survey_pages.py): citizens answer by token, results are published
PUBLIC_ROUTES |= {("/s/<token>", "GET"), ("/s/<token>", "POST"), ("/ket-qua-sipas", "GET")}
# online submission (web/citizen/online.py): the form in two steps, the private link and its supplement
PUBLIC_ROUTES |= {("/nop-truc-tuyen/<code>", "GET"), ("/nop-truc-tuyen/<code>", "POST"),
                  ("/nop-truc-tuyen/<code>/ma-xac-nhan", "POST"), ("/ho-so-truc-tuyen/<token>", "GET"),
                  ("/ho-so-truc-tuyen/<token>/bo-sung", "POST")}
# the status lookup's short-lived link to the result file, given after the phone-digit check
PUBLIC_ROUTES |= {("/tra-cuu/ket-qua/<token>", "GET")}


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            continue  # bearer tokens, tested in test_api.py
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.rule, method


def test_every_route_is_declared(open_app):
    found = set(routes(open_app))
    undeclared = sorted(found - set(STAFF_ROUTES) - PUBLIC_ROUTES)
    assert not undeclared, f"declare who may use these routes in STAFF_ROUTES or PUBLIC_ROUTES: {undeclared}"
    stale = sorted(k for k in set(STAFF_ROUTES) | PUBLIC_ROUTES if k not in found)
    assert not stale, f"declared routes that no longer exist: {stale}"


@pytest.fixture
def open_app(ctx, db_url, catalog, tmp_path):
    """The app with CSRF off, so refusals are seen for what they are (CSRF tested below),
    and with the development mailbox, so its page is checked too."""
    return create_app("testing", {"DATABASE_URL": db_url, "WTF_CSRF_ENABLED": False,
                                  "MAILBOX_DIR": str(tmp_path / "mailbox")}, context=ctx)


def signed_in(app, engine, username):
    """A client holding `username`'s session (the login form itself is tested elsewhere)."""
    from workflow.adapters.tables import users
    from web.staff.auth import StaffUser
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).one()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = StaffUser(row).get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def world(open_app, tokens, engine):
    clerk = signed_in(open_app, engine, "clerk")
    made = {}
    for name, docs in (("complete", ["TK", "GCS"]), ("incomplete", ["TK"])):
        r = clerk.post("/quay/ho-so", data={**INTAKE_FORM, "documents": docs, "idem": name})
        assert r.status_code == 303, r.get_data(as_text=True)
        made[name] = r.headers["Location"].split("/")[3]
    r = clerk.post("/quay/ho-so", data={**INTAKE_FORM, "idem": "late"})
    made["postponed"] = code = r.headers["Location"].split("/")[3]
    ctx = open_app.extensions["motcua"]  # the step agency moves the date once, at once
    use_cases.act(ctx, Actor("clerk", "counter", "T1"), code, "forward", {})
    use_cases.act(ctx, Actor("kt", "officer", "T1.KT"), code, "postpone",
                  {"reason": "chờ xác minh", "new_due_at": date(2026, 3, 10)})
    for name, action in (("rejected", "reject"), ("withdrawn", "withdraw")):
        r = clerk.post("/quay/ho-so", data={**INTAKE_FORM, "idem": name})
        made[name] = closed = r.headers["Location"].split("/")[3]
        use_cases.act(ctx, Actor("clerk", "counter", "T1"), closed, action, {"reason": "lý do"})
    r = clerk.post("/quay/ho-so", data={**INTAKE_FORM, "idem": "ready"})
    made["ready"] = ready = r.headers["Location"].split("/")[3]
    for who, action in ((Actor("clerk", "counter", "T1"), "forward"), (Actor("kt", "officer", "T1.KT"), "forward"),
                        (Actor("clerk", "counter", "T1"), "complete")):
        use_cases.act(ctx, who, ready, action, {})
    made["transfer_id"] = originals.send(ctx, Actor("clerk", "counter", "T1"), ready, "T1.KT", ["TK"]).id
    made["file_id"] = attachments.attach(ctx, Actor("clerk", "counter", "T1"), ready, "document",
                                         "TK", io.BytesIO(pdf()), "to-khai.pdf").id
    with engine.begin() as conn:
        create_user(conn, "kt_boss", "supervisor", "T1.KT")
        made["user_id"] = conn.execute(select(users.c.id).where(users.c.username == "kt")).scalar_one()
    clients = {name: signed_in(open_app, engine, name) for name in ROSTER}
    return made, clients


def url_for_rule(rule: str, dossier: str | None, made: dict) -> str:
    code = made[dossier] if dossier else "T1"
    return (rule.replace("<code>", code).replace("<action>", "forward").replace("<document>", "TK")
            .replace("<int:user_id>", str(made["user_id"]))
            .replace("<int:file_id>", str(made["file_id"]))
            .replace("<int:transfer_id>", str(made["transfer_id"]))) + QUERY.get(rule, "")


def form_data(form) -> dict:
    return form() if callable(form) else form or {}


def is_login_redirect(resp) -> bool:
    return resp.status_code == 302 and "/dang-nhap" in resp.headers.get("Location", "")


def test_staff_routes_refuse_outsiders(open_app, world, engine):
    """For every declared staff route: no session, other role, other agency are refused;
    the people the table lets in get through."""
    made, clients = world
    refused_wrongly, let_in_wrongly = [], []
    allowed_calls = []
    for route, (roles, scope, dossier, form) in sorted(STAFF_ROUTES.items()):
        rule, method = route
        url = url_for_rule(rule, dossier, made)
        anonymous = open_app.test_client().open(url, method=method, data=form_data(form))
        if not is_login_redirect(anonymous):
            let_in_wrongly.append((route, "no session", anonymous.status_code))
        allowed = []
        for name, (role, agency) in ROSTER.items():
            why = "other role" if role not in roles else \
                "other agency" if scope and name in OUTSIDERS[scope] else None
            if why is None:
                allowed.append(name)
                continue
            r = clients[name].open(url, method=method, data=form_data(form))
            if r.status_code != 403:
                let_in_wrongly.append((route, why, name, r.status_code))
        assert allowed, f"nobody may use {route}?"
        if method == "GET":
            allowed_calls += [(route, url, name, form) for name in allowed]
        else:  # one call changes things: the clerk forwards the dossier the desk received
            allowed_calls.append((route, url, "clerk" if "clerk" in allowed else allowed[0], form))
    for route, url, name, form in allowed_calls:  # after the refusals, which change nothing
        client = signed_in(open_app, engine, name)
        r = client.open(url, method=route[1], data=form_data(form))
        if route == ("/dang-xuat", "POST"):  # signing out leads to the login page, for good
            ok = is_login_redirect(r) and is_login_redirect(client.get("/xu-ly"))
        else:
            ok = r.status_code < 400 and not is_login_redirect(r)
        if not ok:
            refused_wrongly.append((route, name, r.status_code))
    assert not let_in_wrongly, let_in_wrongly
    assert not refused_wrongly, refused_wrongly


def test_engine_still_guards_actions_inside_the_agency(open_app, world):
    """An officer of a step agency may see the dossier, but not act on a step he does not hold."""
    made, clients = world
    code = made["complete"]
    assert clients["kt"].get(f"/ho-so/{code}").status_code == 200
    assert clients["kt"].post(f"/ho-so/{code}/forward", data={"version": "1"}).status_code == 403
    assert clients["clerk"].post(f"/ho-so/{code}/no_such_action").status_code == 404


def test_every_form_post_needs_a_csrf_token(app, tokens):
    client = app.test_client()
    posts = [rule for rule, method in routes(app) if method == "POST"]
    assert "/dang-nhap" in posts and "/ho-so/<code>/<action>" in posts
    for rule in posts:
        url = (rule.replace("<code>", "X").replace("<action>", "forward").replace("<document>", "TK")
               .replace("<int:user_id>", "1").replace("<token>", "x").replace("<int:transfer_id>", "1"))
        r = client.post(url, data={"username": "clerk", "password": "pw-clerk"})
        assert r.status_code == 400, (rule, r.status_code)
        assert "Phiên làm việc đã hết hạn" in r.get_data(as_text=True)
