"""A blind session in headless Chromium: nothing real on the page while it plays (text, chart
axes, hover), an order at a shown price lands on a real tick, and the end reveals it all."""

from __future__ import annotations

import re

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains

from ntree.blind import Rebase
from ntree.service import SERVICE_KEY
from ntree.ui import ids

pytestmark = pytest.mark.browser

_DECIMAL = re.compile(r"(?<![\d,])\d{1,4}\.\d{2}(?!\d)")
_REAL_DATE = re.compile(r"\b20\d\d-\d\d-\d\d\b|\b\d\d-\d\d \d\d:\d\d\b")
# everything the chart draws as text: axis ticks, line labels, the legend, hover boxes
_CHART_TEXT = (
    "return Array.from(document.querySelectorAll("
    f"'#{ids.CHART} text')).map(t => t.textContent).join('\\n')"
)


@pytest.fixture(autouse=True)
def _forget_blind_sessions(dash_app):
    """Delete the sessions a test plays here: the cockpit picks a random symbol, and the
    shared test database must not gain trades other tests do not expect (the Coach's)."""
    svc = dash_app.server.extensions[SERVICE_KEY]
    before = {s["session_id"] for s in svc.list_sessions()}
    yield
    for s in svc.list_sessions():
        if s["session_id"] not in before:
            svc.delete_session(s["session_id"])


def _page_text(dash_duo) -> str:
    body = dash_duo.driver.execute_script("return document.body.innerText")
    chart = dash_duo.driver.execute_script(_CHART_TEXT)
    return f"{body}\n{chart}\n{dash_duo.driver.title}\n{dash_duo.driver.current_url}"


def _assert_blind(text: str, symbol: str, low: float, high: float) -> None:
    assert not re.search(rf"\b{symbol}\b", text), "the symbol shows"
    assert not _REAL_DATE.search(text), _REAL_DATE.search(text)
    real = [p for p in _DECIMAL.findall(text) if low * 0.9 <= float(p) <= high * 1.1]
    assert real == [], f"real prices show: {real}"


def _hover_chart(dash_duo) -> None:
    chart = dash_duo.find_element(f"#{ids.CHART} .nsewdrag")
    ActionChains(dash_duo.driver).move_to_element_with_offset(chart, 30, 10).perform()
    until(
        lambda: (
            dash_duo.driver.execute_script(
                f"return document.querySelectorAll('#{ids.CHART} .hoverlayer text').length"
            )
            > 0
        ),
        5,
    )


