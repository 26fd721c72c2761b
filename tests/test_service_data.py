"""The bar store through the service and the REST API: coverage, upload import, delete.

Each test has a SQLite file of its own (a delete must never touch the shared test database).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from flask import Flask
from test_openapi import assert_matches_spec

from ntree import db, market
from ntree.api import install
from ntree.openapi import openapi_spec
from ntree.service import ReplayService, ServiceError
from ntree.service.data import import_upload

FULL, GAPPY, EMPTY = "2024-03-04", "2024-03-06", "2024-03-05"


def csv_bytes(days: dict[str, int], bad_high_at: tuple[int, ...] = ()) -> bytes:
    """A vendor CSV of the first n regular minutes of each day (New York times, no offset);
    the data rows numbered in ``bad_high_at`` (0 = first) get a high below their close."""
    lines = ["timestamp,open,high,low,close,volume"]
    for day, n in days.items():
        for ts in market.session_minutes(day, day)[:n]:
            lines.append(f"{ts.tz_convert('America/New_York'):%Y-%m-%d %H:%M},10,10.5,9.5,10.2,100")
    for i in bad_high_at:
        cells = lines[i + 1].split(",")
        cells[2] = "10.1"
        lines[i + 1] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def svc(tmp_path: Path) -> ReplayService:
    service = ReplayService.create(db.connect(f"sqlite:///{tmp_path / 'd.db'}"), tmp_path / "c")
    yield service
    service.cache.close()


@pytest.fixture
def client(svc: ReplayService):
    server = Flask("ntree-data-test")
    install(server, svc)
    return server.test_client()


def imported(svc: ReplayService, symbol: str = "ZZ") -> dict:
    """Store 390 minutes on FULL, none on EMPTY, 100 on GAPPY."""
    report = svc.data_import([("zz.csv", csv_bytes({FULL: 390, GAPPY: 100}))], symbol)
    assert report["written"] and report["added"] == 490
    return report


def played_on(svc: ReplayService, symbol: str = "ZZ") -> str:
    sid = svc.start({"symbol": symbol, "t_start": FULL, "t_end": FULL, "disp_tf": "5m"})
    sid = sid["session_id"]
    svc.command("step", {"session_id": sid, "disp_steps": 2})
    return sid


def test_coverage_row_counts_missing_minutes_empty_days_and_sessions(svc):
    imported(svc)
    played_on(svc)

    (row,) = svc.data_coverage("zz", days=True)["symbols"]

    assert (row["symbol"], row["exchange"], row["source"], row["tick"]) == (
        "ZZ",
        "XNYS",
        "file",
        0.01,
    )
    assert (row["first"], row["last"]) == ("2024-03-04T14:30:00Z", "2024-03-06T16:09:00Z")
    assert (row["bars"], row["trading_days"], row["days_with_data"]) == (490, 3, 2)
    assert row["minutes_missing"] == 390 + 290
    assert row["days_without_data"] == [EMPTY]
    assert row["sessions"] == 1
    assert row["days"] == [
        {"date": FULL, "expected": 390, "present": 390},
        {"date": EMPTY, "expected": 390, "present": 0},
        {"date": GAPPY, "expected": 390, "present": 100},
    ]


def test_an_upload_with_bad_rows_writes_nothing_and_lists_each_line(svc):
    report = svc.data_import([("zz.csv", csv_bytes({FULL: 10}, bad_high_at=(2, 7)))], "ZZ")

    assert not report["written"] and report["added"] == 0
    assert report["bad_rows"] == 2 and report["rows_read"] == 10
    assert report["problems"] == [
        "zz.csv:4: high 10.1 is below max(open, close) 10.2",
        "zz.csv:9: high 10.1 is below max(open, close) 10.2",
    ]
    assert svc.symbols() == []


def test_skip_bad_imports_the_good_rows_and_a_reimport_writes_nothing(svc):
    data = csv_bytes({FULL: 10}, bad_high_at=(2,))
    first = svc.data_import([("zz.csv", data)], "zz", skip_bad=True)
    again = svc.data_import([("zz.csv", data)], "zz", skip_bad=True)

    assert (first["written"], first["added"], first["bad_rows"]) == (True, 9, 1)
    assert (again["added"], again["already_present"]) == (0, 9)
    assert again["summary"].startswith("ZZ: 10 rows read, 0 added, 9 already present, 1 bad")
    assert db.count_bars(svc.db_engine, "ZZ") == 9


def test_an_upload_over_the_limit_is_refused_by_its_size(svc):
    data = csv_bytes({FULL: 390})
    with pytest.raises(ServiceError) as err:
        import_upload(svc.db_engine, [("big.csv", data)], "ZZ", max_bytes=1024 * 1024 // 100)
    assert err.value.code == "file_too_large" and err.value.field == "file"
    assert err.value.message.startswith("big.csv: 0.0 MB; the Data page takes up to")
    assert err.value.message.endswith("(use ntree data import for bigger files)")
    assert svc.symbols() == []


@pytest.mark.parametrize(
    ("files", "symbol", "options", "code", "field"),
    [
        ([], "ZZ", {}, "missing_field", "file"),
        ([("zz.csv", b"a,b\n1,2\n")], "ZZ", {}, "bad_file", "file"),
        ([("zz.csv", b"x")], "has space", {}, "bad_symbol", "symbol"),
        ([("zz.csv", b"x")], None, {}, "missing_field", "symbol"),
        ([("zz.csv", csv_bytes({FULL: 3}))], "ZZ", {"tz": "Mars/Base"}, "bad_file", "tz"),
        ([("zz.csv", csv_bytes({FULL: 3}))], "ZZ", {"exchange": "NOPE"}, "bad_file", "exchange"),
    ],
)
def test_a_refused_upload_names_its_field(svc, files, symbol, options, code, field):
    with pytest.raises(ServiceError) as err:
        svc.data_import(files, symbol, **options)
    assert (err.value.code, err.value.field) == (code, field)


def test_deleting_a_symbol_says_how_many_sessions_lose_their_bars(svc):
    imported(svc)
    imported(svc, "KEEP")
    sid = played_on(svc)

    plan = svc.data_delete_plan("zz")
    done = svc.data_delete({"symbol": "zz"})

    assert plan == {"symbol": "ZZ", "bars": 490, "sessions": 1}
    assert done == {"symbol": "ZZ", "bars_deleted": 490, "sessions": 1}
    assert svc.symbols() == ["KEEP"] and db.symbol_info(svc.db_engine, "ZZ") is None
    # The session stays listed but can no longer re-run: a refusal, not a crash.
    assert svc.get_session(sid) is not None
    with pytest.raises(ServiceError) as err:
        svc.state({"session_id": sid})
    assert err.value.code == "data_changed" and "cannot re-run" in err.value.message
    for call in (
        lambda: svc.review_chart(sid),
        lambda: svc.rewind({"session_id": sid, "disp_bars": 1}),
    ):
        with pytest.raises(ServiceError) as err:
            call()
        assert err.value.code == "data_changed"
    assert svc.coach({"session_id": [sid]})["n_sessions"] == 1
    with pytest.raises(ServiceError) as err:
        svc.data_delete_plan("ZZ")
    assert err.value.code == "unknown_symbol"


def test_rest_coverage_and_delete_answer_as_the_spec_says(svc, client):
    spec = openapi_spec()
    imported(svc)
    sid = played_on(svc)

    r = client.get("/replay/data/coverage?days=1")
    body = assert_matches_spec(spec, r, "/replay/data/coverage", "get")
    assert r.status_code == 200 and [s["symbol"] for s in body["symbols"]] == ["ZZ"]
    assert len(body["symbols"][0]["days"]) == 3

    r = client.post(
        "/replay/data/delete", data=json.dumps({"symbol": "ZZ"}), content_type="application/json"
    )
    assert r.status_code == 200
    assert assert_matches_spec(spec, r, "/replay/data/delete") == {
        "symbol": "ZZ",
        "bars_deleted": 490,
        "sessions": 1,
    }
    assert client.get("/replay/data/coverage").get_json() == {"symbols": []}
    # Its trades are read from the store; its state needs a re-run on bars that are gone.
    assert client.get(f"/replay/trades?session_id={sid}").status_code == 200
    for path in ("state", "candles"):
        r = client.get(f"/replay/{path}?session_id={sid}")
        assert assert_matches_spec(spec, r, f"/replay/{path}", "get")["error"]["code"] == (
            "data_changed"
        )
        assert r.status_code == 422


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("post", "/replay/data/delete", {"symbol": "NOPE"}, 422, "unknown_symbol"),
        ("post", "/replay/data/delete", {"symbol": "a b"}, 422, "bad_symbol"),
        ("post", "/replay/data/delete", {}, 400, "missing_field"),
        ("post", "/replay/data/delete", {"symbol": "ZZ", "yes": True}, 400, "unknown_field"),
        ("get", "/replay/data/delete", None, 405, "method_not_allowed"),
        ("post", "/replay/data/coverage", {}, 405, "method_not_allowed"),
        ("get", "/replay/data/coverage?symbol=NOPE", None, 422, "unknown_symbol"),
        ("get", "/replay/data/coverage?sym=ZZ", None, 400, "unknown_field"),
    ],
)
def test_bad_data_requests_are_4xx_and_delete_nothing(
    svc, client, method, path, body, status, code
):
    imported(svc)
    if method == "post":
        r = client.post(path, data=json.dumps(body), content_type="application/json")
    else:
        r = client.get(path)
    assert (r.status_code, r.get_json()["error"]["code"]) == (status, code)
    assert db.count_bars(svc.db_engine, "ZZ") == 490
    assert pd.Timestamp(svc.data_coverage()["symbols"][0]["first"]) == pd.Timestamp(
        "2024-03-04T14:30Z"
    )


def test_a_symbol_deleted_by_another_worker_drops_this_workers_coach_candles(svc, tmp_path):
    """Two services on one database (two gunicorn workers: each its own Coach cache). A
    delete, then a re-import of other bars, in one shows in the other's next Coach answer."""
    imported(svc)
    sid = played_on(svc)
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10})
    svc.command("step", {"session_id": sid, "disp_steps": 2})
    svc.command("end", {"session_id": sid})
    (trade,) = svc.coach({"session_id": [sid]})["trades"]
    assert trade["signal_bar_ts"] is not None  # read on the display candles of the bars
    other = ReplayService.create(svc.db_engine, tmp_path / "other-cache")
    try:
        other.data_delete({"symbol": "ZZ"})
        (trade,) = svc.coach({"session_id": [sid]})["trades"]
        assert trade["signal_bar_ts"] is None and trade["after_exit"] is None
        again = csv_bytes({FULL: 390}).replace(b",10,10.5,9.5,10.2,", b",20,20.5,19.5,20.2,")
        assert other.data_import([("zz.csv", again)], "ZZ")["added"] == 390
        (trade,) = svc.coach({"session_id": [sid]})["trades"]
        assert trade["signal_bar_ts"] is None  # other bars than it was played on: no candles
    finally:
        other.cache.close()
