"""The products CSV format both ways: parsing and validation of rows, and rendering."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.api import csv_products
from chalicelib.domain.catalog import Product
from chalicelib.domain.errors import MalformedRequestError, PayloadTooLargeError, ValidationFailedError

HEADER = "sku,name,description,barcodes,group,unit,min_quantity,order_multiple,base_price,tax_rate,portal,status"


def test_a_rendered_product_parses_back_to_the_same_values() -> None:
    product = Product(
        id="p1",
        sku="BOLT-1",
        name='Bolt "heavy", M8',
        description="two\nlines",
        barcodes=["111", "222"],
        group_id="g1",
        unit="box",
        min_quantity=Decimal("2.5"),
        order_multiple=Decimal("0.5"),
        base_price=Decimal("12.50"),
        tax_rate=Decimal("0.075"),
        portal=True,
    )
    text = csv_products.render([product], {"g1": "Fasteners, metric"})
    rows, errors = csv_products.parse(text.encode())
    assert errors == []
    assert rows[0].row == 2
    assert rows[0].sku == "BOLT-1"
    assert rows[0].values == {
        "name": 'Bolt "heavy", M8',
        "description": "two\nlines",
        "barcodes": ["111", "222"],
        "group": "Fasteners, metric",
        "unit": "box",
        "min_quantity": Decimal("2.5"),
        "order_multiple": Decimal("0.5"),
        "base_price": Decimal("12.50"),
        "tax_rate": Decimal("0.075"),
        "portal": True,
        "status": "active",
    }


def test_rows_are_numbered_like_a_spreadsheet_and_every_bad_cell_is_reported() -> None:
    text = f"{HEADER}\nA,,,,,,,,1.00,0.20,true,active\n\nB,,,,,,0,,x,2,yes,gone\n"
    rows, errors = csv_products.parse(text.encode())
    # Row 4 goes on without its bad cells, so the service also reports what needs the catalog.
    assert [r.row for r in rows] == [2, 4]
    assert set(rows[1].values).isdisjoint({"min_quantity", "base_price", "tax_rate", "portal", "status"})
    assert {(e.row, e.field) for e in errors} == {
        (4, "min_quantity"),
        (4, "base_price"),
        (4, "tax_rate"),
        (4, "portal"),
        (4, "status"),
    }


def test_empty_cells_are_none_and_absent_columns_are_absent() -> None:
    rows, _ = csv_products.parse(b"sku,base_price,barcodes\nA-1,,\n")
    assert rows[0].values == {"base_price": None, "barcodes": []}


def test_the_header_must_name_known_columns_once_and_include_sku() -> None:
    for header in ("sku,price", "sku,name,name", "name,base_price"):
        with pytest.raises(ValidationFailedError) as caught:
            csv_products.parse(f"{header}\n".encode())
        assert all(d["row"] == 1 for d in caught.value.details)


def test_a_file_that_is_not_utf8_or_not_csv_is_malformed() -> None:
    with pytest.raises(MalformedRequestError):
        csv_products.parse(b"sku\n\xff\n")
    with pytest.raises(MalformedRequestError):
        csv_products.parse(b'sku,name\nA,"open\n')


def test_more_rows_than_the_limit_is_too_large() -> None:
    text = "sku\n" + "A\n" * (csv_products.MAX_IMPORT_ROWS + 1)
    with pytest.raises(PayloadTooLargeError):
        csv_products.parse(text.encode())
