"""Access control as one declared matrix: every API operation for every kind of caller
(anonymous, counter clerk, officer of a step agency, supervisor and counter of the
receiving agency, administrator, officer and clerk of an agency the dossier never passes
through) is allowed or refused exactly as API_MATRIX says. The pages' table is
STAFF_ROUTES / PUBLIC_ROUTES in test_staff_access.py; together they must cover every route
of the app, so a new route cannot ship undeclared.

Citizens have no account: they reach their own dossier's status with its code plus the
last four phone digits, and their own survey with its link; nothing else.
"""
from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select, update

from tests.pki import make_pki
from tests.integration.test_staff_access import DEVELOPMENT_ONLY, PUBLIC_ROUTES, STAFF_ROUTES
from tests.integration.test_surveys import all_fives
from workflow.adapters.tables import dossiers
from workflow.adapters.tables_surveys import surveys
from workflow.domain.dossier import Actor
from workflow.services.dossiers import use_cases
from workflow.services.notifications.inbox import notify_agency
from workflow.services.surveys.config import survey_config
from workflow.services.surveys.use_cases import open_survey

# the callers: name in tests/integration/conftest.py STAFF, or None for no token
CALLERS = {"anonymous": None, "counter": "clerk", "step_officer": "kt", "supervisor": "boss",
           "admin": "root", "outside_officer": "tax", "outside_counter": "stranger"}
STAFF = set(CALLERS) - {"anonymous"}
EVERYONE = set(CALLERS)
DESK = {"counter", "supervisor"}
INVOLVED = {"counter", "step_officer", "supervisor", "admin"}
OVERSIGHT = {"supervisor", "admin"}

