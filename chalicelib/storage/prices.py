"""Price lists (header in the tenant partition, one entry item per product in the list's own
partition) and customer-specific prices (one entry item per product in the customer's partition).

Pricing reads entries for a page of products with one BatchGetItem per level. Replacing a list's
entries writes only the entries that changed, with BatchWriteItem: a replace is idempotent, so a
PUT interrupted half-way is repaired by sending it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pynamodb.exceptions import PutError

from chalicelib.domain.errors import NotFoundError, VersionMismatchError
from chalicelib.domain.pricing import PriceEntry, PriceList
from chalicelib.storage import keys
from chalicelib.storage.items import PriceEntryItem, PriceListItem
from chalicelib.storage.mapping import item_values
from chalicelib.storage.paging import Page, prefix_page
from chalicelib.storage.products import tiers_from_json, tiers_json
from chalicelib.storage.table import is_condition_failure


# --- price list headers -----------------------------------------------------------------------
def _to_list(item: PriceListItem) -> PriceList:
    return item_values(item, PriceList)


def get_list(tenant: str, list_id: str) -> PriceList:
    try:
        return _to_list(PriceListItem.get(*keys.price_list(tenant, list_id)))
    except PriceListItem.DoesNotExist as exc:
        raise NotFoundError("price list") from exc


def find_list(tenant: str, list_id: str) -> PriceList | None:
    try:
        return get_list(tenant, list_id)
    except NotFoundError:
        return None


def list_page(tenant: str, limit: int, cursor: str | None) -> Page[PriceList]:
    return prefix_page(PriceListItem, keys.tenant_pk(tenant), keys.PRICE_LIST, limit, cursor, _to_list)


def save_list(tenant: str, before: PriceList | None, after: PriceList) -> PriceList:
    """Create (`before` None) or update a header, conditional on the version the caller read."""
    item = PriceListItem(*keys.price_list(tenant, after.id), id=after.id, name=after.name, currency=after.currency)
    if before is not None:
        item.version = before.version
    try:
        item.save()
    except PutError as exc:
        if is_condition_failure(exc):
            raise VersionMismatchError() from exc
        raise
    return _to_list(item)


# --- entries ----------------------------------------------------------------------------------
def _to_entry(item: PriceEntryItem) -> PriceEntry:
    return PriceEntry(item.product_id, Decimal(item.price), tiers_from_json(item.tiers))


def _entry_item(pk: str, e: PriceEntry) -> PriceEntryItem:
    item = PriceEntryItem(pk, f"{keys.PRICE_ENTRY}{e.product_id}", product_id=e.product_id, price=f"{e.price:.2f}")
    item.tiers = tiers_json(sorted(e.tiers, key=lambda t: t.min_quantity))
    item.version = 1
    return item


def _all_entries(pk: str) -> list[PriceEntry]:
    return [_to_entry(i) for i in PriceEntryItem.query(pk, PriceEntryItem.sk.startswith(keys.PRICE_ENTRY))]


def _entries_for(pk: str, product_ids: Iterable[str]) -> dict[str, PriceEntry]:
    wanted = [(pk, f"{keys.PRICE_ENTRY}{p}") for p in dict.fromkeys(product_ids)]
    return {i.product_id: _to_entry(i) for i in PriceEntryItem.batch_get(wanted)} if wanted else {}


def _replace(pk: str, entries: list[PriceEntry]) -> None:
    current = {e.product_id: e for e in _all_entries(pk)}
    wanted = {e.product_id: e for e in entries}
    with PriceEntryItem.batch_write() as batch:
        for pid, entry in wanted.items():
            old = current.get(pid)
            if old is None or old.rule != entry.rule:
                batch.save(_entry_item(pk, entry))
        for pid in current.keys() - wanted.keys():
            batch.delete(PriceEntryItem(pk, f"{keys.PRICE_ENTRY}{pid}"))


def list_entries(tenant: str, list_id: str) -> list[PriceEntry]:
    return _all_entries(keys.price_list_entries_pk(tenant, list_id))


def list_entries_for(tenant: str, list_id: str, product_ids: Iterable[str]) -> dict[str, PriceEntry]:
    return _entries_for(keys.price_list_entries_pk(tenant, list_id), product_ids)


def replace_list_entries(tenant: str, list_id: str, entries: list[PriceEntry]) -> None:
    _replace(keys.price_list_entries_pk(tenant, list_id), entries)


def customer_entries(tenant: str, customer_id: str) -> list[PriceEntry]:
    return _all_entries(keys.customer_prices_pk(tenant, customer_id))


def customer_entries_for(tenant: str, customer_id: str, product_ids: Iterable[str]) -> dict[str, PriceEntry]:
    return _entries_for(keys.customer_prices_pk(tenant, customer_id), product_ids)


def replace_customer_entries(tenant: str, customer_id: str, entries: list[PriceEntry]) -> None:
    _replace(keys.customer_prices_pk(tenant, customer_id), entries)
