"""Request and response bodies of the catalog: product groups, products, price lists, customer
prices, the CSV import result, and the model one CSV row is validated with."""

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, PlainSerializer

from chalicelib.api.schemas.common import Code, Id, Money, Name, RequestModel, ResponseModel, StrictFlag, Text

MAX_QUANTITY = Decimal(1_000_000)
MAX_STOCK = Decimal(1_000_000_000)


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{what} must be a number")
    try:
        # str() first: a JSON float 0.1 becomes Decimal("0.1"), not its binary approximation.
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise ValueError(f"{what} must be a number") from exc
    if not number.is_finite():
        raise ValueError(f"{what} must be a number")
    if number.as_tuple().exponent < -3:  # type: ignore[operator]
        raise ValueError(f"{what} has at most 3 decimal places")
    return number


def _quantity(value: Any) -> Decimal:
    number = _decimal(value, "quantity")
    if not 0 < number <= MAX_QUANTITY:
        raise ValueError("quantity must be more than 0 and at most 1000000")
    return number


def _stock(value: Any) -> Decimal:
    number = _decimal(value, "stock")
    if not 0 <= number <= MAX_STOCK:
        raise ValueError("stock must be from 0 to 1000000000")
    return number


def _json_number(value: Decimal) -> int | float:
    # Quantities are JSON numbers (API.md); at most 3 decimals, so a float shows them exactly.
    return int(value) if value == value.to_integral_value() else float(value)


def _tax_rate(value: Any) -> Decimal:
    if isinstance(value, Decimal):  # from our own code, never from JSON
        value = str(value)
    if not isinstance(value, str):
        raise ValueError('tax_rate must be a decimal string such as "0.20"')
    try:
        rate = Decimal(value.strip())
    except InvalidOperation as exc:
        raise ValueError('tax_rate must be a decimal string such as "0.20"') from exc
    if not rate.is_finite() or not 0 <= rate <= 1:
        raise ValueError("tax_rate must be from 0 to 1")
    if rate.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValueError("tax_rate has at most 4 decimal places")
    return rate


