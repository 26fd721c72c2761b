"""Component ids of the Dash app, in one place (pages and tests import them from here)."""

from __future__ import annotations

# app.py (shared across pages)
SESSION_ID = "session-id"  # dcc.Store: the only thing the browser holds about a session
NAVBAR = "navbar"

# Cockpit: start panel
START_SYMBOL = "start-symbol"
START_DATES = "start-dates"  # prefix of the two date inputs below
START_FROM = START_DATES + "-from"
START_TO = START_DATES + "-to"
START_DISP_TF = "start-disp-tf"
START_SPEED = "start-speed"
START_SEED = "start-seed"
START_BOUNDARY = "start-boundary"
START_LEVERAGE = "start-leverage"  # buying power = equity x leverage (the service's default: 4)
START_BLIND = "start-blind"  # blind replay: a random symbol and day, rebased, revealed at end
START_PRESET = "start-preset"
START_BUTTON = "start-button"
START_RANGE_NOTE = "start-range-note"
START_FILL_TOGGLE = "start-fill-toggle"  # button: shows the fill model's knobs (and their sum)
START_FILL_PANEL = "start-fill-panel"  # dbc.Collapse holding the knobs
START_FILL_SUMMARY = "start-fill-summary"  # the knobs in words, beside them
START_FILL_MODEL = "start-fill-model"  # dcc.Store: the knobs set away from their defaults
START_FILL_THROUGH = "start-fill-through"  # limit_fill_ticks_worse
START_FILL_SLIPPAGE = "start-fill-slippage"  # market_slippage_ticks
START_FILL_LATENCY = "start-fill-latency"  # latency_bars
START_FILL_LOCK = "start-fill-lock"  # direction_lock
START_FILL_COMMISSION = "start-fill-commission"  # commission_per_share
START_PANEL = "start-panel"  # the card: folded to one line while a session plays
START_FORM = "start-form"  # the form (hidden while folded)
START_FOLDED = "start-folded"  # the one line: the session in play
START_UNFOLD = "start-unfold"  # button: open the form for a new session (or fold it again)

COCKPIT_INIT = "cockpit-init"  # dcc.Store: the ``?session=`` to resume (0: none); fires on load

# Cockpit: toolbar
PLAY = "play"
STEP_1 = "step-1"
STEP_N = "step-n"
STEP_N_COUNT = "step-n-count"
STEP_1M = "step-1m"  # one 1-minute bar (acts between display boundaries)
JUMP_TO = "jump-to"  # the time to jump to (New York; HH:MM or a date and time)
JUMP = "jump"
JUMP_NEXT_OPEN = "jump-next-open"
SPEED_SLIDER = "speed-slider"
TICKER = "ticker"  # dcc.Interval driving playback
DISP_TF = "disp-tf"  # mid-session display timeframe switch
REWIND = "rewind"
REWIND_COUNT = "rewind-count"
AUTO_PAUSE = "auto-pause"
END = "end-session"  # asks first (END_DIALOG); END_CONFIRM ends the session
END_DIALOG = "end-dialog"
END_CONFIRM = "end-confirm"
END_KEEP = "end-keep"
BAR_TIME = "bar-time"
MARKET_PHASE = "market-phase"
TIME_LEFT = "time-left"
SESSION_LABEL = "session-label"

# Cockpit: chart
CHART = "chart"
CHART_META = "chart-meta"  # dcc.Store: what the browser's figure holds (for Patch)
CHART_LIVE = "chart-live"  # "⇥ Live" button (and double-click): back to the live edge
ORDER_DRAG = "order-drag"  # dcc.Store: {"rl": relayoutData of an order line drop, "n": count}
SERVER_BANNER = "server-banner"  # the banner: the server does not answer, or a storage fault
HEALTH_TICK = "health-tick"  # dcc.Interval: a health check, so the page sees the server back
HEALTH = "health"  # dcc.Store: the health check's answer
SERVER_BACK = "server-back"  # dcc.Store: written by cockpit_playback.js when it answers again
CHART_MORE = "chart-more"  # dcc.Store: a pan reached the figure's first candles: load older

