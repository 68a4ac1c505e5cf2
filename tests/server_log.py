"""The server log of the whole test run holds no unhandled exception.

Every test is watched (an autouse fixture in tests/conftest.py): a record of level ERROR or
worse logged in the test process, or a traceback or ERROR/CRITICAL line written to the log
file of a process the test started (`watch(request, path)`), fails the test, unless the
test declares the errors it provokes with `@pytest.mark.expected_errors(pattern, …)`
(regular expressions matched against the logger name and the message). Fault-injection
tests are the only ones that should need the mark, and each says why.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

FILE_ERROR = re.compile(r"\bERROR\b|\bCRITICAL\b")
TRACEBACK = "Traceback (most recent call last)"
RECORD = re.compile(r"^\[?\d{4}-\d\d-\d\d")  # a log record's first line (Celery, gunicorn, app)


class ErrorRecords(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def describe(record: logging.LogRecord) -> str:
    text = f"{record.name}: {record.getMessage()}"
    if record.exc_info and record.exc_info[1] is not None:
        text += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
    return text


def watch(request, path, until: int | None = None) -> None:
    """Scan `path` (a started process's log) when the test ends; `until`: only its first
    bytes (what it wrote before the test stopped it, see `stopping`)."""
    request.node.stash.setdefault(WATCHED, {})[Path(path)] = until


def stopping(request, path) -> None:
    """The test is about to stop this process: what it logs from now on is its shutdown
    under a signal, not the test's doing (Celery beat, stopped in the middle of sending a
    due task, logs its interrupted publish at ERROR and CRITICAL)."""
    path = Path(path)
    watch(request, path, path.stat().st_size if path.exists() else 0)


WATCHED = pytest.StashKey[dict]()


def file_errors(path: Path, until: int | None = None) -> list[str]:
    """ERROR/CRITICAL records, and every traceback named after the record it follows (so a
    pattern that allows an error allows its traceback, and a traceback after an INFO line
    is caught)."""
    if not path.exists():
        return []
    found, record = [], ""
    with open(path, "rb") as fh:
        text = fh.read(until if until is not None else -1).decode(errors="replace")
    for line in text.splitlines():
        if RECORD.match(line):
            record = line.strip()
        if TRACEBACK in line:
            entry = f"traceback after: {record or '(start of log)'}"
        elif FILE_ERROR.search(line):
            entry = line.strip()
        else:
            continue
        if not found or found[-1] != entry:
            found.append(entry)
    return found


def unexpected(request, handler: ErrorRecords) -> list[str]:
    marker = request.node.get_closest_marker("expected_errors")
    allowed = [re.compile(p) for p in (marker.args if marker else ())]
    found = [describe(r) for r in handler.records]
    for path, until in request.node.stash.get(WATCHED, {}).items():
        found += [f"{path.name}: {line}" for line in file_errors(path, until)]
    return [line for line in found if not any(p.search(line) for p in allowed)]


@pytest.fixture
def watch_log(request):
    """watch_log(path): scan that process log for unhandled errors when the test ends."""
    return lambda path: watch(request, path)


@pytest.fixture(autouse=True)
def server_log_is_clean(request):
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
    errors = unexpected(request, handler)
    if errors:
        pytest.fail("unhandled errors in the server log:\n  " + "\n  ".join(errors[:20]),
                    pytrace=False)
