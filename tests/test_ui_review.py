"""The film room's renderers: History's grid requests and rows, the review chart's trade
segments, Practice again's start request, the journal form, and the cockpit's note."""

from __future__ import annotations

import json

from ntree.ui import history_grid, review
from ntree.ui.cockpit import Action, run


def _trade(n: int, pnl: float, entry="2024-08-06T14:00:00Z", exit_="2024-08-06T14:20:00Z"):
    return {
        "trade_id": n,
        "side": "LONG",
        "qty": 10,
        "entry_ts": entry,
        "exit_ts": exit_,
        "entry_px": 100.0,
        "exit_px": 100.0 + pnl / 10,
        "pnl": pnl,
    }


def test_grid_request_becomes_a_sorted_filtered_page_of_query_sessions():
    request = {
        "startRow": 200,
        "endRow": 300,
        "sortModel": [{"colId": "result_pnl", "sort": "asc"}],
        "filterModel": {"status": {"filter": "active"}, "label": {"filter": " fade "}},
    }
    assert history_grid.query_args(request, "AAPL") == {
        "page": 2,
        "page_size": 100,
        "sort": ("result_pnl", "asc"),
        "filters": {"symbol": "AAPL", "status": "active", "text": "fade"},
    }


def test_grid_request_without_sort_is_newest_first_and_ignores_unknown_columns():
    args = history_grid.query_args({"startRow": 0, "endRow": 100, "sortModel": [{"colId": "x"}]})
    assert (args["sort"], args["filters"]) == (("created_at", "desc"), {})


def test_grid_row_links_the_review_and_resumes_only_an_active_session():
    row = {
        "session_id": "s1",
        "symbol": "AAPL",
        "disp_tf": "5m",
        "status": "active",
        "t_start": "2024-08-06T13:30:00Z",
        "t_end": "2024-08-06T20:00:00Z",
        "result_pnl": -12.5,
        "has_journal": True,
        "tags": ["a", "b"],
    }
    out = history_grid.grid_row(row)
    assert out["link"] == "[s1](/history/s1)" and out["resume"] == "[▶](/?session=s1)"
    assert (out["pnl"], out["journal"], out["tags_text"]) == ("-12.50", "✎", "a, b")
    assert out["dates"].startswith("Tue 2024-08-06 09:30")  # New York time
    ended = history_grid.grid_row({**row, "status": "ended", "parent_session_id": "p"})
    assert (ended["resume"], ended["status"]) == ("", "ended · fork")


def test_grid_row_hides_a_blind_session_in_plays_real_dollars_until_it_ends():
    row = {
        "session_id": "b1",
        "symbol": "SPY",
        "disp_tf": "5m",
        "status": "active",
        "t_start": "2024-08-06T13:30:00Z",
        "t_end": "2024-08-06T20:00:00Z",
        "params": {"blind": True},
        "result_pnl": 166.0,
        "max_dd": 100.0,
        "num_trades": 2,
    }
    in_play = history_grid.grid_row(row)
    assert (in_play["pnl"], in_play["max_dd_text"], in_play["result_pnl"]) == (
        "hidden",
        "hidden",
        None,
    )
    assert "166" not in json.dumps(in_play) and in_play["num_trades"] == 2
    ended = history_grid.grid_row({**row, "status": "ended"})
    assert (ended["pnl"], ended["max_dd_text"]) == ("+166.00", "100.00")


def test_label_edit_is_read_from_a_cell_value_change_list():
    change = [{"colId": "label", "value": "best day", "data": {"session_id": "s1"}}]
    assert history_grid.edited_label(change) == ("s1", "best day")
    assert history_grid.edited_label([{"colId": "symbol", "data": {"session_id": "s1"}}]) is None


def test_trade_segments_join_entry_to_exit_green_for_wins_red_for_losses():
    won, lost = review.trade_segments([_trade(1, 50.0), _trade(2, -20.0)], 5)
    assert (won["name"], lost["name"]) == review.TRADE_TRACES
    assert won["x"] == ["08-06 10:00", "08-06 10:20", None]
    assert won["y"] == [100.0, 105.0, None] and lost["y"] == [100.0, 98.0, None]
    assert won["line"]["color"] == review.WIN_COLOR and lost["line"]["color"] == review.LOSS_COLOR


def test_an_open_trade_draws_no_segment():
    open_trade = {**_trade(1, 0.0), "exit_ts": None, "exit_px": None, "status": "open"}
    assert [t["x"] for t in review.trade_segments([open_trade], 5)] == [[], []]


def test_session_bars_keep_a_little_history_before_the_start():
    candles = [{"ts": f"2024-08-06T13:{m:02d}:00Z"} for m in range(0, 60, 5)]
    kept = review.session_bars(candles, "2024-08-06T13:30:00Z", context=2)
    assert kept[0]["ts"] == "2024-08-06T13:20:00Z"


