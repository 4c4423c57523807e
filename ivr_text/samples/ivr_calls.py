"""Simulated IVR calls: who calls when, the path through the menu step by step, and the event log
(:func:`simulate_ivr`, :func:`ivr_events_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ivr_text.samples.customers import _customer_ids, Customers, customers_frame, LIFECYCLE_NAMES, SEGMENT_NAMES
from ivr_text.samples.ivr_effects import _hour_multiplier, _per_option_seconds
from ivr_text.samples.ivr_log import _code_categorical, _event_noise, _file_order, _ivr_truth
from ivr_text.samples.menu import _Menu, _menu_arrays
from ivr_text.samples.params import _EV, EVENTS, _KEY, KEYS, _NO_KEY, PARAMS, _rng, SEGMENTS


@dataclass
class IvrWorld:
    """Simulated IVR calls: the event log (with noise), one row per call, and the planted facts."""

    events: pd.DataFrame
    calls: pd.DataFrame
    truth: dict = field(default_factory=dict)


def _choose_calls(cust: Customers, n_calls: int, rng: np.random.Generator):
    """Pick (customer, start time) for ``n_calls`` first-time calls by the per-month call weights."""
    w = cust.call_weight.ravel()
    cum = np.cumsum(w)
    if cum[-1] <= 0:
        raise ValueError("no active customer to call")
    cell = np.searchsorted(cum, rng.random(n_calls) * cum[-1], side="right")
    cell = np.minimum(cell, len(w) - 1)
    who, mon = np.divmod(cell, cust.months)
    month_len = (cust.month_start[1:] - cust.month_start[:-1]).astype(np.int64)  # seconds
    days = (month_len // 86400)[mon]
    day = (rng.random(n_calls) * days).astype(np.int64)
    hw = np.array(PARAMS["hour_weights"], dtype=float)
    hour = rng.choice(24, size=n_calls, p=hw / hw.sum())
    sec = rng.integers(0, 3600, n_calls)
    start = cust.month_start[:-1][mon] + (day * 86400 + hour * 3600 + sec).astype("timedelta64[s]")
    return who, start


def _start_hours(start: np.ndarray) -> np.ndarray:
    return (start.astype("datetime64[h]").astype(np.int64) % 24).astype(np.int64)


def _simulate_paths(menu: _Menu, target: np.ndarray, seg: np.ndarray, rng: np.random.Generator,
                    per_option: np.ndarray | None = None, hang_mult: np.ndarray | None = None):
    """Vectorised walk of every call through the menu. Returns flat event arrays and per-call outcome.

    ``per_option``: planted listening seconds per option of each menu (then a wrong option is pressed when it is
    read; by default at the time the intended one would have been); ``hang_mult``: per call, a multiplier on every
    hang-up probability (the planted hour-of-day effect)."""
    P = PARAMS
    n = len(target)
    seg_zero = np.array([SEGMENTS[s]["zero"] for s in SEGMENT_NAMES])[seg]
    seg_hang = np.array([SEGMENTS[s]["hang"] for s in SEGMENT_NAMES])[seg]
    if hang_mult is not None:
        seg_hang = seg_hang * hang_mult
    seg_err = np.array([SEGMENTS[s]["err"] for s in SEGMENT_NAMES])[seg]
    node_hang = np.ones(len(menu.ids))
    for nid, m in P["planted_hangup_nodes"].items():
        if nid in menu.ids:
            node_hang[menu.ids.index(nid)] = m
    planted = per_option is not None
    if per_option is None:
        per_option = _per_option_seconds(menu, None)
    prompt = P["prompt_base_s"] + per_option * menu.n_options + P["prompt_per_depth_s"] * menu.depth

    root = int(np.flatnonzero(menu.parent < 0)[0])
    cur = np.full(n, root)
    t = np.zeros(n)
    seq = np.zeros(n, dtype=np.int64)
    fails = np.zeros(n, dtype=np.int64)
    outcome = np.full(n, -1, dtype=np.int8)   # event code of the terminal event
    end_node = np.full(n, -1)
    out_call, out_seq, out_t, out_node, out_ev, out_key = [], [], [], [], [], []

    def emit(idx, node, ev, key, dt):
        t[idx] = np.maximum(t[idx] + dt, np.where(seq[idx] > 0, t[idx] + 1, t[idx]))
        t[idx] = np.ceil(t[idx])
        out_call.append(idx)
        out_seq.append(seq[idx].copy())
        out_t.append(t[idx].copy())
        out_node.append(np.broadcast_to(node, idx.shape).astype(np.int64))
        out_ev.append(np.full(len(idx), _EV[ev], dtype=np.int8))
        out_key.append(np.broadcast_to(key, idx.shape).astype(np.int8))
        seq[idx] += 1

    def finish(idx, node, ev):
        outcome[idx] = _EV[ev]
        end_node[idx] = node

    all_idx = np.arange(n)
    emit(all_idx, cur, "enter", _NO_KEY, 0.0)
    active = all_idx
    max_steps = 40
    for step in range(max_steps):
        if not len(active):
            break
        a = active
        node = cur[a]
        kind = menu.kind[node]
        # ---- agent nodes: transfer
        ag = a[kind == 2]
        if len(ag):
            emit(ag, cur[ag], "transfer", _NO_KEY, rng.uniform(1, 3, len(ag)))
            finish(ag, cur[ag], "transfer")
        # ---- service nodes: the announcement, then complete / hangup / zero-out
        sv = a[kind == 1]
        if len(sv):
            nd = cur[sv]
            on_target = nd == target[sv]
            dur = rng.lognormal(np.log(P["service_mean_s"]) - 0.06, 0.35, len(sv))
            u = rng.random(len(sv))
            p_h = P["p_service_hangup"] * seg_hang[sv] * node_hang[nd]
            p_z = P["p_service_zero"] * seg_zero[sv]
            p_h = np.where(on_target, p_h, 0.30)     # the wrong service: often hang up or ask for an agent
            p_z = np.where(on_target, p_z, 0.35)
            hang = u < p_h
            zero = ~hang & (u < p_h + p_z)
            comp = ~hang & ~zero
            i = sv[hang]
            emit(i, cur[i], "hangup", _NO_KEY, dur[hang] * rng.uniform(0.2, 0.9, len(i)))
            finish(i, cur[i], "hangup")
            i = sv[zero]
            emit(i, cur[i], "key", _KEY["0"], dur[zero] * rng.uniform(0.3, 1.0, len(i)))
            emit(i, cur[i], "transfer", _NO_KEY, 1.0)
            finish(i, cur[i], "transfer")
            i = sv[comp]
            emit(i, cur[i], "complete", _NO_KEY, dur[comp])
            finish(i, cur[i], "complete")
        # ---- menus
        mn = a[kind == 0]
        if len(mn):
            _menu_step(menu, mn, cur, target, fails, seg_zero, seg_hang, seg_err, node_hang, prompt, rng,
                       emit, finish, step, per_option, wrong_at_chosen=planted)
        active = np.flatnonzero(outcome < 0)
    left = np.flatnonzero(outcome < 0)
    if len(left):
        emit(left, cur[left], "hangup", _NO_KEY, 5.0)
        finish(left, cur[left], "hangup")
    ev = dict(call=np.concatenate(out_call), seq=np.concatenate(out_seq), t=np.concatenate(out_t),
              node=np.concatenate(out_node), event=np.concatenate(out_ev), key=np.concatenate(out_key))
    return ev, outcome, end_node, t


def _menu_step(menu, mn, cur, target, fails, seg_zero, seg_hang, seg_err, node_hang, prompt, rng,
               emit, finish, step, per_option, wrong_at_chosen=False):
    P = PARAMS
    node = cur[mn]
    tgt = target[mn]
    d = menu.depth[node]
    # the child towards the target, if the current node is on the target's path
    on_path = menu.path[tgt, np.minimum(d, menu.path.shape[1] - 1)] == node
    nxt = np.where(on_path & (menu.depth[tgt] > d), menu.path[tgt, np.minimum(d + 1, menu.path.shape[1] - 1)], -1)
    pos = np.where(nxt >= 0, menu.position[np.maximum(nxt, 0)], 1)
    pr = prompt[node]
    n = len(mn)
    p_hang = P["p_hangup_menu"] * (1 + 0.5 * d) * seg_hang[mn] * node_hang[node]
    p_zero = P["p_zero_menu"] * (1 + 0.6 * d + 0.35 * (pos - 1)) * seg_zero[mn]
    p_ni = P["p_no_input"] * seg_err[mn]
    p_nm = P["p_no_match"] * seg_err[mn]
    p_wrong = np.where(menu.n_plain[node] > 1, P["p_wrong_branch"] * seg_err[mn], 0.0)
    p_rep = np.full(n, P["p_repeat"])
    p_back = np.zeros(n)
    off = nxt < 0  # off the target's path (went wrong): mostly go back
    p_back = np.where(off & (menu.parent[node] >= 0), 0.6, p_back)
    p_zero = np.where(off, 0.2, p_zero)
    p_hang = np.where(off, 0.1 * seg_hang[mn], p_hang)
    p_wrong = np.where(off, 0.0, p_wrong)
    probs = np.stack([p_hang, p_zero, p_ni, p_nm, p_wrong, p_rep, p_back], axis=1)
    cum = np.cumsum(probs, axis=1)
    u = rng.random(n)
    action = (u[:, None] >= cum).sum(axis=1)  # 0..6 as above, 7 = press the intended key
    action = np.where(off & (action == 7), 1, action)  # off-path with nothing else to do: ask for an agent
    # time until the caller acts
    barge = rng.random(n) < P["p_barge_in"]
    early = rng.uniform(1.0, 3.0, n)  # drawn in this order so that the default world stays the same
    pace = rng.uniform(0.8, 1.1, n)
    lag = rng.lognormal(0.0, 0.5, n)
    t_key = np.where(barge, early, P["prompt_base_s"] * 0.6 + per_option[node] * pos * pace + 0.6 * d + lag)

    def sel(k):
        m = action == k
        return mn[m], m

    i, m = sel(0)  # hangup during the prompt
    emit(i, cur[i], "hangup", _NO_KEY, pr[m] * rng.uniform(0.2, 1.0, len(i)))
    finish(i, cur[i], "hangup")
    i, m = sel(1)  # zero out
    if len(i):
        emit(i, cur[i], "key", _KEY["0"], t_key[m])
        zero_child = menu.child_by_key[cur[i], _KEY["0"]]
        has = zero_child >= 0
        j = i[has]
        cur[j] = zero_child[has]
        emit(j, cur[j], "enter", _NO_KEY, 0.0)
        fails[j] = 0
        j = i[~has]
        emit(j, cur[j], "transfer", _NO_KEY, 1.0)
        finish(j, cur[j], "transfer")
    for k, ev in ((2, "no_input"), (3, "no_match")):
        i, m = sel(k)
        if not len(i):
            continue
        if ev == "no_input":
            emit(i, cur[i], ev, _NO_KEY, pr[m] + P["no_input_timeout_s"])
        else:
            nd = cur[i]
            pick = (rng.random(len(i)) * np.maximum(menu.n_invalid[nd], 1)).astype(np.int64)
            key = menu.invalid_keys[nd, pick]
            key = np.where(key >= 0, key, _KEY["7"])
            emit(i, nd, ev, key, t_key[m])
        fails[i] += 1
        over = fails[i] >= P["max_failures"]
        j = i[over]
        if len(j):
            tr = rng.random(len(j)) < P["p_fail_transfer"]
            emit(j[tr], cur[j[tr]], "transfer", _NO_KEY, 2.0)
            finish(j[tr], cur[j[tr]], "transfer")
            emit(j[~tr], cur[j[~tr]], "hangup", _NO_KEY, 2.0)
            finish(j[~tr], cur[j[~tr]], "hangup")
    i, m = sel(4)  # wrong branch
    if len(i):
        nd = cur[i]
        pick = (rng.random(len(i)) * menu.n_plain[nd]).astype(np.int64)
        child = menu.children[nd, pick]
        same = child == nxt[m]
        child = np.where(same, menu.children[nd, (pick + 1) % np.maximum(menu.n_plain[nd], 1)], child)
        # planted option times: the wrong option is pressed when it is read (the default world keeps the time of
        # the intended option)
        t_wrong = (np.where(barge[m], early[m], P["prompt_base_s"] * 0.6 + per_option[nd] * menu.position[child]
                            * pace[m] + 0.6 * d[m] + lag[m]) if wrong_at_chosen else t_key[m])
        emit(i, nd, "key", menu.key_code[child], t_wrong)
        cur[i] = child
        emit(i, child, "enter", _NO_KEY, 0.0)
        fails[i] = 0
    i, m = sel(5)  # repeat the prompt
    emit(i, cur[i], "key", _KEY["#"], pr[m] * rng.uniform(0.3, 1.0, len(i)))
    i, m = sel(6)  # back to the parent
    if len(i):
        emit(i, cur[i], "key", _KEY["*"], t_key[m])
        cur[i] = menu.parent[cur[i]]
        emit(i, cur[i], "enter", _NO_KEY, 0.0)
        fails[i] = 0
    i, m = sel(7)  # press the intended key
    if len(i):
        child = nxt[m]
        emit(i, cur[i], "key", menu.key_code[child], t_key[m])
        cur[i] = child
        emit(i, child, "enter", _NO_KEY, 0.0)
        fails[i] = 0


def _targets(menu: _Menu, seg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    pop = PARAMS["target_popularity"]
    leaves = np.flatnonzero(menu.kind != 0)
    if not len(leaves):
        raise ValueError("menu: no service or agent node to reach")
    known = [pop[menu.ids[k]] for k in leaves if menu.ids[k] in pop]
    default = float(np.median(known)) if known else 1.0  # leaves of a user's menu without a weight
    w = np.array([pop.get(menu.ids[k], default) for k in leaves], dtype=float)
    if w.sum() <= 0:
        w = np.ones(len(leaves))
    target = np.empty(len(seg), dtype=np.int64)
    zero = np.array([SEGMENTS[s]["zero"] for s in SEGMENT_NAMES])
    is_agent = menu.kind[leaves] == 2
    for s in range(len(SEGMENT_NAMES)):
        m = seg == s
        ws = np.where(is_agent, w * zero[s], w)
        target[m] = leaves[rng.choice(len(leaves), size=int(m.sum()), p=ws / ws.sum())]
    return target


def simulate_ivr(n_calls: int, seed: int = 0, *, menu: dict | None = None, customers: Customers | None = None,
                 start: str = "2024-01", months: int = 12, noise: bool = True, option_seconds=None,
                 hour_hangup: dict | None = None) -> IvrWorld:
    """Simulate ``n_calls`` IVR calls (events, per-call outcomes, planted facts).

    Without ``customers`` a customer base of ``n_calls // 4`` customers is drawn (stable lifecycles).
    Planted effects (off by default, so the default world is unchanged): ``option_seconds`` — listening seconds
    per announced option, one number or ``{menu id: seconds}`` (default ``prompt_per_option_s``); ``hour_hangup``
    — ``{hour: multiplier}`` on every hang-up probability of calls starting in that hour. ``truth`` then holds
    ``option_seconds`` (planted and the expected seconds one position adds to the time to the key press:
    callers who barge in add nothing) and ``hour_hangup``.
    """
    if n_calls < 1:
        raise ValueError("calls must be at least 1")
    rng = _rng(seed, "ivr")
    m = _menu_arrays(menu)
    if customers is None:
        customers = customers_frame(max(1, n_calls // 4), seed, months=months, start=start,
                                    shares={k: float(k == "stable") for k in LIFECYCLE_NAMES})
    n_rep = int(round(n_calls * PARAMS["repeat_call_share"])) if n_calls > 10 else 0
    n_first = n_calls - n_rep
    who, start_ts = _choose_calls(customers, n_first, rng)
    seg = customers.segment[who]
    target = _targets(m, seg, rng)
    per_option = _per_option_seconds(m, option_seconds) if option_seconds is not None else None
    ev1, out1, end1, dur1 = _simulate_paths(m, target, seg, rng, per_option,
                                            _hour_multiplier(_start_hours(start_ts), hour_hangup))
    if n_rep:
        failed = np.flatnonzero(out1 != _EV["complete"])
        pool = failed if len(failed) else np.arange(n_first)
        parent = np.sort(rng.choice(pool, size=n_rep, replace=len(pool) < n_rep))
        gap = np.minimum(rng.exponential(PARAMS["repeat_mean_hours"] * 3600, n_rep), 23 * 3600) + 60
        rep_start = start_ts[parent] + (dur1[parent] + gap).astype("timedelta64[s]")
        rep_who = who[parent]
        rep_seg = seg[parent]
        # a repeat caller mostly wants the same thing again
        rep_target = np.where(rng.random(n_rep) < 0.7, target[parent], _targets(m, rep_seg, rng))
        ev2, out2, end2, dur2 = _simulate_paths(m, rep_target, rep_seg, rng, per_option,
                                                _hour_multiplier(_start_hours(rep_start), hour_hangup))
        ev2["call"] = ev2["call"] + n_first
        ev = {k: np.concatenate([ev1[k], ev2[k]]) for k in ev1}
        who = np.concatenate([who, rep_who])
        start_ts = np.concatenate([start_ts, rep_start])
        seg = np.concatenate([seg, rep_seg])
        target = np.concatenate([target, rep_target])
        outcome, end_node, dur = np.concatenate([out1, out2]), np.concatenate([end1, end2]), np.concatenate(
            [dur1, dur2])
        is_repeat = np.r_[np.zeros(n_first, bool), np.ones(n_rep, bool)]
    else:
        ev, outcome, end_node, dur = ev1, out1, end1, dur1
        is_repeat = np.zeros(n_first, bool)
    # calls in time order get ids C00000001…
    order = np.lexsort((np.arange(n_calls), start_ts))
    rank = np.empty(n_calls, dtype=np.int64)
    rank[order] = np.arange(n_calls)
    call_ids = _customer_ids(n_calls, "C")
    call = rank[ev["call"]]
    t0 = start_ts.min()
    ts_rel = (start_ts - t0).astype(np.int64)[ev["call"]] + ev["t"].astype(np.int64)
    if noise:
        idx, noise_truth = _event_noise(call, ev["seq"], ts_rel, rng, n_calls, call_ids)
    else:
        idx, noise_truth = _file_order(np.arange(len(call)), call, ev["seq"], ts_rel, n_calls), {}
    caller = who[order]
    seg_sorted = seg[order]
    c = call[idx]
    frame = pd.DataFrame({
        "call_id": pd.Categorical.from_codes(c, categories=call_ids),
        "ts": (t0 + ts_rel[idx].astype("timedelta64[s]")).astype("datetime64[s]"),
        "node": pd.Categorical.from_codes(ev["node"][idx], categories=m.ids),
        "event": pd.Categorical.from_codes(ev["event"][idx].astype(np.int64), categories=list(EVENTS)),
        "key": pd.Categorical.from_codes(ev["key"][idx].astype(np.int64), categories=list(KEYS)),
        "segment": pd.Categorical.from_codes(seg_sorted[c], categories=SEGMENT_NAMES),
        "caller_id": _code_categorical(caller[c], customers.ids),
    })
    ids = np.array(m.ids, dtype=object)
    calls = pd.DataFrame({
        "call_id": call_ids, "caller_id": customers.ids[caller], "customer": caller,
        "segment": pd.Categorical.from_codes(seg_sorted, categories=SEGMENT_NAMES), "start": start_ts[order],
        "duration_s": dur[order].astype(np.int64), "target": pd.Categorical.from_codes(target[order], ids),
        "end_node": pd.Categorical.from_codes(end_node[order], ids),
        "outcome": pd.Categorical.from_codes(outcome[order].astype(np.int64), list(EVENTS)),
        "branch": pd.Categorical.from_codes(m.branch[end_node[order]], ids), "is_repeat": is_repeat[order],
    })
    truth = _ivr_truth(calls, ev, m, noise_truth, rank)
    if option_seconds is not None:
        listen = (1 - PARAMS["p_barge_in"]) * 0.95  # share of callers who listen × mean pace (uniform 0.8–1.1)
        truth["option_seconds"] = {m.ids[k]: {"planted": float(per_option[k]), "expected_slope":
                                              round(float(per_option[k]) * listen, 4)}
                                   for k in np.flatnonzero(m.n_plain > 1)}
    if hour_hangup:
        hours = _start_hours(calls["start"].to_numpy())
        hang = (calls["outcome"] == "hangup").to_numpy()
        truth["hour_hangup"] = {"multiplier": {int(h): float(v) for h, v in hour_hangup.items()},
                                "hangup_rate_by_hour": [round(float(hang[hours == h].mean()), 4)
                                                        if (hours == h).any() else None for h in range(24)]}
    return IvrWorld(frame, calls, truth)


def ivr_events_frame(n_calls: int, seed: int = 0, menu: dict | None = None, **kwargs) -> pd.DataFrame:
    """Just the IVR event log (categorical columns, ``ts`` as datetime64[s]) for ``n_calls`` calls."""
    return simulate_ivr(n_calls, seed, menu=menu, **kwargs).events