def test_a_blind_session_hides_everything_real_until_it_ends(dash_duo, dash_app, tmp_path):
    svc = dash_app.server.extensions[SERVICE_KEY]
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_contains_text(f"#{ids.START_RANGE_NOTE}", "data", timeout=10)
    dash_duo.find_element(f"label[for='{ids.START_BLIND}']").click()
    dash_duo.find_element(f"#{ids.START_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{ids.SESSION_LABEL}", "BLIND · 5m", timeout=10)
    until(
        lambda: "folded" in dash_duo.find_element(f"#{ids.START_PANEL}").get_attribute("class"), 10
    )
    sid = dash_duo.find_element(f"#{ids.SESSION_LABEL}").text.split(" · ")[2]
    real = svc.snapshot(sid, 300)
    symbol = real["symbol"]
    low = min(c["low"] for c in real["candles"])
    high = max(c["high"] for c in real["candles"])
    rebase = Rebase(**real["blind_rebase"])
    dash_duo.wait_for_text_to_equal(f"#{ids.BAR_TIME}", "Day 1 09:30", timeout=5)
    until(lambda: dash_duo.find_element(f"#{ids.ORDER_PRICE}").get_attribute("value"), 5)
    _hover_chart(dash_duo)
    text = _page_text(dash_duo)
    assert "Day 0 " in text and "BLIND" in text
    _assert_blind(text, symbol, low, high)
    dash_duo.driver.save_screenshot(str(tmp_path / "blind_start.png"))

    # two bars into the day, a buy limit a shown point above the market: it fills on the next
    # bar at that bar's open (the day and symbol are random: no other order is sure to fill)
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.BAR_TIME}", "Day 1 09:35", timeout=5)
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.BAR_TIME}", "Day 1 09:40", timeout=5)
    last = rebase.price(svc.state({"session_id": sid})["last_price"])
    shown = round(last + 1.0, 2)
    price_box = dash_duo.find_element(f"#{ids.ORDER_PRICE}")
    dash_duo.clear_input(price_box)
    price_box.send_keys(f"{shown:.2f}")
    dash_duo.find_element(f"#{ids.PLACE}").click()
    # a buy above the market asks first, in shown prices too
    dash_duo.wait_for_contains_text(f"#{ids.CONFIRM_TEXT}", f"{shown:.2f}", timeout=5)
    _assert_blind(dash_duo.find_element(f"#{ids.CONFIRM_TEXT}").text, symbol, low, high)
    dash_duo.find_element(f"#{ids.CONFIRM_YES}").click()
    dash_duo.wait_for_contains_text(f"#{ids.ORDERS_TABLE}", f"{shown:.2f}", timeout=5)
    [order] = svc.state({"session_id": sid})["orders"]
    assert order["price"] == rebase.to_real(shown)  # on the real tick the shown price maps to
    dash_duo.wait_for_contains_text(f"#{ids.CHART}", f"@ {shown:.2f}")  # its line label
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.POS_QTY}", "+100", timeout=5)
    fill = svc.state({"session_id": sid})["fills"][-1]
    dash_duo.wait_for_contains_text(f"#{ids.POS_AVG}", f"{rebase.price(fill['price']):.2f}")
    _hover_chart(dash_duo)
    _assert_blind(_page_text(dash_duo), symbol, low, high)
    pnl_real = svc.state({"session_id": sid})["position"]["unrealized_pnl"]
    shown_pnl = dash_duo.find_element(f"#{ids.POS_UNREAL}").text
    assert shown_pnl in (f"{rebase.money(pnl_real):+,.2f}", "—")
    for width, height in ((1366, 768), (1600, 1000)):
        dash_duo.driver.set_window_size(width, height)
        dash_duo.driver.save_screenshot(str(tmp_path / f"blind_{width}x{height}.png"))

    dash_duo.find_element(f"#{ids.END}").click()
    dash_duo.wait_for_element(f"#{ids.END_CONFIRM}", timeout=5).click()  # End asks first
    dash_duo.wait_for_contains_text(f"#{ids.BLIND_REVEAL}", symbol, timeout=10)
    ended = svc.state({"session_id": sid})
    reveal = dash_duo.find_element(f"#{ids.SUMMARY}").text
    pnl = ended["summary"]["pnl"]
    assert f"{pnl:+,.2f}" in reveal and f"{rebase.money(pnl):+,.2f}" in reveal
    day = ended["t_start"][:10]
    assert day in reveal
    dash_duo.driver.save_screenshot(str(tmp_path / "blind_reveal.png"))
    assert svc.replay_check(sid).ok

    # the History detail of the ended blind session: the real values, marked blind
    dash_duo.find_element(f"#{ids.SUMMARY_LINK}").click()
    dash_duo.wait_for_contains_text(f"#{ids.LOG_HEAD}", symbol, timeout=10)
    assert day in dash_duo.find_element(f"#{ids.LOG_HEAD}").text
    assert "blind" in dash_duo.find_element("h5").text
    dash_duo.driver.save_screenshot(str(tmp_path / "blind_history_detail.png"))


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_a_blind_cockpit_fits_the_window(dash_duo, dash_app, tmp_path, size):
    dash_duo.driver.set_window_size(*size)
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_contains_text(f"#{ids.START_RANGE_NOTE}", "data", timeout=10)
    dash_duo.driver.save_screenshot(str(tmp_path / f"blind_form_{size[0]}x{size[1]}.png"))
    dash_duo.find_element(f"label[for='{ids.START_BLIND}']").click()
    dash_duo.find_element(f"#{ids.START_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{ids.SESSION_LABEL}", "BLIND · 5m", timeout=10)
    until(
        lambda: "folded" in dash_duo.find_element(f"#{ids.START_PANEL}").get_attribute("class"), 10
    )
    dash_duo.find_element(f"#{ids.STEP_1}").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.BAR_TIME}", "Day 1 09:35", timeout=5)
    dash_duo.driver.save_screenshot(str(tmp_path / f"blind_{size[0]}x{size[1]}.png"))
    inner = dash_duo.driver.execute_script("return window.innerHeight")
    bottom = dash_duo.driver.execute_script(
        f"return document.querySelector('#{ids.CHART} .main-svg').getBoundingClientRect().bottom"
    )
    assert bottom <= inner, (bottom, inner)
    assert dash_duo.find_element(f"#{ids.START_PANEL}").size["height"] < 40
    assert dash_duo.find_element(f"#{ids.START_FOLDED}").text.startswith("BLIND · 5m · Day 1 09:30")
