"""The Coach page's filters as the service takes them, and the players the page offers."""

from __future__ import annotations

from ntree.ui import coach_layout


def test_the_page_passes_players_setup_and_tag_to_the_service(dash_app):
    from pages.coach import filters_of

    got = filters_of(player=["human", "band-fade"], setup="band fade", tag="a-plus", sessions=["x"])
    assert got["player"] == ["human", "band-fade"]
    assert (got["setup"], got["tag"], got["session_id"]) == ("band fade", "a-plus", ["x"])
    blank = filters_of(player=None, setup=coach_layout.ANY, tag=coach_layout.ANY)
    assert blank["player"] == [] and blank["setup"] is None and blank["tag"] is None


def test_players_are_human_first_then_the_bots_by_name():
    rows = [{"player": "random"}, {"player": None}, {"player": "band-fade"}, {"player": "human"}]
    assert coach_layout.players_of(rows) == ["human", "band-fade", "random"]


def test_the_compare_view_says_when_no_window_was_shared():
    compare = {
        "players": ["human", "band-fade"],
        "rule": "windows: ...",
        "windows": [],
        "total": {"n_windows": 0, "players": {}},
    }
    view = coach_layout.compare_view(compare)
    text = str(view.to_plotly_json())
    assert "No window was played by all of them" in text and "n=0 shared windows" in text
    assert coach_layout.compare_view(None) is None
