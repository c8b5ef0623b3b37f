"""The real Chalice app (app.py) over HTTP, with chalice's own local server machinery
(what `chalice local` runs), in a thread of this process."""

from __future__ import annotations

import threading
from typing import Any

from chalice.config import Config
from chalice.local import create_local_server


class ApiServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        self.url = f"http://{host}:{port}"
        config = Config.create(chalice_stage="local", app_name=app.app_name)
        self._local = create_local_server(app, config, host, port)  # binds the port now
        self._thread = threading.Thread(target=self._serve, name="api", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        self._local.server.serve_forever(poll_interval=0.1)  # how soon shutdown() is noticed

    def stop(self) -> None:
        if self._thread.is_alive():
            self._local.shutdown()  # from another thread than serve_forever's, as it must be
            self._thread.join(5)
        self._local.server.server_close()
