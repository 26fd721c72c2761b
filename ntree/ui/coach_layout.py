"""The Coach page's layout: the filter bar, the headline tiles, the charts with a caption each,
the fill-sensitivity table, and the empty state. Every number comes from the report of
``svc.coach`` (:func:`ntree.service.coach.coach`); this module only lays it out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from ntree.engine.ticks import EXCHANGE_TZ
from ntree.market import DISP_TFS
from ntree.service.coach import HUMAN, bucket_mean, weak_buckets
from ntree.ui import coach_figures as figs
from ntree.ui import format as fmt
from ntree.ui import ids
from ntree.ui.blind import hidden_in_play, is_blind

ANY = "any"  # the "any" choice of a filter select (the service gets None)
SCENARIO_LABELS = {
    "perfect": "Perfect fills",
    "limit_1_tick_through": "Limits fill 1 tick through",
    "slippage_1_tick": "Market & stop slippage 1 tick",
    "latency_1_bar": "1-bar latency",
    "all_three": "All three",
}
_GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False, "responsive": True}


def _field(label: str, control, width: Any = "auto") -> dbc.Col:
    return dbc.Col(
        [html.Label(label, className="field-label"), control], width=width, className="px-1"
    )


def _select(id_: str, choices: Sequence[tuple[str, str]], value: str = ANY) -> dbc.Select:
    options = [{"label": "any", "value": ANY}] + [{"label": t, "value": v} for v, t in choices]
    return dbc.Select(id=id_, size="sm", options=options, value=value)


def session_label(row: Mapping[str, Any]) -> str:
    """A session as the multi-select names it: ``SPY Tue 08-06 09:30 5m · 3 trades · id``."""
    if hidden_in_play(row):  # a blind session in play: nothing that tells what it is
        return f"blind session in play · {row['session_id']}"
    when = fmt.et_time(row.get("t_start"), year=False, zone=False, tz=fmt.session_tz(row))
    trades = row.get("num_trades") or 0
    text = f"{row['symbol']} {when} {row['disp_tf']} · {fmt.count(trades, 'trade')} · " + str(
        row["session_id"]
    )
    return text + " · blind" if is_blind(row) else text


def players_of(sessions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Who played the sessions: ``human`` first, then the bots by name."""
    bots = {str(s.get("player") or HUMAN) for s in sessions} - {HUMAN}
    return [HUMAN, *sorted(bots)]


def filter_bar(
    symbols: Sequence[str],
    sessions: Sequence[Mapping[str, Any]],
    tags: Sequence[str] = (),
    setups: Sequence[str] = (),
    chosen: Sequence[str] = (),
) -> dbc.Card:
    """Symbol, date range, display frame, players (two or more: compared; ``chosen`` at
    first), setup, tag and specific sessions."""
    players = list(dict.fromkeys([*players_of(sessions), *chosen]))
    return dbc.Card(
        dbc.CardBody(
            dbc.Row(
                [
                    _field("Symbol", _select(ids.COACH_SYMBOL, [(s, s) for s in symbols])),
                    _field("From", dbc.Input(id=ids.COACH_FROM, type="date", size="sm")),
                    _field("To", dbc.Input(id=ids.COACH_TO, type="date", size="sm")),
                    _field("Display", _select(ids.COACH_DISP_TF, [(k, k) for k in DISP_TFS])),
                    _field(
                        "Players",
                        dcc.Dropdown(
                            id=ids.COACH_PLAYER,
                            options=[{"label": p, "value": p} for p in players],
                            value=list(chosen),
                            multi=True,
                            placeholder="any (2+: compare)",
                            className="coach-players",
                        ),
                    ),
                    _field("Setup", _select(ids.COACH_SETUP, [(s, s) for s in setups])),
                    _field("Tag", _select(ids.COACH_TAG, [(t, t) for t in tags])),
                    _field(
                        "Sessions",
                        dcc.Dropdown(
                            id=ids.COACH_SESSIONS,
                            options=[
                                {"label": session_label(s), "value": s["session_id"]}
                                for s in sessions
                            ],
                            multi=True,
                            placeholder="all that match",
                            className="coach-sessions",
                        ),
                        width=True,
                    ),
                    dbc.Col(
                        html.Div(id=ids.COACH_SUMMARY, className="coach-summary"),
                        width="auto",
                        className="px-1 align-self-end",
                    ),
                ],
                className="g-1 align-items-end",
            ),
            className="py-2",
        ),
        className="mb-2 coach-filters",
    )


