"""Order entry in headless Chromium, as a trader uses it: the question before a limit that
would fill at once, OCO from the orders table, a bracket by offsets from the ticket's
template placed by a hotkey (dashed pending legs, then exits from the fill), and a ladder
previewed on the chart before it is placed.

Run with ``python -m pytest --headless``; screenshots land in the test's tmp folder.
"""

from __future__ import annotations

import re

import pytest
from dash.testing.wait import until
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.select import Select

from ntree.ui import ids
from tests.test_pages_browser import _press, _start, _type

pytestmark = pytest.mark.browser

#: The chart's JS figure, and the shapes' dash styles.
GRAPH = "document.querySelector('#chart .js-plotly-plot')"


def _service_state(dash_app, sid: str) -> dict:
    from ntree.ui.service import service

    with dash_app.server.app_context():
        return service().state({"session_id": sid})


def _session(dash_duo, dash_app) -> tuple[str, float]:
    """Start the default session and step one bar; return its id and last price."""
    sid = _start(dash_duo, dash_app)
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_contains_text(f"#{ids.BAR_TIME}", "09:35")
    until(lambda: dash_duo.find_element(f"#{ids.ORDER_PRICE}").get_attribute("value"), 5)
    return sid, _service_state(dash_app, sid)["last_price"]


def _ticket_value(dash_duo) -> str:
    return dash_duo.find_element(f"#{ids.ORDER_PRICE}").get_attribute("value")


def _orders(dash_duo) -> str:
    return dash_duo.find_element(f"#{ids.ORDERS_TABLE}").text


def _modal_open(dash_duo) -> bool:
    # one script: the modal leaves the page as it closes (an element found first goes stale)
    js = f"const m = document.getElementById('{ids.CONFIRM_MODAL}');"
    return dash_duo.driver.execute_script(js + " return !!m && m.offsetParent !== null;")


