"""Example calls behind hot spots (examples.csv) and conformance with the designed menu, on hand-built logs."""

from __future__ import annotations

import pandas as pd
import pytest

from ivr_text.ivr import analyze_events, load_config, menu_from_data
from ivr_text.ivr.drilldown import mask_caller

MENU = menu_from_data({"nodes": [
    {"id": "root", "label": "欢迎"}, {"id": "a", "parent": "root", "key": "1", "label": "甲", "kind": "menu"},
    {"id": "a1", "parent": "a", "key": "1", "label": "甲一", "kind": "menu"},
    {"id": "a11", "parent": "a1", "key": "1", "label": "甲一一", "kind": "service"},
    {"id": "b", "parent": "root", "key": "2", "label": "乙", "kind": "service"},
    {"id": "agent", "parent": "root", "key": "0", "label": "人工", "kind": "agent"}]})
T0 = pd.Timestamp("2024-06-03 08:00:00")


def _rows(calls):
    """``calls``: list of (caller, [(node, event, key)], minutes after T0)."""
    rows = []
    for n, (caller, steps, minute) in enumerate(calls):
        t = T0 + pd.Timedelta(minutes=minute)
        for j, (node, event, key) in enumerate(steps):
            rows.append((f"c{n:03d}", t + pd.Timedelta(seconds=3 * j), node, event, key, caller))
    return pd.DataFrame(rows, columns=["call_id", "ts", "node", "event", "key", "caller_id"])


def test_mask_caller():
    assert mask_caller("13812345678") == "138******78"
    assert mask_caller("U0000352") == "U0****52"
    assert mask_caller("1234") == "****" and mask_caller(None) == "" and mask_caller(float("nan")) == ""
    for v in ("13812345678", "U0000352", "abcdefghijklmnop"):
        m = mask_caller(v)
        assert len(m) == len(v) and sum(c != "*" for c in m) <= len(v) // 3 + 2


def test_examples_per_hot_spot():
    hang = [(f"1390000{i:04d}", [("root", "enter", None), ("root", "key", "2"), ("b", "enter", None),
                                  ("b", "hangup", None)], i * 30) for i in range(12)]
    zero = [(f"1370000{i:04d}", [("root", "enter", None), ("root", "key", "0"), ("agent", "enter", None),
                                  ("agent", "transfer", None)], i * 30 + 1) for i in range(8)]
    ok = [(f"1360000{i:04d}", [("root", "enter", None), ("root", "key", "2"), ("b", "enter", None),
                                ("b", "complete", None)], i * 30 + 2) for i in range(20)]
    a = analyze_events(_rows(hang + zero + ok), MENU, load_config(examples={"per_hotspot": 4}))
    ex = a.examples
    drop = ex[(ex["type"] == "drop_off") & (ex["node"] == "b")]
    assert len(drop) == 4 and (drop["outcome"] == "hangup").all() and drop["example"].tolist() == [1, 2, 3, 4]
    # spread over the period: the first and the last of the 12 hang-ups are among them
    assert drop["call_id"].iloc[0] == "c000" and drop["call_id"].iloc[-1] == "c011"
    assert (drop["path"] == "欢迎 > 乙").all() and (drop["seconds"] == 9).all()
    assert drop["caller"].iloc[0] == "139******00" and not ex["caller"].str.contains(r"\d{6}").any()
    # the zero-out is an example of the root's transfer point (where the callers asked for an agent)
    tr = ex[ex["type"] == "transfer"]
    assert set(tr["node"]) == {"root"} and (tr["outcome"] == "transfer").all() and len(tr) == 4
    assert (tr["path"] == "欢迎 > 人工").all()
    # every hot spot has its examples
    assert set(map(tuple, a.hotspots[["type", "node"]].values)) == set(map(tuple, ex[["type", "node"]].values))


def test_conformance_counts_each_deviation_at_its_node():
    calls = [
        ("u1", [("root", "enter", None), ("root", "key", "1"), ("a", "enter", None), ("a", "key", "1"),
                ("a1", "enter", None), ("a1", "key", "1"), ("a11", "enter", None), ("a11", "complete", None)], 0),
        ("u2", [("root", "enter", None), ("root", "key", "7"), ("root", "no_match", "7"),  # no_match: the IVR's
                ("root", "key", "9"), ("b", "enter", None), ("b", "complete", None)], 1),  # own; 9 is unknown
        ("u3", [("root", "enter", None), ("root", "key", "1"), ("a1", "enter", None),  # skipped level a
                ("a1", "key", "1"), ("a11", "enter", None), ("a11", "complete", None)], 2),
        ("u4", [("root", "enter", None), ("root", "key", "1"), ("a", "enter", None), ("a", "key", "1"),
                ("b", "enter", None), ("b", "complete", None)], 3),  # a → b: a jump (b is the root's option)
        ("u5", [("root", "enter", None), ("root", "key", "2"), ("a", "enter", None),  # key 2 but entered a
                ("a", "key", "*"), ("root", "enter", None), ("root", "key", "0"), ("agent", "enter", None),
                ("agent", "transfer", None)], 4),  # back with * and zero-out: allowed
        ("u6", [("root", "enter", None), ("root", "key", "5"), ("ghost", "enter", None),
                ("ghost", "hangup", None)], 5),  # a node the menu does not have
    ]
    a = analyze_events(_rows(calls), MENU)
    c = a.conformance.by_node.set_index("node")
    assert c.loc["root", "unknown_key"] == 2  # 9 (u2) and 5 (u6); 7 was answered with the IVR's no_match
    assert c.loc["root", "skipped_level"] == 1 and c.loc["a", "jump"] == 1 and c.loc["root", "wrong_key"] == 1
    assert c.loc["root", "unknown_node"] == 1 and c.loc["a", "deviations"] == 1
    assert c["deviations"].sum() == 6 and c.loc["agent", "deviations"] == 0
    s = a.kpis["conformance"]
    assert s["calls"] == 6 and s["calls_with_deviations"] == 5 and s["fitness"] == pytest.approx(1 / 6)
    ex = a.conformance.examples
    jump = ex[ex["deviation"] == "jump"].iloc[0]
    assert (jump["call_id"], jump["from_node"], jump["to_node"], jump["key"]) == ("c003", "a", "b", "1")
    assert set(ex["deviation"]) == {"unknown_key", "skipped_level", "jump", "wrong_key", "unknown_node"}
    # the count per node equals an independent count of the examples (3 per deviation and node at most)
    assert len(ex) == int((c[["unknown_key", "wrong_key", "skipped_level", "jump", "unknown_node"]]
                           .clip(upper=3)).to_numpy().sum())


def test_no_conformance_without_a_menu_file():
    a = analyze_events(_rows([("u1", [("root", "enter", None), ("root", "key", "2"), ("b", "enter", None),
                                      ("b", "complete", None)], 0)]))
    assert a.conformance is None and "conformance" not in a.kpis


def test_menu_global_keys_are_valid_everywhere():
    menu = menu_from_data({"nodes": [{"id": "root"}, {"id": "b", "parent": "root", "key": "2"}],
                           "global_keys": {"9": "repeat in English"}})
    calls = [("u1", [("root", "enter", None), ("root", "key", "9"), ("root", "key", "2"), ("b", "enter", None),
                     ("b", "complete", None)], 0)]
    a = analyze_events(_rows(calls), menu)
    assert menu.global_keys == {"9": "repeat in English"} and a.kpis["conformance"]["unknown_key"] == 0
