"""One session as one file: export from one database, import into a fresh one, re-run (on SQLite
and on PostgreSQL, and from a SQLite file into PostgreSQL)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from ntree import db
from ntree.cli import main
from ntree.service import ServiceError

pytestmark = pytest.mark.both_databases

START = {"symbol": "QQQ", "t_start": "2024-07-10", "t_end": "2024-07-10", "disp_tf": "5m"}


@pytest.fixture
def played(replay_service) -> str:
    """An ended session with trades and a journal note, on the seeded database."""
    svc = replay_service
    sid = svc.start(START)["session_id"]
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 3})
    svc.command("step", {"session_id": sid, "disp_steps": 3})
    svc.command("flatten", {"session_id": sid})
    svc.command("step", {"session_id": sid, "disp_steps": 2})
    svc.command("end", {"session_id": sid})
    svc.add_journal({"session_id": sid, "trade_id": 1, "setup": "breakout", "rating": 3})
    return sid


def test_an_exported_session_imports_into_a_fresh_database_and_reruns_identically(
    replay_service, played, seeded_db_url, empty_db_url, tmp_path: Path, capsys
) -> None:
    file = tmp_path / "session.json"
    fresh = empty_db_url

    assert main(["session", "export", played, "-o", str(file), "--db", seeded_db_url]) == 0
    assert main(["session", "import", str(file), "--db", fresh]) == 0
    capsys.readouterr()
    assert main(["replay-check", played, "--db", fresh]) == 0

    assert capsys.readouterr().out.startswith("OK: ")
    engine = db.connect(fresh)
    doc = json.loads(file.read_text())
    assert db.symbols(engine) == ["QQQ"]
    assert len(db.load_bars(engine, "QQQ")) == len(doc["bars"]["rows"])
    again = replay_service.export_session(played)
    from ntree.session_file import export_session

    moved = export_session(engine, played)
    assert moved["events"] == again["events"] and moved["trades"] == again["trades"]
    assert moved["journal"] == again["journal"] and moved["session"] == again["session"]
    assert main(["session", "import", str(file), "--db", fresh]) == 2  # already there
    assert "already stored" in capsys.readouterr().err
    engine.dispose()


def test_import_refuses_a_database_whose_bars_differ_from_the_files(
    replay_service, played, empty_db_url
) -> None:
    doc = replay_service.export_session(played)
    engine = db.connect(empty_db_url)
    ts, o, h, low, c, v = doc["bars"]["rows"][100]
    bar = pd.DataFrame(
        {"open": [o], "high": [h + 1], "low": [low], "close": [c], "volume": [v]},
        index=pd.DatetimeIndex([pd.Timestamp(ts, unit="s", tz="UTC")], name="ts"),
    )
    db.save_bars(engine, "QQQ", bar)

    with pytest.raises(ServiceError) as err:
        type(replay_service)(engine, replay_service.cache).import_session(doc)

    assert err.value.code == "bars_differ" and "differs" in err.value.message
    assert db.load_bars(engine, "QQQ").shape[0] == 1  # nothing written
    engine.dispose()


def test_a_bad_file_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    file = tmp_path / "x.json"
    file.write_text(json.dumps({"format": "something else"}))

    assert main(["session", "import", str(file), "--db", f"sqlite:///{tmp_path / 'a.db'}"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("ntree: error: not an ntree session file") and err.count("\n") == 1


def test_events_and_trades_export_as_csv(replay_service, played) -> None:
    out = replay_service.export_csv(played)

    events = pd.read_csv(io.StringIO(out["events_csv"]))
    trades = pd.read_csv(io.StringIO(out["trades_csv"]))
    assert list(events["seq"]) == list(range(1, len(replay_service.event_log(played)) + 1))
    assert events["event_type"].iloc[0] == "SESSION_START"
    assert list(trades["trade_id"]) == [1] and trades["status"].iloc[0] == "closed"


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_a_session_of_a_sqlite_file_moves_into_postgresql_and_reruns(
    sqlite_db_url, empty_db_url, tmp_path: Path, capsys
) -> None:
    from ntree.service import ReplayService

    svc = ReplayService.create(db.connect(sqlite_db_url), tmp_path / "cache")
    sid = svc.start({**START, "t_start": "2024-07-11", "t_end": "2024-07-11"})["session_id"]
    svc.command("place", {"session_id": sid, "side": "SELL", "type": "MARKET", "qty": 2})
    svc.command("step", {"session_id": sid, "disp_steps": 4})
    svc.add_journal({"session_id": sid, "text": "moved"})
    file = tmp_path / "session.json"

    assert main(["session", "export", sid, "-o", str(file), "--db", sqlite_db_url]) == 0
    assert main(["session", "import", str(file), "--db", empty_db_url]) == 0
    assert main(["replay-check", sid, "--db", empty_db_url]) == 0
    assert "OK: " in capsys.readouterr().out
    moved = ReplayService.create(db.connect(empty_db_url), tmp_path / "cache2")
    assert moved.journal(sid)["entries"][0]["text"] == "moved"
    after = moved.command("step", {"session_id": sid, "disp_steps": 1})  # it plays on there
    assert (
        after["cursor"]["disp_index"] == svc.state({"session_id": sid})["cursor"]["disp_index"] + 1
    )
    svc.cache.close()
    moved.cache.close()
