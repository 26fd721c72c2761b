"""Policies: band fade and random play whole days; a human's log replayed by a bot gives
the human's fills and PnL exactly (humans and bots share one contract)."""

from __future__ import annotations

import pytest

from ntree import db
from ntree.engine import EngineError
from ntree.engine.commands import Note, Step
from ntree.engine.events import iso_utc
from ntree.gym.env import ReplayEnv
from ntree.gym.episodes import load_policy, play_episode
from ntree.gym.policies import AgentPolicy, BandFadePolicy, LogReplayPolicy, RandomPolicy
from ntree.runner import run_script
from ntree.sources import SampleBarSource
from ntree.store import SessionStore


@pytest.fixture(scope="module")
def source() -> SampleBarSource:
    src = SampleBarSource()
    src.load("SPY")
    return src


def fill_list(events) -> list[tuple]:
    return [(iso_utc(e.ts_exec), e.payload) for e in events if e.type == "FILL"]


def test_band_fade_trades_a_day_and_every_reference_policy_is_an_agent_policy(source):
    env = ReplayEnv("SPY", days="2024-08-05", source=source)
    session = play_episode(env, BandFadePolicy(qty=100), seed=0)
    assert session.ended and session.summary()["num_trades"] > 0
    for policy in (BandFadePolicy(), RandomPolicy(), LogReplayPolicy(session.pending_events())):
        assert isinstance(policy, AgentPolicy)


def test_the_random_policy_repeats_itself_under_the_same_seed(source):
    env = ReplayEnv("SPY", days="2024-08-01:2024-08-09", source=source)
    a = play_episode(env, RandomPolicy(), seed=4).pending_events()
    b = play_episode(env, RandomPolicy(), seed=4).pending_events()
    assert fill_list(a) == fill_list(b) and fill_list(a)


def test_load_policy_names_a_bad_spec():
    assert isinstance(load_policy("ntree.gym.policies:BandFadePolicy"), BandFadePolicy)
    for spec in ("nocolon", "ntree.gym.policies:Nope", "no.such.module:X"):
        with pytest.raises(ValueError):
            load_policy(spec)


HUMAN = {
    "symbol": "SPY",
    "t_start": "2024-08-06",
    "t_end": "2024-08-06",
    "disp_tf": "5m",
    "fill_model": {"commission_per_share": 0.005, "market_slippage_ticks": 1},
    "actions": [
        {"at": 2, "op": "place", "side": "BUY", "type": "MARKET", "qty": 50},
        {"at": 2, "op": "note", "text": "in"},
        {"at": 3, "op": "set_bracket", "tp": 9999.0, "sl": 1.0},
        {"at": 6, "op": "place", "side": "BUY", "type": "LIMIT", "qty": 10, "price": 1.0},
        {"at": 7, "op": "cancel", "order_id": 4},
        {"at": 9, "op": "cancel", "order_id": 12345},
        {"at": 12, "op": "flatten"},
        {"at": 20, "op": "place", "side": "SELL", "type": "MARKET", "qty": 30},
        {"at": 40, "op": "end"},
    ],
}


def test_a_human_session_replayed_by_log_replay_gives_the_same_fills_and_pnl(seeded_db_url, capsys):
    engine = db.connect(seeded_db_url)
    try:
        human = run_script(HUMAN, engine)
        assert "rejected" in capsys.readouterr().out  # the unknown order id
        logged = SessionStore(engine).load_events(human.config.session_id)
        policy = LogReplayPolicy.from_store(engine, human.config.session_id)
        bot = play_episode(ReplayEnv("SPY", db=engine), policy, options=policy.options())
    finally:
        engine.dispose()
    human_fills, bot_fills = fill_list(logged), fill_list(bot.pending_events())
    assert len(human_fills) >= 4 and bot_fills == human_fills
    assert bot.summary() == human.summary() and bot.summary()["num_trades"] >= 2
    assert bot.config.t_start == human.config.t_start and bot.config.t_end == human.config.t_end
    rejected = [e for e in bot.pending_events() if e.type == "ORDER_REJECTED"]
    assert len(rejected) == 1


