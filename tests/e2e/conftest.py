"""Real processes for end-to-end tests: a local SMTP server (aiosmtpd), a Celery worker
and beat on real Redis, against the PostgreSQL test database."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from tests import server_log

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox(Message):
    """Collects every mail the SMTP server receives."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def http_json(port, method, path, body=None, token=None, timeout=30):
    """(status, decoded JSON body or None) of one request to a server started by a test."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, json.loads(data) if data else None


def healthy(port) -> bool:
    """The server on `port` answers /healthz (used while waiting for it to start)."""
    try:
        return http_json(port, "GET", "/healthz")[0] == 200
    except OSError:
        return False


@pytest.fixture
def db_url(pg_url):
    """End-to-end tests run on PostgreSQL only (the embedded SQLite setup has its own test)."""
    return pg_url


@contextlib.contextmanager
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port; yields its Inbox (`.port`)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    with smtp_server() as inbox:
        yield inbox


@pytest.fixture
def redis_url():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


def wait_for(predicate, timeout=30.0, every=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture
def start_celery(tmp_path, request):
    """start_celery(env, 'worker'|'beat', *args) -> Popen; all are stopped after the test,
    and their logs are checked for unhandled errors (tests/server_log.py)."""
    procs = []

    def start(env: dict, role: str, *args):
        log = open(tmp_path / f"{role}-{len(procs)}.log", "w")
        cmd = [sys.executable, "-m", "celery", "-A", "tasks.worker", role, "--loglevel=INFO", *args]
        if role == "beat":
            cmd += ["--schedule", str(tmp_path / "beat-schedule")]
        # development settings keep mail and SMS in a mailbox folder: the test's, never the repository's
        mailbox = {"MAILBOX_DIR": str(tmp_path / "mailbox")}
        proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **mailbox, **env}, stdout=log,
                                stderr=subprocess.STDOUT)
        proc.log_path = tmp_path / f"{role}-{len(procs)}.log"
        server_log.watch(request, proc.log_path)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            server_log.stopping(request, proc.log_path)
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