def test_a_session_ended_before_its_first_bar_shows_only_the_last_bars_of_history():
    candles = [{"ts": f"2024-08-06T13:{m:02d}:00Z"} for m in range(0, 60, 5)]
    kept = review.session_bars(candles, "2024-08-06T15:30:00Z", context=2)
    assert [c["ts"] for c in kept] == ["2024-08-06T13:50:00Z", "2024-08-06T13:55:00Z"]
    assert review.chart_note(2, 0).startswith("no bar of the session was played")


def test_practice_body_repeats_symbol_range_frame_seed_and_fill_model():
    params = {
        "symbol": "AAPL",
        "t_start": "a",
        "t_end": "b",
        "disp_tf": "5m",
        "seed": 3,
        "speed": 10.0,
        "edit_on_disp_boundary": True,
        "market_slippage_ticks": 1,
        "session_id": "old",
    }
    body = review.practice_body(params)
    assert body["fill_model"] == {"market_slippage_ticks": 1}
    assert (body["symbol"], body["seed"], body["constraints"]) == (
        "AAPL",
        3,
        {"edit_on_disp_boundary": True},
    )
    assert "session_id" not in body


def test_pager_text_says_which_events_a_page_shows():
    assert review.pager_text({"total": 7367, "page": 1, "page_size": 200}) == (
        "events 201-400 of 7,367"
    )
    assert review.pager_text({"total": 0, "page": 0, "page_size": 200}) == "no events"
    assert review.pager_text({"total": 2100, "page": 41, "page_size": 50}, "trades") == (
        "trades 2,051-2,100 of 2,100"
    )


def test_page_turn_steps_back_never_below_the_first_and_a_new_trigger_starts_over():
    assert review.page_turn(3, "prev", "prev", "next") == 2
    assert review.page_turn(0, "prev", "prev", "next") == 0
    assert review.page_turn(3, "next", "prev", "next") == 4
    assert review.page_turn(3, "filter", "prev", "next") == 0


def test_merged_targets_keep_the_chosen_trade_when_its_page_is_left():
    page = [{"trade_id": 51, "side": "LONG", "qty": 1, "pnl": 2.0}]
    shown = [{"label": "The whole session", "value": "session"}, {"label": "#7", "value": "7"}]
    values = [o["value"] for o in review.merged_targets(page, "7", shown)]
    assert values == ["session", "7", "51"]
    assert [o["value"] for o in review.merged_targets(page, "session", shown)] == ["session", "51"]
    assert [o["value"] for o in review.merged_targets(page, "51", shown)] == ["session", "51"]


def test_note_body_leaves_blank_fields_out_and_splits_tags():
    form = {"setup": "", "text": "  ok ", "tags": "a, ,b", "mistakes": ["chased"], "rating": 4}
    assert review.note_body("s1", "2", form) == {
        "session_id": "s1",
        "trade_id": 2,
        "text": "ok",
        "tags": ["a", "b"],
        "mistakes": ["chased"],
        "rating": 4,
    }


def test_journal_view_shows_old_versions_only_with_history():
    entry = {
        "trade_id": None,
        "version": 2,
        "created_at": "2024-08-06T14:00:00Z",
        "setup": "breakout",
        "text": "new",
        "tags": [],
        "mistakes": [],
        "rating": 2,
        "history": [
            {"version": 1, "setup": None, "text": "old", "tags": [], "mistakes": [], "rating": None}
        ],
    }
    assert "old" not in str(review.journal_view([entry], False))
    assert "old" in str(review.journal_view([entry], True))


def test_cockpit_note_names_the_open_trade(replay_service):
    svc = replay_service
    sid = svc.start(
        {"symbol": "AAPL", "t_start": "2024-08-06", "t_end": "2024-08-06", "disp_tf": "5m"}
    )["session_id"]
    svc.command("step", {"session_id": sid, "disp_steps": 1})
    _, message, _ = run(svc, sid, Action("note", {"text": "flat, waiting"}))
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10})
    svc.command("step", {"session_id": sid, "disp_steps": 1})
    _, message2, _ = run(svc, sid, Action("note", {"text": "holding"}))
    log = svc.event_log(sid)
    notes = [e["payload"]["cmd"]["args"]["text"] for e in log if e["type"] == "NOTE"]
    assert notes == ["flat, waiting", "trade #1: holding"]
    assert message == "Note saved to the log" and message2.endswith("on trade #1")
    assert svc.replay_check(sid).ok


def test_event_page_filters_by_type_and_counts_every_type(replay_service):
    svc = replay_service
    sid = svc.start(
        {"symbol": "AAPL", "t_start": "2024-08-06", "t_end": "2024-08-06", "disp_tf": "5m"}
    )["session_id"]
    for _ in range(25):
        svc.command("step", {"session_id": sid, "disp_steps": 1})
    page = svc.event_page(sid, types=["STEP"], page=1, page_size=10)
    assert [e["type"] for e in page["events"]] == ["STEP"] * 10
    assert page["total"] == page["counts"]["STEP"] and page["counts"]["SESSION_START"] == 1
    assert page["events"][0]["id"] > 10


