"""The Data page's layout: the coverage table (a row per symbol), a calendar heatmap per
symbol, the import box and its report, and the delete confirmation. Pure functions of the
service's JSON answers (no service calls here)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from ntree import market
from ntree.service.data import MAX_UPLOAD_BYTES, rerun_warning
from ntree.ui import data_figures, ids

DEFAULT_TZ = "America/New_York"
#: Open days with no data listed in a cell's tooltip (the CLI's line lists 10).
LISTED_DAYS = 30
#: Bad lines a report shows (its totals count them all).
LISTED_PROBLEMS = 50
MB = 1024 * 1024


def page(rows: list[dict]) -> dbc.Container:
    """The whole page on the coverage ``rows`` of the service's ``data_coverage(days=True)``."""
    title = html.Div(
        [
            html.H5("Stored bars", className="mb-0"),
            html.Small(summary(rows), id=ids.DATA_SUMMARY, className="text-muted ms-3"),
            html.Small(id=ids.DATA_MESSAGE, className="ms-3"),
        ],
        className="d-flex align-items-center my-2 flex-wrap",
    )
    return dbc.Container(
        [
            dcc.Store(id=ids.DATA_REFRESH, data=0),
            dcc.Store(id=ids.DATA_DELETE_TARGET),
            title,
            html.Div(overview(rows), id=ids.DATA_OVERVIEW),
            dbc.Row(
                [
                    dbc.Col(html.Div(heatmaps(rows), id=ids.DATA_HEATMAPS), xl=8, lg=7),
                    dbc.Col(import_card(), xl=4, lg=5),
                ],
                className="g-3",
            ),
            delete_dialog(),
        ],
        fluid=True,
        className="data-page",
    )


def summary(rows: list[dict]) -> str:
    """``3 symbols · 148,140 bars`` (the line beside the title)."""
    bars = sum(r["bars"] for r in rows)
    noun = "symbol" if len(rows) == 1 else "symbols"
    return (
        f"{len(rows)} {noun} · {bars:,} 1-minute bars · measured against each exchange's sessions"
    )


def overview(rows: list[dict]) -> list:
    """The coverage table (or what to do when nothing is stored)."""
    if not rows:
        return [
            dbc.Alert(
                "No bars stored. Import a CSV or Parquet file of 1-minute bars here, or run "
                "ntree data seed / ntree data alpaca.",
                color="secondary",
                id=ids.DATA_TABLE,
            )
        ]
    return [html.Div(coverage_table(rows), className="table-responsive")]


def heatmaps(rows: list[dict]) -> list:
    """One calendar heatmap per symbol, under what the colours mean."""
    if not rows:
        return []
    legend = html.Div(
        "A cell per session day, weeks across: the share of its regular-session minutes that "
        "have a bar (green all, amber most, red none). Hover a day for its missing minutes.",
        className="data-legend",
    )
    return [legend, *[heatmap_card(r) for r in rows]]


def _local(ts: str | None, exchange: str) -> str:
    """An ISO UTC time in the exchange's own time: ``2024-07-01 09:30``."""
    if not ts:
        return ""
    return f"{pd.Timestamp(ts).tz_convert(market.calendar(exchange).tz):%Y-%m-%d %H:%M}"


def _empty_days(row: dict) -> html.Td:
    days = row["days_without_data"]
    if not days:
        return html.Td("0", className="num")
    listed = ", ".join(days[:LISTED_DAYS])
    if len(days) > LISTED_DAYS:
        listed += f" and {len(days) - LISTED_DAYS} more"
    return html.Td(html.Span(f"{len(days)}", title=listed, className="data-warn"), className="num")


def _source(row: dict) -> str:
    parts = [row.get("source") or "—"]
    if row.get("feed"):
        parts.append(row["feed"])
    if row.get("adjustment") and row["adjustment"] != "raw":
        parts.append(row["adjustment"])
    return " · ".join(parts)


HEADERS = (
    ("Symbol", ""),
    ("Exchange", ""),
    ("Tick", "num"),
    ("Source · feed", ""),
    ("First bar", ""),
    ("Last bar", ""),
    ("Trading days", "num"),
    ("Minutes missing", "num"),
    ("Days with no data", "num"),
    ("Sessions", "num"),
    ("", ""),
)


