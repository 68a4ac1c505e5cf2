"""Where a dossier's files live (tệp đính kèm, bản số hóa): outside the database, addressed
by the SHA-256 of their content, never overwritten and never deleted by the application.

Two stores behind one interface: a folder on disk (the default, under instance/) and any
S3-compatible object store for production, reached through boto3 with the bucket named by
a URL (`s3://bucket/prefix`) and the credentials from the environment (boto3's own chain:
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, or an instance role).

An upload is first spooled to a temporary file while it is hashed and counted, in chunks,
so a web process holds one chunk of it in memory whatever its size; the size limit stops
the copy at the first byte past it. Only a complete, hashed file is moved into the store
(a hard link on disk; a multipart upload to S3 read from the spool file).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol
from urllib.parse import urlsplit

CHUNK = 1 << 20  # bytes read, hashed and written at a time
HEX = re.compile(r"^[0-9a-f]{64}$")


class FileTooLarge(Exception):
    """The upload passed the configured limit; nothing was kept."""

    def __init__(self, limit: int):
        super().__init__(f"the file is larger than {limit} bytes")
        self.limit = limit


class FileMissing(Exception):
    """No stored content has this address."""


@dataclass
class Spooled:
    """An upload copied to a temporary file: its address, size and first bytes (enough to
    tell its type from its content). Remove it with `discard` once stored or refused."""
    path: Path
    sha256: str
    size: int
    head: bytes

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def spool(stream: BinaryIO, directory: Path | None, limit: int) -> Spooled:
    """Copy `stream` to a temporary file in `directory`, hashing as it goes; refuse it, keeping
    nothing, as soon as it is longer than `limit` bytes."""
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", dir=directory)
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(limit)
                if len(head) < 8192:
                    head += chunk[:8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Spooled(Path(name), digest.hexdigest(), size, head)


class FileStore(Protocol):
    def put(self, spooled: Spooled) -> None: ...
    def exists(self, sha256: str) -> bool: ...
    def open(self, sha256: str) -> Iterator[bytes]: ...
    def spool_dir(self) -> Path | None: ...


def _address(sha256: str) -> str:
    if not HEX.match(sha256):
        raise FileMissing(sha256)
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class LocalFileStore:
    """A folder: content at ab/cd/<sha256>, written once by a hard link from a complete
    spool file in the same folder's tmp/ (so a crash never leaves half a file at an
    address, and two uploads of the same content keep the first)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def spool_dir(self) -> Path:
        return self.root / "tmp"

    def path(self, sha256: str) -> Path:
        return self.root / _address(sha256)

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, spooled: Spooled) -> None:
        target = self.path(spooled.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(spooled.path, "rb") as fh:
                os.fsync(fh.fileno())
            os.chmod(spooled.path, 0o440)
            os.link(spooled.path, target)  # creates the address only if it is free
        except FileExistsError:
            pass  # the same content is already there: the first copy stays
        finally:
            spooled.discard()

    def open(self, sha256: str) -> Iterator[bytes]:
        try:
            fh = open(self.path(sha256), "rb")
        except FileNotFoundError:
            raise FileMissing(sha256) from None
        return _chunks(fh)


def _chunks(fh) -> Iterator[bytes]:
    with fh:
        while chunk := fh.read(CHUNK):
            yield chunk


class S3FileStore:
    """An S3 bucket (AWS or any S3-compatible store): content at <prefix>/ab/cd/<sha256>.
    Same content, same key: a second upload of it is skipped."""

    def __init__(self, url: str, endpoint_url: str | None = None, region: str | None = None,
                 spool_root: Path | None = None):
        import boto3  # only where an object store is configured
        from botocore.config import Config

        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"FILE_STORE must look like s3://bucket/prefix, not {url!r}")
        self.bucket, self.prefix = parts.netloc, parts.path.strip("/")
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None,
                                   config=Config(retries={"mode": "standard", "max_attempts": 5}))
        self._spool_root = spool_root

    def spool_dir(self) -> Path | None:
        return self._spool_root

    def key(self, sha256: str) -> str:
        return f"{self.prefix}/{_address(sha256)}" if self.prefix else _address(sha256)

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def put(self, spooled: Spooled) -> None:
        try:
            if not self.exists(spooled.sha256):
                self.client.upload_file(str(spooled.path), self.bucket, self.key(spooled.sha256),
                                        ExtraArgs={"Metadata": {"sha256": spooled.sha256}})
        finally:
            spooled.discard()

    def open(self, sha256: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileMissing(sha256) from None
            raise
        return _body_chunks(body)


def _body_chunks(body) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


def file_store(setting: str, endpoint_url: str | None = None, region: str | None = None,
               spool_root: Path | None = None) -> FileStore:
    """The store a FILE_STORE setting names: `s3://bucket/prefix` (uploads spooled in
    `spool_root`, by default the system's temporary folder) or a folder."""
    if setting.startswith("s3://"):
        return S3FileStore(setting, endpoint_url, region, spool_root)
    return LocalFileStore(Path(setting))
