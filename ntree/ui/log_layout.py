"""The session review's layout (the film room): the head with its links, the re-run check,
Practice again and the exports, the metric cards, the whole-session chart, the trades, the
journal and the event timeline; and the re-run check's verdict."""

from __future__ import annotations

from typing import NamedTuple

import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.engine.ticks import EXCHANGE_TZ
from ntree.ui import format as fmt
from ntree.ui import ids, review
from ntree.ui.blind import blind_badge
from ntree.ui.tables import log_trades_table


class Chart(NamedTuple):
    """The review chart: its figure, each candle's open time (ISO; a click maps to one) and
    the note of a long session's window (None: the whole session is drawn)."""

    figure: dict
    bar_ts: list[str]
    note: str | None = None


def unknown(session_id: str | None) -> dbc.Container:
    """The page for an id with no session."""
    return dbc.Container(
        [
            dbc.Alert(f"Unknown session {session_id!r}", color="warning"),
            dcc.Link("← History", href="/history", className="small"),
        ],
        fluid=True,
    )


def page(
    row: dict,
    trades: dict,
    journal: dict,
    chart: Chart,
    counts: dict[str, int],
    params: dict,
) -> dbc.Container:
    """The review of the session ``row`` (its stored record): the chart, the first page of
    its trades (``trades``: a ``trade_page`` answer), the journal and the event timeline (the
    pages of both come from the server, see the page module)."""
    shown_types = [k for k in sorted(counts) if k != "STEP"]
    tz = fmt.session_tz(row)
    return dbc.Container(
        [
            dcc.Store(id=ids.LOG_SESSION, data=row["session_id"]),
            dcc.Store(id=ids.EVENTS_PAGE, data=0),
            dcc.Store(id=ids.TRADES_PAGE, data=0),
            dcc.Store(id=ids.JOURNAL_SAVED, data=0),
            dcc.Location(id=ids.REVIEW_LOCATION, refresh=True),
            dcc.Download(id=ids.REVIEW_DOWNLOAD),
            _head(row, params, tz),
            _metrics(row),
            dcc.Store(id=ids.REVIEW_BARS, data=chart.bar_ts),
            dcc.Store(id=ids.REVIEW_PICKED),
            dcc.Graph(
                id=ids.REVIEW_CHART,
                figure=chart.figure,
                config={"displaylogo": False, "scrollZoom": True},
                className="review-chart",
            ),
            _fork_bar(chart.note),
            dbc.Row(
                [
                    dbc.Col(_trades(trades, journal, tz), lg=8),
                    dbc.Col(_journal_card(trades["trades"], journal), lg=4),
                ],
                className="g-3 mt-1",
            ),
            _timeline(counts, shown_types),
        ],
        fluid=True,
    )


def trades_view(trades: list[dict], journal: dict, tz: str = EXCHANGE_TZ) -> html.Div | dbc.Table:
    """One page of the trade list (times in exchange time ``tz``), with each trade's journal
    setup."""
    if not trades:
        return html.P("No trades.", className="text-muted small")
    return log_trades_table(trades, review.setups_by_trade(journal["entries"]), tz)


def _trades(found: dict, journal: dict, tz: str) -> html.Div:
    last = (found["page"] + 1) * found["page_size"] >= found["total"]
    pager = html.Div(
        [
            dbc.Button(
                "‹ prev",
                id=ids.TRADES_PREV,
                size="sm",
                color="secondary",
                className="py-0",
                disabled=True,
            ),
            html.Small(
                review.pager_text(found, "trades"),
                id=ids.TRADES_PAGER,
                className="text-muted mx-2 text-nowrap",
            ),
            dbc.Button(
                "next ›",
                id=ids.TRADES_NEXT,
                size="sm",
                color="secondary",
                className="py-0",
                disabled=last,
            ),
        ],
        # One page only: no pager (the buttons stay in the page for its callback).
        className="d-flex align-items-center ms-auto"
        if found["total"] > found["page_size"]
        else "d-none",
    )
    return html.Div(
        [
            html.Div([html.H6("Trades", className="mb-0"), pager], className="d-flex mb-1"),
            html.Div(
                trades_view(found["trades"], journal, tz),
                id=ids.TRADES_VIEW,
                className="log-trades",
            ),
        ]
    )


def _fork_bar(note: str | None) -> html.Div:
    return html.Div(
        [
            html.Small(
                "click a bar to fork from it",
                id=ids.REVIEW_PICK_TEXT,
                className="text-muted me-2",
            ),
            dbc.Button(
                "Fork here",
                id=ids.REVIEW_FORK,
                size="sm",
                color="warning",
                outline=True,
                disabled=True,
                className="py-0",
                title="a new session that has seen the bars up to the picked one, in the cockpit",
            ),
            html.Small(note or "", id=ids.REVIEW_CHART_NOTE, className="text-muted ms-auto"),
        ],
        className="d-flex align-items-center small mb-1",
    )


