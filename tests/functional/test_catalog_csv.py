"""CSV import and export of products (API.md's format, with the portal column)."""

from __future__ import annotations

import csv
import io

from chalicelib.api import csv_products
from tests.functional.catalog_support import (
    create_group,
    create_product,
    customer_user,
    ids,
    import_csv,
    no_scan,  # noqa: F401 (autouse: no Scan behind any request)
    skus,
)
from tests.functional.conftest import Api

HEADER = "sku,name,description,barcodes,group,unit,min_quantity,order_multiple,base_price,tax_rate,portal,status\n"


def test_export_then_import_of_the_same_file_reports_everything_unchanged(admin: Api) -> None:
    group = create_group(admin, "Fasteners, metric", portal=True)
    create_product(
        admin,
        "BOLT-1",
        name='Bolt "heavy", M8',
        description="Line one\nline two, with comma",
        barcodes=["111111", "222222"],
        group_id=group["id"],
        unit="box",
        min_quantity=2.5,
        order_multiple=0.5,
        base_price="12.50",
        tax_rate="0.075",
        portal=True,
    )
    create_product(admin, "NUT-1", name="  Nut  ", description="", status="inactive", tax_rate="0")
    exported = admin.get("/products/export")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    text = exported.body.decode()
    assert text.splitlines()[0] == HEADER.strip()

    r = import_csv(admin, text)
    assert r.status_code == 200, r.body
    assert r.json == {"created": 0, "updated": 0, "unchanged": 2, "errors": []}
    assert admin.get("/products/export").body.decode() == text


def test_cells_a_spreadsheet_would_run_are_exported_inert_and_import_back_unchanged(admin: Api) -> None:
    # OWASP's CSV injection: a cell starting with = + - @ (or tab, CR) runs as a formula when opened.
    group = create_group(admin, '=HYPERLINK("http://evil.example")')
    texts = {
        "F-1": ("=1+2", "+cmd|' /C calc'!A0"),
        "F-2": ("-2+3", "@SUM(A1:A9)"),
        "F-3": ("'=already quoted", "''+twice"),
        "F-4": ("'apostrophe, no formula", "plain, with = + - @ inside"),
    }
    for sku, (name, description) in texts.items():
        create_product(admin, sku, name=name, description=description, unit="-", group_id=group["id"])

    text = admin.get("/products/export").body.decode()
    rows = {r[0]: r for r in csv.reader(io.StringIO(text, newline=""))}
    assert rows["F-1"][1:6] == ["'=1+2", "'+cmd|' /C calc'!A0", "", '\'=HYPERLINK("http://evil.example")', "'-"]
    assert rows["F-2"][1:3] == ["'-2+3", "'@SUM(A1:A9)"]
    assert rows["F-3"][1:3] == ["''=already quoted", "'''+twice"]  # one more, so import can tell
    assert rows["F-4"][1:3] == ["'apostrophe, no formula", "plain, with = + - @ inside"]  # left alone
    assert not [cell for row in rows.values() for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]

    r = import_csv(admin, text)
    assert r.status_code == 200, r.body
    assert r.json == {"created": 0, "updated": 0, "unchanged": 4, "errors": []}
    for sku, (name, description) in texts.items():
        p = admin.get(f"/products?sku={sku}").json["items"][0]
        assert (p["name"], p["description"], p["unit"]) == (name, description, "-")
    assert admin.get("/products/export").body.decode() == text


def test_an_imported_cell_loses_one_apostrophe_only_before_a_formula_character(admin: Api) -> None:
    text = HEADER + (
        "Q-1,'=SUM(1),'plain,,,pcs,1,1,1.00,0.20,false,active\nQ-2, '@home ,'',,,pcs,1,1,1.00,0.20,false,active\n"
    )
    r = import_csv(admin, text)
    assert r.status_code == 200, r.body
    got = {sku: admin.get(f"/products?sku={sku}").json["items"][0] for sku in ("Q-1", "Q-2")}
    assert (got["Q-1"]["name"], got["Q-1"]["description"]) == ("=SUM(1)", "'plain")
    assert (got["Q-2"]["name"], got["Q-2"]["description"]) == ("@home", "''")


