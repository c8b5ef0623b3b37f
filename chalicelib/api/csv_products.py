"""The products CSV of API.md, both ways.

Header `sku,name,description,barcodes,group,unit,min_quantity,order_multiple,base_price,tax_rate,
portal,status`; barcodes separated by `|`, the group by name, portal `true|false`. Rows are numbered
as in a spreadsheet: the header is row 1. An import file may leave out columns other than `sku`
(those fields are then kept as they are); export writes every column, and what it writes reads back
as exactly the same values, so export → import changes nothing.

Formula injection (OWASP, "CSV Injection"): a spreadsheet runs a cell that starts with `=`, `+`, `-`,
`@`, a tab or a carriage return as a formula, so export writes such a cell with a leading `'` (which
spreadsheets show as text). To keep the export reversible, a cell that already starts with `'`s before
one of those characters gets one more; import takes one `'` off any cell of that shape, and only those.

Both ways as spreadsheets write CSV (domain/spreadsheet.py): `,` or `;` read from the header, and in a
`;` file decimal commas in the numeric columns; export writes either (`?delimiter=;`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping

from pydantic import ValidationError

from chalicelib.api.csv_limits import MAX_IMPORT_ROWS as MAX_IMPORT_ROWS  # api/csv_limits.py: why 3,000
from chalicelib.api.messages import describe
from chalicelib.api.schemas.catalog import ProductCsvRow, rate_text
from chalicelib.domain.catalog import CSV_COLUMNS, ImportRow, Product, RowError, num_str
from chalicelib.domain.errors import MalformedRequestError, PayloadTooLargeError, ValidationFailedError
from chalicelib.domain.spreadsheet import number, reader, write

NUMERIC = frozenset({"min_quantity", "order_multiple", "base_price", "tax_rate"})

# A cell a spreadsheet would run, with any number of `'` already in front (see the module's doc).
_FORMULA = re.compile("'*[=+\\-@\t\r]")
_ESCAPED_FORMULA = re.compile("'+[=+\\-@\t\r]")


def neutralise(cell: str) -> str:
    """The cell as export writes it: a leading `'` when a spreadsheet would read it as a formula."""
    return f"'{cell}" if _FORMULA.match(cell) else cell


def restore(cell: str) -> str:
    """The value an exported cell stands for (neutralise's inverse). Import reads cells with stray spaces
    around them (they are stripped), so the shape is looked for after them."""
    stripped = cell.strip()
    return stripped[1:] if _ESCAPED_FORMULA.match(stripped) else cell


def render(products: Iterable[Product], group_names: Mapping[str, str], delimiter: str = ",") -> str:
    rows = [list(CSV_COLUMNS)]
    for p in products:
        cells = [
            p.sku,
            p.name,
            p.description or "",
            "|".join(p.barcodes),
            group_names.get(p.group_id, "") if p.group_id else "",
            p.unit,
            num_str(p.min_quantity),
            num_str(p.order_multiple),
            f"{p.base_price:.2f}",
            rate_text(p.tax_rate),
            "true" if p.portal else "false",
            p.status,
        ]
        rows.append([neutralise(c) for c in cells])
    return write(rows, delimiter, frozenset(i for i, c in enumerate(CSV_COLUMNS) if c in NUMERIC))


def _records(raw: bytes) -> tuple[list[list[str]], str]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedRequestError("The CSV file is not UTF-8 text.") from exc
    records, delimiter = reader(text)
    try:
        return list(records), delimiter
    except csv.Error as exc:
        line = getattr(records, "line_num", 0)
        raise MalformedRequestError(f"The CSV file cannot be parsed near line {line}: {exc}.") from exc


def _header(cells: list[str]) -> list[str]:
    header = [c.strip().lower() for c in cells]
    errors: list[RowError] = []
    for i, name in enumerate(header):
        if name not in CSV_COLUMNS:
            errors.append(RowError(1, name or f"column {i + 1}", f"is not a column; use {','.join(CSV_COLUMNS)}"))
        elif name in header[:i]:
            errors.append(RowError(1, name, "appears twice"))
    if "sku" not in header:
        errors.append(RowError(1, "sku", "the sku column is required"))
    if errors:
        raise ValidationFailedError("The header row is invalid.", details=[e.as_detail() for e in errors])
    return header


def parse(raw: bytes) -> tuple[list[ImportRow], list[RowError]]:
    """Every valid row, and the errors of every invalid one (the service adds the errors that need
    the catalog: unknown group, duplicate sku or barcode)."""
    records, delimiter = _records(raw)
    numbered = [(n, cells) for n, cells in enumerate(records, start=1) if any(c.strip() for c in cells)]
    if not numbered:
        raise ValidationFailedError(
            "The file is empty.", details=[{"row": 1, "field": "sku", "message": "the header row is missing"}]
        )
    (_, header_cells), data = numbered[0], numbered[1:]
    if len(data) > MAX_IMPORT_ROWS:
        raise PayloadTooLargeError(f"A file holds at most {MAX_IMPORT_ROWS} product rows; split it into several.")
    header = _header(header_cells)
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    for n, cells in data:
        if len(cells) != len(header):
            errors.append(RowError(n, "row", f"has {len(cells)} cells; the header has {len(header)}"))
            continue
        # A cell the export neutralised as a formula comes back as it was (`restore`).
        cells_by_column = {
            column: number(cell, delimiter) if column in NUMERIC else cell
            for column, cell in zip(header, map(restore, cells), strict=True)
        }
        try:
            parsed = ProductCsvRow.model_validate(cells_by_column)
        except ValidationError as exc:
            bad = _cell_errors(n, exc)
            errors.extend(bad)
            # The row's other cells still go to the service, which checks what needs the catalog
            # (an unknown group, a barcode held by another product): every bad cell is reported at once.
            good = {c: v for c, v in cells_by_column.items() if c not in {e.field for e in bad}}
            try:
                parsed = ProductCsvRow.model_validate(good)
            except ValidationError:
                continue  # the sku itself is bad: nothing to look up
            rows.append(ImportRow(n, parsed.sku, {c: getattr(parsed, c) for c in good if c != "sku"}))
            continue
        values = {c: getattr(parsed, c) for c in header if c != "sku"}
        rows.append(ImportRow(n, parsed.sku, values))
    return rows, errors


def _cell_errors(row: int, exc: ValidationError) -> list[RowError]:
    """One error per bad cell (its first problem), as a sentence naming the column."""
    out: list[RowError] = []
    seen: set[str] = set()
    for err in exc.errors():
        column = str(err["loc"][0]) if err["loc"] else "row"
        if column not in seen:
            seen.add(column)
            out.append(RowError(row, column, describe(err, column)))
    return out
