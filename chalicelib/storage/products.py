"""Products, their uniqueness guards and search index, and the catalog lease (groups: product_groups.py).

Uniqueness. A product is written with a guard item per value that must be unique in the tenant
(`T#{t}#PSKU/{sku}`, `T#{t}#PBARCODE/{barcode}`), in one transaction with conditional puts, so two
concurrent requests can never both take a sku or a barcode. Search term items ride in the same
transaction, so the index never disagrees with the product.

Bulk import. DynamoDB transactions hold at most 100 items, and BatchWriteItem cannot be conditional.
A CSV import therefore first takes the tenant's *catalog lease* (one conditional put), and every
single-product write checks in its own transaction that no lease is held. While the import holds
the lease nothing else can write a product or a guard of that tenant, so the import validates
against a catalog that cannot change under it and then writes with BatchWriteItem (25 items a call)
without losing uniqueness. A crashed import's lease lapses after LEASE_SECONDS; re-running the same
file converges, because rows are matched to products by sku and guards are written first.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from pynamodb.constants import ITEM
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import Product, num_str, search_terms
from chalicelib.domain.errors import ConflictError, DuplicateError, VersionMismatchError
from chalicelib.domain.pricing import Tier
from chalicelib.retry import attempts
from chalicelib.storage import keys
from chalicelib.storage.items import (
    BaseItem,
    CatalogLeaseItem,
    ListPricesItem,
    ProductItem,
    SearchTermItem,
    UniqueItem,
)
from chalicelib.storage.mapping import item_values
from chalicelib.storage.paging import Page, decode_cursor, page_from
from chalicelib.storage.table import (
    cancellation_codes,
    get_item,
    is_condition_failure,
    is_transaction_conflict,
    transaction,
)

LEASE_SECONDS = 120  # longer than any Lambda behind API Gateway (29 s) can run an import
TX_RETRIES = 3  # TransactionConflict (another transaction on the lease item) is retried


class ImportInProgressError(ConflictError):
    code = "import_in_progress"

    def __init__(self) -> None:
        super().__init__("A product import is running for this catalog; try again shortly.")


# --- decimals ---------------------------------------------------------------------------------
def tiers_json(tiers: Iterable[Tier]) -> list[dict[str, str]]:
    return [{"min_quantity": num_str(t.min_quantity), "price": f"{t.price:.2f}"} for t in tiers]


def tiers_from_json(raw: Iterable[dict[str, str]] | None) -> list[Tier]:
    return [Tier(Decimal(t["min_quantity"]), Decimal(t["price"])) for t in raw or []]


# --- products: mapping ------------------------------------------------------------------------
def _product_item(tenant: str, p: Product) -> ProductItem:
    item = ProductItem(
        *keys.product(tenant, p.id),
        id=p.id,
        sku=p.sku,
        name=p.name,
        description=p.description,
        barcodes=list(p.barcodes),
        group_id=p.group_id,
        unit=p.unit,
        min_quantity=num_str(p.min_quantity),
        order_multiple=num_str(p.order_multiple),
        base_price=f"{p.base_price:.2f}",
        base_tiers=tiers_json(p.base_tiers),
        tax_rate=num_str(p.tax_rate),
        portal=p.portal,
        status=p.status,
        stock={site: num_str(q) for site, q in sorted(p.stock.items())},
    )
    if p.group_id:
        item.gsi1pk = keys.products_of_group(tenant, p.group_id)
        item.gsi1sk = keys.sku_key(p.sku)
    return item


def _to_product(item: ProductItem) -> Product:
    return item_values(
        item,
        Product,
        barcodes=list(item.barcodes or []),
        min_quantity=Decimal(item.min_quantity),
        order_multiple=Decimal(item.order_multiple),
        base_price=Decimal(item.base_price),
        base_tiers=tiers_from_json(item.base_tiers),
        tax_rate=Decimal(item.tax_rate),
        portal=bool(item.portal),
        stock={site: Decimal(q) for site, q in (item.stock or {}).items()},
    )


def _term_items(tenant: str, product_id: str, terms: Iterable[str]) -> list[SearchTermItem]:
    return [SearchTermItem(*keys.search_term(tenant, t, product_id), product_id=product_id) for t in sorted(terms)]


# --- products: reads --------------------------------------------------------------------------
def get(tenant: str, product_id: str) -> Product:
    return _to_product(get_item(ProductItem, keys.product(tenant, product_id), "product"))


def get_many(tenant: str, product_ids: Iterable[str]) -> list[Product]:
    """BatchGetItem (PynamoDB splits it into calls of 100); order follows `product_ids`."""
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return []
    found = {i.id: _to_product(i) for i in ProductItem.batch_get([keys.product(tenant, p) for p in ids])}
    return [found[p] for p in ids if p in found]


def list_page(tenant: str, limit: int, cursor: str | None) -> Page[Product]:
    pk = keys.products_pk(tenant)
    result = ProductItem.query(
        pk,
        ProductItem.sk.startswith(keys.PRODUCT),
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, partition_attr="pk", partition_value=pk),
    )
    return page_from((_to_product(i) for i in result), lambda: result.last_evaluated_key)


def iterate_all(tenant: str) -> Iterator[Product]:
    """Every product of the tenant, page by page (CSV export)."""
    for item in ProductItem.query(keys.products_pk(tenant), ProductItem.sk.startswith(keys.PRODUCT)):
        yield _to_product(item)


def list_group_page(tenant: str, group_id: str, limit: int, cursor: str | None) -> Page[Product]:
    gpk = keys.products_of_group(tenant, group_id)
    result = ProductItem.gsi1.query(
        gpk,
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, partition_attr="gsi1pk", partition_value=gpk),
    )
    return page_from((_to_product(i) for i in result if isinstance(i, ProductItem)), lambda: result.last_evaluated_key)


def sku_prefix_ids(tenant: str, prefix: str, limit: int, cursor: str | None) -> Page[str]:
    """Ids of the products whose sku starts with `prefix`, in sku order: one Query on the sku guards."""
    pk = keys.sku_guards_pk(tenant)
    guards = UniqueItem.query(
        pk,
        UniqueItem.sk.startswith(keys.sku_key(prefix)),
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, partition_attr="pk", partition_value=pk),
    )
    return page_from((g.owner_id for g in guards), lambda: guards.last_evaluated_key)


def search_entries(tenant: str, prefix: str, limit: int, cursor: str | None) -> Page[tuple[str, str]]:
    """Term index entries starting with `prefix` (normalized, non-empty) as (term, product id): one
    Query. A product has one entry per matching term; the service keeps one of them (domain.catalog)."""
    pk = keys.search_terms_pk(tenant, prefix)
    result = SearchTermItem.query(
        pk,
        SearchTermItem.sk.startswith(prefix),
        limit=limit,
        page_size=limit,
        last_evaluated_key=decode_cursor(cursor, partition_attr="pk", partition_value=pk),
    )
    return page_from(((i.sk.rsplit("#", 1)[0], i.product_id) for i in result), lambda: result.last_evaluated_key)


def sku_owners(tenant: str, skus: Iterable[str]) -> dict[str, str]:
    """sku key → product id, for many skus (BatchGetItem on the guards)."""
    wanted = [keys.sku_guard(tenant, s) for s in dict.fromkeys(keys.sku_key(s) for s in skus)]
    return {g.sk: g.owner_id for g in UniqueItem.batch_get(wanted)} if wanted else {}


def barcode_owners(tenant: str, barcodes: Iterable[str]) -> dict[str, str]:
    """barcode key → product id, for many barcodes (BatchGetItem on the guards)."""
    wanted = [keys.barcode_guard(tenant, b) for b in dict.fromkeys(b.lower() for b in barcodes)]
    return {g.sk: g.owner_id for g in UniqueItem.batch_get(wanted)} if wanted else {}


# --- products: single writes ------------------------------------------------------------------
def _lease_free() -> Any:
    now = int(time.time())
    return CatalogLeaseItem.lease_until.does_not_exist() | (CatalogLeaseItem.lease_until < now)


class LabelledTx:
    """Labels for a transaction's items in the order PynamoDB sends them (condition checks, deletes,
    puts, updates), so a cancellation reason can be traced to the item that caused it."""

    def __init__(self) -> None:
        self.checks: list[str] = []
        self.deletes: list[str] = []
        self.puts: list[str] = []
        self.updates: list[str] = []
        self.ops: list[tuple[str, Any, Any, bool]] = []

    def __len__(self) -> int:
        return len(self.ops)

    def check(self, label: str, cls: Any, key: tuple[str, str], condition: Any) -> None:
        self.checks.append(label)
        self.ops.append(("check", (cls, key), condition, False))

    def delete(self, label: str, item: BaseItem, condition: Any = None) -> None:
        self.deletes.append(label)
        self.ops.append(("delete", item, condition, False))

    def put(self, label: str, item: BaseItem, condition: Any = None, *, versioned: bool = True) -> None:
        """`versioned` False: an unconditional overwrite (still written with a version)."""
        self.puts.append(label)
        self.ops.append(("put", item, condition, versioned))

    def update(self, label: str, item: BaseItem, actions: list[Any], condition: Any) -> None:
        """An UpdateItem without PynamoDB's version condition (`condition` only)."""
        self.updates.append(label)
        self.ops.append(("update", (item, actions), condition, False))

    def failed(self, exc: TransactWriteError) -> tuple[set[str], bool]:
        """Labels whose condition failed, and whether the transaction hit a transaction conflict."""
        codes = cancellation_codes(exc)
        labels = self.checks + self.deletes + self.puts + self.updates
        failed = {label for label, code in zip(labels, codes, strict=False) if code == "ConditionalCheckFailed"}
        return failed, "TransactionConflict" in codes

    def run(self) -> None:
        with transaction() as tx:
            for kind, target, condition, versioned in self.ops:
                if kind == "check":
                    cls, key = target
                    tx.condition_check(cls, key[0], key[1], condition=condition)
                elif kind == "delete":
                    tx.delete(target, condition=condition, add_version_condition=False)
                elif kind == "update":
                    item, actions = target
                    tx.update(item, actions, condition=condition, add_version_condition=False)
                elif versioned:
                    tx.save(target, condition=condition)
                else:
                    _put_unversioned(tx, target, condition)


