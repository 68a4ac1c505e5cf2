"""Memory of a web process while it takes a large upload (issue 19: "a 100 MB file must not
raise a web process's memory by more than a few MB").

The product runs under gunicorn (one worker of one thread, production settings, SQLite in a temporary
folder, files in a folder); the client streams a real PDF of --megabytes through
POST /api/v1/dossiers/{code}/documents/TK/files while the worker's resident memory is
sampled every 10 ms. The reference is the same worker taking a 1 KB PDF through the same
route (the least honest work: the same stack, parser and checks, no size), so the figure is
what the size alone costs. Disk time is shown beside a plain write of the same bytes.

    python bench/upload_memory.py                 # 100 MB
    python bench/upload_memory.py --megabytes 20 --json out.json
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_load import free_port, start_gunicorn, stop  # noqa: E402

CHUNK = 1 << 20


def pdf_parts(size: int) -> list[bytes | int]:
    """A one-page PDF whose page carries a stream of about `size` bytes: the parts in order,
    an int standing for that many filler bytes (generated while sending, never held)."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    objs = [b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
            b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
            b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n"]
    stream_head = f"4 0 obj\n<< /Length {size} >>\nstream\n".encode()
    stream_tail = b"\nendstream\nendobj\n"
    offsets, at = [], len(head)
    for o in objs:
        offsets.append(at)
        at += len(o)
    offsets.append(at)
    at += len(stream_head) + size + len(stream_tail)
    xref = b"xref\n0 5\n0000000000 65535 f \n" + b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    trailer = f"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{at}\n%%EOF\n".encode()
    return [head, *objs, stream_head, size, stream_tail, xref, trailer]


def multipart(parts: list, boundary: str) -> tuple[list, int]:
    pre = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan.pdf\"\r\n"
           "Content-Type: application/pdf\r\n\r\n").encode()
    post = f"\r\n--{boundary}--\r\n".encode()
    body = [pre, *parts, post]
    return body, sum(p if isinstance(p, int) else len(p) for p in body)


def send(port: int, token: str, code: str, size: int) -> tuple[int, float]:
    boundary = uuid.uuid4().hex
    body, length = multipart(pdf_parts(size), boundary)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.putrequest("POST", f"/api/v1/dossiers/{code}/documents/TK/files")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    filler = b"\x00" * CHUNK
    for part in body:
        if isinstance(part, int):
            left = part
            while left:
                conn.send(filler[:min(left, CHUNK)])
                left -= min(left, CHUNK)
        else:
            conn.send(part)
    resp = conn.getresponse()
    data = resp.read()
    elapsed = time.perf_counter() - start
    conn.close()
    if resp.status != 201:
        raise SystemExit(f"upload answered {resp.status}: {data[:300]!r}")
    return resp.status, elapsed


class Sampler(threading.Thread):
    """The highest resident memory of a process while it runs."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc, self.peak, self.running = psutil.Process(pid), 0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)


def measured(pid: int, port: int, token: str, code: str, size: int) -> dict:
    before = psutil.Process(pid).memory_info().rss
    sampler = Sampler(pid)
    sampler.start()
    _, seconds = send(port, token, code, size)
    sampler.running = False
    sampler.join()
    return dict(bytes=size, rss_before_mb=before / 2**20, rss_peak_mb=sampler.peak / 2**20,
                rise_mb=(sampler.peak - before) / 2**20, seconds=seconds)


def plain_write(size: int, where: Path) -> float:
    start = time.perf_counter()
    with open(where / "plain.bin", "wb") as fh:
        filler = b"\x00" * CHUNK
        left = size
        while left:
            fh.write(filler[:min(left, CHUNK)])
            left -= min(left, CHUNK)
        fh.flush()
        os.fsync(fh.fileno())
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--megabytes", type=int, default=100)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    size = args.megabytes * 2**20
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        env = dict(os.environ, MOTCUA_INSTANCE=str(tmp), FILE_STORE=str(tmp / "files"),
                   FILE_MAX_BYTES=str(size + 2**20))
        env.pop("DATABASE_URL", None)
        url = f"sqlite:///{tmp / 'motcua.db'}"
        flask = [sys.executable, "-m", "flask", "--app", "web"]
        for cmd in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run(flask + cmd, cwd=ROOT, env=env, check=True, capture_output=True)
        token = subprocess.run(flask + ["users", "token", "canbo.motcua"], cwd=ROOT, env=env, check=True,
                               capture_output=True, text=True).stdout.strip()
        port = free_port()
        os.environ.update(MOTCUA_INSTANCE=str(tmp), FILE_STORE=str(tmp / "files"),
                          FILE_MAX_BYTES=str(size + 2**20))
        proc = start_gunicorn(url, port, 1, 1, tmp / "gunicorn.log")  # one worker, one thread
        try:
            worker = psutil.Process(proc.pid).children()[0].pid
            code = intake(port, token)
            small = measured(worker, port, token, code, 1024)
            big = measured(worker, port, token, code, size)
        finally:
            stop(proc)
        disk = plain_write(size, tmp)
    rows = [("1 KB PDF (reference)", small), (f"{args.megabytes} MB PDF", big)]
    print(f"{'upload':<22}{'RSS before':>12}{'peak':>10}{'rise':>10}{'seconds':>10}")
    for label, r in rows:
        print(f"{label:<22}{r['rss_before_mb']:>10.1f}MB{r['rss_peak_mb']:>8.1f}MB"
              f"{r['rise_mb']:>8.1f}MB{r['seconds']:>10.2f}")
    print(f"rise beyond the reference: {big['rise_mb'] - small['rise_mb']:.1f} MB for {args.megabytes} MB; "
          f"upload {big['seconds']:.2f} s beside a plain fsync'd write of the same bytes {disk:.2f} s "
          f"({big['seconds'] / disk:.1f}x)")
    if args.json:
        args.json.write_text(json.dumps(dict(reference=small, upload=big, plain_write_seconds=disk), indent=2))


def intake(port: int, token: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"procedure_code": "1.001193", "applicant": {"name": "Nguyễn Văn An",
                       "phone": "0912345678"}, "documents": ["TK", "GCS", "GTTT"], "channel": "in_person"})
    conn.request("POST", "/api/v1/dossiers", body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    resp = conn.getresponse()
    data = json.loads(resp.read())
    if resp.status != 201:
        raise SystemExit(f"intake answered {resp.status}: {data}")
    return data["code"]


if __name__ == "__main__":
    main()
