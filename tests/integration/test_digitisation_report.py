"""Digitised dossiers and electronic results per receiving agency (issue 19), and the
Decision 766 criteria 4.1 and 4.2 they feed, counted from the files on SQLite and PostgreSQL."""
from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import openpyxl

from tests.integration.test_files_api import pdf, upload
from tests.integration.test_staff_pages import login
from tests.integration.test_signed_results import (at_result, attach_result, call, pki,  # noqa: F401
                                                   result_pdf, sapp, sign)

PERIOD = "from=2026-03-01&to=2026-03-31"
BODY = {"procedure_code": "1.001193", "applicant": {"name": "Nguyễn Văn An", "phone": "0912345678"},
        "documents": ["TK", "GCS"], "channel": "in_person"}


def intake(api) -> str:
    r = api("clerk", "POST", "/api/v1/dossiers", json=BODY)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["code"]


def returned(api, code: str) -> None:
    for user, action in (("clerk", "forward"), ("kt", "forward"), ("clerk", "complete"),
                         ("clerk", "return_result")):
        r = api(user, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json={})
        assert r.status_code == 200, (action, r.get_json())


def test_digitised_and_electronic_results_are_counted_from_the_files(app, client, tokens, api):
    full, partial, paper = intake(api), intake(api), intake(api)
    for doc in ("TK", "GCS"):  # every required document (UQ is optional)
        assert upload(client, tokens, "clerk", full, doc, pdf(text=doc)).status_code == 201
    assert upload(client, tokens, "clerk", partial, "TK", pdf()).status_code == 201
    assert upload(client, tokens, "clerk", partial, "UQ", pdf()).status_code == 201  # optional: no help
    # a superseded file still leaves the document digitised by its replacement
    first = upload(client, tokens, "clerk", full, "GCS", pdf(text="v1")).get_json()["id"]
    assert upload(client, tokens, "clerk", full, "GCS", pdf(text="v2"), replaces=first).status_code == 201
    # two returned: one with its result's file, one on paper only
    for code in (full, paper):
        for user, action in (("clerk", "forward"), ("kt", "forward"), ("clerk", "complete")):
            assert api(user, "POST", f"/api/v1/dossiers/{code}/actions/{action}", json={}).status_code == 200
    result = upload(client, tokens, "clerk", full, None, pdf(text="result"),
                    path=f"/api/v1/dossiers/{full}/result/files")
    assert result.status_code == 201, result.get_json()
    for code in (full, paper):
        assert api("clerk", "POST", f"/api/v1/dossiers/{code}/actions/return_result", json={}).status_code == 200

    r = api("boss", "GET", f"/api/v1/reports/digitisation?{PERIOD}")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["items"] == [dict(agency="T1", received=3, digitised=1, returned=2, electronic_results=1,
                                  digitised_share=0.3333, electronic_share=0.5)]
    assert body["total"]["digitised"] == 1
    index = api("boss", "GET", f"/api/v1/reports/service-index?{PERIOD}").get_json()
    c = {c["code"]: c for g in index["groups"] for c in g["criteria"]}
    assert (c["4.2"]["numerator"], c["4.2"]["denominator"], c["4.2"]["points"]) == (1, 3, 1.33)  # 4 x 1/3
    assert (c["4.1"]["numerator"], c["4.1"]["denominator"], c["4.1"]["points"]) == (1, 2, 3.0)  # 6 x 1/2
    assert api("clerk", "GET", f"/api/v1/reports/digitisation?{PERIOD}").status_code == 403
    assert api("boss", "GET", f"/api/v1/reports/digitisation?{PERIOD}&agency=TAX").status_code == 403

    # the supervisor's page: the same figures, with the two shares
    app.config["WTF_CSRF_ENABLED"] = False
    boss = login(app, "boss")
    html = boss.get(f"/giam-sat/so-hoa?{PERIOD}").get_data(as_text=True)
    row = html[html.index('<th scope="row">'):html.index("</tr>", html.index('<th scope="row">'))]
    cells = [c.split("<")[0] for c in row.split('<td class="n">')[1:]]
    assert cells == ["3", "1", "33.3%", "2", "1", "50.0%"], row
    assert "(T1)" in row and "Tổng cộng" in html
    assert boss.get(f"/giam-sat/so-hoa?{PERIOD}&agency=TAX").status_code == 403
    link = f"/giam-sat/so-hoa/tai-ve?{PERIOD}"  # the page's Excel link: the session's, not the API's
    assert link.replace("&", "&amp;") in html
    for sheet in (boss.get(link), api("boss", "GET", f"/api/v1/reports/digitisation?{PERIOD}&format=xlsx")):
        assert sheet.status_code == 200, sheet.status_code
        rows = list(openpyxl.load_workbook(io.BytesIO(sheet.get_data())).active.iter_rows(values_only=True))
        assert rows[1][0] == "T1" and rows[1][2:] == (3, 1, 0.3333, 2, 1, 0.5) and rows[-1][1] == "Tổng cộng"
    assert api("boss", "GET", f"/api/v1/reports/digitisation?{PERIOD}&format=pdf").status_code == 422
    assert boss.get(f"/giam-sat/so-hoa/tai-ve?{PERIOD}&agency=TAX").status_code == 403
    bad = boss.get("/giam-sat/so-hoa?from=31/02/2026", follow_redirects=True)  # no such day: said, not a 500
    assert bad.status_code == 422 and "Dữ liệu chưa hợp lệ." in bad.get_data(as_text=True)
    assert "Không có hồ sơ trong kỳ." in boss.get("/giam-sat/so-hoa?from=2025-01-01&to=2025-01-31").get_data(
        as_text=True)