def rate_text(rate: Decimal) -> str:
    """0.2 → "0.20", 0.075 → "0.075": two places at least, more only when the rate has them."""
    text = format(rate.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


Quantity = Annotated[
    Decimal,
    BeforeValidator(_quantity),
    PlainSerializer(_json_number, return_type=float, when_used="json"),
    Field(json_schema_extra={"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000}),
]
StockQuantity = Annotated[
    Decimal,
    BeforeValidator(_stock),
    PlainSerializer(_json_number, return_type=float, when_used="json"),
    Field(json_schema_extra={"type": "number", "minimum": 0}),
]
TaxRate = Annotated[
    Decimal,
    BeforeValidator(_tax_rate),
    PlainSerializer(rate_text, return_type=str, when_used="json"),
    Field(json_schema_extra={"type": "string", "pattern": r"^[01](\.\d{1,4})?$"}),
]
Barcode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")]
Unit = Annotated[str, Field(min_length=1, max_length=20, pattern=r"^[^\s,|]+( [^\s,|]+)*$")]
Description = Annotated[Text, Field(max_length=2000)]
Status = Literal["active", "inactive"]
Barcodes = Annotated[list[Barcode], Field(max_length=10)]
Stock = Annotated[dict[Id, StockQuantity], Field(max_length=200)]


class TierModel(RequestModel):
    min_quantity: Quantity
    price: Money


Tiers = Annotated[list[TierModel], Field(max_length=20)]


# --- product groups ---------------------------------------------------------------------------
class ProductGroupOut(ResponseModel):
    id: str
    name: str
    portal: bool


class ProductGroupCreate(RequestModel):
    name: Name
    portal: StrictFlag = False


class ProductGroupPatch(RequestModel):
    name: Name | None = None
    portal: StrictFlag | None = None


class ProductGroupList(ResponseModel):
    items: list[ProductGroupOut]
    next_cursor: str | None


# --- products ---------------------------------------------------------------------------------
class CustomerPriceOut(ResponseModel):
    """Staff asking `?customer_id=`: what that customer pays at quantity 1, and why."""

    customer_id: str
    price: Money
    currency: str
    source: Literal["customer", "price_list", "base"]
    tiers: list[TierModel]


class ProductFields(ResponseModel):
    """What staff and customer users both see of a product."""

    id: str
    sku: str
    name: str
    description: str | None
    barcodes: list[str]
    group_id: str | None
    unit: str
    min_quantity: Quantity
    order_multiple: Quantity
    tax_rate: TaxRate


class ProductOut(ProductFields):
    """A product as staff see it."""

    base_price: Money
    base_tiers: list[TierModel]
    portal: bool
    status: Status
    stock: dict[str, StockQuantity]
    visible: bool = Field(description="Whether customer users see it: active, and its or its group's portal flag")
    customer_price: CustomerPriceOut | None = None


class ProductPortalOut(ProductFields):
    """A product as a customer user sees it: their effective price, never the base price."""

    price: Money
    currency: str
    tiers: list[TierModel] = Field(description="The quantity tiers of the customer's effective price")
    available: dict[str, StockQuantity]


class ProductCreate(RequestModel):
    sku: Code
    name: Name
    description: Description | None = None
    barcodes: Barcodes = []
    group_id: Id | None = None
    unit: Unit = "pcs"
    # The documented default is the JSON number 1 (pydantic would render the Decimal as "1").
    min_quantity: Annotated[Quantity, Field(json_schema_extra={"default": 1})] = Decimal(1)
    order_multiple: Annotated[Quantity, Field(json_schema_extra={"default": 1})] = Decimal(1)
    base_price: Money
    base_tiers: Tiers = []
    tax_rate: TaxRate
    portal: StrictFlag = False
    status: Status = "active"
    stock: Stock = {}


class ProductPatch(RequestModel):
    sku: Code | None = None
    name: Name | None = None
    description: Description | None = None
    barcodes: Barcodes | None = None
    group_id: Id | None = None
    unit: Unit | None = None
    min_quantity: Quantity | None = None
    order_multiple: Quantity | None = None
    base_price: Money | None = None
    base_tiers: Tiers | None = None
    tax_rate: TaxRate | None = None
    portal: StrictFlag | None = None
    status: Status | None = None
    stock: Stock | None = None


class ProductList(ResponseModel):
    items: list[ProductOut | ProductPortalOut]
    next_cursor: str | None


class ImportResultOut(ResponseModel):
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, Any]]


# --- one CSV row ------------------------------------------------------------------------------
def _blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _split_barcodes(value: Any) -> Any:
    if isinstance(value, str):
        return [b.strip() for b in value.split("|") if b.strip()]
    return value


def _csv_bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise ValueError("use true or false")
        return lowered == "true"
    return value


BlankIsNone = BeforeValidator(_blank_is_none)


class ProductCsvRow(RequestModel):
    """One data row, columns as API.md names them. An empty cell is None (see domain.catalog.ImportRow)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    sku: Code
    name: Annotated[Name | None, BlankIsNone] = None
    description: Annotated[Description | None, BlankIsNone] = None
    barcodes: Annotated[Barcodes, BeforeValidator(_split_barcodes)] = []
    group: Annotated[Name | None, BlankIsNone] = None
    unit: Annotated[Unit | None, BlankIsNone] = None
    min_quantity: Annotated[Quantity | None, BlankIsNone] = None
    order_multiple: Annotated[Quantity | None, BlankIsNone] = None
    base_price: Annotated[Money | None, BlankIsNone] = None
    tax_rate: Annotated[TaxRate | None, BlankIsNone] = None
    portal: Annotated[bool | None, BeforeValidator(_csv_bool), BlankIsNone] = None
    status: Annotated[Status | None, BlankIsNone] = None


# --- price lists and customer prices ----------------------------------------------------------
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class PriceEntryModel(RequestModel):
    product_id: Id
    price: Money
    tiers: Tiers = []


Entries = Annotated[list[PriceEntryModel], Field(max_length=10_000)]


class PriceListOut(ResponseModel):
    id: str
    name: str
    currency: str
    entries: list[PriceEntryModel]


class PriceListSummary(ResponseModel):
    id: str
    name: str
    currency: str


class PriceListIn(RequestModel):
    name: Name
    currency: Currency | None = None
    entries: Entries = []


class PriceListList(ResponseModel):
    items: list[PriceListSummary]
    next_cursor: str | None


class CustomerPricesIn(RequestModel):
    entries: Entries


class CustomerPricesOut(ResponseModel):
    customer_id: str
    entries: list[PriceEntryModel]