def _put_unversioned(tx: TransactWrite, item: BaseItem, condition: Any) -> None:
    """A put in `tx` without PynamoDB's version condition (TransactWrite.save has no
    add_version_condition, unlike delete and update); the item is still written with version + 1."""
    args, kwargs = item._get_save_args(condition=condition, add_version_condition=False)
    kwargs["key"] = ITEM
    kwargs["return_values_on_condition_failure"] = None
    tx._put_items.append(item._get_connection().get_operation_kwargs(*args, **kwargs))
    tx._models_for_version_attribute_update.append(item)


def _run_product_tx(tx: LabelledTx, p: Product) -> None:
    for attempt in attempts(TX_RETRIES, pause=0.05):
        try:
            tx.run()
            return
        except TransactWriteError as exc:
            failed, conflict = tx.failed(exc)
            if "lease" in failed:
                raise ImportInProgressError() from exc
            if "product" in failed:
                raise VersionMismatchError() from exc
            if "sku" in failed:
                raise DuplicateError(
                    f"A product with sku '{p.sku}' already exists.",
                    details=[{"field": "sku", "message": "is already taken"}],
                ) from exc
            taken = sorted(label.split(":", 1)[1] for label in failed if label.startswith("barcode:"))
            if taken:
                raise DuplicateError(
                    f"Barcode {', '.join(taken)} already belongs to another product.",
                    details=[{"field": "barcodes", "message": f"'{b}' is already taken"} for b in taken],
                ) from exc
            if failed:
                raise ConflictError("The product changed while it was being saved; try again.") from exc
            if conflict and attempt + 1 < TX_RETRIES:
                continue
            if conflict:
                raise ConflictError("The catalog is busy; try again.") from exc
            raise


