"""Files on orders (API.md "Order documents", PRODUCT.md "Documents on orders"): a buyer's purchase order,
the supplier's delivery notes and invoices. Declaring one is an order action through the one write path
(the file is part of the order aggregate, so its list comes with the order's Query); the bytes go straight
to S3 through a presigned POST and come back through a presigned GET (services/document_files.py). A
document becomes available when its object arrives (the S3 event handler calls `document_arrived`), which
records `order.document_added`.

Who may: customer users with orders.place attach to orders they may edit or have submitted, always visible
to their side; staff with orders.review or orders.fulfil attach to any order they see, choose whether the
customer sees it and may link it to a shipment or invoice. Customers see only visible documents (their own
always); anything they may not see is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.domain.clock import iso, now_iso, utcnow
from chalicelib.domain.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TransactionConflictError,
    VersionMismatchError,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.orders import Attachment, Order
from chalicelib.domain.permissions import Permission
from chalicelib.logs import logger
from chalicelib.retry import attempts
from chalicelib.services.document_files import PENDING_HOURS, DocumentFiles, Upload, object_key, parse_object_key
from chalicelib.services.order_visibility import forbid, may_edit
from chalicelib.services.order_writes import ATTEMPTS, Found, OrderWrites, Write
from chalicelib.storage.order_codec import Loaded

P = Permission


def shown_to(p: Principal, a: Attachment) -> bool:
    """Staff see every document of an order they see; customer users the visible ones and their own."""
    return p.is_staff or a.visible_to_customer or a.uploaded_by == p.user_id


def may_attach(p: Principal, o: Order) -> bool:
    if p.is_staff:
        return p.has(P.ORDERS_REVIEW) or p.has(P.ORDERS_FULFIL)
    return p.has(P.ORDERS_PLACE) and (may_edit(p, o) or o.submitted_by == p.user_id)


def shown(p: Principal, o: Order, document_id: str) -> Attachment:
    a = o.attachment(document_id)
    if a is None or not shown_to(p, a):
        raise NotFoundError("document")
    return a


@dataclass
class Attach:
    """Declare a file on the order (`attachment`: pending until its object arrives); nothing is read."""

    p: Principal
    data: dict[str, Any]
    attachment: Attachment | None = None

    def needs(self, o: Order) -> None:
        forbid(may_attach(self.p, o), "attach documents to")
        linked = self.data.get("shipment_id") is not None or self.data.get("invoice_id") is not None
        if self.p.is_customer and linked:
            raise ForbiddenError("Only the supplier links documents to shipments and invoices.")

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        p, data, now = self.p, self.data, utcnow()
        a = Attachment(
            id=new_id(),
            filename=data["filename"],
            content_type=data["content_type"],
            size=data["size"],
            kind=data["kind"],
            # A buyer's own file is always visible to their side (and every file to the supplier).
            visible_to_customer=True if p.is_customer else bool(data.get("visible_to_customer")),
            uploaded_by=p.user_id,
            uploader_kind=p.kind.value,
            uploaded_at=iso(now),
            shipment_id=data.get("shipment_id"),
            invoice_id=data.get("invoice_id"),
            expires_at=iso(now + timedelta(hours=PENDING_HOURS)),
        )
        loaded.order.attach(a)
        self.attachment = a


@dataclass
class DeleteDocument:
    p: Principal
    document_id: str

    def needs(self, o: Order) -> None:
        a = shown(self.p, o, self.document_id)
        if not (a.uploaded_by == self.p.user_id or (self.p.is_staff and self.p.has(P.ORDERS_REVIEW))):
            raise ForbiddenError("Only its uploader or the supplier's order reviewers may delete a document.")

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        loaded.order.remove_attachment(self.document_id)


class Documents(OrderWrites):
    @property
    def _documents(self) -> DocumentFiles:
        if self._files is None:
            raise RuntimeError("No document storage is configured (ORDERGATE_DOCUMENTS_BUCKET).")
        return self._files

    def attach(self, p: Principal, order_id: str, data: dict[str, Any]) -> tuple[Attachment, Upload]:
        action = Attach(p, data)
        self._mutate(p, order_id, None, action)
        a = action.attachment
        assert a is not None  # the write succeeded: the action declared it
        # Signing is local (no round trip); only for a declared document, after its write succeeded.
        upload = self._documents.upload(object_key(p.tenant, order_id, a.id), a.content_type, a.size)
        return a, upload

    def documents(self, p: Principal, order_id: str) -> list[Attachment]:
        o = self._load(p, order_id).order
        return [a for a in o.attachments if shown_to(p, a)]

    def download_url(self, p: Principal, order_id: str, document_id: str) -> str:
        a = shown(p, self._load(p, order_id).order, document_id)
        if a.status != "available" or a.version_id is None:  # available: fixed to the version that arrived
            raise ConflictError("The document's file has not arrived yet; try again once it is uploaded.")
        key = object_key(p.tenant, order_id, a.id)
        return self._documents.download_url(key, a.version_id, a.filename, a.content_type)

    def delete_document(self, p: Principal, order_id: str, document_id: str) -> None:
        self._mutate(p, order_id, None, DeleteDocument(p, document_id))
        # After the write: a failed delete leaves an object no document names (found by nothing), never a
        # document without its file.
        try:
            self._documents.delete(object_key(p.tenant, order_id, document_id))
        except Exception:
            logger.exception("document object not deleted", extra={"order_id": order_id, "document": document_id})

    # --- the S3 event ---------------------------------------------------------------------------------
    def document_arrived(self, key: str) -> bool:
        """An object was created under `key`: its document becomes available, fixed to the first version
        that arrived (and `order.document_added` is recorded, with the uploader as actor); any later version
        (the same presigned form used again) is deleted, never served. An object no live document declares
        (unknown, expired, or not the declared size and type) is deleted. True when the document is available.

        The first version is read from the bucket's list, not from the event: S3 may deliver the events of
        two uploads in either order."""
        parsed = parse_object_key(key)
        if parsed is None:
            logger.warning("object outside the documents' layout", extra={"key": key})
            return False
        tenant, order_id, document_id = parsed
        versions = self._documents.versions(key)
        first = self._documents.stored(key, versions[0]) if versions else None
        if first is None:
            return False  # deleted meanwhile
        for _ in attempts(ATTEMPTS, pause=0.005):
            loaded = self._store.load(tenant, order_id)
            a = loaded.order.attachment(document_id) if loaded else None
            if loaded is None or a is None:
                self._documents.delete(key)
                return False
            if a.status == "available":  # S3 delivers an event at least once; or a later upload arrived
                self._keep_only(key, versions, a.version_id)
                return True
            o = loaded.order
            if not o.attachment_arrived(document_id, first.version_id, first.size, first.content_type, now_iso()):
                self._documents.delete(key)
                return False
            try:
                self._store.save(tenant, loaded, o, loaded.sales_rep_id, actor_kind=a.uploader_kind)
            except (VersionMismatchError, TransactionConflictError):
                continue  # changed meanwhile (or busy): load it again
            self._keep_only(key, versions, first.version_id)
            return True
        raise ConflictError("The order is being changed by others right now.")

    def _keep_only(self, key: str, versions: list[str], kept: str | None) -> None:
        for version in versions:
            if version != kept:
                self._documents.delete(key, version)
