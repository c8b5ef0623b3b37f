"""Products, product groups, portal visibility and the words a product is found by.

Pure Python: storage maps these to items, the API to JSON, the pricing module prices them.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chalicelib.domain.pricing import PriceRule, Tier

ACTIVE = "active"
INACTIVE = "inactive"
MAX_BARCODES = 10
# Words of a name that are indexed for search. With the sku term and barcode guards this keeps a
# product's whole write (create or any update) inside one 100-item transaction.
MAX_NAME_WORDS = 30


@dataclass
class ProductGroup:
    id: str
    name: str
    portal: bool = False
    version: int = 0


@dataclass
class Product:
    id: str
    sku: str
    name: str
    base_price: Decimal
    tax_rate: Decimal
    description: str | None = None
    barcodes: list[str] = field(default_factory=list)
    group_id: str | None = None
    unit: str = "pcs"
    min_quantity: Decimal = Decimal(1)
    order_multiple: Decimal = Decimal(1)
    base_tiers: list[Tier] = field(default_factory=list)
    portal: bool = False
    status: str = ACTIVE
    stock: dict[str, Decimal] = field(default_factory=dict)
    version: int = 0

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    @property
    def base_rule(self) -> PriceRule:
        return PriceRule.of(self.base_price, self.base_tiers)


def num_str(value: Decimal) -> str:
    """A quantity or rate without exponent or trailing zeros: 10 → "10", 2.500 → "2.5"."""
    return format(value.normalize(), "f")


def is_visible(product: Product, group: ProductGroup | None) -> bool:
    """Visible in the portal: active, and its own or its group's `portal` flag is on.

    The group's flag is read when the product is read, never copied onto products, so switching a
    group on or off changes what customers see without rewriting a single product."""
    return product.active and (product.portal or (group is not None and group.portal))


def normalized(p: Product) -> Product:
    """The one stored form of what a person may type loosely, so that the CSV (which strips cells and
    reads an empty cell as "none") gives back exactly what was stored: export → import is a no-op."""
    description = (p.description or "").strip() or None
    return dataclasses.replace(p, name=p.name.strip(), description=description, unit=p.unit.strip())


def product_problems(p: Product) -> list[tuple[str, str]]:
    """Rules across fields that request validation cannot see: (field, message) per problem."""
    problems: list[tuple[str, str]] = []
    if len(p.barcodes) > MAX_BARCODES:
        problems.append(("barcodes", f"A product has at most {MAX_BARCODES} barcodes."))
    lowered = [b.lower() for b in p.barcodes]
    if len(set(lowered)) != len(lowered):
        problems.append(("barcodes", "A barcode is listed twice."))
    mins = [t.min_quantity for t in p.base_tiers]
    if len(set(mins)) != len(mins):
        problems.append(("base_tiers", "Each tier needs a different min_quantity."))
    if p.status not in (ACTIVE, INACTIVE):
        problems.append(("status", "Use active or inactive."))
    return problems


# --- search ---------------------------------------------------------------------------------------
_WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Case- and accent-insensitive form used both when indexing and when searching."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_words(name: str) -> list[str]:
    """The distinct words of a name, in order, at most MAX_NAME_WORDS."""
    return list(dict.fromkeys(_WORD.findall(normalize(name))))[:MAX_NAME_WORDS]


def search_terms(sku: str, name: str) -> frozenset[str]:
    """What `q` matches by prefix: every word of the name, and the whole sku."""
    return frozenset([*name_words(name), normalize(sku)])


def query_tokens(q: str) -> list[str]:
    """`q` split into whitespace-separated tokens; each must prefix some term of a product."""
    return list(dict.fromkeys(normalize(q).split()))


def matches_tokens(product: Product, tokens: list[str]) -> bool:
    terms = search_terms(product.sku, product.name)
    return all(any(t.startswith(tok) for t in terms) for tok in tokens)


def first_term_with_prefix(product: Product, prefix: str) -> str | None:
    """The smallest term of `product` starting with `prefix`. A product has one index entry per term,
    so a search reports it only at this one, and it appears once across all pages."""
    found = [t for t in search_terms(product.sku, product.name) if t.startswith(prefix)]
    return min(found) if found else None


# --- CSV import -------------------------------------------------------------------------------------
CSV_COLUMNS = (
    "sku",
    "name",
    "description",
    "barcodes",
    "group",
    "unit",
    "min_quantity",
    "order_multiple",
    "base_price",
    "tax_rate",
    "portal",
    "status",
)
REQUIRED_TO_CREATE = ("name", "base_price", "tax_rate")


@dataclass
class ImportRow:
    """One valid CSV row: its spreadsheet row number, the sku that identifies the product, and the
    other columns the file has (`group` still a name). An empty cell clears a field that may be empty
    (description, barcodes, group) and otherwise keeps the current value (or the default on create)."""

    row: int
    sku: str
    values: dict[str, Any]


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def as_detail(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def same_product_fields(a: Product, b: Product) -> bool:
    """Equal in everything the CSV carries (so an export re-imported changes nothing)."""
    return all(getattr(a, f) == getattr(b, f) for f in IMPORTED_FIELDS)


# The Product fields of the CSV's columns: the `group` column names the product's group_id.
IMPORTED_FIELDS = tuple("group_id" if c == "group" else c for c in CSV_COLUMNS)
