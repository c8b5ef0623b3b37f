"""The real Chalice app (app.py) over HTTP, with chalice's own local server machinery
(what `chalice local` runs), in a thread of this process.

Wrapped where chalice's server answers by itself, as API Gateway would, and our contract differs
(API.md "Conventions"): an unknown path is a 404 in the error envelope, not 403 "Missing
Authentication Token" with the Authorization header echoed back; a request the HTTP layer cannot
serve (an unknown method, a malformed request line) also answers in the envelope. On AWS,
infra/package.py gives API Gateway the same answers (GatewayResponse resources).
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from typing import Any

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalDevServer, LocalGateway, RouteMatcher, ThreadedHTTPServer

from chalicelib.api.errors import CODE_BY_STATUS, envelope, no_route_response


class _Gateway(LocalGateway):
    """chalice's API Gateway emulation, answering an unknown path with our 404."""

    def __init__(self, app_object: Any, config: Config) -> None:
        super().__init__(app_object, config)
        self._routes = RouteMatcher(list(app_object.routes))

    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            self._routes.match_route(path)
        except ValueError:
            response = no_route_response()
            return {
                "statusCode": response.status_code,
                "headers": dict(response.headers),
                "multiValueHeaders": {},
                "body": json.dumps(response.body),
            }
        return super().handle_request(method, path, headers, body)


class _RequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Config) -> None:
        self._gateway_args = (app_object, config)
        super().__init__(request, client_address, server, app_object=app_object, config=config)

    def setup(self) -> None:  # runs before the request is handled, after chalice set its gateway
        super().setup()
        self.local_gateway = _Gateway(*self._gateway_args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (an unknown method, a bad request line, headers too long) are
        HTML pages: answer them in the envelope. An unknown method is a 405, as on API Gateway."""
        if code == HTTPStatus.NOT_IMPLEMENTED:
            code = HTTPStatus.METHOD_NOT_ALLOWED
        status = HTTPStatus(code)
        text = "This method is not allowed." if code == HTTPStatus.METHOD_NOT_ALLOWED else f"{status.phrase}."
        body = json.dumps(envelope(CODE_BY_STATUS.get(code, "malformed_request"), text)).encode()
        self.close_connection = True
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                self.wfile.write(body)
        except OSError:  # the client is gone
            pass


class _Server(ThreadedHTTPServer):
    """chalice's threaded server (a thread per connection) with a listen queue for a burst. socketserver
    keeps 5 connections waiting to be accepted: the 6th of a burst is dropped (Linux: its client
    tries again after 1 s, then 3 s, ...) or reset (other systems). 50 clients at once must all be
    served at once (issue 23); the kernel caps the queue at net.core.somaxconn."""

    request_queue_size = 128
    daemon_threads = True  # a request in flight never holds up the stop (stack.py's watchdog)


class ApiServer:
    def __init__(self, app: Any, host: str, port: int) -> None:
        self.url = f"http://{host}:{port}"
        config = Config.create(chalice_stage="local", app_name=app.app_name)
        # Binds the port now.
        self._local = LocalDevServer(app, config, host, port, handler_cls=_RequestHandler, server_cls=_Server)
        self._thread = threading.Thread(target=self._serve, name="api", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        self._local.server.serve_forever(poll_interval=0.1)  # how soon shutdown() is noticed

    def stop(self, timeout: float = 1.0) -> None:
        """Refuse new connections. Requests in flight are not waited for: their threads are daemons
        (chalice's server), and the process ends soon after (stack.py)."""
        if self._thread.is_alive():
            self._local.shutdown()  # from another thread than serve_forever's, as it must be
            self._thread.join(timeout)
        self._local.server.server_close()
