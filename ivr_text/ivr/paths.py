"""Whole-call paths (variants) and node-to-node transitions, vectorised over the sorted call log.

A call's path is the sequence of nodes it entered. Variants are grouped by a 64-bit polynomial hash of
the node codes and then verified node by node against a member of each group, so they are exact (numpy,
no per-call Python loop); equally frequent variants are ordered by their node names, and only the
variants written out are turned back into text. Transitions count consecutive entered nodes within a
call, plus one edge per call from its last node to an end node (``END:complete`` / ``END:transfer`` /
``END:hangup`` / ``END:unknown``).
Speed: about 0.3 s CPU for 1.45 M calls / 6 M entered nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ivr_text.ivr.calllog import ENTER, NS, OUTCOMES, CallLog

END_PREFIX = "END:"
_P1 = np.uint64(1_000_003)
_P2 = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class EnteredNodes:
    """The ENTER rows of a log: their call, node and position within the call."""

    call: np.ndarray
    node: np.ndarray
    ts: np.ndarray
    pos: np.ndarray        # 0-based position within the call
    length: np.ndarray     # per call: number of nodes entered
    row: np.ndarray | None = None  # index of the ENTER row in the log's rows


def entered_nodes(log: CallLog) -> EnteredNodes:
    idx = np.flatnonzero(log.row_event == ENTER)
    call = log.row_call[idx]
    length = np.bincount(call, minlength=log.n_calls)
    first = np.r_[0, np.cumsum(length)[:-1]] if log.n_calls else np.array([], dtype=np.int64)
    pos = np.arange(len(idx)) - np.repeat(first, length)
    return EnteredNodes(call=call, node=log.row_node[idx], ts=log.row_ts[idx], pos=pos, length=length, row=idx)


def variant_codes(log: CallLog, ent: EnteredNodes | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per call a variant number (0 = most frequent path; equally frequent paths by node names, position by
    position) and the number of calls of each variant.

    Variants are exact: calls are grouped by a 64-bit hash of their node sequence, then every call is checked
    against a member of its group, node by node; should two paths ever share a hash, they are numbered exactly.
    """
    ent = ent or entered_nodes(log)
    if log.n_calls == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    codes = pd.factorize(_path_hash(ent, log.n_calls))[0]
    starts = np.r_[0, np.cumsum(ent.length)]
    rep = np.zeros(int(codes.max()) + 1, dtype=np.int64)
    rep[codes] = np.arange(log.n_calls)  # one member call per hash (any member will do)
    if not _same_path(ent, starts, rep[codes]):  # a hash collision: number the distinct sequences exactly
        codes = _exact_variants(ent, starts, log.n_calls)
        rep = np.zeros(int(codes.max()) + 1, dtype=np.int64)
        rep[codes] = np.arange(log.n_calls)
    counts = np.bincount(codes)
    order = np.lexsort(_sequence_keys(log, ent, starts, rep, codes) + [-counts])  # most frequent first
    rank = np.empty(len(counts), dtype=np.int64)
    rank[order] = np.arange(len(counts))
    return rank[codes], counts[order]


def _sequence_keys(log: CallLog, ent: EnteredNodes, starts: np.ndarray, rep: np.ndarray, codes: np.ndarray,
                   max_cells: int = 50_000_000) -> list[np.ndarray]:
    """Sort keys (for ``np.lexsort``, last = first node) ordering variants by their node names, position by
    position (a path before its extensions), so that ties in frequency are broken the same way whatever
    the input's coding. Very many long variants: one key, the order of first appearance."""
    length = ent.length[rep]
    width = int(length.max(initial=0))
    if len(rep) * width > max_cells:
        return [np.unique(codes, return_index=True)[1]]
    name_rank = np.empty(log.n_nodes, dtype=np.int32)
    name_rank[np.argsort(np.asarray(log.node_names, dtype=object), kind="stable")] = np.arange(log.n_nodes)
    mat = np.full((len(rep), width), -1, dtype=np.int32)
    var = np.repeat(np.arange(len(rep)), length)
    pos = np.arange(len(var)) - np.repeat(np.r_[0, np.cumsum(length)[:-1]], length)
    mat[var, pos] = name_rank[ent.node[starts[rep[var]] + pos]]
    return [mat[:, j] for j in range(width - 1, -1, -1)]


