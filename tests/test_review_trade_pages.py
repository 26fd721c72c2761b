"""A session of 2,100 trades: its review pages the trade list on the server and draws only
the newest trades of the chart's window, so the page stays small."""

from __future__ import annotations

import json

import plotly.utils
import pytest
from review_helpers import play_many_trades

from ntree.service import SERVICE_KEY
from ntree.ui import ids, review

N_TRADES = 2_100


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """A service on a database of its own holding one session of N_TRADES trades."""
    from ntree import db
    from ntree.seed import ensure_seeded
    from ntree.service import ReplayService

    folder = tmp_path_factory.mktemp("many")
    engine = db.connect(f"sqlite:///{folder / 'ntree.db'}")
    ensure_seeded(engine)
    sid = play_many_trades(engine, N_TRADES)
    svc = ReplayService.create(engine, folder / "cache")
    yield svc, sid
    svc.cache.close()


@pytest.fixture
def many_app(dash_app, many):
    """The app served on the many-trades database for one test (the shared one restored)."""
    shared = dash_app.server.extensions[SERVICE_KEY]
    dash_app.server.extensions[SERVICE_KEY] = many[0]
    yield dash_app
    dash_app.server.extensions[SERVICE_KEY] = shared


def test_trade_page_reads_one_page_by_id_and_counts_them_all(many):
    svc, sid = many
    found = svc.trade_page(sid, page=3, page_size=50)
    assert found["total"] == N_TRADES and (found["page"], found["page_size"]) == (3, 50)
    assert [t["trade_id"] for t in found["trades"]] == list(range(151, 201))
    newest = svc.trade_page(sid, page_size=5, newest_first=True)["trades"]
    assert [t["trade_id"] for t in newest] == list(range(N_TRADES, N_TRADES - 5, -1))
    late = svc.trade_page(sid, page_size=1_000, exit_from=newest[-1]["exit_ts"])
    assert [t["trade_id"] for t in late["trades"]] == list(range(N_TRADES - 4, N_TRADES + 1))
    assert svc.trade_page(sid, page=99, page_size=50)["trades"] == []


def test_trade_page_refuses_a_bad_page_naming_it(many):
    from ntree.service import ServiceError

    svc, sid = many
    with pytest.raises(ServiceError) as err:
        svc.trade_page(sid, page_size=0)
    assert err.value.field == "page_size"


def _find(component, id_: str):
    if getattr(component, "id", None) == id_:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            found = _find(child, id_)
            if found is not None:
                return found
    return None


def test_review_of_2100_trades_sends_one_trade_page_and_the_newest_trades_drawn(many_app, many):
    from pages import session_log

    _, sid = many
    with many_app.server.app_context():
        layout = session_log.layout(session_id=sid)
    body = json.dumps(layout, cls=plotly.utils.PlotlyJSONEncoder)
    assert len(body.encode()) < 500 * 1024
    table = _find(layout, ids.LOG_TRADES)
    rows = table.children[1].children
    assert len(rows) == review.TRADES_PAGE_SIZE and rows[0].children[0].children == 1
    assert _find(layout, ids.TRADES_PAGER).children == f"trades 1-50 of {N_TRADES:,}"
    assert len(_find(layout, ids.JOURNAL_TARGET).options) == review.TRADES_PAGE_SIZE + 1
    figure = _find(layout, ids.REVIEW_CHART).figure
    segments = [t for t in figure["data"] if t.get("name") in review.TRADE_TRACES]
    drawn = sum(len([x for x in t["x"] if x is not None]) // 2 for t in segments)
    assert 0 < drawn <= review.CHART_TRADES
    note = _find(layout, ids.REVIEW_CHART_NOTE).children
    assert f"the newest {review.CHART_TRADES} of" in note and "every trade is in the table" in note


@pytest.mark.browser
def test_the_trade_list_pages_through_2100_trades_in_the_browser(dash_duo, many_app, many):
    from selenium.webdriver.support.select import Select

    _, sid = many
    dash_duo.start_server(many_app)
    dash_duo.driver.get(f"{dash_duo.server_url}/history/{sid}")
    pager = f"#{ids.TRADES_PAGER}"
    dash_duo.wait_for_text_to_equal(pager, f"trades 1-50 of {N_TRADES:,}", timeout=15)
    assert dash_duo.find_element(f"#{ids.TRADES_PREV}").get_attribute("disabled")
    dash_duo.driver.execute_script(
        "arguments[0].click()", dash_duo.find_element(f"#{ids.TRADES_NEXT}")
    )
    dash_duo.wait_for_text_to_equal(pager, f"trades 51-100 of {N_TRADES:,}", timeout=10)
    first = f"#{ids.LOG_TRADES} tbody tr:first-child td:first-child"
    dash_duo.wait_for_text_to_equal(first, "51")
    # The journal can now be about the trades of this page.
    Select(dash_duo.find_element(f"#{ids.JOURNAL_TARGET}")).select_by_value("75")
    dash_duo.wait_for_text_to_equal(f"#{ids.JOURNAL_MESSAGE}", "trade #75: version 1 on save")
    dash_duo.driver.execute_script(
        "arguments[0].click()", dash_duo.find_element(f"#{ids.TRADES_PREV}")
    )
    dash_duo.wait_for_text_to_equal(pager, f"trades 1-50 of {N_TRADES:,}", timeout=10)
    # The chosen trade stays a choice while its page is not shown.
    values = [
        o.get_attribute("value")
        for o in Select(dash_duo.find_element(f"#{ids.JOURNAL_TARGET}")).options
    ]
    values = [v for v in values if v]  # (the select's blank placeholder)
    assert values[:2] == ["session", "75"] and len(values) == review.TRADES_PAGE_SIZE + 2
    assert dash_duo.get_logs() == [], "browser console errors"
