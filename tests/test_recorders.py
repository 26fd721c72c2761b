"""One suite of sequence rules that every event recorder obeys (after eventsourcing's
``AggregateRecorderTestCase``): each recorder is a subclass that only says how to make one."""

from __future__ import annotations

from pathlib import Path

import pytest

from ntree import db
from ntree.codec import event_line
from ntree.engine import Event
from ntree.store import EventConflict, EventRecorder, InMemoryRecorder, SqlRecorder

T0 = 1_720_445_400_000_000_000  # 2024-07-08 13:30 UTC
MINUTE = 60_000_000_000


def ev(seq: int, etype: str = "NOTE", **payload: object) -> Event:
    return Event(seq, T0 + seq * MINUTE, T0 + seq * MINUTE, etype, payload)


def lines(events: list[Event]) -> list[str]:
    return [event_line(e) for e in events]


class RecorderRules:
    """The sequence rules; a subclass provides :meth:`make_recorder`."""

    @pytest.fixture
    def recorder(self, tmp_path: Path) -> EventRecorder:
        return self.make_recorder(tmp_path)

    def make_recorder(self, tmp_path: Path) -> EventRecorder:
        raise NotImplementedError

    def test_appended_events_come_back_in_seq_order(self, recorder: EventRecorder) -> None:
        first = [ev(1, "SESSION_START", log_format=2), ev(2, text="a")]
        recorder.append("s", first)
        recorder.append("s", [ev(3, text="b")])
        recorder.append("s", [ev(4, text="c"), ev(5, text="d")])

        assert [e.seq for e in recorder.select("s")] == [1, 2, 3, 4, 5]

    def test_since_returns_only_events_after_that_seq(self, recorder: EventRecorder) -> None:
        recorder.append("s", [ev(n) for n in range(1, 6)])

        assert [e.seq for e in recorder.select("s", since=3)] == [4, 5]
        assert [e.seq for e in recorder.select("s", since=0)] == [1, 2, 3, 4, 5]
        assert recorder.select("s", since=5) == []
        assert recorder.select("s", since=99) == []

    def test_an_unknown_session_has_no_events(self, recorder: EventRecorder) -> None:
        assert recorder.select("nobody") == []

    def test_a_duplicate_seq_is_a_conflict_and_keeps_the_original(
        self, recorder: EventRecorder
    ) -> None:
        recorder.append("s", [ev(1, text="original"), ev(2, text="second")])

        with pytest.raises(EventConflict):
            recorder.append("s", [ev(2, text="overwrite")])

        assert [e.payload for e in recorder.select("s")] == [
            {"text": "original"},
            {"text": "second"},
        ]

    def test_a_conflicting_batch_writes_none_of_its_events(self, recorder: EventRecorder) -> None:
        recorder.append("s", [ev(1), ev(2)])

        with pytest.raises(EventConflict):
            recorder.append("s", [ev(3), ev(4), ev(2, text="dup")])  # 3 and 4 are fine alone

        assert [e.seq for e in recorder.select("s")] == [1, 2]
        recorder.append("s", [ev(3)])  # the batch left no trace: 3 is still free
        assert [e.seq for e in recorder.select("s")] == [1, 2, 3]

    def test_a_duplicate_inside_one_batch_is_a_conflict(self, recorder: EventRecorder) -> None:
        with pytest.raises(EventConflict):
            recorder.append("s", [ev(1), ev(2), ev(2)])

        assert recorder.select("s") == []

    def test_a_seq_below_the_last_recorded_is_a_conflict(self, recorder: EventRecorder) -> None:
        recorder.append("s", [ev(1), ev(2), ev(5)])

        with pytest.raises(EventConflict):
            recorder.append("s", [ev(3)])  # free, but the log has moved past it

        assert [e.seq for e in recorder.select("s")] == [1, 2, 5]

    def test_a_batch_out_of_seq_order_is_a_conflict(self, recorder: EventRecorder) -> None:
        with pytest.raises(EventConflict):
            recorder.append("s", [ev(2), ev(1)])

        assert recorder.select("s") == []

    def test_a_seq_below_one_is_a_conflict(self, recorder: EventRecorder) -> None:
        with pytest.raises(EventConflict):
            recorder.append("s", [ev(0)])

        assert recorder.select("s") == []

    def test_sessions_are_independent(self, recorder: EventRecorder) -> None:
        recorder.append("a", [ev(1, text="a1"), ev(2, text="a2")])
        recorder.append("b", [ev(1, text="b1")])  # the same seq in another session is free

        with pytest.raises(EventConflict):
            recorder.append("a", [ev(2, text="again")])
        recorder.append("b", [ev(2, text="b2")])  # a's conflict leaves b alone

        assert [e.payload["text"] for e in recorder.select("a")] == ["a1", "a2"]
        assert [e.payload["text"] for e in recorder.select("b")] == ["b1", "b2"]

    def test_an_empty_append_is_a_no_op(self, recorder: EventRecorder) -> None:
        recorder.append("s", [])
        assert recorder.select("s") == []

        recorder.append("s", [ev(1)])
        recorder.append("s", [])
        assert [e.seq for e in recorder.select("s")] == [1]

    def test_events_read_back_equal_byte_for_byte(self, recorder: EventRecorder) -> None:
        written = [
            ev(1, "SESSION_START", params={"tick": 0.01, "seed": 2**62, "z": None, "a": [1, 2]}),
            ev(2, "FILL", price=561.37, qty=10, realized_pnl=-0.123456, role="tp"),
            ev(3, text='naïve café ☕ "quoted" \\ back|slash|pipes\nnew line'),
            Event(4, T0, None, "STEP", {"cmd": {"op": "step", "args": {"disp_steps": 1}}}),
            Event(5, None, None, "NOTE", {}),
        ]
        recorder.append("s", written)

        assert lines(recorder.select("s")) == lines(written)
        assert lines(recorder.select("s", since=3)) == lines(written[3:])


class TestInMemoryRecorder(RecorderRules):
    def make_recorder(self, tmp_path: Path) -> EventRecorder:
        return InMemoryRecorder()


@pytest.mark.both_databases
class TestSqlRecorder(RecorderRules):
    @pytest.fixture
    def recorder(self, empty_db_url: str) -> EventRecorder:
        return SqlRecorder(db.connect(empty_db_url))

    def test_a_conflict_inside_a_callers_transaction_rolls_back_with_it(
        self, recorder: SqlRecorder
    ) -> None:
        recorder.append("s", [ev(1)])

        with pytest.raises(EventConflict), recorder.engine.begin() as conn:
            recorder.append("s", [ev(2)], conn)
            recorder.append("s", [ev(2, text="dup")], conn)

        assert [e.seq for e in recorder.select("s")] == [1]
