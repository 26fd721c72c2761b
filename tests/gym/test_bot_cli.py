"""``ntree bot run``: episodes played headless, stored as sessions that replay-check OK."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from ntree import db
from ntree.cli import main
from ntree.runner import replay_check


@pytest.fixture
def db_url(seeded_db_url, tmp_path) -> str:
    path = tmp_path / "bots.db"
    shutil.copy(sa.make_url(seeded_db_url).database, path)
    return f"sqlite:///{path}"


def stored_sessions(url: str) -> list[tuple]:
    engine = db.connect(url)
    try:
        with engine.connect() as conn:
            q = sa.select(db.replay_sessions.c.session_id, db.replay_sessions.c.player)
            return list(conn.execute(q.where(db.replay_sessions.c.player != "human")))
    finally:
        engine.dispose()


@pytest.mark.parametrize("workers", [1, 2])
def test_two_episodes_are_stored_under_the_policys_name_and_replay_check_ok(
    db_url, workers, capsys
):
    argv = ["bot", "run", "--policy", "ntree.gym.policies:BandFadePolicy", "--symbol", "SPY"]
    argv += ["--days", "2024-08-01:2024-08-30", "--disp-tf", "5m", "--episodes", "2"]
    assert main([*argv, "--workers", str(workers), "--seed", "3", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "band-fade: 2 episodes stored" in out
    rows = stored_sessions(db_url)
    assert len(rows) == 2 and {player for _, player in rows} == {"band-fade"}
    engine = db.connect(db_url)
    try:
        for session_id, _ in rows:
            result = replay_check(engine, session_id)
            assert result.ok, result.message
    finally:
        engine.dispose()


def test_against_plays_the_named_sessions_window(db_url, capsys):
    assert (
        main(
            [
                "bot",
                "run",
                "--policy",
                "ntree.gym.policies:RandomPolicy",
                "--db",
                db_url,
                "--days",
                "2024-08-07",
                "--episodes",
                "1",
            ]
        )
        == 0
    )
    ((first, _),) = stored_sessions(db_url)
    assert (
        main(
            [
                "bot",
                "run",
                "--policy",
                "ntree.gym.policies:BandFadePolicy",
                "--db",
                db_url,
                "--against",
                first,
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.count("2024-08-07") == 2


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--policy", "nocolon"], "module:Class"),
        (["--policy", "ntree.gym.policies:BandFadePolicy", "--days", "August"], "days must be"),
        (["--policy", "ntree.gym.policies:BandFadePolicy", "--disp-tf", "7m"], "7m"),
        (["--policy", "ntree.gym.policies:BandFadePolicy", "--against", "nope"], "no session"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(db_url, capsys, extra, message):
    assert main(["bot", "run", *extra, "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ntree: error:") and message in err and "Traceback" not in err
