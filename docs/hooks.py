"""MkDocs hook: write the REST API's OpenAPI document into the site before each build.

The document is the one the app serves at /api/v1/openapi.json, produced by the same
declarations that validate the requests (web/api/registry.py). It is generated here from
the app itself, imported with the embedded defaults (an SQLite database in a temporary
folder; no server, no other service), so the API reference can never drift from the code.
docs/reference/api.md renders it; the file is also published beside that page.

Run alone (`python docs/hooks.py`) it prints the document.
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "reference" / "openapi.json"


def openapi_document() -> dict:
    """The app's OpenAPI document, read through its own route with a test client."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    tmp = _instance()
    from web import create_app

    app = create_app("testing", overrides={"DATABASE_URL": f"sqlite:///{tmp}/docs.db"})
    response = app.test_client().get("/api/v1/openapi.json")
    if response.status_code != 200:
        raise RuntimeError(f"/api/v1/openapi.json answered {response.status_code}")
    engine = getattr(app.extensions["motcua"], "engine", None)
    if engine is not None:
        engine.dispose()
    return response.get_json()


_TMP: str | None = None


def _instance() -> str:
    """One temporary instance folder for this process (`mkdocs serve` builds many times).
    config.py reads the environment when first imported, so its instance folder (the
    SQLite database, the Celery broker file) is pointed here before the app is imported."""
    global _TMP
    if _TMP is None:
        _TMP = tempfile.mkdtemp(prefix="motcua-docs-")
        atexit.register(shutil.rmtree, _TMP, True)
        os.environ["MOTCUA_INSTANCE"] = _TMP
    return _TMP


def render() -> str:
    return json.dumps(openapi_document(), ensure_ascii=False, indent=2) + "\n"


def on_pre_build(config, **kwargs) -> None:
    text = render()
    # written only when it changed, so `mkdocs serve` does not rebuild in a loop
    if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
        TARGET.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.stdout.write(render())
