"""Uploaded import files kept between the dry run and the confirmation, in DATA_DIR/uploads.

A file is named by its owner's id and a random token, so one user can never confirm another's upload, and any
web process of the same installation can serve either step.  Files older than a day are removed on the next
upload.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

MAX_BYTES = 100 * 1024 * 1024
MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Upload:
    """A file waiting for confirmation: its token, the name it had (for its extension) and its bytes."""

    token: str
    filename: str
    data: bytes


def _folder() -> Path:
    folder = Path(settings.DATA_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(user_id: int | None, token: str) -> Path:
    if not _TOKEN.fullmatch(token):
        raise ValueError("The uploaded file was not found; upload it again.")
    return _folder() / f"{user_id}-{token}"


def save(user_id: int | None, upload: UploadedFile) -> Upload:
    """Keep an uploaded file; ``ValueError`` when it is too large."""
    if (upload.size or 0) > MAX_BYTES:
        raise ValueError("The file is larger than 100 MB; use 'harken import responses' on the server.")
    _remove_old()
    data = upload.read()
    token = secrets.token_hex(16)
    _path(user_id, token).write_bytes(data)
    return Upload(token, upload.name or "upload.csv", data)


def load(user_id: int | None, token: str, filename: str) -> Upload:
    """A file this user uploaded earlier; ``ValueError`` when it is gone."""
    path = _path(user_id, token)
    if not path.exists():
        raise ValueError("The uploaded file was not found (imported already, or older than a day); upload it again.")
    return Upload(token, filename or "upload.csv", path.read_bytes())


def discard(user_id: int | None, token: str) -> None:
    """Remove a file once it has been imported."""
    _path(user_id, token).unlink(missing_ok=True)


def _remove_old() -> None:
    limit = time.time() - MAX_AGE_SECONDS
    for path in _folder().iterdir():
        if path.is_file() and path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
