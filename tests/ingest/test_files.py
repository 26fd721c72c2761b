"""File import on small real files: bad rows named by line, epoch/naive/close-stamped times,
a 5-minute file refused, a re-import that writes nothing, Parquet, the CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from ntree import cli, db
from ntree.ingest.files import FileImportError, import_files

pytestmark = pytest.mark.both_databases  # and PostgreSQL with NTREE_TEST_PG_URL

HEADER = "timestamp,open,high,low,close,volume\n"


@pytest.fixture
def engine(empty_db_url: str) -> sa.Engine:
    """The test's own database (SQLite, and PostgreSQL with NTREE_TEST_PG_URL)."""
    return db.connect(empty_db_url)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def minute_rows(start: str, n: int, *, tz: str | None = "UTC") -> list[str]:
    """Return n clean 1m rows from ``start`` as ISO text (with an offset unless tz is None)."""
    out = []
    for i in range(n):
        ts = pd.Timestamp(start) + pd.Timedelta(minutes=i)
        stamp = ts.isoformat() if tz else ts.strftime("%Y-%m-%d %H:%M:%S")
        px = 100 + i * 0.01
        out.append(f"{stamp},{px:.2f},{px + 0.05:.2f},{px - 0.05:.2f},{px + 0.01:.2f},{100 + i}\n")
    return out


def stored(engine: sa.Engine, symbol: str = "TEST") -> pd.DataFrame:
    return db.load_bars(engine, symbol)


def test_a_file_with_known_bad_rows_reports_exactly_those_lines_and_writes_nothing(
    tmp_path: Path, engine: sa.Engine
) -> None:
    rows = minute_rows("2024-03-01T14:30:00+00:00", 10)
    rows[1] = "2024-03-01T14:31:00+00:00,100.00,99.00,99.50,100.20,5\n"  # line 3: high low
    rows[3] = "2024-03-01T14:33:00+00:00,100.00,101.00,100.10,100.20,5\n"  # line 5: low high
    rows[4] = "2024-03-01T14:34:00+00:00,100.00,101.00,99.00,100.20,-1\n"  # line 6: volume
    rows[5] = "2024-03-01T14:35:30+00:00,100.00,101.00,99.00,100.20,5\n"  # line 7: off minute
    rows[6] = "2024-03-01T14:36:00+00:00,n/a,101.00,99.00,100.20,5\n"  # line 8: not a number
    rows[8] = "2024-03-01T14:36:00+00:00,100.00,101.00,99.00,100.20,5\n"  # line 10: duplicate
    rows[9] = "2024-03-01T14:39:00+00:00,100.003,101.00,99.00,100.20,5\n"  # line 11: off tick
    path = write(tmp_path, "bad.csv", HEADER + "".join(rows))

    report = import_files(engine, [path], "TEST")

    assert sorted({p.line for p in report.problems}) == [3, 5, 6, 7, 8, 10, 11]
    reasons = {p.line: p.reason for p in report.problems}
    assert reasons[3] == "high 99 is below max(open, close) 100.2"
    assert reasons[5] == "low 100.1 is above min(open, close) 100"
    assert reasons[6] == "volume is negative: -1"
    assert reasons[7] == "time is not on the minute"
    assert reasons[8] == "open is not a number: 'n/a'"
    assert reasons[10].startswith("duplicate time 2024-03-01 14:36 UTC (first at bad.csv:8)")
    assert reasons[11] == "open 100.003 is not on the 0.01 tick"
    assert not report.written and report.added == 0
    assert stored(engine).empty  # all or nothing

    skipped = import_files(engine, [path], "TEST", skip_bad=True)

    assert skipped.written and skipped.added == 3  # lines 2, 4 and 9
    assert stored(engine).index.strftime("%H:%M").tolist() == ["14:30", "14:32", "14:37"]