# Cockpit: order panel
ORDER_SIDE = "order-side"
ORDER_TYPE = "order-type"
ORDER_PRICE = "order-price"
PRICE_UP = "price-up"
PRICE_DOWN = "price-down"
ORDER_QTY = "order-qty"
ORDER_TP = "order-tp"
ORDER_SL = "order-sl"
PLACE = "place-order"
MODIFY_TARGET = "modify-target"  # dcc.Store: order id being modified, or None
MODIFY_CANCEL = "modify-cancel"
ORDERS_TABLE = "orders-table"
ORDER_CANCEL = "order-cancel"  # pattern-matching: {"type": ORDER_CANCEL, "oid": ...}
ORDER_EDIT = "order-edit"  # pattern-matching: {"type": ORDER_EDIT, "oid": ...}
CANCEL_ALL = "cancel-all"
FLATTEN = "flatten"
RISK_PREVIEW = "risk-preview"  # the ticket's risk / reward / R line, or why a TP/SL is refused
TRADES_TABLE = "trades-table"  # this session's closed trades (tally + rows), newest first
TRADES_OPEN = "trades-open"  # MAE / MFE of the open position

# Cockpit: order entry (ntree/ui/ticket_layout.py)
TICKET_TABS = "ticket-tabs"  # Order | Ladder
BRACKET_MODE = "bracket-mode"  # how TP/SL read: price, points, ticks, r (the template)
ORDER_RISK = "order-risk"  # $ risk: the stop in R, or the size from the SL
SIZE_FROM_RISK = "size-from-risk"  # button: qty = risk / |entry - stop|
BRACKET_POSITION = "bracket-position"  # button: the template's bracket on the open position
LADDER_LEVELS = "ladder-levels"
LADDER_STEP = "ladder-step"  # ATR multiples between levels
LADDER_WEIGHTS = "ladder-weights"  # "1-2-3"
LADDER_QTY = "ladder-qty"  # shares per side
LADDER_SIDE = "ladder-side"  # BOTH, BUY, SELL
LADDER_PREVIEW = "ladder-preview"
LADDER_PLACE = "ladder-place"
LADDER_CANCEL = "ladder-cancel"
ORDER_PICK = "order-pick"  # pattern-matching checklist: {"type": ORDER_PICK, "oid": ...}
LINK_OCO = "link-oco"  # button: link the two orders ticked
CONFIRM_MODAL = "confirm-modal"  # asks before a limit that would fill at once
CONFIRM_TEXT = "confirm-text"
CONFIRM_YES = "confirm-yes"
CONFIRM_NO = "confirm-no"
CONFIRM_PENDING = "confirm-pending"  # dcc.Store: {"kind", "args"} of the action asked about
POS_BP = "pos-bp"  # buying power used / buying power

# Cockpit: position / PnL and messages
POS_QTY = "pos-qty"
POS_AVG = "pos-avg"
POS_UNREAL = "pos-unreal"
POS_REAL = "pos-real"
POS_EQUITY = "pos-equity"
POS_MAXDD = "pos-maxdd"
ALERT = "alert"
SUMMARY = "summary"
SUMMARY_LINK = "summary-link"  # "Open in History →" on the session-ended card
BLIND_REVEAL = "blind-reveal"  # the reveal card's symbol and dates (a blind session ended)
HOTKEY = "hotkey"  # dcc.Store written by assets/cockpit.js: {"key": ..., "n": ...}

# History
HISTORY_TABLE = "history-table"
HISTORY_FILTER = "history-filter"  # symbol pills: /history?symbol=...
HISTORY_ROW = "history-row"  # prefix: one row per session, see history_row()
LOG_TABLE = "log-table"

# Session log
LOG_HEAD = "log-head"  # symbol · frame · range · fills · played
LOG_SESSION = "log-session"  # dcc.Store: the session id the page shows
LOG_TRADES = "log-trades"
LOG_PARENT = "log-parent"  # link to the parent session of a fork
LOG_VERIFY = "log-verify"  # "Verify re-run" button
LOG_VERIFY_RESULT = "log-verify-result"
LOG_RESUME = "log-resume"  # link: carry on with an active session in the cockpit

