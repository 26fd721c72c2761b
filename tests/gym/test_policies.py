"""Policies: band fade and random play whole days; a human's log replayed by a bot gives
the human's fills and PnL exactly (humans and bots share one contract)."""

from __future__ import annotations

import pytest

from ntree import db
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


def test_log_replay_refuses_a_command_given_mid_bar(source):
    env = ReplayEnv("SPY", days="2024-08-05", source=source)
    env.reset(seed=0, options={"day": "2024-08-05"})
    session = env.session
    session.execute(Step(exec_steps=2))
    session.execute(Note(text="mid-bar"))
    policy = LogReplayPolicy(session.pending_events())
    obs, _ = env.reset(seed=0, options={"day": "2024-08-05"})
    obs, *_ = env.step(policy.act(obs))
    with pytest.raises(ValueError, match="mid-bar"):
        policy.act(obs)
