"""Usage periods: ``read_table(path, "usage")`` and ``read_usage`` accept exactly the rows ``ivr-text churn`` does.

Months, ISO weeks and dates are parsed by one function (:mod:`ivr_text.io.periods`); the command calls the
library, and the rejected rows it writes are byte-identical to the library's.
"""

from __future__ import annotations

import datetime

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from ivr_text.churn.monthly import to_months
from ivr_text.churn.reading import read_usage
from ivr_text.cli.main import app
from ivr_text.io import read_table, write_rejected
from ivr_text.io.periods import parse_raw_periods, usage_periods

ROWS = [  # customer_id, period, minutes — and what reading does with the row
    ("U1", "2024-W05", "10"),      # ISO week 5 of 2024: Monday 29 Jan, Thursday 1 Feb → February
    ("U1", "2024年第6周", "20"),    # week 6 → February
    ("U1", "2024-W05", "99"),      # the same week again: rejected as a duplicate
    ("U2", "20240315", "5"),       # a date → March
    ("U2", "2024-03-20", "7"),     # another date of March
    ("U3", "202401", "1"),         # months in three spellings
    ("U3", "2024/2", "2"),
    ("U3", "2024年3月", "3"),
    ("U4", "2024-13", "1"),        # unparseable
    ("U4", "soon", "1"),           # unparseable
    ("U4", "1950-06", "1"),        # outside the default date window 1990-01-01..2100-01-01
    ("U5", "", "1"),               # missing period
    ("U6", "2024-04", "abc"),      # a measure that is not a number: rejected before its period is looked at
]


def _usage_file(tmp_path):
    path = tmp_path / "usage.csv"
    pd.DataFrame(ROWS, columns=["customer_id", "period", "minutes"]).to_csv(path, index=False)
    return path


def test_read_table_accepts_weeks_dates_and_months(tmp_path):
    t = read_table(_usage_file(tmp_path), "usage")
    assert t.data["period"].tolist() == ["2024-W05", "2024-W06", "2024-W05", "2024-03-15", "2024-03-20",
                                         "2024-01", "2024-02", "2024-03"]
    reasons = dict(zip(t.rejected["source_row"], t.rejected["reason"]))
    assert sorted(reasons) == [10, 11, 12, 13, 14]  # header is line 1
    assert reasons[10].startswith("column 'period': unparseable period '2024-13' (expected YYYY-MM")
    assert reasons[12] == "column 'period': outside 1990-01-01..2100-01-01 (--date-window FROM..TO to change)"
    assert reasons[13] == "missing value in required column 'period'"
    assert reasons[14] == "column 'minutes': unparseable float 'abc'"
    assert t.read == t.used + len(t.rejected) == len(ROWS)


def test_weeks_and_dates_combine_into_their_months(tmp_path):
    t = read_usage(_usage_file(tmp_path))
    assert sorted(t.rejected["source_row"]) == [4, 10, 11, 12, 13, 14]
    monthly, info = to_months(t.data, "mean")
    got = {(c, p): m for c, p, m in monthly[["customer_id", "period", "minutes"]].itertuples(index=False)}
    assert got[("U1", "2024-02")] == 15.0      # mean of weeks 5 and 6 (the repeated week 5 is rejected)
    assert got[("U2", "2024-03")] == 6.0       # mean of the two dates
    assert [got[("U3", f"2024-0{m}")] for m in (1, 2, 3)] == [1.0, 2.0, 3.0]
    assert set(info["period_grains"]) == {"month", "week", "day"}


def test_command_and_library_reject_the_same_rows(tmp_path):
    path = _usage_file(tmp_path)
    feedback = tmp_path / "feedback.csv"
    feedback.write_text("customer_id,ts\nU1,2024-02-03\n", encoding="utf-8")
    runner = CliRunner()
    for command, dedupe in (["churn", "quality", str(path)], False), (
            ["churn", "signal", "--usage", str(path), "--feedback", str(feedback)], True):
        out = tmp_path / command[1]
        r = runner.invoke(app, [*command, "--out", str(out)])
        assert r.exit_code == 0, r.output
        lib = read_usage(path, dedupe=dedupe)
        mine = write_rejected(lib, tmp_path / f"lib_{command[1]}", "usage")
        assert (out / "rejected_usage.csv").read_bytes() == mine.read_bytes()
        assert f"read {lib.read:,} = used {lib.used:,} + rejected {len(lib.rejected):,}" in r.output


@given(st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2099, 12, 31)))
def test_labels_round_trip_to_the_same_month_and_sub_period(day):
    year, week, _ = day.isocalendar()
    raw = pd.Series([day.strftime("%Y%m%d"), f"{year}年第{week}周", f"{day.year}年{day.month}月"], dtype="string")
    labels, bad, outside = usage_periods(raw, (pd.Timestamp("1980-01-01"), pd.Timestamp("2110-01-01")))
    assert not bad.any() and not outside.any()
    assert labels.tolist() == [day.isoformat(), f"{year:04d}-W{week:02d}", f"{day.year:04d}-{day.month:02d}"]
    assert [x.tolist() for x in parse_raw_periods(raw)] == [x.tolist() for x in parse_raw_periods(labels)]
    thursday = day + datetime.timedelta(days=3 - day.weekday())
    assert parse_raw_periods(labels)[0][1] == thursday.year * 12 + thursday.month - 1
