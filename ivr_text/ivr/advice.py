"""Menu redesign advice from node metrics: reorder options by traffic, promote deep popular services, and
flag nodes where callers give up (hang up), zero out to an agent, or abandon a queue.

Savings are estimates from a simple listening model: a caller hears the options announced before theirs
(``seconds_per_option`` each) and presses one key per level. Reordering saves announcement time; promoting
a service to the first level saves ``depth - 1`` key presses and the measured time spent in the menus it
skips, minus one extra option heard by first-level callers whose option would be announced after it.
``saving_*_per_call`` averages over all calls of the log, so rows are comparable. Reasons are plain
sentences with the menu's labels, worded by the ``advice_text`` templates of the config (Chinese by default;
``action`` stays a fixed English code for scripts, ``action_label`` and ``reason`` are the readable text).
"""

from __future__ import annotations

import math
import string

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.ivr.menu import Menu
from ivr_text.ivr.metrics import wilson_lower

ACTIONS = ("reorder options", "promote to first level", "announce earlier", "review drop-off", "review zero-out",
           "review queue")
#: Placeholders the ``advice_text`` templates may use.
PLACEHOLDERS = ("node", "menu", "option", "path", "order", "share", "rate", "lower", "median", "confidence",
                "position", "before", "depth", "keys", "calls", "seconds")
ADVICE_COLUMNS = ["rank", "action", "action_label", "node", "label", "parent", "depth", "position", "calls",
                  "call_share", "hangup_rate", "transfer_rate", "proposed", "saving_keys_per_caller",
                  "saving_seconds_per_caller", "saving_keys_per_call", "saving_seconds_per_call", "reason"]


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%" if x == x else "–"


def _int_or_dash(v) -> int | str:
    return "–" if v is None or pd.isna(v) else int(v)


def check_advice_text(texts: dict) -> dict:
    """``advice_text`` of the config, checked: every action has ``label``, ``proposed`` and ``reason`` templates
    using only :data:`PLACEHOLDERS` (an :class:`InputError` names the first problem)."""
    sample = {k: 1 for k in PLACEHOLDERS}
    for action in ACTIONS:
        entry = texts.get(action)
        if not isinstance(entry, dict):
            raise InputError(f"ivr config: advice_text: missing the wording of '{action}'")
        for part in ("label", "proposed", "reason"):
            template = entry.get(part)
            if template is None:
                template = ""
            if not isinstance(template, str):
                raise InputError(f"ivr config: advice_text: {action}: {part} must be text")
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
                unknown = sorted(n for n in names if n.split(".")[0].split("[")[0] not in PLACEHOLDERS)
                if unknown:
                    raise KeyError(unknown[0])
                template.format(**sample)
            except KeyError as exc:
                raise InputError(f"ivr config: advice_text: {action}: {part}: unknown placeholder {{{exc.args[0]}}} "
                                 f"(known: {', '.join(PLACEHOLDERS)})") from None
            except (ValueError, IndexError) as exc:
                raise InputError(f"ivr config: advice_text: {action}: {part}: bad template ({exc})") from None
    return texts


class _Blank:
    """Stands in for a placeholder this action has no value for: prints as a dash whatever the format."""

    def __format__(self, spec: str) -> str:
        return "–"


class _Values(dict):
    def __missing__(self, key):
        return _Blank()


def _words(texts: dict, action: str, **values) -> dict:
    """``action_label``, ``proposed`` and ``reason`` of one advice row from the templates."""
    entry = texts[action]
    out = {"action": action, "action_label": entry.get("label") or action}
    for part in ("proposed", "reason"):
        try:
            out[part] = (entry.get(part) or "").format_map(_Values(values))
        except (ValueError, TypeError) as exc:
            raise InputError(f"ivr config: advice_text: {action}: {part}: template does not fit the values "
                             f"({exc})") from None
    return out


def confidence_of(z: float) -> float:
    """Two-sided confidence level of a normal quantile ``z`` (1.96 → 0.95)."""
    return math.erf(z / math.sqrt(2))


