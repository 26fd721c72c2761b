"""The journal over REST: notes in and out, the API's 4xx errors, and a re-run unchanged."""

from __future__ import annotations

import json

import pytest

from ntree.openapi import openapi_spec
from tests.test_openapi import assert_matches_spec

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

DAY = "2024-08-06"


def _post(client, path: str, body) -> object:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(f"/replay/{path}", data=data, content_type="application/json")


def _played(client) -> str:
    """A session with one closed trade (a market buy, flattened two bars later)."""
    start = {"symbol": "AAPL", "t_start": DAY, "t_end": DAY, "disp_tf": "5m"}
    sid = _post(client, "start", start).get_json()["session_id"]
    _post(client, "step", {"session_id": sid, "disp_steps": 1})
    _post(client, "order/place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 10})
    _post(client, "step", {"session_id": sid, "disp_steps": 2})
    _post(client, "flatten", {"session_id": sid})
    _post(client, "step", {"session_id": sid, "disp_steps": 1})
    return sid


def test_a_good_note_is_stored_and_read_back_with_its_versions(api_client):
    spec = openapi_spec()
    sid = _played(api_client)
    note = {"session_id": sid, "trade_id": 1, "setup": "band fade", "text": "early", "rating": 3}
    first = assert_matches_spec(spec, _post(api_client, "journal", note), "/replay/journal")
    assert (first["version"], first["setup"], first["rating"]) == (1, "band fade", 3)
    again = _post(api_client, "journal", {**note, "mistakes": ["early exit"], "rating": 4})
    assert again.get_json()["version"] == 2
    read = api_client.get(f"/replay/journal?session_id={sid}&history=1")
    body = assert_matches_spec(spec, read, "/replay/journal", "get")
    (entry,) = body["entries"]
    assert (entry["rating"], entry["mistakes"]) == (4, ["early exit"])
    assert [h["version"] for h in entry["history"]] == [1]
    assert "band fade" in body["setups"]


def test_a_bad_rating_is_a_422_naming_the_rating_field(api_client):
    sid = _played(api_client)
    res = _post(api_client, "journal", {"session_id": sid, "rating": 9})
    assert res.status_code == 422
    assert res.get_json()["error"] | {"message": ""} == {
        "code": "bad_rating",
        "field": "rating",
        "message": "",
    }
    assert_matches_spec(openapi_spec(), res, "/replay/journal")


def test_a_note_on_an_unknown_session_is_a_404(api_client):
    res = _post(api_client, "journal", {"session_id": "nope", "text": "hi"})
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "unknown_session")
    res = api_client.get("/replay/journal?session_id=nope")
    assert (res.status_code, res.get_json()["error"]["code"]) == (404, "unknown_session")


def test_malformed_json_and_a_missing_session_id_are_400s(api_client):
    res = _post(api_client, "journal", "{not json")
    assert (res.status_code, res.get_json()["error"]["code"]) == (400, "bad_json")
    res = api_client.get("/replay/journal")
    assert (res.status_code, res.get_json()["error"]["field"]) == (400, "session_id")


def test_notes_leave_the_session_re_running_identically(api_client, replay_service):
    sid = _played(api_client)
    _post(api_client, "journal", {"session_id": sid, "text": "session note", "tags": ["a"]})
    _post(api_client, "journal", {"session_id": sid, "trade_id": 1, "rating": 2})
    assert replay_service.replay_check(sid).ok
