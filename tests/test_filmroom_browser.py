"""The film room in headless Chromium: History's grid, the session review's chart, the
journal surviving a reload, and the re-run check (``python -m pytest --headless``)."""

from __future__ import annotations

import json

import pytest
from dash.testing.wait import until

from ntree.ui import ids, review

pytestmark = pytest.mark.browser

DAY = "2024-08-06"
TRACE_NAMES = (  # the chart's traces that hold points (null until plotly has drawn it)
    f"const g = document.querySelector('#{ids.REVIEW_CHART} .js-plotly-plot');"
    "return g && g.data ? g.data.filter(t => t.x && t.x.length).map(t => t.name) : null;"
)


def _play(dash_app) -> str:
    """Play a session with two closed trades through the REST API of the app's server."""
    client = dash_app.server.test_client()

    def post(path: str, body: dict) -> dict:
        res = client.post(f"/replay/{path}", data=json.dumps(body), content_type="application/json")
        assert res.status_code == 200, res.get_json()
        return res.get_json()

    start = {"symbol": "AAPL", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"}
    sid = post("start", start)["session_id"]
    for side in ("BUY", "SELL"):
        post("step", {"session_id": sid, "disp_steps": 4})
        post("order/place", {"session_id": sid, "side": side, "type": "MARKET", "qty": 50})
        post("step", {"session_id": sid, "disp_steps": 3})
        post("flatten", {"session_id": sid})
        post("step", {"session_id": sid, "disp_steps": 1})
    return sid


def test_history_lists_a_session_just_played_and_its_review_draws_the_trades(
    dash_duo, dash_app, tmp_path
):
    sid = _play(dash_app)
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/history?symbol=AAPL")
    row = f"#{ids.HISTORY_TABLE} .ag-row[row-id='{sid}']"
    dash_duo.wait_for_element(row, timeout=10)
    text = _row_text(dash_duo, row)
    assert "AAPL" in text and "active" in text
    dash_duo.driver.save_screenshot(str(tmp_path / "history.png"))

    dash_duo.find_element(f"{row} a[href='/history/{sid}']").click()
    dash_duo.wait_for_contains_text("h5", f"Session {sid}", timeout=10)
    dash_duo.wait_for_contains_text(f"#{ids.LOG_TRADES}", "SHORT")
    until(lambda: dash_duo.driver.execute_script(TRACE_NAMES), 5)
    drawn = dash_duo.driver.execute_script(TRACE_NAMES)
    assert "BUY fills" in drawn and "SELL fills" in drawn
    assert set(drawn) & set(review.TRADE_TRACES), drawn  # each trade as an entry→exit segment
    dash_duo.wait_for_contains_text(f"#{ids.EVENTS_PAGER}", "events 1-")
    dash_duo.wait_for_contains_text(f"#{ids.LOG_TABLE}", "FILL")
    dash_duo.find_element(f"#{ids.LOG_VERIFY}").click()
    dash_duo.wait_for_contains_text(f"#{ids.LOG_VERIFY_RESULT}", "OK", timeout=15)
    dash_duo.driver.save_screenshot(str(tmp_path / "review.png"))
    assert dash_duo.get_logs() == [], "browser console errors"


def test_a_journal_note_persists_after_a_reload(dash_duo, dash_app):
    sid = _play(dash_app)
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(f"{dash_duo.server_url}/history/{sid}")
    dash_duo.wait_for_element(f"#{ids.JOURNAL_TEXT}", timeout=10)
    from selenium.webdriver.support.select import Select

    Select(dash_duo.find_element(f"#{ids.JOURNAL_TARGET}")).select_by_value("1")
    dash_duo.wait_for_text_to_equal(f"#{ids.JOURNAL_MESSAGE}", "trade #1: version 1 on save")
    Select(dash_duo.find_element(f"#{ids.JOURNAL_SETUP}")).select_by_value("band fade")
    dash_duo.find_element(f"#{ids.JOURNAL_TEXT}").send_keys("waited for the band, good")
    save = dash_duo.find_element(f"#{ids.JOURNAL_SAVE}")
    dash_duo.driver.execute_script("arguments[0].click();", save)  # below the fold
    dash_duo.wait_for_contains_text(f"#{ids.JOURNAL_MESSAGE}", "saved (version 1)", timeout=10)
    dash_duo.wait_for_contains_text(f"#{ids.JOURNAL_VIEW}", "waited for the band", timeout=5)

    dash_duo.driver.refresh()
    dash_duo.wait_for_contains_text(f"#{ids.JOURNAL_VIEW}", "waited for the band", timeout=10)
    assert "Trade #1" in dash_duo.find_element(f"#{ids.JOURNAL_VIEW}").text
    dash_duo.wait_for_contains_text(f"#{ids.LOG_TRADES}", "band fade")  # the trade's setup


def _row_text(dash_duo, row: str) -> str:
    """A grid row's text: a row with pinned columns is drawn as one element per section."""
    return " ".join(el.text for el in dash_duo.find_elements(row))


def test_a_bar_clicked_on_the_review_chart_forks_the_session_there(dash_duo, dash_app, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains

    sid = _play(dash_app)
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(f"{dash_duo.server_url}/history/{sid}")
    until(lambda: dash_duo.driver.execute_script(TRACE_NAMES), 10)
    assert not dash_duo.find_element(f"#{ids.REVIEW_FORK}").is_enabled()
    plot = dash_duo.find_element(f"#{ids.REVIEW_CHART} .nsewdrag")
    # Two thirds of the way across the price pane: a bar of the session well before its last
    # (the first ones are history before its start; selenium 4.2 measures the offset from the
    # element's top left corner).
    x, y = plot.size["width"] * 2 // 3, plot.size["height"] // 2
    ActionChains(dash_duo.driver).move_to_element_with_offset(plot, x, y).pause(
        0.3
    ).click().perform()
    dash_duo.wait_for_contains_text(f"#{ids.REVIEW_PICK_TEXT}", "fork after the", timeout=10)
    picked = dash_duo.find_element(f"#{ids.REVIEW_PICK_TEXT}").text
    dash_duo.driver.save_screenshot(str(tmp_path / "picked.png"))
    fork_button = dash_duo.find_element(f"#{ids.REVIEW_FORK}")
    until(fork_button.is_enabled, 5)
    fork_button.click()
    until(lambda: "/?session=" in dash_duo.driver.current_url, 10)
    fork_id = dash_duo.driver.current_url.split("session=")[1]
    with dash_app.server.app_context():
        from ntree.ui.service import service

        svc = service()
        assert svc.get_session(fork_id)["parent_session_id"] == sid
        last = svc.candles({"session_id": fork_id, "n": 1})["candles"][-1]
    from ntree.ui import figures

    assert f"fork after the {figures.label(last['ts'])} ET bar" == picked
    assert dash_duo.get_logs() == [], "browser console errors"
