"""Customer accounts, their unique numbers, and the sales-rep index."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.errors import DuplicateError, ParentsMovedError, VersionMismatchError
from chalicelib.domain.model import Address, Customer
from chalicelib.storage import keys, members
from chalicelib.storage.items import CustomerItem, UniqueItem
from chalicelib.storage.mapping import dec, dec_str, item_values
from chalicelib.storage.paging import Page, decode_cursor, page_from, prefix_page
from chalicelib.storage.table import Check, add_checks, cancellation_codes, failed_check, get_item, transaction


def _item(tenant: str, c: Customer) -> CustomerItem:
    pk, sk = keys.customer(tenant, c.id)
    item = CustomerItem(
        pk,
        sk,
        id=c.id,
        number=c.number,
        name=c.name,
        parent_id=c.parent_id,
        sales_rep_id=c.sales_rep_id,
        price_list_id=c.price_list_id,
        payment_terms=c.payment_terms,
        approval_policy=c.approval_policy,
        monthly_budget=dec_str(c.monthly_budget),
        credit_limit=dec_str(c.credit_limit),
        status=c.status,
        addresses=[dataclasses.asdict(a) for a in c.addresses],
        ancestor_ids=list(c.ancestor_ids) if c.ancestor_ids is not None else None,
    )
    if c.sales_rep_id:
        item.gsi1pk = keys.customers_of_rep(tenant, c.sales_rep_id)
        item.gsi1sk = sk
    if c.version:
        item.version = c.version
    return item


def _to_domain(item: CustomerItem) -> Customer:
    return item_values(
        item,
        Customer,
        monthly_budget=dec(item.monthly_budget),
        credit_limit=dec(item.credit_limit),
        payment_terms=int(item.payment_terms) if item.payment_terms is not None else None,
        addresses=[Address(**a) for a in item.addresses or []],
        ancestor_ids=list(item.ancestor_ids) if item.ancestor_ids is not None else None,
    )


def path_checks(tenant: str, chain: list[str]) -> list[Check]:
    """Conditions that hold while `chain` (nearest first) is still the line of parents above a
    customer whose parent is chain[0]: each one's parent is the next, the last has none. A write that
    relied on the stored `ancestor_ids` adds these, so a concurrent re-parenting (or a copy gone stale)
    makes it fail with ParentsMovedError instead of saving a wrong path."""
    checks = []
    for i, customer_id in enumerate(chain):
        above = chain[i + 1] if i + 1 < len(chain) else None
        condition = CustomerItem.pk.exists() & (
            CustomerItem.parent_id == above if above else CustomerItem.parent_id.does_not_exist()
        )
        checks.append(Check(CustomerItem, keys.customer(tenant, customer_id), condition, ParentsMovedError))
    return checks


def walk_ancestors(tenant: str, parent_id: str | None, limit: int) -> list[str]:
    """The line of parents from `parent_id` up, read one GetItem per level (when the stored copy
    cannot be used). Stops after `limit` levels or at a loop."""
    chain: list[str] = []
    current = parent_id
    while current and current not in chain and len(chain) < limit:
        chain.append(current)
        current = get(tenant, current).parent_id
    return chain


def get(tenant: str, customer_id: str) -> Customer:
    return _to_domain(get_item(CustomerItem, keys.customer(tenant, customer_id), "customer"))


def get_many(tenant: str, customer_ids: list[str] | tuple[str, ...]) -> list[Customer]:
    """One BatchGetItem; order follows `customer_ids`, missing ids are left out."""
    if not customer_ids:
        return []
    found = {
        i.id: _to_domain(i)
        for i in CustomerItem.batch_get([keys.customer(tenant, c) for c in dict.fromkeys(customer_ids)])
    }
    return [found[c] for c in customer_ids if c in found]


def list_page(tenant: str, limit: int, cursor: str | None, sales_rep_id: str | None = None) -> Page[Customer]:
    result: Any
    if sales_rep_id:
        gpk = keys.customers_of_rep(tenant, sales_rep_id)
        result = CustomerItem.gsi1.query(
            gpk,
            limit=limit,
            page_size=limit,
            last_evaluated_key=decode_cursor(cursor, partition_attr="gsi1pk", partition_value=gpk),
        )
        return page_from((_to_domain(i) for i in result), lambda: result.last_evaluated_key)
    return prefix_page(CustomerItem, keys.tenant_pk(tenant), keys.CUSTOMER, limit, cursor, _to_domain)


def create(tenant: str, c: Customer, parents: Sequence[str] = ()) -> Customer:
    """`parents`: the line of parents the customer's `ancestor_ids` were taken from, checked to still hold
    (ParentsMovedError)."""
    checks = path_checks(tenant, list(parents)) if parents else []
    item = _item(tenant, c)
    try:
        with transaction() as tx:
            tx.save(item)
            tx.save(UniqueItem(*keys.customer_number_guard(tenant, c.number), owner_id=c.id))
            tx.save(members.new_record(tenant, c.id))  # empty: its users' writes set their own keys
            add_checks(tx, checks)
    except TransactWriteError as exc:
        failed = failed_check(exc, checks)
        if failed is not None:
            raise failed.fails_with() from exc
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            raise DuplicateError(f"A customer with number '{c.number}' already exists.") from exc
        raise
    return _to_domain(item)  # the transaction set the version on `item`: no read back


def update(tenant: str, before: Customer, after: Customer, parents: Sequence[str] = ()) -> Customer:
    """As `create`: `parents` are checked to still hold when the customer's line of parents was set."""
    checks = path_checks(tenant, list(parents)) if parents else []
    item = _item(tenant, after)
    item.version = before.version
    renumbered = before.number.lower() != after.number.lower()
    try:
        with transaction() as tx:
            tx.save(item)
            if renumbered:
                old = UniqueItem(*keys.customer_number_guard(tenant, before.number))
                tx.delete(old, condition=UniqueItem.owner_id == before.id, add_version_condition=False)
                tx.save(UniqueItem(*keys.customer_number_guard(tenant, after.number), owner_id=after.id))
            add_checks(tx, checks)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        # PynamoDB sends checks, then deletes, then puts: the customer's own put comes after those.
        customer_at = len(checks) + (1 if renumbered else 0)
        if len(codes) > customer_at and codes[customer_at] == "ConditionalCheckFailed":
            raise VersionMismatchError() from exc
        failed = failed_check(exc, checks)
        if failed is not None:
            raise failed.fails_with() from exc
        if "ConditionalCheckFailed" in codes:
            raise DuplicateError(f"A customer with number '{after.number}' already exists.") from exc
        raise
    return _to_domain(item)  # the transaction set the new version on `item`: no read back
