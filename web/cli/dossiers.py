"""`flask --app web dossiers import FILE`: take over open and closed dossiers from a
previous system (JSON lines), all or nothing, naming the line of every error."""
from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from workflow.services.importing.previous_system import ImportFailed, import_dossiers

dossiers = AppGroup("dossiers", help="Dossiers: import from a previous system.")


@dossiers.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--actor", default="import", show_default=True,
              help="username recorded on the 'import' event of each dossier")
def import_command(file, actor):
    """Import FILE: one JSON object a line (procedure_code, applicant, received_at with its
    offset, status; code, due_at, current_step, step_started_at, closed_at, events... where
    they apply). Exits 1 and imports nothing if any line is wrong."""
    ctx = current_app.extensions["motcua"]
    try:
        with open(file, encoding="utf-8-sig") as fh:
            report = import_dossiers(ctx, fh, importer=actor, source=click.format_filename(file))
    except ImportFailed as exc:
        for err in exc.errors:
            click.echo(f"error: {err}", err=True)
        click.echo(f"{len(exc.errors)} error(s): nothing was imported", err=True)
        sys.exit(1)
    detail = ", ".join(f"{status} {n}" for status, n in sorted(report.by_status.items()))
    click.echo(f"imported {report.imported} dossiers ({detail})")
