"""A stored file of a dossier (tệp đính kèm) as a download, the same for the API and the
staff pages: its type from the record (read from the content at upload), never sniffed by
the browser, streamed in chunks, never cached by a shared cache."""
from __future__ import annotations

from typing import Iterator
from urllib.parse import quote

from flask import current_app

from workflow.services.files.attachments import StoredFile


def file_response(stored: StoredFile, chunks: Iterator[bytes]):
    resp = current_app.response_class(chunks, mimetype=stored.media_type, direct_passthrough=True)
    resp.headers["Content-Length"] = str(stored.size)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stored.name)}"
    resp.headers["ETag"] = f'"{stored.sha256}"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
