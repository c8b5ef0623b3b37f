"""Order use cases: drafts, submit and approval, supplier review and proposals, fulfilment,
messages, reorder. Who may do what, and who sees which order, is decided here (PRODUCT.md
"Order lifecycle" and "Who sees what"); the transitions themselves live in domain/orders.py.

The one write path (`_mutate`): one Query loads the order; the action reads what it needs besides in
one BatchGet (`_reads`: customer, settings, the caller, the catalog keys of its lines, the month's
budget); one domain method changes the order and records its events; one transaction writes the order,
its events and the budget moves the domain gives (domain/budget.py), conditional on the order's
version. A concurrent writer makes the transaction fail; without If-Match the action runs again on
fresh reads, so concurrent line additions never lose one. Nothing is remembered between requests.
"""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from chalicelib.auth.principal import Principal
from chalicelib.domain import budget as budgets
from chalicelib.domain.clock import utcnow
from chalicelib.domain.errors import (
    BudgetExceededError,
    ConflictError,
    ForbiddenError,
    MalformedRequestError,
    NotFoundError,
    NumberTakenError,
    ParentsMovedError,
    ValidationFailedError,
    VersionMismatchError,
    invalid_field,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Customer, TenantSettings, User
from chalicelib.domain.money import MAX_QUANTITY
from chalicelib.domain.orders import (
    MAX_LINES,
    Action,
    Document,
    Line,
    Message,
    Order,
    OrderStatus,
    needs_approval,
    new_document,
    new_line,
)
from chalicelib.domain.permissions import Permission
from chalicelib.services.order_catalog import Catalog, Offer, ProductRef
from chalicelib.services.order_store import OrderQuery, OrderStore, Reads, Relied
from chalicelib.storage import keys
from chalicelib.storage.order_codec import Loaded, OrderSummary
from chalicelib.storage.paging import Page
from chalicelib.storage.refs import Refs

P = Permission
S = OrderStatus
ATTEMPTS = 25
MAX_IMPORT_ROWS = 1000
MAX_CODE_LENGTH = 64  # as a product reference in a JSON body (api/schemas/orders.py `Ref`)
MAX_DEPTH = 20  # levels of parents an approval path follows


@dataclass
class ImportResult:
    added: int
    errors: list[dict[str, Any]]
    order: Order


@dataclass
class Found:
    """What an action read besides the order, in its one BatchGet."""

    refs: Refs
    customer: Customer
    offers: list[Offer | None] = field(default_factory=list)

    @property
    def settings(self) -> TenantSettings:
        if self.refs.settings is None:
            raise NotFoundError("tenant")
        return self.refs.settings

    def caller(self, user_id: str) -> User:
        user = self.refs.users.get(user_id)
        if user is None:
            raise NotFoundError("user")
        return user

    def spent(self, tenant: str, month: str) -> int:
        return self.refs.budgets.get(keys.budget(tenant, self.customer.id, month), 0)


@dataclass
class Write:
    """What an action adds to its write besides the order: conditions, and the budget it must keep."""

    site_id: str | None = None  # a site the order now names: checked to exist in the write
    # month → the customer's budget in cents, where this action's moves must stay within it
    budget_limits: dict[str, int] = field(default_factory=dict)


Change = Callable[[Loaded, Write], None]


class OrderService:
    def __init__(self, catalog: Catalog, store: OrderStore) -> None:
        self._catalog = catalog
        self._store = store

    # --- visibility and roles ---------------------------------------------------------------------
    def _sees(self, p: Principal, loaded: Loaded) -> bool:
        o = loaded.order
        if p.is_staff:
            return p.has(P.ORDERS_READ_ALL) or loaded.sales_rep_id == p.user_id or self._rep_of(p, o.customer_id)
        if o.customer_id in p.customer_ids:
            if p.has(P.ORDERS_VIEW_ORG) or o.created_by == p.user_id:
                return True
            if o.source == "staff" and p.has(P.ORDERS_PLACE) and o.status != S.DRAFT:
                return True
        return o.status == S.PENDING_APPROVAL and self._approves(p, o)

    def _rep_of(self, p: Principal, customer_id: str) -> bool:
        customer = self._store.customer(p.tenant, customer_id)
        return customer is not None and customer.sales_rep_id == p.user_id

    @staticmethod
    def _approves(p: Principal, o: Order) -> bool:
        return p.is_customer and p.has(P.ORDERS_APPROVE) and bool(set(o.customer_path) & set(p.customer_ids))

    def _load(self, p: Principal, order_id: str) -> Loaded:
        loaded = self._store.load(p.tenant, order_id) if order_id else None
        if loaded is None or not self._sees(p, loaded):
            raise NotFoundError("order")
        return loaded

    def _may_edit(self, p: Principal, o: Order) -> bool:
        if o.source == "staff":
            return p.is_staff and p.has(P.ORDERS_CREATE_ON_BEHALF)
        return o.created_by == p.user_id and p.has(P.ORDERS_PLACE)

    @staticmethod
    def _forbid(allowed: bool, what: str) -> None:
        if not allowed:
            raise ForbiddenError(f"You may not {what} this order.")

    # --- the one write path -------------------------------------------------------------------------
    def _mutate(self, p: Principal, order_id: str, expected: int | None, change: Change) -> Order:
        for attempt in range(ATTEMPTS):
            loaded = self._load(p, order_id)
            if expected is not None and loaded.order.version != expected:
                raise VersionMismatchError()
            write = Write()
            change(loaded, write)
            o = loaded.order
            o.check_limits()  # API.md's bounds on sums: a 422 here, not a failed save
            moves = o.settle_budget(_month())
            try:
                return self._store.save(
                    p.tenant,
                    loaded,
                    o,
                    loaded.sales_rep_id,
                    actor_kind=p.kind.value,
                    budget=moves,
                    budget_limits=write.budget_limits,
                    relied=Relied(site_id=write.site_id),
                )
            except BudgetExceededError:
                pass  # spent meanwhile: read the month again and decide again
            except VersionMismatchError:
                if expected is not None:
                    raise
            time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311 - jitter, not crypto
        raise ConflictError("The order is being changed by others right now; try again.")

    def _reads(
        self,
        p: Principal,
        customer_id: str,
        *,
        refs: list[ProductRef] = (),  # type: ignore[assignment]
        settings: bool = False,
        caller: bool = False,
        months: list[str] = (),  # type: ignore[assignment]
        sites: list[str] = (),  # type: ignore[assignment]
        counter: bool = False,
    ) -> Found:
        """The action's one BatchGet: the customer and whatever else it names (a line given by sku or
        barcode adds a second read for its product: the catalog port)."""
        t = p.tenant
        wanted = Reads(
            customers=[customer_id],
            settings=settings,
            users=[p.user_id] if caller else [],
            sites=sites,
            counter=counter,
            extra=[*self._catalog.keys(t, customer_id, list(refs)), *(keys.budget(t, customer_id, m) for m in months)],
        )
        found = self._store.read(t, wanted)
        customer = found.customers.get(customer_id)
        if customer is None:
            raise NotFoundError("customer")
        reads = Found(found, customer)
        if refs:
            reads.offers = self._catalog.offers(t, customer, list(refs), staff=p.is_staff, found=found)
        return reads

    # --- reads --------------------------------------------------------------------------------------
    def get(self, p: Principal, order_id: str) -> Order:
        return self._load(p, order_id).order

    def list_orders(
        self,
        p: Principal,
        *,
        limit: int,
        cursor: str | None,
        status: str | None,
        customer_id: str | None,
        created_from: str | None,
        created_to: str | None,
    ) -> Page[OrderSummary]:
        if status is not None and status not in {s.value for s in S}:
            raise MalformedRequestError(f"'status' must be one of {', '.join(s.value for s in S)}.")
        for name, value in (("created_from", created_from), ("created_to", created_to)):
            if value is not None:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise MalformedRequestError(f"'{name}' must be a date (YYYY-MM-DD).") from None
        t = p.tenant
        def query(of: Literal["customer", "rep", "status", "tenant"], key: str, **only: Any) -> Page[OrderSummary]:
            q = OrderQuery(t, of, key, limit, cursor, created_from=created_from, created_to=created_to, **only)
            return self._store.list_orders(q)

        if p.is_staff:
            if customer_id:
                if not (p.has(P.ORDERS_READ_ALL) or self._rep_of(p, customer_id)):
                    raise NotFoundError("customer")
                return query("customer", customer_id, status=status)
            if not p.has(P.ORDERS_READ_ALL):
                return query("rep", p.user_id, status=status)
            return query("status", status) if status else query("tenant", "")
        if customer_id is None and status == S.PENDING_APPROVAL.value and p.has(P.ORDERS_APPROVE):
            # What waits for this approver, their branches' orders included: the approval list of each
            # of their customers (one Query each), never the tenant's whole queue.
            return self._store.list_approvals(
                t, p.customer_ids, limit=limit, cursor=cursor, created_from=created_from, created_to=created_to
            )
        cid = customer_id or (p.customer_ids[0] if p.customer_ids else "")
        if cid not in p.customer_ids:
            raise NotFoundError("customer")
        own = not p.has(P.ORDERS_VIEW_ORG)
        return query(
            "customer",
            cid,
            status=status,
            own_for=p.user_id if own else None,
            sees_sent=own and p.has(P.ORDERS_PLACE),
            sees_waiting=own and p.has(P.ORDERS_APPROVE),
        )

    # --- drafts -------------------------------------------------------------------------------------
    def create(self, p: Principal, data: dict[str, Any], source: Order | None = None) -> Order:
        """A draft: one BatchGet (customer, settings, site, order counter and what its lines need of the
        catalog), one transaction."""
        order, _ = self._create(p, data, source)
        return order

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
        refs = [ProductRef(product_id=line.product_id) for line in source.lines] if source else [_ref(x) for x in lines]
        walk = False
        for attempt in range(ATTEMPTS):
            r = self._reads(p, customer_id, refs=refs, settings=True, sites=[site_id] if site_id else [], counter=True)
            customer, settings = r.customer, r.settings
            if customer.status != "active":
                raise ConflictError("This customer account is inactive.", code="customer_inactive")
            if site_id is not None and site_id not in r.refs.sites:
                raise NotFoundError("site")
            header = self._header_values(customer, settings, data, partial=False)
            path, parents = self._customer_path(t, customer, walk)
            skipped: list[dict[str, str]] = []
            if source is not None:
                lines = _still_orderable(source, r.offers, skipped)
                offers = [o for o, line in zip(r.offers, source.lines, strict=True) if _kept(line, lines)]
            else:
                offers = r.offers
            last = r.refs.order_counter if r.refs.order_counter is not None else self._store.counter_value(t)
            number = last + 1
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
            for i, (line, offer) in enumerate(zip(lines, offers, strict=True)):
                self._check_offer(offer, Decimal(line["quantity"]), f"lines[{i}]")
                assert offer is not None
                order.add_line(
                    _line_from(offer, Decimal(line["quantity"]), line.get("requested_delivery_date")),
                    p.user_id,
                    record=False,  # the "create" entry covers them
                )
            order.check_limits()  # API.md's bounds on sums: a 422 here, not a failed save
            try:
                relied = Relied(site_id=site_id, parents=tuple(parents))
                saved = self._store.save(
                    t, None, order, customer.sales_rep_id, actor_kind=p.kind.value, relied=relied, number=number
                )
                return saved, skipped
            except NumberTakenError:
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311 - jitter, not crypto
            except ParentsMovedError:
                walk = True  # the customer's stored parents are out of date: read them level by level
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

    def _header_values(
        self, customer: Customer | None, settings: TenantSettings | None, data: dict[str, Any], *, partial: bool
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

    @staticmethod
    def _check_offer(offer: Offer | None, quantity: Decimal, field: str) -> None:
        if offer is None:
            raise invalid_field(field, "No product matches this reference.")
        if not offer.orderable:
            raise invalid_field(field, f"{offer.sku} cannot be ordered: {offer.reason or 'not available'}.")
        problem = offer.quantity_problem(quantity)
        if problem:
            raise invalid_field(f"{field}.quantity" if not field.endswith("quantity") else field, problem)

    def patch_header(self, p: Principal, order_id: str, data: dict[str, Any], expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            o.check(Action.EDIT)
            site_id = data.get("site_id")
            if site_id is not None and not p.may_use_site(site_id):
                raise NotFoundError("site")
            addresses = any(data.get(k) is not None for k in ("delivery_address_id", "billing_address_id"))
            methods = any(data.get(k) is not None for k in ("delivery_method", "payment_method"))
            customer = settings = None
            if addresses or methods or site_id is not None:
                r = self._reads(p, o.customer_id, settings=methods, sites=[site_id] if site_id else [])
                customer, settings = r.customer, (r.settings if methods else None)
                if site_id is not None and site_id not in r.refs.sites:
                    raise NotFoundError("site")
                w.site_id = site_id
            values = self._header_values(customer, settings, data, partial=True)
            if "site_id" in data:
                values["site_id"] = site_id
            o.edit_header(p.user_id, values)

        return self._mutate(p, order_id, expected, change)

    def add_line(
        self,
        p: Principal,
        order_id: str,
        ref: ProductRef,
        quantity: Decimal,
        requested_delivery_date: date | None,
        expected: int | None,
    ) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            o.check(Action.EDIT)
            [offer] = self._reads(p, o.customer_id, refs=[ref]).offers
            existing = next((line for line in o.lines if offer and line.product_id == offer.product_id), None)
            total = quantity + (existing.quantity if existing else Decimal(0))
            self._check_offer(offer, total, "quantity")
            assert offer is not None
            o.add_line(_line_from(offer, quantity, requested_delivery_date), p.user_id)
            # Re-price the line for its new quantity (tiers).
            line = next(line for line in o.lines if line.product_id == offer.product_id)
            line.unit_price = offer.unit_price(line.quantity)

        return self._mutate(p, order_id, expected, change)

    def change_line(
        self, p: Principal, order_id: str, line_id: str, data: dict[str, Any], expected: int | None
    ) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            o.check(Action.EDIT)
            line = _line_or_404(o, line_id)
            changes: dict[str, Any] = {}
            if "requested_delivery_date" in data:
                changes["requested_delivery_date"] = data["requested_delivery_date"]
            if data.get("quantity") is not None:
                [offer] = self._reads(p, o.customer_id, refs=[ProductRef(product_id=line.product_id)]).offers
                self._check_offer(offer, data["quantity"], "quantity")
                assert offer is not None
                changes["quantity"] = data["quantity"]
                changes["unit_price"] = offer.unit_price(data["quantity"])
            o.change_line(line_id, p.user_id, **changes)

        return self._mutate(p, order_id, expected, change)

    def remove_line(self, p: Principal, order_id: str, line_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            _line_or_404(o, line_id)
            o.remove_line(line_id, p.user_id)

        return self._mutate(p, order_id, expected, change)

    def import_lines(self, p: Principal, order_id: str, text: str) -> ImportResult:
        rows = _parse_line_csv(text)
        result: dict[str, Any] = {}

        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            o.check(Action.EDIT)
            errors: list[dict[str, Any]] = []
            good = [(n, code, q) for n, code, q, err in rows if err is None]
            errors += [{"row": n, "code": code, "message": err} for n, code, _, err in rows if err is not None]
            # A code is a barcode or a sku: ask for both in one batch, barcode first.
            refs = [ProductRef(barcode=code) for _, code, _ in good] + [ProductRef(sku=code) for _, code, _ in good]
            offers = self._reads(p, o.customer_id, refs=refs).offers if refs else []
            added = 0
            for i, (n, code, qty) in enumerate(good):
                offer = offers[i] or offers[len(good) + i]
                try:
                    existing = next((line for line in o.lines if offer and line.product_id == offer.product_id), None)
                    self._check_offer(offer, qty + (existing.quantity if existing else Decimal(0)), "quantity")
                    assert offer is not None
                    line = o.add_line(_line_from(offer, qty, None), p.user_id, record=False)
                    line.unit_price = offer.unit_price(line.quantity)
                    added += 1
                except ValidationFailedError as exc:
                    errors.append({"row": n, "code": code, "message": exc.details[0]["message"]})
            if added:
                o.record_bulk_edit(p.user_id, f"Imported {added} line(s) from CSV.")
            result["added"] = added
            result["errors"] = sorted(errors, key=lambda e: e["row"])

        order = self._mutate(p, order_id, None, change)
        return ImportResult(result["added"], result["errors"], order)

    # --- buyer side ---------------------------------------------------------------------------------
    def submit(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            self._forbid(p.is_customer and self._may_edit(p, o), "submit")
            o.check(Action.SUBMIT)
            month = _month()
            refs = [ProductRef(product_id=line.product_id) for line in o.lines]
            r = self._reads(p, o.customer_id, refs=refs, caller=True, months=[month])
            customer = r.customer
            _reprice(o, r.offers)
            can_approve = self._approves(p, o)
            total = o.totals.gross
            over_budget = not can_approve and not budgets.within(
                r.spent(p.tenant, month), budgets.cents(total), customer.monthly_budget
            )
            need = needs_approval(
                submitter_can_approve=can_approve,
                policy=customer.approval_policy,
                total=total,
                approval_limit=r.caller(p.user_id).approval_limit,
                over_budget=over_budget,
            )
            if need and not self._store.anyone_approves(p.tenant, o.customer_path, p.user_id):
                raise ConflictError(
                    "This order needs approval, but nobody in your organisation can approve orders.",
                    code="no_approver",
                )
            o.submit(p.user_id, need)
            if not can_approve and customer.monthly_budget is not None:
                w.budget_limits[month] = budgets.cents(customer.monthly_budget)  # spent meanwhile: decide again

        return self._mutate(p, order_id, expected, change)

    def approve(self, p: Principal, order_id: str, trims: list[dict[str, Any]], expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            self._forbid(self._approves(p, loaded.order), "approve")
            loaded.order.approve(p.user_id, trims)  # an approver may take the month over its budget

        return self._mutate(p, order_id, expected, change)

    def reject(self, p: Principal, order_id: str, reason: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            self._forbid(self._approves(p, loaded.order), "reject")
            loaded.order.reject(p.user_id, reason)

        return self._mutate(p, order_id, expected, change)

    def accept(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            self._forbid(p.is_customer and p.has(P.ORDERS_PLACE), "accept")
            o.check(Action.ACCEPT)
            if not self._approves(p, o):
                # The proposed total may need approval: the policy, the buyer's limit, or the month's budget
                # (what accepting adds to the month the order counts in).
                month = o.budget.month if o.budget else _month()
                r = self._reads(p, o.customer_id, caller=True, months=[month])
                customer = r.customer
                proposed = o.proposed_totals().gross
                adds = budgets.cents(proposed) - (o.budget.cents if o.budget else 0)
                over_budget = not budgets.within(r.spent(p.tenant, month), adds, customer.monthly_budget)
                if needs_approval(
                    submitter_can_approve=False,
                    policy=customer.approval_policy,
                    total=proposed,
                    approval_limit=r.caller(p.user_id).approval_limit,
                    over_budget=over_budget,
                ):
                    raise ForbiddenError("The proposed total needs approval: an approver must accept it.")
                if customer.monthly_budget is not None:
                    w.budget_limits[month] = budgets.cents(customer.monthly_budget)
            o.accept(p.user_id)

        return self._mutate(p, order_id, expected, change)

    def decline(self, p: Principal, order_id: str, reason: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            self._forbid(p.is_customer and (p.has(P.ORDERS_PLACE) or self._approves(p, o)), "decline")
            o.decline(p.user_id, reason)

        return self._mutate(p, order_id, expected, change)

    def cancel(self, p: Principal, order_id: str, reason: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            allowed = o.created_by == p.user_id or self._approves(p, o) or (p.is_staff and p.has(P.ORDERS_REVIEW))
            self._forbid(allowed, "cancel")
            o.cancel(p.user_id, reason)  # what it counted goes back to the month it was counted in

        return self._mutate(p, order_id, expected, change)

    # --- supplier side ------------------------------------------------------------------------------
    def send(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            self._forbid(p.is_staff and p.has(P.ORDERS_CREATE_ON_BEHALF), "send")
            loaded.order.send(p.user_id)

        return self._mutate(p, order_id, expected, change)

    def confirm(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            self._forbid(p.is_staff and p.has(P.ORDERS_REVIEW), "confirm")
            loaded.order.confirm(p.user_id)  # a phone order confirmed from its draft now counts

        return self._mutate(p, order_id, expected, change)

    def propose(
        self,
        p: Principal,
        order_id: str,
        note: str | None,
        changes: list[dict[str, Any]],
        add_lines: list[dict[str, Any]],
        expected: int | None,
    ) -> Order:
        def change(loaded: Loaded, w: Write) -> None:
            o = loaded.order
            self._forbid(p.is_staff and p.has(P.ORDERS_REVIEW), "propose changes to")
            o.check(Action.PROPOSE)
            for c in changes:
                _line_or_404(o, c["id"])
            added: list[Line] = []
            if add_lines:
                offers = self._reads(p, o.customer_id, refs=[_ref(a) for a in add_lines]).offers
                for i, (a, offer) in enumerate(zip(add_lines, offers, strict=True)):
                    if offer is None:
                        raise invalid_field(f"add_lines[{i}]", "No product matches this reference.")
                    price = a.get("unit_price") if a.get("unit_price") is not None else offer.unit_price(a["quantity"])
                    added.append(_line_from(offer, a["quantity"], None, price))
            o.propose(p.user_id, note, changes, added)

        return self._mutate(p, order_id, expected, change)

    # --- fulfilment ---------------------------------------------------------------------------------
    def ship(self, p: Principal, order_id: str, data: dict[str, Any]) -> tuple[Order, Document]:
        holder: dict[str, Document] = {}

        def change(loaded: Loaded, w: Write) -> None:
            self._forbid(p.is_staff and p.has(P.ORDERS_FULFIL), "record shipments on")
            doc = new_document(
                "shipment",
                p.user_id,
                date=data["date"],
                number=data["document_number"],
                carrier=data.get("carrier"),
                tracking_number=data.get("tracking_number"),
            )
            quantities = {line["id"]: line["quantity"] for line in data.get("lines") or []}
            for line_id in quantities:
                _line_or_404(loaded.order, line_id)
            holder["doc"] = loaded.order.record_shipment(p.user_id, doc, quantities or None)

        order = self._mutate(p, order_id, None, change)
        return order, holder["doc"]

    def invoice(self, p: Principal, order_id: str, data: dict[str, Any]) -> tuple[Order, Document]:
        holder: dict[str, Document] = {}

        def change(loaded: Loaded, w: Write) -> None:
            self._forbid(p.is_staff and p.has(P.ORDERS_FULFIL), "record invoices on")
            doc = new_document(
                "invoice",
                p.user_id,
                date=data["date"],
                number=data["number"],
                amount=data["amount"],
                due_date=data.get("due_date"),
            )
            holder["doc"] = loaded.order.record_invoice(p.user_id, doc)

        order = self._mutate(p, order_id, None, change)
        return order, holder["doc"]

    def pay(self, p: Principal, order_id: str, data: dict[str, Any]) -> tuple[Order, Document]:
        holder: dict[str, Document] = {}

        def change(loaded: Loaded, w: Write) -> None:
            self._forbid(p.is_staff and p.has(P.ORDERS_FULFIL), "record payments on")
            doc = new_document("payment", p.user_id, date=data["date"], number=data["reference"], amount=data["amount"])
            holder["doc"] = loaded.order.record_payment(p.user_id, doc)

        order = self._mutate(p, order_id, None, change)
        return order, holder["doc"]

    # --- messages and reorder -----------------------------------------------------------------------
    def post_message(self, p: Principal, order_id: str, body: str) -> Message:
        from chalicelib.domain.clock import now_iso

        loaded = self._load(p, order_id)
        message = Message(new_id(), p.user_id, p.kind.value, body, now_iso())
        loaded.order.record_message(p.user_id, message.id, body)
        self._store.add_message(p.tenant, loaded.order, loaded.sales_rep_id, message, p.kind.value)
        return message

    def messages(self, p: Principal, order_id: str, limit: int, cursor: str | None) -> Page[Message]:
        self._load(p, order_id)
        return self._store.messages(p.tenant, order_id, limit, cursor)

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


# --- helpers ----------------------------------------------------------------------------------------
def _reprice(o: Order, offers: list[Offer | None]) -> None:
    """Prices are frozen at submit: take the current effective price of every line once more."""
    problems = []
    for i, (line, offer) in enumerate(zip(o.lines, offers, strict=True)):
        if offer is None or not offer.orderable:
            problems.append({"field": f"lines[{i}]", "message": f"{line.sku} can no longer be ordered."})
            continue
        line.unit_price = offer.unit_price(line.quantity)
    if problems:
        raise ValidationFailedError("Some lines can no longer be ordered; remove them first.", details=problems)


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


def _ref(data: dict[str, Any]) -> ProductRef:
    return ProductRef(product_id=data.get("product_id"), sku=data.get("sku"), barcode=data.get("barcode"))


def _line_from(offer: Offer, quantity: Decimal, requested: date | None, price: Decimal | None = None) -> Line:
    unit_price = price if price is not None else offer.unit_price(quantity)
    return new_line(offer.product_id, offer.sku, offer.name, quantity, unit_price, offer.tax_rate, requested)


def _line_or_404(o: Order, line_id: str) -> Line:
    for line in o.lines:
        if line.id == line_id:
            return line
    raise NotFoundError("order line")


def _month() -> str:
    return utcnow().strftime("%Y-%m")


def _parse_line_csv(text: str) -> list[tuple[int, str, Decimal, str | None]]:
    """(row number, code, quantity, error) per data row; the header is row 1."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise MalformedRequestError("The CSV has no header row 'code,quantity'.") from exc
    if [h.strip().lower() for h in header] != ["code", "quantity"]:
        raise MalformedRequestError("The CSV header must be 'code,quantity'.")
    rows: list[tuple[int, str, Decimal, str | None]] = []
    try:
        for n, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise ValidationFailedError(
                    f"An import adds at most {MAX_IMPORT_ROWS} lines.",
                    details=[{"row": n, "field": "row", "message": f"more than {MAX_IMPORT_ROWS} rows"}],
                )
            code = row[0].strip() if row else ""
            raw = row[1].strip() if len(row) > 1 else ""
            if len(row) != 2 or not code:
                rows.append((n, code, Decimal(0), "A row has a code and a quantity."))
                continue
            if len(code) > MAX_CODE_LENGTH:  # no sku or barcode is longer; nor may a lookup key be
                rows.append((n, code[:MAX_CODE_LENGTH] + "…", Decimal(0), "No product has a code this long."))
                continue
            try:
                qty = Decimal(raw)
            except InvalidOperation:
                rows.append((n, code, Decimal(0), f"'{raw}' is not a quantity."))
                continue
            if not qty.is_finite() or qty <= 0 or qty > MAX_QUANTITY or qty.as_tuple().exponent < -3:  # type: ignore[operator]
                rows.append((n, code, Decimal(0), "The quantity must be above 0, at most 1000000, 3 decimals."))
                continue
            rows.append((n, code, qty, None))
    except csv.Error as exc:
        raise MalformedRequestError(f"The CSV cannot be parsed: {exc}.") from exc
    return rows
