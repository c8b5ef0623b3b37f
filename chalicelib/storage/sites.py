"""Sites (warehouses/branches) of a tenant; codes are unique per tenant."""

from __future__ import annotations

from pynamodb.exceptions import TransactWriteError

from chalicelib.domain.errors import DuplicateError, VersionMismatchError
from chalicelib.domain.model import Site
from chalicelib.storage import keys
from chalicelib.storage.items import SiteItem, UniqueItem
from chalicelib.storage.mapping import item_values
from chalicelib.storage.paging import Page, prefix_page
from chalicelib.storage.table import cancellation_codes, get_item, transaction


def _item(tenant: str, s: Site) -> SiteItem:
    item = SiteItem(*keys.site(tenant, s.id), id=s.id, code=s.code, name=s.name, address=s.address)
    if s.version:
        item.version = s.version
    return item


def get(tenant: str, site_id: str) -> Site:
    return item_values(get_item(SiteItem, keys.site(tenant, site_id), "site"), Site)


def get_many(tenant: str, site_ids: list[str]) -> list[Site]:
    if not site_ids:
        return []
    return [item_values(i, Site) for i in SiteItem.batch_get([keys.site(tenant, s) for s in dict.fromkeys(site_ids)])]


def list_page(tenant: str, limit: int, cursor: str | None) -> Page[Site]:
    return prefix_page(SiteItem, keys.tenant_pk(tenant), keys.SITE, limit, cursor, lambda i: item_values(i, Site))


def save(tenant: str, before: Site | None, after: Site) -> Site:
    """Create (`before` None) or update a site, moving its code guard when the code changes."""
    item = _item(tenant, after)
    if before is not None:
        item.version = before.version
    recoded = before is not None and before.code.lower() != after.code.lower()
    try:
        with transaction() as tx:
            tx.save(item)
            if before is None or before.code.lower() != after.code.lower():
                tx.save(UniqueItem(*keys.site_code_guard(tenant, after.code), owner_id=after.id))
            if before is not None and before.code.lower() != after.code.lower():
                old = UniqueItem(*keys.site_code_guard(tenant, before.code))
                tx.delete(old, condition=UniqueItem.owner_id == before.id, add_version_condition=False)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        site_at = 1 if recoded else 0  # PynamoDB sends the old guard's delete before the puts
        if before is not None and len(codes) > site_at and codes[site_at] == "ConditionalCheckFailed":
            raise VersionMismatchError() from exc
        if "ConditionalCheckFailed" in codes:
            raise DuplicateError(f"A site with code '{after.code}' already exists.") from exc
        raise
    return item_values(item, Site)  # the transaction set the new version on `item`: no read back
