"""`python -m devstack` (= `make run`): the whole local stack in one process. See stack.py."""

from __future__ import annotations

import logging
import os
import sys

from devstack.settings import LocalSettings


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    for chatty in ("botocore", "pynamodb", "werkzeug"):  # credential and settings notices on every client
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        local = LocalSettings.from_env()
    except ValueError as exc:
        print(f"ordergate local: {exc}", file=sys.stderr)
        return 2
    from devstack import stack  # after logging is set up: importing it loads moto and chalice

    return stack.run(local)


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is stopped and written: skip the interpreter's clean-up, which would wait for request
    # threads still in flight and free the emulator's whole state object by object.
    os._exit(code)
