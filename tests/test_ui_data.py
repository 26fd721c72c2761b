"""The Data page's pieces as plain data: the calendar heatmap, the upload decoding, the texts."""

from __future__ import annotations

import base64

from dash import html

from ntree.ui import data_figures, data_layout


def _text(component) -> str:
    """All the text inside a Dash component tree."""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def test_heatmap_puts_each_day_in_its_week_and_weekday_with_its_missing_minutes():
    days = [
        {"date": "2024-03-01", "expected": 390, "present": 390},  # a Friday
        {"date": "2024-03-04", "expected": 390, "present": 0},  # the Monday after
        {"date": "2024-03-05", "expected": 390, "present": 100},
    ]
    fig = data_figures.calendar_heatmap(days)
    (trace,) = fig["data"]

    assert trace["x"] == ["2024-02-26", "2024-03-04"]
    assert trace["y"] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    assert trace["z"][4] == [1.0, None] and trace["z"][0] == [None, 0.0]
    assert trace["z"][1][1] == 100 / 390
    assert trace["text"][1][1] == "Tue 2024-03-05<br>290 of 390 minutes missing"
    assert trace["text"][0][1] == "Mon 2024-03-04<br>no data (390 minutes missing)"
    assert trace["text"][4][0] == "Fri 2024-03-01<br>all 390 minutes"
    # two weeks stay a calendar, not two stretched columns
    assert fig["layout"]["width"] == data_figures.CELL_PX * 4 + 34 + 8


def test_heatmap_shows_a_weekend_row_only_for_an_exchange_open_on_it():
    days = [{"date": "2024-03-03", "expected": 300, "present": 300}]  # a Sunday
    assert data_figures.calendar_heatmap(days)["data"][0]["y"][-1] == "Sun"


def test_uploads_decode_dash_base64_contents_with_their_names():
    data = b"timestamp,open\n"
    content = "data:text/csv;base64," + base64.b64encode(data).decode()
    assert data_layout.uploads([content], ["a.csv"]) == [("a.csv", data)]
    assert data_layout.chosen(["a.csv"], [content]) == "a.csv (0.0 MB)"
    assert data_layout.uploads(None, None) == []


def test_delete_text_says_plainly_what_happens_to_the_sessions():
    none = _text(data_layout.delete_text({"symbol": "ZZ", "bars": 1200, "sessions": 0}))
    two = _text(data_layout.delete_text({"symbol": "ZZ", "bars": 1200, "sessions": 2}))
    assert "ZZ" in none and "(1,200 bars)" in none and "No session was played on them." in none
    assert "2 sessions were played on them: they can no longer re-run" in two


def test_report_of_a_refused_import_says_how_to_import_the_good_rows():
    answer = {
        "written": False,
        "added": 0,
        "rows_read": 10,
        "bad_rows": 2,
        "problems": ["zz.csv:4: high 10.1 is below max(open, close) 10.2"] * 2,
        "problems_total": 2,
        "summary": "ZZ: 10 rows read, 0 added, 0 already present, 2 bad",
    }
    alert = data_layout.report(answer)
    assert alert.color == "danger"
    assert "Nothing imported: 2 bad rows (switch on skip bad rows to import the 8 good ones)" in (
        _text(alert)
    )
    assert isinstance(alert.children[-1], html.Ul) and len(alert.children[-1].children) == 2
