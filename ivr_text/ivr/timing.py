"""Option listening times measured from the log: per menu, the seconds one more announced option costs.

A *selection* is a clean choice of an option: a call enters menu M, then (directly, nothing in between)
presses a key at M and enters M's child C, or enters C right after M when the log has no key rows. Its
time is from entering M to the key press (to entering C without a key row); C's position is its announced
position in M (agent and queue options, whose key callers press whenever they like, and options without a
known position are left out).

Per option the selections' times are screened for outliers (beyond 3 interquartile ranges, at least 3 s, from
the option's quartiles, on a 0.25 s histogram) and averaged. Per menu, ``option_seconds`` is the least-squares
slope of time on position over the screened selections (robust to outliers through the screening; a mean,
not a median slope, because the mean is what a change saves on average: callers who press before their option is
read count with the little they would gain), with a heteroscedasticity-robust (HC0) standard error. It is
*measured* when the menu has at least ``min_selections`` selections on at least two positions with
``min_per_position`` each; otherwise the config's ``seconds_per_option`` is used (``source = config``, no
standard error). Negative measured slopes are kept in the table but count as 0 in the change model (a later
option cannot be faster to reach because it is later).
Logs above ``max_rows`` rows are measured on blocks of 65,536 rows evenly spread over the log, about
``max_rows`` rows in all (``selections`` counts what was used; with the default 1 M rows that is some 300,000
selections, standard errors of a few hundredths of a second). Speed: a handful of vectorised passes over the
rows measured (about 0.05 s per million).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ivr_text.ivr.calllog import ENTER, KEY, NS, CallLog
from ivr_text.ivr.menu import Menu

TIMING_COLUMNS = ["menu", "label", "option_seconds", "option_seconds_se", "intercept_seconds", "selections",
                  "outliers", "positions", "source", "config_seconds"]
OPTION_COLUMNS = ["menu", "node", "label", "position", "selections", "outliers", "mean_seconds", "sd_seconds",
                  "gap_seconds"]
_BIN = 0.25  # seconds per histogram bin of the outlier screen
_MAX_BINS = 2400  # 600 s: longer times share the last bin (only the quartiles are read)


@dataclass
class MenuTiming:
    """Per menu code: option_seconds, its standard error, intercept, and where it came from."""

    seconds: float
    se: float
    intercept: float
    selections: int
    source: str  # measured / config


@dataclass
class OptionTimings:
    """Per-menu listening model and per-option measured times (see the module docstring)."""

    menus: pd.DataFrame      # TIMING_COLUMNS, one row per menu with positioned options
    options: pd.DataFrame    # OPTION_COLUMNS, one row per positioned option with selections
    by_menu: dict[str, MenuTiming]
    by_option: dict[str, dict]  # node id → {selections, mean_seconds, sd_seconds, gap_seconds}
    config_seconds: float

    def of(self, menu_id: str) -> MenuTiming:
        """The model of one menu (config fallback for menus without one)."""
        return self.by_menu.get(menu_id) or MenuTiming(self.config_seconds, 0.0, float("nan"), 0, "config")


def positioned_options(menu: Menu, node_names: list[str]) -> np.ndarray:
    """Per node code: its announced position when it is a selectable option of its parent (not agent or queue,
    position known), else 0."""
    pos = np.zeros(len(node_names), dtype=np.int64)
    for i, nm in enumerate(node_names):
        node = menu.nodes.get(nm)
        if node is None or node.parent is None or node.kind in ("agent", "queue"):
            continue
        p = menu.position(nm)
        pos[i] = p or 0
    return pos


def _parent_codes(menu: Menu, names: list[str]) -> np.ndarray:
    code = {nm: i for i, nm in enumerate(names)}
    return np.array([code.get(menu.nodes[nm].parent, -1) if nm in menu.nodes else -1 for nm in names],
                    dtype=np.int64)


BLOCK = 65_536  # rows per block of the sample of big logs


def sample_blocks(n_rows: int, max_rows: int | None) -> list[tuple[int, int]]:
    """Row ranges [start, end) to measure on: the whole log, or — above ``max_rows`` rows — blocks of
    :data:`BLOCK` rows evenly spread over it, adding up to about ``max_rows`` rows."""
    if max_rows is None or n_rows <= max_rows:
        return [(0, n_rows)]
    blocks = -(-n_rows // BLOCK)
    keep = np.unique(np.linspace(0, blocks - 1, max(max_rows // BLOCK, 1)).round().astype(np.int64))
    return [(int(b) * BLOCK, min((int(b) + 1) * BLOCK, n_rows)) for b in keep]


def selections(log: CallLog, menu: Menu, max_rows: int | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clean selections: (option node code, seconds from entering the menu to the key press, key-to-enter gap
    seconds, has key row) — see the module docstring; ``max_rows``: see :func:`sample_blocks`."""
    ev = log.row_event
    names = list(log.node_names)
    parent_code = _parent_codes(menu, names)
    pos = positioned_options(menu, names)
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool))
    if len(ev) < 3 or not pos.any():
        return empty
    has_keys = bool((ev == KEY).any())
    parts = [_selections_in(log, lo, hi, pos, parent_code, has_keys) for lo, hi in sample_blocks(len(ev), max_rows)]
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))