def page(
    symbols: Sequence[str],
    sessions: Sequence[Mapping[str, Any]],
    tags: Sequence[str] = (),
    setups: Sequence[str] = (),
    players: Sequence[str] = (),
) -> dbc.Container:
    """The Coach: filters (``players`` chosen at first), the players compared, tiles and
    charts (filled by the page's callback), sensitivity."""
    return dbc.Container(
        [
            dcc.Location(id=ids.COACH_LOCATION, refresh=True),
            filter_bar(symbols, sessions, tags, setups, players),
            html.Div(id=ids.COACH_DRILL_MESSAGE),
            dcc.Loading(
                [
                    html.Div(id=ids.COACH_COMPARE),
                    html.Div(id=ids.COACH_TILES),
                    html.Div(id=ids.COACH_CHARTS),
                ],
                type="dot",
                color="#26a69a",
                delay_show=300,
            ),
            dbc.Card(
                [
                    dbc.CardHeader(
                        [
                            html.Span("Fill sensitivity", className="me-2 fw-semibold"),
                            dbc.Button(
                                "Run fill sensitivity",
                                id=ids.COACH_SENS_RUN,
                                size="sm",
                                color="info",
                                outline=True,
                            ),
                            html.Small(
                                " re-runs each session's own commands under pessimistic fills "
                                "(the first 20 sessions of the selection)",
                                className="text-muted ms-2",
                            ),
                        ],
                        className="d-flex align-items-center py-1",
                    ),
                    dbc.CardBody(dcc.Loading(html.Div(id=ids.COACH_SENS), type="dot")),
                ],
                className="mt-2 mb-3",
            ),
        ],
        fluid=True,
        className="coach-page",
    )


# --- what the callback draws ------------------------------------------------------------------


def summary(report: Mapping[str, Any]) -> str:
    """The selection in words: ``2 sessions · 6 trades``."""
    return (
        f"{fmt.count(report['n_sessions'], 'session')} · {fmt.count(report['n_trades'], 'trade')}"
    )


def _ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _r(x: float | None) -> str:
    return "—" if x is None else f"{x:+.2f}R"