def _journal_card(trades: list[dict], journal: dict) -> dbc.Card:
    session_note = review.latest_for(journal["entries"], "session") or {}
    form = [
        dbc.Select(
            id=ids.JOURNAL_TARGET,
            options=review.target_options(trades),
            value="session",
            size="sm",
            className="mb-1",
        ),
        dbc.Select(
            id=ids.JOURNAL_SETUP,
            options=[{"label": "Setup: none", "value": ""}]
            + [{"label": n, "value": n} for n in journal["setups"]],
            value=session_note.get("setup") or "",
            placeholder="Setup: none",  # the select's own blank choice, shown for ""
            size="sm",
            className="mb-1",
        ),
        dbc.Textarea(
            id=ids.JOURNAL_TEXT,
            value=session_note.get("text") or "",
            placeholder="What did you see, what did you do?",
            rows=3,
            size="sm",
            className="mb-1",
        ),
        dbc.Input(
            id=ids.JOURNAL_TAGS,
            value=", ".join(session_note.get("tags") or []),
            placeholder="tags, comma separated",
            size="sm",
            className="mb-1",
        ),
        html.Small("Mistakes", className="text-muted"),
        dbc.Checklist(
            id=ids.JOURNAL_MISTAKES,
            options=[{"label": n, "value": n} for n in journal["mistakes"]],
            value=session_note.get("mistakes") or [],
            inline=True,
            className="small mb-1",
        ),
        html.Div(
            [
                html.Small("Confidence ", className="text-muted me-1"),
                dbc.RadioItems(
                    id=ids.JOURNAL_RATING,
                    options=[{"label": str(i), "value": i} for i in range(1, 6)],
                    value=session_note.get("rating"),
                    inline=True,
                    className="d-inline-block small",
                ),
                dbc.Button(
                    "Save note",
                    id=ids.JOURNAL_SAVE,
                    size="sm",
                    color="primary",
                    className="ms-auto",
                ),
            ],
            className="d-flex align-items-center mb-1",
        ),
        html.Div(id=ids.JOURNAL_MESSAGE, className="small"),
    ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.H6("Journal", className="mb-0"),
                        dbc.Switch(
                            id=ids.JOURNAL_HISTORY,
                            label="history",
                            value=False,
                            className="ms-auto small mb-0",
                        ),
                    ],
                    className="d-flex align-items-center mb-1",
                ),
                *form,
                html.Hr(className="my-2"),
                html.Div(review.journal_view(journal["entries"], False), id=ids.JOURNAL_VIEW),
            ],
            className="p-2",
        ),
        className="journal-card",
    )


def _timeline(counts: dict[str, int], shown: list[str]) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H6("Event log", className="mb-0 me-2 text-nowrap"),
                    dbc.Checklist(
                        id=ids.EVENTS_TYPES,
                        options=review.type_options(counts),
                        value=shown,
                        inline=True,
                        className="small events-types flex-grow-1",
                    ),
                    dbc.Button(
                        "‹ prev",
                        id=ids.EVENTS_PREV,
                        size="sm",
                        color="secondary",
                        className="ms-2 py-0 text-nowrap",
                    ),
                    html.Small(id=ids.EVENTS_PAGER, className="text-muted mx-2 text-nowrap"),
                    dbc.Button(
                        "next ›",
                        id=ids.EVENTS_NEXT,
                        size="sm",
                        color="secondary",
                        className="py-0 text-nowrap",
                    ),
                ],
                className="d-flex align-items-center my-2",
            ),
            html.Small("click a line for its payload", className="text-muted"),
            dcc.Loading(html.Div(id=ids.EVENTS_VIEW), type="dot"),
        ],
        className="mt-2",
    )


def _metric(label: str, value: str, cls: str = "") -> dbc.Col:
    body = [html.Div(label, className="stat-label"), html.Div(value, className=f"stat-value {cls}")]
    return dbc.Col(dbc.Card(dbc.CardBody(body, className="p-2")), width="auto")


def _metrics(row: dict) -> dbc.Row:
    pnl = row.get("result_pnl")
    return dbc.Row(
        [
            _metric("PnL", fmt.money(pnl), fmt.pnl_class(pnl)),
            _metric("Max DD", fmt.money(row.get("max_dd"), signed=False)),
            _metric("Trades", "—" if row.get("num_trades") is None else str(row["num_trades"])),
            _metric("Win rate", fmt.pct(row.get("win_rate"))),
            _metric("Avg R", fmt.r_multiple(row.get("avg_r"))),
        ],
        className="g-2 mb-2",
    )


