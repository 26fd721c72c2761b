"""The headless runner and replay-check on a real seeded SQLite file, through the CLI too."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from ntree import db
from ntree.cli import main
from ntree.codec import event_line
from ntree.engine import EngineError
from ntree.engine.events import iso_utc
from ntree.runner import (
    fork_session,
    open_session,
    parse_time,
    replay_check,
    restore_session,
    run_script,
)
from ntree.seed import ensure_seeded
from ntree.store import SessionStore

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

SCRIPT = {
    "symbol": "SPY",
    "t_start": "2024-07-08",
    "t_end": "2024-07-09",
    "disp_tf": "5m",
    "actions": [
        {
            "at": 2,
            "op": "place",
            "side": "BUY",
            "type": "MARKET",
            "qty": 10,
            "bracket": {"tp": 600.0, "sl": 500.0},
        },
        {"at": 20, "op": "place", "side": "SELL", "type": "LIMIT", "qty": 20, "price": 700.0},
        {"at": 30, "op": "modify", "order_id": 4, "price": 540.0},
        {"at": 40, "op": "note", "text": "flipped short on purpose"},
        {
            "at": 50,
            "op": "replace_orders",
            "orders": [
                {"side": "BUY", "type": "LIMIT", "qty": 5, "price": 400.0},
                {"side": "SELL", "type": "STOP", "qty": 5, "price": 300.0},
            ],
        },
    ],
}


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "ntree.db"
    engine = db.connect(f"sqlite:///{path}")
    ensure_seeded(engine)
    engine.dispose()
    return path


@pytest.fixture
def engine(request, db_backend: str, tmp_path: Path):
    """A seeded database of the test's own (tests here change bars and logs)."""
    if db_backend == "postgresql":
        url = request.getfixturevalue("seeded_db_url")  # a fresh copy per test
    else:
        url = f"sqlite:///{tmp_path / 'ntree.db'}"
        shutil.copy(request.getfixturevalue("seeded_file"), tmp_path / "ntree.db")
    eng = db.connect(url)
    yield eng
    eng.dispose()


def test_bare_dates_mean_the_session_open_and_close_in_new_york_time() -> None:
    assert str(parse_time("2024-07-08", end=False, name="t")) == "2024-07-08 13:30:00+00:00"
    assert str(parse_time("2024-11-29", end=True, name="t")) == "2024-11-29 18:00:00+00:00"
    assert str(parse_time("2024-12-02", end=False, name="t")) == "2024-12-02 14:30:00+00:00"
    assert str(parse_time("2024-07-08T10:00", end=False, name="t")) == "2024-07-08 14:00:00+00:00"
    assert str(parse_time("2024-07-08T10:00Z", end=False, name="t")) == "2024-07-08 10:00:00+00:00"
    with pytest.raises(EngineError, match="no NYSE trading session") as err:
        parse_time("2024-07-04", end=False, name="t_start")
    assert err.value.code == "no_session"
    with pytest.raises(EngineError) as err:  # outside what the calendar covers: no crash
        parse_time("2099-01-02", end=False, name="t_start")
    assert err.value.code == "no_session"
    with pytest.raises(EngineError, match="ISO 8601"):
        parse_time("next tuesday", end=False, name="t_start")


def test_script_plays_to_the_end_and_its_log_re_runs_exactly(engine) -> None:
    session = run_script(SCRIPT, engine, session_id="scripted")

    assert session.ended
    trades = session.trades
    assert [t["side"] for t in trades] == ["LONG", "SHORT"]  # the sell limit flipped the long
    assert trades[1]["reason_code"] == "session_end"
    result = replay_check(engine, "scripted")
    assert result.ok, result.message
    assert result.stored_hash == result.rerun_hash and result.rerun_pnl == session.summary()["pnl"]
    assert SessionStore(engine).get_session("scripted")["num_trades"] == 2
    (replaced,) = [
        e for e in SessionStore(engine).load_events("scripted") if e.type == "ORDERS_REPLACED"
    ]
    assert len(replaced.payload["order_ids"]) == 2


