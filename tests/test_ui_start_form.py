"""The start form's presets and session note on each symbol's own calendar."""

from __future__ import annotations

import pandas as pd

from ntree.ui import start_form


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_hong_kong_trading_days_skip_its_holidays_not_new_york_s() -> None:
    # 2024-04-04 (Ching Ming) closes Hong Kong, not New York; 2024-03-29 (Good Friday) both.
    rng = (utc("2024-03-27 01:30"), utc("2024-04-08 08:00"))

    days = start_form.trading_days(rng, "XHKG")

    assert [d.strftime("%m-%d") for d in days] == [
        "03-27", "03-28", "04-02", "04-03", "04-05", "04-08"
    ]  # fmt: skip
    assert "04-04" in [d.strftime("%m-%d") for d in start_form.trading_days(rng)]


def test_a_preset_of_the_last_5_days_counts_the_exchange_s_sessions() -> None:
    days = start_form.trading_days((utc("2024-03-27 01:30"), utc("2024-04-08 08:00")), "XHKG")

    start, end = start_form.preset_range(days, "last5", None, None)

    assert (start.strftime("%m-%d"), end.strftime("%m-%d")) == ("03-28", "04-08")


def test_the_session_note_names_each_exchange_s_hours_and_break() -> None:
    day = pd.Timestamp("2024-03-01")

    assert start_form.session_hours(day) == "09:30–16:00 ET"
    assert start_form.session_hours(day, "XHKG") == "09:30–12:00, 13:00–16:00 Hong Kong"
    assert start_form.session_hours(day, "XLON") == "08:00–16:30 London"
