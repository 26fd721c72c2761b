"""The ``ntree`` command line (an edge): ``ntree data seed``, ``ntree data info``, ...

Each command is a small ``cmd_*`` function taking the parsed arguments and returning an
exit code. Add a command by writing its ``add_*_parser(subparsers)`` and listing it in
``build_parser``. A ``DatabaseError`` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ntree import db

EXIT_OK = 0
EXIT_ERROR = 2


def cmd_data_seed(args: argparse.Namespace) -> int:
    """Write the bundled sample bars and print the rows written per symbol."""
    from ntree.seed import seed_database

    engine = db.connect(args.db, create=True)
    try:
        written = seed_database(engine, force=args.force)
    finally:
        engine.dispose()
    for symbol, rows in written.items():
        print(f"{symbol}: {rows} rows written")
    return EXIT_OK


def cmd_data_info(args: argparse.Namespace) -> int:
    """Print each stored symbol with the open times of its first and last 1m bar."""
    engine = db.connect(args.db, create=False)
    try:
        names = db.symbols(engine)
        if not names:
            print("no bars stored (run: ntree data seed)")
        for symbol in names:
            first, last = db.bar_range(engine, symbol) or (None, None)
            print(f"{symbol}: {first:%Y-%m-%d %H:%M} .. {last:%Y-%m-%d %H:%M} UTC")
    finally:
        engine.dispose()
    return EXIT_OK


def add_data_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ntree data {seed,info}``."""
    data = subparsers.add_parser("data", help="the 1-minute bar store")
    data_sub = data.add_subparsers(dest="data_command", required=True)

    seed = data_sub.add_parser("seed", help="write the bundled sample bars (SPY, QQQ, AAPL)")
    add_db_option(seed)
    seed.add_argument(
        "--force", action="store_true", help="rewrite the bundled range even if already stored"
    )
    seed.set_defaults(handler=cmd_data_seed)

    info = data_sub.add_parser("info", help="list stored symbols and their date ranges")
    add_db_option(info)
    info.set_defaults(handler=cmd_data_info)


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--db URL`` (default: ``NTREE_DB_URL`` or ``data/ntree.db``)."""
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy URL (default: NTREE_DB_URL or data/ntree.db)",
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the ``ntree`` argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="ntree", description="Market-replay practice field.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_data_parser(subparsers)
    # More commands go here, each as add_<name>_parser(subparsers) setting handler=cmd_<name>,
    # e.g. add_run_parser(subparsers) and add_replay_check_parser(subparsers).
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ntree`` command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except db.DatabaseError as exc:
        print(f"ntree: error: {exc}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
