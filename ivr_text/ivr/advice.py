"""Menu redesign advice from node metrics: reorder options by traffic, promote deep popular services, and
flag nodes where callers give up (hang up) or zero out to an agent.

Savings are estimates from a simple listening model: a caller hears the options announced before theirs
(``seconds_per_option`` each) and presses one key per level. Reordering saves announcement time; promoting
a service to the first level saves ``depth - 1`` key presses and the measured time spent in the menus it
skips, minus one extra option heard by first-level callers whose option would be announced after it.
``saving_*_per_call`` averages over all calls of the log, so rows are comparable. Reasons are plain
sentences with the menu's (Chinese) labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.ivr.menu import Menu
from ivr_text.ivr.metrics import wilson_lower

ADVICE_COLUMNS = ["rank", "action", "node", "label", "parent", "depth", "position", "calls", "call_share",
                  "hangup_rate", "transfer_rate", "proposed", "saving_keys_per_caller",
                  "saving_seconds_per_caller", "saving_keys_per_call", "saving_seconds_per_call", "reason"]


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x == x else "n/a"


def recommendations(nodes: pd.DataFrame, menu: Menu, total_calls: int, advice: dict, z: float = 1.96
                    ) -> pd.DataFrame:
    """Advice rows (columns :data:`ADVICE_COLUMNS`), best estimated saving first, then flags by severity."""
    spo = float(advice.get("seconds_per_option", 3.0))
    min_share = float(advice.get("min_call_share", 0.02))
    min_calls = int(advice.get("min_calls", 30))
    promote_depth = int(advice.get("promote_min_depth", 2))
    late = int(advice.get("late_position", 4))
    min_gain = float(advice.get("min_seconds_per_caller", 1.0))
    rel = float(advice.get("relative_to_median", 2.0))
    if total_calls == 0 or nodes.empty:
        return pd.DataFrame(columns=ADVICE_COLUMNS)
    m = nodes.set_index("node")
    calls = m["calls"].to_dict()
    label = lambda nid: menu.label(nid)  # noqa: E731
    rows: list[dict] = []

    def base(nid: str) -> dict:
        r = m.loc[nid]
        return {"node": nid, "label": label(nid), "parent": r["parent"], "depth": r["depth"],
                "position": r["position"], "calls": int(r["calls"]), "call_share": r["calls"] / total_calls,
                "hangup_rate": r["hangup_rate"], "transfer_rate": r["transfer_rate"]}

    # ---- reorder siblings by traffic (agent / zero-out options keep their place at the end)
    parents = sorted({p for p in (n.parent for n in menu.nodes.values()) if p is not None})
    for p in parents:
        kids = [k for k in menu.children(p) if menu.nodes[k].kind != "agent"]
        if len(kids) < 2:
            continue
        traffic = np.array([calls.get(k, 0) for k in kids], dtype=float)
        if traffic.sum() < min_calls:
            continue
        new_order = sorted(range(len(kids)), key=lambda i: (-traffic[i], i))
        if new_order == list(range(len(kids))):
            continue
        new_pos = np.empty(len(kids), dtype=int)
        new_pos[new_order] = np.arange(len(kids))
        delta = np.arange(len(kids)) - new_pos  # options no longer heard first (negative = demoted)
        saved_total = float((traffic * delta).sum() * spo)
        if saved_total <= 0 or saved_total / traffic.sum() < min_gain:
            continue
        moved = int(np.argmax(traffic * delta))
        share_in_menu = traffic[moved] / traffic.sum()
        r = base(p)
        r.update(action="reorder options", proposed=" / ".join(f"{label(kids[i])}" for i in new_order),
                 saving_keys_per_caller=0.0, saving_seconds_per_caller=saved_total / traffic.sum(),
                 saving_keys_per_call=0.0, saving_seconds_per_call=saved_total / total_calls,
                 reason=(f"In '{label(p)}', '{label(kids[moved])}' takes {_pct(share_in_menu)} of the callers who "
                         f"choose an option here but is announced as option {moved + 1}; ordering the options by traffic "
                         f"saves about {saved_total / traffic.sum():.1f} s of listening per caller of this menu"))
        rows.append(r)

    # ---- promote deep, popular services to the first level
    root = menu.root
    top_kids = [k for k in menu.children(root) if menu.nodes[k].kind != "agent"] if root else []
    top_traffic = np.array([calls.get(k, 0) for k in top_kids], dtype=float)
    for nid, node in menu.nodes.items():
        if node.kind == "agent" or nid not in m.index or menu.children(nid):
            continue
        depth = menu.depth(nid)
        c = calls.get(nid, 0)
        if depth < promote_depth or c < min_calls or c / total_calls < min_share:
            continue
        skipped = [a for a in menu.ancestors(nid) if a != root]
        sec_skipped = sum(float(m.loc[a, "mean_seconds"]) if a in m.index and m.loc[a, "mean_seconds"] == m.loc[
            a, "mean_seconds"] else spo * len(menu.children(a)) / 2 for a in skipped)
        keys = depth - 1
        # cost: first-level callers whose option would come after the promoted one hear one option more
        cost = float(top_traffic[top_traffic < c].sum() * spo)
        net = c * sec_skipped - cost
        if net <= 0 or sec_skipped < min_gain:
            continue
        r = base(nid)
        path = " > ".join(label(a) for a in menu.ancestors(nid)[1:] + [nid])
        r.update(action="promote to first level", proposed=f"first-level option for '{label(nid)}'",
                 saving_keys_per_caller=float(keys), saving_seconds_per_caller=sec_skipped,
                 saving_keys_per_call=keys * c / total_calls, saving_seconds_per_call=net / total_calls,
                 reason=(f"'{label(nid)}' ({path}) is reached by {_pct(c / total_calls)} of all calls but sits "
                         f"at depth {depth}; a first-level option saves its callers {keys} key press"
                         f"{'es' if keys > 1 else ''} and about {sec_skipped:.0f} s"))
        rows.append(r)

    # ---- late options that are popular (callers give up on late-ordered menus)
    for nid, node in menu.nodes.items():
        if nid not in m.index or node.kind == "agent" or node.parent is None:
            continue
        pos = m.loc[nid, "position"]
        c = calls.get(nid, 0)
        if pd.isna(pos) or pos < late or c < min_calls or c / total_calls < min_share:
            continue
        if any(r["action"] == "reorder options" and r["node"] == node.parent for r in rows):
            continue  # already covered by the reorder advice of its menu
        r = base(nid)
        r.update(action="announce earlier", proposed=f"move '{label(nid)}' before position {int(pos)}",
                 saving_keys_per_caller=0.0, saving_seconds_per_caller=spo * (int(pos) - 1),
                 saving_keys_per_call=0.0, saving_seconds_per_call=spo * (int(pos) - 1) * c / total_calls,
                 reason=(f"'{label(nid)}' is option {int(pos)} of '{label(node.parent)}' yet reached by "
                         f"{_pct(c / total_calls)} of all calls; callers hear {int(pos) - 1} options first"))
        rows.append(r)

    # ---- flags: frequent hang-ups or zero-outs at a node (absolute and relative to the median node)
    eligible = m[(m["calls"] >= min_calls) & (m["kind"] != "agent")]
    median = {col: float((eligible[col] / eligible["calls"]).median()) if len(eligible) else 0.0
              for col in ("hangups", "transfer_requests")}
    for nid in m.index:
        r0 = m.loc[nid]
        c = int(r0["calls"])
        if c < min_calls or r0["kind"] == "agent":
            continue
        for what, count_col, threshold, action, words in (
                ("hang-up", "hangups", advice.get("hangup_rate", 0.25), "review drop-off",
                 "hang up here; shorten or clarify the prompt, or offer the likely option earlier"),
                ("transfer", "transfer_requests", advice.get("transfer_rate", 0.5), "review zero-out",
                 "leave for an agent from here; the self-service options do not answer their need")):
            k = int(r0[count_col])
            low = float(wilson_lower(k, c, z))
            if k and low >= float(threshold) and low >= rel * median[count_col]:
                r = base(nid)
                r.update(action=action, proposed="", saving_keys_per_caller=np.nan,
                         saving_seconds_per_caller=np.nan, saving_keys_per_call=np.nan,
                         saving_seconds_per_call=np.nan,
                         reason=(f"{_pct(k / c)} of the {c:,} calls at '{label(nid)}' (depth {r0['depth']}, "
                                 f"option {r0['position']}) {words} [{what} rate ≥ {_pct(low)} at 95% "
                                 f"confidence; median node {_pct(median[count_col])}]"))
                r["_severity"] = low * k
                rows.append(r)

    if not rows:
        return pd.DataFrame(columns=ADVICE_COLUMNS)
    out = pd.DataFrame(rows)
    if "_severity" not in out:
        out["_severity"] = np.nan
    out = out.sort_values(["saving_seconds_per_call", "_severity"], ascending=[False, False], na_position="last")
    out["rank"] = np.arange(1, len(out) + 1)
    return out[ADVICE_COLUMNS].reset_index(drop=True)
