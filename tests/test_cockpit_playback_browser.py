"""Cockpit playback in headless Chromium: failures shown and recovered from, 1-minute steps,
the end of a session confirmed. Run with ``python -m pytest --headless``."""

from __future__ import annotations

import json

import pytest
from dash.testing.wait import until

from ntree.ui import ids
from tests.test_pages_browser import _start

pytestmark = pytest.mark.browser


class Outage:
    """A WSGI hook in front of the app: while ``answer`` is set, every page callback gets
    that (status, JSON body) instead of reaching the app: the server "stops answering"."""

    def __init__(self, server):
        self.server, self.app, self.answer = server, server.wsgi_app, None
        server.wsgi_app = self

    def __call__(self, environ, start_response):
        if self.answer and "_dash-update-component" in environ.get("PATH_INFO", ""):
            status, body = self.answer
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]
        return self.app(environ, start_response)

    def close(self) -> None:
        self.server.wsgi_app = self.app


def _paused(dash_app, sid: str) -> bool:
    from ntree.ui.service import service

    with dash_app.server.app_context():
        return service().state({"session_id": sid})["paused"]


def _banner(dash_duo) -> str:
    """The banner's text, "" while it is closed (read in one go: it comes and goes)."""
    return dash_duo.driver.execute_script(
        f"const e = document.getElementById({ids.SERVER_BANNER!r});"
        "return e && e.getClientRects().length ? e.innerText : '';"
    )


def test_a_server_that_stops_answering_raises_a_banner_and_pauses_until_it_is_back(
    dash_duo, dash_app, tmp_path
):
    sid = _start(dash_duo, dash_app)
    outage = Outage(dash_app.server)
    try:
        dash_duo.find_element(f"#{ids.PLAY}").click()
        dash_duo.wait_for_contains_text(f"#{ids.PLAY}", "Pause", timeout=5)
        assert not _paused(dash_app, sid)
        # a storage fault: the page says what broke, in plain words, and stops playing
        full = {"error": {"code": "storage_full", "message": "the database's disk is full"}}
        outage.answer = ("503 Service Unavailable", full)
        until(lambda: "disk is full" in _banner(dash_duo), 10)
        assert "storage_full" in _banner(dash_duo) and "Playback paused" in _banner(dash_duo)
        dash_duo.wait_for_contains_text(f"#{ids.PLAY}", "Play", timeout=5)
        dash_duo.driver.save_screenshot(str(tmp_path / "server_down.png"))
        # the server answers again: the banner clears and the session is paused, as shown
        outage.answer = None
        until(lambda: _banner(dash_duo) == "", 10)
        dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "answers again", timeout=10)
        assert _paused(dash_app, sid)
        assert "Play" in dash_duo.find_element(f"#{ids.PLAY}").text
        # a plain server error (no JSON): said as such, and recovered from the same way
        outage.answer = ("500 Internal Server Error", None)
        dash_duo.find_element(f"#{ids.STEP_1}").click()
        until(lambda: "HTTP 500" in _banner(dash_duo) or "(500)" in _banner(dash_duo), 10)
        outage.answer = None
        until(lambda: _banner(dash_duo) == "", 10)
    finally:
        outage.close()


