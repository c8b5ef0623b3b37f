"""Drafts: create (and reorder), the header, lines one by one or from a CSV. Each change goes through the
one write path (order_writes.py); prices are the customer's effective prices now, re-evaluated on every
change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.domain.errors import (
    ConflictError,
    NotFoundError,
    NumberTakenError,
    ParentsMovedError,
    TransactionConflictError,
    ValidationFailedError,
    invalid_field,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Customer, TenantSettings
from chalicelib.domain.orders import MAX_LINES, Action, Line, Order
from chalicelib.domain.permissions import Permission
from chalicelib.retry import attempts
from chalicelib.services.callers import standing_of
from chalicelib.services.order_catalog import Offer, ProductRef
from chalicelib.services.order_lines_csv import parse_line_csv
from chalicelib.services.order_store import Relied, StandingMovedError
from chalicelib.services.order_visibility import forbid, may_edit
from chalicelib.services.order_writes import (
    ATTEMPTS,
    Found,
    Needs,
    OrderWrites,
    Write,
    check_offer,
    line_from,
    line_or_404,
    name_the_actor,
    ref_of,
)
from chalicelib.storage.order_codec import Loaded

P = Permission
MAX_DEPTH = 20  # levels of parents an approval path follows


@dataclass
class ImportResult:
    added: int
    errors: list[dict[str, Any]]
    order: Order


class Drafts(OrderWrites):
    # --- drafts -------------------------------------------------------------------------------------
    def create(self, p: Principal, data: dict[str, Any], source: Order | None = None) -> Order:
        """A draft: one BatchGet (customer, settings, site, order counter and what its lines need of the
        catalog), one transaction."""
        return self._idempotent(lambda: self._create(p, data, source)[0])

    def _create(self, p: Principal, data: dict[str, Any], source: Order | None) -> tuple[Order, list[dict[str, str]]]:
        """`source`: a reorder's order. Its lines the customer can still order as they were are taken; the
        others are returned as skipped."""
        t = p.tenant
        if p.is_staff:
            p.require(P.ORDERS_CREATE_ON_BEHALF)
            customer_id = data.get("customer_id")
            if not customer_id:
                raise invalid_field("customer_id", "Staff must name the customer the order is for.")
        else:
            p.require(P.ORDERS_PLACE)
            customer_id = data.get("customer_id") or (p.customer_ids[0] if p.customer_ids else None)
            if not customer_id or customer_id not in p.customer_ids:
                raise NotFoundError("customer")
        site_id = data.get("site_id")
        if site_id is not None and not p.may_use_site(site_id):
            raise NotFoundError("site")
        lines = data.get("lines") or []
        if len(lines) > MAX_LINES:
            raise invalid_field("lines", f"An order holds at most {MAX_LINES} lines.")
        if source is not None:
            refs = [ProductRef(product_id=line.product_id) for line in source.lines]
        else:
            refs = [ref_of(x) for x in lines]
        walk = False
        standing = standing_of(p)  # the caller's rights: checked by the write (order_writes.py)
        for _ in attempts(ATTEMPTS, pause=0.005):
            sites = [site_id] if site_id else []
            r = self._reads(p, customer_id, Needs(refs, settings=True, sites=sites, counter=True))
            customer, settings = r.customer, r.settings
            if customer.status != "active":
                raise ConflictError("This customer account is inactive.", code="customer_inactive")
            if site_id is not None and site_id not in r.refs.sites:
                raise NotFoundError("site")
            header = header_values(customer, settings, data, partial=False)
            path, parents = self._customer_path(t, customer, walk)
            skipped: list[dict[str, str]] = []
            if source is not None:
                lines = _still_orderable(source, r.offers, skipped)
                offers = [o for o, line in zip(r.offers, source.lines, strict=True) if _kept(line, lines)]
            else:
                offers = r.offers
            number = r.refs.order_counter + 1
            order = Order(
                id=new_id(),
                tenant=t,
                number=f"{settings.order_number_prefix}{number:06d}",
                customer_id=customer.id,
                customer_name=customer.name,
                site_id=site_id,
                source="staff" if p.is_staff else "portal",
                created_by=p.user_id,
                currency=settings.currency,
                customer_path=path,
                **header,
            )
            order.record_created(p.user_id)
            name_the_actor(p, order, 0)
            for i, (line, offer) in enumerate(zip(lines, offers, strict=True)):
                check_offer(offer, Decimal(line["quantity"]), f"lines[{i}]")
                assert offer is not None
                order.add_line(
                    line_from(offer, Decimal(line["quantity"]), line.get("requested_delivery_date")),
                    p.user_id,
                    record=False,  # the "create" entry covers them
                )
            order.check_limits()  # API.md's bounds on sums: a 422 here, not a failed save
            try:
                relied = Relied(site_id=site_id, parents=tuple(parents), caller=standing)
                saved = self._store.save(
                    t,
                    None,
                    order,
                    customer.sales_rep_id,
                    actor_kind=p.kind.value,
                    relied=relied,
                    number=number,
                    claim=self._claim,
                )
                return saved, skipped
            except (NumberTakenError, TransactionConflictError):
                pass  # another order took the number (or busy): read the counter again
            except ParentsMovedError:
                walk = True  # the customer's stored parents are out of date: read them level by level
            except StandingMovedError:
                standing = self._standing_now(p)
        raise ConflictError("Orders are being created by others right now; try again.")

    def _customer_path(self, t: str, customer: Customer, walk: bool) -> tuple[list[str], list[str]]:
        """The customer and its parents, nearest first (whose approvers may act on the order), and the
        stored parents it relied on: from the parents stored with the customer (the copy that serves
        this), verified in the order's transaction; or read level by level."""
        if customer.parent_id is None:
            return [customer.id], []
        chain = customer.ancestor_ids
        if walk or not chain or chain[0] != customer.parent_id:
            return [customer.id, *self._store.parents(t, customer.parent_id, MAX_DEPTH)], []
        return [customer.id, *chain], list(chain)

    def patch_header(self, p: Principal, order_id: str, data: dict[str, Any], expected: int | None) -> Order:
        return self._mutate(p, order_id, expected, PatchHeader(p, data))

    def add_line(
        self,
        p: Principal,
        order_id: str,
        ref: ProductRef,
        quantity: Decimal,
        requested_delivery_date: date | None,
        expected: int | None,
    ) -> Order:
        return self._mutate(p, order_id, expected, AddLine(p, ref, quantity, requested_delivery_date))

    def change_line(
        self, p: Principal, order_id: str, line_id: str, data: dict[str, Any], expected: int | None
    ) -> Order:
        return self._mutate(p, order_id, expected, ChangeLine(p, line_id, data))

    def remove_line(self, p: Principal, order_id: str, line_id: str, expected: int | None) -> Order:
        return self._mutate(p, order_id, expected, RemoveLine(p, line_id))

    def import_lines(self, p: Principal, order_id: str, text: str) -> ImportResult:
        action = ImportLines(p, parse_line_csv(text))
        order = self._mutate(p, order_id, None, action)
        return ImportResult(action.added, action.errors, order)

    def reorder(self, p: Principal, order_id: str) -> tuple[Order, list[dict[str, str]]]:
        """A new draft with the source's lines the customer can still order as they were (one Query of the
        source, then a create: one BatchGet, one transaction)."""
        source = self._load(p, order_id).order
        data: dict[str, Any] = {
            "customer_id": source.customer_id,
            "site_id": source.site_id if p.may_use_site(source.site_id or "") else None,
            "notes": f"Reorder of {source.number}",
        }
        return self._create(p, data, source)


