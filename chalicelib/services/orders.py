"""Order use cases: drafts, submit and approval, supplier review and proposals, fulfilment,
messages, reorder. Who may do what, and who sees which order, is decided here (PRODUCT.md
"Order lifecycle" and "Who sees what"); the transitions themselves live in domain/orders.py.

Every change is load → one domain method → one conditional transaction. A concurrent writer makes
the transaction fail; without If-Match the change is re-applied to the fresh order, so concurrent
line additions never lose one.
"""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.auth.principal import Principal
from chalicelib.domain.clock import utcnow
from chalicelib.domain.errors import (
    ConflictError,
    ForbiddenError,
    MalformedRequestError,
    NotFoundError,
    OrderGateError,
    ValidationFailedError,
    VersionMismatchError,
    invalid_field,
)
from chalicelib.domain.ids import new_id
from chalicelib.domain.model import Customer, TenantSettings
from chalicelib.domain.money import MAX_QUANTITY
from chalicelib.domain.orders import (
    COMMITTED,
    MAX_LINES,
    Action,
    Document,
    HistoryEntry,
    Line,
    Order,
    OrderStatus,
    needs_approval,
    new_document,
    new_line,
)
from chalicelib.domain.permissions import Permission
from chalicelib.services import approvers as approver_lookup
from chalicelib.services.order_catalog import Catalog, Offer, Prefetch, ProductRef
from chalicelib.storage import customers, orders, tenants, users
from chalicelib.storage.items import OrderMessageItem
from chalicelib.storage.orders import BudgetChange, BudgetExceededError, Loaded, NumberTakenError, OrderSummary
from chalicelib.storage.paging import Page
from chalicelib.storage.refs import Refs
from chalicelib.storage.refs import load as load_refs
from chalicelib.storage.table import Check, StaleError

P = Permission
S = OrderStatus
ATTEMPTS = 25
MAX_IMPORT_ROWS = 1000
MAX_CODE_LENGTH = 64  # as a product reference in a JSON body (api/schemas/orders.py `Ref`)
# ConditionChecks one write may carry (a transaction holds 100 items; the order's own header, pages,
# history, approval entries and counters stay well under the other 40). Past it, read the catalog.
MAX_CHECKS = 60
# A reorder reads the caller's customers with the source order, in one BatchGet (100 keys; the source
# takes 12): more customers than this, and the source is read on its own first.
REORDER_CUSTOMERS = 40


@dataclass
class ImportResult:
    added: int
    errors: list[dict[str, Any]]
    order: Order


@dataclass
class Message:
    id: str
    author_id: str
    author_kind: str
    body: str
    created_at: str


