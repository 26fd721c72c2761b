"""The cockpit as a demanding trader looked at it, in headless Chromium: the leverage typed in
the start panel (and shown in its folded line), and an order line dragged across the market
(a limit asks before it moves there; a stop is refused by the engine, in words).

Run with ``python -m pytest --headless``; screenshots land in the test's tmp folder.
"""

from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.support.select import Select

from ntree.ui import ids
from tests.test_orders_browser import _modal_open, _service_state, _session
from tests.test_pages_browser import _type

pytestmark = pytest.mark.browser

GRAPH = "document.querySelector('#chart .js-plotly-plot')"


def _drag_line(dash_duo, price: float, to: float) -> None:
    """Drop the draggable order line at ``price`` at ``to``, as a mouse drag ends: plotly's
    relayout of that shape's ends (what the graph reports on the drop)."""
    js = f"""
        const g = {GRAPH};
        const i = g.layout.shapes.findIndex(
            s => s.editable === true && Math.abs(s.y0 - {price}) < 0.005);
        if (i < 0) return false;
        Plotly.relayout(g, {{[`shapes[${{i}}].y0`]: {to}, [`shapes[${{i}}].y1`]: {to}}});
        return true;
    """
    assert dash_duo.driver.execute_script(js), f"no order line at {price}"


def _line_at(dash_duo, price: float) -> bool:
    js = f"""return {GRAPH}.layout.shapes.some(
        s => s.editable === true && Math.abs(s.y0 - {price}) < 0.005);"""
    return dash_duo.driver.execute_script(js)


def _place(dash_duo, dash_app, sid: str, otype: str, price: float) -> int:
    """Place a BUY ``otype`` at ``price`` from the ticket; return its order id."""
    before = len(_service_state(dash_app, sid)["orders"])
    Select(dash_duo.find_element(f"#{ids.ORDER_TYPE}")).select_by_value(otype)
    until(lambda: dash_duo.find_element(f"#{ids.ORDER_TYPE}").get_attribute("value") == otype, 5)
    _type(dash_duo, ids.ORDER_PRICE, f"{price:.2f}")
    dash_duo.find_element(f"#{ids.PLACE}").click()
    until(lambda: len(_service_state(dash_app, sid)["orders"]) == before + 1, 5)
    until(lambda: _line_at(dash_duo, price), 5)
    return _service_state(dash_app, sid)["orders"][-1]["order_id"]


def test_the_leverage_typed_at_start_sets_buying_power_and_shows_folded(dash_duo, dash_app):
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_contains_text(f"#{ids.START_RANGE_NOTE}", "data", timeout=10)
    assert dash_duo.find_element(f"#{ids.START_LEVERAGE}").get_attribute("value") == "4"
    _type(dash_duo, ids.START_LEVERAGE, 2)

    dash_duo.find_element(f"#{ids.START_BUTTON}").click()

    dash_duo.wait_for_contains_text(f"#{ids.START_FOLDED}", "fills: perfect · 2x", timeout=10)
    sid = dash_duo.find_element(f"#{ids.SESSION_LABEL}").text.split(" · ")[2]
    bp = _service_state(dash_app, sid)["buying_power"]
    assert bp["leverage"] == 2 and bp["buying_power"] == 200_000
    dash_duo.wait_for_contains_text(f"#{ids.POS_BP}", "of $200,000", timeout=5)
    assert dash_duo.find_element(f"#{ids.POS_BP}").text.endswith("· 2x")
    assert dash_duo.get_logs() == [], "browser console errors"


def test_a_limit_dragged_across_the_market_asks_before_it_moves(dash_duo, dash_app, tmp_path):
    sid, last = _session(dash_duo, dash_app)
    below, above = round(last - 0.5, 2), round(last + 0.5, 2)
    oid = _place(dash_duo, dash_app, sid, "LIMIT", below)

    _drag_line(dash_duo, below, above)  # a buy limit above the market: it would fill at once

    dash_duo.wait_for_contains_text(f"#{ids.CONFIRM_TEXT}", "would fill at once", timeout=5)
    text = dash_duo.find_element(f"#{ids.CONFIRM_TEXT}").text
    assert f"BUY LMT 100 @ {above:.2f} is above the market {last:.2f}" in text
    assert f"Move order #{oid} there anyway?" in text
    dash_duo.driver.save_screenshot(str(tmp_path / "drag_confirm.png"))
    assert [o["price"] for o in _service_state(dash_app, sid)["orders"]] == [below]
    dash_duo.find_element(f"#{ids.CONFIRM_NO}").click()  # the line stays where it was
    until(lambda: not _modal_open(dash_duo), 5)
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "Order not moved", timeout=5)
    assert _line_at(dash_duo, below)
    assert [o["price"] for o in _service_state(dash_app, sid)["orders"]] == [below]

    # the same drop again (a drop Dash took for "no change" was lost): asked again; moved
    _drag_line(dash_duo, below, above)
    dash_duo.wait_for_contains_text(f"#{ids.CONFIRM_TEXT}", f"{above:.2f}", timeout=5)
    dash_duo.find_element(f"#{ids.CONFIRM_YES}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", f"Order #{oid} moved to {above:.2f}", 5)
    assert [o["price"] for o in _service_state(dash_app, sid)["orders"]] == [above]
    until(lambda: _line_at(dash_duo, above), 5)
    assert dash_duo.get_logs() == [], "browser console errors"


def test_a_stop_dragged_through_the_market_is_refused_in_words(dash_duo, dash_app):
    sid, last = _session(dash_duo, dash_app)
    above, below = round(last + 0.5, 2), round(last - 0.5, 2)
    oid = _place(dash_duo, dash_app, sid, "STOP", above)

    _drag_line(dash_duo, above, below)  # a buy stop under the market would fill at once

    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", f"Order #{oid} not moved", timeout=5)
    assert "must be above the last price" in dash_duo.find_element(f"#{ids.ALERT}").text
    assert not _modal_open(dash_duo)  # nothing to confirm: the engine refuses it
    until(lambda: _line_at(dash_duo, above), 5)  # the line snapped back
    assert [o["price"] for o in _service_state(dash_app, sid)["orders"]] == [above]
