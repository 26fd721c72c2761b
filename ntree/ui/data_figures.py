"""The Data page's calendar heatmap: one symbol's session days, weeks across, weekdays down,
coloured by the share of each day's regular-session minutes that have a bar."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from ntree.ui.figures import BG, BUY_COLOR, SELL_COLOR

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ROW_PX = 17  # one weekday row
CELL_PX = 30  # the widest a week's column gets (a few weeks of data stay a calendar)
WEEK_MS = 7 * 86_400_000
MARGIN = {"l": 34, "r": 8, "t": 4, "b": 22}
#: Share of minutes present -> colour: no bar red, most of the day amber, every minute green.
COLORSCALE = [[0.0, SELL_COLOR], [0.9, "#ffd54f"], [1.0, BUY_COLOR]]


def calendar_heatmap(days: Sequence[dict[str, Any]]) -> dict:
    """Return a plotly figure of ``days`` (``{date, expected, present}``, one per session
    day): a cell per day, the week on x and the weekday on y; hover shows the date and the
    minutes missing. Weekend rows appear only when the exchange opens on them."""
    frame = pd.DataFrame(list(days), columns=["date", "expected", "present"])
    dates = pd.to_datetime(frame["date"])
    weekday = dates.dt.day_of_week.to_numpy()
    rows = list(range(5)) + sorted({int(d) for d in weekday if d >= 5})
    weeks = sorted({(d - pd.Timedelta(days=d.day_of_week)) for d in dates})
    col = {w: i for i, w in enumerate(weeks)}
    row = {d: i for i, d in enumerate(rows)}
    z: list[list[float | None]] = [[None] * len(weeks) for _ in rows]
    text: list[list[str]] = [[""] * len(weeks) for _ in rows]
    for day, wd, expected, present in zip(
        dates, weekday, frame["expected"], frame["present"], strict=True
    ):
        r, c = row[int(wd)], col[day - pd.Timedelta(days=int(wd))]
        z[r][c] = present / expected if expected else None
        text[r][c] = _hover(day, int(expected), int(present))
    heatmap = {
        "type": "heatmap",
        "x": x_weeks(weeks),
        "y": [WEEKDAYS[d] for d in rows],
        "z": z,
        "text": text,
        "hovertemplate": "%{text}<extra></extra>",
        "hoverongaps": False,
        "zmin": 0.0,
        "zmax": 1.0,
        "colorscale": COLORSCALE,
        "showscale": False,
        # Years of data: thinner gaps, or a gap would be wider than its week (zoom in on x).
        "xgap": 2 if len(weeks) <= 80 else 1 if len(weeks) <= 160 else 0,
        "ygap": 2 if len(weeks) <= 160 else 1,
    }
    short = len(weeks) <= 12  # tick every week (a month label would repeat)
    xaxis = {"type": "date", "showgrid": False, "ticks": "", "tickformat": "%b %Y"}
    if short:
        xaxis |= {
            "tickformat": "%b %d",
            "dtick": WEEK_MS,
            "tick0": x_weeks(weeks[:1])[0] if weeks else None,
        }
    layout: dict[str, Any] = {}
    if len(weeks) < 26:
        layout["width"] = CELL_PX * max(len(weeks), 4) + MARGIN["l"] + MARGIN["r"]
    return {
        "data": [heatmap],
        "layout": {
            **layout,
            "height": ROW_PX * len(rows) + MARGIN["t"] + MARGIN["b"],
            "margin": MARGIN,
            "paper_bgcolor": BG,
            "plot_bgcolor": BG,
            "font": {"color": "#c9d1d9", "size": 10},
            "xaxis": xaxis,
            "yaxis": {"autorange": "reversed", "showgrid": False, "fixedrange": True},
            "hoverlabel": {"font": {"size": 11}},
        },
    }


def x_weeks(weeks: Sequence[pd.Timestamp]) -> list[str]:
    """Each week's Monday as ``YYYY-MM-DD`` (the heatmap's x)."""
    return [f"{w:%Y-%m-%d}" for w in weeks]


def _hover(day: pd.Timestamp, expected: int, present: int) -> str:
    missing = expected - present
    head = f"{day:%a %Y-%m-%d}"
    if present == 0:
        return f"{head}<br>no data ({expected} minutes missing)"
    if missing == 0:
        return f"{head}<br>all {expected} minutes"
    return f"{head}<br>{missing} of {expected} minutes missing"
