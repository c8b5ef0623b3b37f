"""Order use cases: the one service the routes call, assembled from its parts — the write path and
reads (order_writes.py), drafts (order_drafts.py), the lifecycle (order_actions.py); who sees and may
do what (order_visibility.py); the line CSV (order_lines_csv.py). Transitions live in domain/orders.py.
"""

from __future__ import annotations

from chalicelib.services.order_actions import Lifecycle
from chalicelib.services.order_documents import Documents
from chalicelib.services.order_drafts import Drafts, ImportResult

__all__ = ["ImportResult", "OrderService"]


class OrderService(Drafts, Lifecycle, Documents):
    """Every order use case; built in bootstrap.py with the catalog port and the order store."""