def tile_values(report: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """Each headline tile: (key, label, value text, ``n`` text)."""
    trades = report["trades"]
    n, n_r = report["n_trades"], report["n_r"]
    moved = sum(t["mfe_usd"] > 0 for t in trades)
    bars = report["stand_down_bars"]
    return [
        ("n_trades", "Trades", str(n), f"{fmt.count(report['n_sessions'], 'session')}"),
        ("win_rate", "Win rate", fmt.pct(report["win_rate"]), f"n={n}"),
        ("expectancy_r", "Expectancy", _r(report["expectancy_r"]), f"n={n_r} with a stop"),
        ("avg_r", "Avg R", _r(report["avg_r"]), f"n={n_r}"),
        ("profit_factor", "Profit factor", _ratio(report["profit_factor"]), f"n={n}"),
        ("mfe_captured", "MFE captured", fmt.pct(report["mfe_captured"]), f"n={moved}"),
        (
            "stood_down_rate",
            "Stood down",
            fmt.pct(report["stood_down_rate"]),
            f"n={bars} stand-down bars",
        ),
        (
            "trades_per_hour",
            "Trades / hour",
            _ratio(report["trades_per_hour"]),
            f"n={n} in {_hours(report['played_minutes'])} played",
        ),
        (
            "time_in_trade",
            "Time in trade",
            fmt.pct(report["time_in_trade"]),
            f"avg hold {_minutes(report['avg_hold_minutes'])} · n={n}",
        ),
        (
            "streaks",
            "Longest streaks",
            f"{report['streaks']['wins']}W / {report['streaks']['losses']}L",
            f"n={n}",
        ),
    ]


def _hours(minutes: float | None) -> str:
    return "—" if not minutes else f"{minutes / 60:.1f} h"


def _minutes(minutes: float | None) -> str:
    return "—" if minutes is None else f"{minutes:.0f} min"


def tiles(report: Mapping[str, Any]) -> html.Div:
    """The headline figures, each with its ``n``."""
    return html.Div(
        [
            html.Div(
                [
                    html.Span(label, className="stat-label"),
                    html.Div(value, id=ids.coach_tile(key), className="coach-tile-value"),
                    html.Small(n_text, className="text-muted"),
                ],
                className="coach-tile",
            )
            for key, label, value, n_text in tile_values(report)
        ],
        className="coach-tiles",
        # Ten tiles: two rows of five (the stylesheet's seven columns would leave three alone).
        style={"gridTemplateColumns": "repeat(5, minmax(0, 1fr))"},
    )


#: How the bucket charts choose their unit (see :func:`ntree.ui.coach_figures.bucket_bars`).
_UNIT = " (in R when at least half the trades had a stop, else in $; n=a/b: a of b have an R)"


def captions(report: Mapping[str, Any]) -> dict[str, str]:
    """One line per chart saying how it is computed (the rules from the report)."""
    rules = report["rules"]
    return {
        "mae_mfe": "Per closed trade: worst move against (MAE) and best move in favour (MFE) "
        "while open, on the 1m bars, in R of its initial stop (in $ when fewer than half the "
        "trades had a stop); winners green, losers red.",
        "band_distance": f"Entry distance to the band: {rules['entry_band_distance_atr']}.",
        "by_regime": f"Mean result per trade{_UNIT} by regime; {rules['regime']}.",
        "by_hour": f"Mean result per trade{_UNIT} by entry time, 30-minute buckets, in each "
        "session's exchange time (New York for XNYS, Hong Kong for XHKG, ...).",
        "by_weekday": f"Mean result per trade{_UNIT} by the weekday of the entry in its "
        "exchange's time.",
        "by_setup": f"Mean result per trade{_UNIT} by setup (journal reason; untagged until one "
        "is set).",
        "equity": "Cumulative PnL over the selection in exit order; red: the drawdown from "
        "its running peak.",
        "r_distribution": "How many trades ended in each half-R bin (beyond ±5R: the outer bins).",
        "hold_pnl": "Per closed trade: minutes from entry fill to exit fill against its PnL; "
        "winners green, losers red.",
        "tilt": f"Tilt: {rules['tilt']}.",
        "after_exit": f"After the exit: {rules['after_exit']}, in price points "
        "(0: the exit was the best price).",
    }


def drill_buttons(report: Mapping[str, Any], kind: str) -> html.Div | None:
    """A "Drill" button for each weak bucket of ``kind`` (5+ trades, negative expectancy):
    it starts a session on a day not played yet, at that bucket's time."""
    weak = weak_buckets(report, kind)
    if not weak:
        return None
    buttons = [
        dbc.Button(
            f"Drill {key} (n={stats['n']}, {_bucket_mean(stats)})",
            id=ids.coach_drill(kind, key),
            size="sm",
            color="warning",
            outline=True,
            className="me-1 mb-1 coach-drill",
            title=f"Start a session on a day not played yet where the bars are {key}"
            if kind == "regime"
            else f"Start a session on a day not played yet, at the time of {key}",
        )
        for key, stats in weak
    ]
    return html.Div(buttons, className="coach-drills mt-1")


def _bucket_mean(stats: Mapping[str, Any]) -> str:
    mean, unit = bucket_mean(stats)
    return _r(mean) if unit == "R" else f"{fmt.money(mean)} $/trade"


def _chart(
    key: str, title: str, figure: dict, caption: str, wide: int = 4, extra: Any = None
) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(title, className="coach-chart-title"),
                    dcc.Graph(
                        id=ids.coach_chart(key),
                        figure=figure,
                        config=_GRAPH_CONFIG,
                        style={"height": f"{figs.CHART_HEIGHT}px"},
                    ),
                    html.Div(caption, className="coach-caption"),
                    extra,
                ],
                className="p-2",
            ),
            className="h-100",
        ),
        xs=12,
        lg=6,
        xxl=wide,
        className="mb-2",
    )


