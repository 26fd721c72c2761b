"""The Coach through the service and ``GET /replay/coach``: selection, numbers, errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from coach_helpers import play_brackets
from test_openapi import assert_matches_spec

from ntree.service import ServiceError
from ntree.service.coach import MAX_SENSITIVITY_SESSIONS, TAG_NOTE

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


def test_coach_takes_a_tag_but_says_it_is_not_applied_yet(replay_service, played):
    report = replay_service.coach({"session_id": list(played), "tag": "a-plus"})
    assert report["n_trades"] == 6 and report["notes"] == [TAG_NOTE]
    assert report["filters"]["tag"] == "a-plus"


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
