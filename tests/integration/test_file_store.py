"""Both file stores pass the same tests (issue 19): a folder on disk and an S3 bucket served
by an S3-protocol server on 127.0.0.1 (tests/object_store.py)."""
from __future__ import annotations

import hashlib
import io
import os
import threading
import uuid

import boto3
import pytest

from workflow.adapters.file_store import (CHUNK, FileMissing, FileTooLarge, LocalFileStore,
                                          S3FileStore, file_store, spool)

LIMIT = 3 * CHUNK + 17


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalFileStore(tmp_path / "files")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"motcua-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    return S3FileStore(f"s3://{bucket}/files", endpoint, "us-east-1", tmp_path / "spool")


def stored(store, data: bytes) -> str:
    up = spool(io.BytesIO(data), store.spool_dir(), LIMIT)
    store.put(up)
    assert not up.path.exists()  # the spool file is gone once stored
    return up.sha256


def read(store, sha: str) -> bytes:
    return b"".join(store.open(sha))


def leftovers(store) -> list[str]:
    where = store.spool_dir()
    return sorted(os.listdir(where)) if where is not None and where.exists() else []


def test_content_is_addressed_by_its_sha256_and_reads_back(store):
    data = os.urandom(2 * CHUNK + 5)  # more than one chunk each way
    sha = stored(store, data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.exists(sha) and read(store, sha) == data
    assert not store.exists(hashlib.sha256(b"other").hexdigest())


def test_the_same_content_twice_keeps_one_copy(store):
    data = b"%PDF-1.4 same scan"
    assert stored(store, data) == stored(store, data)
    assert read(store, hashlib.sha256(data).hexdigest()) == data


def test_simultaneous_uploads_of_the_same_content_keep_one_intact_copy(store):
    data = os.urandom(CHUNK + 1)
    errors = []

    def upload():
        try:
            stored(store, data)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=upload) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and read(store, hashlib.sha256(data).hexdigest()) == data
    assert leftovers(store) == []


def test_an_oversized_upload_stops_at_the_limit_and_keeps_nothing(store):
    class Endless(io.RawIOBase):
        """A stream that never ends: the copy must stop at the limit, not at its end."""
        read_bytes = 0

        def readable(self):
            return True

        def readinto(self, buf):
            buf[:] = b"x" * len(buf)
            self.read_bytes += len(buf)
            return len(buf)
    source = Endless()
    with pytest.raises(FileTooLarge):
        spool(io.BufferedReader(source, CHUNK), store.spool_dir(), LIMIT)
    assert source.read_bytes <= LIMIT + 2 * CHUNK
    assert leftovers(store) == []


def test_a_file_of_exactly_the_limit_is_kept(store):
    data = b"y" * LIMIT
    assert read(store, stored(store, data)) == data


def test_an_unknown_or_malformed_address_is_missing(store):
    with pytest.raises(FileMissing):
        read(store, hashlib.sha256(b"never stored").hexdigest())
    for bad in ("../../etc/passwd", "ab", "G" * 64, "A" * 64):
        with pytest.raises(FileMissing):
            read(store, bad)


def test_the_setting_chooses_the_store(tmp_path):
    local = file_store(str(tmp_path / "files"))
    assert isinstance(local, LocalFileStore) and local.root == tmp_path / "files"
    s3 = file_store("s3://bucket/some/prefix", "http://127.0.0.1:9", "us-east-1")
    assert isinstance(s3, S3FileStore) and (s3.bucket, s3.prefix) == ("bucket", "some/prefix")
    with pytest.raises(ValueError):
        S3FileStore("s3:///no-bucket")
