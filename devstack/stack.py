"""Starting and stopping the local stack, in one process:

1. DynamoDB Local (Amazon's engine, a JVM: DynamoDB and DynamoDB Streams) on 127.0.0.1:8001, and the
   AWS emulator (moto server: SES, S3, SQS) on 127.0.0.1:5000;
2. the environment that points the app at them, the table with its stream, the documents bucket (its
   uploads call the S3 event handler: uploads.py);
3. the outbox, then the stream worker, then the demo tenant (whose records the worker delivers);
4. the Chalice app over HTTP on 127.0.0.1:8000.

Stopping (Ctrl-C or SIGTERM) runs the same steps backwards: no new requests, the worker finishes
its batch, the outbox collects the last mail, the emulators free their ports (the JVM ends). Whatever
is still in flight (a slow request, a client that never sends its body), the process is gone within
STOP_SECONDS of the signal: a watchdog ends it, and the JVM with it, when the orderly stop takes
longer, and a second Ctrl-C ends it at once. Nothing needs saving: the emulators keep their state in
memory, every outbox file and the signing key are written whole (renamed into place).
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from chalicelib import config
from devstack import dynamodb_local, environment, settings
from devstack.api import ApiServer
from devstack.emulator import Emulator
from devstack.loop import PollingThread
from devstack.outbox import Outbox
from devstack.ports import port_in_use
from devstack.seed import DEMO_ADMIN, DEMO_PASSWORD, DEMO_TENANT, seed_demo, verify_sender_domain
from devstack.worker import StreamWorker

log = logging.getLogger(__name__)

EXIT_PORT_IN_USE = 2
EXIT_STARTUP_FAILED = 1
STOP_SECONDS = 4.0  # from the signal to the end of the process, whatever is in flight
STEP_STOP_SECONDS = 1.0  # what one part (the API, a polling loop) may take to stop
# The project: app.py and the gitignored .local/ live here, wherever the command is run from.
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Running:
    """What the banner tells the developer."""

    api_url: str
    aws_url: str
    dynamodb_url: str
    table_name: str
    outbox: Path
    seeded: bool


def busy_ports(local: settings.LocalSettings) -> list[str]:
    wanted = [
        (local.aws_port, "the AWS emulator", settings.LOCAL_AWS_PORT),
        (local.api_port, "the API", settings.LOCAL_API_PORT),
        (local.dynamodb_port, "DynamoDB Local", settings.LOCAL_DYNAMODB_PORT),
    ]
    return [
        f"port {port} ({what}) is in use on {local.host}; free it or set {var} to another port"
        for port, what, var in wanted
        if port_in_use(local.host, port)
    ]


def run(local: settings.LocalSettings) -> int:
    """Start everything, wait for Ctrl-C or SIGTERM, stop everything. Returns the exit status."""
    if len({local.aws_port, local.api_port, local.dynamodb_port}) < 3:
        ports = f"{local.aws_port}, {local.api_port}, {local.dynamodb_port}"
        message = f"ordergate local: the AWS emulator, the API and DynamoDB Local need 3 ports, not {ports}."
        print(message, file=sys.stderr)
        return EXIT_PORT_IN_USE
    problems = busy_ports(local)
    if problems:
        for problem in problems:
            print(f"ordergate local: {problem}.", file=sys.stderr)
        return EXIT_PORT_IN_USE

    stop = threading.Event()
    with _stop_on_signals(stop, _exit_now), ExitStack() as cleanup:
        try:
            running = _start(local, cleanup)
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:  # taken since the check above
                print(f"ordergate local: a port became in use while starting ({exc}).", file=sys.stderr)
                return EXIT_PORT_IN_USE
            if isinstance(exc, dynamodb_local.DynamoDBLocalError):  # Java or the npm package missing
                print(f"ordergate local: {exc}", file=sys.stderr)
                return EXIT_STARTUP_FAILED
            log.exception("the local stack failed to start")
            return EXIT_STARTUP_FAILED
        print(banner(running), flush=True)
        while not stop.wait(0.5):
            pass
        print("\nordergate local: stopping...", file=sys.stderr, flush=True)
        _start_watchdog(STOP_SECONDS)
    print("ordergate local: stopped.", file=sys.stderr, flush=True)
    return 0


def _exit_now(message: str) -> None:
    """End the process without waiting for anything (threads in flight, interpreter clean-up)."""
    print(f"ordergate local: {message}", file=sys.stderr, flush=True)
    sys.stdout.flush()
    dynamodb_local.kill_all()  # a child process: os._exit alone would leave it running
    os._exit(0)


def _start_watchdog(seconds: float) -> None:
    def watch() -> None:
        time.sleep(seconds)
        _exit_now(f"stopped (after {seconds:g} s, without waiting for the work still in flight).")

    threading.Thread(target=watch, name="stop-watchdog", daemon=True).start()


LOCAL_CONFIGURATION_SET = "ordergate-local"


def _load_app() -> Any:
    """app.py is not part of the installed package: import it from the project folder."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from app import app

    return app


