"""What the order documents need from object storage, as a port: presigned uploads and downloads, a look
at an object that arrived, and deleting one. The S3 adapter is storage/files.py `S3DocumentFiles`.

A document is fixed on arrival (issue 23): the presigned POST works for its whole 15 minutes, so the same
form can upload again. The bucket keeps every version (versioning on); the first version that arrived is
the document's (its id recorded on it), a download asks for exactly that version, and later ones are
deleted as they arrive: never served."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

UPLOAD_SECONDS = 15 * 60  # how long a presigned upload is accepted
DOWNLOAD_SECONDS = 5 * 60  # API.md: a download link is valid 5 minutes
PENDING_HOURS = 24  # a document whose file never arrived is forgotten after this (TTL)


@dataclass(frozen=True)
class Upload:
    url: str
    fields: dict[str, Any]
    expires_at: str


@dataclass(frozen=True)
class Stored:
    version_id: str
    size: int
    content_type: str


class DocumentFiles(Protocol):
    def upload(self, key: str, content_type: str, size: int) -> Upload:
        """A presigned POST that accepts exactly `size` bytes of `content_type` under `key`."""
        ...

    def download_url(self, key: str, version_id: str, filename: str, content_type: str) -> str:
        """A presigned GET, valid DOWNLOAD_SECONDS, that answers that version of the object as an attachment
        named `filename`."""
        ...

    def versions(self, key: str) -> list[str]:
        """The ids of the versions stored under `key`, the first that arrived first."""
        ...

    def stored(self, key: str, version_id: str) -> Stored | None:
        """What that version of `key` holds, or None."""
        ...

    def delete(self, key: str, version_id: str | None = None) -> None:
        """That version of `key`, or every version (None)."""
        ...


def object_key(tenant: str, order_id: str, document_id: str) -> str:
    """Where a document's file lives: chosen by the server (tenant and order in it, never the client's
    filename), so a key names exactly one document and the S3 event handler can find it."""
    return f"t/{tenant}/orders/{order_id}/{document_id}"


def parse_object_key(key: str) -> tuple[str, str, str] | None:
    """(tenant, order id, document id) of a key `object_key` made, else None."""
    parts = key.split("/")
    if len(parts) != 5 or parts[0] != "t" or parts[2] != "orders" or not all(parts):
        return None
    return parts[1], parts[3], parts[4]