def test_vendor_float32_prices_are_stored_on_the_tick(tmp_path: Path, engine: sa.Engine) -> None:
    f32 = "256.8800048828125,256.9000061035156,256.8699951171875,256.8900146484375"
    text = HEADER + f"2024-03-01T14:30:00Z,{f32},10\n"

    report = import_files(engine, [write(tmp_path, "f32.csv", text)], "TEST")

    assert report.problems == [] and report.added == 1
    bar = stored(engine).iloc[0]
    assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (256.88, 256.9, 256.87, 256.89)


def test_epoch_seconds_milliseconds_and_nanoseconds_all_read_as_utc(
    tmp_path: Path, engine: sa.Engine
) -> None:
    t0 = int(pd.Timestamp("2024-03-01T14:30:00Z").timestamp())
    for name, scale, symbol in (("s", 1, "S"), ("ms", 10**3, "MS"), ("ns", 10**9, "NS")):
        body = "".join(f"{(t0 + 60 * i) * scale},10,11,9,10,1\n" for i in range(3))
        path = write(tmp_path, f"{name}.csv", "t,o,h,l,c,v\n" + body)

        report = import_files(engine, [path], symbol)

        assert report.added == 3, report.lines()
        assert stored(engine, symbol).index[0] == pd.Timestamp("2024-03-01T14:30:00Z")


def test_naive_times_are_read_in_the_given_zone_across_a_dst_change(
    tmp_path: Path, engine: sa.Engine
) -> None:
    body = "".join(
        minute_rows("2024-03-08 09:30", 2, tz=None) + minute_rows("2024-03-11 09:30", 2, tz=None)
    )
    path = write(
        tmp_path,
        "naive.csv",
        "Date Time,Open,High,Low,Close,Volume\n".replace("Date Time", "datetime") + body,
    )

    report = import_files(engine, [path], "TEST", tz="America/New_York")

    assert report.added == 4, report.lines()
    # 09:30 New York is 14:30 UTC before the March change and 13:30 UTC after it.
    assert stored(engine).index.strftime("%m-%d %H:%M").tolist() == [
        "03-08 14:30",
        "03-08 14:31",
        "03-11 13:30",
        "03-11 13:31",
    ]


def test_separate_date_and_time_columns_and_a_headerless_kibot_file(
    tmp_path: Path, engine: sa.Engine
) -> None:
    kibot = (
        "03/01/2024,09:30,10.00,10.10,9.90,10.05,100\n03/01/2024,09:31,10.05,10.10,10.00,10.02,50\n"
    )

    report = import_files(engine, [write(tmp_path, "kibot.txt", kibot)], "TEST")

    assert report.added == 2, report.lines()
    assert stored(engine).index[0] == pd.Timestamp("2024-03-01T14:30:00Z")


def test_a_close_labelled_file_is_shifted_to_bar_open_times(
    tmp_path: Path, engine: sa.Engine
) -> None:
    body = "".join(minute_rows("2024-03-01T14:31:00+00:00", 3))

    report = import_files(engine, [write(tmp_path, "ts.csv", HEADER + body)], "TEST", label="close")

    assert report.added == 3
    assert stored(engine).index[0] == pd.Timestamp("2024-03-01T14:30:00Z")


def test_a_file_of_five_minute_bars_is_refused_with_a_message_that_says_so(
    tmp_path: Path, engine: sa.Engine
) -> None:
    body = "".join(
        f"{pd.Timestamp('2024-03-01T14:30:00Z') + pd.Timedelta(minutes=5 * i):%Y-%m-%dT%H:%M}Z"
        ",10,11,9,10,1\n"
        for i in range(6)
    )

    with pytest.raises(FileImportError, match="5-minute bars"):
        import_files(engine, [write(tmp_path, "five.csv", HEADER + body)], "TEST")
    assert stored(engine).empty