def _selections_in(log: CallLog, lo: int, hi: int, pos: np.ndarray, parent_code: np.ndarray, has_keys: bool):
    """:func:`selections` whose key (or second enter) row is in rows [lo, hi)."""
    a, b = max(lo - 1, 0), min(hi + 1, len(log.row_event))  # one row of context on each side
    ev, call, node, ts = (x[a:b] for x in (log.row_event, log.row_call, log.row_node, log.row_ts))
    if has_keys:
        # [ENTER M, KEY M, ENTER C]: key rows between two enter rows of one call, the key pressed at M (shifted
        # whole-array comparisons: contiguous passes are several times faster than gathers at the key rows)
        mask = ev[1:-1] == KEY
        mask &= ev[:-2] == ENTER
        mask &= ev[2:] == ENTER
        mask &= call[:-2] == call[2:]
        mask &= node[:-2] == node[1:-1]
        k = np.flatnonzero(mask) + 1
        del mask
        k = k[(k + a >= lo) & (k + a < hi)]
        child = node[k + 1]
        ok = (pos[child] > 0) & (parent_code[child] == node[k])
        k, child = k[ok], child[ok]
        return (child.astype(np.int64), (ts[k] - ts[k - 1]) / NS, (ts[k + 1] - ts[k]) / NS,
                np.ones(len(k), dtype=bool))
    # [ENTER M, ENTER C], only in logs without key rows
    enter = ev == ENTER
    q = np.flatnonzero(enter[:-1] & enter[1:])
    q = q[(call[q] == call[q + 1]) & (q + 1 + a >= lo) & (q + 1 + a < hi)]
    child = node[q + 1]
    ok = (pos[child] > 0) & (parent_code[child] == node[q])
    q, child = q[ok], child[ok]
    return child.astype(np.int64), (ts[q + 1] - ts[q]) / NS, np.zeros(len(q)), np.zeros(len(q), dtype=bool)


def _screen(option: np.ndarray, seconds: np.ndarray, n_nodes: int) -> np.ndarray:
    """Mask of selections inside their option's fences (quartiles ± 3 IQR, IQR at least 1 s)."""
    bins = np.minimum((np.maximum(seconds, 0) / _BIN).astype(np.int64), _MAX_BINS - 1)
    present = np.flatnonzero(np.bincount(option, minlength=n_nodes))
    remap = np.zeros(n_nodes, dtype=np.int64)
    remap[present] = np.arange(len(present))
    local = remap[option]
    hist = np.bincount(local * _MAX_BINS + bins, minlength=len(present) * _MAX_BINS).reshape(len(present),
                                                                                               _MAX_BINS)
    cum = np.cumsum(hist, axis=1)
    total = cum[:, -1]
    q1 = np.argmax(cum >= 0.25 * total[:, None], axis=1) * _BIN
    q3 = (np.argmax(cum >= 0.75 * total[:, None], axis=1) + 1) * _BIN
    iqr = np.maximum(q3 - q1, 1.0)
    lo, hi = q1 - 3 * iqr, q3 + 3 * iqr
    return (seconds >= lo[local]) & (seconds <= hi[local])