# Film room: History's grid and the session review (/history/<id>)
HISTORY_MESSAGE = "history-message"  # what a rename or a delete did
HISTORY_SYMBOL = "history-symbol"  # dcc.Store: the page's ?symbol= (a base filter)
HISTORY_DELETE_TARGET = "history-delete-target"  # dcc.Store: the session the dialog asks about
HISTORY_REFRESH = "history-refresh"  # dcc.Store: deletions so far (the grid re-reads its pages)
HISTORY_DELETE_DIALOG = "history-delete-dialog"
HISTORY_DELETE_TEXT = "history-delete-text"
HISTORY_DELETE_CANCEL = "history-delete-cancel"
HISTORY_DELETE_CONFIRM = "history-delete-confirm"
REVIEW_CHART = "review-chart"  # the whole session at its display tf, fills and trades drawn
REVIEW_PRACTICE = "review-practice"  # "Practice again": a new session, same parameters
REVIEW_LOCATION = "review-location"  # dcc.Location: where "Practice again" goes
REVIEW_EXPORT_EVENTS = "review-export-events"  # buttons: events CSV, trades CSV, session JSON
REVIEW_EXPORT_TRADES = "review-export-trades"
REVIEW_EXPORT_JSON = "review-export-json"
REVIEW_DOWNLOAD = "review-download"  # dcc.Download
REVIEW_MESSAGE = "review-message"
REVIEW_CHART_NOTE = "review-chart-note"  # "the last 1,000 of 7,000 display bars" (long sessions)
REVIEW_BARS = "review-bars"  # dcc.Store: the open time (ISO) of each candle on the chart
REVIEW_PICKED = "review-picked"  # dcc.Store: the open time of the bar picked on the chart
REVIEW_PICK_TEXT = "review-pick-text"  # says which bar is picked
REVIEW_FORK = "review-fork"  # "Fork here": a new session whose last bar is the picked one
EVENTS_TYPES = "events-types"  # the timeline's type filter (multi-select)
EVENTS_PAGE = "events-page"  # dcc.Store: the timeline's page number (from 0)
EVENTS_PREV = "events-prev"
EVENTS_NEXT = "events-next"
EVENTS_PAGER = "events-pager"  # "events 1-200 of 7,367"
EVENTS_VIEW = "events-view"  # the timeline's page of events
TRADES_PAGE = "trades-page"  # dcc.Store: the trade list's page number (from 0)
TRADES_PREV = "trades-prev"
TRADES_NEXT = "trades-next"
TRADES_PAGER = "trades-pager"  # "trades 1-50 of 2,400"
TRADES_VIEW = "trades-view"  # the trade list's page of trades
JOURNAL_TARGET = "journal-target"  # dropdown: the session or one of its trades
JOURNAL_SETUP = "journal-setup"
JOURNAL_TEXT = "journal-text"
JOURNAL_TAGS = "journal-tags"  # comma-separated
JOURNAL_MISTAKES = "journal-mistakes"
JOURNAL_RATING = "journal-rating"
JOURNAL_SAVE = "journal-save"
JOURNAL_SAVED = "journal-saved"  # dcc.Store: notes saved on this page (re-reads the journal)
JOURNAL_HISTORY = "journal-history"  # switch: also the older versions
JOURNAL_VIEW = "journal-view"  # the latest notes (and with the switch, the old versions)
JOURNAL_MESSAGE = "journal-message"
NOTE_TEXT = "note-text"  # cockpit: the note box
NOTE_BUTTON = "note-button"


def history_row(session_id: str) -> str:
    """The id of a session's row in the History table."""
    return f"{HISTORY_ROW}-{session_id}"


