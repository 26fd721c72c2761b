"""Blind replay through the service and the REST API: the log and the API keep the real
values, SESSION_START records blind only when on, and a blind session re-runs exactly."""

from __future__ import annotations

import json

from ntree.engine import SessionConfig
from ntree.engine.config import checked_config

DAY = "2024-08-06"
START = {"symbol": "SPY", "t_start": DAY, "t_end": DAY, "disp_tf": "5m", "seed": 1}


def post(client, path, body):
    return client.post(f"/replay/{path}", data=json.dumps(body), content_type="application/json")


def _start_params(svc, sid: str) -> dict:
    return svc.event_log(sid)[0]["payload"]["params"]


def test_a_session_that_is_not_blind_records_no_blind_field(replay_service):
    sid = replay_service.start(dict(START))["session_id"]
    params = _start_params(replay_service, sid)
    assert not any(k.startswith("blind") for k in params)
    assert "blind" not in replay_service.state({"session_id": sid})


def test_blind_start_records_the_anchors_and_the_api_state_stays_real(api_client, replay_service):
    r = post(api_client, "start", {**START, "blind": True})
    assert r.status_code == 200, r.get_json()
    sid = r.get_json()["session_id"]
    params = _start_params(replay_service, sid)
    assert params["blind"] is True
    st = api_client.get(f"/replay/state?session_id={sid}").get_json()
    assert st["blind"] is True and st["symbol"] == "SPY"  # the API is not blind: bots see all
    assert st["blind_rebase"]["price_anchor"] == params["blind_price_anchor"]
    assert st["blind_rebase"]["volume_anchor"] == params["blind_volume_anchor"]
    # the anchor is the real open of the session's first bar
    step = post(api_client, "step", {"session_id": sid, "disp_steps": 1}).get_json()
    assert step["bars"][0]["ts"].startswith(DAY)
    assert step["bars"][0]["open"] == params["blind_price_anchor"]
    assert step["t_start"].startswith(DAY)


def test_blind_must_be_a_boolean(api_client):
    r = post(api_client, "start", {**START, "blind": "yes"})
    assert r.status_code == 400
    assert r.get_json()["error"]["field"] == "blind"


def test_a_blind_session_with_fills_passes_replay_check_and_its_fork_stays_blind(
    api_client, replay_service
):
    sid = post(api_client, "start", {**START, "blind": True}).get_json()["session_id"]
    px = api_client.get(f"/replay/state?session_id={sid}").get_json()["last_price"]
    order = {"session_id": sid, "side": "BUY", "type": "LIMIT", "qty": 10, "price": px + 0.5}
    order["bracket"] = {"tp_offset": 1.0, "sl_offset": 0.5}
    assert post(api_client, "order/place", order).status_code == 200
    assert post(api_client, "step", {"session_id": sid, "disp_steps": 12}).status_code == 200
    assert post(api_client, "end", {"session_id": sid}).status_code == 200
    check = replay_service.replay_check(sid)
    assert check.ok, check.message
    fork = post(api_client, "rewind", {"session_id": sid, "disp_bars": 3}).get_json()
    assert _start_params(replay_service, fork["session_id"])["blind"] is True
    assert (
        fork["initial_state"]["blind_rebase"]
        == replay_service.state({"session_id": sid})["blind_rebase"]
    )


def test_the_engine_refuses_a_blind_config_without_anchors():
    from ntree.engine import EngineError

    config = SessionConfig("x", "SPY", 5, "2024-08-06T13:30Z", "2024-08-06T20:00Z", blind=True)
    try:
        checked_config(config)
    except EngineError as exc:
        assert exc.code == "bad_param" and exc.field == "blind_price_anchor"
    else:
        raise AssertionError("a blind config without anchors was accepted")


def test_the_coach_leaves_out_a_blind_session_until_it_ends(replay_service):
    from ntree.service.coach import parse_filters, select_sessions

    sid = replay_service.start({**START, "blind": True})["session_id"]
    chosen = parse_filters({"session_id": [sid]})
    assert select_sessions(replay_service, chosen) == []
    replay_service.command("end", {"session_id": sid})
    assert [r["session_id"] for r in select_sessions(replay_service, chosen)] == [sid]


def test_a_blind_session_shows_buying_power_as_shown_equity_x_leverage(replay_service):
    # real money x the price factor gave the factor away ($75,639 on $100,000 at 4x: SPY)
    from ntree.ui.blind import SessionMask

    svc = replay_service
    sid = svc.start({**START, "blind": True})["session_id"]
    svc.command("place", {"session_id": sid, "side": "BUY", "type": "MARKET", "qty": 100})
    real = svc.command("step", {"session_id": sid, "disp_steps": 2})

    shown = SessionMask.of(real).mask(real)

    bp, real_bp = shown["buying_power"], real["buying_power"]
    assert bp["leverage"] == 4 and real_bp["used"] > 0
    assert bp["buying_power"] == round(shown["equity"] * 4, 2)  # what the trader can check
    share = real_bp["used"] / real_bp["buying_power"]  # the share the engine refuses at
    assert abs(bp["used"] / bp["buying_power"] - share) < 1e-6
    assert bp["available"] == round(bp["buying_power"] - bp["used"], 2)
