"""Schema upgrades on real SQLite files and PostgreSQL databases: a database of the previous
version, a fresh one."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from ntree import db, migrations
from ntree.runner import replay_check

FIXTURE = Path(__file__).parent / "fixtures" / "format2_sessions.db"


def copy_of_fixture(tmp_path: Path) -> str:
    path = tmp_path / "old.db"
    shutil.copy(FIXTURE, path)  # never open the fixture itself: connect switches it to WAL
    return f"sqlite:///{path}"


def columns(engine: sa.Engine, table: str) -> dict[str, dict]:
    return {c["name"]: {**c, "type": str(c["type"])} for c in sa.inspect(engine).get_columns(table)}


def dump(engine: sa.Engine, table: str, order: str) -> list[tuple]:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY {order}").all()


def test_a_database_of_the_previous_version_upgrades_in_place_and_every_session_reruns(
    tmp_path: Path,
) -> None:
    url = copy_of_fixture(tmp_path)
    old = sa.create_engine(url)
    assert not sa.inspect(old).has_table("alembic_version")
    sessions_before = dump(old, "replay_sessions", "session_id")
    events_before = dump(old, "replay_events", "id")
    trades_before = dump(old, "replay_trades", "session_id, trade_id")
    old.dispose()

    engine = db.connect(url, create=False)

    with engine.connect() as conn:
        assert migrations.current(conn) == migrations.head()
    assert {"player", "label", "tags"} <= set(columns(engine, "replay_sessions"))
    assert columns(engine, "replay_trades")["exit_ts"]["nullable"]
    tables = set(sa.inspect(engine).get_table_names())
    assert {"journal_entries", "journal_lists"} <= tables
    indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("replay_sessions")}
    assert {"ix_sessions_created", "ix_sessions_symbol_created"} <= indexes
    sessions_after = dump(engine, "replay_sessions", "session_id")
    assert [row[:17] for row in sessions_after] == sessions_before
    assert {row[17] for row in sessions_after} == {"human"}  # player of every old session
    assert dump(engine, "replay_events", "id") == events_before
    trades_after = dump(engine, "replay_trades", "session_id, trade_id")
    assert [row[:14] for row in trades_after] == trades_before
    assert {row[14] for row in trades_after} == {"closed"}
    for (sid,) in {(row[0],) for row in sessions_after}:
        result = replay_check(engine, sid)
        assert result.ok, result.message
    engine.dispose()


def test_upgrading_twice_changes_nothing(tmp_path: Path) -> None:
    url = copy_of_fixture(tmp_path)
    db.connect(url).dispose()
    engine = sa.create_engine(url)
    before = {t: dump(engine, t, "1") for t in ("replay_sessions", "journal_lists")}
    schema = {t: columns(engine, t) for t in sa.inspect(engine).get_table_names()}

    assert migrations.upgrade(engine) == migrations.head()  # already at head: a no-op

    assert {t: dump(engine, t, "1") for t in before} == before
    assert {t: columns(engine, t) for t in sa.inspect(engine).get_table_names()} == schema
    engine.dispose()


@pytest.mark.both_databases
def test_a_fresh_database_is_created_at_head_with_the_seeded_journal_lists(
    empty_db_url: str,
) -> None:
    engine = db.connect(empty_db_url)

    with engine.connect() as conn:
        assert migrations.current(conn) == migrations.head()
        names = conn.exec_driver_sql(
            "SELECT kind, name FROM journal_lists ORDER BY kind, position"
        ).all()
    assert ("setup", "band fade") in names and ("mistake", "revenge trade") in names
    engine.dispose()


def test_the_revisions_build_exactly_the_tables_ntree_db_declares(tmp_path: Path) -> None:
    engine = db.connect(f"sqlite:///{tmp_path / 'new.db'}")
    upgraded = db.connect(copy_of_fixture(tmp_path))

    for eng in (engine, upgraded):
        with eng.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        eng.dispose()


@pytest.mark.both_databases
def test_a_fresh_database_has_exactly_the_tables_ntree_db_declares(empty_db_url: str) -> None:
    engine = db.connect(empty_db_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
    engine.dispose()


def test_a_postgresql_database_at_the_baseline_upgrades_and_its_format2_sessions_rerun(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue("pg_server").create()
    request.addfinalizer(lambda: request.getfixturevalue("pg_server").drop(url))
    old = sa.create_engine(url)
    with old.connect() as conn:  # what the first ntree on PostgreSQL would have written
        command.upgrade(migrations.alembic_config(conn), migrations.BASELINE)
        conn.commit()
    fixture = sa.create_engine(copy_of_fixture(tmp_path))
    baseline = sa.MetaData()
    baseline.reflect(old)
    with fixture.connect() as src, old.begin() as dst:
        for name in ("bars", "replay_sessions", "replay_events", "replay_trades"):
            # Without the event ids: the new database's own sequence numbers them.
            rows = [
                {k: v for k, v in r.items() if (name, k) != ("replay_events", "id")}
                for r in src.execute(sa.select(baseline.tables[name])).mappings()
            ]
            dst.execute(baseline.tables[name].insert(), rows)
    fixture.dispose()
    old.dispose()

    engine = db.connect(url, create=False)

    with engine.connect() as conn:
        assert migrations.current(conn) == migrations.head()
        assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        players = conn.execute(sa.select(db.replay_sessions.c.player).distinct()).scalars().all()
        assert players == ["human"]
        ids = conn.execute(sa.select(db.replay_sessions.c.session_id)).scalars().all()
    assert len(ids) >= 12
    for sid in ids:
        result = replay_check(engine, sid)
        assert result.ok, result.message
    engine.dispose()


@pytest.mark.both_databases
def test_two_processes_creating_one_database_at_once_build_it_once(empty_db_url: str) -> None:
    # Workers of one server start together: the upgrade takes a lock before it reads the
    # revision, so the second finds the schema built instead of building it again.
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            db.connect(empty_db_url).dispose()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert not any(t.is_alive() for t in threads), "the two upgrades wait for each other"
    assert failures == []
    engine = db.connect(empty_db_url)
    with engine.connect() as conn:
        assert migrations.current(conn) == migrations.head()
        lists = conn.execute(sa.select(sa.func.count()).select_from(db.journal_lists)).scalar()
    assert lists == 13  # the seeded setups and mistakes, once
    engine.dispose()


def bars_ddl(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'bars'").scalar()


def test_a_sqlite_database_at_0004_gets_its_bars_without_rowid_and_keeps_bars_and_sessions(
    tmp_path: Path,
) -> None:
    url = copy_of_fixture(tmp_path)
    old = sa.create_engine(url)
    with old.connect() as conn:  # what the previous ntree wrote: the fixture, at 0004
        command.stamp(migrations.alembic_config(conn), migrations.BASELINE)
        command.upgrade(migrations.alembic_config(conn), "0004_bigint_ids")
        conn.commit()
    assert "WITHOUT ROWID" not in bars_ddl(old)
    bars_before = dump(old, "bars", "symbol, timeframe_s, ts")
    sessions_before = dump(old, "replay_sessions", "session_id")
    events_before = dump(old, "replay_events", "id")
    old.dispose()
    assert len(bars_before) > 1000

    engine = db.connect(url, create=False)

    assert "WITHOUT ROWID" in bars_ddl(engine)
    assert dump(engine, "bars", "symbol, timeframe_s, ts") == bars_before
    assert dump(engine, "replay_sessions", "session_id") == sessions_before
    assert dump(engine, "replay_events", "id") == events_before
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT ts, open FROM bars"
            " WHERE symbol = 'SPY' AND timeframe_s = 60 AND ts >= 0 ORDER BY ts"
        ).all()
    assert "PRIMARY KEY" in str(plan) and "autoindex" not in str(plan)  # one range scan
    symbol, _, ts = bars_before[0][:3]
    loaded = db.load_bars(engine, symbol, pd.Timestamp(ts, unit="s", tz="UTC"))
    assert len(loaded) == sum(1 for r in bars_before if r[:2] == (symbol, 60))
    for sid in {row[0] for row in sessions_before}:
        result = replay_check(engine, sid)
        assert result.ok, result.message
    engine.dispose()


def test_downgrading_0005_gives_the_bars_their_rowid_back_and_keeps_them(tmp_path: Path) -> None:
    url = copy_of_fixture(tmp_path)
    engine = db.connect(url)
    bars_before = dump(engine, "bars", "symbol, timeframe_s, ts")

    with engine.connect() as conn:
        command.downgrade(migrations.alembic_config(conn), "0004_bigint_ids")
        conn.commit()

    assert "WITHOUT ROWID" not in bars_ddl(engine)
    assert dump(engine, "bars", "symbol, timeframe_s, ts") == bars_before
    engine.dispose()