def test_replay_check_says_clearly_when_the_bars_changed(engine) -> None:
    run_script(SCRIPT, engine, session_id="s")
    with engine.begin() as conn:
        conn.execute(
            sa.update(db.bars).where(db.bars.c.symbol == "SPY").values(high=db.bars.c.high + 0.01)
        )

    result = replay_check(engine, "s")

    assert not result.ok
    assert "bars differ" in result.message


def test_replay_check_reports_a_tampered_log(engine) -> None:
    run_script(SCRIPT, engine, session_id="s")
    with engine.begin() as conn:
        conn.execute(
            sa.update(db.replay_events)
            .where(db.replay_events.c.event_type == "FILL")
            .values(
                payload_json=sa.func.replace(
                    db.replay_events.c.payload_json, '"qty":10', '"qty":11'
                )
            )
        )

    result = replay_check(engine, "s")

    assert not result.ok and "MISMATCH" in result.message


def test_replay_check_says_when_a_log_is_of_an_older_format(engine) -> None:
    run_script(SCRIPT, engine, session_id="old")
    events = db.replay_events
    with engine.begin() as conn:  # the first logs had no log_format in SESSION_START
        conn.execute(
            sa.update(events)
            .where(events.c.session_id == "old", events.c.event_type == "SESSION_START")
            .values(payload_json=sa.func.replace(events.c.payload_json, '"log_format":3,', ""))
        )

    result = replay_check(engine, "old")

    assert not result.ok
    assert "older ntree (log format 1" in result.message and "(equal)" in result.message


def test_a_session_restored_from_its_log_carries_on_like_the_original(engine) -> None:
    store = SessionStore(engine)
    live = open_session(engine, "QQQ", "2024-08-05", "2024-08-05", "15m", session_id="live")
    live.step(disp_steps=2)
    live.place("SELL", "LIMIT", 5, round(live.last_price + 0.5, 2))
    store.save(live)

    restored = restore_session(engine, "live")
    for s in (live, restored):
        s.step(disp_steps=6)
    assert restored.state() == live.state()
    restored_log = [event_line(e) for e in restored.drain_events()]
    assert restored_log == [event_line(e) for e in live.drain_events()]


def test_rewind_forks_a_linked_session_and_leaves_the_parent_log_intact(engine) -> None:
    store = SessionStore(engine)
    parent = open_session(engine, "SPY", "2024-07-10", "2024-07-10", "5m", session_id="parent")
    parent.step(disp_steps=5)
    parent.place("BUY", "MARKET", 10)
    parent.step(disp_steps=5)
    store.save(parent)
    parent_log = [event_line(e) for e in store.load_events("parent")]

    fork = fork_session(engine, parent, 7)
    store.save(fork)

    assert fork.disp_index == parent.disp_index - 7
    assert fork.config.parent_session_id == "parent" and fork.portfolio.qty == 0
    assert [event_line(e) for e in store.load_events("parent")] == parent_log
    assert store.get_session(fork.config.session_id)["parent_session_id"] == "parent"
    assert replay_check(engine, fork.config.session_id).ok


def test_rewind_of_a_playing_session_lands_paused(engine) -> None:
    parent = open_session(engine, "SPY", "2024-07-10", "2024-07-10", "5m", session_id="playing")
    parent.play()
    parent.step(disp_steps=6)

    fork = fork_session(engine, parent, 3)

    assert fork.paused and not parent.paused
    assert fork.pending_events()[-1].type == "PAUSE"  # logged: a re-run pauses there too
    SessionStore(engine).save(fork)
    assert replay_check(engine, fork.config.session_id).ok