def test_a_re_import_of_the_same_file_writes_nothing(tmp_path: Path, engine: sa.Engine) -> None:
    path = write(tmp_path, "day.csv", HEADER + "".join(minute_rows("2024-03-01T14:30:00Z", 30)))
    first = import_files(engine, [path], "TEST")
    meta_before = db.symbol_info(engine, "TEST")

    again = import_files(engine, [path], "TEST")

    assert (first.added, again.added, again.already_present) == (30, 0, 30)
    assert again.problems == []
    assert db.symbol_info(engine, "TEST") == meta_before  # not even the metadata rewritten


def test_a_bar_that_differs_from_the_stored_one_is_reported_not_overwritten(
    tmp_path: Path, engine: sa.Engine
) -> None:
    import_files(
        engine,
        [write(tmp_path, "a.csv", HEADER + "".join(minute_rows("2024-03-01T14:30:00Z", 2)))],
        "TEST",
    )
    changed = HEADER + "2024-03-01T14:30:00Z,100.00,100.05,99.95,100.02,100\n"

    report = import_files(engine, [write(tmp_path, "b.csv", changed)], "TEST")

    assert [p.reason for p in report.problems] == [
        "differs from the bar already stored for TEST at 2024-03-01 14:30 UTC"
    ]
    assert stored(engine).iloc[0]["close"] == 100.01


def test_parquet_with_one_letter_columns_and_extras_imports(
    tmp_path: Path, engine: sa.Engine
) -> None:
    idx = pd.date_range("2024-03-01T14:30:00Z", periods=5, freq="1min")
    frame = pd.DataFrame(
        {"T": idx, "O": 10.0, "H": 10.5, "L": 9.5, "C": 10.25, "V": 7, "vw": 10.1, "n": 3}
    )
    frame.loc[2, "H"] = 9.0  # row 3: high below the body
    path = tmp_path / "bars.parquet"
    frame.to_parquet(path)

    report = import_files(engine, [path], "TEST", skip_bad=True)

    assert [str(p) for p in report.problems] == [
        "bars.parquet row 3: high 9 is below max(open, close) 10.25"
    ]
    assert report.added == 4


def test_cli_import_prints_bad_lines_and_exits_2_then_skip_bad_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], empty_db_url: str
) -> None:
    rows = minute_rows("2024-03-01T14:30:00Z", 3)
    rows[1] = "2024-03-01T14:31:00Z,1,1,1,1,-3\n"
    path = write(tmp_path, "x.csv", HEADER + "".join(rows))
    url = empty_db_url

    code = cli.main(["data", "import", str(path), "--symbol", "spy", "--db", url])

    out, err = capsys.readouterr()
    assert code == 2
    assert "x.csv:3: volume is negative: -3" in out
    assert (
        err.strip()
        == "ntree: error: 1 bad rows; nothing imported (--skip-bad imports the 2 good rows)"
    )
    assert (
        cli.main(["data", "import", str(path), "--symbol", "spy", "--db", url, "--skip-bad"]) == 0
    )
    assert "SPY: 3 rows read, 2 added, 0 already present, 1 bad" in capsys.readouterr().out


def test_cli_import_refusals_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], empty_db_url: str
) -> None:
    path = write(tmp_path, "nocol.csv", "when,open,high,low,close\n1,2,3,4,5\n")
    url = empty_db_url
    cases = (
        ([str(path)], "no volume column"),
        ([str(tmp_path / "missing.csv")], "missing.csv: no such file"),
        ([str(path), "--exchange", "NOPE"], "unknown exchange calendar"),
        ([str(path), "--tz", "Mars/Olympus"], "unknown time zone"),
        ([str(path), "--columns", "bogus=when"], "unknown key 'bogus'"),
    )
    for argv, message in cases:
        assert cli.main(["data", "import", *argv, "--symbol", "X", "--db", url]) == 2
        err = capsys.readouterr().err
        assert err.startswith("ntree: error: ") and message in err and err.count("\n") == 1
