"""Every session stored by the log-format-2 engine re-runs identically on today's code.

``fixtures/format2_sessions.db`` was written once by ``fixtures/make_format2_db.py`` and is
never rebuilt; each test works on a copy of it.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ntree import db
from ntree.cli import main
from ntree.runner import replay_check

FIXTURE = Path(__file__).parent / "fixtures" / "format2_sessions.db"


def _stored_ids() -> list[str]:
    with sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT session_id FROM replay_sessions ORDER BY session_id")
        return [r[0] for r in rows]


SESSION_IDS = _stored_ids()


@pytest.fixture(scope="module")
def fixture_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("format2") / "format2_sessions.db"
    shutil.copy(FIXTURE, path)
    return path


@pytest.fixture(scope="module")
def engine(fixture_copy: Path) -> Iterator[sa.Engine]:
    eng = db.connect(f"sqlite:///{fixture_copy}", create=False)
    yield eng
    eng.dispose()


def _stored(engine: sa.Engine, sql: str) -> set:
    with engine.connect() as conn:
        return {r[0] for r in conn.exec_driver_sql(sql)}


def test_fixture_holds_a_dozen_ended_format2_sessions(engine: sa.Engine) -> None:
    assert len(SESSION_IDS) >= 12
    assert _stored(engine, "SELECT status FROM replay_sessions") == {"ended"}
    formats = _stored(
        engine,
        "SELECT json_extract(payload_json, '$.log_format') FROM replay_events "
        "WHERE event_type = 'SESSION_START'",
    )
    assert formats == {2}


def test_fixture_covers_every_event_type_and_command(engine: sa.Engine) -> None:
    types = _stored(engine, "SELECT DISTINCT event_type FROM replay_events")
    ops = _stored(
        engine,
        "SELECT DISTINCT json_extract(payload_json, '$.cmd.op') FROM replay_events "
        "WHERE json_extract(payload_json, '$.cmd.op') IS NOT NULL",
    )
    assert types == {
        "SESSION_START", "ORDER_PLACED", "ORDER_MODIFIED", "ORDER_CANCELED", "ORDERS_REPLACED",
        "ORDER_REJECTED", "FILL", "STOP_TRIGGERED", "TARGET_FILLED", "DIRECTION_LOCK",
        "BRACKET_SET", "FLATTEN", "STEP", "SPEED_CHANGE", "DISP_TF_CHANGE", "PAUSE", "PLAY",
        "NOTE", "SESSION_END",
    }  # fmt: skip
    assert ops == {
        "place", "cancel", "cancel_all", "replace_orders", "modify", "flatten", "set_bracket",
        "note", "end", "set_disp_tf", "pause", "play", "set_speed", "step",
    }  # fmt: skip
    codes = _stored(
        engine,
        "SELECT json_extract(payload_json, '$.code') FROM replay_events "
        "WHERE event_type = 'ORDER_REJECTED'",
    )
    assert {"off_tick", "bad_qty", "unknown_order", "not_at_boundary", "no_position"} <= codes
    forks = _stored(engine, "SELECT parent_session_id FROM replay_sessions")
    assert {"f2-parent", "f2-fork-1"} <= forks  # a fork, and a fork of a fork


@pytest.mark.parametrize("session_id", SESSION_IDS)
def test_stored_session_replays_identically(engine: sa.Engine, session_id: str) -> None:
    result = replay_check(engine, session_id)
    assert result.ok, result.message
    assert result.rerun_hash == result.stored_hash


@pytest.mark.parametrize("session_id", ["f2-oco", "f2-fork-1a"])
def test_cli_replay_check_exits_0_on_a_stored_session(
    fixture_copy: Path, session_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay-check", session_id, "--db", f"sqlite:///{fixture_copy}"]) == 0
    assert capsys.readouterr().out.startswith("OK: ")
