"""One model of a menu change, net of everyone it affects.

Listening model (measured per menu by :mod:`ivr_text.ivr.timing`): a caller choosing the option at position p
of menu M spends ``a_M + s_M · p`` seconds there before the key press, ``s_M`` = ``option_seconds``.

* **Reorder** (any new order of a menu's options, a single earlier announcement included): every selection of
  an option moving from position p to p' saves ``s_M · (p − p')`` — negative for options pushed down. Agent and
  queue options and options without a known position keep their places.
* **Promotion** of an option X from depth d ≥ 2 to the first level, inserted at position q of the root:
  X's callers no longer spend the measured time at the menus between the root and X (per menu: the mean time
  to the key press of the option on X's path plus the key-to-enter gap), and at the root they press at
  position q instead of their branch's position p₁ (``s_root · (p₁ − q)``); every other root selection at
  position q or later is pushed down one place (``− s_root`` each: the root menu gets one more option);
  X's later siblings in its old menu move up one place (``+ s_parent`` each). The best q is chosen.

``net_total`` sums over the selections in the log (a selection = a caller entering the option from the menu);
``net_per_call`` divides by the calls entering the menu changed (the root for promotions). Its standard error
combines Poisson counts, the option times' standard errors and the slope's (delta method, first order).
Guarantee: the figures equal a caller-by-caller recomputation of every selection's time under the model
(``tests/test_ivr_changes.py`` checks it against a brute-force simulation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Effect:
    """Seconds saved and lost by a menu change, over the selections of the log."""

    net_total: float
    se_total: float
    calls_entering: int
    seconds_saved: float
    seconds_lost: float
    callers_affected: int
    new_positions: dict[str, int] = field(default_factory=dict)  # option → new position (changed ones)

    @property
    def net_per_call(self) -> float:
        return self.net_total / self.calls_entering if self.calls_entering else float("nan")

    def low_per_call(self, z: float) -> float:
        """Lower confidence bound of ``net_per_call`` at the normal quantile ``z``."""
        if not self.calls_entering:
            return float("nan")
        return (self.net_total - z * self.se_total) / self.calls_entering


def _slope(s: float) -> float:
    """A measured slope as used by the model: never below 0."""
    return max(float(s), 0.0) if s == s else 0.0


def reorder_effect(options: list[str], positions: list[int], new_positions: list[int], selections: list[float],
                   callers: list[int], s: float, s_se: float, calls_entering: int) -> Effect:
    """Effect of giving ``options`` (current ``positions``) the ``new_positions``.

    ``selections``: per option, selections in the log; ``callers``: per option, calls entering it; ``s`` /
    ``s_se``: the menu's option seconds and standard error."""
    s = _slope(s)
    n = np.asarray(selections, dtype=float)
    delta = np.asarray(positions, dtype=float) - np.asarray(new_positions, dtype=float)
    d_tot = float((n * delta).sum())
    big_n = max(calls_entering, 1)
    var_d = max(float((n * delta ** 2).sum()) - d_tot ** 2 / big_n, 0.0)
    var = d_tot ** 2 * s_se ** 2 + s ** 2 * var_d
    moved = delta != 0
    return Effect(net_total=s * d_tot, se_total=math.sqrt(var), calls_entering=calls_entering,
                  seconds_saved=s * float((n * delta)[delta > 0].sum()),
                  seconds_lost=-s * float((n * delta)[delta < 0].sum()),
                  callers_affected=int(np.asarray(callers)[moved].sum()),
                  new_positions={o: int(p) for o, p, m in zip(options, new_positions, moved) if m})


def best_order(options: list[str], positions: list[int], selections: list[float]) -> list[int]:
    """New positions giving the most selected options the earliest of the same slots (ties keep the current
    order): the order that minimises ``Σ selections · position`` (rearrangement inequality)."""
    slots = sorted(positions)
    order = sorted(range(len(options)), key=lambda i: (-selections[i], positions[i]))
    new = [0] * len(options)
    for slot, i in zip(slots, order):
        new[i] = slot
    return new


@dataclass
class PathStep:
    """One menu a promoted option's callers no longer pass: the mean time there (to the key press of the
    option on the path, plus the key-to-enter gap) and its standard error."""

    menu: str
    seconds: float
    se: float


@dataclass
class RootOption:
    """A positioned option of the root with its selections and calls (``bound``: the part of them heading for
    the promoted option, who stop choosing it)."""

    node: str
    position: int
    selections: float
    callers: int
    bound_selections: float = 0.0
    bound_callers: int = 0


def promotion_effect(selections_x: float, callers_x: int, steps: list[PathStep], branch_position: int,
                     insert_at: int, root: list[RootOption], s_root: float, s_root_se: float,
                     later_siblings: tuple[float, int], s_parent: float, s_parent_se: float,
                     calls_entering_root: int) -> Effect:
    """Effect of promoting an option with ``selections_x`` selections (``callers_x`` calls) to the root at
    position ``insert_at`` (see the module docstring); ``later_siblings``: (selections, calls) of the options
    after it in its old menu."""
    s_r, s_p = _slope(s_root), _slope(s_parent)
    t_skip = sum(st.seconds for st in steps)
    var_t = sum(st.se ** 2 for st in steps)
    gain_each = t_skip + s_r * (branch_position - insert_at)
    losers = [o for o in root if o.position >= insert_at]
    lost_sel = sum(max(o.selections - o.bound_selections, 0.0) for o in losers)
    lost_callers = sum(max(o.callers - o.bound_callers, 0) for o in losers)
    sib_sel, sib_callers = later_siblings
    saved = selections_x * gain_each + s_p * sib_sel
    lost = s_r * lost_sel
    net = saved - lost
    coef_r = selections_x * (branch_position - insert_at) - lost_sel  # d net / d s_root
    var = (gain_each ** 2 * selections_x + selections_x ** 2 * var_t + coef_r ** 2 * s_root_se ** 2
           + s_r ** 2 * (lost_sel + selections_x * (branch_position - insert_at) ** 2)
           + s_p ** 2 * sib_sel + sib_sel ** 2 * s_parent_se ** 2)
    return Effect(net_total=net, se_total=math.sqrt(max(var, 0.0)), calls_entering=calls_entering_root,
                  seconds_saved=max(selections_x * gain_each, 0.0) + s_p * sib_sel,
                  seconds_lost=lost + max(-selections_x * gain_each, 0.0),
                  callers_affected=int(callers_x + lost_callers + sib_callers))


def best_promotion(selections_x: float, callers_x: int, steps: list[PathStep], branch_position: int,
                   root: list[RootOption], s_root: float, s_root_se: float, later_siblings: tuple[float, int],
                   s_parent: float, s_parent_se: float, calls_entering_root: int) -> tuple[int, Effect]:
    """The insertion position (1 … one past the last root option) with the largest net effect, and that effect
    (ties: the later position, which disturbs fewer callers)."""
    last = max([o.position for o in root], default=0) + 1
    best = None
    for q in range(1, last + 1):
        e = promotion_effect(selections_x, callers_x, steps, branch_position, q, root, s_root, s_root_se,
                             later_siblings, s_parent, s_parent_se, calls_entering_root)
        if best is None or e.net_total >= best[1].net_total:
            best = (q, e)
    return best
