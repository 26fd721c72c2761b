"""The journal on real SQLite files: append-only versions, checks, lists, and the event log
left alone (a session re-runs the same with notes)."""

from __future__ import annotations

import pytest

from ntree.runner import replay_check
from ntree.service import ServiceError

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

START = {"symbol": "SPY", "t_start": "2024-07-08", "t_end": "2024-07-08", "disp_tf": "5m"}


@pytest.fixture
def played(replay_service) -> str:
    """A session with one closed trade and one open, saved."""
    svc = replay_service
    sid = svc.start(START)["session_id"]
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 2})
    svc.command("step", {"session_id": sid, "disp_steps": 2})
    svc.command("flatten", {"session_id": sid})
    svc.command("step", {"session_id": sid, "disp_steps": 1})
    svc.command("place", {"session_id": sid, "side": "SELL", "type": "MARKET", "qty": 1})
    svc.command("step", {"session_id": sid, "disp_steps": 1})
    return sid


def test_a_note_edited_twice_keeps_every_version_and_shows_the_latest(
    replay_service, played
) -> None:
    svc = replay_service
    first = svc.add_journal({"session_id": played, "trade_id": 1, "setup": "band fade"})
    svc.add_journal({"session_id": played, "text": "slow open", "rating": 2})
    last = svc.add_journal(
        {
            "session_id": played,
            "trade_id": 1,
            "setup": "mid reclaim",
            "text": "took it early",
            "tags": ["a+", "morning"],
            "mistakes": ["early exit"],
            "rating": 4,
        }
    )

    assert (first["version"], last["version"]) == (1, 2)
    entries = svc.journal(played)["entries"]
    assert [(e["trade_id"], e["version"]) for e in entries] == [(None, 1), (1, 2)]
    assert entries[1]["setup"] == "mid reclaim" and entries[1]["mistakes"] == ["early exit"]
    history = svc.journal(played, history=True)["entries"][1]["history"]
    assert [(h["version"], h["setup"]) for h in history] == [(1, "band fade")]


def test_notes_on_the_open_trade_are_accepted_and_never_touch_the_event_log(
    replay_service, played
) -> None:
    svc = replay_service
    events_before = len(svc.event_log(played))
    svc.add_journal({"session_id": played, "trade_id": 2, "text": "still in"})
    svc.command("end", {"session_id": played})
    n_events = len(svc.event_log(played))
    svc.add_journal({"session_id": played, "trade_id": 2, "text": "closed at the bell"})
    svc.add_journal({"session_id": played, "text": "overall fine"})

    assert len(svc.event_log(played)) == n_events > events_before
    result = replay_check(svc.db_engine, played)
    assert result.ok, result.message


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "missing_field", "session_id"),
        ({"session_id": 5}, "bad_type", "session_id"),
        ({"trade_id": "1"}, "bad_type", "trade_id"),
        ({"rating": "high"}, "bad_type", "rating"),
        ({"rating": 6}, "bad_rating", "rating"),
        ({"rating": 0}, "bad_rating", "rating"),
        ({"tags": "a,b"}, "bad_type", "tags"),
        ({"tags": ["ok", 3]}, "bad_type", "tags[1]"),
        ({"tags": ["x" * 65]}, "bad_tags", "tags[0]"),
        ({"mistakes": [""]}, "bad_mistakes", "mistakes[0]"),
        ({"text": "x" * 5001}, "bad_text", "text"),
        ({"setup": 7}, "bad_type", "setup"),
        ({"setup": "s" * 65}, "bad_setup", "setup"),
        ({"mood": "calm"}, "unknown_field", "mood"),
        ({"trade_id": 99, "text": "?"}, "unknown_trade", "trade_id"),
        ({"session_id": "nope", "text": "?"}, "unknown_session", "session_id"),
        ({}, "empty_entry", None),
    ],
)
def test_a_bad_note_is_refused_with_its_code_and_field(
    replay_service, played, body, code, field
) -> None:
    full = {"session_id": played, **body} if body or code == "empty_entry" else body
    with pytest.raises(ServiceError) as err:
        replay_service.add_journal(full)
    assert (err.value.code, err.value.field) == (code, field)
    assert replay_service.journal(played)["entries"] == []


def test_the_setup_and_mistake_lists_start_for_channel_trading_and_can_be_edited(
    replay_service,
) -> None:
    lists = replay_service.journal_lists()
    assert lists["setups"][:3] == ["band fade", "mid reclaim", "breakout"]
    assert "VWAP reversion" in lists["setups"] and "moved stop" in lists["mistakes"]

    edited = replay_service.set_journal_list({"kind": "setup", "names": ["band fade", "gap fill"]})

    assert edited["setups"] == ["band fade", "gap fill"]
    assert edited["mistakes"] == lists["mistakes"]
    with pytest.raises(ServiceError) as err:
        replay_service.set_journal_list({"kind": "mood", "names": []})
    assert err.value.code == "bad_kind"
    replay_service.set_journal_list({"kind": "setup", "names": lists["setups"]})
