"""The limits of files attached to orders (API.md "Order documents"), in a module of their own: the
request schemas read them when app.py is imported, without loading the Order aggregate (cold start)."""

from __future__ import annotations

ATTACHMENT_KINDS = ("purchase_order", "delivery_note", "invoice", "other")
MAX_ATTACHMENTS = 100  # per order: the whole list is one response and part of the order's one Query
MAX_PENDING_ATTACHMENTS = 10  # per uploader and order: declared files whose upload has not arrived yet
MAX_ATTACHMENT_SIZE = 20 * 1024 * 1024  # API.md: at most 20 MB (MiB: what browsers and S3 count)
# API.md: PDF, PNG, JPEG, CSV, XML (both registered types), plain text.
ATTACHMENT_TYPES = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "text/csv",
    "application/xml",
    "text/xml",
    "text/plain",
)
# The filename's extension must say what the declared type is (issue 23: `.exe` declared as PDF): the
# name is what a reader's system opens the download with.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "text/csv": (".csv",),
    "application/xml": (".xml",),
    "text/xml": (".xml",),
    "text/plain": (".txt",),
}
