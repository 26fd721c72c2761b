"""History's grid (dash-ag-grid, infinite row model): the columns, the grid's row requests
turned into :meth:`ReplayService.query_sessions` arguments, and the rows it sends back.

Pure functions of plain dicts: sorting, filtering and paging happen in the database.
"""

from __future__ import annotations

from ntree.ui import format as fmt
from ntree.ui.blind import HIDDEN_SYMBOL, hidden_in_play, is_blind

PAGE_SIZE = 100

#: A grid column's id -> the History filter it sets (the label column's filter searches text).
FILTER_COLUMNS = {
    "symbol": "symbol",
    "status": "status",
    "player": "player",
    "disp_tf": "disp_tf",
    "label": "text",
}
#: Columns the server can sort on (the store's SORT_KEYS the grid shows).
SORT_COLUMNS = frozenset(
    {
        "created_at",
        "symbol",
        "t_start",
        "disp_tf",
        "status",
        "player",
        "label",
        "result_pnl",
        "max_dd",
        "num_trades",
        "win_rate",
        "avg_r",
    }
)
DEFAULT_SORT = ("created_at", "desc")

_EQUALS = {"filter": "agTextColumnFilter", "filterParams": {"filterOptions": ["equals"]}}
_CONTAINS = {"filter": "agTextColumnFilter", "filterParams": {"filterOptions": ["contains"]}}
_NUM = {"type": "rightAligned", "width": 92}
_PNL_RULES = {
    "pnl-pos": "params.data && params.data.result_pnl > 0",
    "pnl-neg": "params.data && params.data.result_pnl < 0",
}


def _text(field: str, header: str, **extra) -> dict:
    return {"field": field, "headerName": header, "sortable": False, **extra}


def column_defs() -> list[dict]:
    """Return the grid's columns: sortable where the server sorts, filterable where it filters."""
    return [
        # Pinned: the id, resume and delete stay on screen however far the grid scrolls
        # (at 1366 px the columns are wider than the window).
        _text("link", "Session", cellRenderer="markdown", width=120, pinned="left"),
        _text(
            "resume", "", cellRenderer="markdown", width=44, headerTooltip="resume", pinned="left"
        ),
        {"field": "symbol", "headerName": "Symbol", "width": 96, "sortable": True, **_EQUALS},
        {
            "field": "label",
            "headerName": "Label ✎",
            "editable": True,
            "width": 150,
            "headerTooltip": "double-click to rename; the filter searches id, label, tags, notes",
            **_CONTAINS,
        },
        {
            "field": "dates",
            "colId": "t_start",
            "headerName": "Dates (exchange time)",
            "headerTooltip": "in the time of the symbol's exchange (New York unless it says)",
            "width": 250,
        },
        {"field": "disp_tf", "headerName": "TF", "width": 80, **_EQUALS},
        {"field": "player", "headerName": "Player", "width": 100, **_EQUALS},
        {
            "field": "status",
            "headerName": "Status",
            "width": 100,
            **_EQUALS,
            "headerTooltip": "active, ended or forked",
        },
        {
            "field": "pnl",
            "colId": "result_pnl",
            "headerName": "PnL",
            "cellClassRules": _PNL_RULES,
            **_NUM,
        },
        {"field": "max_dd_text", "colId": "max_dd", "headerName": "Max DD", **_NUM},
        {"field": "num_trades", "headerName": "Trades", **_NUM, "width": 84},
        {"field": "win_rate_text", "colId": "win_rate", "headerName": "Win", **_NUM, "width": 76},
        {"field": "avg_r_text", "colId": "avg_r", "headerName": "Avg R", **_NUM, "width": 86},
        _text("tags_text", "Tags", width=120),
        _text("journal", "Notes", width=70, headerTooltip="has journal notes"),
        {"field": "played", "colId": "created_at", "headerName": "Played", "width": 180},
        _text(
            "delete",
            "",
            width=44,
            cellClass="history-delete",
            headerTooltip="delete",
            pinned="right",
        ),
    ]


def default_col_def() -> dict:
    return {"sortable": True, "resizable": True, "suppressHeaderMenuButton": True}


def query_args(request: dict | None, symbol: str | None = None) -> dict:
    """Turn a grid ``getRowsRequest`` (startRow, endRow, sortModel, filterModel) into the
    keyword arguments of ``query_sessions``; ``symbol`` (the page's ``?symbol=``) filters
    unless the grid's own symbol filter says otherwise."""
    request = request or {}
    start = int(request.get("startRow") or 0)
    size = max(1, int(request.get("endRow") or start + PAGE_SIZE) - start)
    sort = DEFAULT_SORT
    for item in request.get("sortModel") or []:
        if item.get("colId") in SORT_COLUMNS and item.get("sort") in ("asc", "desc"):
            sort = (item["colId"], item["sort"])
            break
    filters: dict[str, str] = {"symbol": symbol} if symbol else {}
    for col, model in (request.get("filterModel") or {}).items():
        name = FILTER_COLUMNS.get(col)
        value = (model or {}).get("filter")
        if name and isinstance(value, str) and value.strip():
            filters[name] = value.strip().upper() if name == "symbol" else value.strip()
    return {"page": start // size, "page_size": size, "sort": sort, "filters": filters}


def grid_row(s: dict) -> dict:
    """Return one session as the grid shows it (texts for people, numbers for the rules)."""
    sid = s["session_id"]
    status = s["status"] + (" · fork" if s.get("parent_session_id") else "")
    status += " · blind" if is_blind(s) else ""
    trades = s.get("num_trades")
    hidden = hidden_in_play(s)
    return {
        "session_id": sid,
        "link": f"[{sid}](/history/{sid})",
        "resume": f"[▶](/?session={sid})" if s["status"] in ("active", "forked") else "",
        # a blind session in play hides what it is; once ended it shows it, marked
        **(
            {"symbol": HIDDEN_SYMBOL, "dates": "hidden until it ends"}
            if hidden
            else {
                "symbol": s["symbol"],
                "dates": fmt.et_span(s.get("t_start"), s.get("t_end"), fmt.session_tz(s)),
            }
        ),
        "disp_tf": s["disp_tf"],
        "player": s.get("player") or "human",
        "status": status,
        "result_pnl": s.get("result_pnl"),
        "pnl": fmt.money(s.get("result_pnl")),
        "max_dd_text": fmt.money(s.get("max_dd"), signed=False),
        # a blind session in play: its real dollars would tell the price scale the cockpit
        # hides (it shows them rebased); they show once it ends
        **({"result_pnl": None, "pnl": "hidden", "max_dd_text": "hidden"} if hidden else {}),
        "num_trades": "—" if trades is None else trades,
        "win_rate_text": fmt.pct(s.get("win_rate")),
        "avg_r_text": fmt.r_multiple(s.get("avg_r")),
        "tags_text": ", ".join(s.get("tags") or []),
        "journal": "✎" if s.get("has_journal") else "",
        "label": s.get("label") or "",
        "played": fmt.et_time(s.get("created_at")),
        "delete": "✕",
    }


def grid_page(found: dict) -> dict:
    """Return a ``getRowsResponse`` from a ``query_sessions`` answer."""
    return {"rowData": [grid_row(s) for s in found["rows"]], "rowCount": found["total"]}


def edited_label(change: dict | list | None) -> tuple[str, str] | None:
    """Return (session id, new label) from a ``cellValueChanged`` on the label column."""
    changes = change if isinstance(change, list) else [change] if change else []
    for c in changes:
        if c.get("colId") == "label" and (c.get("data") or {}).get("session_id"):
            return c["data"]["session_id"], c.get("value") or ""
    return None
