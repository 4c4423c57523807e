"""Two groups of one log side by side: rates, Newcombe intervals, pooled z-test, Benjamini–Hochberg, by hand;
segments and periods; the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control, norm
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.errors import InputError
from ivr_text.ivr import menu_from_data
from ivr_text.ivr.compare import benjamini_hochberg, compare_events, period_bounds, two_proportions, welch

MENU = menu_from_data({"nodes": [{"id": "root"}, {"id": "svc", "parent": "root", "key": "1", "kind": "service"},
                                 {"id": "agent", "parent": "root", "key": "0", "kind": "agent"}]})


def _log():
    """Segment A: 100 calls, 30 zero out to the agent; segment B: 100 calls, 10 do. A in January, B in February."""
    rows = []
    for seg, month, transfers in (("A", "2024-01", 30), ("B", "2024-02", 10)):
        for i in range(100):
            cid, t = f"{seg}{i:03d}", pd.Timestamp(f"{month}-05 10:00") + pd.Timedelta(minutes=7 * i)
            rows.append((cid, t, "root", "enter", None, seg))
            if i < transfers:
                rows += [(cid, t + pd.Timedelta(seconds=5), "root", "key", "0", seg),
                         (cid, t + pd.Timedelta(seconds=6), "agent", "enter", None, seg),
                         (cid, t + pd.Timedelta(seconds=7 + i % 3), "agent", "transfer", None, seg)]
            else:
                rows += [(cid, t + pd.Timedelta(seconds=4), "root", "key", "1", seg),
                         (cid, t + pd.Timedelta(seconds=5), "svc", "enter", None, seg),
                         (cid, t + pd.Timedelta(seconds=20 + i % 5), "svc", "complete", None, seg)]
    return pd.DataFrame(rows, columns=["call_id", "ts", "node", "event", "key", "segment"])


def _wilson(k, n, z=1.96):
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return c - h, c + h


def test_two_proportions_by_hand():
    d, lo, hi, p = two_proportions(30, 100, 10, 100)
    (l1, u1), (l2, u2) = _wilson(30, 100), _wilson(10, 100)
    assert d == pytest.approx(0.2)
    assert lo == pytest.approx(0.2 - np.sqrt((0.3 - l1) ** 2 + (u2 - 0.1) ** 2))
    assert hi == pytest.approx(0.2 + np.sqrt((u1 - 0.3) ** 2 + (0.1 - l2) ** 2))
    assert p == pytest.approx(2 * norm.sf(0.2 / np.sqrt(0.2 * 0.8 * 2 / 100)))


def test_benjamini_hochberg_matches_scipy():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.random(int(rng.integers(1, 40))) ** 2
        assert benjamini_hochberg(p) == pytest.approx(false_discovery_control(p))
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])


def test_welch_by_hand():
    x, y = np.array([1.0, 2, 3, 4]), np.array([2.0, 4, 6, 8, 10])
    from scipy.stats import ttest_ind

    d, lo, hi, p = welch(x, y)
    assert d == pytest.approx(-3.5) and p == pytest.approx(ttest_ind(x, y, equal_var=False).pvalue)
    assert lo < d < hi


def test_segments_compared_per_kpi_node_and_transition():
    c = compare_events(_log(), MENU, groups="segment=A,B", min_n=10)
    t = c.table.set_index(["scope", "item", "measure"])
    row = t.loc[("kpi", "transfer_rate", "share of calls")]
    assert (row["a_count"], row["a_n"], row["b_count"], row["b_n"]) == (30, 100, 10, 100)
    assert row["difference"] == pytest.approx(0.2) and row["significant"]
    d, lo, hi, p = two_proportions(30, 100, 10, 100)
    assert (row["ci_low"], row["ci_high"], row["p_value"]) == pytest.approx((lo, hi, p))
    # the zero-out is credited to the root, where the callers asked for an agent
    req = t.loc[("node", "root", "transfer_request_rate")]
    assert (req["a_count"], req["a_n"], req["b_count"], req["b_n"]) == (30, 100, 10, 100)
    edge = t.loc[("transition", "root → agent", "share of the node's next steps")]
    assert (edge["a_count"], edge["a_n"]) == (30, 100)
    assert (t.loc[("node", "svc", "reach")][["a_count", "b_count"]] == [70, 90]).all()
    secs = t.loc[("kpi", "mean_call_seconds", "mean seconds (Welch)")]
    assert secs["a_n"] == 100 and not np.isnan(secs["p_value"])
    # adjusted p-values over every row tested, sorted by them
    assert c.table["p_adjusted"].tolist() == sorted(c.table["p_adjusted"])
    assert c.table["p_adjusted"].to_numpy() == pytest.approx(false_discovery_control(c.table["p_value"].to_numpy()))
    assert c.groups["a"]["calls"] == 100 and c.groups["by"] == "segment"


def test_periods_and_bad_specs():
    c = compare_events(_log(), MENU, periods="2024-01,2024-02", min_n=10)
    assert c.groups["by"] == "period" and c.groups["a"]["calls"] == 100 == c.groups["b"]["calls"]
    row = c.table.set_index(["scope", "item"]).loc[("kpi", "transfer_rate")]
    assert row["a_rate"] == 0.3 and row["b_rate"] == 0.1
    assert period_bounds("2024-W02") == (pd.Timestamp("2024-01-08"), pd.Timestamp("2024-01-15"))
    assert period_bounds("2024-01-01..2024-01-15")[1] == pd.Timestamp("2024-01-16")
    assert period_bounds("2024")[0] == pd.Timestamp("2024-01-01")
    with pytest.raises(InputError, match="segment 'C' is not in the log"):
        compare_events(_log(), MENU, groups="segment=A,C")
    with pytest.raises(InputError, match="by 'segment' only"):
        compare_events(_log(), MENU, groups="brand=A,B")
    with pytest.raises(InputError, match="not a year"):
        compare_events(_log(), MENU, periods="last month,2024-02")
    with pytest.raises(InputError, match="overlap"):
        compare_events(_log(), MENU, periods="2024,2024-02")


def test_compare_cli(tmp_path):
    src = tmp_path / "log.csv"
    _log().to_csv(src, index=False)
    r = CliRunner().invoke(app, ["ivr", "compare", str(src), "--groups", "segment=A,B", "--min-n", "10",
                                 "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "A = A (100 calls), B = B (100 calls)" in r.output and "Most significant differences" in r.output
    table = pd.read_csv(tmp_path / "out" / "compare.csv")
    assert table.iloc[0]["p_adjusted"] == table["p_adjusted"].min()
    js = json.loads((tmp_path / "out" / "compare.json").read_text(encoding="utf-8"))
    assert js["correction"] == "Benjamini-Hochberg" and len(js["rows"]) == len(table)
    bad = CliRunner().invoke(app, ["ivr", "compare", str(src), "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "either --groups or --periods" in bad.output
    bad = CliRunner().invoke(app, ["ivr", "compare", str(src), "--groups", "segment=A,Z", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "segment 'Z' is not in the log" in bad.output and "Traceback" not in bad.output
