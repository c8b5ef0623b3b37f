"""The line import's CSV (`code,quantity`, API.md): parsed into rows, each with its problem if it has one.
Read as spreadsheets write it (`;` and decimal commas too: domain/spreadsheet.py)."""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation

from chalicelib.domain.errors import MalformedRequestError, ValidationFailedError
from chalicelib.domain.money import MAX_QUANTITY
from chalicelib.domain.spreadsheet import number, reader

MAX_IMPORT_ROWS = 1000
MAX_CODE_LENGTH = 64  # as a product reference in a JSON body (api/schemas/orders.py `Ref`)


def parse_line_csv(text: str) -> list[tuple[int, str, Decimal, str | None]]:
    """(row number, code, quantity, error) per data row; the header is row 1."""
    records, delimiter = reader(text)
    try:
        header = next(records)
    except (StopIteration, csv.Error) as exc:
        raise MalformedRequestError("The CSV has no header row 'code,quantity' (or 'code;quantity').") from exc
    if [h.strip().lower() for h in header] != ["code", "quantity"]:
        raise MalformedRequestError("The CSV header must be 'code,quantity' (or 'code;quantity').")
    rows: list[tuple[int, str, Decimal, str | None]] = []
    try:
        for n, row in enumerate(records, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise ValidationFailedError(
                    f"An import adds at most {MAX_IMPORT_ROWS} lines.",
                    details=[{"row": n, "field": "row", "message": f"more than {MAX_IMPORT_ROWS} rows"}],
                )
            code = row[0].strip() if row else ""
            raw = number(row[1].strip(), delimiter) if len(row) > 1 else ""
            if len(row) != 2 or not code:
                rows.append((n, code, Decimal(0), "A row has a code and a quantity."))
                continue
            if len(code) > MAX_CODE_LENGTH:  # no sku or barcode is longer; nor may a lookup key be
                rows.append((n, code[:MAX_CODE_LENGTH] + "…", Decimal(0), "No product has a code this long."))
                continue
            try:
                qty = Decimal(raw)
            except InvalidOperation:
                rows.append((n, code, Decimal(0), f"'{raw}' is not a quantity."))
                continue
            if not qty.is_finite() or qty <= 0 or qty > MAX_QUANTITY or qty.as_tuple().exponent < -3:  # type: ignore[operator]
                rows.append((n, code, Decimal(0), "The quantity must be above 0, at most 1000000, 3 decimals."))
                continue
            rows.append((n, code, qty, None))
    except csv.Error as exc:
        raise MalformedRequestError(f"The CSV cannot be parsed: {exc}.") from exc
    return rows
