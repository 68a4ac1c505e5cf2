"""Command line: `flask --app web db|catalog|users|demo|results ...`."""
from __future__ import annotations

import sys
import click
from alembic import command
from flask import current_app
from flask.cli import AppGroup

from workflow.adapters import users as user_store
from workflow.adapters.migrations import alembic_config
from workflow.services.importing.catalog import DEMO_DIR, load
from workflow.domain.errors import DomainError

db = AppGroup("db", help="Database schema migrations (Alembic).")
catalog = AppGroup("catalog", help="Procedure catalog.")
users = AppGroup("users", help="Staff accounts and API tokens.")
demo = AppGroup("demo", help="Demo data.")
deadlines = AppGroup("deadlines", help="Deadline sweep and escalations.")
reports_cli = AppGroup("reports", help="Statistics report (II.06a) daily rollup.")
surveys_cli = AppGroup("surveys", help="Satisfaction survey (SIPAS) report tallies.")
results_cli = AppGroup("results", help="Signed electronic results.")


def _engine():
    return current_app.extensions["motcua"].engine


@db.command("upgrade")
@click.argument("revision", default="heads")
def db_upgrade(revision):
    """Bring the database to the current schema (or REVISION)."""
    command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision):
    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db.command("current")
def db_current():
    command.current(alembic_config(current_app.config["DATABASE_URL"]))


@catalog.command("load")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
def catalog_load(paths):
    """Validate and load procedure/agency YAML files (folders: every *.yaml in them)."""
    report = load(_engine(), paths)
    for line in report.loaded:
        click.echo(line)
    for err in report.errors:
        click.echo(f"error: {err.path}: field '{err.field}': {err.message}", err=True)
    if report.errors:
        sys.exit(1)


def _fail(exc: DomainError):
    click.echo(f"error: {exc.field + ': ' if exc.field else ''}{exc.message}", err=True)
    sys.exit(1)


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(user_store.ROLES))
@click.option("--agency", default=None, help="agency code (required except for admins)")
@click.option("--password", default=None)
@click.option("--name", "full_name", default=None)
def users_create(username, role, agency, password, full_name):
    try:
        with _engine().begin() as conn:
            user_store.create_user(conn, username, role, agency, password, full_name)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created {username} ({role}, {agency or '-'})")


@users.command("token")
@click.argument("username")
def users_token(username):
    """Print a new API token for USERNAME."""
    try:
        with _engine().begin() as conn:
            click.echo(user_store.issue_token(conn, username))
    except DomainError as exc:
        _fail(exc)


DEMO_USERS = [  # username, role, agency, display name
    ("admin", "admin", None, "Quản trị hệ thống"),
    ("canbo.motcua", "counter", "H26.HD", "Nguyễn Thị Lan (một cửa phường Hà Đông)"),
    ("canbo.tuphap", "officer", "H26.HD.TP", "Trần Văn Minh (tư pháp – hộ tịch)"),
    ("canbo.kinhte", "officer", "H26.HD.KT", "Lê Thu Hà (phòng kinh tế, hạ tầng và đô thị)"),
    ("lanhdao.ky", "officer", "H26.HD.LD", "Đỗ Minh Tuấn (lãnh đạo UBND phường, ký kết quả)"),
    ("congan.phuong", "officer", "H26.HD.CA", "Vũ Đức Anh (công an phường)"),
    ("canbo.thue", "officer", "H26.HD.THUE", "Hoàng Mai (thuế cơ sở)"),
    ("canbo.vpdk", "officer", "H26.HD.VPDK", "Ngô Văn Bình (chi nhánh văn phòng đăng ký đất đai)"),
    ("lanhdao.phuong", "supervisor", "H26.HD", "Phạm Quốc Hùng (lãnh đạo phường)"),
    # one account for every other agency of the demo catalog, so that every procedure can
    # be followed to its end: a clerk where the agency receives dossiers, an officer where
    # it only works a step, a supervisor where it does neither (named after the agency)
    *((username, role, agency, None) for username, role, agency in (
        ("lanhdao.thanhpho", "supervisor", "H26"),
        ("motcua.thanhpho", "counter", "H26.PVHCC"),
        ("lanhdao.vpdk", "supervisor", "H26.VPDK"),
        ("motcua.congan", "counter", "H26.CA"),
        ("motcua.sotuphap", "counter", "H26.STP"),
        ("motcua.skhdt", "counter", "H26.SKHDT"),
        ("canbo.dkkd.skhdt", "officer", "H26.SKHDT.DKKD"),
        ("motcua.sotaichinh", "counter", "H26.STC"),
        ("canbo.dkkd", "officer", "H26.STC.DKKD"),
        ("canbo.bhxh", "officer", "H26.BHXH"),
        ("lanhdao.quan", "supervisor", "H26.QHD"),
        ("motcua.quan", "counter", "H26.QHD.MC"),
        ("canbo.tckh.quan", "officer", "H26.QHD.TCKH"),
        ("canbo.qldt.quan", "officer", "H26.QHD.QLDT"),
        ("lanhdao.ky.quan", "officer", "H26.QHD.LD"),
        ("canbo.vpdk.quan", "officer", "H26.QHD.VPDK"),
        ("canbo.thue.quan", "officer", "H26.QHD.THUE"),
        ("congan.quan", "officer", "H26.QHD.CA"),
        ("canbo.bhxh.quan", "officer", "H26.QHD.BHXH"),
        ("motcua.molao", "counter", "H26.ML"),
        ("canbo.tuphap.molao", "officer", "H26.ML.TP"),
        ("canbo.diachinh.molao", "officer", "H26.ML.DC"),
        ("lanhdao.ky.molao", "officer", "H26.ML.LD"),
        # phường Dương Nội, the second ward (issue 22): its centre takes in, and settles,
        # procedures published once for both wards
        ("motcua.duongnoi", "counter", "H26.DN"),
        ("canbo.tuphap.duongnoi", "officer", "H26.DN.TP"),
        ("lanhdao.ky.duongnoi", "officer", "H26.DN.LD"),
        ("lanhdao.duongnoi", "supervisor", "H26.DN"))),
]