def _start(local: settings.LocalSettings, cleanup: ExitStack) -> Running:
    local_dir = Path(local.local_dir).resolve() if local.local_dir else PROJECT_ROOT / ".local"
    region = config.Settings.from_env().region
    emulator = Emulator(local.host, local.aws_port, region)
    dynamodb = dynamodb_local.DynamoDBLocal(local.host, local.dynamodb_port, region)
    key = environment.signing_key(local_dir)
    api_url = f"http://{local.host}:{local.api_port}"
    # The approvers' e-mail links lead to this stack's API (on AWS: the API's public URL).
    environment.apply(
        {
            **environment.local_environment(emulator.url, dynamodb.url, key, region),
            config.PUBLIC_API_URL: api_url,
            config.SES_CONFIGURATION_SET: LOCAL_CONFIGURATION_SET,  # sends go through one, as on AWS
        }
    )

    from chalicelib import bootstrap  # after the environment is set: settings are read once
    from chalicelib.storage import table

    bootstrap.reset()
    dynamodb.start()  # first: the JVM takes a few seconds, and Java missing is said before anything runs
    cleanup.callback(dynamodb.stop)
    emulator.start()
    cleanup.callback(emulator.stop)
    # Webhooks (issue 15): the queues in the emulator's SQS, before the settings are read.
    from devstack import webhooks as local_webhooks

    queue_url, _ = local_webhooks.create_queues(emulator.client("sqs"), config.webhook_queue_name())
    environment.apply(
        {
            **environment.local_environment(emulator.url, dynamodb.url, key, region),
            config.SQS_ENDPOINT: emulator.url,
            config.WEBHOOK_QUEUE_URL: queue_url,
            config.EVENT_SETTLE_SECONDS: "5",  # no 29 s Lambda limit here, but no real concurrency either
        }
    )
    bootstrap.reset()
    # http://127.0.0.1 webhook receivers on the developer's machine, but never this stack's own ports.
    # Given here, not through the environment: no deployed configuration can turn it on.
    own_ports = frozenset({local.aws_port, local.api_port})
    settings = dataclasses.replace(config.get_settings(), webhook_local_refused_ports=own_ports)
    bootstrap.set_services(bootstrap.Services(settings))

    services = bootstrap.get_services()
    table.create_table()
    verify_sender_domain(emulator.client("ses"), services.settings.platform_sender.rpartition("@")[2])
    s3 = emulator.client("s3")
    s3.create_bucket(Bucket=services.settings.documents_bucket)
    # Versioned, as on AWS (infra/ordergate.yaml): a document is fixed to the version that arrived first.
    s3.put_bucket_versioning(Bucket=services.settings.documents_bucket, VersioningConfiguration={"Status": "Enabled"})
    # The emulator keeps configuration sets but reports no events from them (PITFALLS.md): the SES event
    # handler is fed by tests with the samples in events/.
    emulator.client("sesv2").create_configuration_set(ConfigurationSetName=LOCAL_CONFIGURATION_SET)

    outbox = Outbox(local_dir / "outbox")
    emptied = outbox.empty()  # every run starts with an empty outbox: the emulator starts empty too
    if emptied:
        log.info("outbox: removed %d e-mail(s) of an earlier run from %s", emptied, outbox.directory)
    _start_loop(cleanup, PollingThread("outbox", outbox.run_step, interval=0.2), final=outbox.collect)
    worker = StreamWorker(
        dynamodb.client("dynamodb"),
        dynamodb.client("dynamodbstreams"),
        services.settings.table_name,
        services.handle_stream,
        start="TRIM_HORIZON",  # a fresh emulator: everything in the stream is this run's, seed included
    )
    _start_loop(cleanup, PollingThread("stream-worker", worker.run_step, interval=0.2))
    hooks = local_webhooks.WebhookWorker(emulator.client("sqs"), queue_url, region)
    _start_loop(cleanup, PollingThread("webhook-worker", hooks.run_step, interval=0.1))
    _start_loop(cleanup, PollingThread("webhook-schedule", local_webhooks.run_schedule, interval=5.0))
    # app.py's scheduled function (hourly on AWS), the same code, every few seconds.
    reminders = PollingThread("approval-reminders", services_reminders_run, interval=local.schedule_seconds)
    _start_loop(cleanup, reminders)

    from chalicelib.services.sender_identities import SesSenderIdentities

    # No portal: the API is not one (its e-mails link to none).
    seeded = seed_demo(services.passwords, SesSenderIdentities(services.sesv2), region)

    app = _load_app()
    from devstack.uploads import feed_uploads

    handler = sys.modules["app"].on_document_uploaded  # the Lambda handler, as S3 would call it
    feed_uploads(services.settings.documents_bucket, region, handler, s3)
    api = ApiServer(app, local.host, local.api_port)
    api.start()
    cleanup.callback(api.stop)
    return Running(api_url, emulator.url, dynamodb.url, services.settings.table_name, outbox.directory, seeded)


