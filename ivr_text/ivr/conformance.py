"""Conformance of the calls with the designed menu, in IVR terms (process-mining conformance checking).

Given a menu file, every step of every call is checked against what the menu allows. Allowed: entering a
child of the node (with its key when the key is logged), the node itself again (repeat), an ancestor (back,
main menu) or an agent / queue node (zero-out, from anywhere). Deviations, counted at the node the caller was
at:

* ``unknown_key`` — a key pressed that is neither one of the node's options' keys nor a global key (the menu
  file's ``global_keys`` and the config's ``conformance.global_keys``) and that the IVR did not answer with
  ``no_match`` (that is the design's own handling);
* ``wrong_key`` — a child entered after a key press (a valid key of the node) that is not that child's key;
* ``skipped_level`` — a node entered two or more levels below the node, the levels between never entered;
* ``jump`` — any other node entered (a sibling, another branch);
* ``unknown_node`` — a node the menu does not have entered (from the node before it).

``fitness`` is the share of calls without any deviation (pm4py's token-replay fitness, per call).
Up to ``examples_per_node`` example steps per (deviation, node) are listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ivr_text.ivr.calllog import KEY, NO_MATCH, CallLog
from ivr_text.ivr.menu import Menu
from ivr_text.ivr.paths import EnteredNodes

DEVIATIONS = ("unknown_key", "wrong_key", "skipped_level", "jump", "unknown_node")
CONFORMANCE_COLUMNS = ["node", "label", "calls", *DEVIATIONS, "deviations", "deviation_rate"]
EXAMPLE_COLUMNS = ["deviation", "node", "call_id", "ts", "from_node", "to_node", "key"]


@dataclass
class Conformance:
    by_node: pd.DataFrame      # CONFORMANCE_COLUMNS, nodes with at least one deviation first
    examples: pd.DataFrame     # EXAMPLE_COLUMNS
    summary: dict              # calls, calls_with_deviations, fitness, per-deviation totals


def conformance(log: CallLog, ent: EnteredNodes, menu: Menu, calls_at_node: np.ndarray,
                global_keys=("0", "*", "#"), examples_per_node: int = 3, added=()) -> Conformance:
    """Check every step of the log against ``menu`` (see the module docstring); ``added``: nodes the analysis
    added to the menu file's from the log (they are unknown to the design)."""
    names = list(log.node_names)
    n = len(names)
    code = {nm: i for i, nm in enumerate(names)}
    added = set(added)
    in_menu = np.array([nm in menu.nodes and nm not in added for nm in names], dtype=bool)
    parent = np.array([code.get(menu.nodes[nm].parent, -1) if nm in menu.nodes else -1 for nm in names])
    depth = np.array([menu.depth(nm) if nm in menu.nodes else -1 for nm in names])
    kind = np.array([menu.nodes[nm].kind if nm in menu.nodes else "" for nm in names], dtype=object)
    max_d = int(depth.max(initial=0)) + 1
    anc = np.full((n, max_d), -1, dtype=np.int64)  # anc[x, d]: x's ancestor at depth d (x itself at its depth)
    for i in range(n):
        if in_menu[i]:
            cur = i
            while cur >= 0:
                anc[i, depth[cur]] = cur
                cur = parent[cur]
    key_names = [str(k) for k in log.key_names]
    key_code = {k: j for j, k in enumerate(key_names)}
    n_keys = max(len(key_names), 1)
    expected_key = np.array([key_code.get(str(menu.nodes[nm].key), -2) if nm in menu.nodes and
                             menu.nodes[nm].key is not None else -1 for nm in names])
    allowed = np.zeros((n, n_keys), dtype=bool)
    glob = {str(k) for k in global_keys} | {str(k) for k in getattr(menu, "global_keys", {}) or {}}
    for k in glob:
        if k in key_code:
            allowed[:, key_code[k]] = True
    for i in range(n):
        if in_menu[i] and parent[i] >= 0 and expected_key[i] >= 0:
            allowed[parent[i], expected_key[i]] = True

    flags = {d: np.zeros(0, dtype=np.int64) for d in DEVIATIONS}  # row-level: (node code, call, ts, from, to, key)
    events = []
    # ---- steps between consecutive entered nodes
    same = ent.call[1:] == ent.call[:-1]
    i = np.flatnonzero(same)
    src, dst = ent.node[i].astype(np.int64), ent.node[i + 1].astype(np.int64)
    ok_nodes = in_menu[src] & in_menu[dst]
    child = ok_nodes & (parent[dst] == src)
    back = ok_nodes & (depth[dst] <= depth[src]) & (anc[src, np.maximum(depth[dst], 0)] == dst)
    to_agent = ok_nodes & np.isin(kind[dst], ["agent", "queue"])
    deeper = ok_nodes & (depth[dst] > depth[src] + 1)
    skipped = deeper & (anc[dst, np.clip(depth[src], 0, max_d - 1)] == src)
    repeat = src == dst
    fine = child | back | to_agent | repeat
    kinds = {"unknown_node": ~ok_nodes & ~repeat, "skipped_level": ~fine & skipped,
             "jump": ~fine & ~skipped & ok_nodes}
    # wrong key: the row before entering a child is a key press at the parent that is not the child's key
    if ent.row is not None and len(i):
        prev = ent.row[i + 1] - 1
        pressed = (log.row_event[prev] == KEY) & (log.row_call[prev] == log.row_call[ent.row[i + 1]]) & \
                  (log.row_node[prev] == src)
        k = log.row_key[prev].astype(np.int64)
        valid = (k >= 0) & allowed[src, np.maximum(k, 0)]  # an unknown key is counted as that, once
        kinds["wrong_key"] = child & ~to_agent & pressed & valid & (expected_key[dst] != -1) & \
            (expected_key[dst] != k)
        key_of_step = np.where(pressed, k, -1)
    else:
        kinds["wrong_key"] = np.zeros(len(i), dtype=bool)
        key_of_step = np.full(len(i), -1)
    for d, mask in kinds.items():
        j = np.flatnonzero(mask)
        events.append(pd.DataFrame({"deviation": d, "code": src[j], "call": ent.call[i[j]], "ts": ent.ts[i[j] + 1],
                                    "from": src[j], "to": dst[j], "key": key_of_step[j]}))
    # ---- key presses the node does not offer
    kr = np.flatnonzero((log.row_event == KEY) & (log.row_key >= 0))
    kn, kk = log.row_node[kr].astype(np.int64), log.row_key[kr].astype(np.int64)
    nxt = np.minimum(kr + 1, len(log.row_event) - 1)
    rejected = (kr + 1 < len(log.row_event)) & (log.row_event[nxt] == NO_MATCH) & \
        (log.row_call[nxt] == log.row_call[kr]) & (log.row_node[nxt] == log.row_node[kr])
    bad = in_menu[kn] & ~allowed[kn, kk] & ~rejected  # a key the IVR answered with no_match is handled
    j = kr[bad]
    events.append(pd.DataFrame({"deviation": "unknown_key", "code": kn[bad], "call": log.row_call[j],
                                "ts": log.row_ts[j], "from": kn[bad], "to": -1, "key": kk[bad]}))
    ev = pd.concat(events, ignore_index=True)

    counts = {d: np.bincount(ev.loc[ev["deviation"] == d, "code"].to_numpy(dtype=np.int64), minlength=n)
              for d in DEVIATIONS}
    total = sum(counts.values())
    by_node = pd.DataFrame({"node": names, "label": [menu.label(nm) for nm in names], "calls": calls_at_node,
                            **counts, "deviations": total})
    with np.errstate(divide="ignore", invalid="ignore"):
        by_node["deviation_rate"] = np.where(calls_at_node > 0, total / np.maximum(calls_at_node, 1), np.nan)
    by_node = by_node.sort_values(["deviations", "node"], ascending=[False, True], kind="stable")
    by_node = by_node[CONFORMANCE_COLUMNS].reset_index(drop=True)

    ev = ev.sort_values(["deviation", "code", "ts", "call"], kind="stable")
    ex = ev.groupby(["deviation", "code"], sort=False).head(examples_per_node)
    label = lambda c: names[c] if c >= 0 else ""  # noqa: E731
    examples = pd.DataFrame({
        "deviation": ex["deviation"].to_numpy(), "node": [names[c] for c in ex["code"]],
        "call_id": log.call_ids[ex["call"].to_numpy()] if len(ex) else [],
        "ts": [pd.Timestamp(int(t)).isoformat() for t in ex["ts"]],
        "from_node": [label(c) for c in ex["from"]], "to_node": [label(c) for c in ex["to"]],
        "key": [key_names[k] if k >= 0 else "" for k in ex["key"]]}, columns=EXAMPLE_COLUMNS)
    deviant = np.zeros(log.n_calls, dtype=bool)
    deviant[ev["call"].to_numpy(dtype=np.int64)] = True
    summary = {"calls": int(log.n_calls), "calls_with_deviations": int(deviant.sum()),
               "fitness": float(1 - deviant.mean()) if log.n_calls else None,
               **{d: int(counts[d].sum()) for d in DEVIATIONS}}
    return Conformance(by_node, examples.reset_index(drop=True), summary)
