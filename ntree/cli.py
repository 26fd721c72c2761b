"""The ``ntree`` command line (an edge): ``ntree data seed``, ``ntree data info``, ...

Each command is a small ``cmd_*`` function taking the parsed arguments and returning an
exit code. Add a command by writing its ``add_*_parser(subparsers)`` and listing it in
``build_parser``. A ``DatabaseError`` or a storage fault (read-only, full, corrupt) becomes
one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ntree import db
from ntree.engine import EngineError

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


def cmd_run(args: argparse.Namespace) -> int:
    """Play a JSON/YAML script headless, write its log, print a PnL summary."""
    from ntree.runner import load_script, run_script
    from ntree.seed import ensure_seeded

    engine = db.connect(args.db, create=True)
    try:
        ensure_seeded(engine)
        session = run_script(load_script(args.script), engine, session_id=args.session_id)
    finally:
        engine.dispose()
    s = session.summary()
    print(
        f"session {session.config.session_id}: {session.config.symbol} "
        f"{session.state()['disp_tf']} {session.config.t_start:%Y-%m-%d %H:%M} .. "
        f"{session.config.t_end:%Y-%m-%d %H:%M} UTC, {session.last_event_id} events"
    )
    print(
        f"pnl {s['pnl']:.2f}  max_dd {s['max_dd']:.2f}  trades {s['num_trades']}  "
        f"win_rate {_fmt(s['win_rate'])}  avg_r {_fmt(s['avg_r'])}"
    )
    for t in session.trades:
        print(
            f"  #{t['trade_id']} {t['side']:<5} {t['qty']:>5} {t['entry_ts']} @ {t['entry_px']:.2f}"
            f" -> {t['exit_ts']} @ {t['exit_px']:.2f}  pnl {t['pnl']:.2f}  ({t['reason_code']})"
        )
    return EXIT_OK


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def cmd_replay_check(args: argparse.Namespace) -> int:
    """Re-run a stored session from its log; exit 0 when it matches exactly, 1 when not."""
    from ntree.runner import replay_check

    engine = db.connect(args.db, create=False)
    try:
        result = replay_check(engine, args.session_id)
    finally:
        engine.dispose()
    print(result.message)
    print(f"log hash stored {result.stored_hash[:16]}  re-run {result.rerun_hash[:16]}")
    return EXIT_OK if result.ok else 1


def add_run_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ntree run SCRIPT`` and ``ntree replay-check SESSION_ID``."""
    run = subparsers.add_parser("run", help="play a JSON/YAML action script headless")
    run.add_argument("script", help="path to the script (see README: Headless runner)")
    run.add_argument("--session-id", default=None, help="id for the new session")
    add_db_option(run)
    run.set_defaults(handler=cmd_run)

    check = subparsers.add_parser(
        "replay-check", help="re-run a session from its log and verify it matches exactly"
    )
    check.add_argument("session_id")
    add_db_option(check)
    check.set_defaults(handler=cmd_replay_check)


def cmd_session_export(args: argparse.Namespace) -> int:
    """Write one session (its events, trades, journal and bars) as a JSON file."""
    import json

    from ntree.session_file import export_session

    engine = db.connect(args.db, create=False)
    try:
        doc = export_session(engine, args.session_id)
    finally:
        engine.dispose()
    if doc is None:
        print(f"ntree: error: no session with id {args.session_id!r}", file=sys.stderr)
        return EXIT_ERROR
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    if args.output in (None, "-"):
        print(text)
    else:
        Path(args.output).write_text(text)
        print(
            f"session {args.session_id}: {len(doc['events'])} events, "
            f"{len(doc['bars']['rows'])} bars written to {args.output}"
        )
    return EXIT_OK


def cmd_session_import(args: argparse.Namespace) -> int:
    """Load a session file into the database (its bars too), ready to re-run."""
    import json

    from ntree.session_file import SessionFileError, import_session

    try:
        doc = json.loads(Path(args.file).read_text())
    except (OSError, ValueError) as exc:
        print(f"ntree: error: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    engine = db.connect(args.db, create=True)
    try:
        done = import_session(engine, doc)
    except SessionFileError as exc:
        print(f"ntree: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        engine.dispose()
    print(
        f"session {done['session_id']}: {done['events']} events imported, "
        f"{done['bars_written']} bars written"
    )
    return EXIT_OK


def add_session_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ntree session {export,import}``."""
    session = subparsers.add_parser("session", help="move a session between databases")
    sub = session.add_subparsers(dest="session_command", required=True)

    export = sub.add_parser("export", help="write a session and the bars it needs as JSON")
    export.add_argument("session_id")
    export.add_argument("-o", "--output", metavar="FILE", default=None, help="default: stdout")
    add_db_option(export)
    export.set_defaults(handler=cmd_session_export)

    imp = sub.add_parser("import", help="load a session file (then: ntree replay-check ID)")
    imp.add_argument("file")
    add_db_option(imp)
    imp.set_defaults(handler=cmd_session_import)


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
    add_run_parsers(subparsers)
    add_session_parser(subparsers)
    # More commands go here, each as add_<name>_parser(subparsers) setting handler=cmd_<name>,
    # e.g. add_run_parser(subparsers) and add_replay_check_parser(subparsers).
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ntree`` command line; return the exit code."""
    from ntree.service.storage import STORAGE_ERRORS, storage_fault

    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (db.DatabaseError, EngineError) as exc:
        print(f"ntree: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except STORAGE_ERRORS as exc:  # a read-only, full or corrupt database: one line
        print(f"ntree: error: {storage_fault(exc).message}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
