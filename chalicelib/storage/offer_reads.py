"""What pricing order lines reads from the catalog, in as few round trips as the keys allow, and the
checked copies that let an order action skip those reads.

Reads. Everything whose key is known is read in one BatchGetItem, whatever its kind: the sku and barcode
guards, the products named by id, and this customer's own and price-list entries for them. A second
BatchGet follows only for what the first one revealed: the products behind the guards (and their
entries) and the groups of products whose visibility depends on their group. So lines named by
product id cost one round trip; by sku or barcode, two; a third only for portal-less products of
groups not read yet. When this process has seen a code's guard before, the product it pointed to
(and that product's group) is read with the guard, speculatively: the guard read in the same batch
says whether the guess was right, and only a wrong guess costs the second round.

Many lines (a 1,000-line order's submit or import) would need ten BatchGets of price entries per
price partition, most of them for products without an entry; above one BatchGet's worth of products
the customer's prices and its price list are read whole instead (one Query page per ~1 MB), which is
fewer round trips and fewer read units.

Checked copies (`cached`). Every item read here (and every entry found missing) is remembered by the
process. An order action may price its lines from those copies without reading, if its write carries
a ConditionCheck per copy (docs/ARCHITECTURE.md "copies verified in the write"): the guard still names
the product, the product and group still have the version read, a price entry still holds the price
and tiers read (entries are bulk-written without a version bump) or is still missing. A failed check
raises StaleError("catalog"): the action reads the catalog and runs again. A cold process has no copies
and reads, as above.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from chalicelib.domain.catalog import Product, ProductGroup
from chalicelib.domain.pricing import PriceEntry
from chalicelib.storage import keys
from chalicelib.storage.items import BaseItem, PriceEntryItem, ProductGroupItem, ProductItem, UniqueItem
from chalicelib.storage.prices import _to_entry, customer_entries, list_entries
from chalicelib.storage.products import _to_group, _to_product
from chalicelib.storage.refs import Key, fetch
from chalicelib.storage.table import Check, StaleError

BATCH_KEYS = 100  # keys per BatchGetItem
MAX_REMEMBERED = 10_000  # catalog items remembered per process (a few MB); forgotten all at once beyond
STALE = "catalog"


@dataclass
class OfferData:
    products: dict[str, Product] = field(default_factory=dict)
    groups: dict[str, ProductGroup] = field(default_factory=dict)
    own: dict[str, PriceEntry] = field(default_factory=dict)  # the customer's prices, by product id
    listed: dict[str, PriceEntry] = field(default_factory=dict)  # its price list's, by product id
    sku_owners: dict[str, str] = field(default_factory=dict)  # sku key → product id
    barcode_owners: dict[str, str] = field(default_factory=dict)  # barcode key → product id


# Key → the product, group or price entry as last read by this process (None: an entry found missing);
# sku or barcode guard → the product it named, as read or as the product's own sku and barcodes say.
# Only read here, and only trusted with a ConditionCheck in the write that relies on it.
_seen: dict[Key, BaseItem | None] = {}
_owners: dict[Key, str] = {}
_price_lists: dict[tuple[str, str], str | None] = {}  # (tenant, customer) → its price list, as last seen


def forget() -> None:
    """Drop every copy (tests that recreate the table; a process never needs to)."""
    _seen.clear()
    _owners.clear()
    _price_lists.clear()


def _remember(tenant: str, wanted: Iterable[Key], found: dict[Key, BaseItem]) -> None:
    if len(_seen) + len(_owners) > MAX_REMEMBERED:
        forget()
    for key in wanted:
        item = found.get(key)
        if isinstance(item, UniqueItem):
            _owners[key] = item.owner_id
        elif item is not None:
            _seen[key] = item
            if isinstance(item, ProductItem):
                _owners[keys.sku_guard(tenant, item.sku)] = item.id
                for barcode in item.barcodes or []:
                    _owners[keys.barcode_guard(tenant, barcode)] = item.id
        elif _is_entry(key):
            _seen[key] = None  # no price at this level: as much a fact as a price
        else:
            _seen.pop(key, None)  # gone: nothing to guess from
            _owners.pop(key, None)


def _is_entry(key: Key) -> bool:
    return key[1].startswith(keys.PRICE_ENTRY)


def _absorb(data: OfferData, key: Key, item: BaseItem, sku_pk: str, own_pk: str) -> str | None:
    """Map one item read into `data`; the product id a guard points to, if it is one."""
    if isinstance(item, UniqueItem):
        owners = data.sku_owners if key[0] == sku_pk else data.barcode_owners
        owners[key[1]] = item.owner_id
        return item.owner_id
    if isinstance(item, ProductItem):
        product = _to_product(item)
        data.products[product.id] = product
    elif isinstance(item, ProductGroupItem):
        group = _to_group(item)
        data.groups[group.id] = group
    elif isinstance(item, PriceEntryItem):
        (data.own if key[0] == own_pk else data.listed)[item.product_id] = _to_entry(item)
    return None


@dataclass
class Prefetched:
    """Keys a caller read in its own first BatchGet on behalf of `read` (`first_keys`), and what it found."""

    asked: set[Key]
    found: Mapping[Key, object]


def _product_keys(
    tenant: str, customer_id: str, price_list_id: str | None, ids: Iterable[str], whole: bool
) -> list[Key]:
    wanted: list[Key] = []
    for pid in ids:
        wanted.append(keys.product(tenant, pid))
        if not whole:
            wanted.append(keys.customer_price(tenant, customer_id, pid))
            if price_list_id:
                wanted.append(keys.price_list_entry(tenant, price_list_id, pid))
    return wanted


def _first_round(
    tenant: str,
    customer_id: str,
    price_list_id: str | None,
    ids: list[str],
    skus: list[str],
    barcodes: list[str],
    needs_group: Callable[[Product], bool],
    room: int,
) -> list[Key]:
    """The guards, the products named by id with their prices, and (as the room allows) the products the
    codes named last time with their prices and groups: a guess the guards confirm in the same batch."""
    whole = len(ids) + len(skus) + len(barcodes) > BATCH_KEYS
    guards = [keys.sku_guard(tenant, keys.sku_key(s)) for s in skus]
    guards += [keys.barcode_guard(tenant, b.lower()) for b in barcodes]
    wanted = guards + _product_keys(tenant, customer_id, price_list_id, ids, whole)
    if whole:
        return wanted
    guessed = [pid for pid in dict.fromkeys(filter(None, map(_owners.get, guards))) if pid not in ids]
    for pid in guessed:  # as many as one BatchGetItem takes: a second call would cost what it saves
        more = _product_keys(tenant, customer_id, price_list_id, [pid], whole)
        product = _seen.get(keys.product(tenant, pid))
        if isinstance(product, ProductItem) and product.group_id and needs_group(_to_product(product)):
            group = keys.product_group(tenant, product.group_id)
            more += [] if group in wanted else [group]
        if len(wanted) + len(more) > room:
            break
        wanted += more
    return wanted


def first_keys(
    tenant: str,
    customer_id: str,
    *,
    product_ids: Iterable[str] = (),
    skus: Iterable[str] = (),
    barcodes: Iterable[str] = (),
    needs_group: Callable[[Product], bool] = lambda p: True,
    room: int = BATCH_KEYS,
) -> list[Key]:
    """What `read` would ask for first, for a caller to read with its own keys before it knows the
    customer (a create): the price list is the one this process last saw the customer with; `read`
    fetches what a different one needs."""
    price_list_id = _price_lists.get((tenant, customer_id))
    ids, skus, barcodes = list(dict.fromkeys(product_ids)), list(skus), list(barcodes)
    return _first_round(tenant, customer_id, price_list_id, ids, skus, barcodes, needs_group, room)


def price_list_of(tenant: str, customer_id: str) -> str | None:
    """The customer's price list as this process last saw it (None: none, or not seen)."""
    return _price_lists.get((tenant, customer_id))


