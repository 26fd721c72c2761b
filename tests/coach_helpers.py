"""Sessions with closed trades, played through the service as a client would play them."""

from __future__ import annotations

from pathlib import Path

from ntree.service import ReplayService


def play_brackets(
    svc: ReplayService, day: str, side: str, n: int = 2, *, disp_tf: str = "5m", end: bool = True
) -> str:
    """Play ``n`` market entries of 100 on ``day``, each with a bracket 0.40 / 0.60 away (a
    stop, so every trade has an R), stepping until flat (flattening after 6 bars); return the
    session id (ended when ``end``)."""
    sign = 1 if side == "BUY" else -1
    state = svc.start({"symbol": "SPY", "t_start": day, "t_end": day, "disp_tf": disp_tf})
    sid = state["session_id"]
    svc.command("step", {"session_id": sid, "disp_steps": 6})  # past the opening bar
    for _ in range(n):
        last = svc.state({"session_id": sid})["last_price"]
        bracket = {"tp": round(last + sign * 0.60, 2), "sl": round(last - sign * 0.40, 2)}
        order = {"side": side, "type": "MARKET", "qty": 100, "bracket": bracket}
        svc.command("place", {"session_id": sid, **order})
        for _bar in range(6):
            view = svc.command("step", {"session_id": sid, "disp_steps": 1})
            if view["position"]["qty"] == 0 and not view["orders"]:
                break
        else:
            svc.command("flatten", {"session_id": sid})
            svc.command("step", {"session_id": sid, "disp_steps": 1})
        svc.command("step", {"session_id": sid, "disp_steps": 2})
    if end:
        svc.command("end", {"session_id": sid})
    return sid


def fresh_service(folder: Path) -> ReplayService:
    """A service on a new seeded database in ``folder`` with no session played: a drill's
    "days not played yet" must not depend on what other tests played on the shared one."""
    from ntree import db
    from ntree.seed import ensure_seeded

    engine = db.connect(f"sqlite:///{folder / 'ntree.db'}")
    ensure_seeded(engine)
    return ReplayService.create(engine, folder / "cache")
