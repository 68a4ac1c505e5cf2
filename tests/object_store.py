"""An S3-protocol server for the tests: moto's standalone server (`python -m moto.server`)
started on 127.0.0.1 as its own process, so the S3 file store is exercised over real HTTP
with boto3 exactly as against a production object store (which should be a real one:
AWS S3, or a self-hosted S3-compatible store; moto keeps everything in memory)."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request

ACCESS = {"AWS_ACCESS_KEY_ID": "motcua-test", "AWS_SECRET_ACCESS_KEY": "motcua-test-secret",
          "AWS_DEFAULT_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def s3_server(log_path):
    """Yield the endpoint URL of a fresh S3-protocol server."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **ACCESS})
        try:
            deadline = time.monotonic() + 30
            while not _answers(endpoint):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the S3 test server did not start (see {log_path})")
                time.sleep(0.1)
            yield endpoint
        finally:
            proc.terminate()
            proc.wait(timeout=10)