def charts(report: Mapping[str, Any]) -> html.Div:
    """Every chart of the report with its caption; the empty state when no trade closed."""
    if not report["n_trades"]:
        return empty()
    cap = captions(report)
    trades = report["trades"]
    eq = report["equity"]
    stood = report["stand_down_trades"]
    sections = [
        _chart("mae_mfe", "MAE vs MFE", figs.mae_mfe(trades), cap["mae_mfe"]),
        _chart(
            "band_distance", "Entry vs band (ATR)", figs.band_distance(trades), cap["band_distance"]
        ),
        _chart(
            "by_regime",
            "By regime",
            figs.bucket_bars(report["by_regime"], "regime"),
            cap["by_regime"],
            extra=drill_buttons(report, "regime"),
        ),
        _chart(
            "by_hour",
            "By time of day (exchange time)",
            figs.bucket_bars(report["by_hour"], "entry time (exchange time)"),
            cap["by_hour"],
            extra=drill_buttons(report, "hour"),
        ),
        _chart(
            "by_weekday",
            "By weekday",
            figs.bucket_bars(report["by_weekday"], "weekday"),
            cap["by_weekday"],
        ),
        _chart(
            "by_setup",
            "By setup",
            figs.bucket_bars(report["by_setup"], "setup"),
            cap["by_setup"],
            extra=drill_buttons(report, "setup"),
        ),
        _chart(
            "equity",
            f"Equity & drawdown (max DD {fmt.money(eq['max_drawdown'], signed=False)})",
            figs.equity(eq["points"]),
            cap["equity"],
            wide=8,
        ),
        _chart(
            "r_distribution",
            "R distribution",
            figs.r_distribution(report["r_histogram"]),
            cap["r_distribution"],
        ),
        _chart(
            "hold_pnl",
            f"Hold time vs PnL (n={len(trades)})",
            figs.hold_vs_pnl(trades),
            cap["hold_pnl"],
        ),
        _chart(
            "tilt",
            f"After a loss (n={report['tilt']['n_after_loss']})",
            figs.tilt(report["tilt"], report["n_trades"]),
            cap["tilt"],
        ),
        _chart(
            "after_exit",
            f"After the exit (n={sum(t['after_exit'] is not None for t in trades)})",
            figs.after_exit(trades),
            cap["after_exit"],
        ),
    ]
    stand = html.Div(
        [
            html.Span("Stand-down rule: ", className="stat-label d-inline"),
            html.Span(f"{report['rules']['stand_down']}. "),
            html.Span(
                f"{fmt.count(report['stand_down_bars'], 'stand-down bar')} played; "
                f"{fmt.pct(report['stood_down_rate'])} of them closed flat with no working "
                f"order. Trades entered in one: n={stood['n']}, "
                f"win rate {fmt.pct(stood['win_rate'])}, mean {_r(stood['expectancy_r'])}.",
                className="text-muted",
            ),
        ],
        className="coach-caption mb-2",
    )
    return html.Div([stand, dbc.Row(sections, className="g-2")])


def empty() -> dbc.Alert:
    """No closed trade in the selection: say what to do instead of drawing empty charts."""
    return dbc.Alert(
        [
            html.Strong("No closed trades yet — play a session. "),
            "Start one in the ",
            dcc.Link("Cockpit", href="/"),
            ", close a trade or two, and the Coach reads them here (or widen the filters).",
        ],
        color="secondary",
        className="coach-empty",
    )