def test_import_creates_new_skus_and_updates_existing_ones(admin: Api) -> None:
    create_group(admin, "Tools", portal=True)
    existing = create_product(admin, "OLD-1", name="Old name", base_price="5.00")
    text = HEADER + (
        "OLD-1,New name,,,,pcs,1,1,6.00,0.20,false,active\n"
        "NEW-1,Hammer,Claw hammer,4006381333931,Tools,pcs,1,1,19.90,0.20,false,active\n"
    )
    r = import_csv(admin, text)
    assert r.status_code == 200, r.body
    assert r.json == {"created": 1, "updated": 1, "unchanged": 0, "errors": []}
    updated = admin.get(f"/products/{existing['id']}")
    assert (updated.json["name"], updated.json["base_price"], updated.headers["ETag"]) == ("New name", "6.00", '"2"')
    hammer = admin.get("/products?barcode=4006381333931").json["items"][0]
    assert (hammer["sku"], hammer["visible"]) == ("NEW-1", True)  # visible through its group
    assert skus(admin.get("/products?q=claw")) == []  # descriptions are not searched
    assert skus(admin.get("/products?q=hamm")) == ["NEW-1"]
    # Imported products are ordinary products: a single write afterwards keeps the version chain.
    assert (
        admin.patch(f"/products/{hammer['id']}", {"name": "Hammer XL"}, headers={"If-Match": '"1"'}).status_code == 200
    )


def test_an_import_with_one_bad_row_among_good_ones_writes_nothing_and_reports_every_bad_row(admin: Api) -> None:
    existing = create_product(admin, "KEEP-1", base_price="5.00")
    create_product(admin, "OTHER-1", barcodes=["999999"])
    text = HEADER + (
        "GOOD-1,Good,,,,pcs,1,1,1.00,0.20,false,active\n"  # row 2
        "BAD-1,Bad,,,,pcs,1,1,abc,0.20,maybe,active\n"  # row 3: base_price and portal
        "KEEP-1,Kept,,,,pcs,1,1,7.00,0.20,false,active\n"  # row 4: a valid update
        "GOOD-2,Good too,,999999,Nowhere,pcs,1,1,2.00,0.20,false,active\n"  # row 5: barcode taken, group
        "GOOD-1,Twice,,,,pcs,1,1,1.00,0.20,false,active\n"  # row 6: sku repeated
        "SHORT-1,Short\n"  # row 7: cell count
        "NEW-9,,,,,,,,,,,\n"  # row 8: a new product needs name, base_price, tax_rate
    )
    r = import_csv(admin, text)
    assert r.status_code == 422, r.body
    problems = {(d["row"], d["field"]) for d in r.json["error"]["details"]}
    assert problems == {
        (3, "base_price"),
        (3, "portal"),
        (5, "barcodes"),
        (5, "group"),
        (6, "sku"),
        (7, "row"),
        (8, "name"),
        (8, "base_price"),
        (8, "tax_rate"),
    }
    assert all(d["message"] for d in r.json["error"]["details"])
    assert sorted(skus(admin.get("/products"))) == ["KEEP-1", "OTHER-1"]
    assert admin.get(f"/products/{existing['id']}").json["base_price"] == "5.00"


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(admin: Api) -> None:
    create_product(admin, "OLD-1")
    text = HEADER + "OLD-1,Renamed,,,,pcs,1,1,10.00,0.20,false,active\nNEW-1,New,,,,pcs,1,1,1.00,0.20,true,active\n"
    r = import_csv(admin, text, dry_run=True)
    assert r.status_code == 200, r.body
    assert r.json == {"created": 1, "updated": 1, "unchanged": 0, "errors": []}
    assert skus(admin.get("/products")) == ["OLD-1"]
    assert admin.get("/products").json["items"][0]["name"] == "Product OLD-1"
    assert import_csv(admin, text, dry_run=False).json["created"] == 1


def test_the_portal_column_controls_what_customers_see(admin: Api) -> None:
    _, buyer = customer_user(admin, "C-1")
    import_csv(
        admin, HEADER + "A-1,Shown,,,,pcs,1,1,1.00,0.20,true,active\nB-1,Hidden,,,,pcs,1,1,1.00,0.20,false,active\n"
    )
    assert skus(buyer.get("/products")) == ["A-1"]
    exported = admin.get("/products/export").body.decode().splitlines()
    portal_by_sku = sorted((line.split(",")[0], line.split(",")[10]) for line in exported[1:])
    assert portal_by_sku == [("A-1", "true"), ("B-1", "false")]
    import_csv(admin, "sku,portal\nA-1,false\nB-1,TRUE\n")
    assert skus(buyer.get("/products")) == ["B-1"]