class OrderService:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

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
        try:
            return customers.get(p.tenant, customer_id).sales_rep_id == p.user_id
        except NotFoundError:
            return False

    @staticmethod
    def _approves(p: Principal, o: Order) -> bool:
        return p.is_customer and p.has(P.ORDERS_APPROVE) and bool(set(o.customer_path) & set(p.customer_ids))

    def _load(self, p: Principal, order_id: str) -> Loaded:
        loaded = orders.load(p.tenant, order_id) if order_id else None
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
    def _mutate(
        self, p: Principal, order_id: str, expected: int | None, change: Callable[[Loaded], BudgetChange | None]
    ) -> Order:
        refresh: set[str] = set()
        over_budget = False
        for attempt in range(ATTEMPTS):
            loaded = self._load(p, order_id)
            loaded.refresh, loaded.over_budget = set(refresh), over_budget
            if expected is not None and loaded.order.version != expected:
                raise VersionMismatchError()
            try:
                budget = change(loaded)
                loaded.order.check_limits()  # API.md's bounds on sums: a 422 here, not a failed save
            except OrderGateError:
                # A refusal must not rest on a copy: the write would have caught a stale copy, but a
                # refusal never gets there. Decide once more on fresh reads before refusing.
                if loaded.copies_used - refresh:
                    refresh |= loaded.copies_used
                    continue
                raise
            context = (loaded.customer, loaded.settings) if loaded.write_context and loaded.customer else None
            try:
                return orders.save(
                    p.tenant, loaded, loaded.order, loaded.sales_rep_id, budget, checks=loaded.checks, context=context
                )
            except StaleError as exc:
                refresh.add(exc.what)  # the order's copy of the customer or settings is out of date
            except BudgetExceededError:
                over_budget = True  # spent meanwhile (or already): the change decides what that means
            except VersionMismatchError:
                if expected is not None:
                    raise
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311 - jitter, not crypto
        raise ConflictError("The order is being changed by others right now; try again.")

    # --- what an action relies on: the order's copies, verified in its write -------------------------
    def _customer(self, p: Principal, loaded: Loaded) -> Customer:
        """The order's customer, from the copy loaded with the order (read only when there is none or
        it was found stale); the write checks the customer has not changed since."""
        if loaded.customer is None or "customer" in loaded.refresh:
            loaded.customer = customers.get(p.tenant, loaded.order.customer_id)
            loaded.write_context = True
        else:
            loaded.copies_used.add("customer")
        loaded.rely_on(orders.customer_unchanged(p.tenant, loaded.customer))
        return loaded.customer

    def _settings(self, p: Principal, loaded: Loaded) -> TenantSettings:
        if loaded.settings is None or "settings" in loaded.refresh:
            settings = tenants.get_settings(p.tenant)
            if settings is None:
                raise NotFoundError("tenant")
            loaded.settings = settings
            loaded.write_context = True
            self._customer(p, loaded)  # the copies are written together
        else:
            loaded.copies_used.add("settings")
        loaded.rely_on(orders.settings_unchanged(p.tenant, loaded.settings))
        return loaded.settings

    @staticmethod
    def _approval_limit(p: Principal, loaded: Loaded) -> Decimal | None:
        """The caller's approval limit, as the access token carries it; the write checks the user still
        has it (a limit changed since the token was issued makes the action read the user and retry)."""
        if p.limits_known and "user" not in loaded.refresh:
            limit = p.approval_limit
            loaded.copies_used.add("user")
        else:  # changed since, or a token from before the claim existed
            limit = users.get(p.tenant, p.user_id).approval_limit
        loaded.rely_on(orders.approval_limit_unchanged(p.tenant, p.user_id, limit))
        return limit

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
        from pynamodb.expressions.condition import Condition

        from chalicelib.storage import keys
        from chalicelib.storage.items import OrderItem

        if status is not None and status not in {s.value for s in S}:
            raise MalformedRequestError(f"'status' must be one of {', '.join(s.value for s in S)}.")
        for name, value in (("created_from", created_from), ("created_to", created_to)):
            if value is not None:
                try:
                    date.fromisoformat(value)
                except ValueError:
                    raise MalformedRequestError(f"'{name}' must be a date (YYYY-MM-DD).") from None
        t = p.tenant
        conditions: list[Condition] = []
        if p.is_staff:
            if customer_id:
                if not (p.has(P.ORDERS_READ_ALL) or self._rep_of(p, customer_id)):
                    raise NotFoundError("customer")
                index, partition = "gsi2", keys.orders_of_customer(t, customer_id)
            elif not p.has(P.ORDERS_READ_ALL):
                index, partition = "gsi4", keys.orders_of_rep(t, p.user_id)
            elif status:
                index, partition, status = "gsi1", keys.orders_by_status(t, status), None
            else:
                index, partition = "gsi3", keys.orders_of_tenant(t)
        elif customer_id is None and status == S.PENDING_APPROVAL.value and p.has(P.ORDERS_APPROVE):
            # What waits for this approver, their branches' orders included: the approval list of each
            # of their customers (one Query each), never the tenant's whole queue.
            return orders.list_approvals(
                t, p.customer_ids, limit=limit, cursor=cursor, created_from=created_from, created_to=created_to
            )
        else:
            cid = customer_id or (p.customer_ids[0] if p.customer_ids else "")
            if cid not in p.customer_ids:
                raise NotFoundError("customer")
            index, partition = "gsi2", keys.orders_of_customer(t, cid)
            if not p.has(P.ORDERS_VIEW_ORG):
                mine = OrderItem.created_by == p.user_id
                if p.has(P.ORDERS_PLACE):
                    mine = mine | ((OrderItem.source == "staff") & (OrderItem.status != S.DRAFT.value))
                if p.has(P.ORDERS_APPROVE):
                    mine = mine | (OrderItem.status == S.PENDING_APPROVAL.value)
                conditions.append(mine)
        if status:
            conditions.append(OrderItem.status == status)
        filter_condition: Condition | None = None
        for each in conditions:
            filter_condition = each if filter_condition is None else filter_condition & each
        return orders.list_page(
            index,
            partition,
            limit=limit,
            cursor=cursor,
            created_from=created_from,
            created_to=created_to,
            filter_condition=filter_condition,
        )

    # --- drafts -------------------------------------------------------------------------------------
    def create(
        self,
        p: Principal,
        data: dict[str, Any],
        lines_for: Callable[[Customer, list[Check] | None], list[dict[str, Any]]] | None = None,
        first_refs: Refs | None = None,
    ) -> Order:
        """A draft: one BatchGet (customer, settings, site, order counter, and the catalog's first keys when
        it has no copies for the lines), one transaction (with the checks of the catalog's copies). `lines_for`
        picks the lines once the customer is read (reorder); `first_refs`: that BatchGet, made by the caller."""
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
        walk = False
        fresh_catalog = False  # a catalog copy proved stale, or a refusal would have rested on one
        for attempt in range(ATTEMPTS):
            site_unread = False
            ahead: Prefetch | None = None
            if attempt == 0 and first_refs is not None and customer_id in first_refs.customers:
                # Read by the caller with what it read anyway (a reorder: with the source order), all but
                # the site, which the write checks instead.
                refs, site_unread = first_refs, site_id is not None and site_id not in first_refs.sites
            else:
                # One BatchGet: the customer, the settings, the site, the order counter, and what the catalog
                # will read first for the lines unless it has copies of it (their code guards, say).
                refs_of_lines = [_ref(line) for line in lines] if lines_for is None else []
                ahead = (
                    self._catalog.prefetch(t, customer_id, refs_of_lines, staff=p.is_staff, max_checks=MAX_CHECKS)
                    if refs_of_lines and not fresh_catalog
                    else None
                )
                refs = load_refs(
                    t,
                    customers=[customer_id],
                    settings=True,
                    order_counter=True,
                    sites=[site_id] if site_id else [],
                    extra=ahead.keys if ahead else (),
                )
                if ahead is not None:
                    ahead.found = refs.items
            customer = refs.customers.get(customer_id)
            if customer is None:
                raise NotFoundError("customer")
            if customer.status != "active":
                raise ConflictError("This customer account is inactive.", code="customer_inactive")
            settings = refs.settings
            if settings is None:
                raise NotFoundError("tenant")
            if site_id is not None and site_id not in refs.sites and not site_unread:
                raise NotFoundError("site")
            header = self._header_values(customer, settings, data, partial=False)
            path, checks = self._customer_path(t, customer, walk)
            if site_unread and site_id is not None:
                checks.append(orders.site_exists(t, site_id))
            relied = None if fresh_catalog else checks
            if lines_for is not None:
                lines = lines_for(customer, relied)
            last = refs.order_counter if refs.order_counter is not None else orders.counter_value(t)
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
            order.history.append(HistoryEntry(order.created_at, p.user_id, "create", None, S.DRAFT.value))
            if lines:
                offers, catalog_checks = self._priced(p, customer, [_ref(line) for line in lines], relied, ahead)
                try:
                    for i, (line, offer) in enumerate(zip(lines, offers, strict=True)):
                        self._check_offer(offer, Decimal(line["quantity"]), f"lines[{i}]")
                        assert offer is not None
                        order.add_line(
                            _line_from(offer, Decimal(line["quantity"]), line.get("requested_delivery_date")),
                            p.user_id,
                            record=False,  # the "create" entry covers them
                        )
                    order.check_limits()  # API.md's bounds on sums: a 422 here, not a failed save
                except OrderGateError:
                    if catalog_checks:
                        fresh_catalog = True  # never refuse on a copy: decide again on reads
                        continue
                    raise
                _merge(checks, catalog_checks)
            try:
                return orders.save(
                    t, None, order, customer.sales_rep_id, checks=checks, context=(customer, settings), number=number
                )
            except NumberTakenError:
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # noqa: S311 - jitter, not crypto
            except StaleError as exc:
                if exc.what == "catalog":
                    fresh_catalog = True
                else:
                    walk = True  # the customer's stored parents are out of date: read them level by level
        raise ConflictError("Orders are being created by others right now; try again.")

    @staticmethod
    def _customer_path(t: str, customer: Customer, walk: bool) -> tuple[list[str], list[Check]]:
        """The customer and its parents, nearest first (whose approvers may act on the order), from the
        parents stored with the customer, verified in the order's transaction; or read level by level."""
        if customer.parent_id is None:
            return [customer.id], []
        chain = customer.ancestor_ids
        if walk or not chain or chain[0] != customer.parent_id:
            return [customer.id, *customers.walk_ancestors(t, customer.parent_id, approver_lookup.MAX_DEPTH)], []
        return [customer.id, *chain], customers.path_checks(t, chain)

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

    def _offers(self, p: Principal, customer: Customer, refs: list[ProductRef]) -> list[Offer | None]:
        return self._catalog.offers(p.tenant, customer, refs, staff=p.is_staff)

    def _priced(
        self,
        p: Principal,
        customer: Customer,
        refs: list[ProductRef],
        relied: list[Check] | None,
        ahead: Prefetch | None = None,
    ) -> tuple[list[Offer | None], list[Check]]:
        """The catalog's answer from its checked copies, with the ConditionChecks the write must add, when
        it has them all and they fit in the write beside `relied`; else read (no checks), using what was
        read `ahead` for it."""
        if relied is not None:
            checks: list[Check] = []
            offers = self._catalog.offers(
                p.tenant, customer, refs, staff=p.is_staff, checks=checks, prefetched=ahead
            )  # read (using `ahead`) if the copies are not all there: then no checks
            if len({c.key for c in relied} | {c.key for c in checks}) <= MAX_CHECKS:
                return offers, checks
        return self._catalog.offers(p.tenant, customer, refs, staff=p.is_staff, prefetched=ahead), []

    def _offers_in(
        self, p: Principal, loaded: Loaded, customer: Customer, refs: list[ProductRef]
    ) -> list[Offer | None]:
        """Within an action: from the catalog's copies unless one proved stale; the write verifies them."""
        relied = None if "catalog" in loaded.refresh else loaded.checks
        offers, checks = self._priced(p, customer, refs, relied)
        if checks:
            loaded.copies_used.add("catalog")
            for check in checks:
                loaded.rely_on(check)
        return offers

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
        def change(loaded: Loaded) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            o.check(Action.EDIT)
            addresses = any(data.get(k) is not None for k in ("delivery_address_id", "billing_address_id"))
            methods = any(data.get(k) is not None for k in ("delivery_method", "payment_method"))
            customer = self._customer(p, loaded) if addresses else None
            settings = self._settings(p, loaded) if methods else None
            values = self._header_values(customer, settings, data, partial=True)
            if "site_id" in data:
                site_id = data["site_id"]
                if site_id is not None:
                    if not p.may_use_site(site_id):
                        raise NotFoundError("site")
                    loaded.rely_on(orders.site_exists(p.tenant, site_id))  # checked in the write
                values["site_id"] = site_id
            o.edit_header(p.user_id, values)

        return self._mutate(p, order_id, expected, _no_budget(change))

    def add_line(
        self,
        p: Principal,
        order_id: str,
        ref: ProductRef,
        quantity: Decimal,
        requested_delivery_date: date | None,
        expected: int | None,
    ) -> Order:
        def change(loaded: Loaded) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            o.check(Action.EDIT)
            customer = self._customer(p, loaded)
            [offer] = self._offers_in(p, loaded, customer, [ref])
            existing = next((line for line in o.lines if offer and line.product_id == offer.product_id), None)
            total = quantity + (existing.quantity if existing else Decimal(0))
            self._check_offer(offer, total, "quantity")
            assert offer is not None
            o.add_line(_line_from(offer, quantity, requested_delivery_date), p.user_id)
            # Re-price the line for its new quantity (tiers).
            line = next(line for line in o.lines if line.product_id == offer.product_id)
            line.unit_price = offer.unit_price(line.quantity)

        return self._mutate(p, order_id, expected, _no_budget(change))

    def change_line(
        self, p: Principal, order_id: str, line_id: str, data: dict[str, Any], expected: int | None
    ) -> Order:
        def change(loaded: Loaded) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            o.check(Action.EDIT)
            line = _line_or_404(o, line_id)
            changes: dict[str, Any] = {}
            if "requested_delivery_date" in data:
                changes["requested_delivery_date"] = data["requested_delivery_date"]
            if data.get("quantity") is not None:
                customer = self._customer(p, loaded)
                [offer] = self._offers_in(p, loaded, customer, [ProductRef(product_id=line.product_id)])
                self._check_offer(offer, data["quantity"], "quantity")
                assert offer is not None
                changes["quantity"] = data["quantity"]
                changes["unit_price"] = offer.unit_price(data["quantity"])
            o.change_line(line_id, p.user_id, **changes)

        return self._mutate(p, order_id, expected, _no_budget(change))

    def remove_line(self, p: Principal, order_id: str, line_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            _line_or_404(o, line_id)
            o.remove_line(line_id, p.user_id)

        return self._mutate(p, order_id, expected, _no_budget(change))

    def import_lines(self, p: Principal, order_id: str, text: str) -> ImportResult:
        rows = _parse_line_csv(text)
        result: dict[str, Any] = {}

        def change(loaded: Loaded) -> None:
            o = loaded.order
            self._forbid(self._may_edit(p, o), "edit")
            o.check(Action.EDIT)
            customer = self._customer(p, loaded)
            errors: list[dict[str, Any]] = []
            good = [(n, code, q) for n, code, q, err in rows if err is None]
            errors += [{"row": n, "code": code, "message": err} for n, code, _, err in rows if err is not None]
            # A code is a barcode or a sku: ask for both in one batch, barcode first.
            refs = [ProductRef(barcode=code) for _, code, _ in good] + [ProductRef(sku=code) for _, code, _ in good]
            offers = self._offers_in(p, loaded, customer, refs)
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

        order = self._mutate(p, order_id, None, _no_budget(change))
        return ImportResult(result["added"], result["errors"], order)

    # --- buyer side ---------------------------------------------------------------------------------
    def submit(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded) -> BudgetChange | None:
            o = loaded.order
            self._forbid(p.is_customer and self._may_edit(p, o), "submit")
            o.check(Action.SUBMIT)
            customer = self._customer(p, loaded)
            self._reprice(p, loaded, customer, o)
            total = o.totals.gross
            can_approve = self._approves(p, o)
            # The month's budget is not read: the write adds the order only if the month stays within
            # it (a condition on the counter); if it would not, the next attempt knows (over_budget).
            limit = None if can_approve or customer.monthly_budget is None else _cents(customer.monthly_budget)
            over_budget = loaded.over_budget or (limit is not None and _cents(total) > limit)
            need = needs_approval(
                submitter_can_approve=can_approve,
                policy=customer.approval_policy,
                total=total,
                approval_limit=self._approval_limit(p, loaded),
                over_budget=over_budget,
            )
            if need and not self._someone_approves(p, loaded):
                raise ConflictError(
                    "This order needs approval, but nobody in your organisation can approve orders.",
                    code="no_approver",
                )
            o.submit(p.user_id, need)
            if need:
                return None
            return BudgetChange(customer.id, _month(), _cents(total), limit)

        return self._mutate(p, order_id, expected, change)

    @staticmethod
    def _someone_approves(p: Principal, loaded: Loaded) -> bool:
        """Whether the order has an approver: from an approver this process found before, checked by the
        write, unless that proved stale; a "no" is always read (and refused on reads)."""
        checks: list[Check] | None = None if "approver" in loaded.refresh else []
        found = approver_lookup.anyone_approves(p.tenant, loaded.order.customer_path, checks=checks, besides=p.user_id)
        if checks:
            loaded.copies_used.add("approver")
            for check in checks:
                loaded.rely_on(check)
        return found

    def _reprice(self, p: Principal, loaded: Loaded, customer: Customer, o: Order) -> None:
        """Prices are frozen at submit: take the current effective price of every line once more."""
        offers = self._offers_in(p, loaded, customer, [ProductRef(product_id=line.product_id) for line in o.lines])
        problems = []
        for i, (line, offer) in enumerate(zip(o.lines, offers, strict=True)):
            if offer is None or not offer.orderable:
                problems.append({"field": f"lines[{i}]", "message": f"{line.sku} can no longer be ordered."})
                continue
            line.unit_price = offer.unit_price(line.quantity)
        if problems:
            raise ValidationFailedError("Some lines can no longer be ordered; remove them first.", details=problems)

    def approve(self, p: Principal, order_id: str, trims: list[dict[str, Any]], expected: int | None) -> Order:
        def change(loaded: Loaded) -> BudgetChange:
            o = loaded.order
            self._forbid(self._approves(p, o), "approve")
            o.approve(p.user_id, trims)
            return BudgetChange(o.customer_id, _month(), _cents(o.totals.gross))

        return self._mutate(p, order_id, expected, change)

    def reject(self, p: Principal, order_id: str, reason: str, expected: int | None) -> Order:
        def change(loaded: Loaded) -> None:
            o = loaded.order
            self._forbid(self._approves(p, o), "reject")
            o.reject(p.user_id, reason)

        return self._mutate(p, order_id, expected, _no_budget(change))

    def accept(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded) -> BudgetChange | None:
            o = loaded.order
            self._forbid(p.is_customer and p.has(P.ORDERS_PLACE), "accept")
            before = o.totals.gross
            proposed = o.proposed_totals().gross
            max_spent = None
            if not self._approves(p, o):
                customer = self._customer(p, loaded)
                committed = before if o.status in COMMITTED else Decimal(0)
                if customer.monthly_budget is not None:
                    # Within budget means: spent - committed + proposed <= budget. Checked by the write.
                    max_spent = _cents(customer.monthly_budget) - _cents(proposed) + _cents(committed)
                if needs_approval(
                    submitter_can_approve=False,
                    policy=customer.approval_policy,
                    total=proposed,
                    approval_limit=self._approval_limit(p, loaded),
                    over_budget=loaded.over_budget or (max_spent is not None and max_spent < 0),
                ):
                    raise ForbiddenError("The proposed total needs approval: an approver must accept it.")
            was_committed = o.history and any(h.to_status == S.SUBMITTED.value for h in o.history)
            o.accept(p.user_id)
            delta = o.totals.gross - (before if was_committed else Decimal(0))
            if delta or max_spent is not None:
                return BudgetChange(o.customer_id, _month(), _cents(delta), max_spent_cents=max_spent)
            return None

        return self._mutate(p, order_id, expected, change)

    def decline(self, p: Principal, order_id: str, reason: str, expected: int | None) -> Order:
        def change(loaded: Loaded) -> None:
            o = loaded.order
            self._forbid(p.is_customer and (p.has(P.ORDERS_PLACE) or self._approves(p, o)), "decline")
            o.decline(p.user_id, reason)

        return self._mutate(p, order_id, expected, _no_budget(change))

    def cancel(self, p: Principal, order_id: str, reason: str, expected: int | None) -> Order:
        def change(loaded: Loaded) -> BudgetChange | None:
            o = loaded.order
            allowed = o.created_by == p.user_id or self._approves(p, o) or (p.is_staff and p.has(P.ORDERS_REVIEW))
            self._forbid(allowed, "cancel")
            was_committed = o.status in COMMITTED
            o.cancel(p.user_id, reason)
            if was_committed:
                return BudgetChange(o.customer_id, _month(), -_cents(o.totals.gross))
            return None

        return self._mutate(p, order_id, expected, change)

    # --- supplier side ------------------------------------------------------------------------------
    def send(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded) -> None:
            self._forbid(p.is_staff and p.has(P.ORDERS_CREATE_ON_BEHALF), "send")
            loaded.order.send(p.user_id)

        return self._mutate(p, order_id, expected, _no_budget(change))

    def confirm(self, p: Principal, order_id: str, expected: int | None) -> Order:
        def change(loaded: Loaded) -> BudgetChange | None:
            o = loaded.order
            self._forbid(p.is_staff and p.has(P.ORDERS_REVIEW), "confirm")
            from_draft = o.status == S.DRAFT
            o.confirm(p.user_id)
            # A phone order confirmed straight from its draft now counts against the month's budget.
            return BudgetChange(o.customer_id, _month(), _cents(o.totals.gross)) if from_draft else None

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
        def change(loaded: Loaded) -> None:
            o = loaded.order
            self._forbid(p.is_staff and p.has(P.ORDERS_REVIEW), "propose changes to")
            o.check(Action.PROPOSE)
            for c in changes:
                _line_or_404(o, c["id"])
            added: list[Line] = []
            if add_lines:
                customer = self._customer(p, loaded)
                offers = self._offers_in(p, loaded, customer, [_ref(a) for a in add_lines])
                for i, (a, offer) in enumerate(zip(add_lines, offers, strict=True)):
                    if offer is None:
                        raise invalid_field(f"add_lines[{i}]", "No product matches this reference.")
                    price = a.get("unit_price") if a.get("unit_price") is not None else offer.unit_price(a["quantity"])
                    added.append(_line_from(offer, a["quantity"], None, price))
            o.propose(p.user_id, note, changes, added)

        return self._mutate(p, order_id, expected, _no_budget(change))

    # --- fulfilment ---------------------------------------------------------------------------------
    def ship(self, p: Principal, order_id: str, data: dict[str, Any]) -> tuple[Order, Document]:
        holder: dict[str, Document] = {}

        def change(loaded: Loaded) -> None:
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

        order = self._mutate(p, order_id, None, _no_budget(change))
        return order, holder["doc"]

    def invoice(self, p: Principal, order_id: str, data: dict[str, Any]) -> tuple[Order, Document]:
        holder: dict[str, Document] = {}

        def change(loaded: Loaded) -> None:
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

        order = self._mutate(p, order_id, None, _no_budget(change))
        return order, holder["doc"]

    def pay(self, p: Principal, order_id: str, data: dict[str, Any]) -> tuple[Order, Document]:
        holder: dict[str, Document] = {}

        def change(loaded: Loaded) -> None:
            self._forbid(p.is_staff and p.has(P.ORDERS_FULFIL), "record payments on")
            doc = new_document("payment", p.user_id, date=data["date"], number=data["reference"], amount=data["amount"])
            holder["doc"] = loaded.order.record_payment(p.user_id, doc)

        order = self._mutate(p, order_id, None, _no_budget(change))
        return order, holder["doc"]

    # --- messages and reorder -----------------------------------------------------------------------
    def post_message(self, p: Principal, order_id: str, body: str) -> Message:
        self._load(p, order_id)
        from chalicelib.domain.clock import now_iso
        from chalicelib.storage import keys

        msg_id = new_id()
        item = OrderMessageItem(
            keys.order_messages_pk(p.tenant, order_id),
            f"{keys.MESSAGE}{msg_id}",
            id=msg_id,
            order_id=order_id,
            author_id=p.user_id,
            author_kind=p.kind.value,
            body=body,
            created_at=now_iso(),
        )
        orders.add_message(p.tenant, order_id, item)
        return Message(item.id, item.author_id, item.author_kind, item.body, item.created_at)

    def messages(self, p: Principal, order_id: str, limit: int, cursor: str | None) -> Page[Message]:
        self._load(p, order_id)
        page = orders.list_messages(p.tenant, order_id, limit, cursor)
        return page.map(lambda m: Message(m.id, m.author_id, m.author_kind, m.body, m.created_at))

    def reorder(self, p: Principal, order_id: str) -> tuple[Order, list[dict[str, str]]]:
        t = p.tenant
        first: Refs | None = None
        found: Loaded | None = None
        if p.is_customer and 0 < len(p.customer_ids) <= REORDER_CUSTOMERS and order_id:
            # The source by key (header, copies, its line pages) in the create's BatchGet, with the
            # caller's customers (the source's is one of them, unless they see it as an approver only).
            first = load_refs(
                t, customers=p.customer_ids, settings=True, order_counter=True, extra=orders.source_keys(t, order_id)
            )
            found = orders.from_source_items(t, order_id, first.items)
            if found is not None and not self._sees(p, found):
                raise NotFoundError("order")
        source = found.order if found is not None else self._load(p, order_id).order  # else: a Query
        skipped: list[dict[str, str]] = []

        def lines_for(customer: Customer, relied: list[Check] | None) -> list[dict[str, Any]]:
            """The source's lines this customer can still order as they were. A line skipped on a copy of
            the catalog is skipped on a checked one: its checks join the write's (`relied`)."""
            refs = [ProductRef(product_id=line.product_id) for line in source.lines]
            offers, checks = self._priced(p, customer, refs, relied)
            if relied is not None:
                _merge(relied, checks)
            keep: list[dict[str, Any]] = []
            skipped.clear()
            for line, offer in zip(source.lines, offers, strict=True):
                problem = None
                if offer is None:
                    problem = "The product can no longer be ordered."
                elif not offer.orderable:
                    problem = offer.reason or "The product can no longer be ordered."
                else:
                    problem = offer.quantity_problem(line.quantity)
                if problem:
                    skipped.append({"sku": line.sku, "reason": problem})
                else:
                    keep.append({"product_id": line.product_id, "quantity": line.quantity})
            return keep

        data: dict[str, Any] = {
            "customer_id": source.customer_id,
            "site_id": source.site_id if p.may_use_site(source.site_id or "") else None,
            "notes": f"Reorder of {source.number}",
        }
        return self.create(p, data, lines_for=lines_for, first_refs=first), skipped


# --- helpers ----------------------------------------------------------------------------------------
def _no_budget(fn: Callable[[Loaded], None]) -> Callable[[Loaded], BudgetChange | None]:
    def wrapped(loaded: Loaded) -> BudgetChange | None:
        fn(loaded)
        return None

    return wrapped


def _merge(into: list[Check], more: list[Check]) -> None:
    """Add checks not there yet: a transaction may not touch one item twice."""
    have = {c.key for c in into}
    for check in more:
        if check.key not in have:
            have.add(check.key)
            into.append(check)


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


def _cents(amount: Decimal | None) -> int:
    return int((amount or Decimal(0)) * 100)


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
