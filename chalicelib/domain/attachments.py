"""The limits of files attached to orders (API.md "Order documents"), in a module of their own: the
request schemas read them when app.py is imported, without loading the Order aggregate (cold start)."""

from __future__ import annotations

ATTACHMENT_KINDS = ("purchase_order", "delivery_note", "invoice", "other")
MAX_ATTACHMENTS = 100  # per order: the whole list is one response and part of the order's one Query
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