def error(message: str) -> dbc.Alert:
    """A filter the service refused."""
    return dbc.Alert(message, color="warning", className="py-1")


def sensitivity_hint() -> html.Div:
    return html.Div(
        "Press “Run fill sensitivity” to see the selection's PnL under each pessimistic fill.",
        className="text-muted small",
    )


def sensitivity_table(sens: Mapping[str, Any] | None) -> html.Div:
    """Perfect-fill PnL beside each pessimistic scenario's, summed over the sessions re-run."""
    if not sens or not sens.get("total"):
        return html.Div("No session of the selection could be re-run.", className="text-muted")
    total = sens["total"]
    head = html.Thead(
        html.Tr([html.Th(h) for h in ("Fills", "PnL", "vs perfect", "Trades", "Lock bars")])
    )
    rows = [
        html.Tr(
            [
                html.Td(SCENARIO_LABELS.get(name, name)),
                html.Td(fmt.money(t["pnl"]), className=f"num {fmt.pnl_class(t['pnl'])}"),
                html.Td(
                    fmt.money(t["pnl_vs_perfect"]),
                    className=f"num {fmt.pnl_class(t['pnl_vs_perfect'])}",
                ),
                html.Td(str(t["num_trades"]), className="num"),
                html.Td(str(t["lock_bars"]), className="num"),
            ]
        )
        for name, t in total.items()
    ]
    note = (
        f"{fmt.count(sens['n_sessions'], 'session')} re-run ({sens['note']}). Lock bars: 1m bars "
        "in which the direction lock kept an order from filling."
    )
    return html.Div(
        [
            dbc.Table([head, html.Tbody(rows)], size="sm", className="coach-sens mb-1"),
            html.Div(note, className="coach-caption"),
        ]
    )


# --- bot vs human -----------------------------------------------------------------------------


def _r_and_usd(r_key: str, usd_key: str):
    """Show an excursion in R (trades with a stop) and in $ (every trade)."""

    def show(figures: Mapping[str, Any]) -> str:
        r, usd = figures.get(r_key), figures.get(usd_key)
        r_text = "—" if r is None else f"{r:.2f}R"
        return r_text if usd is None else f"{r_text} · ${usd:,.2f}"

    return show


def _shown(key: str, show):
    return lambda figures: show(figures.get(key))


#: The compared figures: (key, row label, how to show it from a player's figures).
COMPARE_ROWS = (
    ("pnl", "PnL", _shown("pnl", fmt.money)),
    ("max_dd", "Max DD", _shown("max_dd", lambda v: fmt.money(v, signed=False))),
    ("win_rate", "Win rate", _shown("win_rate", fmt.pct)),
    ("avg_mae_r", "Avg MAE", _r_and_usd("avg_mae_r", "avg_mae")),
    ("avg_mfe_r", "Avg MFE", _r_and_usd("avg_mfe_r", "avg_mfe")),
    (
        "entry_band_distance_atr",
        "Entry to band",
        _shown("entry_band_distance_atr", lambda v: "—" if v is None else f"{v:+.2f} ATR"),
    ),
    ("n_trades", "Trades", _shown("n_trades", str)),
)
#: The figures each window's row shows per player.
WINDOW_KEYS = ("pnl", "max_dd", "win_rate", "n_trades")


def window_label(window: Mapping[str, Any], tzs: Mapping[str, str] | None = None) -> str:
    """A compared window in a few characters, in its symbol's exchange time (``tzs``: symbol
    -> time zone; New York's for a symbol it does not name): ``SPY Tue 08-06 09:30 5m``."""
    tz = (tzs or {}).get(window["symbol"], EXCHANGE_TZ)
    when = fmt.et_time(window["start"], year=False, zone=False, tz=tz)
    return f"{window['symbol']} {when} {window['disp_tf']}"