@demo.command("load")
@click.option("--password", default="motcua-demo", show_default=True)
def demo_load(password):
    """Load the demo catalog and demo users (idempotent)."""
    report = load(_engine(), [DEMO_DIR])
    for err in report.errors:
        click.echo(f"error: {err}", err=True)
    if report.errors:
        sys.exit(1)
    click.echo(f"catalog: {len(report.loaded)} files")
    with _engine().begin() as conn:
        from sqlalchemy import select
        from workflow.adapters.tables import agencies, users as users_table
        known = dict(conn.execute(select(agencies.c.code, agencies.c.name)).all())
        for username, role, agency, name in DEMO_USERS:
            if agency and agency not in known:
                continue
            name = name or f"Tài khoản mẫu – {known[agency]}"
            if conn.execute(select(users_table.c.id).where(users_table.c.username == username)).first():
                continue
            user_store.create_user(conn, username, role, agency, password, name)
            click.echo(f"user {username} ({role}, {agency or '-'})")


@deadlines.command("sweep")
@click.option("--warning-days", default=1.0, show_default=True, help="working days before due")
def deadlines_sweep(warning_days):
    """Run one deadline sweep now (the scheduler runs the same function)."""
    from workflow.services.deadlines.escalation import sweep
    counts = sweep(current_app.extensions["motcua"], warning_days)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@reports_cli.command("rollup")
def reports_rollup():
    """Roll up the dossiers closed before today now (the scheduler runs it hourly)."""
    from workflow.services.reports.rollup import refresh_now
    done = refresh_now(current_app.extensions["motcua"])
    click.echo(f"rows={done['rows']} through={done['through']}")


@surveys_cli.command("rebuild-tally")
def surveys_rebuild_tally():
    """Recompute the SIPAS report's tallies from the stored surveys and answers:
    after answers were corrected or deleted outside the application."""
    from workflow.adapters import survey_tally
    with _engine().begin() as conn:
        rows = survey_tally.rebuild(conn, current_app.extensions["motcua"].calendar.tz)
    click.echo(f"rows={rows}")


@results_cli.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--trust-roots", default=None, help="PEM files or folders, ':'-separated "
              "(default: RESULT_TRUST_ROOTS)")
def results_verify(file, trust_roots):
    """Say who signed the PDF FILE, when, whether it changed since, and whether the signer's
    chain reaches a trust root. Exit status 0 only if signed, intact and trusted."""
    from pathlib import Path
    from workflow.adapters.pdf_verification import load_trust_roots, verify_pdf
    from web.result_signatures import report_json, trust_root_files
    roots = load_trust_roots(trust_root_files(trust_roots or current_app.config.get("RESULT_TRUST_ROOTS")))
    report = report_json(None, verify_pdf(Path(file).read_bytes(), roots))
    for key in ("signed", "signer", "organisation", "signed_at", "document", "chain_valid", "signatures",
                "problem"):
        if report[key] is not None:
            value = report[key].isoformat() if key == "signed_at" else report[key]
            click.echo(f"{key}: {str(value).lower() if isinstance(value, bool) else value}")
    if not (report["signed"] and report["document"] == "intact" and report["chain_valid"]):
        sys.exit(1)


def register(app):
    for group in (db, catalog, users, demo, deadlines, reports_cli, surveys_cli, results_cli):
        app.cli.add_command(group)
    from web.cli.dossiers import dossiers as dossier_commands  # import from a previous system
    app.cli.add_command(dossier_commands)
