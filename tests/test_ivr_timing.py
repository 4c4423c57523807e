"""Option listening times measured from the log: clean selections, outlier screen, slope and HC0 error by hand,
the config fallback, and the advice columns that say which was used."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ivr_text.ivr import analyze_events, load_config, menu_from_data
from ivr_text.ivr.calllog import build_call_log
from ivr_text.ivr.timing import fit_line, option_timings, selections

MENU = menu_from_data({"nodes": [
    {"id": "root"}, {"id": "a", "parent": "root", "key": "1", "kind": "service"},
    {"id": "b", "parent": "root", "key": "2", "kind": "service"},
    {"id": "c", "parent": "root", "key": "3", "kind": "menu"},
    {"id": "c1", "parent": "c", "key": "1", "kind": "service"},
    {"id": "agent", "parent": "root", "key": "0", "kind": "agent"}]})
T0 = pd.Timestamp("2024-02-01 09:00:00")


def _rows():
    rows, n = [], 0

    def call(steps, end="complete"):
        nonlocal n
        n += 1
        cid, t = f"k{n:03d}", T0 + pd.Timedelta(minutes=n)
        rows.append((cid, t, "root", "enter", None))
        for node, event, key, secs in steps:
            t += pd.Timedelta(seconds=secs)
            rows.append((cid, t, node, event, key))
        rows.append((cid, t + pd.Timedelta(seconds=5), rows[-1][2], end, None))

    for secs in (3, 3, 4, 4):
        call([("root", "key", "1", secs), ("a", "enter", None, 1)])
    for secs in (5, 5, 6, 6):
        call([("root", "key", "2", secs), ("b", "enter", None, 1)])
    for secs in (7, 7, 8, 8, 60):  # 60 s: an outlier (beyond 3 IQR of c's quartiles)
        call([("root", "key", "3", secs), ("c", "enter", None, 1), ("c", "key", "1", 4), ("c1", "enter", None, 1)])
    call([("root", "key", "0", 10), ("agent", "enter", None, 1)], "transfer")  # agent option: not a selection
    call([("root", "no_input", None, 9), ("root", "key", "1", 2), ("a", "enter", None, 1)])  # after a time-out
    call([("root", "key", "#", 4), ("root", "key", "2", 2), ("b", "enter", None, 1)])  # after a repeat
    return pd.DataFrame(rows, columns=["call_id", "ts", "node", "event", "key"])


def test_selections_and_fit_by_hand():
    log = build_call_log(_rows(), MENU, load_config())
    option, seconds, gap, has_key = selections(log, MENU)
    names = np.asarray(log.node_names)[option]
    assert sorted(zip(names, seconds)) == sorted(
        [("a", s) for s in (3, 3, 4, 4)] + [("b", s) for s in (5, 5, 6, 6)] + [("c", s) for s in (7, 7, 8, 8, 60)]
        + [("c1", 4.0)] * 5)
    assert (gap == 1).all() and has_key.all()
    t = option_timings(log, MENU, 3.0, min_selections=10, min_per_position=3)
    root = t.menus.set_index("menu").loc["root"]
    # means 3.5, 5.5, 7.5 at positions 1, 2, 3 (the 60 s press screened out): slope 2, intercept 1.5
    assert root["option_seconds"] == pytest.approx(2.0) and root["intercept_seconds"] == pytest.approx(1.5)
    assert root["selections"] == 12 and root["outliers"] == 1 and root["source"] == "measured"
    # HC0: Σ (x − x̄)² Σ e² / Sxx² = (1 · 1.0 + 0 + 1 · 1.0) / 8²
    assert root["option_seconds_se"] == pytest.approx((2 / 64) ** 0.5)
    sub = t.menus.set_index("menu").loc["c"]  # one position only: the config's value
    assert sub["source"] == "config" and sub["option_seconds"] == 3.0 and np.isnan(sub["option_seconds_se"])
    opts = t.options.set_index("node")
    assert opts.loc["c", "mean_seconds"] == pytest.approx(7.5) and opts.loc["c", "outliers"] == 1
    assert opts.loc["c", "sd_seconds"] == pytest.approx(np.std([7, 7, 8, 8], ddof=1))


def test_fit_line_matches_numpy_on_ungrouped_points():
    rng = np.random.default_rng(2)
    x = rng.integers(1, 6, 400).astype(float)
    y = 1.0 + 0.8 * x + rng.normal(0, 1 + 0.3 * x)
    groups = np.unique(x)
    n = np.array([(x == g).sum() for g in groups], dtype=float)
    mean = np.array([y[x == g].mean() for g in groups])
    m2 = np.array([((y[x == g] - y[x == g].mean()) ** 2).sum() for g in groups])
    slope, se, intercept = fit_line(groups, n, mean, m2)
    b, a = np.polyfit(x, y, 1)
    resid = y - (a + b * x)
    hc0 = np.sqrt(((x - x.mean()) ** 2 * resid ** 2).sum()) / ((x - x.mean()) ** 2).sum()
    assert (slope, intercept, se) == pytest.approx((b, a, hc0))


def test_too_few_selections_fall_back_to_the_config_and_say_so():
    a = analyze_events(_rows(), MENU, load_config(timing={"min_selections": 100}, advice={"seconds_per_option": 2.5}))
    m = a.timings.menus.set_index("menu")
    assert m.loc["root", "source"] == "config" and m.loc["root", "option_seconds"] == 2.5
    assert a.kpis["option_seconds"]["root"] == {"seconds": 2.5, "se": None, "selections": 12, "source": "config"}
    # no reorder can be judged positive with a guessed time: the root is already in traffic order anyway
    assert set(a.recommendations["option_seconds_source"].dropna()) <= {"config"}


def test_logs_without_key_rows_time_enter_to_enter():
    rows = _rows()
    rows = rows[rows["event"] != "key"]
    log = build_call_log(rows, MENU, load_config())
    option, seconds, gap, has_key = selections(log, MENU)
    assert len(option) and not has_key.any() and (gap == 0).all()
    names = np.asarray(log.node_names)[option]
    assert sorted(seconds[names == "a"]) == [4, 4, 5, 5]  # key time + the 1 s gap


def test_big_logs_are_measured_on_evenly_spread_blocks():
    from ivr_text.ivr.timing import BLOCK, _parent_codes, _selections_in, positioned_options, sample_blocks

    assert sample_blocks(1000, 5000) == [(0, 1000)] and sample_blocks(10 ** 7, None) == [(0, 10 ** 7)]
    assert sample_blocks(10 * BLOCK + 7, 3 * BLOCK) == [(0, BLOCK), (5 * BLOCK, 6 * BLOCK),
                                                         (10 * BLOCK, 10 * BLOCK + 7)]
    # blocks cut anywhere (every 7 rows: inside calls): block by block, exactly the selections of the whole log
    log = build_call_log(_rows(), MENU, load_config())
    whole = selections(log, MENU)
    names = list(log.node_names)
    n = len(log.row_event)
    parts = [_selections_in(log, lo, min(lo + 7, n), positioned_options(MENU, names), _parent_codes(MENU, names),
                            True) for lo in range(0, n, 7)]
    for i in range(3):
        assert np.concatenate([p[i] for p in parts]).tolist() == whole[i].tolist()