def test_a_buy_limit_above_the_market_asks_naming_price_and_market(dash_duo, dash_app, tmp_path):
    sid, last = _session(dash_duo, dash_app)
    # the ticket's price (the session's first) shows the tick's decimals
    assert re.fullmatch(r"\d+\.\d\d", _ticket_value(dash_duo))
    price = f"{last + 0.5:.2f}"
    _type(dash_duo, ids.ORDER_PRICE, price)

    dash_duo.find_element(f"#{ids.PLACE}").click()

    dash_duo.wait_for_contains_text(f"#{ids.CONFIRM_TEXT}", "would fill at once", timeout=5)
    text = dash_duo.find_element(f"#{ids.CONFIRM_TEXT}").text
    assert f"BUY LMT 100 @ {price} is above the market {last:.2f}" in text
    dash_duo.driver.save_screenshot(str(tmp_path / "confirm.png"))
    dash_duo.find_element(f"#{ids.CONFIRM_NO}").click()  # nothing placed
    until(lambda: not _modal_open(dash_duo), 5)
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "Order not placed", timeout=5)
    assert _service_state(dash_app, sid)["orders"] == []

    dash_duo.find_element(f"#{ids.PLACE}").click()  # asked again; this time placed
    dash_duo.wait_for_contains_text(f"#{ids.CONFIRM_TEXT}", price, timeout=5)
    dash_duo.find_element(f"#{ids.CONFIRM_YES}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "Order #1 placed", timeout=5)
    until(lambda: not _modal_open(dash_duo), 5)
    assert [o["price"] for o in _service_state(dash_app, sid)["orders"]] == [float(price)]
    # the price box is off for a market order (it takes no price)
    Select(dash_duo.find_element(f"#{ids.ORDER_TYPE}")).select_by_value("MARKET")
    until(lambda: not dash_duo.find_element(f"#{ids.ORDER_PRICE}").is_enabled(), 5)
    assert dash_duo.get_logs() == [], "browser console errors"


def test_two_orders_linked_oco_from_the_table_leave_no_orphan(dash_duo, dash_app, tmp_path):
    sid, last = _session(dash_duo, dash_app)
    _press(dash_duo, "u")  # market buy 100
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "BUY MKT 100 placed", timeout=5)
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.POS_QTY}", "+100", timeout=5)
    # exits typed by hand: a target and a stop, each its own order
    now = _service_state(dash_app, sid)["last_price"]
    labels = dash_duo.driver.find_elements("css selector", f"#{ids.ORDER_SIDE} label")
    next(el for el in labels if el.text == "SELL").click()
    _type(dash_duo, ids.ORDER_PRICE, f"{now + 3:.2f}")
    dash_duo.find_element(f"#{ids.PLACE}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "placed", timeout=5)
    Select(dash_duo.find_element(f"#{ids.ORDER_TYPE}")).select_by_value("STOP")
    _type(dash_duo, ids.ORDER_PRICE, f"{now - 0.05:.2f}")
    dash_duo.find_element(f"#{ids.PLACE}").click()
    until(lambda: len(_service_state(dash_app, sid)["orders"]) == 2, 5)
    target, stop = (o["order_id"] for o in _service_state(dash_app, sid)["orders"])

    for oid in (target, stop):  # tick both in the orders table and link them
        box = f"#{ids.ORDERS_TABLE} input[type=checkbox][value='{oid}']"
        until(lambda b=box: _ticked(dash_duo, b), 5)
    dash_duo.find_element(f"#{ids.LINK_OCO}").click()

    # (the toast may have closed already: an earlier one's timer runs on) the table says it
    until(lambda: _orders(dash_duo).count("OCO") == 2, 5)
    groups = {o["oco_group"] for o in _service_state(dash_app, sid)["orders"]}
    assert len(groups) == 1 and None not in groups
    dash_duo.driver.save_screenshot(str(tmp_path / "oco.png"))
    for _ in range(40):  # the stop, 5 cents under the market, is reached within some bars
        if dash_duo.find_element(f"#{ids.POS_QTY}").text == "flat":
            break
        bar = dash_duo.find_element(f"#{ids.BAR_TIME}").text
        dash_duo.find_element(f"#{ids.STEP_1}").click()
        until(lambda b=bar: dash_duo.find_element(f"#{ids.BAR_TIME}").text != b, 5)
    dash_duo.wait_for_text_to_equal(f"#{ids.POS_QTY}", "flat", timeout=5)
    dash_duo.wait_for_contains_text(f"#{ids.ORDERS_TABLE}", "No working orders", timeout=5)
    events = _events(dash_app, sid)
    (stopped,) = [e for e in events if e["type"] == "FILL" and e["payload"]["order_id"] == stop]
    assert {"order_id": target, "reason": "oco"} in [
        e["payload"] for e in events if e["type"] == "ORDER_CANCELED"
    ]
    assert stopped["payload"]["position_qty"] == 0
    assert dash_duo.get_logs() == [], "browser console errors"


def _events(dash_app, sid: str) -> list[dict]:
    from ntree.ui.service import service

    with dash_app.server.app_context():
        return service().events({"session_id": sid})["events"]


def _dashed_lines(dash_duo) -> list[float]:
    js = (
        f"return ({GRAPH}.layout.shapes || []).filter(s => s.line.dash === 'dash' && "
        "!s.editable).map(s => s.y0)"
    )
    return dash_duo.driver.execute_script(js)


def test_a_hotkey_bracket_by_offsets_shows_dashed_legs_then_exits_from_the_fill(
    dash_duo, dash_app, tmp_path
):
    sid, last = _session(dash_duo, dash_app)
    candle = [c for c in _candles(dash_app, sid) if not c.get("forming")][-1]
    mid = round(candle["ch_mid"], 2)
    assert mid > last  # the bundled day opens below its channel's mid: Shift+B is marketable
    Select(dash_duo.find_element(f"#{ids.BRACKET_MODE}")).select_by_value("points")
    _type(dash_duo, ids.ORDER_TP, "2")
    _type(dash_duo, ids.ORDER_SL, "1.5")

    dash_duo.driver.execute_script("document.activeElement.blur()")  # out of the SL box
    _press(dash_duo, "B")  # a buy limit at the channel mid, above the market: it asks
    dash_duo.wait_for_contains_text(f"#{ids.CONFIRM_TEXT}", "above the market", timeout=5)
    dash_duo.find_element(f"#{ids.CONFIRM_YES}").click()
    until(lambda: len(_service_state(dash_app, sid)["orders"]) == 1, 5)
    until(lambda: not _modal_open(dash_duo), 5)
    (entry,) = _service_state(dash_app, sid)["orders"]
    assert (entry["side"], entry["price"]) == ("BUY", mid)
    assert entry["bracket"] == {"tp_offset": 2.0, "sl_offset": 1.5}

    # the legs the fill will place, dashed at the limit's price + 2.00 / - 1.50, listed under it
    until(lambda: sorted(_dashed_lines(dash_duo)) == [round(mid - 1.5, 2), round(mid + 2, 2)], 5)
    dash_duo.wait_for_contains_text(f"#{ids.ORDERS_TABLE}", f"TP 100 {mid + 2:.2f} pending")
    dash_duo.wait_for_contains_text(f"#{ids.CHART}", "pending")
    dash_duo.driver.save_screenshot(str(tmp_path / "pending_legs.png"))

    dash_duo.find_element(f"#{ids.STEP_1}").click()  # it fills at the next bar's open
    dash_duo.wait_for_text_to_equal(f"#{ids.POS_QTY}", "+100", timeout=5)
    fill = _service_state(dash_app, sid)["position"]["avg_price"]
    assert fill < mid  # a better price than the limit's: the legs follow the fill
    legs = {o["role"]: o["price"] for o in _service_state(dash_app, sid)["orders"]}
    assert legs == {"tp": round(fill + 2, 2), "sl": round(fill - 1.5, 2)}
    dash_duo.wait_for_contains_text(f"#{ids.ORDERS_TABLE}", "LMT TP")
    dash_duo.wait_for_contains_text(f"#{ids.ORDERS_TABLE}", f"{fill + 2:.2f}")
    until(lambda: _dashed_lines(dash_duo) == [], 5)  # no pending legs left: real exits
    dash_duo.driver.save_screenshot(str(tmp_path / "attached_legs.png"))
    assert dash_duo.get_logs() == [], "browser console errors"


def _candles(dash_app, sid: str) -> list[dict]:
    from ntree.ui.service import service

    with dash_app.server.app_context():
        return service().candles({"session_id": sid, "n": 3})["candles"]


def _preview_prices(dash_duo) -> list[float]:
    js = (
        f"const d = {GRAPH}.data; const t = d.find(t => t.name === 'Ladder preview');"
        " return t ? t.y.filter(y => y !== null) : null"
    )
    return dash_duo.driver.execute_script(js)


def test_a_ladder_is_previewed_on_the_chart_then_placed(dash_duo, dash_app, tmp_path):
    sid, _ = _session(dash_duo, dash_app)
    dash_duo.find_element(f"#{ids.TICKET_TABS} a.nav-link:not(.active)").click()  # Ladder tab
    _type(dash_duo, ids.LADDER_QTY, "60")

    dash_duo.find_element(f"#{ids.LADDER_PREVIEW}").click()

    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "Ladder preview: BUY 10 @", timeout=5)
    until(lambda: len(_preview_prices(dash_duo) or []) == 12, 5)  # 6 levels, 2 points each
    shown = sorted(set(_preview_prices(dash_duo)))
    assert _service_state(dash_app, sid)["orders"] == []  # a preview places nothing
    dash_duo.driver.save_screenshot(str(tmp_path / "ladder_preview.png"))

    dash_duo.find_element(f"#{ids.LADDER_PLACE}").click()

    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "Ladder placed: 6 orders", timeout=5)
    until(lambda: _preview_prices(dash_duo) == [], 5)  # the preview gives way to the orders
    orders = _service_state(dash_app, sid)["orders"]
    assert sorted(o["price"] for o in orders) == shown
    assert [o["qty"] for o in orders] == [10, 20, 30, 10, 20, 30]
    assert {o["tag"] for o in orders} == {"ladder"}
    dash_duo.driver.save_screenshot(str(tmp_path / "ladder_placed.png"))
    dash_duo.find_element(f"#{ids.LADDER_CANCEL}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ALERT}", "Ladder canceled: 6 orders", timeout=5)
    assert dash_duo.get_logs() == [], "browser console errors"


def _ticked(dash_duo, box: str) -> bool:
    """Tick the order's box unless it is ticked; True once it is. The table is redrawn when
    an order placed just before lands, which replaces the box (and drops a tick) under the
    click: then this ticks the new one."""
    try:
        [el] = dash_duo.driver.find_elements("css selector", box) or [None]
        if el is None:
            return False
        if not el.is_selected():
            el.click()
        return el.is_selected()
    except StaleElementReferenceException:
        return False
