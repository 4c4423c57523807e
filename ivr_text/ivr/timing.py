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
Speed: a handful of vectorised passes over the rows (about 0.1 s per 10 M rows).
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


def selections(log: CallLog, menu: Menu) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clean selections: (option node code, seconds from entering the menu to the key press, key-to-enter gap
    seconds, has key row) — see the module docstring."""
    ev, call, node, ts = log.row_event, log.row_call, log.row_node, log.row_ts
    names = list(log.node_names)
    parent_code = np.full(len(names), -1, dtype=np.int64)
    code = {nm: i for i, nm in enumerate(names)}
    for i, nm in enumerate(names):
        p = menu.nodes[nm].parent if nm in menu.nodes else None
        parent_code[i] = code.get(p, -1) if p is not None else -1
    pos = positioned_options(menu, names)
    empty = np.zeros(0, dtype=np.int64)
    if len(ev) < 2 or not pos.any():
        return empty, np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    enter = ev == ENTER
    # [ENTER M, KEY M, ENTER C]
    r = np.flatnonzero(enter[:-2] & (ev[1:-1] == KEY) & enter[2:])
    r = r[(call[r] == call[r + 2]) & (node[r] == node[r + 1])]
    child = node[r + 2]
    ok = (pos[child] > 0) & (parent_code[child] == node[r])
    r, child = r[ok], child[ok]
    t_key = (ts[r + 1] - ts[r]) / NS
    gap = (ts[r + 2] - ts[r + 1]) / NS
    # [ENTER M, ENTER C], only in logs without key rows
    q = np.flatnonzero(enter[:-1] & enter[1:]) if not (ev == KEY).any() else empty
    q = q[call[q] == call[q + 1]]
    child2 = node[q + 1]
    ok = (pos[child2] > 0) & (parent_code[child2] == node[q])
    q, child2 = q[ok], child2[ok]
    t2 = (ts[q + 1] - ts[q]) / NS
    return (np.r_[child, child2].astype(np.int64), np.r_[t_key, t2], np.r_[gap, np.zeros(len(q))],
            np.r_[np.ones(len(r), dtype=bool), np.zeros(len(q), dtype=bool)])


def _screen(option: np.ndarray, seconds: np.ndarray, n_nodes: int) -> np.ndarray:
    """Mask of selections inside their option's fences (quartiles ± 3 IQR, IQR at least 1 s)."""
    bins = np.minimum((np.maximum(seconds, 0) / _BIN).astype(np.int64), _MAX_BINS - 1)
    used = np.unique(option)
    local = np.searchsorted(used, option)
    hist = np.bincount(local * _MAX_BINS + bins, minlength=len(used) * _MAX_BINS).reshape(len(used), _MAX_BINS)
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
                   min_per_position: int = 5) -> OptionTimings:
    """Measure the listening model of every menu with positioned options (see the module docstring)."""
    names = list(log.node_names)
    code = {nm: i for i, nm in enumerate(names)}
    n = len(names)
    option, seconds, gap, _ = selections(log, menu)
    pos = positioned_options(menu, names)
    keep = _screen(option, seconds, n) if len(option) else np.zeros(0, dtype=bool)
    o, s, g = option[keep], seconds[keep], gap[keep]
    cnt = np.bincount(o, minlength=n)
    tot = np.bincount(o, weights=s, minlength=n)
    mean = np.divide(tot, cnt, out=np.full(n, np.nan), where=cnt > 0)
    m2 = np.bincount(o, weights=(s - mean[o]) ** 2, minlength=n) if len(o) else np.zeros(n)
    gap_mean = np.divide(np.bincount(o, weights=g, minlength=n), cnt, out=np.full(n, np.nan), where=cnt > 0)
    outliers = np.bincount(option[~keep], minlength=n) if len(option) else np.zeros(n, dtype=np.int64)

    opt_rows, menu_rows, by_menu, by_option = [], [], {}, {}
    for i in np.flatnonzero(pos > 0):
        if cnt[i] == 0 and outliers[i] == 0:
            continue
        sd = float(np.sqrt(m2[i] / (cnt[i] - 1))) if cnt[i] > 1 else float("nan")
        nm = names[i]
        opt_rows.append({"menu": menu.nodes[nm].parent, "node": nm, "label": menu.label(nm), "position": int(pos[i]),
                         "selections": int(cnt[i]), "outliers": int(outliers[i]), "mean_seconds": float(mean[i]),
                         "sd_seconds": sd, "gap_seconds": float(gap_mean[i])})
        by_option[nm] = {"selections": int(cnt[i]), "mean_seconds": float(mean[i]), "sd_seconds": sd,
                         "gap_seconds": float(gap_mean[i]) if gap_mean[i] == gap_mean[i] else 0.0}
    options = pd.DataFrame(opt_rows, columns=OPTION_COLUMNS)
    menus_with_options = sorted({menu.nodes[names[i]].parent for i in np.flatnonzero(pos > 0)})
    for m in menus_with_options:
        kids = options[options["menu"] == m] if len(options) else options
        kids = kids[kids["selections"] > 0]
        total = int(kids["selections"].sum())
        supported = kids[kids["selections"] >= min_per_position]
        slope = se = intercept = float("nan")
        if total >= min_selections and len(supported) >= 2:
            idx = [code[k] for k in supported["node"]]
            slope, se, intercept = fit_line(pos[idx].astype(float), cnt[idx].astype(float), mean[idx], m2[idx])
        measured = slope == slope and se == se
        t = MenuTiming(slope if measured else config_seconds, se if measured else 0.0,
                       intercept if measured else float("nan"), total, "measured" if measured else "config")
        by_menu[m] = t
        menu_rows.append({"menu": m, "label": menu.label(m), "option_seconds": t.seconds,
                          "option_seconds_se": se if measured else np.nan,
                          "intercept_seconds": intercept if measured else np.nan, "selections": total,
                          "outliers": int(options.loc[options["menu"] == m, "outliers"].sum()) if len(options) else 0,
                          "positions": int(len(kids)), "source": t.source, "config_seconds": config_seconds})
    return OptionTimings(pd.DataFrame(menu_rows, columns=TIMING_COLUMNS), options, by_menu, by_option,
                         config_seconds)