def coverage_table(rows: list[dict]) -> dbc.Table:
    """One row per symbol; times in the exchange's own time."""
    head = html.Thead(
        html.Tr([html.Th(text, className=cls) for text, cls in HEADERS]),
    )
    body = html.Tbody([_row(r) for r in rows])
    return dbc.Table(
        [head, body],
        id=ids.DATA_TABLE,
        size="sm",
        hover=True,
        className="data-table mb-2",
    )


def _row(r: dict) -> html.Tr:
    missing = r["minutes_missing"]
    days = f"{r['days_with_data']}/{r['trading_days']}"
    return html.Tr(
        [
            html.Td(html.B(r["symbol"])),
            html.Td(r["exchange"]),
            html.Td(f"{r['tick']:g}" if r.get("tick") else "0.01", className="num"),
            html.Td(_source(r)),
            html.Td(_local(r["first"], r["exchange"])),
            html.Td(_local(r["last"], r["exchange"])),
            html.Td(days, className="num", title="days with data / open days, first bar to last"),
            html.Td(
                html.Span(f"{missing:,}", className="data-warn" if missing else ""),
                className="num",
                title="regular-session minutes with no bar (never forward-filled)",
            ),
            _empty_days(r),
            html.Td(f"{r['sessions']}", className="num"),
            html.Td(
                dbc.Button(
                    "Delete bars",
                    id=ids.data_delete(r["symbol"]),
                    color="danger",
                    outline=True,
                    size="sm",
                    className="py-0",
                ),
                className="text-end",
            ),
        ]
    )


def heatmap_card(row: dict) -> html.Div:
    """A symbol's calendar heatmap under a one-line caption."""
    caption = html.Div(
        [
            html.B(row["symbol"]),
            html.Span(f" {row['exchange']}", className="text-muted"),
        ],
        className="data-heatmap-caption",
    )
    graph = dcc.Graph(
        id=ids.data_heatmap(row["symbol"]),
        figure=data_figures.calendar_heatmap(row.get("days", [])),
        config={"displayModeBar": False, "scrollZoom": False},
        className="data-heatmap",
    )
    return html.Div([caption, graph], className="data-heatmap-card")


def import_card() -> dbc.Card:
    """The upload box, its options and the report of the last import."""
    upload = dcc.Upload(
        html.Div(["Drop CSV or Parquet files here, or ", html.A("choose files")]),
        id=ids.DATA_UPLOAD,
        multiple=True,
        accept=".csv,.txt,.parquet,.pq",
        className="data-upload",
        className_active="data-upload-active",
    )
    limit = html.Small(
        f"1-minute bars, up to {MAX_UPLOAD_BYTES // MB} MB in all "
        "(bigger files: ntree data import)",
        id=ids.DATA_UPLOAD_NAMES,
        className="text-muted d-block mb-2",
    )
    fields = [
        dbc.Row(
            [
                dbc.Col(
                    _field(
                        "Symbol",
                        dbc.Input(id=ids.DATA_SYMBOL, placeholder="e.g. SPY", maxLength=16),
                    )
                ),
                dbc.Col(
                    _field(
                        "Exchange",
                        dbc.Input(id=ids.DATA_EXCHANGE, placeholder="XNYS, XLON, XHKG..."),
                    )
                ),
            ],
            className="g-2",
        ),
        _field(
            "Time zone",
            dbc.Input(id=ids.DATA_TZ, value=DEFAULT_TZ),
            "for times written without an offset",
        ),
        _field(
            "A bar's time is its",
            dbc.RadioItems(
                id=ids.DATA_LABEL,
                options=[
                    {"label": "open (Kibot, Polygon, Alpaca)", "value": "open"},
                    {"label": "close (TradeStation)", "value": "close"},
                ],
                value="open",
                inline=True,
            ),
        ),
        dbc.Switch(
            id=ids.DATA_SKIP_BAD,
            label="skip bad rows (off: all or nothing)",
            value=False,
            className="mb-2",
        ),
    ]
    return dbc.Card(
        [
            dbc.CardHeader("Import 1-minute bars"),
            dbc.CardBody(
                [
                    upload,
                    limit,
                    *fields,
                    dbc.Button("Import", id=ids.DATA_IMPORT, color="primary", size="sm"),
                    html.Div(id=ids.DATA_REPORT, className="mt-2"),
                ]
            ),
        ],
        className="data-import",
    )


