"""PynamoDB item models of the single table: one base with a discriminator (`type`) and a version.

These classes never leave `storage/`: repositories map them to domain dataclasses. The stream
handler decodes images with `BaseItem.from_raw_data`, so it reads exactly what the API writes.
Table name, endpoint and region come from `bootstrap.configure_storage` (PynamoDB reads `Meta`
lazily per connection; see PITFALLS.md).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)
from pynamodb.constants import PAY_PER_REQUEST_BILLING_MODE
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class Gsi1(GlobalSecondaryIndex["BaseItem"]):
    """Secondary access patterns of admin entities (see keys.py, GSI1 table)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["BaseItem"]):
    """Order work queues and per-customer order lists (see keys.py, GSI2 table)."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class BaseItem(Model):
    class Meta:
        table_name = "ordergate"
        region = "us-east-1"
        billing_mode = PAY_PER_REQUEST_BILLING_MODE
        stream_view_type = "NEW_AND_OLD_IMAGES"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    version = VersionAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    # TTL: DynamoDB deletes expired refresh tokens, throttling windows and idempotency records.
    expires_at = TTLAttribute(null=True)

    gsi1 = Gsi1()
    gsi2 = Gsi2()


class TenantItem(BaseItem, discriminator="tenant"):
    slug = UnicodeAttribute()
    name = UnicodeAttribute()
    currency = UnicodeAttribute()
    default_locale = UnicodeAttribute()
    portal_url = UnicodeAttribute()
    sender_email = UnicodeAttribute()
    order_desk_email = UnicodeAttribute(null=True)
    order_number_prefix = UnicodeAttribute()
    delivery_methods = JSONAttribute(default=list)
    payment_methods = JSONAttribute(default=list)
    created_at = UnicodeAttribute()


class SecurityGroupItem(BaseItem, discriminator="security_group"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    permissions = UnicodeSetAttribute(default=set)
    builtin = BooleanAttribute(default=False)


class SiteItem(BaseItem, discriminator="site"):
    id = UnicodeAttribute()
    code = UnicodeAttribute()
    name = UnicodeAttribute()
    address = UnicodeAttribute(null=True)


class CustomerItem(BaseItem, discriminator="customer"):
    id = UnicodeAttribute()
    number = UnicodeAttribute()
    name = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)
    sales_rep_id = UnicodeAttribute(null=True)
    price_list_id = UnicodeAttribute(null=True)
    payment_terms = UnicodeAttribute(null=True)
    approval_policy = UnicodeAttribute()
    monthly_budget = UnicodeAttribute(null=True)  # decimal string: money is never a float
    status = UnicodeAttribute()
    addresses = JSONAttribute(default=list)


class UserItem(BaseItem, discriminator="user"):
    id = UnicodeAttribute()
    kind = UnicodeAttribute()
    username = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    locale = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    security_group_ids = JSONAttribute(default=list)
    customer_ids = JSONAttribute(default=list)
    site_ids = JSONAttribute(default=list)
    approval_limit = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute()


class UniqueItem(BaseItem, discriminator="unique"):
    """A guard that makes a value unique (username, customer number, site code) and points to its owner."""

    owner_id = UnicodeAttribute()


class RefreshTokenItem(BaseItem, discriminator="refresh_token"):
    user_id = UnicodeAttribute()
    family_id = UnicodeAttribute()
    used = BooleanAttribute(default=False)


class RefreshFamilyItem(BaseItem, discriminator="refresh_family"):
    user_id = UnicodeAttribute()
    revoked = BooleanAttribute(default=False)


class LoginFailuresItem(BaseItem, discriminator="login_failures"):
    failures = NumberAttribute(default=0)
    window_start = NumberAttribute()


class ProductGroupItem(BaseItem, discriminator="product_group"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    portal = BooleanAttribute(default=False)


class ProductItem(BaseItem, discriminator="product"):
    """Decimals (money, quantities, stock) are stored as decimal strings: never a float."""

    id = UnicodeAttribute()
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    barcodes = JSONAttribute(default=list)
    group_id = UnicodeAttribute(null=True)
    unit = UnicodeAttribute()
    min_quantity = UnicodeAttribute()
    order_multiple = UnicodeAttribute()
    base_price = UnicodeAttribute()
    base_tiers = JSONAttribute(default=list)  # [{"min_quantity": "10", "price": "9.50"}]
    tax_rate = UnicodeAttribute()
    portal = BooleanAttribute(default=False)
    status = UnicodeAttribute()
    stock = JSONAttribute(default=dict)  # {site_id: "12"}


class SearchTermItem(BaseItem, discriminator="product_term"):
    """One word (or the sku) of one product, in the term partition of its first character."""

    product_id = UnicodeAttribute()


class PriceListItem(BaseItem, discriminator="price_list"):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    currency = UnicodeAttribute()


class PriceEntryItem(BaseItem, discriminator="price_entry"):
    """A product's price (and tiers) in one price list, or for one customer (by partition)."""

    product_id = UnicodeAttribute()
    price = UnicodeAttribute()
    tiers = JSONAttribute(default=list)


class CatalogLeaseItem(BaseItem, discriminator="catalog_lease"):
    """Held by a running CSV import; `lease_until` (epoch seconds) lets a crashed import's lease lapse."""

    owner_id = UnicodeAttribute()
    lease_until = NumberAttribute()


def item_classes() -> list[type[BaseItem]]:
    """Every registered item model (used by table creation checks and tests)."""
    out: list[type[BaseItem]] = []
    stack: list[Any] = [BaseItem]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            out.append(sub)
            stack.append(sub)
    return out
