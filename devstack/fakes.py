"""In-memory stand-ins for two ports, for unit tests and `python -m devstack.replay --moto`: a catalog
(services/order_catalog.py's `Catalog`) and an e-mail sender (notifications/sender.py's
`EmailSender`). Development only: nothing the Lambda runs imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.model import Customer
from chalicelib.notifications.sender import EmailRefusedError, OutgoingEmail
from chalicelib.services.order_catalog import Offer, ProductRef
from chalicelib.storage.refs import Key, Refs


@dataclass
class FakeCatalog:
    """In-memory catalog for unit tests: products by id, sku and barcode."""

    products: dict[str, Offer] = field(default_factory=dict)
    barcodes: dict[str, str] = field(default_factory=dict)
    hidden: set[str] = field(default_factory=set)

    def add(self, offer: Offer, barcode: str | None = None) -> Offer:
        self.products[offer.product_id] = offer
        if barcode:
            self.barcodes[barcode.lower()] = offer.product_id
        return offer

    def keys(self, tenant: str, customer_id: str, refs: list[ProductRef]) -> list[Key]:
        return []  # nothing to read: it is all in memory

    def offers(
        self, tenant: str, customer: Customer, refs: list[ProductRef], *, staff: bool, found: Refs
    ) -> list[Offer | None]:
        out: list[Offer | None] = []
        for ref in refs:
            # SKUs and barcodes match regardless of case, as in the real catalog.
            sku = (ref.sku or "").lower()
            pid = (
                ref.product_id
                or self.barcodes.get((ref.barcode or "").lower())
                or next((p.product_id for p in self.products.values() if sku and p.sku.lower() == sku), None)
            )
            offer = self.products.get(pid or "")
            # Like the real catalog: to a customer user a hidden product does not exist.
            out.append(None if offer is not None and offer.product_id in self.hidden and not staff else offer)
        return out


@dataclass
class FakeEmailSender:
    """Records messages; `refuse` makes it fail like SES refusing a sender."""

    sent: list[OutgoingEmail] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def send(self, email: OutgoingEmail) -> str:
        if email.to in self.refuse or email.sender in self.refuse:
            raise EmailRefusedError("MessageRejected", f"refused: {email.to}")
        self.sent.append(email)
        return f"fake-{len(self.sent)}"
