"""Determinism: same bars + same commands = same log, byte for byte; rebuilds, forks, bulk skip."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

import numpy as np
import pandas as pd
import pytest
from engine_helpers import make_bars, make_session
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ntree.codec import event_line, log_hash
from ntree.engine import (
    DataChangedError,
    EngineError,
    Event,
    ReplaySession,
    SessionConfig,
)
from ntree.engine.events import iso_utc, parse_iso_utc
from ntree.seed import generate_bars

# --- a fixed script on hand-built bars --------------------------------------------------

WAVE = [
    (100 + d, 100.4 + d, 99.6 + d, 100 + d)
    for d in (0, 0.5, 1, 1.5, 1, 0.5, 0, -0.5, -1, -1.5, -1, -0.5) * 5
]


def scripted(bars: pd.DataFrame | None = None) -> tuple[ReplaySession, list[Event]]:
    """Play a script with every kind of command, including a rejected one."""
    bars = make_bars(WAVE) if bars is None else bars
    s = ReplaySession(
        SessionConfig(
            "t",
            "TEST",
            5,
            pd.Timestamp("2024-07-08 13:30", tz="UTC"),
            pd.Timestamp("2024-07-08 20:00", tz="UTC"),
            edit_on_disp_boundary=False,
        ),
        bars,
    )
    s.place("BUY", "LIMIT", 10, 99.8, bracket={"tp": 101.4, "sl": 98.0})
    s.place("SELL", "STOP", 5, 98.7, oco_group="g")
    s.place("SELL", "LIMIT", 5, 102.0, oco_group="g")
    s.step()
    s.set_speed(4)
    s.note("first bar done")
    try:
        s.place("BUY", "LIMIT", 0, 99.0)
    except EngineError:
        pass
    s.step(exec_steps=3)
    s.play()
    s.step(disp_steps=2)
    s.pause()
    working = [o["order_id"] for o in s.working_orders()]
    if working:
        s.modify(working[0], qty=3)
    s.place("BUY", "MARKET", 2)
    s.step(disp_steps=3)  # 14:00, a 10m boundary too
    s.set_disp_tf("10m")
    s.flatten()
    s.step(exec_steps=7)
    s.place("SELL", "STOP", 4, 98.5)
    s.step(disp_steps=2)
    s.end()
    return s, s.drain_events()


def test_same_script_twice_gives_byte_identical_event_lines() -> None:
    _, a = scripted()
    _, b = scripted()
    assert [event_line(e) for e in a] == [event_line(e) for e in b]
    assert len(a) > 30
    types = {e.type for e in a}
    assert {"FILL", "ORDER_REJECTED", "FLATTEN", "SESSION_END", "ORDER_CANCELED"} <= types


def test_event_line_is_canonical_json_with_sorted_keys() -> None:
    _, events = scripted()
    placed = next(e for e in events if e.type == "ORDER_PLACED")
    seq, ts_exec, ts_market, etype, payload = event_line(placed).split("|", 4)
    assert (seq, ts_exec, ts_market, etype) == (
        "2",
        "2024-07-08T13:30:00Z",
        "2024-07-08T13:30:00Z",
        "ORDER_PLACED",
    )
    assert payload.startswith('{"cmd":{"args":{"bracket":{"sl":98.0,"tp":101.4}')
    assert " " not in payload


def test_seq_numbers_run_from_one_without_gaps() -> None:
    _, events = scripted()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


def test_rebuild_from_events_regenerates_the_identical_log() -> None:
    s, events = scripted()
    rebuilt = ReplaySession.from_events(events, s.bars)
    assert log_hash(rebuilt.drain_events()) == log_hash(events)
    assert rebuilt.trades == s.trades
    assert rebuilt.state() == s.state()


def test_rebuild_of_an_unfinished_session_matches_its_state() -> None:
    s = make_session(WAVE)
    s.place("BUY", "LIMIT", 10, 99.8, bracket={"tp": 101.4})
    s.step(disp_steps=4)
    events = s.drain_events()
    rebuilt = ReplaySession.from_events(events, s.bars)
    assert rebuilt.drain_events() == events
    assert rebuilt.state() == s.state()


def test_fork_three_display_bars_back_links_parent_and_reruns_identically() -> None:
    s = make_session(WAVE)
    s.place("BUY", "LIMIT", 10, 99.8, bracket={"tp": 101.4, "sl": 98.0})
    s.step(disp_steps=2)
    s.place("SELL", "STOP", 5, 98.4)
    s.step(disp_steps=5)
    events = s.drain_events()
    target = s.rewind_target(3)
    fork = ReplaySession.from_events(events, s.bars, session_id="fork", upto_exec_index=target)

    assert fork.i == target
    assert fork.disp_index == s.disp_index - 3
    assert fork.at_boundary
    assert fork.state()["cursor"]["exec_index"] == s.state()["cursor"]["exec_index"] - 15
    assert fork.state()["parent_session_id"] == "t"
    fork_events = fork.drain_events()
    params = fork_events[0].payload["params"]
    assert (params["session_id"], params["parent_session_id"]) == ("fork", "t")
    assert params["forked_at"] == "2024-07-08T13:50:00Z"

    rerun = ReplaySession.from_events(fork_events, s.bars)
    assert log_hash(rerun.drain_events()) == log_hash(fork_events)
    assert rerun.state() == fork.state()


def test_fork_keeps_only_the_commands_given_before_the_fork_point() -> None:
    s = make_session(WAVE)
    s.step()
    s.place("BUY", "LIMIT", 1, 90.0)  # at 13:35: before the fork point, kept
    s.step()
    s.place("BUY", "LIMIT", 1, 91.0)  # at 13:40, the fork point: dropped (trade it afresh)
    s.step(disp_steps=2)
    s.place("BUY", "LIMIT", 1, 92.0)  # at 13:50: dropped
    s.step()
    events = s.drain_events()
    fork = ReplaySession.from_events(
        events, s.bars, session_id="fork", upto_exec_index=s.rewind_target(3)
    )
    assert [o["price"] for o in fork.working_orders()] == [90.0]
    assert fork.state()["cursor"]["ts_exec"] == "2024-07-08T13:40:00Z"


def test_changed_bars_refuse_a_rebuild() -> None:
    s, events = scripted()
    changed = s.bars.copy()
    changed.iloc[70, changed.columns.get_loc("close")] += 0.01
    with pytest.raises(DataChangedError) as exc:
        ReplaySession.from_events(events, changed)
    assert exc.value.code == "data_changed"
    assert "differ" in exc.value.message


def test_rebuild_needs_a_log_that_starts_with_session_start() -> None:
    _, events = scripted()
    with pytest.raises(EngineError) as exc:
        ReplaySession.from_events(events[1:], make_bars(WAVE))
    assert exc.value.code == "bad_log"


# --- random bars and random scripts -----------------------------------------------------

T_START = pd.Timestamp("2024-07-08 13:30", tz="UTC")
T_END = pd.Timestamp("2024-07-10 20:00", tz="UTC")


@cache
def spy_bars() -> pd.DataFrame:
    """Synthetic SPY bars, 2024-07-03..07-10 (history before the 8th); built once."""
    return generate_bars("SPY", "2024-07-03", "2024-07-10", seed=11)


def random_session(bulk_skip: bool = True, **overrides: object) -> ReplaySession:
    params: dict = {"edit_on_disp_boundary": False, "commission_per_share": 0.005}
    params.update(overrides)
    cfg = SessionConfig("r", "SPY", params.pop("disp_tf", 5), T_START, T_END, **params)
    return ReplaySession(cfg, spy_bars(), bulk_skip=bulk_skip)


ACTION = st.one_of(
    st.tuples(
        st.just("place"),
        st.sampled_from(["BUY", "SELL"]),
        st.sampled_from(["LIMIT", "STOP", "MARKET"]),
        st.integers(1, 20),
        st.integers(-60, 60),  # cents from the last price
        st.booleans(),  # with a bracket
    ),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("modify"), st.integers(0, 5), st.integers(-100, 100), st.integers(1, 20)),
    st.tuples(st.just("flatten")),
    st.tuples(st.just("step_disp"), st.integers(1, 5)),
    st.tuples(st.just("step_exec"), st.integers(1, 7)),
)


def play(s: ReplaySession, actions: list[tuple]) -> None:
    """Issue ``actions``; refused commands are fine (they are logged and re-run the same)."""
    for action in actions:
        if s.ended:
            return
        op, *args = action
        px = s.last_price
        working = [o["order_id"] for o in s.working_orders()]
        try:
            if op == "place":
                side, otype, qty, cents, bracketed = args
                price = None if otype == "MARKET" else round(px + cents / 100, 2)
                bracket = None
                if bracketed:
                    ref = price or px
                    sign = 1 if side == "BUY" else -1
                    bracket = {"tp": round(ref + sign * 0.8, 2), "sl": round(ref - sign * 0.6, 2)}
                s.place(side, otype, qty, price, bracket=bracket)
            elif op == "cancel" and working:
                s.cancel(working[args[0] % len(working)])
            elif op == "modify" and working:
                oid = working[args[0] % len(working)]
                order = s.orders[oid]
                new_px = None if order.type == "MARKET" else round(px + args[1] / 100, 2)
                s.modify(oid, price=new_px, qty=args[2])
            elif op == "flatten":
                s.flatten()
            elif op == "step_disp":
                s.step(disp_steps=args[0])
            elif op == "step_exec":
                s.step(exec_steps=args[0])
        except EngineError:
            pass


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
@given(st.lists(ACTION, min_size=3, max_size=40))
def test_random_scripts_keep_the_books_and_rebuild_identically(actions: list[tuple]) -> None:
    s = random_session()
    play(s, [*actions, ("step_disp", 12)])  # give the last orders a chance to fill
    events = s.drain_events()
    event("with fills" if any(e.type == "FILL" for e in events) else "without fills")

    signed = sum(
        (1 if e.payload["side"] == "BUY" else -1) * e.payload["qty"]
        for e in events
        if e.type == "FILL"
    )
    pf = s.portfolio
    assert pf.qty == signed
    assert s.equity == pytest.approx(pf.cash + pf.qty * s.last_price, abs=1e-6)
    assert pf.max_dd >= 0
    if pf.qty == 0:
        assert s.position()["unrealized_pnl"] == 0
    assert sum(t["pnl"] for t in s.trades) == pytest.approx(
        s.equity
        - 100_000.0
        - (s.position()["unrealized_pnl"] if pf.qty else 0.0)
        - (pf.open_trade.pnl if pf.open_trade else 0.0),
        abs=1e-4,
    )
    for o in s.working_orders():
        assert o["qty"] > 0
        assert o["price"] is None or o["price"] > 0

    rebuilt = ReplaySession.from_events(events, spy_bars())
    assert log_hash(rebuilt.drain_events()) == log_hash(events)


KNOBS = [
    {},
    {"latency_bars": 2},
    {"market_slippage_ticks": 1, "limit_fill_ticks_worse": 1},
    {"direction_lock": False},
    {"disp_tf": 15},
    {"disp_tf": 60, "latency_bars": 1},
]


def play_fast_and_plain(actions: list[tuple], knobs: dict) -> tuple[ReplaySession, list]:
    """Play ``actions`` with bulk skipping and with the plain per-bar loop; assert both give
    the same log, drawdown, trades and end; return the fast session and its log."""
    fast = random_session(bulk_skip=True, **knobs)
    slow = random_session(bulk_skip=False, **knobs)
    play(fast, actions)
    play(slow, actions)
    fast_log, slow_log = fast.drain_events(), slow.drain_events()
    assert [event_line(e) for e in fast_log] == [event_line(e) for e in slow_log]
    assert fast.portfolio.max_dd == slow.portfolio.max_dd
    assert fast.trades == slow.trades
    assert fast.ended == slow.ended
    return fast, fast_log


@pytest.mark.parametrize(("seed", "knobs"), list(enumerate(KNOBS)))
def test_bulk_skip_gives_the_same_log_as_the_plain_loop(seed: int, knobs: dict) -> None:
    rng = np.random.default_rng(seed)
    actions: list[tuple] = []
    for _ in range(60):
        r = rng.random()
        if r < 0.35:
            actions.append(
                (
                    "place",
                    str(rng.choice(["BUY", "SELL"])),
                    str(rng.choice(["LIMIT", "STOP", "MARKET"])),
                    int(rng.integers(1, 20)),
                    int(rng.integers(-300, 300)),
                    bool(rng.random() < 0.4),
                )
            )
        elif r < 0.45:
            actions.append(("cancel", int(rng.integers(0, 5))))
        elif r < 0.55:
            actions.append(
                (
                    "modify",
                    int(rng.integers(0, 5)),
                    int(rng.integers(-200, 200)),
                    int(rng.integers(1, 20)),
                )
            )
        elif r < 0.6:
            actions.append(("flatten",))
        elif r < 0.85:
            actions.append(("step_disp", int(rng.integers(1, 30))))
        else:
            actions.append(("step_exec", int(rng.integers(1, 7))))
    actions.append(("step_disp", 10_000))

    fast, fast_log = play_fast_and_plain(actions, knobs)
    assert fast.ended
    assert any(e.type == "FILL" for e in fast_log)


def test_speed_pause_and_play_never_change_fills_or_pnl() -> None:
    def play(pacing: bool) -> ReplaySession:
        s = make_session(WAVE, edit_on_disp_boundary=False)
        s.place("BUY", "LIMIT", 10, 99.8, bracket={"tp": 101.4, "sl": 98.0})
        for k in range(8):
            if pacing:
                s.set_speed(1 + k * 7)
                if k % 2:
                    s.play()
                else:
                    s.pause()
            s.step()
        s.end()
        return s

    quiet, paced = play(False), play(True)

    assert paced.fills == quiet.fills
    assert paced.trades == quiet.trades
    assert paced.summary() == quiet.summary()
    kinds = {e.type for e in paced.drain_events()} - {e.type for e in quiet.drain_events()}
    assert kinds == {"SPEED_CHANGE", "PLAY", "PAUSE"}  # logged, and nothing else differs


@pytest.mark.parametrize(
    "when",
    ["2024-07-08 13:30", "2024-02-29 23:59:59", "2000-01-01", "1969-12-31 23:59:01", "2099-12-31"],
)
def test_event_times_format_as_iso_utc_and_parse_back(when: str) -> None:
    ts = pd.Timestamp(when, tz="UTC")
    assert iso_utc(ts.value) == ts.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parse_iso_utc(iso_utc(ts.value)) == ts.value


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(ACTION, min_size=3, max_size=40), st.sampled_from(KNOBS))
def test_bulk_skip_agrees_with_the_plain_loop_on_any_script(actions: list[tuple], knobs) -> None:
    # The trigger book decides which bars the fast loop visits; the plain loop asks every
    # live order on every bar. Any script must give both the same log, drawdown and trades.
    play_fast_and_plain([*actions, ("step_disp", 12)], knobs)


@pytest.mark.parametrize(
    "text",
    [
        "2024-07-01T13:30:00Z",
        "1999-12-31T23:59:59Z",
        "2024-02-29T00:00:00Z",
        "1970-01-01T00:00:00Z",
    ],
)
def test_a_logged_time_parses_back_to_the_instant_it_was_written_from(text: str) -> None:
    ns = parse_iso_utc(text)
    assert iso_utc(ns) == text
    assert (
        ns
        == int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
        * 10**9
    )


@pytest.mark.parametrize(
    "text", ["2024-07-01T24:00:00Z", "2024-13-01T00:00:00Z", "2024-07-01 13:30:00", "x"]
)
def test_a_time_not_in_the_logs_form_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_utc(text)
