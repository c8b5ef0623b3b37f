"""CSV as spreadsheets write it (API.md "Orders": CSV bodies), for every import and export.

A spreadsheet in French, Polish or Bulgarian settings (the decimal separator is a comma there) saves
"CSV" with `;` between cells, decimal commas, often a UTF-8 byte order mark and CRLF line ends. The
delimiter is read from the header line (its names hold neither `,` nor `;`), so a file is read as it
was saved; a decimal comma is taken only in a `;` file, where it cannot be a cell separator.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

_DECIMAL_COMMA = re.compile(r"\s*[+-]?[0-9]*,[0-9]+\s*")
_DECIMAL_POINT = re.compile(r"[+-]?[0-9]*\.[0-9]+")


def delimiter_of(text: str) -> str:
    """`;` when the header line (the first line with anything on it) has more of them than commas."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if header.count(";") > header.count(",") else ","


def reader(text: str) -> tuple[Iterator[list[str]], str]:
    """The records of `text` (a byte order mark taken off, any line ends) and the delimiter they use."""
    text = text.removeprefix("\ufeff")
    delimiter = delimiter_of(text)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True), delimiter


def number(cell: str, delimiter: str) -> str:
    """A numeric cell as the API reads numbers: `2,5` → `2.5` in a `;` file; anything else as it is."""
    if delimiter == ";" and _DECIMAL_COMMA.fullmatch(cell):
        return cell.replace(",", ".")
    return cell


def write(rows: Iterable[list[str]], delimiter: str, numeric: frozenset[int] = frozenset()) -> str:
    """Rows as a spreadsheet of that delimiter reads them: CRLF, and in a `;` file decimal commas in
    the `numeric` columns (by index), so the spreadsheet sees numbers, not text."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        if delimiter == ";":
            row = [
                c.replace(".", ",") if i in numeric and _DECIMAL_POINT.fullmatch(c) else c for i, c in enumerate(row)
            ]
        writer.writerow(row)
    return out.getvalue()
