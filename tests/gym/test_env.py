"""ReplayEnv: gymnasium's checks, determinism, vector envs, actions, rewards and info."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import ntree.gym
from ntree.codec import event_line
from ntree.engine.commands import Place
from ntree.gym.env import DISCRETE_ACTIONS, DiscreteActions, ReplayEnv, structured
from ntree.sources import SampleBarSource

DAYS = "2024-08-01:2024-08-09"


@pytest.fixture(scope="module")
def source() -> SampleBarSource:
    """The sample bars, generated once for the module (each env would redo ~1 s of work)."""
    src = SampleBarSource()
    src.load("SPY")
    return src


def make_env(source: SampleBarSource, **kw: object) -> ReplayEnv:
    return gymnasium.make(ntree.gym.ENV_ID, symbol="SPY", days=DAYS, source=source, **kw)


def rollout(env: gymnasium.Env, seed: int, actions: list) -> tuple[list, list, list[str]]:
    obs, _ = env.reset(seed=seed)
    observations, rewards, lines = [obs], [], []
    for action in actions:
        obs, reward, terminated, _, info = env.step(action)
        observations.append(obs)
        rewards.append(reward)
        lines += [event_line(ev) for ev in info["events"]]
        if terminated:
            break
    return observations, rewards, lines


@pytest.mark.filterwarnings("ignore:.*(Box|infinity).*:UserWarning")
def test_check_env_passes_on_the_unwrapped_env(source):
    check_env(make_env(source).unwrapped, skip_render_check=True)


def test_same_seed_and_actions_give_identical_observations_rewards_and_log(source):
    rng = np.random.default_rng(7)
    actions = [int(a) for a in rng.integers(len(DISCRETE_ACTIONS), size=200)]
    a = rollout(DiscreteActions(make_env(source)), 11, actions)
    b = rollout(DiscreteActions(make_env(source)), 11, actions)
    assert len(a[0]) == len(b[0]) > 10
    for oa, ob in zip(a[0], b[0], strict=True):
        assert oa.keys() == ob.keys()
        for key in oa:
            np.testing.assert_array_equal(oa[key], ob[key])
    assert a[1] == b[1]
    assert a[2] == b[2] and any("|FILL|" in line for line in a[2])


def test_the_seed_chooses_the_day_and_a_different_seed_can_choose_another(source):
    env = make_env(source).unwrapped
    starts = {int(env.reset(seed=s)[0]["cursor_ts"][0]) for s in range(8)}
    assert len(starts) > 1
    assert int(env.reset(seed=3)[0]["cursor_ts"][0]) == int(env.reset(seed=3)[0]["cursor_ts"][0])


def test_a_day_option_plays_that_day_to_its_close_one_display_bar_per_step(source):
    env = make_env(source).unwrapped
    obs, _ = env.reset(seed=0, options={"day": "2024-08-05"})
    assert obs["time_remaining"][0] == 390
    steps, terminated = 0, False
    while not terminated:
        obs, _, terminated, truncated, _ = env.step(structured("HOLD"))
        steps += 1
        assert not truncated
    assert steps == 78  # 390 minutes / 5
    assert env.session.ended and obs["market_phase"] == 5  # closed


def test_a_rejected_action_is_an_info_entry_and_an_order_rejected_event(source):
    env = make_env(source).unwrapped
    obs, _ = env.reset(seed=0)
    off_tick = float(obs["last_price"][0]) - 0.005
    _, _, terminated, _, info = env.step(structured("PLACE_LIMIT", price=off_tick, qty=10))
    assert not terminated
    assert [r["code"] for r in info["rejected"]] == ["off_tick"]
    assert [ev.type for ev in info["events"]][:1] == ["ORDER_REJECTED"]
    _, _, _, _, info = env.step(structured("CANCEL", order_id=999))
    assert info["rejected"][0]["code"] and "ORDER_REJECTED" in [ev.type for ev in info["events"]]


def test_a_market_buy_fills_and_shows_in_position_orders_and_info(source):
    env = make_env(source).unwrapped
    env.reset(seed=0)
    obs, _, _, _, info = env.step(structured("PLACE_MARKET", side="BUY", qty=10))
    assert obs["position"][0] == 10 and obs["position"][1] > 0
    assert [ev.type for ev in info["events"]].count("FILL") == 1
    price = round(float(obs["last_price"][0]) - 5.0, 2)
    obs, _, _, _, info = env.step(structured("PLACE_LIMIT", side="BUY", qty=5, price=price))
    assert obs["orders_mask"].tolist()[:2] == [1, 0]
    assert obs["orders"][0, 3] == pytest.approx(price) and obs["orders"][0, 4] == 5
    assert info["time_in_trade"] == 2 and info["churn"] == 2


def test_the_equity_reward_sums_to_the_session_pnl(source):
    env = DiscreteActions(make_env(source))
    env.reset(seed=5)
    total, terminated, k = 0.0, False, 0
    while not terminated:
        _, reward, terminated, _, _ = env.step(k % len(DISCRETE_ACTIONS))
        total += reward
        k += 1
    session = env.unwrapped.session
    assert session.summary()["num_trades"] > 0
    assert total == pytest.approx(session.summary()["pnl"], abs=1e-6)


def test_rewards_by_name_and_by_callable(source):
    seen = []

    def custom(ctx) -> float:
        seen.append(ctx.equity)
        return 1.0

    env = make_env(source, reward=custom).unwrapped
    env.reset(seed=0)
    assert env.step(structured("HOLD"))[1] == 1.0 and len(seen) == 1
    for name in ("r_multiple", "equity_minus_drawdown"):
        env = make_env(source, reward=name).unwrapped
        env.reset(seed=0)
        env.step(structured("PLACE_MARKET", side="BUY", qty=10))
        assert isinstance(env.step(structured("FLATTEN"))[1], float)
    with pytest.raises(ValueError, match="unknown reward"):
        ReplayEnv(reward="sharpe")


def test_the_env_accepts_engine_commands_and_lists_of_them(source):
    env = make_env(source).unwrapped
    obs, _ = env.reset(seed=0)
    px = float(obs["last_price"][0])
    orders = [Place(side="BUY", type="LIMIT", qty=1, price=round(px - k, 2)) for k in (30, 31)]
    obs, *_, info = env.step(orders)
    assert info["rejected"] == [] and obs["orders_mask"].sum() == 2


def test_sync_and_async_vector_envs_run_it(source):
    def factory():
        return DiscreteActions(make_env(source))

    for vec in (
        gymnasium.vector.SyncVectorEnv([factory, factory]),
        gymnasium.vector.AsyncVectorEnv([factory, factory], shared_memory=False),
    ):
        obs, _ = vec.reset(seed=[1, 2])
        assert obs["bar"].shape == (2, 5)
        for _ in range(5):
            obs, rewards, *_ = vec.step(np.array([1, 2]))
        assert rewards.shape == (2,)
        vec.close()


def test_an_episode_on_a_prepared_window_is_the_episode_on_freshly_loaded_bars(source):
    from ntree.engine import ReplaySession
    from ntree.gym.episodes import play_episode
    from ntree.gym.policies import BandFadePolicy
    from ntree.runner import load_session_bars

    env = ReplayEnv("SPY", "5m", days=DAYS, source=source)
    options = {"day": "2024-08-06", "new_session_id": "p"}
    first = play_episode(env, BandFadePolicy(), seed=3, options=options)
    again = play_episode(env, BandFadePolicy(), seed=3, options=options)  # the window reused
    assert again.clock.prepared is first.clock.prepared
    bars = load_session_bars(None, first.config, source)  # a DataFrame: built from scratch
    fresh = ReplaySession.from_events(first.pending_events(), bars)
    for s in (first, again):
        assert [event_line(e) for e in s.pending_events()] == [
            event_line(e) for e in fresh.pending_events()
        ]
        assert s.state() == fresh.state() and s.summary() == fresh.summary()
        assert s.trades == fresh.trades and s.equity_curve == fresh.equity_curve
    assert any(e.type == "FILL" for e in fresh.pending_events())
