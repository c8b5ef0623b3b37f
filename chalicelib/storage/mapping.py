"""Copying between item models and domain dataclasses by field name, so each repository states only
what differs (keys, decimals, nested JSON)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any, TypeVar

from chalicelib.storage.items import BaseItem

D = TypeVar("D")


def item_values(item: BaseItem, domain_cls: type[D], **overrides: Any) -> D:
    names = {f.name for f in dataclasses.fields(domain_cls)}  # type: ignore[arg-type]
    values = {n: getattr(item, n) for n in names if n not in overrides and hasattr(item, n)}
    if "version" in names:
        values["version"] = item.version or 0
    values.update(overrides)
    return domain_cls(**values)


def dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def dec_str(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"
