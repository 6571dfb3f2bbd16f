"""Checks on PDSA attachments: the type from the file's first bytes (never from the name
or the browser's claim), at most 5 MB, and a file name without any path."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_BYTES = 5 * 1024 * 1024

# content type → (magic prefix, extension)
SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n", "png"),
    "image/jpeg": (b"\xff\xd8\xff", "jpg"),
    "application/pdf": (b"%PDF-", "pdf"),
}


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    size: int


def sniff_type(head: bytes) -> str | None:
    for content_type, (magic, _ext) in SIGNATURES.items():
        if head.startswith(magic):
            return content_type
    return None


def safe_name(name: str, content_type: str) -> str:
    """The last path part only, ASCII letters, digits, dot, dash and underscore, with the
    extension of the sniffed type: ``../../x.pdf`` becomes ``x.pdf``."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_.")[:80] or "attachment"
    return f"{stem}.{SIGNATURES[content_type][1]}"


def check_upload(upload) -> CheckedFile:
    """Raise ``ValidationError`` unless ``upload`` (a Django ``UploadedFile``) is a PNG,
    JPEG or PDF of at most 5 MB."""
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("The file is larger than 5 MB."), code="too_large", params={"size": upload.size}
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type = sniff_type(head)
    if content_type is None:
        raise ValidationError(
            _("Only PNG or JPEG images and PDF files can be attached."), code="wrong_type"
        )
    return CheckedFile(safe_name(upload.name, content_type), content_type, upload.size)