def written(tenant: str, p: Product, version: int) -> Product:
    """What a read of the product just written would return (its stored form, the new version),
    without reading it back."""
    return dataclasses.replace(_to_product(_product_item(tenant, p)), version=version)


def create(tenant: str, p: Product) -> Product:
    tx = LabelledTx()
    tx.check("lease", CatalogLeaseItem, keys.catalog_lease(tenant), _lease_free())
    tx.put("product", _product_item(tenant, p))  # p.version is 0: no version yet, a create-only put
    tx.put("sku", UniqueItem(*keys.sku_guard(tenant, p.sku), owner_id=p.id))
    for b in p.barcodes:
        tx.put(f"barcode:{b}", UniqueItem(*keys.barcode_guard(tenant, b), owner_id=p.id))
    for term in _term_items(tenant, p.id, search_terms(p.sku, p.name)):
        tx.put("term", term)
    tx.put("list-prices", ListPricesItem(*keys.list_prices(tenant, p.id), lists={}))  # in no price list yet
    _run_product_tx(tx, p)
    return written(tenant, p, 1)


def update(tenant: str, before: Product, after: Product) -> Product:
    """Write `after` if the stored product is still at `before.version`, moving guards and terms."""
    tx = LabelledTx()
    tx.check("lease", CatalogLeaseItem, keys.catalog_lease(tenant), _lease_free())
    item = _product_item(tenant, after)
    item.version = before.version
    tx.put("product", item)
    owned = UniqueItem.owner_id == before.id
    if keys.sku_key(before.sku) != keys.sku_key(after.sku):
        tx.delete("old-sku", UniqueItem(*keys.sku_guard(tenant, before.sku)), owned)
        tx.put("sku", UniqueItem(*keys.sku_guard(tenant, after.sku), owner_id=after.id))
    old_codes = {b.lower(): b for b in before.barcodes}
    new_codes = {b.lower(): b for b in after.barcodes}
    for code in sorted(old_codes.keys() - new_codes.keys()):
        tx.delete("old-barcode", UniqueItem(*keys.barcode_guard(tenant, code)), owned)
    for code in sorted(new_codes.keys() - old_codes.keys()):
        b = new_codes[code]
        tx.put(f"barcode:{b}", UniqueItem(*keys.barcode_guard(tenant, b), owner_id=after.id))
    old_terms = search_terms(before.sku, before.name)
    new_terms = search_terms(after.sku, after.name)
    for term in _term_items(tenant, before.id, old_terms - new_terms):
        tx.delete("old-term", term)
    for term in _term_items(tenant, after.id, new_terms - old_terms):
        tx.put("term", term)
    _run_product_tx(tx, after)
    return written(tenant, after, before.version + 1)


