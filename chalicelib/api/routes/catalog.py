"""Catalog and prices: product groups, products (search, portal view), CSV import/export, price
lists, customer prices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib.api.csv_limits import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS
from chalicelib.api.http import PAGE, Ctx, endpoint, json_response, patch_changes
from chalicelib.api.openapi import CSV_TYPES, QueryParam
from chalicelib.api.schemas.catalog import (
    Barcode,
    CustomerPricesIn,
    CustomerPricesOut,
    ImportResultOut,
    PriceEntryModel,
    PriceListIn,
    PriceListList,
    PriceListOut,
    ProductCreate,
    ProductGroupCreate,
    ProductGroupList,
    ProductGroupOut,
    ProductGroupPatch,
    ProductList,
    ProductOut,
    ProductPatch,
)
from chalicelib.api.schemas.common import Code, Id, Text
from chalicelib.domain.permissions import Permission as P
from chalicelib.lazy import LazyModule

if TYPE_CHECKING:
    from chalicelib.api import csv_products, presenters
    from chalicelib.domain.pricing import PriceEntry
    from chalicelib.services import catalog, pricing
else:  # storage and its client, the CSV codec, the presenters: imported by the first request that needs them
    csv_products = LazyModule("chalicelib.api.csv_products")
    presenters = LazyModule("chalicelib.api.presenters")
    catalog = LazyModule("chalicelib.services.catalog")
    pricing = LazyModule("chalicelib.services.pricing")

bp = Blueprint(__name__)

SearchText = Annotated[Text, Field(min_length=1, max_length=100)]
FOR_CUSTOMER = QueryParam("customer_id", Id, "Staff: show the prices this customer would see.")


def _entries(models: list[PriceEntryModel]) -> list[PriceEntry]:
    from chalicelib.domain.pricing import PriceEntry, Tier  # with the request, like the presenters

    return [PriceEntry(m.product_id, m.price, [Tier(t.min_quantity, t.price) for t in m.tiers]) for m in models]


def _tiers_in(data: dict[str, object]) -> dict[str, object]:
    from chalicelib.domain.pricing import Tier

    if "base_tiers" in data and isinstance(data["base_tiers"], list):
        data["base_tiers"] = [Tier(t["min_quantity"], t["price"]) for t in data["base_tiers"]]
    return data


# --- product groups ---------------------------------------------------------------------------
@endpoint(
    bp,
    "/product-groups",
    "GET",
    summary="List product groups",
    response_model=ProductGroupList,
    tags=("catalog",),
    query=PAGE,
)
def list_product_groups(ctx: Ctx) -> Response:
    page = catalog.list_groups(ctx.principal, *ctx.page_args())
    items = [presenters.product_group_out(g) for g in page.items]
    return json_response(ProductGroupList(items=items, next_cursor=page.next_cursor))


@endpoint(
    bp,
    "/product-groups",
    "POST",
    summary="Create a product group",
    request_model=ProductGroupCreate,
    response_model=ProductGroupOut,
    status=201,
    tags=("catalog",),
    permissions=(P.CATALOG_MANAGE,),
)
def create_product_group(ctx: Ctx) -> Response:
    body = ctx.body(ProductGroupCreate)
    g = catalog.create_group(ctx.principal, body.name, body.portal)
    return json_response(presenters.product_group_out(g), status=201, etag=g.version)


@endpoint(
    bp,
    "/product-groups/{group_id}",
    "GET",
    summary="A product group",
    response_model=ProductGroupOut,
    tags=("catalog",),
)
def get_product_group(ctx: Ctx, group_id: str) -> Response:
    g = catalog.get_group(ctx.principal, group_id)
    return json_response(presenters.product_group_out(g), etag=g.version)


@endpoint(
    bp,
    "/product-groups/{group_id}",
    "PATCH",
    summary="Change a product group (its portal flag shows or hides its products)",
    request_model=ProductGroupPatch,
    response_model=ProductGroupOut,
    tags=("catalog",),
    if_match=True,
    permissions=(P.CATALOG_MANAGE,),
)
def patch_product_group(ctx: Ctx, group_id: str) -> Response:
    changes = patch_changes(ctx.body(ProductGroupPatch))
    g = catalog.update_group(ctx.principal, group_id, changes, ctx.if_match())
    return json_response(presenters.product_group_out(g), etag=g.version)


# --- products ---------------------------------------------------------------------------------
@endpoint(
    bp,
    "/products",
    "GET",
    summary="List and search products (filters: q, sku, barcode, group_id, customer_id)",
    response_model=ProductList,
    tags=("catalog",),
    query=(
        *PAGE,
        QueryParam("q", SearchText, "Products with a word of the name, or the sku, starting with this."),
        QueryParam("sku", Code, "Products whose sku starts with this."),
        QueryParam("barcode", Barcode, "The product with this barcode."),
        QueryParam("group_id", Id, "Only the products of this group."),
        FOR_CUSTOMER,
    ),
)
def list_products(ctx: Ctx) -> Response:
    filters = catalog.ProductFilters(
        q=ctx.query("q"),
        sku=ctx.query("sku"),
        barcode=ctx.query("barcode"),
        group_id=ctx.query("group_id"),
        customer_id=ctx.query("customer_id"),
    )
    page = catalog.list_products(ctx.principal, filters, *ctx.page_args())
    return json_response(presenters.product_list_out(page, ctx.principal))


@endpoint(
    bp,
    "/products",
    "POST",
    summary="Create a product",
    request_model=ProductCreate,
    response_model=ProductOut,
    status=201,
    tags=("catalog",),
    permissions=(P.CATALOG_MANAGE,),
)
def create_product(ctx: Ctx) -> Response:
    page = catalog.create_product(ctx.principal, _tiers_in(ctx.body(ProductCreate).model_dump()))
    p = page.items[0]
    return json_response(presenters.product_out(p, page, ctx.principal), status=201, etag=p.version)


@endpoint(
    bp,
    "/products/export",
    "GET",
    summary="Export every product as CSV",
    tags=("catalog",),
    response_content_type="text/csv",
    query=(
        QueryParam(
            "delimiter",
            Literal[",", ";"],
            "`;` for a spreadsheet in a language with decimal commas (they are written with commas then).",
        ),
    ),
    permissions=(P.CATALOG_MANAGE,),
)
def export_products(ctx: Ctx) -> Response:
    items, group_names = catalog.export_products(ctx.principal)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="products.csv"',
    }
    body = csv_products.render(items, group_names, ctx.query("delimiter") or ",")
    return Response(body=body, headers=headers)


@endpoint(
    bp,
    "/products/import",
    "POST",
    summary=f"Import products from CSV (at most {MAX_IMPORT_ROWS} rows, 5 MiB; ?dry_run=true)",
    response_model=ImportResultOut,
    content_type=CSV_TYPES[0],
    extra_content_types=CSV_TYPES[1:],
    tags=("catalog",),
    max_body_bytes=MAX_IMPORT_BYTES,
    query=(QueryParam("dry_run", Literal["true", "false"], "true: validate and report, write nothing."),),
    permissions=(P.CATALOG_MANAGE,),
)
def import_products(ctx: Ctx) -> Response:
    dry_run = ctx.query("dry_run") or "false"
    rows, errors = csv_products.parse(ctx.raw_body())
    result = catalog.import_products(ctx.principal, rows, errors, dry_run == "true")
    body = ImportResultOut(created=result.created, updated=result.updated, unchanged=result.unchanged, errors=[])
    return json_response(body)


@endpoint(
    bp,
    "/products/{product_id}",
    "GET",
    summary="A product",
    response_model=ProductOut,
    tags=("catalog",),
    query=(FOR_CUSTOMER,),
)
def get_product(ctx: Ctx, product_id: str) -> Response:
    page = catalog.get_product(ctx.principal, product_id, ctx.query("customer_id"))
    p = page.items[0]
    return json_response(presenters.product_out(p, page, ctx.principal), etag=p.version)


@endpoint(
    bp,
    "/products/{product_id}",
    "PATCH",
    caller="action",  # catalog.update_product reads the caller with the product (one BatchGet)
    summary="Change a product",
    request_model=ProductPatch,
    response_model=ProductOut,
    tags=("catalog",),
    if_match=True,
    permissions=(P.CATALOG_MANAGE,),
)
def patch_product(ctx: Ctx, product_id: str) -> Response:
    changes = _tiers_in(patch_changes(ctx.body(ProductPatch), frozenset({"description", "group_id"})))
    page = catalog.update_product(ctx.principal, product_id, changes, ctx.if_match())
    p = page.items[0]
    return json_response(presenters.product_out(p, page, ctx.principal), etag=p.version)


# --- price lists ------------------------------------------------------------------------------
@endpoint(
    bp,
    "/price-lists",
    "GET",
    summary="List price lists",
    response_model=PriceListList,
    tags=("prices",),
    query=PAGE,
    permissions=(P.PRICES_MANAGE,),
)
def list_price_lists(ctx: Ctx) -> Response:
    page = pricing.list_price_lists(ctx.principal, *ctx.page_args())
    items = [presenters.price_list_summary(h) for h in page.items]
    return json_response(PriceListList(items=items, next_cursor=page.next_cursor))


@endpoint(
    bp,
    "/price-lists",
    "POST",
    summary="Create a price list",
    request_model=PriceListIn,
    response_model=PriceListOut,
    status=201,
    tags=("prices",),
    permissions=(P.PRICES_MANAGE,),
)
def create_price_list(ctx: Ctx) -> Response:
    body = ctx.body(PriceListIn)
    header, entries = pricing.save_price_list(
        ctx.principal, None, body.name, body.currency, _entries(body.entries), None
    )
    return json_response(presenters.price_list_out(header, entries), status=201, etag=header.version)


@endpoint(
    bp,
    "/price-lists/{list_id}",
    "GET",
    summary="A price list and its entries",
    response_model=PriceListOut,
    tags=("prices",),
    permissions=(P.PRICES_MANAGE,),
)
def get_price_list(ctx: Ctx, list_id: str) -> Response:
    header, entries = pricing.get_price_list(ctx.principal, list_id)
    return json_response(presenters.price_list_out(header, entries), etag=header.version)


@endpoint(
    bp,
    "/price-lists/{list_id}",
    "PUT",
    summary="Replace a price list and its entries",
    request_model=PriceListIn,
    response_model=PriceListOut,
    tags=("prices",),
    if_match=True,
    permissions=(P.PRICES_MANAGE,),
)
def put_price_list(ctx: Ctx, list_id: str) -> Response:
    body = ctx.body(PriceListIn)
    entries = _entries(body.entries)
    header, saved = pricing.save_price_list(ctx.principal, list_id, body.name, body.currency, entries, ctx.if_match())
    return json_response(presenters.price_list_out(header, saved), etag=header.version)


# --- customer prices --------------------------------------------------------------------------
@endpoint(
    bp,
    "/customers/{customer_id}/prices",
    "GET",
    summary="A customer's own prices",
    response_model=CustomerPricesOut,
    tags=("prices",),
    permissions=(P.PRICES_MANAGE,),
)
def get_customer_prices(ctx: Ctx, customer_id: str) -> Response:
    entries = pricing.get_customer_prices(ctx.principal, customer_id)
    body = CustomerPricesOut(customer_id=customer_id, entries=[presenters.price_entry_out(e) for e in entries])
    return json_response(body)


@endpoint(
    bp,
    "/customers/{customer_id}/prices",
    "PUT",
    summary="Replace a customer's own prices",
    request_model=CustomerPricesIn,
    response_model=CustomerPricesOut,
    tags=("prices",),
    permissions=(P.PRICES_MANAGE,),
)
def put_customer_prices(ctx: Ctx, customer_id: str) -> Response:
    entries = _entries(ctx.body(CustomerPricesIn).entries)
    saved = pricing.replace_customer_prices(ctx.principal, customer_id, entries)
    body = CustomerPricesOut(customer_id=customer_id, entries=[presenters.price_entry_out(e) for e in saved])
    return json_response(body)