def test_with_boundary_editing_off_a_1m_step_lets_the_trader_act_inside_a_bar(
    dash_duo, dash_app, tmp_path
):

    dash_duo.start_server(dash_app)
    dash_duo.wait_for_contains_text(f"#{ids.START_RANGE_NOTE}", "data", timeout=10)
    dash_duo.find_element(f"#{ids.START_BOUNDARY}").click()  # "Edit on bar boundary" off
    assert not dash_duo.find_element(f"#{ids.START_BOUNDARY}").is_selected()
    dash_duo.find_element(f"#{ids.START_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "09:30", timeout=10)

    dash_duo.find_element(f"#{ids.STEP_1M}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "09:31", timeout=5)  # inside the bar
    from selenium.webdriver.support.select import Select

    Select(dash_duo.find_element(f"#{ids.ORDER_TYPE}")).select_by_value("MARKET")
    dash_duo.find_element(f"#{ids.PLACE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "placed", timeout=5)  # mid-bar: taken
    # the M hotkey steps a minute too, with Caps Lock on (an "M" without Shift) and while
    # a menu has the focus; the fill comes in that minute
    dash_duo.find_element(f"#{ids.SPEED_SLIDER}").click()
    dash_duo.driver.execute_script(
        "document.activeElement.dispatchEvent(new KeyboardEvent('keydown',"
        " {key: 'M', shiftKey: false, bubbles: true}));"
    )
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "09:32", timeout=5)
    dash_duo.wait_for_text_to_equal(f"#{ids.POS_QTY}", "+100", timeout=5)
    dash_duo.driver.save_screenshot(str(tmp_path / "one_minute_step.png"))

    # a jump to a New York time plays up to it
    dash_duo.find_element(f"#{ids.JUMP_TO}").send_keys("10:07")
    dash_duo.find_element(f"#{ids.JUMP}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "10:07", timeout=5)
    assert dash_duo.get_logs() == [], "browser console errors"


def test_end_session_asks_first_and_keep_playing_leaves_it_running(dash_duo, dash_app):
    sid = _start(dash_duo, dash_app)
    dash_duo.find_element(f"#{ids.END}").click()
    dash_duo.wait_for_element(f"#{ids.END_KEEP}", timeout=5).click()
    until(lambda: not dash_duo.find_elements(f"#{ids.END_CONFIRM}"), 5)
    from ntree.ui.service import service

    with dash_app.server.app_context():
        assert service().state({"session_id": sid})["status"] == "active"
    dash_duo.find_element(f"#{ids.END}").click()
    dash_duo.wait_for_element(f"#{ids.END_CONFIRM}", timeout=5).click()
    dash_duo.wait_for_contains_text(f"#{ids.SUMMARY}", "Session ended", timeout=5)


def test_a_resumed_session_shows_its_own_settings_in_the_start_panel(dash_duo, dash_app):
    from ntree.ui.service import service

    body = {
        "symbol": "QQQ",
        "t_start": "2024-10-08",
        "t_end": "2024-10-09",
        "disp_tf": "15m",
        "fill_model": {"market_slippage_ticks": 2},
    }
    with dash_app.server.app_context():
        sid = service().start(body)["session_id"]
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_contains_text(f"#{ids.START_RANGE_NOTE}", "data", timeout=10)
    dash_duo.driver.get(f"{dash_duo.server_url}/?session={sid}")
    dash_duo.wait_for_contains_text(f"#{ids.SESSION_LABEL}", sid, timeout=10)
    dash_duo.wait_for_contains_text(f"#{ids.START_FOLDED}", "QQQ · 15m", timeout=10)

    def form() -> tuple:
        values = [
            dash_duo.find_element(f"#{i}").get_attribute("value")
            for i in (ids.START_SYMBOL, ids.START_FROM, ids.START_TO, ids.START_DISP_TF)
        ]
        toggle = dash_duo.find_element(f"#{ids.START_FILL_TOGGLE}")  # folded: read, not seen
        return (*values, toggle.get_attribute("textContent"))

    want = ("QQQ", "2024-10-08", "2024-10-09", "15m", "Fills: custom")
    until(lambda: form() == want, 10)
    summary = dash_duo.find_element(f"#{ids.START_FILL_SUMMARY}").get_attribute("textContent")
    assert summary == "slip 2t"


def test_a_pan_to_the_charts_first_candles_loads_older_ones_in_place(dash_duo, dash_app):
    _start(dash_duo, dash_app)
    graph = "document.querySelector('#chart .js-plotly-plot')"
    held = f"return {graph}.data[0].x.length"
    assert dash_duo.driver.execute_script(held) == 300
    # the trader pans back to the figure's first candles (as a drag ends: a relayout)
    dash_duo.driver.execute_script(f"Plotly.relayout({graph}, {{'xaxis.range': [2, 150]}})")
    until(lambda: dash_duo.driver.execute_script(held) == 600, 10)
    # 300 older candles in front: the same candles stay in view
    assert dash_duo.driver.execute_script(f"return {graph}._fullLayout.xaxis.range") == [302, 450]
    assert dash_duo.get_logs() == [], "browser console errors"