def services_reminders_run() -> object:
    from chalicelib.bootstrap import get_services

    return get_services().approval_reminders.run()


def _start_loop(cleanup: ExitStack, loop: PollingThread, final: Callable[[], object] | None = None) -> None:
    loop.start()

    def stop() -> None:
        loop.stop(STEP_STOP_SECONDS)
        if final is not None:
            try:
                final()  # one last round after the loop stopped, e.g. mail sent by the last batch
            except Exception:
                log.exception("%s: final round failed", loop.name)

    cleanup.callback(stop)


@contextmanager
def _stop_on_signals(stop: threading.Event, exit_now: Callable[[str], None]) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # a second Ctrl-C: the developer does not want to wait
            exit_now("stopped at once (second signal).")
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def banner(r: Running) -> str:
    login = f'{{"tenant": "{DEMO_TENANT}", "username": "{DEMO_ADMIN}", "password": "{DEMO_PASSWORD}"}}'
    seeded = "created" if r.seeded else "already there"
    return "\n".join(
        [
            "",
            "OrderGate local stack is running",
            f"  API            {r.api_url}   (port: {settings.LOCAL_API_PORT})",
            f"  DynamoDB       {r.dynamodb_url}   (port: {settings.LOCAL_DYNAMODB_PORT}; DynamoDB Local, streams too)",
            f"  AWS emulator   {r.aws_url}   (port: {settings.LOCAL_AWS_PORT}; moto: SES, S3, SQS)",
            f"  Table          {r.table_name}  (its stream feeds the Lambda stream handler)",
            f"  Demo login     tenant {DEMO_TENANT}, username {DEMO_ADMIN}, password {DEMO_PASSWORD}  ({seeded})",
            f"  Outbox         {r.outbox}/  (one .eml per e-mail SES accepted)",
            "  Webhooks       SQS in the emulator, delivered by a worker; http://127.0.0.1 receivers allowed",
            "",
            "  Log in:",
            f"    curl -s -X POST {r.api_url}/auth/login -H 'Content-Type: application/json' \\",
            f"      -d '{login}'",
            "  then: curl -s " + r.api_url + "/me -H 'Authorization: Bearer <access_token>'",
            "",
            "  Stop with Ctrl-C.",
            "",
        ]
    )
