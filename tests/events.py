"""Sample Lambda events kept in events/ (also usable for manual runs), loaded by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parent.parent / "events"


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return data


def combine(*names: str) -> dict[str, Any]:
    return {"Records": [r for n in names for r in load_event(n)["Records"]]}