def read(
    tenant: str,
    customer_id: str,
    price_list_id: str | None,
    *,
    product_ids: Iterable[str] = (),
    skus: Iterable[str] = (),
    barcodes: Iterable[str] = (),
    needs_group: Callable[[Product], bool] = lambda p: True,
    prefetched: Prefetched | None = None,
) -> OfferData:
    data = OfferData()
    sku_pk = keys.sku_guards_pk(tenant)
    own_pk = keys.customer_prices_pk(tenant, customer_id)
    ids, skus, barcodes = list(dict.fromkeys(product_ids)), list(skus), list(barcodes)
    _price_lists[(tenant, customer_id)] = price_list_id
    whole_partitions = len(ids) + len(skus) + len(barcodes) > BATCH_KEYS
    if whole_partitions:
        data.own = {e.product_id: e for e in customer_entries(tenant, customer_id)}
        data.listed = {e.product_id: e for e in list_entries(tenant, price_list_id)} if price_list_id else {}

    def product_keys(ids: Iterable[str]) -> list[Key]:
        return _product_keys(tenant, customer_id, price_list_id, ids, whole_partitions)

    wanted = _first_round(tenant, customer_id, price_list_id, ids, skus, barcodes, needs_group, BATCH_KEYS)
    # What the caller read for us in its own first BatchGet counts as read, found or not; the rest of the
    # first round (a price list other than the one guessed, say) is fetched now.
    ready = prefetched.asked if prefetched is not None else set()
    asked: set[Key] = set()
    while wanted:
        found: dict[Key, BaseItem] = {}
        if ready and prefetched is not None:
            found = {k: v for k in wanted if k in ready and isinstance(v := prefetched.found.get(k), BaseItem)}
        found.update(fetch(k for k in wanted if k not in ready))
        ready = set()
        _remember(tenant, wanted, found)
        asked.update(wanted)
        behind_guards = [_absorb(data, key, item, sku_pk, own_pk) for key, item in found.items()]
        new = [pid for pid in dict.fromkeys(behind_guards) if pid and keys.product(tenant, pid) not in asked]
        named = {*ids, *data.sku_owners.values(), *data.barcode_owners.values()}  # not a wrong guess
        groups = {
            keys.product_group(tenant, p.group_id)
            for p in data.products.values()
            if p.id in named and p.group_id and needs_group(p) and keys.product_group(tenant, p.group_id) not in asked
        }
        wanted = product_keys(new) + sorted(groups)
    return data


