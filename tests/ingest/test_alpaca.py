"""The real alpaca-py client against a local stub of Alpaca's bars endpoint (no network):
two pages, a 429 then success, a 401, an empty range, "bars": null, the recent-SIP 403,
an interrupted backfill resumed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
import sqlalchemy as sa

from ntree import cli, db
from ntree.ingest.alpaca import AlpacaError, backfill, make_client

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

Reply = tuple[int, dict]
NOW = pd.Timestamp("2024-06-01T00:00:00Z")


def bar(t: str, px: float = 100.0) -> dict:
    return {
        "t": t,
        "o": px,
        "h": px + 0.05,
        "l": px - 0.05,
        "c": px + 0.01,
        "v": 100,
        "n": 3,
        "vw": px,
    }


class Stub:
    """Serve ``/v2/stocks/bars`` from a function of the query (or a scripted queue)."""

    def __init__(self, answer: Callable[[dict[str, str]], Reply]) -> None:
        self.answer = answer
        self.requests: list[dict[str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                stub.requests.append({"path": url.path, **query})
                status, body = stub.answer(query)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[[Callable[[dict[str, str]], Reply]], Stub]]:
    stubs: list[Stub] = []

    def start(answer: Callable[[dict[str, str]], Reply]) -> Stub:
        stubs.append(Stub(answer))
        return stubs[-1]

    yield start
    for stub in stubs:
        stub.close()


def client_for(stub: Stub) -> object:
    client = make_client(
        {"ALPACA_API_KEY": "k", "ALPACA_SECRET_KEY": "s", "NTREE_ALPACA_URL": stub.url}
    )
    client._retry_wait = 0  # alpaca-py waits 3 s between retries; no constructor option
    return client


@pytest.fixture
def engine(empty_db_url: str) -> sa.Engine:
    """The test's own database (SQLite, and PostgreSQL with NTREE_TEST_PG_URL)."""
    return db.connect(empty_db_url)


def day_bars(query: dict[str, str], per_day: int = 3) -> list[dict]:
    """Return ``per_day`` bars from 14:30 UTC on every weekday in the query's range."""
    start = pd.Timestamp(query["start"]).normalize()
    end = pd.Timestamp(query["end"])
    out = []
    for day in pd.bdate_range(start.tz_localize(None), end.tz_localize(None)):
        for i in range(per_day):
            t = pd.Timestamp(day, tz="UTC") + pd.Timedelta(hours=14, minutes=30 + i)
            if pd.Timestamp(query["start"]) <= t <= end:
                out.append(bar(t.strftime("%Y-%m-%dT%H:%M:%SZ"), 100 + i * 0.01))
    return out


def test_two_pages_are_joined_and_stored_on_the_tick(serve, engine: sa.Engine) -> None:
    def answer(q: dict[str, str]) -> Reply:
        if q.get("page_token") != "p2":
            first = bar("2024-03-01T14:30:00Z", 256.8800048828125)
            return 200, {"bars": {"SPY": [first]}, "next_page_token": "p2"}
        return 200, {"bars": {"SPY": [bar("2024-03-01T14:31:00Z")]}, "next_page_token": None}

    stub = serve(answer)

    [report] = backfill(engine, client_for(stub), ["SPY"], "2024-03-01", "2024-03-01", now=NOW)

    assert (report.added, report.already_present) == (2, 0)
    assert report.minutes_missing == 390 - 2
    bars = db.load_bars(engine, "SPY")
    assert bars["open"].iloc[0] == 256.88
    assert [r.get("page_token") for r in stub.requests] == [None, "p2"]
    assert stub.requests[0]["timeframe"] == "1Min" and "feed" not in stub.requests[0]
    meta = db.symbol_info(engine, "SPY")
    assert (meta["source"], meta["feed"], meta["adjustment"]) == ("alpaca", "auto", "raw")


def test_a_429_is_retried_by_alpaca_py_and_then_succeeds(serve, engine: sa.Engine) -> None:
    replies = iter([(429, {"message": "too many requests"})])

    def answer(q: dict[str, str]) -> Reply:
        return next(replies, (200, {"bars": {"SPY": day_bars(q)}, "next_page_token": None}))

    stub = serve(answer)

    [report] = backfill(engine, client_for(stub), ["SPY"], "2024-03-01", "2024-03-01", now=NOW)

    assert report.added == 3 and len(stub.requests) == 2


def test_a_401_is_one_clear_error(serve, engine: sa.Engine) -> None:
    stub = serve(lambda q: (401, {"code": 40110000, "message": "request is not authorized"}))

    with pytest.raises(AlpacaError, match="HTTP 401: request is not authorized"):
        backfill(engine, client_for(stub), ["SPY"], "2024-03-01", "2024-03-01", now=NOW)


