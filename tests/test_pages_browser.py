"""The cockpit and History in headless Chromium (dash_duo), as a trader uses them.

Run with ``python -m pytest --headless``; screenshots land in the test's tmp folder.
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from ntree.ui import ids

pytestmark = pytest.mark.browser


def _start(dash_duo, dash_app, disp_tf: str = "5m", fills: dict | None = None) -> str:
    """Start a session from the start panel (``fills``: fill-model input id -> value)."""
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_contains_text(f"#{ids.START_RANGE_NOTE}", "data", timeout=10)
    if fills:
        dash_duo.find_element(f"#{ids.START_FILL_TOGGLE}").click()
        # The panel slides open: its inputs exist before they can take keys, so wait until
        # the last one is shown at its full height (typing during the slide fails at random).
        from dash.testing.wait import until

        until(lambda: _interactable(dash_duo, ids.START_FILL_COMMISSION), 5)
        for id_, value in fills.items():
            _type(dash_duo, id_, value)
        # the knobs reach the start button through a store: start once each one is in it
        summary = f"#{ids.START_FILL_SUMMARY}"
        until(lambda: len(dash_duo.find_element(summary).text.split(" · ")) == len(fills), 5)
    dash_duo.find_element(f"#{ids.START_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{ids.SESSION_LABEL}", disp_tf, timeout=10)
    _wait_folded(dash_duo)  # the page moves up as the start panel folds: click after that
    return dash_duo.find_element(f"#{ids.SESSION_LABEL}").text.split(" · ")[2]


def _interactable(dash_duo, id_: str) -> bool:
    el = dash_duo.find_element(f"#{id_}")
    collapsing = dash_duo.driver.execute_script("return !!arguments[0].closest('.collapsing')", el)
    return el.is_displayed() and el.size["height"] > 0 and not collapsing


def _wait_folded(dash_duo, folded: bool = True) -> None:
    from dash.testing.wait import until

    def done() -> bool:
        cls = dash_duo.find_element(f"#{ids.START_PANEL}").get_attribute("class").split()
        return ("folded" in cls) == folded

    until(done, 10)


def _unfold(dash_duo) -> None:
    dash_duo.find_element(f"#{ids.START_UNFOLD}").click()
    _wait_folded(dash_duo, folded=False)


def _type(dash_duo, id_: str, value) -> None:
    el = dash_duo.find_element(f"#{id_}")
    dash_duo.clear_input(el)
    el.send_keys(str(value))


def _press(dash_duo, key: str) -> None:
    dash_duo.find_element("body").click()
    ActionChains(dash_duo.driver).send_keys(key).perform()


def test_trade_cycle_from_start_to_history(dash_duo, dash_app, tmp_path):
    sid = _start(dash_duo, dash_app)
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "09:35")
    # the ticket took the last price; a buy limit 0.50 above it fills on the next bar
    dash_duo.wait_for_element(f"#{ids.ORDER_PRICE}")
    from dash.testing.wait import until

    until(lambda: dash_duo.find_element(f"#{ids.ORDER_PRICE}").get_attribute("value"), 5)
    last = float(dash_duo.find_element(f"#{ids.ORDER_PRICE}").get_attribute("value"))
    _type(dash_duo, ids.ORDER_PRICE, f"{last + 0.5:.2f}")
    dash_duo.find_element(f"#{ids.PLACE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.CHART}", "BUY LMT 100", timeout=5)  # order line
    dash_duo.wait_for_contains_text(f"#{ids.ORDERS_TABLE}", "LMT")
    dash_duo.driver.save_screenshot(str(tmp_path / "order_line.png"))

    # drag the order line up (a higher buy limit: it still fills on the next bar)
    line = dash_duo.find_element(f"#{ids.CHART} g[drag-helper][data-index='0'] path")
    ActionChains(dash_duo.driver).drag_and_drop_by_offset(line, 0, -40).perform()
    # above the market it would fill at once: the cockpit asks first
    dash_duo.wait_for_contains_text(f"#{ids.CONFIRM_TEXT}", "Move order #1 there", timeout=5)
    dash_duo.find_element(f"#{ids.CONFIRM_YES}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "Order #1 moved to", timeout=5)
    moved = dash_duo.find_element(f"#{ids.ALERT}").text.split("moved to ")[1].split()[0]
    assert float(moved) > last + 0.5
    dash_duo.wait_for_contains_text(f"#{ids.ORDERS_TABLE}", moved)
    dash_duo.wait_for_contains_text(f"#{ids.CHART}", f"BUY LMT 100 @ {moved}")  # its label
    line_y = "return document.querySelector('#chart .js-plotly-plot').layout.shapes[0].y0"
    until(lambda: dash_duo.driver.execute_script(line_y) == float(moved), 5)  # on the tick
    dash_duo.driver.save_screenshot(str(tmp_path / "order_line_dragged.png"))

    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.POS_QTY}", "+100", timeout=5)
    assert dash_duo.find_element(f"#{ids.POS_AVG}").text != "—"
    dash_duo.wait_for_contains_text(f"#{ids.CHART}", "AVG +100")
    # the average-price line is no order: a drag on it pans the chart, the line stays put
    avg = dash_duo.find_element(f"#{ids.CHART} g[drag-helper][data-index='0'] path")
    ActionChains(dash_duo.driver).drag_and_drop_by_offset(avg, 0, 40).perform()
    assert dash_duo.driver.execute_script(line_y) == float(
        dash_duo.find_element(f"#{ids.POS_AVG}").text
    )
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "09:45")
    assert dash_duo.find_element(f"#{ids.POS_EQUITY}").text != "100,000.00"

    _press(dash_duo, "b")  # hotkey: buy limit at the lower band
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "BUY LMT 100", timeout=5)
    dash_duo.wait_for_contains_text(f"#{ids.ORDERS_TABLE}", "LMT")
    dash_duo.driver.save_screenshot(str(tmp_path / "position.png"))

    dash_duo.find_element(f"#{ids.FLATTEN}").click()  # cancels orders, market-closes
    dash_duo.wait_for_contains_text(f"#{ids.ORDERS_TABLE}", "MKT")
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.POS_QTY}", "flat", timeout=5)
    dash_duo.wait_for_contains_text(f"#{ids.TRADES_TABLE}", "1 trade · win")  # the tally
    row = dash_duo.find_element(f"#{ids.TRADES_TABLE} tbody tr").text
    assert row.startswith("#1 LONG 100") and row.endswith("flatten")

    dash_duo.find_element(f"#{ids.END}").click()  # it asks first
    dash_duo.wait_for_element(f"#{ids.END_CONFIRM}", timeout=5).click()
    dash_duo.wait_for_contains_text(f"#{ids.SUMMARY}", "Session ended", timeout=5)
    dash_duo.wait_for_contains_text(f"#{ids.SUMMARY}", "TRADES")
    dash_duo.driver.save_screenshot(str(tmp_path / "ended.png"))
    dash_duo.find_element("#summary-link").click()
    dash_duo.wait_for_contains_text("h5", f"Session {sid}", timeout=5)
    dash_duo.wait_for_contains_text(f"#{ids.LOG_HEAD}", "fills: perfect")
    dash_duo.wait_for_contains_text(f"#{ids.LOG_TABLE}", "FILL BUY 100 @")
    dash_duo.wait_for_contains_text(f"#{ids.LOG_TABLE}", "ORDER_MODIFIED")
    dash_duo.wait_for_contains_text(f"#{ids.LOG_TRADES}", "LONG")
    dash_duo.find_element(f"#{ids.LOG_VERIFY}").click()  # re-run from the log: identical
    dash_duo.wait_for_contains_text(f"#{ids.LOG_VERIFY_RESULT}", "OK", timeout=10)

    dash_duo.find_element(f"#{ids.NAVBAR} a[href='/history']").click()
    dash_duo.wait_for_element(f"#{ids.HISTORY_TABLE} .ag-row[row-id='{sid}']", timeout=10)
    row = f"#{ids.HISTORY_TABLE} .ag-row[row-id='{sid}']"
    # A row with pinned columns is drawn as one element per section (left, centre, right).
    assert "ended" in " ".join(el.text for el in dash_duo.find_elements(row))
    assert dash_duo.get_logs() == [], "browser console errors"


def test_errors_timeframe_switch_and_rewind(dash_duo, dash_app):
    fills = {ids.START_FILL_SLIPPAGE: 1, ids.START_FILL_COMMISSION: 0.005}
    sid = _start(dash_duo, dash_app, fills=fills)
    folded = dash_duo.find_element(f"#{ids.START_FOLDED}").text
    assert folded.endswith("fills: slip 1t · $0.005/sh · 4x")  # and the default leverage
    _unfold(dash_duo)
    assert dash_duo.find_element(f"#{ids.START_FILL_TOGGLE}").text == "Fills: custom"
    assert dash_duo.find_element(f"#{ids.START_FILL_SUMMARY}").text == "slip 1t · $0.005/sh"
    label = dash_duo.find_element(f"#{ids.SESSION_LABEL}").text
    assert label.endswith(f"{sid} · fills: slip 1t · $0.005/sh")  # the session has it
    _type(dash_duo, ids.ORDER_PRICE, "100.005")
    dash_duo.find_element(f"#{ids.PLACE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "tick", timeout=5)  # shown, no crash

    _type(dash_duo, ids.STEP_N_COUNT, "10")
    dash_duo.find_element(f"#{ids.STEP_N}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "10:20")

    # pan back: the next step appends a candle but leaves the view; "Live" brings it back
    from dash.testing.wait import until

    def x_range():
        return dash_duo.driver.execute_script(
            "const g = document.querySelector('#chart .js-plotly-plot');"
            "return [g._fullLayout.xaxis.range, g.data[0].x.length];"
        )

    plot = dash_duo.find_element(f"#{ids.CHART} .nsewdrag")
    ActionChains(dash_duo.driver).move_to_element(plot).click_and_hold().move_by_offset(
        300, 0
    ).release().perform()
    panned, n = x_range()
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "10:25")
    until(lambda: "away" in dash_duo.find_element(f"#{ids.CHART_LIVE}").get_attribute("class"), 5)
    assert x_range() == [panned, n + 1]
    dash_duo.find_element(f"#{ids.CHART_LIVE}").click()
    from ntree.ui.figures import RIGHT_ROOM

    # the live edge: the last candle (index n) and the empty room right of it
    until(lambda: x_range()[0][1] == n + 0.5 + RIGHT_ROOM, 5)

    from selenium.webdriver.support.select import Select

    Select(dash_duo.find_element(f"#{ids.DISP_TF}")).select_by_value("15m")
    # 10:20 is not a 15m boundary: the alert names the next one
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "next one is at", timeout=5)
    assert "10:30 New York" in dash_duo.find_element(f"#{ids.ALERT}").text
    _type(dash_duo, ids.STEP_N_COUNT, "1")
    dash_duo.find_element(f"#{ids.STEP_N}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "10:30")
    Select(dash_duo.find_element(f"#{ids.DISP_TF}")).select_by_value("30m")
    dash_duo.wait_for_contains_text(f"#{ids.SESSION_LABEL}", "30m", timeout=5)
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "10:30")  # same replay position

    _type(dash_duo, ids.REWIND_COUNT, "1")
    dash_duo.find_element(f"#{ids.REWIND}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", f"parent {sid}", timeout=10)
    assert "Rewound 1 bar, paused" in dash_duo.find_element(f"#{ids.ALERT}").text
    label = dash_duo.find_element(f"#{ids.SESSION_LABEL}").text
    assert "30m" in label and label.endswith("fills: slip 1t · $0.005/sh")  # frame, fills kept
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "10:00")
    assert sid not in dash_duo.find_element(f"#{ids.SESSION_LABEL}").text


def _ticket_price(dash_duo) -> str:
    return dash_duo.find_element(f"#{ids.ORDER_PRICE}").get_attribute("value")


def test_a_new_session_starts_a_fresh_ticket_and_a_pan_leaves_its_price(dash_duo, dash_app):
    from dash.testing.wait import until
    from selenium.webdriver.support.select import Select

    from ntree.ui.service import service

    first = _start(dash_duo, dash_app)
    until(lambda: _ticket_price(dash_duo), 5)
    # the ticket the trader left behind: a SELL STOP far above the market
    labels = dash_duo.driver.find_elements("css selector", f"#{ids.ORDER_SIDE} label")
    next(el for el in labels if el.text == "SELL").click()
    Select(dash_duo.find_element(f"#{ids.ORDER_TYPE}")).select_by_value("STOP")
    _type(dash_duo, ids.ORDER_PRICE, "999.00")
    assert dash_duo.find_element(f"#{ids.ORDER_SIDE} input[value='SELL']").is_selected()

    # a new session on another symbol: the ticket is a BUY LIMIT at that session's last price
    _unfold(dash_duo)
    Select(dash_duo.find_element(f"#{ids.START_SYMBOL}")).select_by_index(1)
    dash_duo.find_element(f"#{ids.START_BUTTON}").click()
    until(lambda: dash_duo.find_element(f"#{ids.SESSION_LABEL}").text.split(" · ")[2] != first, 10)
    _wait_folded(dash_duo)
    sid = dash_duo.find_element(f"#{ids.SESSION_LABEL}").text.split(" · ")[2]
    with dash_app.server.app_context():
        last = service().state({"session_id": sid})["last_price"]
    until(lambda: _ticket_price(dash_duo) not in ("", "999", "999.00"), 5)
    assert float(_ticket_price(dash_duo)) == last
    assert dash_duo.find_element(f"#{ids.ORDER_SIDE} input[value='BUY']").is_selected()
    assert Select(dash_duo.find_element(f"#{ids.ORDER_TYPE}")).first_selected_option.text == (
        "Limit"
    )

    # a drag-pan on the chart, down and up on the plot: not a click-to-price
    plot = dash_duo.find_element(f"#{ids.CHART} .nsewdrag")
    ActionChains(dash_duo.driver).move_to_element(plot).click_and_hold().move_by_offset(
        -120, 60
    ).release().perform()
    dash_duo.find_element(f"#{ids.STEP_1}").click()  # a round trip after the pan
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "09:35", timeout=5)
    assert float(_ticket_price(dash_duo)) == last
    # while a click, the pointer still, takes the price under it
    ActionChains(dash_duo.driver).move_to_element_with_offset(plot, 5, 5).click().perform()
    until(lambda: float(_ticket_price(dash_duo)) != last, 5)
    assert dash_duo.get_logs() == [], "browser console errors"


def _bottom(dash_duo, css: str) -> float:
    return dash_duo.driver.execute_script(
        f"return document.querySelector({css!r}).getBoundingClientRect().bottom"
    )


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_the_playing_cockpit_fits_the_window(dash_duo, dash_app, tmp_path, size):
    dash_duo.driver.set_window_size(*size)
    _start(dash_duo, dash_app)
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "09:35")
    # an alert (a refused order) is a toast over the page: the chart does not move
    chart = f"#{ids.CHART} .main-svg"
    before = _bottom(dash_duo, chart)
    _type(dash_duo, ids.ORDER_PRICE, "100.005")
    dash_duo.find_element(f"#{ids.PLACE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "tick", timeout=5)
    dash_duo.driver.save_screenshot(str(tmp_path / f"cockpit_{size[0]}x{size[1]}.png"))

    inner = dash_duo.driver.execute_script("return window.innerHeight")
    assert _bottom(dash_duo, chart) == before
    # the chart with its volume pane and time axis, the toolbar, the ticket: no scrolling
    assert before <= inner, (before, inner)
    assert _bottom(dash_duo, ".toolbar") <= inner
    assert _bottom(dash_duo, f"#{ids.PLACE}") <= inner
    assert _bottom(dash_duo, f"#{ids.POS_QTY}") <= inner
    assert dash_duo.driver.execute_script(
        "return document.scrollingElement.scrollHeight <= window.innerHeight + 1"
    )
    # the start panel is one line, naming the session in play
    folded = dash_duo.find_element(f"#{ids.START_PANEL}")
    assert folded.size["height"] < 40
    symbol = dash_duo.find_element(f"#{ids.SESSION_LABEL}").text.split(" · ")[0]
    line = dash_duo.find_element(f"#{ids.START_FOLDED}").text
    assert line.startswith(f"{symbol} · 5m · ") and line.endswith("fills: perfect · 4x")
    _unfold(dash_duo)
    assert dash_duo.find_element(f"#{ids.START_BUTTON}").is_displayed()