def fit_line(x: np.ndarray, n: np.ndarray, mean: np.ndarray, m2: np.ndarray) -> tuple[float, float, float]:
    """Least-squares line of y on x from grouped data: per group x, count n, mean of y and sum of squared
    deviations m2 from the group mean. Returns (slope, HC0 standard error of the slope, intercept)."""
    N = n.sum()
    xbar = (n * x).sum() / N
    ybar = (n * mean).sum() / N
    sxx = (n * (x - xbar) ** 2).sum()
    if sxx <= 0:
        return float("nan"), float("nan"), float("nan")
    slope = (n * (x - xbar) * (mean - ybar)).sum() / sxx
    intercept = ybar - slope * xbar
    fit = intercept + slope * x
    resid2 = m2 + n * (mean - fit) ** 2  # Σ of squared residuals per group
    se = float(np.sqrt(((x - xbar) ** 2 * resid2).sum()) / sxx)
    return float(slope), se, float(intercept)


def option_timings(log: CallLog, menu: Menu, config_seconds: float, *, min_selections: int = 30,
                   min_per_position: int = 5, max_rows: int | None = None) -> OptionTimings:
    """Measure the listening model of every menu with positioned options (see the module docstring);
    ``max_rows``: measure big logs on a sample of about that many rows (:func:`sample_blocks`)."""
    names = list(log.node_names)
    n = len(names)
    option, seconds, gap, _ = selections(log, menu, max_rows)
    pos = positioned_options(menu, names)
    parent = _parent_codes(menu, names)
    keep = _screen(option, seconds, n) if len(option) else np.zeros(0, dtype=bool)
    o, s, g = option[keep], seconds[keep], gap[keep]
    cnt = np.bincount(o, minlength=n)
    tot = np.bincount(o, weights=s, minlength=n)
    mean = np.divide(tot, cnt, out=np.full(n, np.nan), where=cnt > 0)
    m2 = np.bincount(o, weights=(s - mean[o]) ** 2, minlength=n) if len(o) else np.zeros(n)
    gap_mean = np.divide(np.bincount(o, weights=g, minlength=n), cnt, out=np.full(n, np.nan), where=cnt > 0)
    outliers = np.bincount(option[~keep], minlength=n) if len(option) else np.zeros(n, dtype=np.int64)
    sd = np.sqrt(np.divide(m2, cnt - 1, out=np.full(n, np.nan), where=cnt > 1))

    opt_rows, by_option = [], {}
    for i in np.flatnonzero((pos > 0) & ((cnt > 0) | (outliers > 0))):
        nm = names[i]
        opt_rows.append({"menu": names[parent[i]], "node": nm, "label": menu.label(nm), "position": int(pos[i]),
                         "selections": int(cnt[i]), "outliers": int(outliers[i]), "mean_seconds": float(mean[i]),
                         "sd_seconds": float(sd[i]), "gap_seconds": float(gap_mean[i])})
        by_option[nm] = {"selections": int(cnt[i]), "mean_seconds": float(mean[i]), "sd_seconds": float(sd[i]),
                         "gap_seconds": float(gap_mean[i]) if gap_mean[i] == gap_mean[i] else 0.0}
    menu_rows, by_menu = [], {}
    for m in np.unique(parent[pos > 0]):
        kids = np.flatnonzero((parent == m) & (pos > 0) & (cnt > 0))
        total = int(cnt[kids].sum())
        supported = kids[cnt[kids] >= min_per_position]
        slope = se = intercept = float("nan")
        if total >= min_selections and len(supported) >= 2:
            slope, se, intercept = fit_line(pos[supported].astype(float), cnt[supported].astype(float),
                                            mean[supported], m2[supported])
        measured = slope == slope and se == se
        t = MenuTiming(slope if measured else config_seconds, se if measured else 0.0,
                       intercept if measured else float("nan"), total, "measured" if measured else "config")
        by_menu[names[m]] = t
        menu_rows.append({"menu": names[m], "label": menu.label(names[m]), "option_seconds": t.seconds,
                          "option_seconds_se": se if measured else np.nan,
                          "intercept_seconds": intercept if measured else np.nan, "selections": total,
                          "outliers": int(outliers[(parent == m) & (pos > 0)].sum()), "positions": int(len(kids)),
                          "source": t.source, "config_seconds": config_seconds})
    return OptionTimings(pd.DataFrame(menu_rows, columns=TIMING_COLUMNS), pd.DataFrame(opt_rows, columns=OPTION_COLUMNS),
                         by_menu, by_option, config_seconds)