def _path_hash(ent: EnteredNodes, n_calls: int) -> np.ndarray:
    """Polynomial 64-bit hash of each call's node sequence, mixed with its length."""
    maxlen = int(ent.length.max()) if len(ent.length) else 0
    powers = np.ones(max(maxlen, 1), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(1, maxlen):
            powers[i] = powers[i - 1] * _P1
        terms = (ent.node.astype(np.uint64) + np.uint64(1)) * powers[ent.pos]
        h = np.zeros(n_calls, dtype=np.uint64)
        has = ent.length > 0
        if has.any():
            h[has] = np.add.reduceat(terms, np.r_[0, np.cumsum(ent.length)[:-1]][has])
        return h ^ (ent.length.astype(np.uint64) * _P2)


def _same_path(ent: EnteredNodes, starts: np.ndarray, other: np.ndarray) -> bool:
    """Does every call ``i`` have exactly the node sequence of call ``other[i]``?"""
    if not np.array_equal(ent.length, ent.length[other]):
        return False
    mate = starts[other[ent.call]] + ent.pos
    return bool(np.array_equal(ent.node[mate], ent.node))


def _exact_variants(ent: EnteredNodes, starts: np.ndarray, n_calls: int) -> np.ndarray:
    """Variant numbers from the node sequences themselves, refined position by position (used only after a
    hash collision)."""
    codes = pd.factorize(ent.length)[0].astype(np.int64)
    width = np.int64(int(ent.node.max(initial=-1)) + 2)
    for p in range(int(ent.length.max(initial=0))):
        at = np.full(n_calls, -1, dtype=np.int64)
        has = ent.length > p
        at[has] = ent.node[starts[:-1][has] + p]
        codes = pd.factorize(codes * width + at + 1)[0].astype(np.int64)
    return codes


def path_table(log: CallLog, labels: dict[str, str], top: int = 50,
               variants: tuple[np.ndarray, np.ndarray] | None = None,
               ent: EnteredNodes | None = None) -> pd.DataFrame:
    """The ``top`` most frequent whole paths with calls, share, outcome shares and mean call seconds."""
    cols = ["rank", "path", "labels", "length", "calls", "share", *[f"{o}_share" for o in OUTCOMES],
            "mean_seconds"]
    if log.n_calls == 0:
        return pd.DataFrame(columns=cols)
    ent = ent or entered_nodes(log)
    var, counts = variants or variant_codes(log, ent)
    k = min(top, len(counts))
    sel = var < k
    outc = np.bincount(var[sel] * 4 + log.call_outcome[sel], minlength=4 * k).reshape(k, 4)
    secs = np.bincount(var[sel], weights=(log.call_end[sel] - log.call_start[sel]) / NS, minlength=k)
    # one representative call per variant → its node sequence
    rep = np.full(k, -1, dtype=np.int64)
    calls_sel = np.flatnonzero(sel)
    rep[var[calls_sel]] = calls_sel  # any call of the variant: they all have its node sequence
    starts = np.r_[0, np.cumsum(ent.length)]
    names = log.node_names
    rows = []
    for v in range(k):
        c = rep[v]
        seq = [names[i] for i in ent.node[starts[c]:starts[c + 1]]]
        rows.append({
            "rank": v + 1, "path": " > ".join(seq) or "(no node entered)",
            "labels": " > ".join(labels.get(s, s) for s in seq) or "(未进入菜单)", "length": len(seq),
            "calls": int(counts[v]), "share": counts[v] / log.n_calls,
            **{f"{o}_share": outc[v, i] / counts[v] for i, o in enumerate(OUTCOMES)},
            "mean_seconds": secs[v] / counts[v],
        })
    return pd.DataFrame(rows, columns=cols)


def transition_counts(log: CallLog, ent: EnteredNodes | None = None) -> pd.DataFrame:
    """Edges ``src → dst`` (node codes; end nodes are ``n_nodes + outcome``) with their ``count``."""
    ent = ent or entered_nodes(log)
    n = log.n_nodes
    width = n + len(OUTCOMES)
    same = ent.call[1:] == ent.call[:-1]
    if width * width <= 50_000_000:  # counted in place: no concatenated or masked copies (int32 keys fit)
        cells = width * width
        inner = ent.node[:-1].astype(np.int32) * np.int32(width) + ent.node[1:]
        inner[~same] = cells  # pairs that span two calls fall into one extra bin
        counts = np.bincount(inner, minlength=cells + 1)[:cells]
        del inner
        # end edges: from the node where the call ended
        counts += np.bincount(log.call_node.astype(np.int32) * np.int32(width) + np.int32(n) + log.call_outcome,
                              minlength=cells)
        nz = np.flatnonzero(counts)
        return pd.DataFrame({"src": nz // width, "dst": nz % width, "count": counts[nz]})
    src = ent.node[:-1][same].astype(np.int64)
    dst = ent.node[1:][same].astype(np.int64)
    src = np.r_[src, log.call_node.astype(np.int64)]
    dst = np.r_[dst, n + log.call_outcome.astype(np.int64)]
    vc = pd.Series(src * width + dst).value_counts(sort=False)
    k = vc.index.to_numpy()
    return pd.DataFrame({"src": k // width, "dst": k % width, "count": vc.to_numpy()}).sort_values(
        ["src", "dst"], ignore_index=True)


def end_node_names() -> list[str]:
    return [END_PREFIX + o for o in OUTCOMES]