def recommendations(nodes: pd.DataFrame, menu: Menu, total_calls: int, advice: dict, z: float = 1.96,
                    texts: dict | None = None) -> pd.DataFrame:
    """Advice rows (columns :data:`ADVICE_COLUMNS`), best estimated saving first, then flags by severity.

    ``texts``: the ``advice_text`` templates (default: the shipped Chinese wording)."""
    if texts is None:
        from ivr_text.ivr.config import load_config

        texts = load_config().advice_text
    texts = check_advice_text(texts)
    spo = float(advice.get("seconds_per_option", 3.0))
    min_share = float(advice.get("min_call_share", 0.02))
    min_calls = int(advice.get("min_calls", 30))
    promote_depth = int(advice.get("promote_min_depth", 2))
    late = int(advice.get("late_position", 4))
    min_gain = float(advice.get("min_seconds_per_caller", 1.0))
    rel = float(advice.get("relative_to_median", 2.0))
    rel_queue = float(advice.get("queue_relative_to_median", 1.0))
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

    # ---- reorder siblings by traffic (agent / zero-out options keep their place at the end; queues are not
    # options); only menus whose announced order is known (every option has a position)
    parents = sorted({p for p in (n.parent for n in menu.nodes.values()) if p is not None})
    for p in parents:
        kids = [k for k in menu.children(p) if menu.nodes[k].kind not in ("agent", "queue")]
        if len(kids) < 2 or any(menu.position(k) is None for k in kids):
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
        r.update(saving_keys_per_caller=0.0, saving_seconds_per_caller=saved_total / traffic.sum(),
                 saving_keys_per_call=0.0, saving_seconds_per_call=saved_total / total_calls,
                 **_words(texts, "reorder options", menu=label(p), option=label(kids[moved]), node=label(p),
                          order=" / ".join(label(kids[i]) for i in new_order), share=_pct(share_in_menu),
                          position=moved + 1, seconds=saved_total / traffic.sum()))
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
        r.update(saving_keys_per_caller=float(keys), saving_seconds_per_caller=sec_skipped,
                 saving_keys_per_call=keys * c / total_calls, saving_seconds_per_call=net / total_calls,
                 **_words(texts, "promote to first level", node=label(nid), path=path, share=_pct(c / total_calls),
                          depth=depth, keys=keys, seconds=sec_skipped))
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
        r.update(saving_keys_per_caller=0.0, saving_seconds_per_caller=spo * (int(pos) - 1),
                 saving_keys_per_call=0.0, saving_seconds_per_call=spo * (int(pos) - 1) * c / total_calls,
                 **_words(texts, "announce earlier", node=label(nid), menu=label(node.parent), position=int(pos),
                          before=int(pos) - 1, share=_pct(c / total_calls), seconds=spo * (int(pos) - 1)))
        rows.append(r)

    # ---- flags: frequent hang-ups or zero-outs at a node (absolute and relative to the median node);
    # queue nodes are compared with the other queues, and only for hang-ups (abandoned while waiting)
    eligible = m[(m["calls"] >= min_calls) & (m["kind"] != "agent")]
    is_queue = eligible["kind"] == "queue"
    median = {(q, col): float((part[col] / part["calls"]).median()) if len(part) else 0.0
              for q, part in ((False, eligible[~is_queue]), (True, eligible[is_queue]))
              for col in ("hangups", "transfer_requests")}
    for nid in m.index:
        r0 = m.loc[nid]
        c = int(r0["calls"])
        if c < min_calls or r0["kind"] == "agent":
            continue
        queue = r0["kind"] == "queue"
        checks = ((("hangups", advice.get("queue_hangup_rate", 0.1), "review queue"),) if queue else
                  (("hangups", advice.get("hangup_rate", 0.25), "review drop-off"),
                   ("transfer_requests", advice.get("transfer_rate", 0.5), "review zero-out")))
        for count_col, threshold, action in checks:
            k = int(r0[count_col])
            low = float(wilson_lower(k, c, z))
            if k and low >= float(threshold) and low >= (rel_queue if queue else rel) * median[queue, count_col]:
                r = base(nid)
                r.update(saving_keys_per_caller=np.nan, saving_seconds_per_caller=np.nan,
                         saving_keys_per_call=np.nan, saving_seconds_per_call=np.nan,
                         **_words(texts, action, node=label(nid), depth=_int_or_dash(r0["depth"]),
                                  position=_int_or_dash(r0["position"]), calls=f"{c:,}", rate=_pct(k / c),
                                  lower=_pct(low), median=_pct(median[queue, count_col]),
                                  confidence=_pct(confidence_of(z)), seconds=float("nan")))
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
