"""The whole-run server-log check (tests/server_log.py) catches what it claims to catch."""
from __future__ import annotations


import pytest

from tests.server_log import file_errors

pytest_plugins = ["pytester"]


def test_process_logs_report_errors_and_tracebacks_after_their_record(tmp_path):
    log = tmp_path / "worker.log"
    log.write_text(
        "[2026-12-06 10:00:00,000: INFO/MainProcess] ready\n"
        "[2026-12-06 10:00:01,000: INFO/MainProcess] Task x succeeded\n"
        "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: boom\n"
        "[2026-12-06 10:00:02,000: ERROR/MainProcess] consumer: Cannot connect\n"
        "Traceback (most recent call last):\n"
        "During handling of the above exception, another exception occurred:\n"
        "Traceback (most recent call last):\n")
    assert file_errors(log) == [
        "traceback after: [2026-12-06 10:00:01,000: INFO/MainProcess] Task x succeeded",
        "[2026-12-06 10:00:02,000: ERROR/MainProcess] consumer: Cannot connect",
        "traceback after: [2026-12-06 10:00:02,000: ERROR/MainProcess] consumer: Cannot connect"]
    assert file_errors(tmp_path / "absent.log") == []


@pytest.mark.expected_errors(r"unhandled error on GET /x")  # logged by the inner run
def test_an_error_logged_in_a_test_fails_it_unless_declared(pytester):
    pytester.makeconftest("from tests.server_log import server_log_is_clean  # noqa: F401\n")
    pytester.makeini("[pytest]\nmarkers =\n    expected_errors(*patterns): provoked\n")
    pytester.makepyfile('''
import logging

import pytest

def test_quiet():
    logging.getLogger("motcua.web").info("fine")

def test_unhandled():
    try:
        1 / 0
    except ZeroDivisionError:
        logging.getLogger("motcua.web").exception("unhandled error on GET /x")

@pytest.mark.expected_errors(r"ZeroDivisionError")
def test_provoked():
    try:
        1 / 0
    except ZeroDivisionError:
        logging.getLogger("motcua.web").exception("unhandled error on GET /x")
''')
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_unhandled*",
                                 "*motcua.web: unhandled error on GET /x [[]ZeroDivisionError*"])


def test_what_a_process_logs_after_the_test_stops_it_is_not_read(tmp_path):
    log = tmp_path / "beat.log"
    log.write_text("[2026-12-06 10:00:00,000: INFO/MainProcess] beat: Starting...\n")
    until = log.stat().st_size
    with open(log, "a") as fh:
        fh.write("[2026-12-06 10:00:01,000: CRITICAL/MainProcess] beat raised exception\n")
    assert file_errors(log, until) == []
    assert file_errors(log) == ["[2026-12-06 10:00:01,000: CRITICAL/MainProcess] beat raised exception"]
