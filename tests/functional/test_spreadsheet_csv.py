"""CSV as spreadsheets in French, Polish or Bulgarian settings save it (API.md "Orders": CSV bodies):
`;` between cells, decimal commas, a UTF-8 byte order mark, CRLF; and exports a spreadsheet opens so."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.functional.catalog_support import create_group, create_product, import_csv
from tests.functional.conftest import Api
from tests.functional.order_world import World, offer

BOM = "\ufeff"


def import_lines(w: World, text: str, content_type: str = "text/csv") -> dict[str, Any]:
    o = w.order(lines=[{"sku": "SKU-1", "quantity": 1}])
    r = w.buyer.post(f"/orders/{o['id']}/lines/import", raw=text.encode(), headers={"Content-Type": content_type})
    assert r.status_code == 200, r.body
    return dict(r.json)


def test_a_line_import_saved_by_a_french_spreadsheet_is_read(world: World) -> None:
    world.catalog.add(offer("p9", "WIRE-M", "1.20", multiple="0.5"))
    got = import_lines(world, BOM + "code;quantity\r\nWIRE-M;12,5\r\n5901234123457;2\r\n")
    assert got["errors"] == [] and got["added"] == 2, got["errors"]
    lines = {line["sku"]: line["quantity"] for line in got["order"]["lines"]}
    assert lines == {"SKU-1": 3, "WIRE-M": 12.5}  # the barcode's 2 went onto SKU-1's line


def test_commas_and_semicolons_each_read_their_own_way(world: World) -> None:
    # In a comma file "2,5" is two cells: the row is refused, not read as 25 or 2.5.
    got = import_lines(world, "code,quantity\nSKU-1,2,5\n")
    assert got["added"] == 0 and [e["row"] for e in got["errors"]] == [2]
    # Sent as bytes (a client that cannot send text/csv), the same file reads the same.
    world.catalog.add(offer("p9", "WIRE-M", "1.20", multiple="0.5"))
    got = import_lines(world, "code;quantity\nWIRE-M;1,5\n", "application/octet-stream")
    assert got["added"] == 1 and got["order"]["lines"][1]["quantity"] == 1.5


def test_a_wrong_header_names_both_forms(world: World) -> None:
    o = world.order()
    r = world.buyer.post(
        f"/orders/{o['id']}/lines/import", raw=b"sku;qty\nSKU-1;1\n", headers={"Content-Type": "text/csv"}
    )
    assert r.status_code == 400 and "'code;quantity'" in r.json["error"]["message"]


def test_products_exported_for_a_spreadsheet_with_decimal_commas_import_back_unchanged(admin: Api) -> None:
    group = create_group(admin, "Vis; écrous", portal=True)
    create_product(
        admin, "VIS-1", name="Vis, M8", min_quantity=2.5, base_price="12.50", tax_rate="0.055", group_id=group["id"]
    )
    r = admin.get("/products/export?delimiter=%3B")
    assert r.status_code == 200
    text = r.body.decode()
    header, row = text.split("\r\n")[:2]
    assert header.split(";")[:2] == ["sku", "name"]
    assert row.split(";")[:2] == ["VIS-1", "Vis, M8"]  # a comma in text stays text
    assert ";pcs;2,5;1;12,50;0,055;false;active" in row and '"Vis; écrous"' in row
    r = import_csv(admin, BOM + text)
    assert r.status_code == 200, r.body
    assert r.json == {"created": 0, "updated": 0, "unchanged": 1, "errors": []}
    assert admin.get("/products/export?delimiter=%3B").body.decode() == text
    assert admin.get("/products/export").body.decode().splitlines()[1].startswith("VIS-1,")  # commas by default


def test_a_polish_product_file_creates_products_at_decimal_comma_prices(admin: Api) -> None:
    text = (
        BOM + "sku;name;base_price;tax_rate;min_quantity\r\nPL-1;Śruba;1234,56;0,23;1\r\nPL-2;Nakrętka;0,5;0,08;2,5\r\n"
    )
    r = import_csv(admin, text)
    assert r.status_code == 200, r.body
    assert r.json["created"] == 2
    got = {p["sku"]: p for p in admin.get("/products?limit=100").json["items"]}
    assert Decimal(got["PL-1"]["base_price"]) == Decimal("1234.56") and Decimal(got["PL-2"]["tax_rate"]) == Decimal(
        "0.08"
    )
    assert got["PL-2"]["min_quantity"] == 2.5
    # A decimal comma in a comma file is no number: the row is refused with the column named.
    r = import_csv(admin, 'sku,base_price\nPL-3,"1,5"\n')
    assert r.status_code == 422 and r.json["error"]["details"][0]["field"] == "base_price"