def cached(
    tenant: str,
    customer_id: str,
    price_list_id: str | None,
    *,
    product_ids: Iterable[str] = (),
    skus: Iterable[str] = (),
    barcodes: Iterable[str] = (),
    needs_group: Callable[[Product], bool] = lambda p: True,
) -> tuple[OfferData, list[Check]] | None:
    """What `read` would return, from this process's copies, and the ConditionChecks that verify every
    copy used; None when a copy is missing (then read). No round trip."""
    data = OfferData()
    sku_pk = keys.sku_guards_pk(tenant)
    own_pk = keys.customer_prices_pk(tenant, customer_id)
    ids, skus, barcodes = list(dict.fromkeys(product_ids)), list(skus), list(barcodes)
    _price_lists[(tenant, customer_id)] = price_list_id
    if len(ids) + len(skus) + len(barcodes) > BATCH_KEYS:
        return None
    used: dict[Key, BaseItem | str | None] = {}

    def take(key: Key) -> bool:
        if key not in _seen or (_seen[key] is None and not _is_entry(key)):
            return False
        used[key] = item = _seen[key]
        if item is not None:
            _absorb(data, key, item, sku_pk, own_pk)
        return True

    for key in [keys.sku_guard(tenant, keys.sku_key(s)) for s in skus]:
        if key not in _owners:
            return None
        used[key] = data.sku_owners[key[1]] = _owners[key]
    for key in [keys.barcode_guard(tenant, b.lower()) for b in barcodes]:
        if key not in _owners:
            return None
        used[key] = data.barcode_owners[key[1]] = _owners[key]
    owners = [*data.sku_owners.values(), *data.barcode_owners.values()]
    for pid in dict.fromkeys([*ids, *owners]):
        wanted = [keys.product(tenant, pid), keys.customer_price(tenant, customer_id, pid)]
        if price_list_id:
            wanted.append(keys.price_list_entry(tenant, price_list_id, pid))
        if not all(take(k) for k in wanted):
            return None
        product = data.products[pid]
        if product.group_id and needs_group(product) and not take(keys.product_group(tenant, product.group_id)):
            return None
    return data, [_check(key, item) for key, item in used.items()]


def _check(key: Key, item: BaseItem | str | None) -> Check:
    def stale() -> Exception:
        _seen.pop(key, None)  # read it again next time
        _owners.pop(key, None)
        return StaleError(STALE)

    if item is None:
        return Check(PriceEntryItem, key, PriceEntryItem.pk.does_not_exist(), stale)
    if isinstance(item, str):  # a guard: it still names this product
        return Check(UniqueItem, key, UniqueItem.owner_id == item, stale)
    if isinstance(item, PriceEntryItem):
        # Entries are replaced with BatchWriteItem, which leaves `version` at 1: compare what prices.
        same = (PriceEntryItem.price == item.price) & (PriceEntryItem.tiers == item.tiers)
        return Check(PriceEntryItem, key, same, stale)
    return Check(type(item), key, type(item).version == item.version, stale)
