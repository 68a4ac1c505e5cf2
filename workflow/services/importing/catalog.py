"""Loading catalog files (procedures and agencies) into the database.

Each file is validated whole and stored in its own transaction: a bad file is reported
with its path and field and nothing from it is stored; good files still load. A file
whose content is unchanged is a no-op, a changed one becomes a new version, so dossiers
keep the version they were received under.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.engine import Engine

from workflow.adapters.repository import _upsert, ProcedureRepository
from workflow.adapters.tables import agencies
from workflow.catalog import DEMO_DIR
from workflow.catalog.schema import CatalogError, parse_procedure
from workflow.domain.boundary_free import SERVICE_POINT
from workflow.domain.procedure import UNIT, resolve_agency


@dataclass
class LoadReport:
    loaded: list[str]
    errors: list[CatalogError]


def expand(paths) -> list[Path]:
    """Files named, and the *.yaml files of folders named; agencies files first."""
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(p.glob("*.y*ml")) if p.is_dir() else [p])
    return sorted(files, key=lambda f: (not _is_agencies(f), str(f)))


def _is_agencies(path: Path) -> bool:
    return path.stem.startswith("agencies")


def _read(path: Path):
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except OSError as exc:
        raise CatalogError(str(path), "<file>", exc.strerror or str(exc)) from None
    except yaml.YAMLError as exc:
        raise CatalogError(str(path), "<yaml>", str(exc).replace("\n", " ")) from None


# an agency's kind: a service point receives dossiers and hands back results for the
# procedures approved for reception regardless of administrative boundaries (issue 22)
AGENCY_KINDS = (None, SERVICE_POINT)


def _load_agencies(conn, path: Path, data) -> str:
    items = data.get("agencies") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise CatalogError(str(path), "agencies", "a non-empty list is required")
    rows = []
    for i, a in enumerate(items):
        if not isinstance(a, dict) or not a.get("code") or not a.get("name"):
            raise CatalogError(str(path), f"agencies[{i}]", "each agency needs a code and a name")
        if a.get("kind") not in AGENCY_KINDS:
            raise CatalogError(str(path), f"agencies[{i}].kind",
                               f"kind is one of {', '.join(k for k in AGENCY_KINDS if k)} or left out")
        rows.append(dict(code=str(a["code"]), name=str(a["name"]), level=a.get("level"),
                         parent_code=a.get("parent"), kind=a.get("kind")))
    stmt = _upsert(conn)(agencies)
    stmt = stmt.on_conflict_do_update(index_elements=["code"], set_={
        "name": stmt.excluded.name, "level": stmt.excluded.level,
        "parent_code": stmt.excluded.parent_code, "kind": stmt.excluded.kind})
    conn.execute(stmt, rows)
    return f"{path}: {len(rows)} agencies"


def _load_procedure(conn, path: Path, data, now: datetime) -> str:
    parsed = parse_procedure(data, str(path))
    known = {row.code: row for row in conn.execute(
        select(agencies.c.code, agencies.c.level, agencies.c.parent_code))}
    units = _competent_units(path, parsed, known)
    fields = [("agency", parsed.agency)] + [(f"steps.{i}.agency", st.agency)
                                            for i, st in enumerate(parsed.steps)]
    for field, code in fields:
        for unit in units if UNIT in code else [None]:  # the schema requires units with {unit}
            agency = resolve_agency(code, unit) if unit else code
            if agency not in known:
                where = f" for the competent unit '{unit}'" if unit else ""
                raise CatalogError(str(path), field, f"unknown agency '{agency}'{where} "
                                                     "(load its agencies file first)")
    if units is not None:  # stored as the list, so a dossier's version never depends on later files
        parsed = parsed.model_copy(update={"competent_units": units})
    outcome, version = ProcedureRepository(conn).store(parsed, now)
    return f"{path}: {parsed.code} from {parsed.effective_from} v{version} {outcome}"


def _competent_units(path: Path, parsed, known: dict) -> list[str] | None:
    """The competent units as codes: those listed (each must be known), or every unit of a
    level: an agency of that level whose parent is not of the same level (a ward, not its
    offices), directly under `under` when given."""
    spec = parsed.competent_units
    if spec is None:
        return None
    if isinstance(spec, list):
        for i, code in enumerate(spec):
            if code not in known:
                raise CatalogError(str(path), f"competent_units.{i}", f"unknown agency '{code}'")
        return list(spec)
    units = sorted(code for code, row in known.items() if row.level == spec.level
                   and (known.get(row.parent_code) is None or known[row.parent_code].level != spec.level)
                   and (spec.under is None or row.parent_code == spec.under))
    if not units:
        raise CatalogError(str(path), "competent_units", f"no unit of level '{spec.level}'"
                           + (f" under '{spec.under}'" if spec.under else ""))
    return units


def load(engine: Engine, paths, now: datetime | None = None) -> LoadReport:
    now = now or datetime.now(timezone.utc)
    report = LoadReport([], [])
    for path in expand(paths):
        try:
            data = _read(path)
            with engine.begin() as conn:
                if _is_agencies(path):
                    report.loaded.append(_load_agencies(conn, path, data))
                else:
                    report.loaded.append(_load_procedure(conn, path, data, now))
        except CatalogError as exc:
            report.errors.append(exc)
    return report