def _field(label: str, control: Any, help_text: str | None = None) -> html.Div:
    parts = [dbc.Label(label, className="mb-0"), control]
    if help_text:
        parts.append(dbc.FormText(help_text))
    return html.Div(parts, className="mb-2")


def chosen(names: Sequence[str] | None, contents: Sequence[str] | None) -> str:
    """``a.csv (1.2 MB), b.parquet (0.3 MB)``: the files waiting for Import."""
    if not names:
        return f"1-minute bars, up to {MAX_UPLOAD_BYTES // MB} MB in all"
    sizes = [_decoded_size(c) for c in contents or []]
    return ", ".join(f"{n} ({s / MB:.1f} MB)" for n, s in zip(names, sizes, strict=False))


def _decoded_size(content: str) -> int:
    data = content.partition(",")[2]
    return len(data) * 3 // 4


def uploads(contents: Sequence[str] | None, names: Sequence[str] | None) -> list[tuple[str, bytes]]:
    """Decode dcc.Upload's ``data:...;base64,...`` contents into ``(name, bytes)`` pairs (the
    service refuses them by size)."""
    out = []
    for name, content in zip(names or [], contents or [], strict=False):
        head, _, data = (content or "").partition(",")
        try:
            raw = base64.b64decode(data, validate=False) if "base64" in head else data.encode()
        except (binascii.Error, ValueError):
            raw = b""
        out.append((name, raw))
    return out


def report(answer: dict) -> dbc.Alert:
    """What an import did: the totals, every bad line (up to 50), and whether it wrote."""
    problems = answer["problems"][:LISTED_PROBLEMS]
    more = answer["problems_total"] - len(problems)
    items = [html.Li(p) for p in problems]
    if more > 0:
        items.append(html.Li(f"... and {more} more problems"))
    if answer["written"] and not answer["added"]:
        color = "info"
        verdict = "Nothing new: every good row is already stored."
    elif answer["written"]:
        color = "warning" if answer["bad_rows"] else "success"
        verdict = (
            f"Imported: {answer['added']:,} bars added"
            + (f", {answer['bad_rows']} bad rows skipped" if answer["bad_rows"] else "")
            + "."
        )
    else:
        color = "danger"
        good = answer["rows_read"] - answer["bad_rows"]
        verdict = (
            f"Nothing imported: {answer['bad_rows']} bad rows "
            f"(switch on skip bad rows to import the {good:,} good ones)."
        )
    body = [
        html.Div(verdict, className="fw-bold"),
        html.Div(answer["summary"], className="data-report-summary"),
    ]
    if items:
        body.append(html.Ul(items, className="data-report-problems mb-0"))
    return dbc.Alert(body, color=color, className="py-2 mb-0")


def refusal(message: str) -> dbc.Alert:
    """A whole import refused (a file unreadable or too big, a bad option)."""
    return dbc.Alert(message, color="danger", className="py-2 mb-0")


def delete_dialog() -> dbc.Modal:
    """Asks before a symbol's bars are deleted for good."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Delete these bars?")),
            dbc.ModalBody(id=ids.DATA_DELETE_TEXT),
            dbc.ModalFooter(
                [
                    dbc.Button("Keep them", id=ids.DATA_DELETE_CANCEL, color="secondary"),
                    dbc.Button("Delete for good", id=ids.DATA_DELETE_CONFIRM, color="danger"),
                ]
            ),
        ],
        id=ids.DATA_DELETE_DIALOG,
        is_open=False,
    )


def delete_text(plan: dict) -> list:
    """What the delete dialog says: how many bars go and what that does to the sessions."""
    sessions = plan["sessions"]
    consequence = rerun_warning(sessions)
    return [
        html.P(
            [
                "Every 1-minute bar of ",
                html.B(plan["symbol"]),
                f" ({plan['bars']:,} bars) will be deleted, with its exchange and tick.",
            ]
        ),
        html.P(
            consequence[0].upper() + consequence[1:] + ".",
            className="text-warning" if sessions else "",
        ),
        html.P(
            "Their rows stay in History and the Coach still counts their trades. This cannot "
            "be undone (importing the same file again brings the bars back).",
            className="mb-0 small text-muted",
        )
        if sessions
        else html.P("This cannot be undone.", className="mb-0 small text-muted"),
    ]
