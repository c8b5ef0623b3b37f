"""Operator commands. `python -m chalicelib.cli create-tenant --slug acme --name "Acme Ltd" --admin alice
--email alice@acme.example` creates a tenant with the built-in security groups and its first administrator.

It writes to the table that the environment names (ORDERGATE_TABLE, AWS credentials and region; for
the local stack ORDERGATE_DYNAMODB_ENDPOINT=http://127.0.0.1:5000). The password is read from
ORDERGATE_ADMIN_PASSWORD or asked for, never taken from the command line (shell history).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from chalicelib.bootstrap import get_services
from chalicelib.domain.errors import OrderGateError
from chalicelib.services.tenants import create_tenant

ADMIN_PASSWORD_ENV = "ORDERGATE_ADMIN_PASSWORD"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ct = sub.add_parser("create-tenant", help="create a tenant and its first administrator")
    ct.add_argument("--slug", required=True, help="the tenant code users type at login, e.g. acme")
    ct.add_argument("--name", required=True, help="the supplier's name")
    ct.add_argument("--admin", required=True, help="username of the first administrator")
    ct.add_argument("--email", required=True, help="e-mail of the first administrator")
    ct.add_argument("--sender-email", help="address tenant e-mails are sent from (an SES identity)")
    ct.add_argument("--portal-url", help="base URL of the portal, used in e-mail links")
    args = parser.parse_args(argv)

    password = os.environ.get(ADMIN_PASSWORD_ENV) or getpass.getpass(f"Password for {args.admin}: ")
    extra = {k: v for k, v in (("sender_email", args.sender_email), ("portal_url", args.portal_url)) if v}
    try:
        admin = create_tenant(
            get_services().passwords,
            slug=args.slug,
            name=args.name,
            admin_username=args.admin,
            admin_password=password,
            admin_email=args.email,
            **extra,
        )
    except OrderGateError as exc:
        detail = "; ".join(f"{d['field']}: {d['message']}" for d in exc.details)
        print(f"error: {exc.message} {detail}".strip(), file=sys.stderr)
        return 1
    print(f"Tenant '{args.slug}' created; administrator '{args.admin}' (user id {admin.id}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