def _fill(ts: str, side: str, qty: int, price: float) -> dict:
    return {"ts_exec": ts, "side": side, "qty": qty, "price": price, "order_id": 1}


def test_bar_fills_merge_a_bars_fills_per_side_at_their_weighted_price():
    fills = [
        _fill("2024-08-06T14:00:00Z", "BUY", 1, 100.0),
        _fill("2024-08-06T14:03:00Z", "BUY", 3, 100.4),
        _fill("2024-08-06T14:04:00Z", "SELL", 2, 101.0),
        _fill("2024-08-06T14:05:00Z", "BUY", 1, 99.0),
    ]
    assert review.bar_fills(fills, 5) == [
        {
            "ts_exec": "2024-08-06T14:00:00+00:00",
            "side": "BUY",
            "qty": 4,
            "count": 2,
            "price": 100.3,
        },
        {
            "ts_exec": "2024-08-06T14:00:00+00:00",
            "side": "SELL",
            "qty": 2,
            "count": 1,
            "price": 101.0,
        },
        {
            "ts_exec": "2024-08-06T14:05:00+00:00",
            "side": "BUY",
            "qty": 1,
            "count": 1,
            "price": 99.0,
        },
    ]


def test_the_review_chart_draws_one_marker_per_bar_and_side_saying_its_fills():
    candles = [
        {
            "ts": f"2024-08-06T14:{m:02d}:00Z",
            "open": 100,
            "high": 101,
            "low": 99,
            "close": 100,
            "volume": 10,
        }
        for m in (0, 5)
    ]
    fills = [_fill("2024-08-06T14:00:00Z", "BUY", 1, 100.0)] * 3
    fig = review.review_figure(candles, fills, [], "5m")
    buys = next(t for t in fig["data"] if t["name"] == "BUY fills")
    assert (buys["x"], buys["text"]) == (["08-06 10:00"], ["BUY 3 @ 100.00 (3 fills)"])


def test_clip_trades_starts_a_trade_open_across_the_windows_start_at_its_first_bar():
    before = _trade(1, 5.0, "2024-08-06T13:30:00Z", "2024-08-06T13:50:00Z")
    across = _trade(2, -5.0, "2024-08-06T13:40:00Z", "2024-08-06T14:20:00Z")
    inside = _trade(3, 5.0)
    clipped = review.clip_trades([before, across, inside], "2024-08-06T14:00:00Z")
    assert [t["trade_id"] for t in clipped] == [2, 3]
    assert clipped[0]["entry_ts"] == "2024-08-06T14:00:00+00:00"
    assert clipped[1]["entry_ts"] == "2024-08-06T14:00:00+00:00"


def test_picked_ts_maps_a_click_on_any_trace_to_its_bar():
    bar_ts = ["2024-08-06T14:00:00Z", "2024-08-06T14:05:00Z"]
    click = {"points": [{"curveNumber": 9, "pointIndex": 0, "x": "08-06 10:05"}]}
    assert review.picked_ts(click, bar_ts) == "2024-08-06T14:05:00Z"
    assert review.picked_ts({"points": [{"x": "08-07 10:05"}]}, bar_ts) is None
    assert review.picked_ts(None, bar_ts) is None


def test_chart_note_speaks_only_when_the_window_cuts_the_session():
    assert review.chart_note(1_000, 800) is None and review.chart_note(5, 5) is None
    assert review.chart_note(1_000, 7_000) == (
        "the last 1,000 of 7,000 display bars; every trade is in the table"
    )
    assert review.chart_note(1_000, 800, 300, 300) is None
    assert review.chart_note(1_000, 800, 300, 2_100) == (
        "the newest 300 of 2,100 trades in view; every trade is in the table"
    )


def test_a_bots_review_names_the_bot_and_links_its_comparison_a_humans_does_not():
    from ntree.ui import log_layout

    row = {
        "session_id": "b1",
        "symbol": "SPY",
        "disp_tf": "5m",
        "status": "ended",
        "t_start": "2024-08-06T13:30:00Z",
        "t_end": "2024-08-06T20:00:00Z",
        "player": "band-fade",
    }
    trades = {"trades": [], "page": 0, "page_size": 50, "total": 0}
    chart = log_layout.Chart({}, [], None)
    journal = {"entries": [], "setups": [], "mistakes": []}

    def shown(r: dict) -> str:
        page = log_layout.page(r, trades, journal, chart, {}, {})
        return json.dumps(page.to_plotly_json(), default=str)

    bot = shown(row)
    assert "bot: band-fade" in bot and "/coach?compare=human,band-fade" in bot
    human = shown({**row, "player": "human"})
    assert "bot:" not in human and "/coach?compare" not in human


def test_an_empty_history_and_an_unknown_session_say_where_to_go():
    from ntree.ui import history_layout, log_layout

    options = history_layout.grid().dashGridOptions
    assert "Cockpit" in options["localeText"]["noRowsToShow"]
    page = json.dumps(log_layout.unknown("nope").to_plotly_json(), default=str)
    assert "Unknown session 'nope'" in page and "/history" in page
