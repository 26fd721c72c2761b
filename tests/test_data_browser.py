"""The Data page in headless Chromium: upload a CSV, read the report and the heatmap, delete
the symbol through the confirmation (which says how many sessions lose their bars)."""

from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from test_service_data import FULL, GAPPY, csv_bytes

from ntree.service import SERVICE_KEY
from ntree.ui import ids

pytestmark = pytest.mark.browser

SYMBOL = "ZTEST"
ROW = f"//table[@id='{ids.DATA_TABLE}']//tr[td/b[text()='{SYMBOL}']]"
HEATMAP = (
    f"//div[contains(@class, 'data-heatmap-card')][.//b[text()='{SYMBOL}']]"
    "//div[contains(@class, 'js-plotly-plot')]"
)


def _click(dash_duo, selector: str) -> None:
    # The import box may sit below the fold: a script click does not scroll the page first.
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element(selector))


def _rows(dash_duo) -> list:
    return dash_duo.driver.find_elements(By.XPATH, ROW)


def test_upload_report_heatmap_and_delete_through_the_dialog(dash_duo, dash_app, tmp_path):
    svc = dash_app.server.extensions[SERVICE_KEY]
    csv = tmp_path / "ztest.csv"
    csv.write_bytes(csv_bytes({FULL: 390, GAPPY: 100}, bad_high_at=(2, 7)))
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element(f"#{ids.DATA_TABLE}", timeout=30)
    assert _rows(dash_duo) == []

    dash_duo.find_element(f"#{ids.DATA_UPLOAD} input[type=file]").send_keys(str(csv))
    dash_duo.wait_for_contains_text(f"#{ids.DATA_UPLOAD_NAMES}", "ztest.csv (0.0 MB)")
    dash_duo.find_element(f"#{ids.DATA_SYMBOL}").send_keys(SYMBOL.lower())
    _click(dash_duo, f"#{ids.DATA_IMPORT}")
    report = f"#{ids.DATA_REPORT}"
    dash_duo.wait_for_contains_text(report, "Nothing imported: 2 bad rows", timeout=30)
    text = dash_duo.find_element(report).text
    assert "ztest.csv:4: high 10.1 is below max(open, close) 10.2" in text
    assert "ztest.csv:9: high 10.1 is below max(open, close) 10.2" in text
    assert _rows(dash_duo) == []

    _click(dash_duo, f"#{ids.DATA_SKIP_BAD}")
    _click(dash_duo, f"#{ids.DATA_IMPORT}")
    dash_duo.wait_for_contains_text(
        report, "Imported: 488 bars added, 2 bad rows skipped", timeout=30
    )
    assert "ZTEST: 490 rows read, 488 added, 0 already present, 2 bad" in (
        dash_duo.find_element(report).text
    )
    until(lambda: _rows(dash_duo), 10)
    cells = [td.text for td in _rows(dash_duo)[0].find_elements(By.TAG_NAME, "td")]
    assert cells[:3] == [SYMBOL, "XNYS", "0.01"]
    assert cells[4:9] == ["2024-03-04 09:30", "2024-03-06 11:09", "2/3", "682", "1"]

    graph = dash_duo.driver.find_element(By.XPATH, HEATMAP)
    until(lambda: dash_duo.driver.execute_script("return !!arguments[0].data", graph), 5)
    hover = dash_duo.driver.execute_script("return arguments[0].data[0].text", graph)
    assert "Wed 2024-03-06<br>290 of 390 minutes missing" in sum(hover, [])
    assert "Mon 2024-03-04<br>2 of 390 minutes missing" in sum(hover, [])
    dash_duo.driver.save_screenshot(str(tmp_path / "data-imported.png"))

    # A session played on these bars: the dialog must say it can no longer re-run.
    sid = svc.start({"symbol": SYMBOL, "t_start": FULL, "t_end": FULL, "disp_tf": "5m"})
    sid = sid["session_id"]
    try:
        _rows(dash_duo)[0].find_element(By.TAG_NAME, "button").click()
        dialog = f"#{ids.DATA_DELETE_TEXT}"
        dash_duo.wait_for_contains_text(dialog, "1 session was played on them", timeout=10)
        assert "it can no longer re-run" in dash_duo.find_element(dialog).text
        assert "(488 bars)" in dash_duo.find_element(dialog).text
        dash_duo.driver.save_screenshot(str(tmp_path / "data-delete-dialog.png"))
        dash_duo.find_element(f"#{ids.DATA_DELETE_CONFIRM}").click()
        dash_duo.wait_for_text_to_equal(f"#{ids.DATA_MESSAGE}", "ZTEST: 488 bars deleted")
        until(lambda: _rows(dash_duo) == [], 10)
        assert dash_duo.driver.find_elements(By.XPATH, HEATMAP) == []
        assert SYMBOL not in svc.symbols()
        assert dash_duo.get_logs() == [], "browser console errors"
    finally:
        svc.delete_session(sid)  # the shared test database keeps only sessions that re-run


@pytest.mark.parametrize("size", [(1366, 768), (1600, 1000)])
def test_the_data_page_fits_the_width_of_the_window(dash_duo, dash_app, tmp_path, size):
    dash_duo.driver.set_window_size(*size)
    dash_duo.start_server(dash_app)
    dash_duo.driver.get(dash_duo.server_url + "/data")
    dash_duo.wait_for_element(f"#{ids.DATA_TABLE} button", timeout=30)
    dash_duo.wait_for_element(".data-heatmap .main-svg", timeout=30)
    dash_duo.driver.save_screenshot(str(tmp_path / f"data_{size[0]}x{size[1]}.png"))

    width = dash_duo.driver.execute_script("return window.innerWidth")
    right = dash_duo.driver.execute_script(
        "return Math.max(...[...document.querySelectorAll("
        f"'#{ids.DATA_TABLE} button, #{ids.DATA_IMPORT}, .data-heatmap .main-svg')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    # every Delete button, the Import button and the heatmaps without scrolling sideways
    assert right <= width, (right, width)
    assert dash_duo.driver.execute_script(
        "return document.scrollingElement.scrollWidth <= window.innerWidth + 1"
    )
    assert dash_duo.get_logs() == [], "browser console errors"
