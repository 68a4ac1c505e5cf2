"""Memory of a web process while it takes a large upload and serves it back (issue 19: "a
100 MB file must not raise a web process's memory by more than a few MB"; "`bench/` reports
upload throughput and the web process's peak memory for a 100 MB upload and download").

The product runs under gunicorn (one worker of one thread, production settings, SQLite in a temporary
folder, files in a folder); the client streams a real PDF of --megabytes through
POST /api/v1/dossiers/{code}/documents/TK/files, then reads it back through
GET /api/v1/files/{id} in chunks it discards, while the worker's resident memory is
sampled every 10 ms. The reference is the same worker taking (serving) a 1 KB PDF through
the same route (the least honest work: the same stack, parser and checks, no size), so the
figure is what the size alone costs; one unmeasured 1 KB round first warms the worker.
Throughput is shown beside a plain fsync'd write of the same bytes (upload) and a plain
read of the stored file (download; both from the page cache, so a floor on the overhead).
Every figure is the median of --repeat rounds, each with content of its own.

    python bench/upload_memory.py                 # 100 MB, 3 rounds
    python bench/upload_memory.py --megabytes 20 --repeat 5 --json out.json
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
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
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n%" + uuid.uuid4().hex.encode() + b"\n"  # new content each time
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


def send(port: int, token: str, code: str, size: int) -> tuple[float, dict]:
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
    return elapsed, json.loads(data)


def fetch(port: int, token: str, file_id: int, size: int) -> float:
    """Download a file, reading the body a chunk at a time and keeping none of it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.request("GET", f"/api/v1/files/{file_id}", headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    got = 0
    while chunk := resp.read(CHUNK):
        got += len(chunk)
    elapsed = time.perf_counter() - start
    conn.close()
    if resp.status != 200 or got != size:
        raise SystemExit(f"download of file {file_id} answered {resp.status} with {got} of {size} bytes")
    return elapsed


class Sampler(threading.Thread):
    """The highest resident memory of a process while it runs."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc, self.running = psutil.Process(pid), True
        self.before = self.peak = self.proc.memory_info().rss

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)


def measured(pid: int, request, size: int) -> tuple[dict, object]:
    """Run `request()` (it returns its seconds, or its seconds and an answer) while sampling
    the worker's memory: the figures, and the answer."""
    sampler = Sampler(pid)
    sampler.start()
    try:
        out = request()
    finally:
        sampler.running = False
        sampler.join()
    seconds, answer = out if isinstance(out, tuple) else (out, None)
    return dict(bytes=size, rss_before_mb=sampler.before / 2**20, rss_peak_mb=sampler.peak / 2**20,
                rise_mb=(sampler.peak - sampler.before) / 2**20, seconds=seconds,
                mb_per_s=size / 2**20 / seconds), answer


def median(runs: list[dict]) -> dict:
    """Each figure's median over the rounds."""
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def through_disk(size: int, where: Path, read_back: Path) -> tuple[float, float]:
    """Seconds for a plain fsync'd write of `size` bytes, and for a plain chunked read of
    the file `read_back` (the stored upload, as the download reads it)."""
    start = time.perf_counter()
    with open(where / "plain.bin", "wb") as fh:
        filler = b"\x00" * CHUNK
        left = size
        while left:
            fh.write(filler[:min(left, CHUNK)])
            left -= min(left, CHUNK)
        fh.flush()
        os.fsync(fh.fileno())
    wrote = time.perf_counter() - start
    (where / "plain.bin").unlink()
    start = time.perf_counter()
    with open(read_back, "rb") as fh:
        while fh.read(CHUNK):
            pass
    return wrote, time.perf_counter() - start


def rounds(worker: int, port: int, token: str, code: str, size: int, repeat: int) -> dict:
    """--repeat rounds of: upload 1 KB, upload `size`, download each; one 1 KB round first,
    unmeasured, so the worker's first-request costs fall in none of them."""
    warm = send(port, token, code, 1024)[1]
    fetch(port, token, warm["id"], warm["size"])
    runs: dict[str, list[dict]] = {k: [] for k in ("upload_reference", "upload", "download_reference",
                                                     "download")}
    for _ in range(repeat):
        small, small_file = measured(worker, lambda: send(port, token, code, 1024), 1024)
        big, big_file = measured(worker, lambda: send(port, token, code, size), size)
        small_size, big_size = small_file["size"], big_file["size"]  # the whole PDF, as stored
        down_small, _ = measured(worker, lambda: fetch(port, token, small_file["id"], small_size), small_size)
        down_big, _ = measured(worker, lambda: fetch(port, token, big_file["id"], big_size), big_size)
        for k, r in zip(runs, (small, big, down_small, down_big)):
            runs[k].append(r)
    runs["sha256"] = big_file["sha256"]
    return runs


def report(kind: str, megabytes: int, small: dict, big: dict, plain_label: str, plain: float) -> None:
    rows = [("1 KB PDF (reference)", small), (f"{megabytes} MB PDF", big)]
    print(f"{kind:<22}{'RSS before':>12}{'peak':>10}{'rise':>10}{'seconds':>10}{'MB/s':>10}")
    for label, r in rows:
        print(f"{label:<22}{r['rss_before_mb']:>10.1f}MB{r['rss_peak_mb']:>8.1f}MB"
              f"{r['rise_mb']:>8.1f}MB{r['seconds']:>10.2f}{r['mb_per_s']:>10.1f}")
    print(f"rise beyond the reference: {big['rise_mb'] - small['rise_mb']:.1f} MB for {megabytes} MB; "
          f"{kind} {big['seconds']:.2f} s ({big['mb_per_s']:.0f} MB/s) beside {plain_label} "
          f"{plain:.2f} s ({megabytes / plain:.0f} MB/s) ({big['seconds'] / plain:.1f}x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--megabytes", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3, help="rounds; every figure is their median")
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
            runs = rounds(worker, port, token, intake(port, token), size, args.repeat)
        finally:
            stop(proc)
        sha = runs.pop("sha256")
        disk = [through_disk(size, tmp, tmp / "files" / sha[:2] / sha[2:4] / sha) for _ in range(args.repeat)]
    wrote, read = (statistics.median(d[i] for d in disk) for i in (0, 1))
    up_small, up_big, down_small, down_big = (median(runs[k]) for k in runs)
    print(f"median of {args.repeat} rounds")
    report("upload", args.megabytes, up_small, up_big, "a plain fsync'd write of the same bytes", wrote)
    report("download", args.megabytes, down_small, down_big, "a plain read of the stored file", read)
    if args.json:
        args.json.write_text(json.dumps(dict(
            repeat=args.repeat, reference=up_small, upload=up_big, download_reference=down_small,
            download=down_big, plain_write_seconds=wrote, plain_read_seconds=read, runs=runs), indent=2))


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