# --- the catalog lease and bulk writes (CSV import) -------------------------------------------
def acquire_lease(tenant: str, owner_id: str) -> None:
    now = int(time.time())
    item = CatalogLeaseItem(*keys.catalog_lease(tenant), owner_id=owner_id, lease_until=now + LEASE_SECONDS)
    try:
        item.save(condition=_lease_free(), add_version_condition=False)
    except PutError as exc:
        if is_condition_failure(exc):
            raise ImportInProgressError() from exc
        raise


def release_lease(tenant: str, owner_id: str) -> None:
    try:
        CatalogLeaseItem(*keys.catalog_lease(tenant)).delete(
            condition=CatalogLeaseItem.owner_id == owner_id, add_version_condition=False
        )
    except DeleteError as exc:
        if not is_condition_failure(exc):  # already lapsed and taken by someone else: not ours to drop
            raise


def _versioned(item: UniqueItem | SearchTermItem | ListPricesItem) -> BaseItem:
    """BatchWriteItem bypasses PynamoDB's versioning; a create-only put elsewhere is conditional on
    `version` not existing, so a bulk-written guard without one could be silently taken over."""
    item.version = 1
    return item


def bulk_write(tenant: str, changes: list[tuple[Product | None, Product]]) -> None:
    """Create (`before` None) or replace many products with BatchWriteItem.

    Only for a caller holding the catalog lease that has validated `changes` against the current
    guards: a barcode may move between products of `changes` (its guard is overwritten to the new
    owner). Written in three passes so that a crash leaves a state a re-run repairs: guards first
    (a re-run finds the product id by sku), then products and new terms, then what was released."""
    claimed: set[str] = set()
    with BaseItem.batch_write() as batch:
        for before, after in changes:
            if before is None:
                batch.save(_versioned(UniqueItem(*keys.sku_guard(tenant, after.sku), owner_id=after.id)))
            had = {b.lower() for b in before.barcodes} if before else set()
            for b in after.barcodes:
                claimed.add(b.lower())
                if b.lower() not in had:
                    batch.save(_versioned(UniqueItem(*keys.barcode_guard(tenant, b), owner_id=after.id)))
    with BaseItem.batch_write() as batch:
        for before, after in changes:
            item = _product_item(tenant, after)
            item.version = (before.version if before else 0) + 1
            batch.save(item)
            old_terms = search_terms(before.sku, before.name) if before else frozenset()
            for term in _term_items(tenant, after.id, search_terms(after.sku, after.name) - old_terms):
                batch.save(_versioned(term))
            if before is None:  # a product that did not exist is in no price list
                batch.save(_versioned(ListPricesItem(*keys.list_prices(tenant, after.id), lists={})))
    with BaseItem.batch_write() as batch:
        for before, after in changes:
            if before is None:
                continue
            gone = search_terms(before.sku, before.name) - search_terms(after.sku, after.name)
            for term in _term_items(tenant, before.id, gone):
                batch.delete(term)
            for b in before.barcodes:
                if b.lower() not in claimed:
                    batch.delete(UniqueItem(*keys.barcode_guard(tenant, b)))


