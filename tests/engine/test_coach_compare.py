"""Bot vs human on hand-built trade rows: which windows are compared and each figure."""

from __future__ import annotations

from ntree.engine.coach_compare import Window, compare_players, max_drawdown, player_figures

W1 = Window("SPY", "2024-08-06T13:30:00Z", "2024-08-06T20:00:00Z", "5m")
W2 = Window("SPY", "2024-08-07T13:30:00Z", "2024-08-07T20:00:00Z", "5m")
W3 = Window("QQQ", "2024-08-06T13:30:00Z", "2024-08-06T20:00:00Z", "5m")


def row(pnl: float, mae_r: float | None = None, mfe_r: float | None = None, band=None) -> dict:
    return {"pnl": pnl, "mae_r": mae_r, "mfe_r": mfe_r, "entry_band_distance_atr": band}


def test_max_drawdown_is_the_largest_fall_from_the_running_peak_which_starts_at_zero():
    assert max_drawdown([row(-10), row(30), row(-25), row(-5), row(40)]) == 30
    assert max_drawdown([row(5), row(5)]) == 0
    assert max_drawdown([]) == 0


def test_player_figures_average_pnl_and_drawdown_over_sessions_and_pool_the_trades():
    one = [row(100, 0.5, 2.0, 0.2), row(-50, 1.0, 0.5, 1.0)]  # pnl 50, dd 50
    two = [row(-20, 1.5, None, None)]  # pnl -20, dd 20
    f = player_figures([one, two])
    assert f["pnl"] == 15 and f["max_dd"] == 35
    assert f["win_rate"] == round(1 / 3, 6)
    assert f["avg_mae_r"] == 1.0 and f["avg_mfe_r"] == 1.25  # a None is left out
    assert f["entry_band_distance_atr"] == 0.6
    assert (f["n_trades"], f["n_sessions"]) == (3, 2)


def test_a_player_with_no_trade_on_a_window_has_zero_pnl_and_no_rates():
    f = player_figures([[]])
    assert (f["pnl"], f["max_dd"], f["n_trades"]) == (0, 0, 0)
    assert f["win_rate"] is None and f["avg_mae_r"] is None


def test_only_windows_every_compared_player_played_are_compared_oldest_first():
    played = {
        W2: {"human": [[row(-30)]], "band-fade": [[row(10), row(20)]]},
        W1: {"human": [[row(40), row(-60)]], "band-fade": [[]]},
        W3: {"human": [[row(5)]]},  # no bot here
    }
    out = compare_players(played, ["human", "band-fade"])
    assert [(w["symbol"], w["start"]) for w in out["windows"]] == [
        ("SPY", W1.start),
        ("SPY", W2.start),
    ]
    first = out["windows"][0]["players"]
    assert first["human"]["pnl"] == -20 and first["human"]["max_dd"] == 60
    assert first["band-fade"]["n_trades"] == 0
    total = out["total"]
    assert total["n_windows"] == 2
    human, bot = total["players"]["human"], total["players"]["band-fade"]
    assert human["pnl"] == -50 and human["max_dd"] == 60 and human["n_trades"] == 3
    assert human["win_rate"] == round(1 / 3, 6)
    assert bot["pnl"] == 30 and bot["max_dd"] == 0 and bot["win_rate"] == 1.0
    assert out["players"] == ["human", "band-fade"] and "windows" in out["rule"]


def test_no_shared_window_gives_an_empty_comparison_not_an_error():
    out = compare_players({W1: {"human": [[row(1)]]}}, ["human", "band-fade"])
    assert out["windows"] == [] and out["total"]["n_windows"] == 0
    assert out["total"]["players"]["band-fade"]["pnl"] is None


def test_a_player_named_twice_is_compared_once():
    played = {W1: {"human": [[row(1)]], "band-fade": [[row(2)]]}}
    out = compare_players(played, ["human", "human", "band-fade"])
    assert out["players"] == ["human", "band-fade"]
