"""Catalog and pricing code reads by key and Query only: no Scan anywhere in it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "chalicelib"
CATALOG_FILES = [
    "domain/catalog.py",
    "domain/pricing.py",
    "storage/products.py",
    "storage/prices.py",
    "services/catalog.py",
    "services/pricing.py",
    "api/routes/catalog.py",
    "api/csv_products.py",
]


def test_no_catalog_module_calls_scan() -> None:
    for name in CATALOG_FILES:
        source = (ROOT / name).read_text()
        assert not re.search(r"\.scan\(|parallel_scan|\"Scan\"", source), name