# --- stock sync (PUT /stock) ---------------------------------------------------------------------------
STOCK_TX_PRODUCTS = 99  # with the lease's condition check: DynamoDB's 100 items per transaction


def set_stock(tenant: str, changes: list[tuple[Product, dict[str, Decimal]]]) -> dict[str, str]:
    """Give each product its new stock map, each conditional on the version read (a concurrent product
    write makes that product fail, never lost) and on no CSV import holding the catalog, in transactions
    of 99 products. Returns product id → why it was not written ("changed" or "import"); a transaction
    that fails on one product is retried without it, so the others are still written."""
    failed: dict[str, str] = {}
    pending = list(changes)
    while pending:
        chunk, pending = pending[:STOCK_TX_PRODUCTS], pending[STOCK_TX_PRODUCTS:]
        while chunk:
            try:
                with transaction() as tx:
                    tx.condition_check(CatalogLeaseItem, *keys.catalog_lease(tenant), condition=_lease_free())
                    for product, stock in chunk:
                        stored = {site: num_str(q) for site, q in sorted(stock.items())}
                        item = ProductItem(*keys.product(tenant, product.id))
                        item.version = product.version  # PynamoDB: condition on it, and increment it
                        tx.update(item, actions=[ProductItem.stock.set(stored)])
                break
            except TransactWriteError as exc:
                codes = cancellation_codes(exc)
                if codes and codes[0] == "ConditionalCheckFailed":
                    failed.update({product.id: "import" for product, _ in chunk})
                    break
                if is_transaction_conflict(codes):  # another transaction on one of them: nothing written
                    failed.update({product.id: "changed" for product, _ in chunk})  # read again, retried
                    break
                stale = {chunk[i - 1][0].id for i, c in enumerate(codes) if i > 0 and c == "ConditionalCheckFailed"}
                if not stale:
                    raise  # a conflict or throttling: the caller's request fails, nothing is half-known
                failed.update(dict.fromkeys(stale, "changed"))
                chunk = [(p, s) for p, s in chunk if p.id not in stale]
    return failed
