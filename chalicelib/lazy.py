"""Modules imported on first use, so a cold start pays only for what its handler needs.

Importing app.py registers every route, but a route's service, storage and client libraries are only
imported when one of its requests arrives (PITFALLS.md: pynamodb/botocore ≈ 180 ms, Powertools ≈
100 ms). Write

    if TYPE_CHECKING:
        from chalicelib.services import admin
    else:
        admin = LazyModule("chalicelib.services.admin")

so that type checkers see the real module and the first attribute access imports it.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        # import_module holds the import lock and returns the cached module after the first call.
        return getattr(importlib.import_module(self._name), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self._name}>"