# (method, path) -> (callers allowed, what a refused caller with a token gets, object used)
# objects: "dossier" a received 1.001193 dossier (steps: T1.KT, then the T1 desk; TAX never
# sees it), "notification" one of the clerk's, "feedback" an open item of T1, "survey" a link
API_MATRIX = {
    ("GET", "/api/v1/procedures"): (EVERYONE, None, None),
    ("GET", "/api/v1/procedures/{code}"): (EVERYONE, None, "procedure"),
    ("POST", "/api/v1/procedures/{code}/check"): (EVERYONE, None, "procedure"),
    ("POST", "/api/v1/dossiers"): (DESK, 403, None),
    ("GET", "/api/v1/dossiers"): (STAFF, 403, None),  # each sees only their agency's (below)
    ("GET", "/api/v1/dossiers/{code}"): (INVOLVED, 403, "dossier"),
    ("GET", "/api/v1/dossiers/{code}/deadline"): (INVOLVED, 403, "dossier"),
    ("GET", "/api/v1/dossiers/{code}/forms"): (INVOLVED, 403, "dossier"),
    ("GET", "/api/v1/dossiers/{code}/evaluation"): ({"counter", "supervisor", "admin"}, 403, "dossier"),
    ("GET", "/api/v1/dossiers/{code}/trail"): (OVERSIGHT, 403, "dossier"),
    ("POST", "/api/v1/dossiers/{code}/actions/{action}"): (DESK, 403, "dossier"),  # forward
    ("GET", "/api/v1/notifications"): (STAFF, None, None),  # each their own
    ("POST", "/api/v1/notifications/{notification_id}/read"): ({"counter"}, 404, "notification"),
    ("GET", "/api/v1/reports/repeat-visits"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/reports/summary"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/reports/service-index"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/reports/evaluation"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/reports/dashboard"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/reports/dashboard/dossiers"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/reports/bottlenecks"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/reports/sipas"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/reports/digitisation"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/reports/boundary-free"): (OVERSIGHT, 403, None),
    ("GET", "/api/v1/feedback"): (OVERSIGHT, 403, None),
    ("POST", "/api/v1/feedback/{feedback_id}/answer"): (OVERSIGHT, 403, "feedback"),
    # the citizen's link is the credential: whoever holds it, nobody without it (below)
    ("GET", "/api/v1/surveys/{token}"): (EVERYONE, None, "survey"),
    ("POST", "/api/v1/surveys/{token}"): (EVERYONE, None, "survey"),
    # files: the desk digitises a received dossier's documents; the result's file once the
    # result is ready; a file is shown to whoever may see its dossier (404 to the others,
    # as for a file that does not exist)
    ("POST", "/api/v1/dossiers/{code}/documents/{document}/files"): (DESK, 403, "dossier"),
    ("POST", "/api/v1/dossiers/{code}/result/files"): (DESK, 403, "ready"),
    ("GET", "/api/v1/files/{file_id}"): (INVOLVED, 404, "file"),
    # signed results (issue 21): signing is attaching the result (the desk once it is ready);
    # a file's signature report follows its download
    ("POST", "/api/v1/dossiers/{code}/result/sign"): (DESK, 403, "signable"),
    ("GET", "/api/v1/files/{file_id}/signature"): (INVOLVED, 404, "file"),
    # fees (issue 21): the desk of the receiving agency records payments, refunds and
    # exemptions on a dossier whose fee is due; whoever may see the dossier reads its fee;
    # the collected report and the daily reconciliation follow the other reports
    ("POST", "/api/v1/dossiers/{code}/payments"): (DESK, 403, "fee_due"),
    ("GET", "/api/v1/dossiers/{code}/payments"): (INVOLVED, 403, "dossier"),
    ("POST", "/api/v1/dossiers/{code}/fee-exemption"): (DESK, 403, "fee_due"),
    ("GET", "/api/v1/reports/fees"): (OVERSIGHT, 403, None),
    # paper originals (issue 22): staff of the agency holding them (first the receiving
    # desk) send them; only staff of the destination record their arrival; whoever may
    # see the dossier reads the transfers
    ("POST", "/api/v1/dossiers/{code}/originals"): (DESK, 403, "dossier"),
    ("GET", "/api/v1/dossiers/{code}/originals"): (INVOLVED, 403, "dossier"),
    ("POST", "/api/v1/dossiers/{code}/originals/{transfer_id}/received"): ({"step_officer"}, 403, "in_transit"),
    ("GET", "/api/v1/reports/fees/reconciliation"): (OVERSIGHT, 403, None),
    # online submission: public; the confirmed code, then the private link, is the credential
    ("POST", "/api/v1/submissions/codes"): (EVERYONE, None, None),
    ("POST", "/api/v1/submissions"): (EVERYONE, None, "verification"),
    ("GET", "/api/v1/submissions/{token}"): (EVERYONE, None, "online"),
    ("POST", "/api/v1/submissions/{token}/supplement"): (EVERYONE, None, "asked"),
    ("GET", "/api/v1/submissions/{token}/files/{file_id}"): (EVERYONE, None, "online_file"),
}
UPLOADS = {"/api/v1/dossiers/{code}/documents/{document}/files", "/api/v1/dossiers/{code}/result/files"}
ONLINE_UPLOADS = {"/api/v1/submissions", "/api/v1/submissions/{token}/supplement"}
NOT_DECLARED_HERE = {("GET", "/api/v1/openapi.json")}  # the public API description
BODIES = {"/api/v1/dossiers": {"procedure_code": "1.001193", "documents": ["TK", "GCS"],
                               "applicant": {"name": "Trần Thị Bình", "phone": "0987654321",
                                             "id_number": "001190054321"}, "channel": "in_person"},
          "/api/v1/procedures/{code}/check": {"documents": ["TK"]},
          "/api/v1/dossiers/{code}/actions/{action}": {},
          "/api/v1/dossiers/{code}/payments": {"amount": 100000, "method": "cash", "reference": "PT-1"},
          "/api/v1/dossiers/{code}/fee-exemption": {"code": "HN", "ground": "Sổ hộ nghèo"},
          "/api/v1/dossiers/{code}/originals": {"to": "T1.KT", "documents": ["TK"], "note": "bản gốc"},
          "/api/v1/feedback/{feedback_id}/answer": {"answer": "Xin lỗi Ông/Bà, đã chấn chỉnh."},
          "/api/v1/surveys/{token}": {"answers": all_fives({"C1": 1, "C2": 2})}}


def api_operations(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = rule.rule.replace("<int:", "<").replace("<", "{").replace(">", "}")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield method, path


def test_every_route_is_in_one_of_the_tables(app):
    api = set(api_operations(app))
    assert not sorted(api - set(API_MATRIX) - NOT_DECLARED_HERE), "declare these in API_MATRIX"
    assert not sorted(set(API_MATRIX) - api), "API_MATRIX names operations that no longer exist"
    pages = {(rule.rule, m) for rule in app.url_map.iter_rules() if not rule.rule.startswith("/api/")
             for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert pages == (set(STAFF_ROUTES) | PUBLIC_ROUTES) - DEVELOPMENT_ONLY  # the testing settings have no mailbox


class World:
    """Objects the matrix acts on, a fresh one for every call that changes something."""

    def __init__(self, app, api, engine):
        self.app, self.api, self.engine = app, api, engine
        self.ctx = app.extensions["motcua"]

    def dossier(self) -> str:
        r = self.api("clerk", "POST", "/api/v1/dossiers", json=BODIES["/api/v1/dossiers"])
        assert r.status_code == 201, r.get_json()
        return r.get_json()["code"]

    def closed(self) -> str:
        code = self.dossier()
        for who, action in ((Actor("clerk", "counter", "T1"), "forward"), (Actor("kt", "officer", "T1.KT"), "forward"),
                            (Actor("clerk", "counter", "T1"), "complete"),
                            (Actor("clerk", "counter", "T1"), "return_result")):
            use_cases.act(self.ctx, who, code, action, {})
        return code

    def survey(self, code: str | None = None) -> str:
        """The link token of a closed dossier's survey, as if the invitation had gone out
        (sending it starts the link's lifetime; test_surveys.py sends real ones)."""
        conf = survey_config(self.app.config)
        code = code or self.closed()
        open_survey(self.ctx, conf, {"dossier": code, "status": "returned"})
        with self.engine.begin() as conn:
            conn.execute(update(surveys).where(surveys.c.dossier_code == code)
                         .values(expires_at=self.ctx.now() + timedelta(days=30)))
            nonce = conn.execute(select(surveys.c.nonce).where(surveys.c.dossier_code == code)).scalar_one()
        return conf.token(nonce)

    def feedback(self) -> str:
        r = self.api(None, "POST", f"/api/v1/surveys/{self.survey()}", json=BODIES["/api/v1/surveys/{token}"])
        assert r.status_code == 201 and r.get_json()["feedback_opened"], r.get_json()
        items = self.api("boss", "GET", "/api/v1/feedback?status=open").get_json()["items"]
        return str(max(i["id"] for i in items))

    def notification(self) -> str:
        with self.engine.begin() as conn:
            notify_agency(conn, "T1", "postponed", "X", "thử", self.ctx.now())
        items = self.api("clerk", "GET", "/api/v1/notifications").get_json()["items"]
        return str(max(i["id"] for i in items))

    def procedure(self) -> str:
        return "1.001193"

    def fee_due(self) -> str:
        """A received dossier of the fee test procedure (100.000 đồng due, exemption HN)."""
        if not getattr(self, "fee_loaded", False):
            from tests.integration.test_fees import FEES
            from workflow.services.importing.catalog import load
            assert not load(self.engine, [FEES / "matrix.yaml"]).errors
            self.fee_loaded = True
        r = self.api("clerk", "POST", "/api/v1/dossiers", json={
            **BODIES["/api/v1/dossiers"], "procedure_code": "1.099003", "documents": ["DON"]})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["code"]

    def in_transit(self) -> str:
        """A dossier whose originals the desk sent to the step agency T1.KT ("code/id")."""
        code = self.dossier()
        r = self.api("clerk", "POST", f"/api/v1/dossiers/{code}/originals",
                     json=BODIES["/api/v1/dossiers/{code}/originals"])
        assert r.status_code == 201, r.get_json()
        return f"{code}/originals/{r.get_json()['id']}"

    def ready(self) -> str:
        """A dossier whose result is ready at the desk."""
        code = self.dossier()
        for who, action in ((Actor("clerk", "counter", "T1"), "forward"), (Actor("kt", "officer", "T1.KT"), "forward"),
                            (Actor("clerk", "counter", "T1"), "complete")):
            use_cases.act(self.ctx, who, code, action, {})
        return code

    def signable(self) -> str:
        """A dossier whose result is ready at the desk, with the result's PDF attached."""
        code = self.ready()
        r = self.api("clerk", "POST", f"/api/v1/dossiers/{code}/result/files", **upload_form())
        assert r.status_code == 201, r.get_json()
        return code

    def file(self) -> str:
        r = self.api("clerk", "POST", f"/api/v1/dossiers/{self.dossier()}/documents/TK/files",
                     **upload_form())
        assert r.status_code == 201, r.get_json()
        return str(r.get_json()["id"])

    def verification(self) -> str:
        """A confirmed code for an online submission ("verification:code"), each from its
        own address and phone so the per-contact limits stay out of the way."""
        from workflow.services.online import codes, submissions
        self.sent = getattr(self, "sent", 0) + 1
        _pid, procedure = submissions.procedure_online(self.ctx, "1.001193")
        got = codes.request_code(self.ctx, procedure, f"09{self.sent:08d}", None, f"matrix-{self.sent}")
        from workflow.adapters.tables import outbox
        with self.engine.connect() as conn:
            code = conn.execute(select(outbox.c.payload).where(outbox.c.topic == codes.TOPIC)
                                .order_by(outbox.c.id.desc())).first().payload["code"]
        return f"{got['verification']}:{code}"

    def online(self) -> str:
        """The private-link token of an online submission."""
        r = self.api(None, "POST", "/api/v1/submissions", **online_form(self.verification()))
        assert r.status_code == 201, r.get_json()
        self.last_online = r.get_json()
        return r.get_json()["token"]

    def asked(self) -> str:
        """The token of an online dossier the desk asked to supplement."""
        token = self.online()
        r = self.api("clerk", "POST", f"/api/v1/dossiers/{self.last_online['code']}/actions/request_supplement",
                     json={"missing": ["GCS"], "reason": "thiếu giấy chứng sinh"})
        assert r.status_code == 200, r.get_json()
        return token

    def online_file(self) -> str:
        token = self.online()
        return f"{token}/files/{self.last_online['files'][0]['id']}"

    def url(self, path: str, thing: str | None, value: str | None) -> str:
        if thing in (None, "verification"):
            return path
        slot = {"procedure": "{code}", "dossier": "{code}", "notification": "{notification_id}",
                "feedback": "{feedback_id}", "survey": "{token}", "ready": "{code}", "signable": "{code}",
                "fee_due": "{code}", "in_transit": "{code}/originals/{transfer_id}",
                "file": "{file_id}", "online": "{token}", "asked": "{token}",
                "online_file": "{token}/files/{file_id}"}[thing]
        return path.replace(slot, value).replace("{action}", "forward").replace("{document}", "TK")


def upload_form() -> dict:
    """A multipart body with a small real PDF in the field 'file' (a fresh stream each call)."""
    from tests.integration.test_files_api import pdf
    return dict(data={"file": (io.BytesIO(pdf()), "scan.pdf")}, content_type="multipart/form-data")


def online_form(value: str | None = None) -> dict:
    """The multipart body of an online submission (with "verification:code") or of a
    supplement (without): a small real PDF for the birth certificate GCS, or TK with it."""
    from tests.integration.test_files_api import pdf
    data = {"document": ["GCS"], "file": [(io.BytesIO(pdf()), "gcs.pdf")]}
    if value:
        verification, code = value.split(":")
        data = {"verification": verification, "code": code, "procedure_code": "1.001193",
                "name": "Phạm Văn Dũng", "document": ["TK"], "file": [(io.BytesIO(pdf()), "tk.pdf")]}
    return dict(data=data, content_type="multipart/form-data")


def body(path: str, value: str | None = None) -> dict:
    if path in ONLINE_UPLOADS:
        return online_form(value if path == "/api/v1/submissions" else None)
    if path == "/api/v1/submissions/codes":
        World.phones = getattr(World, "phones", 0) + 1
        return dict(json={"procedure_code": "1.001193", "phone": f"08{World.phones:08d}"})
    return upload_form() if path in UPLOADS else dict(json=BODIES.get(path))


def version(engine, code: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(dossiers.c.version).where(dossiers.c.code == code)).scalar_one()


def test_api_matrix(app, api, engine, tmp_path):
    """Each operation for each caller: refused ones first (they must change nothing), then
    each allowed caller on a fresh object where the call changes it."""
    # the issuing agency's key, so that signing a result can succeed (an unencrypted test key)
    make_pki(tmp_path / "signers", "ma trận", {"T1": "Phường thử nghiệm"}, passphrase=None)
    app.config["RESULT_SIGNERS_DIR"] = str(tmp_path / "signers")
    world = World(app, api, engine)
    wrong = []
    for (method, path), (allowed, refusal, thing) in sorted(API_MATRIX.items()):
        shared = getattr(world, thing)() if thing else None
        for caller, user in CALLERS.items():
            if caller in allowed:
                continue
            r = api(user, method, world.url(path, thing, shared), **body(path, shared))
            expected = 401 if user is None else refusal
            if r.status_code != expected:
                wrong.append(("let in" if r.status_code < 400 else "wrong refusal", method, path,
                              caller, r.status_code, expected))
        if thing in ("dossier", "fee_due") and shared:
            assert version(engine, shared) == 1, f"a refused {method} {path} changed the dossier"
        for caller in sorted(allowed):
            value = shared if method == "GET" or thing in ("procedure", None) else getattr(world, thing)()
            r = api(CALLERS[caller], method, world.url(path, thing, value), **body(path, value))
            if not 200 <= r.status_code < 300:
                wrong.append(("refused", method, path, caller, r.status_code, r.get_data(as_text=True)[:200]))
    assert not wrong, "\n".join(map(str, wrong))


def test_lists_show_only_the_callers_agency(app, api, engine):
    code = World(app, api, engine).dossier()
    listed = {name: {d["code"] for d in api(name, "GET", "/api/v1/dossiers").get_json()["items"]}
              for name in ("clerk", "boss", "root", "tax", "stranger")}
    assert code in listed["clerk"] and code in listed["boss"] and code in listed["root"]
    assert code not in listed["tax"] and code not in listed["stranger"]
    assert api("tax", "GET", "/api/v1/dossiers?agency=T1").status_code == 403


def test_citizen_reaches_only_their_own_status(app, api, engine):
    world = World(app, api, engine)
    mine = world.dossier()  # phone ...4321
    theirs = api("clerk", "POST", "/api/v1/dossiers", json={
        **BODIES["/api/v1/dossiers"], "applicant": {"name": "Lê Văn Cường", "phone": "0911112222"}}
    ).get_json()["code"]
    citizen = app.test_client()
    page = citizen.get("/tra-cuu").get_data(as_text=True)
    csrf = page.split('name="csrf_token"')[1].split('value="')[1].split('"')[0]
    r = citizen.post("/tra-cuu", data={"ma": mine, "so": "4321", "csrf_token": csrf})
    assert r.status_code == 200 and mine in r.get_data(as_text=True)
    assert "Trần Thị Bình" not in r.get_data(as_text=True)
    other = citizen.post("/tra-cuu", data={"ma": theirs, "so": "4321", "csrf_token": csrf})  # their code
    assert other.status_code == 404 and "Hẹn trả kết quả" not in other.get_data(as_text=True)
    assert "Hẹn trả kết quả" in r.get_data(as_text=True)  # what the right pair shows
    for path in ("/api/v1/dossiers", f"/api/v1/dossiers/{mine}", f"/ho-so/{mine}", "/xu-ly"):
        assert citizen.get(path).status_code in (302, 401)


def test_citizen_reaches_only_their_own_survey(app, api, engine):
    world = World(app, api, engine)
    first, second = world.closed(), world.closed()
    token = world.survey(first)
    world.survey(second)
    assert api(None, "GET", f"/api/v1/surveys/{token}").status_code == 200
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert api(None, "GET", f"/api/v1/surveys/{forged}").status_code == 404
    assert app.test_client().get(f"/s/{forged}").status_code == 404
    nonce_only = token.split(".")[0]  # the link without its signature
    assert api(None, "GET", f"/api/v1/surveys/{nonce_only}").status_code == 404
    answered = api(None, "POST", f"/api/v1/surveys/{token}", json={"answers": all_fives()})
    assert answered.status_code == 201
    with engine.connect() as conn:  # the answer went to the link's own dossier, not another
        done = dict(conn.execute(select(surveys.c.dossier_code, surveys.c.answered_at.isnot(None))).all())
    assert done == {first: True, second: False}
