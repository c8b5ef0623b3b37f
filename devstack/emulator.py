"""The AWS emulator: moto's server in a thread of this process, on one port for SES, S3 and SQS
(DynamoDB is DynamoDB Local's: dynamodb_local.py).

In process, so the outbox can read the mail SES accepted straight from moto's backends. State lives
in memory and is fresh on every start.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from moto.server import ThreadedMotoServer

from devstack.ses_identities import ses_identities_as_on_aws

log = logging.getLogger(__name__)


class EmulatorError(RuntimeError):
    pass


class Emulator:
    def __init__(self, host: str, port: int, region: str) -> None:
        self.url = f"http://{host}:{port}"
        self._region = region
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._started = False

    def start(self, timeout: float = 15.0) -> None:
        ses_identities_as_on_aws()  # DKIM tokens and verification as SES answers them (ses_identities.py)
        # Werkzeug logs every request at INFO; the worker polls five times a second.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # ThreadedMotoServer.start() waits without a timeout for its server thread, which never
        # signals if binding fails: wait for it from another thread, and give up after `timeout`.
        starter = threading.Thread(target=self._server.start, name="aws-emulator-start", daemon=True)
        starter.start()
        starter.join(timeout)
        if starter.is_alive():
            raise EmulatorError(f"the AWS emulator did not start on {self.url} within {timeout:.0f} s")
        self._started = True

    def stop(self, timeout: float = 1.0) -> None:
        """Stop serving and free the port. Requests in flight are not waited for (daemon threads)."""
        if not self._started:
            return
        self._started = False
        # ThreadedMotoServer.stop() joins its thread without a timeout: bound it.
        stopper = threading.Thread(target=self._server.stop, name="aws-emulator-stop", daemon=True)
        stopper.start()
        stopper.join(timeout)
        server: Any = getattr(self._server, "_server", None)  # stop() leaves the socket open
        if server is not None:
            server.server_close()

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=self._region)
