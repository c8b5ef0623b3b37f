"""Feed stream events from files to the stream handler, by hand (see events/README.md).

    # self-contained: an in-process moto, the sample world, e-mails printed instead of sent
    python -m devstack.replay --moto --seed events/sample_world.json events/stream_order_submitted.json

    # against the configured table and SES (the local stack's environment, or an AWS profile)
    python -m devstack.replay events/stream_order_submitted.json

Each file is a Lambda DynamoDB-stream event ({"Records": [...]}); several files are fed in turn.
The handler's answer (`batchItemFailures`) is printed per file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any


def seed(items: list[dict[str, Any]]) -> None:
    """Put raw items (DynamoDB JSON) into the configured table as they are, versions included."""
    from chalicelib.bootstrap import aws_client, get_services

    settings = get_services().settings
    client = aws_client("dynamodb", settings, endpoint=settings.dynamodb_endpoint)
    for item in items:
        client.put_item(TableName=settings.table_name, Item=item)


@contextmanager
def _in_moto() -> Iterator[Any]:
    """A throw-away moto with the table created and a fake sender installed; yields the sender."""
    for name, value in (("AWS_ACCESS_KEY_ID", "replay"), ("AWS_SECRET_ACCESS_KEY", "replay")):
        os.environ.setdefault(name, value)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from moto import mock_aws

    from chalicelib import bootstrap, config

    for name in (config.DYNAMODB_ENDPOINT, config.SES_ENDPOINT):
        os.environ.pop(name, None)  # moto intercepts AWS's own endpoints only
    from chalicelib.storage import table
    from devstack.fakes import FakeEmailSender

    with mock_aws():
        bootstrap.reset()
        services = bootstrap.get_services()
        table.create_table()
        fake = FakeEmailSender()
        services.email_sender = fake
        yield fake


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.replay", description=__doc__)
    parser.add_argument("events", nargs="+", type=Path, help="stream event files (JSON)")
    parser.add_argument(
        "--seed", type=Path, help='items to put first: {"Items": [...]} (e.g. events/sample_world.json)'
    )
    parser.add_argument("--moto", action="store_true", help="run in an in-process moto and print e-mails")
    parser.add_argument("--eml", type=Path, help="with --moto: also write each e-mail as a .eml file here")
    args = parser.parse_args(argv)

    from chalicelib.bootstrap import get_services

    with _in_moto() if args.moto else nullcontext() as outbox:
        if args.seed:
            seed(json.loads(args.seed.read_text(encoding="utf-8"))["Items"])
        failed = 0
        for path in args.events:
            event = json.loads(path.read_text(encoding="utf-8"))
            try:
                result: Any = get_services().handle_stream(event)
            except Exception as exc:  # Powertools raises when every record of the batch failed
                result = {"error": repr(exc)}
                failed += len(event.get("Records", []))
            else:
                failed += len(result.get("batchItemFailures", []))
            sys.stdout.write(f"{path}: {json.dumps(result)}\n")
        for n, mail in enumerate(outbox.sent if outbox else [], start=1):
            sys.stdout.write(f"\n--- e-mail {n} [{mail.dedupe_key}]\nFrom: {mail.sender}\nTo: {mail.to}\n")
            sys.stdout.write(f"Subject: {mail.subject}\n\n{mail.text}")
            if args.eml:
                args.eml.mkdir(parents=True, exist_ok=True)
                (args.eml / f"{n:03d}.eml").write_bytes(mail.to_mime().as_bytes())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