def _cell(key: str, figures: Mapping[str, Any], show) -> html.Td:
    cls = f"num {fmt.pnl_class(figures.get(key))}" if key == "pnl" else "num"
    return html.Td(show(figures), className=cls)


def compare_total_table(compare: Mapping[str, Any]) -> dbc.Table:
    """Every figure of each player over the shared windows, players side by side."""
    players = compare["players"]
    total = compare["total"]["players"]
    head = html.Thead(html.Tr([html.Th("")] + [html.Th(p, className="num") for p in players]))
    rows = [
        html.Tr(
            [html.Td(label)] + [_cell(key, total[p], show) for p in players],
            id=ids.coach_compare_row(key),
        )
        for key, label, show in COMPARE_ROWS
    ]
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="coach-sens coach-compare mb-1")


def compare_window_table(
    compare: Mapping[str, Any], tzs: Mapping[str, str] | None = None
) -> dbc.Table:
    """Per shared window: each player's PnL, max DD, win rate and trades side by side."""
    players = compare["players"]
    rows = [r for r in COMPARE_ROWS if r[0] in WINDOW_KEYS]
    head = html.Thead(
        [
            html.Tr(
                [html.Th("Window", rowSpan=2)]
                + [html.Th(p, colSpan=len(rows), className="text-center") for p in players]
            ),
            html.Tr(
                [
                    html.Th(label, className="num text-nowrap")
                    for _ in players
                    for _, label, _ in rows
                ]
            ),
        ]
    )
    body = [
        html.Tr(
            [html.Td(window_label(w, tzs), className="text-nowrap")]
            + [_cell(k, w["players"][p], show) for p in players for k, _, show in rows]
        )
        for w in compare["windows"]
    ]
    return dbc.Table([head, html.Tbody(body)], size="sm", className="coach-sens coach-compare mb-1")


def compare_view(
    compare: Mapping[str, Any] | None, tzs: Mapping[str, str] | None = None
) -> dbc.Card | None:
    """Bot vs human: the players' figures over the windows all of them played, in total and
    per window, and each window's PnL as bars side by side; None when nothing is compared.
    ``tzs`` (symbol -> time zone) labels each window in its exchange's time."""
    if not compare:
        return None
    n = compare["total"]["n_windows"]
    header = dbc.CardHeader(
        [
            html.Span(
                f"Side by side: {' vs '.join(compare['players'])}", className="fw-semibold me-2"
            ),
            html.Small(f"n={fmt.count(n, 'shared window')}", className="text-muted"),
        ],
        className="py-1",
    )
    if not n:
        body: Any = html.Div(
            "No window was played by all of them: run a bot on a session's window "
            "(ntree bot run --policy ... --against SESSION_ID), or widen the filters.",
            className="text-muted small",
        )
    else:
        body = [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Div("Total", className="coach-chart-title"),
                            compare_total_table(compare),
                        ],
                        xs=12,
                        lg=5,
                    ),
                    dbc.Col(
                        [
                            html.Div("PnL per window", className="coach-chart-title"),
                            dcc.Graph(
                                id=ids.coach_chart("compare"),
                                figure=figs.compare_pnl(compare, lambda w: window_label(w, tzs)),
                                config=_GRAPH_CONFIG,
                                style={"height": "200px", "width": "100%"},
                            ),
                        ],
                        xs=12,
                        lg=7,
                        className="coach-compare-chart",
                    ),
                ],
                className="g-2",
            ),
            html.Div("Per window", className="coach-chart-title mt-1"),
            html.Div(compare_window_table(compare, tzs), className="coach-compare-windows"),
        ]
    rule = compare["rule"]
    caption = html.Div(rule[:1].upper() + rule[1:] + ".", className="coach-caption")
    return dbc.Card(
        [
            header,
            dbc.CardBody([*(body if isinstance(body, list) else [body]), caption], className="p-2"),
        ],
        className="mb-2",
        id=ids.COACH_COMPARE_CARD,
    )
