"""The one structured JSON logger (Powertools). Request handlers add tenant, request and order ids.

Powertools' Logger costs ~60 ms to import, so it is built on the first log call rather than when
app.py is imported (cold starts, PITFALLS.md); every call goes to the same Logger.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

SERVICE = "ordergate"


class _LazyLogger:
    def __init__(self) -> None:
        self._logger: Logger | None = None
        self._lock = threading.Lock()

    def _get(self) -> Logger:
        if self._logger is None:
            with self._lock:
                if self._logger is None:
                    from aws_lambda_powertools import Logger

                    self._logger = Logger(service=SERVICE)
        return self._logger

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


logger: Logger = _LazyLogger()  # type: ignore[assignment]
