"""Private storage for uploads: outside MEDIA_ROOT and the web root, never served by URL.

Files are read back only through the eforms download view, which checks ownership first.
The directory is EFORMS_PRIVATE_ROOT (default: <var>/private/eforms), read on each access so tests
can point it at a temporary directory with override_settings.
"""

import os
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse


def private_root() -> Path:
    configured = getattr(settings, "EFORMS_PRIVATE_ROOT", None)
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "private" / "eforms"


class PrivateStorage(FileSystemStorage):
    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self) -> str:  # type: ignore[override]
        return str(private_root())

    @property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL.")


private_storage = PrivateStorage()


def attachment_path(instance: object, filename: str) -> str:
    """A random name: the resident's file name is kept in the database only, never on disk."""
    token = uuid.uuid4().hex
    return f"attachments/{token[:2]}/{token}"


def attachment_response(attachment: Any) -> FileResponse:
    """An attachment as a download that no cache keeps and no browser sniffs into something else."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
