"""The Coach through the service and ``GET /replay/coach``: selection, numbers, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from coach_helpers import play_brackets
from test_openapi import assert_matches_spec

from ntree.service import ServiceError
from ntree.service.coach import MAX_SENSITIVITY_SESSIONS

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

DAY_A, DAY_B = "2024-08-06", "2024-08-07"


@pytest.fixture
def played(replay_service) -> tuple[str, str]:
    """Two sessions of three bracketed trades: longs on DAY_A (ended), shorts on DAY_B
    (still active)."""
    a = play_brackets(replay_service, DAY_A, "BUY", 3)
    b = play_brackets(replay_service, DAY_B, "SELL", 3, end=False)
    return a, b


def test_coach_counts_every_closed_trade_of_the_sessions_named(replay_service, played):
    a, b = played
    report = replay_service.coach({"session_id": [a, b]})
    stored = replay_service.trades(a)
    live = replay_service.snapshot(b, 1)["trades"]
    # Trades are stored as they close: the active session's are in the store too.
    assert [t["pnl"] for t in replay_service.trades(b)] == [t["pnl"] for t in live]
    assert len(stored) == len(live) == 3
    pnls = [t["pnl"] for t in stored + live]
    assert [t["pnl"] for t in stored] == [-41.0, 60.0, -37.0]  # stop, target, stop
    assert [t["pnl"] for t in live] == [57.0, 61.0, 57.0]
    assert report["n_sessions"] == 2 and report["n_trades"] == 6
    assert report["win_rate"] == round(4 / 6, 6)
    assert report["profit_factor"] == round((60 + 57 + 61 + 57) / (41 + 37), 6)
    assert report["net_pnl"] == sum(pnls)
    rs = [t["r_multiple"] for t in stored + live]
    assert report["avg_r"] == pytest.approx(sum(rs) / 6, abs=1e-6)
    assert {t["session_id"] for t in report["trades"]} == {a, b}
    assert all(t["regime"] in ("range", "trend") for t in report["trades"])
    assert report["filters"]["session_id"] == [a, b]
    json.dumps(report, allow_nan=False)


def test_api_coach_answers_what_the_service_answers_and_fits_the_spec(
    api_client, replay_service, played
):
    from ntree.openapi import openapi_spec

    a, b = played
    r = api_client.get(f"/replay/coach?session_id={a}&session_id={b}")
    body = assert_matches_spec(openapi_spec(), r, "/replay/coach", "get")
    assert body == replay_service.coach({"session_id": [a, b]})
    assert body["n_trades"] == 6 and body["win_rate"] == round(4 / 6, 6)


@pytest.mark.parametrize(
    ("filters", "n_sessions", "n_trades"),
    [
        ({"from": DAY_B}, 1, 3),
        ({"to": DAY_A}, 1, 3),
        ({"from": DAY_A, "to": DAY_B}, 2, 6),
        ({"from": "2024-08-06T12:00:00"}, 1, 3),  # New York noon: after DAY_A's open
        ({"symbol": "SPY"}, 2, 6),
        ({"symbol": "QQQ"}, 0, 0),
        ({"disp_tf": "5m"}, 2, 6),
        ({"disp_tf": "15m"}, 0, 0),
        ({"player": "human"}, 2, 6),
        ({"player": "bot-1"}, 0, 0),
        ({"setup": "untagged"}, 2, 6),
        ({"setup": "band fade"}, 2, 0),
    ],
)
def test_coach_filters_select_sessions_and_trades(
    replay_service, played, filters, n_sessions, n_trades
):
    report = replay_service.coach({"session_id": list(played), **filters})
    assert (report["n_sessions"], report["n_trades"]) == (n_sessions, n_trades)


def test_coach_of_an_empty_selection_is_empty_not_an_error(replay_service, played):
    report = replay_service.coach({"session_id": list(played), "symbol": "QQQ"})
    assert report["n_trades"] == 0 and report["trades"] == [] and report["win_rate"] is None
    json.dumps(report, allow_nan=False)


def test_coach_tag_filter_keeps_a_tagged_session_whole_and_only_the_tagged_trades_else(
    replay_service, played
):
    a, b = played
    replay_service.set_session_tags(a, ["A-plus"])  # History's tag on the whole session
    replay_service.add_journal({"session_id": b, "trade_id": 2, "tags": ["fomo"]})
    replay_service.add_journal({"session_id": b, "trade_id": 3, "tags": ["fomo", "late"]})
    replay_service.add_journal({"session_id": b, "trade_id": 3, "tags": ["late"]})  # an edit

    def picked(tag: str) -> list[tuple[str, int]]:
        report = replay_service.coach({"session_id": [a, b], "tag": tag})
        assert report["filters"]["tag"] == tag and report["notes"] == []
        return [(t["session_id"], t["trade_id"]) for t in report["trades"]]

    assert sorted(picked("a-plus")) == [(a, 1), (a, 2), (a, 3)]  # case does not matter
    assert picked("fomo") == [(b, 2)]  # trade 3's latest note dropped fomo
    assert sorted(picked("late")) == [(b, 3)]
    assert picked("nobody-used-this") == []
    report = replay_service.coach({"session_id": [a, b], "tag": "fomo"})
    assert report["n_sessions"] == 1 and report["n_trades"] == 1
    replay_service.add_journal({"session_id": b, "tags": ["late"]})  # the session's own note
    assert sorted(picked("LATE")) == [(b, 1), (b, 2), (b, 3)]


def test_api_coach_applies_the_tag_filter(api_client, replay_service, played):
    a, b = played
    replay_service.add_journal({"session_id": a, "trade_id": 1, "tags": ["a-plus"]})
    r = api_client.get(f"/replay/coach?session_id={a}&session_id={b}&tag=a-plus")
    assert r.status_code == 200
    assert [(t["session_id"], t["trade_id"]) for t in r.get_json()["trades"]] == [(a, 1)]


def test_coach_setup_filter_reads_each_trades_journal_setup(replay_service, played):
    a, b = played
    replay_service.add_journal({"session_id": a, "trade_id": 2, "setup": "band fade"})
    report = replay_service.coach({"session_id": [a, b], "setup": "band fade"})
    assert [(t["session_id"], t["trade_id"], t["setup"]) for t in report["trades"]] == [
        (a, 2, "band fade")
    ]
    everything = replay_service.coach({"session_id": [a, b]})
    assert everything["by_setup"]["band fade"]["n"] == 1
    assert everything["by_setup"]["untagged"]["n"] == 5


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ("from=yesterday-ish", 400, "bad_time", "from"),
        ("to=2024-13-45", 400, "bad_time", "to"),
        ("disp_tf=7m", 422, "bad_tf", "disp_tf"),
        ("session_id=nope", 404, "unknown_session", "session_id"),
    ],
)
def test_api_coach_refuses_a_bad_filter_naming_the_field(api_client, query, status, code, field):
    r = api_client.get(f"/replay/coach?{query}")
    assert r.status_code == status
    assert r.get_json()["error"]["code"] == code
    assert r.get_json()["error"]["field"] == field


def test_coach_reads_a_session_again_only_when_its_log_grew(replay_service, played):
    a, b = played
    replay_service.coach({"session_id": [a, b]})
    assert len(replay_service.coach_bundles) == 2
    replay_service.coach({"session_id": [a, b]})
    assert len(replay_service.coach_bundles) == 2
    replay_service.command("end", {"session_id": b})  # its trades land in the store
    report = replay_service.coach({"session_id": [a, b]})
    assert len(replay_service.coach_bundles) == 3 and report["n_trades"] == 6


def test_coach_sensitivity_sets_each_scenario_beside_the_perfect_fill(replay_service, played):
    a, b = played
    plain = replay_service.coach({"session_id": [a, b]})
    assert "sensitivity" not in plain
    sens = replay_service.coach({"session_id": [a, b], "sensitivity": "1"})["sensitivity"]
    assert sens["n_sessions"] == 2 and sens["capped"] is False
    assert str(MAX_SENSITIVITY_SESSIONS) in sens["note"]
    assert sens["total"]["perfect"]["pnl"] == pytest.approx(plain["net_pnl"])
    assert sens["total"]["perfect"]["pnl_vs_perfect"] == 0
    assert sens["total"]["all_three"]["pnl"] < sens["total"]["perfect"]["pnl"]


def test_coach_refuses_a_session_id_that_is_not_text(replay_service):
    with pytest.raises(ServiceError) as err:
        replay_service.coach({"session_id": [3]})
    assert err.value.field == "session_id"


def test_coach_candles_built_from_the_bars_equal_the_restored_sessions(replay_service, played):
    from ntree.runner import restore_session
    from ntree.service.coach import _CANDLE_COLUMNS, direct_candles

    a, _b = played
    direct = direct_candles(replay_service.db_engine, replay_service.store.load_events(a))
    assert direct is not None
    restored = restore_session(replay_service.db_engine, a)
    pd.testing.assert_frame_equal(
        direct.bundle.candles, restored.disp.loc[:, list(_CANDLE_COLUMNS)], check_exact=True
    )
    pd.testing.assert_frame_equal(direct.bars_1m, restored.bars, check_exact=True)
    assert direct.bundle.disp_tf == restored.disp_tf == 5


def test_coach_restores_a_session_that_switched_display_frames(replay_service):
    from ntree.runner import restore_session
    from ntree.service.coach import direct_candles, load_session

    svc = replay_service
    sid = svc.start({"symbol": "SPY", "t_start": DAY_A, "t_end": DAY_A, "disp_tf": "5m"})[
        "session_id"
    ]
    svc.command("step", {"session_id": sid, "disp_steps": 3})  # 09:45: a 15m boundary
    svc.command("set_disp_tf", {"session_id": sid, "disp_tf": "15m"})
    replay_service.command("end", {"session_id": sid})
    events = replay_service.store.load_events(sid)
    assert direct_candles(replay_service.db_engine, events) is None
    loaded = load_session(replay_service, replay_service.store.get_session(sid))
    restored = restore_session(replay_service.db_engine, sid)
    assert loaded.bundle.disp_tf == restored.disp_tf == 15
    assert len(loaded.bundle.candles) == len(restored.disp)


def test_coach_compares_a_human_session_and_a_bot_run_on_its_window(tmp_path):
    from coach_helpers import fresh_service

    from ntree.cli import main

    svc = fresh_service(tmp_path)
    try:
        human = play_brackets(svc, DAY_A, "BUY", 3)
        other = play_brackets(svc, DAY_B, "SELL", 2)  # no bot played this one
        url = str(svc.db_engine.url)
        argv = ["bot", "run", "--policy", "ntree.gym.policies:BandFadePolicy", "--db", url]
        assert main([*argv, "--against", human]) == 0
        report = svc.coach({"compare": "human,band-fade"})
        assert report["n_sessions"] == 3  # both humans and the bot: compare selects players
        cmp = report["compare"]
        assert cmp["players"] == ["human", "band-fade"]
        [window] = cmp["windows"]
        row = svc.get_session(human)
        assert (window["symbol"], window["disp_tf"]) == ("SPY", "5m")
        assert window["start"][:16] == pd.Timestamp(row["t_start"]).strftime("%Y-%m-%dT%H:%M")
        me, bot = window["players"]["human"], window["players"]["band-fade"]
        assert me["pnl"] == sum(t["pnl"] for t in svc.trades(human))
        assert me["n_trades"] == 3 and me["n_sessions"] == 1
        bots = [r for r in svc.store.list_sessions(limit=None) if r["player"] == "band-fade"]
        assert bot["pnl"] == pytest.approx(sum(t["pnl"] for t in svc.trades(bots[0]["session_id"])))
        assert bot["n_trades"] == len(svc.trades(bots[0]["session_id"])) > 0
        assert cmp["total"]["n_windows"] == 1
        assert cmp["total"]["players"]["human"]["pnl"] == me["pnl"]
        assert {human, other} <= {t["session_id"] for t in report["trades"]}
        # player given twice compares too; one player alone just filters
        assert svc.coach({"player": ["human", "band-fade"]})["compare"] == cmp
        assert "compare" not in svc.coach({"player": "band-fade"})
    finally:
        svc.cache.close()


def test_api_coach_compare_fits_the_spec_and_refuses_a_single_player(api_client):
    from ntree.openapi import openapi_spec

    r = api_client.get("/replay/coach?compare=human,band-fade&symbol=QQQ")
    body = assert_matches_spec(openapi_spec(), r, "/replay/coach", "get")
    assert body["compare"]["windows"] == [] and body["filters"]["compare"] == ["human", "band-fade"]
    r = api_client.get("/replay/coach?player=human&player=band-fade&symbol=QQQ")
    assert r.get_json()["filters"]["player"] == ["human", "band-fade"] and "compare" in r.get_json()
    r = api_client.get("/replay/coach?compare=human")
    assert r.status_code == 422
    assert r.get_json()["error"]["code"] == "bad_compare"
    assert r.get_json()["error"]["field"] == "compare"