def _still_orderable(source: Order, offers: list[Offer | None], skipped: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The source's lines this customer can still order as they were; the others go to `skipped`."""
    keep: list[dict[str, Any]] = []
    for line, offer in zip(source.lines, offers, strict=True):
        if offer is None:
            problem: str | None = "The product can no longer be ordered."
        elif not offer.orderable:
            problem = offer.reason or "The product can no longer be ordered."
        else:
            problem = offer.quantity_problem(line.quantity)
        if problem:
            skipped.append({"sku": line.sku, "reason": problem})
        else:
            keep.append({"product_id": line.product_id, "quantity": line.quantity, "_line": line.id})
    return keep


def _kept(line: Line, kept: list[dict[str, Any]]) -> bool:
    return any(k["_line"] == line.id for k in kept)


def header_values(
    customer: Customer | None, settings: TenantSettings | None, data: dict[str, Any], *, partial: bool
) -> dict[str, Any]:
    """The header fields `data` sets (all of them unless `partial`). The customer is needed only for
    addresses, the settings only for methods."""
    out: dict[str, Any] = {}
    for name in ("customer_reference", "requested_delivery_date", "notes"):
        if name in data or not partial:
            out[name] = data.get(name)
    for kind in ("delivery", "billing"):
        key = f"{kind}_address_id"
        if key in data and data[key] is not None:
            assert customer is not None
            match = [a for a in customer.addresses if a.id == data[key] and a.kind == kind]
            if not match:
                raise invalid_field(key, f"The customer has no {kind} address with this id.")
            out[f"{kind}_address"] = match[0].__dict__.copy()
        elif not partial:
            assert customer is not None
            first = next((a for a in customer.addresses if a.kind == kind), None)
            out[f"{kind}_address"] = first.__dict__.copy() if first else None
    for name in ("delivery_method", "payment_method"):
        if name in data or not partial:
            value = data.get(name)
            choices = getattr(settings, f"{name}s") if value is not None and settings is not None else []
            if value is not None and choices and value not in {m.code for m in choices}:
                raise invalid_field(name, f"'{value}' is not one of the supplier's {name.replace('_', ' ')}s.")
            out[name] = value
    return out


# --- the draft's actions: each what it needs read besides the order, and what it does with both -------
def _edits(p: Principal, o: Order) -> None:
    forbid(may_edit(p, o), "edit")
    o.check(Action.EDIT)


@dataclass
class PatchHeader:
    """The header's fields; `supplier_reference` is the ERP's number: staff who review orders set it in any
    status (API.md "Machine clients"), so it is no edit of the draft."""

    p: Principal
    data: dict[str, Any]  # without supplier_reference, once built
    reference_given: bool = field(init=False)
    reference: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.data = dict(self.data)
        self.reference_given = "supplier_reference" in self.data
        self.reference = self.data.pop("supplier_reference", None)

    def needs(self, o: Order) -> Needs | None:
        p, data = self.p, self.data
        if self.reference_given:
            forbid(p.is_staff and p.has(Permission.ORDERS_REVIEW), "set the supplier's reference of")
            if not data:
                return None
        _edits(p, o)
        site_id = data.get("site_id")
        if site_id is not None and not p.may_use_site(site_id):
            raise NotFoundError("site")
        addresses = any(data.get(k) is not None for k in ("delivery_address_id", "billing_address_id"))
        if not (addresses or self._methods or site_id is not None):
            return None
        return Needs(settings=self._methods, sites=[site_id] if site_id else [])

    @property
    def _methods(self) -> bool:
        return any(self.data.get(k) is not None for k in ("delivery_method", "payment_method"))

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        o, data = loaded.order, self.data
        if self.reference_given:
            o.set_supplier_reference(self.p.user_id, self.reference)
            if not data:
                return
        site_id = data.get("site_id")
        customer = settings = None
        if r.found_customer is not None:  # needed for addresses, methods or a site
            customer, settings = r.customer, (r.settings if self._methods else None)
            if site_id is not None and site_id not in r.refs.sites:
                raise NotFoundError("site")
            w.site_id = site_id
        values = header_values(customer, settings, data, partial=True)
        if "site_id" in data:
            values["site_id"] = site_id
        o.edit_header(self.p.user_id, values)


@dataclass
class AddLine:
    p: Principal
    ref: ProductRef
    quantity: Decimal
    requested_delivery_date: date | None

    def needs(self, o: Order) -> Needs:
        _edits(self.p, o)
        return Needs([self.ref])

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        o, ref = loaded.order, self.ref
        [offer] = r.offers
        existing = next((line for line in o.lines if offer and line.product_id == offer.product_id), None)
        total = self.quantity + (existing.quantity if existing else Decimal(0))
        named = "product_id" if ref.product_id else "sku" if ref.sku else "barcode"
        check_offer(offer, total, named, "quantity")
        assert offer is not None
        o.add_line(line_from(offer, self.quantity, self.requested_delivery_date), self.p.user_id)
        # Re-price the line for its new quantity (tiers).
        line = next(line for line in o.lines if line.product_id == offer.product_id)
        line.unit_price = offer.unit_price(line.quantity)


@dataclass
class ChangeLine:
    p: Principal
    line_id: str
    data: dict[str, Any]

    def needs(self, o: Order) -> Needs | None:
        _edits(self.p, o)
        line = line_or_404(o, self.line_id)
        if self.data.get("quantity") is None:
            return None
        return Needs([ProductRef(product_id=line.product_id)])  # re-priced for its new quantity

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        data, changes = self.data, {}
        if "requested_delivery_date" in data:
            changes["requested_delivery_date"] = data["requested_delivery_date"]
        if data.get("quantity") is not None:
            [offer] = r.offers
            check_offer(offer, data["quantity"], "product_id", "quantity")
            assert offer is not None
            changes["quantity"] = data["quantity"]
            changes["unit_price"] = offer.unit_price(data["quantity"])
        loaded.order.change_line(self.line_id, self.p.user_id, **changes)


@dataclass
class RemoveLine:
    p: Principal
    line_id: str

    def needs(self, o: Order) -> None:
        forbid(may_edit(self.p, o), "edit")
        line_or_404(o, self.line_id)

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        loaded.order.remove_line(self.line_id, self.p.user_id)


Row = tuple[int, str, Decimal, str | None]


@dataclass
class ImportLines:
    """Lines from a CSV: each row's code is a barcode or a sku; rows that cannot be added are reported
    (`errors`), the others added (`added`)."""

    p: Principal
    rows: list[Row]
    added: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def _good(self) -> list[tuple[int, str, Decimal]]:
        return [(n, code, q) for n, code, q, err in self.rows if err is None]

    def needs(self, o: Order) -> Needs | None:
        _edits(self.p, o)
        good = self._good
        # A code is a barcode or a sku: ask for both in one batch, barcode first.
        refs = [ProductRef(barcode=code) for _, code, _ in good] + [ProductRef(sku=code) for _, code, _ in good]
        return Needs(refs) if refs else None

    def apply(self, loaded: Loaded, r: Found, w: Write) -> None:
        o, good, by = loaded.order, self._good, self.p.user_id
        errors = [{"row": n, "code": code, "message": err} for n, code, _, err in self.rows if err is not None]
        added = 0
        for i, (n, code, qty) in enumerate(good):
            offer = r.offers[i] or r.offers[len(good) + i]
            try:
                existing = next((line for line in o.lines if offer and line.product_id == offer.product_id), None)
                check_offer(offer, qty + (existing.quantity if existing else Decimal(0)), "code", "quantity")
                assert offer is not None
                line = o.add_line(line_from(offer, qty, None), by, record=False)
                line.unit_price = offer.unit_price(line.quantity)
                added += 1
            except ValidationFailedError as exc:
                errors.append({"row": n, "code": code, "message": exc.details[0]["message"]})
        if added:
            o.record_bulk_edit(by, f"Imported {added} line(s) from CSV.")
        self.added, self.errors = added, sorted(errors, key=lambda e: e["row"])
