"""What an uploaded file is, decided from its content, never from its name (issue 19): a
PDF (page count read with pypdf), a JPEG or a PNG (its structure checked with Pillow). Anything
else, or a file that claims a type by its first bytes and does not parse as it, is refused.
"""
from __future__ import annotations

import warnings
from pathlib import Path

ACCEPTED = ("application/pdf", "image/jpeg", "image/png")
EXTENSION = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"\x89PNG\r\n\x1a\n", "image/png"))


class UnacceptableFile(ValueError):
    """Not a PDF, JPEG or PNG, or damaged: the message says which, for the person uploading."""


def media_type(head: bytes) -> str:
    """The type the first bytes announce (a PDF may start after a little junk, as readers
    allow, within its first 1024 bytes)."""
    for magic, kind in _MAGIC:
        if head.startswith(magic) or (kind == "application/pdf" and magic in head[:1024]):
            return kind
    raise UnacceptableFile("only PDF, JPEG and PNG files are accepted (the content is neither)")


def inspect(path: Path, head: bytes) -> tuple[str, int | None]:
    """(media type, page count for a PDF) once the whole file parses as its type."""
    kind = media_type(head)
    if kind == "application/pdf":
        return kind, _pdf_pages(path)
    _check_image(path, kind)
    return kind, None


def _pdf_pages(path: Path) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with open(path, "rb") as fh:  # a file, not a path: pypdf reads a path whole into memory
                reader = PdfReader(fh, strict=False)
                if reader.is_encrypted and not reader.decrypt(""):
                    raise UnacceptableFile("the PDF is protected by a password: send it without one")
                pages = len(reader.pages)
    except UnacceptableFile:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, AssertionError, ZeroDivisionError):
        raise UnacceptableFile("the PDF is damaged and cannot be read") from None
    if pages < 1:
        raise UnacceptableFile("the PDF has no pages")
    return pages


def _check_image(path: Path, kind: str) -> None:
    from PIL import Image
    expected = {"image/jpeg": "JPEG", "image/png": "PNG"}[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.format != expected:
                    raise UnacceptableFile("the image's content does not match its type")
                img.verify()  # the structure, without decoding every pixel into memory
    except UnacceptableFile:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise UnacceptableFile("the image is too large in pixels") from None
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError):
        raise UnacceptableFile("the image is damaged and cannot be read") from None
