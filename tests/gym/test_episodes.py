"""Episodes at scale: a persistent pool of workers returns logs, the parent stores them in
batches, and every stored session re-runs exactly (processes here; Ray when installed)."""

from __future__ import annotations

import importlib.util
import shutil

import pytest
import sqlalchemy as sa

from ntree import db
from ntree.cli import main
from ntree.gym.episodes import EpisodePool
from ntree.runner import replay_check
from ntree.store import EventConflict, SessionStore

POLICY = "ntree.gym.policies:BandFadePolicy"
JOBS = [(k, {"new_session_id": f"pool-{k}"}) for k in range(4)]


@pytest.fixture
def db_url(seeded_db_url, tmp_path) -> str:
    path = tmp_path / "episodes.db"
    shutil.copy(sa.make_url(seeded_db_url).database, path)
    return f"sqlite:///{path}"


def env_kwargs(url: str) -> dict:
    return {"symbol": "SPY", "disp_tf": "5m", "days": "2024-08-01:2024-08-09", "db": url}


def test_two_worker_processes_return_the_logs_one_worker_plays_run_after_run(db_url):
    with EpisodePool(env_kwargs(db_url), POLICY, workers=1) as pool:
        alone = list(pool.run(JOBS))
    with EpisodePool(env_kwargs(db_url), POLICY, workers=2) as pool:
        first = list(pool.run(JOBS))
        workers = pool.pids()
        again = list(pool.run(JOBS))  # the same workers, their windows already prepared
        assert pool.pids() == workers and len(workers) == 2
    assert [log.index for log in first] == [0, 1, 2, 3]
    for a, b, c in zip(alone, first, again, strict=True):
        assert a.record == b.record == c.record
        assert a.summary == b.summary and a.day == b.day
    assert len({log.day for log in first}) > 1 and len(first[0].record.events) > 50


def test_a_batch_of_records_is_stored_in_one_go_and_each_session_replay_checks_ok(db_url):
    with EpisodePool(env_kwargs(db_url), POLICY) as pool:
        logs = list(pool.run(JOBS))
    engine = db.connect(db_url)
    try:
        store = SessionStore(engine)
        store.save_records([log.record for log in logs])
        for log in logs:
            row = store.get_session(log.record.session_id)
            assert row["player"] == "band-fade" and row["status"] == "ended"
            assert row["result_pnl"] == log.summary["pnl"]
            assert len(store.trades(log.record.session_id)) == log.summary["num_trades"]
            result = replay_check(engine, log.record.session_id)
            assert result.ok, result.message
        with pytest.raises(EventConflict, match="pool-1"):
            store.save_records([logs[1].record])
        with engine.connect() as conn:
            count = sa.select(sa.func.count()).select_from(db.replay_sessions)
            before = conn.execute(count).scalar()
        with pytest.raises(EventConflict):  # a new id with a stored one: none of them lands
            store.save_records([_renamed(logs[0].record, "pool-new"), logs[2].record])
        with engine.connect() as conn:
            assert conn.execute(count).scalar() == before
    finally:
        engine.dispose()


def _renamed(record, session_id: str):
    from dataclasses import replace

    return replace(
        record,
        session_id=session_id,
        row={**record.row, "session_id": session_id},
        events=[(session_id, *row[1:]) for row in record.events],
        trades=[{**t, "session_id": session_id} for t in record.trades],
    )


def test_a_bad_executor_or_address_is_one_error_line(db_url, capsys):
    argv = ["bot", "run", "--policy", POLICY, "--db", db_url]
    assert main([*argv, "--address", "127.0.0.1:6379"]) == 2
    assert "--address needs --executor ray" in capsys.readouterr().err
    with pytest.raises(ValueError, match="executor must be one of"):
        EpisodePool(env_kwargs(db_url), POLICY, executor="dask")


@pytest.mark.skipif(
    importlib.util.find_spec("ray") is None,
    reason="Ray is not installed (pip install -e '.[ray]'; CI installs it with the test extra)",
)
def test_episodes_on_a_local_ray_runtime_are_stored_and_replay_check_ok(db_url, capsys):
    argv = ["bot", "run", "--policy", POLICY, "--days", "2024-08-01:2024-08-09"]
    argv += ["--episodes", "3", "--executor", "ray", "--workers", "1", "--seed", "5"]
    assert main([*argv, "--db", db_url]) == 0
    assert "band-fade: 3 episodes stored" in capsys.readouterr().out
    engine = db.connect(db_url)
    try:
        with engine.connect() as conn:
            t = db.replay_sessions
            ids = list(conn.execute(sa.select(t.c.session_id).where(t.c.player == "band-fade")))
        assert len(ids) == 3
        for (session_id,) in ids:
            result = replay_check(engine, session_id)
            assert result.ok, result.message
    finally:
        engine.dispose()
    import ray

    assert not ray.is_initialized()  # the runtime the run started is shut down


@pytest.mark.parametrize("workers", ["1", "2"])
def test_an_episode_refused_in_a_worker_is_one_error_line(db_url, capsys, workers):
    argv = ["bot", "run", "--policy", POLICY, "--symbol", "NOPE", "--workers", workers]
    assert main([*argv, "--episodes", "2", "--db", db_url]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ntree: error:") and "NOPE" in err and "Traceback" not in err