def play_mid_bar_human(engine) -> object:
    """Play and store a human session that gives commands between display boundaries."""
    from ntree.engine.commands import Cancel, Modify, Place, SetBracket, SetDispTf
    from ntree.runner import open_session

    human = open_session(
        engine, "SPY", "2024-08-07", "2024-08-07", "5m", edit_on_disp_boundary=False
    )

    def do(command):  # a refusal is logged and re-issued like any command
        try:
            return human.execute(command)
        except EngineError:
            return None

    do(Step(disp_steps=3))
    do(Step(exec_steps=2))  # mid-bar from here
    px = round(human.last_price, 2)
    do(Place(side="BUY", type="MARKET", qty=40))
    do(Step(exec_steps=1))
    do(SetBracket(tp=round(px + 5, 2), sl=round(px - 0.3, 2)))
    do(Note(text="bracket set mid-bar"))
    do(Step(exec_steps=4))  # across a boundary, still mid-bar
    resting = do(Place(side="BUY", type="LIMIT", qty=10, price=round(px - 0.2, 2)))
    do(Step(exec_steps=3))
    do(Modify(order_id=resting, price=round(px - 0.1, 2)))  # refused if it has filled
    do(Step(disp_steps=1))  # to the boundary
    do(SetDispTf(disp_tf="15m"))  # at 09:45, a boundary both frames share
    do(Step(exec_steps=7))
    do(Cancel(order_id=resting))
    do(Place(side="SELL", type="MARKET", qty=25))
    do(Step(exec_steps=1))
    do(Place(side="SELL", type="LIMIT", qty=20, price=round(px + 0.5, 2)))
    do(Step(disp_steps=6))
    do(Step(exec_steps=5))
    do(Place(side="BUY", type="MARKET", qty=15))
    do(Step(disp_steps=2))
    do(Step(exec_steps=2))
    human.end()
    SessionStore(engine).save(human)
    return human


def test_a_human_session_with_mid_bar_commands_replays_exactly(seeded_db_url):
    engine = db.connect(seeded_db_url)
    try:
        human = play_mid_bar_human(engine)
        logged = SessionStore(engine).load_events(human.config.session_id)
        policy = LogReplayPolicy.from_store(engine, human.config.session_id)
        bot = play_episode(ReplayEnv("SPY", db=engine), policy, options=policy.options())
    finally:
        engine.dispose()
    mid_bar = [e for e in logged if "cmd" in e.payload and e.ts_exec != e.ts_market]
    assert len(mid_bar) >= 8  # the session does give commands between boundaries
    human_fills, bot_fills = fill_list(logged), fill_list(bot.pending_events())
    assert len(human_fills) >= 4 and bot_fills == human_fills
    assert bot.summary() == human.summary() and bot.summary()["num_trades"] >= 1
    assert bot.trades == human.trades
    commands = [(e.ts_exec, e.type, e.payload["cmd"]) for e in logged if "cmd" in e.payload]
    replayed = [
        (e.ts_exec, e.type, e.payload["cmd"]) for e in bot.pending_events() if "cmd" in e.payload
    ]
    no_steps = [c for c in commands if c[2]["op"] != "step"]
    assert [c for c in replayed if c[2]["op"] != "step"] == no_steps


def test_log_replay_refuses_a_log_from_another_window(source):
    env = ReplayEnv("SPY", days="2024-08-05", source=source)
    env.reset(seed=0, options={"day": "2024-08-05"})
    session = env.session
    session.execute(Step(exec_steps=2))
    session.execute(Note(text="mid-bar"))
    policy = LogReplayPolicy(session.pending_events())
    obs, _ = env.reset(seed=0, options={"day": "2024-08-06"})  # a later day: the note is past
    with pytest.raises(ValueError, match="not the session's window"):
        policy.act(obs)


def test_advance_to_a_minute_outside_the_display_bar_is_a_rejected_entry(source):
    from ntree.gym.env import AdvanceTo

    env = ReplayEnv("SPY", days="2024-08-05", source=source)
    obs, _ = env.reset(seed=0, options={"day": "2024-08-05"})
    now = int(obs["cursor_ts"][0])
    minute = 60_000_000_000
    obs, _, _, _, info = env.step([AdvanceTo(now + 2 * minute), Note(text="at 09:32")])
    assert not info["rejected"]
    note = next(e for e in info["events"] if e.type == "NOTE")
    assert note.ts_exec == now + 2 * minute
    later = int(obs["cursor_ts"][0])
    _, _, _, _, info = env.step([AdvanceTo(later + 9 * minute)])  # past this 5m bar
    assert [r["code"] for r in info["rejected"]] == ["bad_step"]
    _, _, _, _, info = env.step([AdvanceTo(later)])  # behind the cursor now
    assert [r["code"] for r in info["rejected"]] == ["bad_step"]