def test_rewind_keeps_the_display_frame_the_trader_rewound_in(engine) -> None:
    parent = open_session(engine, "SPY", "2024-07-10", "2024-07-10", "5m", session_id="frames")
    parent.step(disp_steps=12)  # 10:30
    parent.set_disp_tf("30m")
    parent.step()  # 11:00

    fork = fork_session(engine, parent, 2)  # 10:00: before the switch, so the log's 5m

    assert fork.disp_tf == 30 and fork.at_boundary
    assert parent.disp_bars_since(fork.i) == 2
    assert fork.pending_events()[-1].type == "DISP_TF_CHANGE"  # logged, so it re-runs
    SessionStore(engine).save(fork)
    assert replay_check(engine, fork.config.session_id).ok


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"symbol": "NOPE"}, "unknown_symbol"),
        ({"t_start": "2019-01-02", "t_end": "2019-01-03"}, "outside_data"),
        ({"t_start": "2024-07-09", "t_end": "2024-07-08"}, "bad_range"),
        ({"disp_tf": "7m"}, "bad_tf"),
        ({"t_start": "yesterday"}, "bad_time"),
        ({"slippage": 1}, "bad_param"),  # not a knob: the message lists those there are
        ({"direction_lock": "no"}, "bad_param"),
    ],
)
def test_open_session_rejects_bad_input_clearly(engine, kwargs, code) -> None:
    args = {"symbol": "SPY", "t_start": "2024-07-08", "t_end": "2024-07-08", "disp_tf": "5m"}
    args.update(kwargs)
    with pytest.raises(EngineError) as err:
        open_session(engine, **args)
    assert err.value.code == code


def test_cli_run_prints_a_summary_and_replay_check_passes(engine, tmp_path, capsys) -> None:
    url = engine.url.render_as_string(hide_password=False)
    script = tmp_path / "script.json"
    script.write_text(json.dumps(SCRIPT))

    assert main(["run", str(script), "--db", url, "--session-id", "cli"]) == 0
    out = capsys.readouterr().out
    assert "session cli: SPY 5m" in out and "trades 2" in out
    assert main(["replay-check", "cli", "--db", url]) == 0
    assert "re-run identically" in capsys.readouterr().out
    assert main(["replay-check", "missing", "--db", url]) == 2
    assert "no session with id 'missing'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("action", "says"),
    [
        ({"at": 1, "op": "teleport"}, "action 2: unknown command 'teleport'"),
        ({"at": 1, "op": "_finish"}, "action 2: unknown command '_finish'"),
        ({"at": 1, "op": "drain_events"}, "action 2: unknown command 'drain_events'"),
        ({"at": 1, "op": "place", "side": "BUY", "prise": 5}, "action 2: 'place' takes no"),
        ({"at": 1, "op": "cancel"}, "action 2: 'cancel' needs ['order_id']"),
        ({"at": 1, "op": "step"}, "action 2: 'step' is not a script action"),
        ("place", "action 2: must be a mapping"),
    ],
)
def test_a_script_action_not_in_the_command_registry_is_bad_script_naming_it(
    engine, action, says
) -> None:
    script = {**SCRIPT, "actions": [SCRIPT["actions"][0], action]}
    with pytest.raises(EngineError) as err:
        run_script(script, engine, session_id="bad")
    assert err.value.code == "bad_script" and str(err.value).startswith(says)
    assert "\n" not in str(err.value)
    assert SessionStore(engine).get_session("bad") is None  # refused before it opened


def test_a_timed_action_after_a_timeframe_switch_still_applies_at_its_time(engine) -> None:
    script = {
        "symbol": "SPY",
        "t_start": "2024-07-08",
        "t_end": "2024-07-08",
        "disp_tf": "5m",
        "actions": [
            {"at": 0, "op": "set_disp_tf", "disp_tf": "1h"},
            {"at": "2024-07-08T10:15", "op": "note", "text": "quarter past ten"},
            {"at": "2024-07-08T11:00", "op": "end"},
        ],
    }
    session = run_script(script, engine, session_id="switched")
    log = SessionStore(engine).load_events("switched")
    (note,) = [e for e in log if e.type == "NOTE"]
    (end,) = [e for e in log if e.type == "SESSION_END"]
    assert iso_utc(note.ts_exec) == "2024-07-08T14:15:00Z"  # 10:15 New York, mid-1h-bar
    assert end.payload["reason"] == "user" and iso_utc(end.ts_exec) == "2024-07-08T15:00:00Z"
    assert session.ended and replay_check(engine, "switched").ok
