"""A rebuild re-runs a log on the rules of the format it was written in."""

from __future__ import annotations

import pytest

from ntree.codec import event_line
from ntree.engine import ReplaySession
from ntree.engine.errors import EngineError
from ntree.engine.events import LOG_FORMAT
from tests.engine_helpers import make_bars, make_session

ROWS = [None, (100.0, 100.5, 99.5, 100.2), (100.2, 101.0, 100.0, 100.8)]


def _played(log_format: int) -> tuple[list, ReplaySession]:
    s = make_session(ROWS, log_format=log_format)
    s.place("BUY", "LIMIT", 10, 99.9)
    s.step(exec_steps=4)
    s.end()
    return s.drain_events(), s


@pytest.mark.parametrize("log_format", [2, LOG_FORMAT])
def test_a_rebuild_writes_the_stored_format_and_the_same_events(log_format: int) -> None:
    events, _ = _played(log_format)
    assert events[0].payload["log_format"] == log_format

    rebuilt = ReplaySession.from_events(events, make_bars(ROWS))

    assert rebuilt.log_format == log_format
    assert [event_line(e) for e in rebuilt.drain_events()] == [event_line(e) for e in events]


def test_a_new_session_plays_by_the_newest_format() -> None:
    assert LOG_FORMAT == 3
    assert make_session().drain_events()[0].payload["log_format"] == 3


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(EngineError) as err:
        make_session(log_format=1)
    assert err.value.code == "bad_log_format"
