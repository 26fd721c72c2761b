"""The Coach page in headless Chromium: tiles and charts for sessions played, as the API says."""

from __future__ import annotations

import pytest
from coach_helpers import fresh_service, play_brackets

from ntree.service import SERVICE_KEY
from ntree.ui import coach_layout, ids

pytestmark = pytest.mark.browser
CHARTS = (
    "mae_mfe band_distance by_regime by_hour by_weekday by_setup equity r_distribution "
    "hold_pnl tilt after_exit"
).split()


def test_coach_page_draws_tiles_and_charts_that_agree_with_the_api(dash_duo, dash_app, tmp_path):
    svc = dash_app.server.extensions[SERVICE_KEY]
    play_brackets(svc, "2024-08-06", "BUY", 3)
    play_brackets(svc, "2024-08-07", "SELL", 3, end=False)
    with dash_app.server.test_client() as client:
        api = client.get("/replay/coach").get_json()
    assert api["n_trades"] >= 6
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/coach")
    tile = f"#{ids.coach_tile('n_trades')}"
    dash_duo.wait_for_text_to_equal(tile, str(api["n_trades"]), timeout=15)
    values = {key: text for key, _, text, _ in coach_layout.tile_values(api)}
    tiles = ("win_rate", "expectancy_r", "profit_factor", "mfe_captured", "trades_per_hour")
    for key in (*tiles, "time_in_trade", "streaks"):
        assert dash_duo.find_element(f"#{ids.coach_tile(key)}").text == values[key]
    assert dash_duo.find_element(f"#{ids.coach_tile('win_rate')}").text.endswith("%")
    for key in CHARTS:
        dash_duo.wait_for_element(f"#{ids.coach_chart(key)} .main-svg", timeout=10)
    points = "return document.querySelectorAll('#{} .scatterlayer .point').length"
    assert dash_duo.driver.execute_script(points.format(ids.coach_chart("mae_mfe"))) > 0
    run = dash_duo.find_element(f"#{ids.COACH_SENS_RUN}")
    dash_duo.driver.execute_script("arguments[0].click()", run)  # below the fold
    dash_duo.wait_for_contains_text(f"#{ids.COACH_SENS}", "Perfect fills", timeout=30)
    dash_duo.driver.save_screenshot(str(tmp_path / "coach.png"))


def test_coach_page_of_a_symbol_never_played_says_to_play_a_session(dash_duo, dash_app):
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/coach")
    dash_duo.wait_for_element(f"#{ids.COACH_SYMBOL}", timeout=10)
    from selenium.webdriver.support.ui import Select

    Select(dash_duo.find_element(f"#{ids.COACH_SYMBOL}")).select_by_value("QQQ")
    dash_duo.wait_for_contains_text(f"#{ids.COACH_CHARTS}", "No closed trades yet", timeout=10)
    assert not dash_duo.find_elements(f"#{ids.coach_chart('mae_mfe')}")


def play_tight_stops(svc, day: str, side: str, n: int) -> str:
    """Play ``n`` entries of 100 with a stop 0.20 and a target 0.60 away (mostly losers)."""
    sign = 1 if side == "BUY" else -1
    sid = svc.start({"symbol": "SPY", "t_start": day, "t_end": day, "disp_tf": "5m"})["session_id"]
    view = svc.command("step", {"session_id": sid, "disp_steps": 3})
    for _ in range(n):
        last = view["last_price"]
        bracket = {"tp": round(last + sign * 0.6, 2), "sl": round(last - sign * 0.2, 2)}
        order = {"side": side, "type": "MARKET", "qty": 100, "bracket": bracket}
        view = svc.command("place", {"session_id": sid, **order})
        while view["position"]["qty"] or view["orders"]:
            view = svc.command("step", {"session_id": sid, "disp_steps": 1})
        view = svc.command("step", {"session_id": sid, "disp_steps": 1})
    svc.command("end", {"session_id": sid})
    return sid


@pytest.fixture
def fresh_app(dash_app, tmp_path):
    """The app served on a database of its own for one test (the shared one is restored)."""
    shared = dash_app.server.extensions[SERVICE_KEY]
    svc = fresh_service(tmp_path)
    dash_app.server.extensions[SERVICE_KEY] = svc
    yield dash_app
    dash_app.server.extensions[SERVICE_KEY] = shared
    svc.cache.close()


def test_coach_drill_button_opens_a_new_session_on_a_day_not_played(dash_duo, fresh_app):
    from ntree.service.coach import played_days, weak_buckets

    dash_app = fresh_app
    svc = dash_app.server.extensions[SERVICE_KEY]
    played = [play_tight_stops(svc, "2024-08-06", "BUY", 14)]
    report = svc.coach({})
    weak = weak_buckets(report, "regime")
    assert weak, "the scenario must leave a losing regime bucket of 5+ trades"
    key = weak[0][0]
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/coach")
    dash_duo.wait_for_element(".coach-drill", timeout=15)
    label = f"Drill {key} (n={weak[0][1]['n']},"
    [button] = [b for b in dash_duo.find_elements(".coach-drill") if b.text.startswith(label)]
    dash_duo.driver.execute_script("arguments[0].click()", button)
    dash_duo.wait_for_element(f"#{ids.CHART}", timeout=20)
    url = dash_duo.driver.current_url
    assert "?session=" in url
    new_id = url.split("?session=")[1]
    row = svc.store.get_session(new_id)
    assert row is not None and row["symbol"] == "SPY" and new_id not in played
    assert "2024-08-06" not in played_days([row])


def test_coach_shows_a_human_session_and_a_bot_run_on_its_window_side_by_side(
    dash_duo, fresh_app, tmp_path
):
    from ntree.cli import main

    svc = fresh_app.server.extensions[SERVICE_KEY]
    human = play_brackets(svc, "2024-08-06", "BUY", 3)
    argv = ["bot", "run", "--policy", "ntree.gym.policies:BandFadePolicy"]
    assert main([*argv, "--against", human, "--db", str(svc.db_engine.url)]) == 0
    with fresh_app.server.test_client() as client:
        api = client.get("/replay/coach?compare=human,band-fade").get_json()["compare"]
    assert api["total"]["n_windows"] == 1
    dash_duo.start_server(fresh_app)
    dash_duo.driver.get(dash_duo.server_url + "/coach?compare=human,band-fade")
    card = f"#{ids.COACH_COMPARE_CARD}"
    dash_duo.wait_for_contains_text(card, "Side by side: human vs band-fade", timeout=15)
    dash_duo.wait_for_contains_text(card, "n=1 shared window")
    total = api["total"]["players"]
    for key, label, show in coach_layout.COMPARE_ROWS:
        cells = dash_duo.find_element(f"#{ids.coach_compare_row(key)}").text.split("\n")
        want = [label, show(total["human"]), show(total["band-fade"])]
        assert " ".join(cells).split() == " ".join(want).split(), key
    bars = "return document.querySelectorAll('#{} .bars .point').length"
    dash_duo.wait_for_element(f"#{ids.coach_chart('compare')} .main-svg", timeout=10)
    assert dash_duo.driver.execute_script(bars.format(ids.coach_chart("compare"))) == 2
    for size in ((1366, 768), (1600, 1000)):
        dash_duo.driver.set_window_size(*size)
        dash_duo.driver.save_screenshot(str(tmp_path / f"coach-compare-{size[0]}.png"))
    assert dash_duo.get_logs() == [], "browser console errors"
