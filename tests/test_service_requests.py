"""The request fields that are not commands: one type rule with the commands' fields."""

from __future__ import annotations

import pytest

from ntree.engine import EngineError
from ntree.runner import open_session
from ntree.service import ServiceError
from ntree.service.requests import req_bool, req_dict, req_int, req_number, req_str

START = {"symbol": "SPY", "t_start": "2024-08-06", "t_end": "2024-08-06", "disp_tf": "5m"}


def _refusal(call, *args) -> tuple[str, str, str | None]:
    with pytest.raises(ServiceError) as caught:
        call(*args)
    return caught.value.code, caught.value.message, caught.value.field


def test_a_start_field_and_a_command_field_of_one_type_are_refused_in_the_same_words(
    replay_service,
):
    sid = replay_service.start(START)["session_id"]
    start = _refusal(replay_service.start, {**START, "speed": "fast"})
    command = _refusal(replay_service.command, "set_speed", {"session_id": sid, "speed": "fast"})
    assert (
        start == command == ("bad_type", "field 'speed' must be a finite number, got str", "speed")
    )


@pytest.mark.parametrize(
    ("read", "value", "message"),
    [
        (req_str, 3, "field 'f' must be a string, got int"),
        (req_str, "  ", "field 'f' must be a non-empty string, got str"),
        (req_int, 1.5, "field 'f' must be an integer, got float"),
        (req_int, True, "field 'f' must be an integer, got bool"),
        (req_number, float("inf"), "field 'f' must be a finite number, got float"),
        (req_dict, [1], "field 'f' must be an object, got list"),
    ],
)
def test_a_request_field_of_the_wrong_type_is_refused_naming_it(read, value, message):
    assert _refusal(read, {"f": value}, "f") == ("bad_type", message, "f")


def test_an_absent_required_field_is_missing_and_an_optional_one_none():
    assert _refusal(req_int, {}, "f")[0] == "missing_field"
    assert req_int({}, "f", required=False) is None
    assert req_bool({}, "f", True) is True
    assert req_int({"f": 2.0}, "f") == 2  # an integral float reads as an int, as in commands
    assert _refusal(req_int, {"f": 2**63}, "f")[0] == "out_of_range"


@pytest.mark.parametrize(
    ("over", "code", "field"),
    [
        ({"symbol": "ZZZZ"}, "unknown_symbol", "symbol"),
        ({"t_start": "2024-08-07", "t_end": "2024-08-06"}, "bad_range", "t_end"),
        ({"disp_tf": "2m"}, "bad_tf", "disp_tf"),
    ],
)
def test_a_start_the_runner_refuses_is_refused_in_the_runners_words_naming_the_field(
    replay_service, over, code, field
):
    body = {**START, **over}
    with pytest.raises(EngineError) as runner:
        open_session(
            replay_service.db_engine,
            body["symbol"],
            body["t_start"],
            body["t_end"],
            body["disp_tf"],
        )
    assert _refusal(replay_service.start, body) == (code, runner.value.message, field)