def test_a_file_may_leave_out_columns_and_empty_cells_keep_or_clear_values(admin: Api) -> None:
    group = create_group(admin, "G")
    p = create_product(admin, "A-1", description="Old", barcodes=["123456"], group_id=group["id"], unit="box")
    r = import_csv(admin, "sku,base_price,description,barcodes,group,unit\nA-1,3.00,,,,\n")
    assert r.status_code == 200, r.body
    got = admin.get(f"/products/{p['id']}").json
    assert got["base_price"] == "3.00"
    assert (got["description"], got["barcodes"], got["group_id"]) == (None, [], None)  # cleared
    assert got["unit"] == "box"  # kept: an empty required cell never blanks a field


def test_a_barcode_may_move_between_products_of_one_file(admin: Api) -> None:
    a = create_product(admin, "A-1", barcodes=["111111"])
    b = create_product(admin, "B-1", barcodes=["222222"])
    r = import_csv(admin, "sku,barcodes\nA-1,222222\nB-1,111111\n")
    assert r.status_code == 200, r.body
    assert ids(admin.get("/products?barcode=111111")) == [b["id"]]
    assert ids(admin.get("/products?barcode=222222")) == [a["id"]]
    # ...and a single write still guards them.
    r = admin.patch(f"/products/{a['id']}", {"barcodes": ["111111"]})
    assert r.status_code == 409


def test_a_barcode_may_not_appear_twice_in_a_file(admin: Api) -> None:
    r = import_csv(admin, "sku,name,base_price,tax_rate,barcodes\nA-1,A,1.00,0.20,555|556\nB-1,B,1.00,0.20,556\n")
    assert r.status_code == 422
    assert [(d["row"], d["field"]) for d in r.json["error"]["details"]] == [(3, "barcodes")]


def test_renamed_products_are_found_by_their_new_name(admin: Api) -> None:
    create_product(admin, "A-1", name="Blue paint")
    import_csv(admin, "sku,name\nA-1,Green paint\n")
    assert skus(admin.get("/products?q=green")) == ["A-1"]
    assert skus(admin.get("/products?q=blue")) == []


def test_malformed_files_are_refused_clearly(admin: Api) -> None:
    assert import_csv(admin, "").status_code == 422
    bad_header = import_csv(admin, "sku,price\nA-1,1\n")
    assert bad_header.status_code == 422
    assert bad_header.json["error"]["details"] == [
        {"row": 1, "field": "price", "message": bad_header.json["error"]["details"][0]["message"]}
    ]
    assert import_csv(admin, "name\nX\n").status_code == 422  # no sku column
    not_utf8 = admin.post("/products/import", raw=b"sku\n\xff\xfe\n", headers={"Content-Type": "text/csv"})
    assert not_utf8.status_code == 400
    broken_quotes = import_csv(admin, 'sku,name\nA-1,"unterminated\n')
    assert broken_quotes.status_code == 400
    assert (
        admin.post("/products/import?dry_run=maybe", raw=b"sku\n", headers={"Content-Type": "text/csv"}).status_code
        == 400
    )
    assert admin.post("/products/import", {"sku": "A-1"}).status_code == 415  # JSON is not CSV


def test_files_over_the_row_limit_are_refused_with_413(admin: Api) -> None:
    rows = csv_products.MAX_IMPORT_ROWS + 1
    text = "sku,name,base_price,tax_rate\n" + "".join(f"S-{n},N,1.00,0.20\n" for n in range(rows))
    r = import_csv(admin, text)
    assert r.status_code == 413
    assert r.json["error"]["code"] == "payload_too_large"


def test_a_bom_and_windows_line_ends_are_accepted(admin: Api) -> None:
    r = admin.post(
        "/products/import",
        raw="\ufeffsku,name,base_price,tax_rate\r\nA-1,A,1.00,0.20\r\n".encode(),
        headers={"Content-Type": "text/csv; charset=utf-8"},
    )
    assert r.status_code == 200, r.body
    assert r.json["created"] == 1


def test_single_product_writes_wait_while_an_import_holds_the_catalog(admin: Api) -> None:
    from chalicelib.storage import products

    p = create_product(admin, "A-1")
    products.acquire_lease("acme", "running-import")
    busy = admin.patch(f"/products/{p['id']}", {"name": "Changed"})
    assert busy.status_code == 409
    assert busy.json["error"]["code"] == "import_in_progress"
    assert import_csv(admin, "sku,name\nA-1,Other\n").status_code == 409
    assert import_csv(admin, "sku,name\nA-1,Other\n", dry_run=True).status_code == 200  # reads only
    products.release_lease("acme", "running-import")
    assert admin.patch(f"/products/{p['id']}", {"name": "Changed"}).status_code == 200
