"""The commands as Python methods: each builds its command and applies it, exactly as
:meth:`ReplaySession.execute` does (a bot's or a script's way in, with signatures and types)."""

from __future__ import annotations

from ntree.engine.commands import (
    Cancel,
    CancelAll,
    CancelLadder,
    End,
    Flatten,
    LinkOco,
    Modify,
    Note,
    Pause,
    Place,
    PlaceLadder,
    Play,
    ReplaceOrders,
    SetBracket,
    SetDispTf,
    SetSpeed,
    Step,
)
from ntree.engine.events import Event


class SessionCommands:
    """A mixin of :class:`~ntree.engine.session.ReplaySession`: one method per command, each
    calling the command's handler directly (as ``execute`` would, without the look-up)."""

    def place(
        self,
        side: str,
        type: str,
        qty: int,
        price: float | None = None,
        tag: str | None = None,
        oco_group: str | None = None,
        bracket: dict | None = None,
    ) -> int:
        """Place an order, live from the next 1m bar; return its id."""
        return self._place(Place(side, type, qty, price, tag, oco_group, bracket))

    def cancel(self, order_id: int) -> None:
        """Cancel a working order."""
        self._cancel_order(Cancel(order_id))

    def cancel_all(self) -> int:
        """Cancel every working order; return how many were canceled."""
        return self._cancel_all(CancelAll())

    def replace_orders(self, orders: list[dict]) -> list[int]:
        """Cancel every working order and place ``orders`` (place's arguments) instead, all
        or nothing, as one ORDERS_REPLACED event; return the new ids."""
        return self._replace_orders(ReplaceOrders(orders))

    def modify(self, order_id: int, price: float | None = None, qty: int | None = None) -> None:
        """Change a working order's price and/or qty (same id; counted in mods_count)."""
        self._modify(Modify(order_id, price, qty))

    def flatten(self) -> None:
        """Cancel every working order and close the position at the next 1m bar's open."""
        self._flatten(Flatten())

    def set_bracket(
        self,
        tp: float | None = None,
        sl: float | None = None,
        *,
        tp_offset: float | None = None,
        sl_offset: float | None = None,
        tp_ticks: int | None = None,
        sl_ticks: int | None = None,
    ) -> None:
        """Attach a take-profit and/or stop-loss (an OCO pair) to the open position: prices,
        or offsets from its average price (points or ticks)."""
        self._set_bracket(SetBracket(tp, sl, tp_offset, sl_offset, tp_ticks, sl_ticks))

    def link_oco(self, order_ids: list[int]) -> str:
        """Link two working orders one-cancels-other; return their OCO group."""
        return self._link_oco(LinkOco(order_ids))

    def place_ladder(
        self,
        qty: int,
        levels: int | None = None,
        step_atr: float | None = None,
        weights: list[float] | None = None,
        side: str | None = None,
        ladder_id: str | None = None,
    ) -> list[int]:
        """Lay a weighted ladder of limits outside the channel (see PlaceLadder); return the
        new ids."""
        return self._place_ladder(PlaceLadder(qty, levels, step_atr, weights, side, ladder_id))

    def cancel_ladder(self, ladder_id: str | None = None) -> int:
        """Cancel a ladder's working orders; return how many."""
        return self._cancel_ladder(CancelLadder(ladder_id))

    def pause(self) -> None:
        self._pause(Pause())

    def play(self) -> None:
        self._play(Play())

    def set_speed(self, speed: float) -> None:
        """Set the pacing (display bars per minute in the UI); it never changes results."""
        self._set_speed(SetSpeed(speed))

    def note(self, text: str) -> None:
        self._note(Note(text))

    def set_disp_tf(self, disp_tf: int | str) -> None:
        """Switch the display timeframe at a boundary both frames share."""
        self._switch_disp_tf(SetDispTf(disp_tf))

    def advance(self, disp_steps: int | None = None, exec_steps: int | None = None) -> list[Event]:
        """Move the clock exactly as :meth:`step` does, without building the screen's views
        (for bots and headless runs); return the events since the previous step."""
        return self._advance(Step(disp_steps, exec_steps))

    def end(self) -> None:
        """End the session now: flatten at the last 1m close and write the summary."""
        self._end(End())
