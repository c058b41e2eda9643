"""``python -m floe.platform.lineage_receiver``: the receiver as a service process of the local
target, started and stopped by pid like the platform's other programs.

The PostgreSQL password comes only from the environment so it never shows in process listings.
"""

from __future__ import annotations

import argparse
import os
import sys

import uvicorn
from pydantic import SecretStr

from floe.observability.logging import configure, get_logger
from floe.platform.lineage_receiver.app import create_app
from floe.platform.lineage_receiver.store import PostgresStore, StoreUnavailableError
from floe.platform.secrets import PG_PASSWORD

log = get_logger(__name__)

# The API has no authentication, so it must not be reachable from other machines.
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m floe.platform.lineage_receiver",
        description="Receive OpenLineage events on Marquez's API and keep them in PostgreSQL. "
        f"The PostgreSQL password is read from ${PG_PASSWORD}.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="127.0.0.1 or localhost only")
    parser.add_argument("--port", type=_port, default=5000)
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=_port, default=15432)
    parser.add_argument("--pg-user", default="floe")
    parser.add_argument("--pg-database", default="lineage")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.host not in LOCAL_HOSTS:
        parser.error(
            f"--host {args.host} is refused: the receiver has no authentication, "
            f"so it listens only on {' or '.join(LOCAL_HOSTS)}"
        )
    password = os.environ.get(PG_PASSWORD, "")
    if not password:
        parser.error(
            f"${PG_PASSWORD} is not set; export the password of PostgreSQL user "
            f"{args.pg_user!r} (it is never accepted as an argument)"
        )
    configure()
    store = PostgresStore(
        host=args.pg_host,
        port=args.pg_port,
        user=args.pg_user,
        password=SecretStr(password),
        database=args.pg_database,
    )
    try:
        store.open()
    except StoreUnavailableError as exc:
        print(
            f"error: cannot start the lineage receiver: {exc}\n"
            f"  Fix: start PostgreSQL and make sure database {args.pg_database!r} exists "
            f"and user {args.pg_user!r} can log in with ${PG_PASSWORD}",
            file=sys.stderr,
        )
        return 1
    log.info("lineage_receiver_listening", url=f"http://{args.host}:{args.port}", store=store.where)
    try:
        uvicorn.run(
            create_app(store),
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            workers=1,
        )
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
