"""Price lists (header in the tenant partition, a copy of it and one entry item per product in the
list's own partition) and customer-specific prices (one entry item per product in the customer's
partition).

The entries are the truth. Orders and catalog pages price from the same items: a customer's own entries
and each product's list-prices copy (services/catalog_offers.py, services/catalog.py), so what the
page shows is what an order is priced at, even while a large list write is only partly out.
Two copies serve the catalog's reads, each written in the same transaction as what it copies:
- the list's partition holds a copy of its header (keys.price_list_copy), so one Query of the partition
  gives a list's header and entries together (GET and PUT /price-lists/{id});
- each product has a ListPricesItem (keys.list_prices) with its entry in every list, so a catalog page
  gets a customer's list prices in the BatchGet that reads the customer, before the customer's
  price_list_id is known (a list write sets or removes its own key in it with an UpdateItem).

Replacing entries writes only the entries that changed. Up to MAX_TX_ITEMS items (the changes and
their by-product copies, the headers and the checks the caller verifies in the write: the owner exists,
the products exist, the tenant's currency) it is one TransactWriteItems: all or nothing. Beyond, the
caller checks by reading first, the header goes in a transaction, the copies in transactions of
updates and the entries with BatchWriteItem: a replace is idempotent, so a PUT interrupted half-way is
repaired by sending it again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.errors import ConflictError
from chalicelib.domain.pricing import PriceEntry, PriceList
from chalicelib.retry import attempts
from chalicelib.storage import keys
from chalicelib.storage.items import (
    BaseItem,
    CustomerItem,
    ListPricesItem,
    PriceEntryItem,
    PriceListItem,
    ProductItem,
    TenantItem,
)
from chalicelib.storage.mapping import item_values
from chalicelib.storage.paging import Page, prefix_page
from chalicelib.storage.products import LabelledTx, tiers_from_json, tiers_json

MAX_TX_ITEMS = 100  # DynamoDB's limit of items in one TransactWriteItems
TX_RETRIES = 3  # TransactionConflict is retried


# --- price list headers -----------------------------------------------------------------------
def _to_list(item: PriceListItem) -> PriceList:
    return item_values(item, PriceList)


def list_page(tenant: str, limit: int, cursor: str | None) -> Page[PriceList]:
    return prefix_page(PriceListItem, keys.tenant_pk(tenant), keys.PRICE_LIST, limit, cursor, _to_list)


# --- entries ----------------------------------------------------------------------------------
def _to_entry(item: PriceEntryItem) -> PriceEntry:
    return PriceEntry(item.product_id, Decimal(item.price), tiers_from_json(item.tiers))


def _entry_item(pk: str, e: PriceEntry, *, batch: bool = True) -> PriceEntryItem:
    """`batch`: for BatchWriteItem, which writes the version as given (a transaction's put adds 1)."""
    item = PriceEntryItem(pk, f"{keys.PRICE_ENTRY}{e.product_id}", product_id=e.product_id, price=f"{e.price:.2f}")
    item.tiers = tiers_json(sorted(e.tiers, key=lambda t: t.min_quantity))
    if batch:
        item.version = 1
    return item


def _all_entries(pk: str) -> list[PriceEntry]:
    return [_to_entry(i) for i in PriceEntryItem.query(pk, PriceEntryItem.sk.startswith(keys.PRICE_ENTRY))]


def list_entries(tenant: str, list_id: str) -> list[PriceEntry]:
    return _all_entries(keys.price_list_entries_pk(tenant, list_id))


def customer_entries(tenant: str, customer_id: str) -> list[PriceEntry]:
    return _all_entries(keys.customer_prices_pk(tenant, customer_id))


# --- replacing entries in one transaction -------------------------------------------------------
@dataclass(frozen=True)
class Verify:
    """A condition on another item that a write of entries relies on, checked in its transaction
    (a ConditionCheck): `label` names it when it fails."""

    label: str
    model: type[BaseItem]
    key: tuple[str, str]
    condition: Any


def product_exists(tenant: str, product_id: str, label: str) -> Verify:
    return Verify(label, ProductItem, keys.product(tenant, product_id), ProductItem.pk.exists())


def customer_exists(tenant: str, customer_id: str) -> Verify:
    return Verify("customer", CustomerItem, keys.customer(tenant, customer_id), CustomerItem.pk.exists())


def currency_still(tenant: str, currency: str) -> Verify:
    """The tenant's currency is still the list's."""
    return Verify("settings", TenantItem, keys.tenant_settings(tenant), TenantItem.currency == currency)


class RefusedError(Exception):
    """A Verify (or the header's version) failed: `failed` holds their labels ("header" for the version)."""

    def __init__(self, failed: set[str]) -> None:
        super().__init__(", ".join(sorted(failed)))
        self.failed = failed


def stored(entries: Iterable[PriceEntry]) -> list[PriceEntry]:
    """Entries as reading them back would give them: stored form (2-place prices, sorted tiers), in
    product id order (the partition's sort key)."""
    return sorted((_to_entry(_entry_item("", e)) for e in entries), key=lambda e: e.product_id)


def changes(current: Iterable[PriceEntry], wanted: Iterable[PriceEntry]) -> tuple[list[PriceEntry], list[str]]:
    """What replacing `current` by `wanted` writes: the entries to put (new or changed) and the product
    ids whose entries go."""
    now = {e.product_id: e for e in current}
    after = {e.product_id: e for e in wanted}
    puts = [e for pid, e in after.items() if pid not in now or now[pid].rule != e.rule]
    return puts, sorted(now.keys() - after.keys())


def fits_one_transaction(verifies: int, puts: int, deletes: int, headers: int = 0) -> bool:
    return verifies + puts + deletes + headers <= MAX_TX_ITEMS


HeaderPut = tuple[PriceListItem, Any, bool]  # item, extra condition, versioned


def _header_puts(tenant: str, before: PriceList | None, after: PriceList) -> list[HeaderPut]:
    """The header and its copy, both written with the version `before` + 1 and conditional on it."""
    out: list[HeaderPut] = []
    for key in (keys.price_list(tenant, after.id), keys.price_list_copy(tenant, after.id)):
        item = PriceListItem(*key, id=after.id, name=after.name, currency=after.currency)
        if before is not None:
            item.version = before.version
        out.append((item, None, True))
    return out


@dataclass(frozen=True)
class ByProduct:
    """The price list whose entries are copied, by product, into each product's ListPricesItem
    (keys.list_prices) in the same writes: a SET or REMOVE of the list's key, conditional on the item
    existing (it is created with its product)."""

    tenant: str
    list_id: str


def rule_json(e: PriceEntry) -> str:
    """An entry's price and tiers as stored in a ListPricesItem."""
    tiers = tiers_json(sorted(e.tiers, key=lambda t: t.min_quantity))
    return json.dumps({"price": f"{e.price:.2f}", "tiers": tiers}, separators=(",", ":"))


def entry_from_json(product_id: str, raw: str) -> PriceEntry:
    data = json.loads(raw)
    return PriceEntry(product_id, Decimal(data["price"]), tiers_from_json(data["tiers"]))


def _by_product_updates(
    by_product: ByProduct | None, puts: Sequence[PriceEntry], deletes: Sequence[str]
) -> list[tuple[str, ListPricesItem, list[Any]]]:
    if by_product is None:
        return []
    path: Any = ListPricesItem.lists[by_product.list_id]  # a document path (the stubs type it as the value)
    changes = [(e.product_id, path.set(rule_json(e))) for e in puts] + [(p, path.remove()) for p in deletes]
    return [
        (f"by-product:{pid}", ListPricesItem(*keys.list_prices(by_product.tenant, pid)), [action])
        for pid, action in changes
    ]


def write_entries(
    pk: str,
    puts: Sequence[PriceEntry],
    deletes: Sequence[str],
    verifies: Sequence[Verify] = (),
    headers: Sequence[HeaderPut] = (),
    by_product: ByProduct | None = None,
) -> None:
    """Apply the changes to partition `pk` (and to the by-product copies), with `verifies` and `headers`
    (versioned puts, label "header") in the same transaction when everything fits in one; else the
    verifies and headers in a transaction first (the caller has checked by reading), the by-product
    copies in transactions of updates, then the entries with BatchWriteItem (an interrupted write leaves
    entries that differ from the request, which a repeated PUT finds and rewrites with their copies)."""
    copies = len(puts) + len(deletes) if by_product else 0
    if fits_one_transaction(len(verifies), len(puts) + copies, len(deletes), len(headers)):
        _transact(pk, puts, deletes, verifies, headers, by_product)
        return
    if verifies or headers:
        _transact(pk, [], [], verifies, headers)
    if by_product is not None:
        step = MAX_TX_ITEMS
        for i in range(0, len(puts), step):
            _transact(pk, [], [], [], [], by_product, copy_only=(puts[i : i + step], []))
        for i in range(0, len(deletes), step):
            _transact(pk, [], [], [], [], by_product, copy_only=([], deletes[i : i + step]))
    with PriceEntryItem.batch_write() as batch:
        for e in puts:
            batch.save(_entry_item(pk, e))
        for pid in deletes:
            batch.delete(PriceEntryItem(pk, f"{keys.PRICE_ENTRY}{pid}"))


def _transact(
    pk: str,
    puts: Sequence[PriceEntry],
    deletes: Sequence[str],
    verifies: Sequence[Verify],
    headers: Sequence[HeaderPut],
    by_product: ByProduct | None = None,
    copy_only: tuple[Sequence[PriceEntry], Sequence[str]] | None = None,
) -> None:
    """One transaction; `copy_only`: just these changes' by-product copies."""
    copy_puts, copy_deletes = copy_only if copy_only is not None else (puts, deletes)
    for attempt in attempts(TX_RETRIES, pause=0.05):
        tx = LabelledTx()
        for v in verifies:
            tx.check(v.label, v.model, v.key, v.condition)
        for pid in deletes:
            tx.delete("entry", PriceEntryItem(pk, f"{keys.PRICE_ENTRY}{pid}"))
        for header, condition, versioned in headers:
            tx.put("header", header, condition, versioned=versioned)
        for e in puts:
            # Written as version 1, unconditionally: the header's version (or the owner's check) orders writers.
            tx.put("entry", _entry_item(pk, e, batch=False), versioned=False)
        for label, item, actions in _by_product_updates(by_product, copy_puts, copy_deletes):
            tx.update(label, item, actions, ListPricesItem.lists.exists())
        if not len(tx):
            return
        try:
            tx.run()
            return
        except TransactWriteError as exc:
            failed, conflict = tx.failed(exc)
            if failed:
                raise RefusedError(failed) from exc
            if conflict and attempt + 1 < TX_RETRIES:
                continue
            if conflict:
                raise ConflictError("The prices are being changed by someone else; try again.") from exc
            raise


# --- price lists: header and entries together ---------------------------------------------------
@dataclass
class ListState:
    header: PriceList
    entries: list[PriceEntry]


def list_state(tenant: str, list_id: str) -> ListState | None:
    """Header (its copy, kept in the partition) and entries from one Query of the list's partition (its
    pages: ~1 MB each)."""
    pk = keys.price_list_entries_pk(tenant, list_id)
    header: PriceList | None = None
    entries: list[PriceEntry] = []
    for item in BaseItem.query(pk):
        if isinstance(item, PriceListItem):
            header = _to_list(item)
        elif isinstance(item, PriceEntryItem):
            entries.append(_to_entry(item))
    return ListState(header, entries) if header is not None else None


def write_list(
    tenant: str,
    before: ListState | None,
    after: PriceList,
    puts: Sequence[PriceEntry],
    deletes: Sequence[str],
    verifies: Sequence[Verify] = (),
) -> PriceList:
    """Create (`before` None) or replace a list: header and its copy conditional on the version read,
    the entries' changes, `verifies`; see write_entries. Raises RefusedError ("header": it moved)."""
    headers = _header_puts(tenant, before.header if before else None, after)
    pk = keys.price_list_entries_pk(tenant, after.id)
    write_entries(pk, puts, deletes, verifies, headers, ByProduct(tenant, after.id))
    return PriceList(after.id, after.name, after.currency, (before.header.version if before else 0) + 1)