def test_an_empty_range_and_bars_null_are_empty_chunks(serve, engine: sa.Engine) -> None:
    replies = iter([(200, {"bars": {}, "next_page_token": None}), (200, {"bars": None})])
    stub = serve(lambda q: next(replies))

    reports = backfill(
        engine, client_for(stub), ["SPY", "QQQ"], "2024-03-01", "2024-03-01", now=NOW
    )

    assert [(r.symbol, r.added, r.minutes_missing) for r in reports] == [
        ("SPY", 0, 390),
        ("QQQ", 0, 390),
    ]
    assert db.symbols(engine) == []


def test_the_recent_sip_403_clamps_the_end_to_fifteen_minutes_ago(serve, engine: sa.Engine) -> None:
    now = pd.Timestamp("2024-03-01T15:00:00Z")

    def answer(q: dict[str, str]) -> Reply:
        if pd.Timestamp(q["end"]) > now - pd.Timedelta(minutes=15):
            return 403, {"message": "subscription does not permit querying recent SIP data"}
        return 200, {"bars": {"SPY": day_bars(q)}, "next_page_token": None}

    stub = serve(answer)
    said: list[str] = []

    [report] = backfill(
        engine,
        client_for(stub),
        ["SPY"],
        "2024-03-01",
        "2024-03-01",
        feed="sip",
        now=now,
        say=said.append,
        progress=False,
    )

    assert report.added == 3
    assert said == [
        "note: the plan refuses SIP data of the last 15 minutes; "
        "end clamped to 2024-03-01 14:45 UTC"
    ]
    assert stub.requests[-1]["feed"] == "sip"
    assert pd.Timestamp(stub.requests[-1]["end"]) < pd.Timestamp("2024-03-01T14:45:00Z")


def test_an_interrupted_backfill_resumes_and_a_rerun_writes_nothing(
    serve, engine: sa.Engine
) -> None:
    fail_on = {"start": "2024-01-09"}  # the second chunk of January's first two weeks

    def answer(q: dict[str, str]) -> Reply:
        if fail_on and q["start"].startswith(fail_on["start"]):
            return 500, {"message": "boom"}
        return 200, {"bars": {"SPY": day_bars(q)}, "next_page_token": None}

    stub = serve(answer)
    client = client_for(stub)

    with pytest.raises(AlpacaError, match="HTTP 500"):
        backfill(engine, client, ["SPY"], "2024-01-02", "2024-01-12", now=NOW, progress=False)
    assert len(db.load_bars(engine, "SPY")) == 5 * 3  # the first chunk was committed

    fail_on.clear()
    stub.requests.clear()
    [resumed] = backfill(
        engine, client, ["SPY"], "2024-01-02", "2024-01-12", now=NOW, progress=False
    )

    assert (resumed.added, resumed.already_present) == (4 * 3, 5 * 3)
    assert len(stub.requests) == 1  # only the chunk that had failed
    [again] = backfill(engine, client, ["SPY"], "2024-01-02", "2024-01-12", now=NOW, progress=False)
    assert (again.added, again.already_present) == (0, 9 * 3)


def test_cli_without_keys_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], empty_db_url: str
) -> None:
    for name in ("ALPACA_API_KEY", "ALPACA_SECRET_KEY", "APCA_API_KEY_ID", "APCA_API_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    url = empty_db_url

    code = cli.main(
        [
            "data",
            "alpaca",
            "--symbols",
            "SPY",
            "--start",
            "2024-01-02",
            "--end",
            "2024-01-03",
            "--db",
            url,
        ]
    )

    assert code == 2
    assert capsys.readouterr().err == (
        "ntree: error: no Alpaca keys: set ALPACA_API_KEY and ALPACA_SECRET_KEY "
        "(or APCA_API_KEY_ID and APCA_API_SECRET_KEY)\n"
    )


def test_cli_backfill_through_the_stub_prints_the_report(
    serve, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], empty_db_url: str
) -> None:
    stub = serve(lambda q: (200, {"bars": {"QQQ": day_bars(q)}, "next_page_token": None}))
    monkeypatch.setenv("APCA_API_KEY_ID", "k")
    monkeypatch.setenv("APCA_API_SECRET_KEY", "s")
    monkeypatch.setenv("NTREE_ALPACA_URL", stub.url)
    url = empty_db_url

    code = cli.main(
        [
            "data",
            "alpaca",
            "--symbols",
            "qqq",
            "--start",
            "2024-03-04",
            "--end",
            "2024-03-05",
            "--feed",
            "iex",
            "--db",
            url,
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "feed iex, adjustment raw" in out
    assert (
        "QQQ: 6 rows added, 0 already present, "
        "774 regular-session minutes missing over 2 trading days" in out
    )