# Coach
COACH_SYMBOL = "coach-symbol"
COACH_FROM = "coach-from"
COACH_TO = "coach-to"
COACH_DISP_TF = "coach-disp-tf"
COACH_PLAYER = "coach-player"
COACH_SESSIONS = "coach-sessions"  # multi-select: only these sessions
COACH_TAG = "coach-tag"  # select: only what carries this tag
COACH_SETUP = "coach-setup"  # select: only the trades of this setup
COACH_COMPARE = "coach-compare"  # the players side by side (two players or more chosen)
COACH_COMPARE_CARD = "coach-compare-card"
COACH_COMPARE_ROW = "coach-compare-row"  # prefix: one compared figure each, see coach_compare_row()
COACH_SUMMARY = "coach-summary"  # "n sessions · n trades" beside the filters
COACH_TILES = "coach-tiles"
COACH_TILE = "coach-tile"  # prefix: one headline figure each, see coach_tile()
COACH_CHARTS = "coach-charts"
COACH_CHART = "coach-chart"  # prefix: one graph each, see coach_chart()
COACH_SENS_RUN = "coach-sens-run"  # "Run fill sensitivity" button
COACH_SENS = "coach-sens"  # the fill-sensitivity table


def coach_tile(key: str) -> str:
    """The id of a headline tile's value on the Coach page (``n_trades``, ``win_rate``...)."""
    return f"{COACH_TILE}-{key}"


def coach_chart(key: str) -> str:
    """The id of a chart on the Coach page (``mae_mfe``, ``by_regime``...)."""
    return f"{COACH_CHART}-{key}"


def coach_compare_row(key: str) -> str:
    """The id of a compared figure's row in the players' total table (``pnl``, ``max_dd``...)."""
    return f"{COACH_COMPARE_ROW}-{key}"


COACH_DRILL = "coach-drill"  # pattern type: a weak bucket's "Drill" button, see coach_drill()
COACH_DRILL_MESSAGE = "coach-drill-message"  # why a drill could not start
COACH_LOCATION = "coach-location"  # dcc.Location: where a drill goes (the cockpit)


def coach_drill(kind: object, key: object) -> dict:
    """The id of the Drill button of bucket ``key`` of ``kind`` (``regime``, ``hour`` or
    ``setup``; ``dash.ALL`` for either in a callback's pattern)."""
    return {"type": COACH_DRILL, "kind": kind, "key": key}


# Data
DATA_SUMMARY = "data-summary"  # "n symbols · n bars" beside the title
DATA_OVERVIEW = "data-overview"  # holds the coverage table (re-rendered on change)
DATA_HEATMAPS = "data-heatmaps"  # holds the heatmaps (re-rendered on change)
DATA_REFRESH = "data-refresh"  # dcc.Store: imports and deletions so far (re-reads coverage)
DATA_TABLE = "data-table"  # coverage: one row per symbol
DATA_HEATMAP = "data-heatmap"  # pattern type: a calendar heatmap per symbol, see data_heatmap()
DATA_DELETE = "data-delete"  # pattern type: a symbol's "Delete bars" button, see data_delete()
DATA_UPLOAD = "data-upload"  # dcc.Upload of CSV/Parquet files
DATA_UPLOAD_NAMES = "data-upload-names"  # the files chosen, and their size
DATA_SYMBOL = "data-symbol"
DATA_TZ = "data-tz"
DATA_LABEL = "data-label"
DATA_EXCHANGE = "data-exchange"
DATA_SKIP_BAD = "data-skip-bad"
DATA_IMPORT = "data-import"  # the Import button
DATA_REPORT = "data-report"  # what the import did: rows added, already present, bad lines
DATA_DELETE_TARGET = "data-delete-target"  # dcc.Store: the symbol the dialog asks about
DATA_DELETE_DIALOG = "data-delete-dialog"
DATA_DELETE_TEXT = "data-delete-text"
DATA_DELETE_CANCEL = "data-delete-cancel"
DATA_DELETE_CONFIRM = "data-delete-confirm"
DATA_MESSAGE = "data-message"  # what a deletion did


def data_heatmap(symbol: object) -> dict:
    """The id of a symbol's calendar heatmap on the Data page (a dict: symbols may hold dots,
    which a string id may not)."""
    return {"type": DATA_HEATMAP, "symbol": symbol}


def data_delete(symbol: object) -> dict:
    """The id of a symbol's "Delete bars" button (``dash.ALL`` for any in a pattern)."""
    return {"type": DATA_DELETE, "symbol": symbol}
