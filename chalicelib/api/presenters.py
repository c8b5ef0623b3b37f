"""Domain objects → response models. The only place that decides what a caller may see of them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from chalicelib.api.schemas.admin import (
    CustomerOut,
    CustomerPortalOut,
    GroupOut,
    SettingsOut,
    SettingsPortalOut,
    SiteOut,
    UserOut,
)
from chalicelib.api.schemas.catalog import (
    CustomerPriceOut,
    PriceEntryModel,
    PriceListOut,
    PriceListSummary,
    ProductFields,
    ProductGroupOut,
    ProductList,
    ProductOut,
    ProductPortalOut,
    TierModel,
)
from chalicelib.auth.principal import Principal
from chalicelib.domain.catalog import Product, ProductGroup, is_visible
from chalicelib.domain.model import Customer, SecurityGroup, Site, TenantSettings, User
from chalicelib.domain.pricing import PriceEntry, PriceList, Tier

if TYPE_CHECKING:  # the service imports storage (and its AWS client): not at app import
    from chalicelib.services.catalog import CatalogPage


def settings_out(s: TenantSettings) -> SettingsOut:
    return SettingsOut.model_validate(dataclasses.asdict(s))


def settings_for(s: TenantSettings, principal: Principal) -> SettingsOut | SettingsPortalOut:
    """Staff see the tenant's settings; customer users what their portal needs (SettingsPortalOut)."""
    if principal.is_staff:
        return settings_out(s)
    fields = SettingsPortalOut.model_fields
    return SettingsPortalOut.model_validate({k: v for k, v in dataclasses.asdict(s).items() if k in fields})


def group_out(g: SecurityGroup) -> GroupOut:
    return GroupOut(id=g.id, name=g.name, kind=g.kind.value, permissions=g.permissions, builtin=g.builtin)


def site_out(s: Site) -> SiteOut:
    return SiteOut.model_validate(dataclasses.asdict(s))


def user_out(u: User) -> UserOut:
    data = dataclasses.asdict(u)
    data.pop("password_hash")  # never leaves the service
    data["kind"] = u.kind.value
    return UserOut.model_validate(data)


def customer_out(c: Customer, principal: Principal) -> CustomerOut | CustomerPortalOut:
    data = dataclasses.asdict(c)
    if principal.is_customer:
        return CustomerPortalOut.model_validate(data)
    return CustomerOut.model_validate(data)


# --- catalog ----------------------------------------------------------------------------------
def product_group_out(g: ProductGroup) -> ProductGroupOut:
    return ProductGroupOut(id=g.id, name=g.name, portal=g.portal)


def _tiers(tiers: Iterable[Tier]) -> list[TierModel]:
    return [TierModel.model_construct(min_quantity=t.min_quantity, price=t.price) for t in tiers]


def product_out(p: Product, page: CatalogPage, principal: Principal) -> ProductOut | ProductPortalOut:
    """Customer users get their effective price and the stock of the sites they may use; never the
    base price, its tiers, the portal flag or another customer's price."""
    quote = page.quotes.get(p.id)
    common = {name: getattr(p, name) for name in ProductFields.model_fields}
    if principal.is_customer:
        if quote is None:  # the service prices every product it shows a customer
            raise RuntimeError(f"product {p.id} shown to a customer without a price")
        return ProductPortalOut(
            **common,
            price=quote.unit_price,
            currency=quote.currency,
            tiers=_tiers(quote.tiers),
            available={site: q for site, q in p.stock.items() if principal.may_use_site(site)},
        )
    customer_price = None
    if quote is not None and page.customer_id is not None:
        customer_price = CustomerPriceOut(
            customer_id=page.customer_id,
            price=quote.unit_price,
            currency=quote.currency,
            source=quote.source.value,
            tiers=_tiers(quote.tiers),
        )
    return ProductOut(
        **common,
        base_price=p.base_price,
        base_tiers=_tiers(p.base_tiers),
        portal=p.portal,
        status="active" if p.active else "inactive",
        stock=p.stock,
        visible=is_visible(p, page.groups.get(p.group_id or "")),
        customer_price=customer_price,
    )


def product_list_out(page: CatalogPage, principal: Principal) -> ProductList:
    return ProductList(items=[product_out(p, page, principal) for p in page.items], next_cursor=page.next_cursor)


def price_entry_out(e: PriceEntry) -> PriceEntryModel:
    return PriceEntryModel.model_construct(product_id=e.product_id, price=e.price, tiers=_tiers(e.tiers))


def price_list_out(header: PriceList, entries: list[PriceEntry]) -> PriceListOut:
    return PriceListOut(
        id=header.id, name=header.name, currency=header.currency, entries=[price_entry_out(e) for e in entries]
    )


def price_list_summary(header: PriceList) -> PriceListSummary:
    return PriceListSummary(id=header.id, name=header.name, currency=header.currency)