def _player_badge(row: dict) -> dbc.Badge | None:
    """Name the bot that played the session (None for a human's)."""
    player = row.get("player") or "human"
    if player == "human":
        return None
    return dbc.Badge(f"bot: {player}", color="info", className="ms-1", title="played by a bot")


def _compare_link(row: dict) -> dcc.Link | None:
    """Link a bot's session to the Coach's bot vs human comparison (None for a human's)."""
    player = row.get("player") or "human"
    if player == "human":
        return None
    href = f"/coach?compare=human,{player}"
    return dcc.Link(f"{player} vs human on the Coach ▸", href=href, className="small me-3")


def _head(row: dict, start_params: dict, tz: str) -> html.Div:
    sid, parent = row["session_id"], row.get("parent_session_id")
    fork = None
    if parent:
        at = fmt.et_time(start_params.get("forked_at"), tz=tz)
        fork = html.Div(
            ["Fork of ", dcc.Link(parent, href=f"/history/{parent}", id=ids.LOG_PARENT)]
            + ([f", rewound to {at}"] if at else []),
            className="small",
        )
    return html.Div(
        [
            html.H5(
                [
                    f"Session {sid} ",
                    dbc.Badge(
                        row["status"],
                        color="success" if row["status"] == "active" else "secondary",
                        className="ms-1",
                    ),
                    blind_badge(start_params),
                    _player_badge(row),
                ]
            ),
            html.Div(
                f"{row['symbol']} · {row['disp_tf']} · "
                f"{fmt.et_range(row['t_start'], row['t_end'], tz)}"
                f" · fills: {fmt.fill_model_text(start_params)}"
                f" · played {fmt.et_time(row.get('created_at'))}",
                className="text-muted small",
                id=ids.LOG_HEAD,
            ),
            fork,
            html.Div(
                [
                    dcc.Link("← History", href="/history", className="small me-3"),
                    _compare_link(row),
                    dcc.Link(
                        "Resume in the cockpit ▶",
                        href=f"/?session={sid}",
                        className="small me-3",
                        id=ids.LOG_RESUME,
                    )
                    if row["status"] == "active"
                    else None,
                    dbc.Button(
                        "Verify re-run",
                        id=ids.LOG_VERIFY,
                        size="sm",
                        color="info",
                        outline=True,
                        className="py-0",
                        title="re-run the session from its log and compare every event",
                    ),
                    dbc.Button(
                        "Practice again",
                        id=ids.REVIEW_PRACTICE,
                        size="sm",
                        color="success",
                        outline=True,
                        className="py-0 ms-2",
                        title="a new session with the same symbol, range, frame and fills",
                    ),
                    html.Small("Export:", className="text-muted ms-3 me-1"),
                    *[
                        dbc.Button(
                            text,
                            id=id_,
                            size="sm",
                            color="secondary",
                            outline=True,
                            className="py-0 me-1",
                        )
                        for text, id_ in (
                            ("events CSV", ids.REVIEW_EXPORT_EVENTS),
                            ("trades CSV", ids.REVIEW_EXPORT_TRADES),
                            ("session JSON", ids.REVIEW_EXPORT_JSON),
                        )
                    ],
                    html.Span(id=ids.REVIEW_MESSAGE, className="small ms-2"),
                    dcc.Loading(html.Div(id=ids.LOG_VERIFY_RESULT, className="mt-1"), type="dot"),
                ],
                className="mt-1",
            ),
        ],
        className="my-2",
    )


def verify_result(res) -> dbc.Alert:
    """The re-run check's verdict (a ``ntree.runner`` replay-check result)."""
    if res.ok:
        return dbc.Alert(
            [
                html.B("OK "),
                f"{res.events} events re-run identically · PnL {fmt.money(res.rerun_pnl)} · ",
                html.Code(res.stored_hash[:16], title=f"log SHA-256 {res.stored_hash}"),
            ],
            color="success",
            className="py-1 px-2 mb-0 small verify-ok",
        )
    return dbc.Alert(
        [
            html.B("The re-run differs from the stored log"),
            html.Pre(res.message, className="payload mb-0"),
        ],
        color="danger",
        className="py-1 px-2 mb-0 small verify-bad",
    )


def verify_error(message: str) -> dbc.Alert:
    """The re-run check could not run (e.g. a log it cannot read)."""
    return dbc.Alert(message, color="danger", className="py-1 px-2 mb-0 small")