def test_the_moment_of_digitisation_is_kept_once_and_backfilled(client, tokens, api, engine):
    """The report counts dossiers.digitised_at (migration 0028), written by the file that
    completes the required documents and kept when a file is replaced; the migration's
    backfill gives dossiers digitised before it the same answer."""
    from sqlalchemy import select, update
    from workflow.adapters.tables import dossiers
    full, partial = intake(api), intake(api)
    assert upload(client, tokens, "clerk", full, "TK", pdf(text="TK")).status_code == 201
    assert upload(client, tokens, "clerk", partial, "TK", pdf()).status_code == 201

    def moments():
        with engine.connect() as conn:
            return dict(conn.execute(select(dossiers.c.code, dossiers.c.digitised_at)).all())
    assert moments() == {full: None, partial: None}  # one required document still on paper
    first = upload(client, tokens, "clerk", full, "GCS", pdf(text="v1")).get_json()["id"]
    done = moments()[full]
    assert done is not None and moments()[partial] is None
    assert upload(client, tokens, "clerk", full, "GCS", pdf(text="v2"), replaces=first).status_code == 201
    assert moments()[full] == done  # written once
    module = migration("0028_digitised_at")
    with engine.begin() as conn:
        conn.execute(update(dossiers).values(digitised_at=None))
        module.backfill(conn)
    assert moments()[full] is not None and moments()[partial] is None


def test_the_moment_of_the_electronic_result_is_kept_once_and_backfilled(call, at_result, engine, clock):
    """The report counts dossiers.result_filed_at (migration 0029), written by the dossier's
    first result file and kept when the agency's signed copy supersedes it; the migration's
    backfill gives dossiers with result files before it the same moment."""
    from sqlalchemy import select, update
    from workflow.adapters.tables import dossiers
    from workflow.adapters.tables_files import dossier_files
    filed, paper = at_result(), at_result()

    def moments():
        with engine.connect() as conn:
            return dict(conn.execute(select(dossiers.c.code, dossiers.c.result_filed_at)).all())
    assert moments() == {filed: None, paper: None}
    clock.advance(minutes=5)
    first = attach_result(call, filed, result_pdf())
    with engine.connect() as conn:
        uploaded = conn.execute(select(dossier_files.c.uploaded_at)
                                .where(dossier_files.c.id == first["id"])).scalar_one()
    assert moments() == {filed: uploaded, paper: None}
    clock.advance(minutes=5)
    signed = sign(call, filed)
    assert signed.status_code == 201, signed.get_json()  # supersedes the unsigned file
    assert moments() == {filed: uploaded, paper: None}  # written once
    module = migration("0029_result_filed_at")
    with engine.begin() as conn:
        conn.execute(update(dossiers).values(result_filed_at=None))
        module.backfill(conn)
    assert moments() == {filed: uploaded, paper: None}  # the first file's moment, not the signed one's


def migration(name: str):
    """A migration's module, to run its backfill again."""
    path = Path(__file__).parents[2] / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"m{name[:4]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
