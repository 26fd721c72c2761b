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


def _parse_columns(text: str | None) -> dict[str, str] | None:
    """Parse ``date=Date,open=Open`` into a dict (None when not given)."""
    if not text:
        return None
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError(f"--columns: expected key=column pairs, got {text!r}")
    return {k.strip().lower(): v.strip() for k, v in pairs}


def cmd_data_import(args: argparse.Namespace) -> int:
    """Check and store 1m bars from CSV/Parquet files; print every bad row and the totals."""
    from ntree.ingest.files import FileImportError, import_files

    try:
        columns = _parse_columns(args.columns)
    except ValueError as exc:
        print(f"ntree: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    engine = db.connect(args.db, create=True)
    try:
        report = import_files(
            engine,
            args.files,
            args.symbol.upper(),
            tz=args.tz,
            label=args.label,
            columns=columns,
            exchange=args.exchange,
            tick=args.tick,
            skip_bad=args.skip_bad,
        )
    except FileImportError as exc:
        print(f"ntree: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        engine.dispose()
    for line in report.lines():
        print(line)
    if not report.written:
        good = report.rows_read - report.bad_rows
        print(
            f"ntree: error: {report.bad_rows} bad rows; nothing imported "
            f"(--skip-bad imports the {good} good rows)",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK


def cmd_data_alpaca(args: argparse.Namespace) -> int:
    """Backfill 1m bars from Alpaca in committed chunks; print a report per symbol."""
    import pandas as pd

    from ntree.ingest.alpaca import AlpacaError, backfill, make_client

    symbols = [s.strip().upper() for s in args.symbols.split(",") if s.strip()]
    if not symbols:
        print("ntree: error: --symbols: give at least one symbol", file=sys.stderr)
        return EXIT_ERROR
    try:
        for name in ("start", "end"):
            pd_ts = pd.Timestamp(getattr(args, name))
            setattr(args, name, f"{pd_ts:%Y-%m-%d}")
    except ValueError:
        print(f"ntree: error: --{name}: not a date: {getattr(args, name)!r}", file=sys.stderr)
        return EXIT_ERROR
    try:
        client = make_client()
        engine = db.connect(args.db, create=True)
        try:
            reports = backfill(
                engine,
                client,
                symbols,
                args.start,
                args.end,
                feed=args.feed,
                adjustment=args.adjustment,
            )
        finally:
            engine.dispose()
    except AlpacaError as exc:
        print(f"ntree: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    feed = args.feed or "auto (the best your plan allows)"
    print(f"feed {feed}, adjustment {args.adjustment}")
    for report in reports:
        print(report.line())
    return EXIT_OK


def cmd_data_coverage(args: argparse.Namespace) -> int:
    """Print, per symbol, its bars against its exchange calendar."""
    from ntree.ingest.coverage import coverage

    engine = db.connect(args.db, create=False)
    try:
        names = [args.symbol.upper()] if args.symbol else db.symbols(engine)
        if not names:
            print("no bars stored (run: ntree data seed)")
        for symbol in names:
            print(coverage(engine, symbol).line())
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_data_delete(args: argparse.Namespace) -> int:
    """Delete every bar of a symbol, after saying how many sessions can then no longer re-run
    (asked on a terminal; ``--yes`` elsewhere)."""
    from ntree.service import ServiceError
    from ntree.service.data import delete_plan, delete_symbol, rerun_warning
    from ntree.store import SessionStore

    engine = db.connect(args.db, create=False)
    try:
        store = SessionStore(engine)
        try:
            plan = delete_plan(engine, store, args.symbol)
        except ServiceError as exc:
            print(f"ntree: error: {exc.message}", file=sys.stderr)
            return EXIT_ERROR
        warning = f"{plan['symbol']}: {plan['bars']} bars; {rerun_warning(plan['sessions'])}"
        if not args.yes:
            if not sys.stdin.isatty():
                print(f"ntree: error: {warning}; add --yes to delete them", file=sys.stderr)
                return EXIT_ERROR
            print(warning)
            try:
                answer = input(f"Delete {plan['symbol']}'s {plan['bars']} bars for good? [y/N] ")
            except EOFError:  # the terminal closed: no answer is no
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("nothing deleted")
                return EXIT_OK
        done = delete_symbol(engine, store, plan["symbol"])
    finally:
        engine.dispose()
    print(f"{done['symbol']}: {done['bars_deleted']} bars deleted")
    return EXIT_OK


def add_data_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ntree data {seed,info,import,alpaca,coverage,delete}``."""
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

    imp = data_sub.add_parser(
        "import", help="check and store 1m bars from CSV or Parquet files (any vendor)"
    )
    imp.add_argument("files", nargs="+", metavar="FILE", help="CSV or Parquet (.parquet)")
    imp.add_argument("--symbol", required=True, help="the symbol the bars belong to")
    imp.add_argument(
        "--tz", default="America/New_York", help="zone of times without an offset (default: NY)"
    )
    imp.add_argument(
        "--label",
        choices=("open", "close"),
        default="open",
        help="a bar's time is its open (Kibot, Polygon, Alpaca) or its close (TradeStation)",
    )
    imp.add_argument(
        "--columns", default=None, help="name the columns: date=Date,open=Open,... (default: found)"
    )
    imp.add_argument("--exchange", default=None, help="exchange calendar code (default XNYS)")
    imp.add_argument("--tick", type=float, default=None, help="price tick (default 0.01)")
    imp.add_argument(
        "--skip-bad", action="store_true", help="import the good rows when some are bad"
    )
    add_db_option(imp)
    imp.set_defaults(handler=cmd_data_import)

    alp = data_sub.add_parser(
        "alpaca", help="backfill 1m bars from Alpaca (keys: ALPACA_API_KEY, ALPACA_SECRET_KEY)"
    )
    alp.add_argument("--symbols", required=True, help="comma-separated, e.g. SPY,QQQ")
    alp.add_argument("--start", required=True, help="first trading day, YYYY-MM-DD")
    alp.add_argument("--end", required=True, help="last trading day, YYYY-MM-DD (inclusive)")
    alp.add_argument(
        "--feed",
        choices=("sip", "iex", "delayed_sip"),
        default=None,
        help="default: unset, the best feed your plan allows (IEX is a thin tape)",
    )
    alp.add_argument("--adjustment", choices=("raw", "split", "dividend", "all"), default="raw")
    add_db_option(alp)
    alp.set_defaults(handler=cmd_data_alpaca)

    cov = data_sub.add_parser(
        "coverage", help="per symbol: first/last bar, trading days, minutes and days missing"
    )
    cov.add_argument("--symbol", default=None, help="one symbol (default: all)")
    add_db_option(cov)
    cov.set_defaults(handler=cmd_data_coverage)

    dele = data_sub.add_parser(
        "delete", help="delete every bar of a symbol (its sessions can no longer re-run)"
    )
    dele.add_argument("--symbol", required=True, help="the symbol whose bars go")
    dele.add_argument("--yes", action="store_true", help="do not ask (needed off a terminal)")
    add_db_option(dele)
    dele.set_defaults(handler=cmd_data_delete)


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


def cmd_bot_run(args: argparse.Namespace) -> int:
    """Play episodes of a policy headless, store each as a session, print a summary table."""
    try:
        from ntree.gym.env import parse_days
        from ntree.gym.episodes import EpisodePool, load_policy, policy_name
    except ImportError as exc:  # gymnasium is the optional extra ntree[gym]
        print(f"ntree: error: {exc} (install ntree[gym])", file=sys.stderr)
        return EXIT_ERROR
    from ntree.engine.ticks import parse_disp_tf
    from ntree.runner import new_session_id
    from ntree.seed import ensure_seeded
    from ntree.store import SessionStore

    try:
        parse_days(args.days)
        parse_disp_tf(args.disp_tf)
        name = policy_name(load_policy(args.policy))
    except ValueError as exc:
        print(f"ntree: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.episodes < 1 or args.workers < 1:
        print("ntree: error: --episodes and --workers must be at least 1", file=sys.stderr)
        return EXIT_ERROR
    if args.address and args.executor != "ray":
        print("ntree: error: --address needs --executor ray", file=sys.stderr)
        return EXIT_ERROR
    url = args.db or db.db_url()
    engine = db.connect(url, create=True)
    try:
        ensure_seeded(engine)
        store = SessionStore(engine)
        if args.against and not store.load_events(args.against, since=0)[:1]:
            print(f"ntree: error: no session with id {args.against!r}", file=sys.stderr)
            return EXIT_ERROR
        env_kwargs = {"symbol": args.symbol, "disp_tf": args.disp_tf, "days": args.days, "db": url}
        window = {"session_id": args.against} if args.against else {}
        jobs = [
            (args.seed + k, {**window, "new_session_id": new_session_id()})
            for k in range(args.episodes)
        ]
        try:
            pool = EpisodePool(
                env_kwargs,
                args.policy,
                workers=args.workers,
                executor=args.executor,
                address=args.address,
            )
        except ValueError as exc:
            print(f"ntree: error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        rows: list = []
        with pool:
            batch: list = []
            try:
                for log in _progress(pool.run(jobs), len(jobs)):
                    batch.append(log)
                    if len(batch) >= _BOT_BATCH:
                        store.save_records([item.record for item in batch])
                        rows += batch
                        batch = []
            except EngineError as exc:  # an episode refused (an unknown symbol, no bars)
                print(f"ntree: error: {exc.message}", file=sys.stderr)
                return EXIT_ERROR
            finally:  # what was played before a refusal or an interrupt is kept
                store.save_records([item.record for item in batch])
            rows += batch
    finally:
        engine.dispose()
    _print_bot_summary(name, rows)
    return EXIT_OK


#: Episodes written per transaction by ``bot run`` (one commit per episode would cost more
#: than the episode on SQLite).
_BOT_BATCH = 32


def _progress(items, total: int):
    """Yield ``items``, showing progress (tqdm when installed, else one line per item)."""
    try:
        from tqdm import tqdm
    except ImportError:
        for k, item in enumerate(items, 1):
            print(f"episode {k}/{total}", file=sys.stderr)
            yield item
        return
    yield from tqdm(items, total=total, unit="episode", file=sys.stderr)


def _print_bot_summary(player: str, logs: list) -> None:
    print(f"{'session':<14}{'day':<12}{'pnl':>12}{'max_dd':>11}{'trades':>8}{'win_rate':>10}")
    for log in logs:
        m = log.summary
        print(
            f"{log.record.session_id:<14}{log.day}  {m['pnl']:>12.2f}"
            f"{m['max_dd']:>11.2f}{m['num_trades']:>8}{_fmt(m['win_rate']):>10}"
        )
    pnls = [log.summary["pnl"] for log in logs]
    trades = sum(log.summary["num_trades"] for log in logs)
    print(
        f"{player}: {len(logs)} episodes stored, total pnl {sum(pnls):.2f}, "
        f"mean {sum(pnls) / max(len(pnls), 1):.2f}, {trades} trades"
    )


def add_bot_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ntree bot run``."""
    bot = subparsers.add_parser("bot", help="bots: play a policy's episodes headless")
    sub = bot.add_subparsers(dest="bot_command", required=True)
    run = sub.add_parser("run", help="play episodes of a policy and store each as a session")
    run.add_argument(
        "--policy", required=True, help="module:Class (e.g. ntree.gym.policies:BandFadePolicy)"
    )
    run.add_argument("--symbol", default="SPY")
    run.add_argument("--days", default=None, help="YYYY-MM-DD or YYYY-MM-DD:YYYY-MM-DD")
    run.add_argument("--disp-tf", default="5m")
    run.add_argument("--episodes", type=int, default=1)
    run.add_argument("--workers", type=int, default=1, help="processes or Ray actors (default 1)")
    run.add_argument(
        "--executor",
        choices=("process", "ray"),
        default="process",
        help="where workers run: processes here, or Ray actors (needs ntree[ray])",
    )
    run.add_argument(
        "--address",
        default=None,
        help="with --executor ray: the Ray cluster to join (default: start a local one)",
    )
    run.add_argument("--seed", type=int, default=0, help="episode k uses seed + k")
    run.add_argument(
        "--against",
        metavar="SESSION_ID",
        default=None,
        help="play that session's window and settings",
    )
    add_db_option(run)
    run.set_defaults(handler=cmd_bot_run)


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
    add_bot_parser(subparsers)
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
