"""Menu redesign advice: the best order of each menu, promotions of deep popular services, and flags for
nodes and hours where callers give up (hang up), ask for an agent, or abandon a queue.

Every reorder and promotion is judged by one model (:mod:`ivr_text.ivr.changes`) with the option times measured
from the log (:mod:`ivr_text.ivr.timing`; the config's ``seconds_per_option`` only where the log cannot support
an estimate, and ``option_seconds_source`` says which): seconds saved by the callers who move up minus
seconds lost by those pushed down (and, for a promotion, by everyone the longer first-level menu pushes down).
A change is advised only when the lower confidence bound of its net seconds per call is above 0, it saves at
least ``min_net_seconds_per_call`` per call entering the menu and ``min_seconds_per_caller`` per caller who moves
up — with the config's guess of the option time, for anything from half to twice the guess. Each menu gets at most one ordering advice — its best
order (``announce earlier`` when that moves a single option forward, else ``reorder options``). Rows are ranked
by ``net_seconds_per_call`` — per call entering the menu changed (the first level for a promotion) — then by
``net_seconds_total`` (seconds over the whole log); flags follow by severity. Flags name the hours at which their
rate stands out (``peak_hours``; :func:`ivr_text.ivr.timeslots.elevated_hours`). Reasons are plain sentences
with the menu's labels, worded by the ``advice_text`` templates of the config (Chinese by default; ``action``
stays a fixed English code for scripts, ``action_label`` and ``reason`` are the readable text).
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.ivr.changes import (Effect, PathStep, RootOption, best_order, best_promotion, promotion_effect,
                                  reorder_effect)
from ivr_text.ivr.menu import Menu
from ivr_text.stats import wilson_lower

ACTIONS = ("reorder options", "promote to first level", "announce earlier", "review drop-off", "review zero-out",
           "review queue", "review hours")
#: Template parts of each action; ``reason_at_hours`` (optional) is used instead of ``reason`` when the flagged
#: rate stands out at certain hours.
PARTS = ("label", "proposed", "reason", "reason_at_hours")
#: Placeholders the ``advice_text`` templates may use.
PLACEHOLDERS = ("node", "menu", "option", "path", "order", "share", "rate", "lower", "median", "confidence",
                "position", "before", "depth", "keys", "calls", "seconds", "hours", "peak_rate", "other_rate",
                "measure", "net", "saved", "lost", "savers", "losers", "option_seconds", "source", "new_position")
ADVICE_COLUMNS = ["rank", "action", "action_label", "menu", "node", "label", "parent", "depth", "current_position",
                  "proposed_position", "proposed_order", "calls", "call_share", "hangup_rate",
                  "transfer_request_rate", "peak_hours", "option_seconds", "option_seconds_source",
                  "callers_affected", "net_seconds_per_call", "net_seconds_per_call_low", "net_seconds_total",
                  "keys_saved_per_caller", "proposed", "reason"]


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
        for part in PARTS:
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


def _words(texts: dict, action: str, at_hours: bool = False, **values) -> dict:
    """``action_label``, ``proposed`` and ``reason`` of one advice row from the templates (``reason_at_hours``
    for the reason when ``at_hours`` and the action has one)."""
    entry = texts[action]
    out = {"action": action, "action_label": entry.get("label") or action}
    for part in ("proposed", "reason"):
        template = entry.get(part) or ""
        if part == "reason" and at_hours and entry.get("reason_at_hours"):
            template = entry["reason_at_hours"]
        try:
            out[part] = template.format_map(_Values(values))
        except (ValueError, TypeError) as exc:
            raise InputError(f"ivr config: advice_text: {action}: {part}: template does not fit the values "
                             f"({exc})") from None
    return out


def confidence_of(z: float) -> float:
    """Two-sided confidence level of a normal quantile ``z`` (1.96 → 0.95)."""
    return math.erf(z / math.sqrt(2))


@dataclass
class Traffic:
    """What the change model needs from the log: selections per (menu, option) — transitions from the menu
    into the option — and per node the calls that entered it."""

    selections: dict[tuple[str, str], float] = field(default_factory=dict)
    entered: dict[str, int] = field(default_factory=dict)


@dataclass
class HourPeaks:
    """Per node and flag column (``hangups`` / ``transfer_requests``): the hours its rate stands out, with the
    rates at those and at the other hours; plus the log-wide hours of :func:`hour_flags`."""

    nodes: dict[tuple[str, str], tuple[str, float, float]] = field(default_factory=dict)  # (hours, peak, other)
    hours: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)  # the hours themselves
    log: list[dict] = field(default_factory=list)


class _Advice:
    """The rules of :func:`recommendations` over one analysis' inputs."""

    def __init__(self, nodes, menu, total_calls, advice, z, texts, timings, traffic, peaks):
        self.m = nodes.set_index("node")
        self.calls = dict(zip(nodes["node"], nodes["calls"]))
        self.menu, self.total, self.z, self.texts = menu, total_calls, z, texts
        self.timings, self.traffic, self.peaks = timings, traffic or Traffic(), peaks or HourPeaks()
        self.spo = float(advice.get("seconds_per_option", 3.0))
        self.min_share = float(advice.get("min_call_share", 0.02))
        self.min_calls = int(advice.get("min_calls", 30))
        self.promote_depth = int(advice.get("promote_min_depth", 2))
        self.min_gain = float(advice.get("min_seconds_per_caller", 1.0))
        self.min_net = float(advice.get("min_net_seconds_per_call", 0.1))
        self.min_step = int(advice.get("min_selections_per_option", 5))
        self.source_words = dict(advice.get("source_words") or {})
        self.advice = advice
        self.rows: list[dict] = []

    # ---- helpers
    def label(self, nid) -> str:
        return self.menu.label(nid)

    def base(self, nid: str) -> dict:
        r = self.m.loc[nid] if nid in self.m.index else None
        node = self.menu.nodes.get(nid)
        get = lambda col, default=np.nan: r[col] if r is not None else default  # noqa: E731
        return {"node": nid, "label": self.label(nid), "parent": node.parent if node else None,
                "menu": node.parent if node else None, "depth": get("depth", pd.NA),
                "current_position": get("position", pd.NA), "calls": int(get("calls", 0)),
                "call_share": get("calls", 0) / self.total, "hangup_rate": get("hangup_rate"),
                "transfer_request_rate": get("transfer_request_rate")}

    def timing(self, menu_id: str):
        if self.timings is not None:
            return self.timings.of(menu_id)
        from ivr_text.ivr.timing import MenuTiming

        return MenuTiming(self.spo, 0.0, float("nan"), 0, "config")

    def sel(self, menu_id: str, option: str) -> float:
        return float(self.traffic.selections.get((menu_id, option), 0.0))

    def entered(self, nid: str) -> int:
        return int(self.traffic.entered.get(nid, 0))

    def confident(self, e: Effect, savers: int) -> bool:
        """Net-positive at the confidence level, worth ``min_net_seconds_per_call`` per call entering the menu
        and ``min_seconds_per_caller`` per caller who moves up (``savers``)."""
        return (e.calls_entering > 0 and e.low_per_call(self.z) > 0 and e.net_per_call >= self.min_net
                and e.seconds_saved >= self.min_gain * max(savers, 1))

    @staticmethod
    def plausible(timing) -> tuple[float, ...]:
        """Option times a change must be net-positive for: the measured one; for the config's guess anything
        from half to twice it (net effects are linear in it, so the ends suffice)."""
        return (timing.seconds,) if timing.source == "measured" else (0.5 * timing.seconds, 2 * timing.seconds)

    def change_row(self, nid: str, e: Effect, timing, action: str, new_position: int, order_ids: list[str],
                   **words) -> dict:
        r = self.base(nid)
        r.update(proposed_position=int(new_position), proposed_order="|".join(order_ids),
                 option_seconds=timing.seconds, option_seconds_source=timing.source,
                 callers_affected=e.callers_affected, net_seconds_per_call=e.net_per_call,
                 net_seconds_per_call_low=e.low_per_call(self.z), net_seconds_total=e.net_total,
                 **_words(self.texts, action, net=e.net_per_call, saved=e.seconds_saved, lost=e.seconds_lost,
                          option_seconds=max(timing.seconds, 0.0), source=self.source_words.get(timing.source,
                                                                                               timing.source),
                          new_position=int(new_position), confidence=_pct(confidence_of(self.z)), **words))
        return r

    # ---- the best order of each menu
    def reorders(self) -> None:
        menu = self.menu
        for p in sorted({n.parent for n in menu.nodes.values() if n.parent is not None}):
            kids = [k for k in menu.children(p) if menu.nodes[k].kind not in ("agent", "queue")]
            if len(kids) < 2 or any(menu.position(k) is None for k in kids):
                continue
            traffic = [self.sel(p, k) for k in kids]
            if sum(traffic) < self.min_calls:
                continue
            pos = [menu.position(k) for k in kids]
            new = best_order(kids, pos, traffic)
            if new == pos:
                continue
            t = self.timing(p)
            effect = lambda s: reorder_effect(kids, pos, new, traffic, [self.entered(k) for k in kids], s,  # noqa
                                              t.se, self.entered(p))
            e = effect(t.seconds)
            delta = [a - b for a, b in zip(pos, new)]
            up = [i for i, d in enumerate(delta) if d > 0]
            savers = sum(self.entered(kids[i]) for i in up)
            if not all(self.confident(effect(s), savers) for s in self.plausible(t)):
                continue
            single = len(up) == 1 and all(d in (0, -1) for i, d in enumerate(delta) if i != up[0])
            main = up[0] if single else int(np.argmax([n * d for n, d in zip(traffic, delta)]))
            order = [kids[i] for i in sorted(range(len(kids)), key=lambda i: new[i])]
            full = [k for k in menu.children(p) if k not in kids]  # agent / queue options keep their slots
            slots = {menu.position(k): k for k in full if menu.position(k) is not None}
            order_ids = _merge_slots(order, new, slots)
            losers = sum(self.entered(kids[i]) for i, d in enumerate(delta) if d < 0)
            share = traffic[main] / sum(traffic)
            action = "announce earlier" if single else "reorder options"
            row = self.change_row(kids[main], e, t, action, new[main], order_ids, menu=self.label(p),
                                  node=self.label(kids[main]), option=self.label(kids[main]),
                                  order=" / ".join(self.label(k) for k in order), share=_pct(share),
                                  position=pos[main], before=pos[main] - 1, savers=f"{savers:,}",
                                  losers=f"{losers:,}", calls=f"{self.entered(p):,}")
            row["menu"] = p
            self.rows.append(row)

    # ---- promotions of deep popular services to the first level
    def promotions(self) -> None:
        menu, root = self.menu, self.menu.root
        if root is None:
            return
        root_kids = [k for k in menu.children(root) if menu.position(k) is not None]
        digits = sum(1 for k in menu.children(root) if (menu.nodes[k].key or "") in tuple("123456789"))
        if digits >= 9:
            return  # every digit key of the first level is taken
        t_root = self.timing(root)
        parents = {n.parent for n in menu.nodes.values()}
        for nid, node in menu.nodes.items():
            if node.kind != "service" or nid not in self.calls or nid in parents:
                continue
            depth = menu.depth(nid)
            c = int(self.calls[nid])
            if depth < self.promote_depth or c < self.min_calls or c / self.total < self.min_share:
                continue
            path = menu.ancestors(nid) + [nid]  # root, a1, ..., parent, nid
            if menu.position(path[1]) is None or menu.position(nid) is None:
                continue
            steps = []
            for j in range(1, len(path) - 1):
                opt = self.timings.by_option.get(path[j + 1]) if self.timings is not None else None
                if not opt or opt["selections"] < self.min_step or opt["mean_seconds"] != opt["mean_seconds"]:
                    steps = None  # a menu on the way without measured times: the saving is unknown
                    break
                sd = opt["sd_seconds"] if opt["sd_seconds"] == opt["sd_seconds"] else 0.0
                steps.append(PathStep(path[j], opt["mean_seconds"] + opt["gap_seconds"],
                                      sd / math.sqrt(opt["selections"])))
            if not steps:
                continue
            parent = node.parent
            n_x, callers_x = self.sel(parent, nid), self.entered(nid)
            branch = path[1]
            opts = [RootOption(k, menu.position(k), self.sel(root, k), self.entered(k),
                               n_x if k == branch else 0.0, callers_x if k == branch else 0) for k in root_kids]
            later = [k for k in menu.children(parent) if k != nid and menu.position(k) is not None
                     and menu.position(k) > menu.position(nid)]
            sib = (sum(self.sel(parent, k) for k in later), sum(self.entered(k) for k in later))
            t_par = self.timing(parent)
            q, e = best_promotion(n_x, callers_x, steps, menu.position(branch), opts, t_root.seconds, t_root.se,
                                  sib, t_par.seconds, t_par.se, self.entered(root))
            if not all(self.confident(promotion_effect(n_x, callers_x, steps, menu.position(branch), q, opts, s_r,
                                                       t_root.se, sib, s_p, t_par.se, self.entered(root)),
                                      callers_x + sib[1])
                       for s_r in self.plausible(t_root) for s_p in self.plausible(t_par)):
                continue
            order = sorted(root_kids, key=lambda k: menu.position(k))
            order = order[:q - 1] + [nid] + order[q - 1:]
            pretty = " > ".join(self.label(a) for a in path[1:])
            row = self.change_row(nid, e, t_root, "promote to first level", q, order, node=self.label(nid),
                                  path=pretty, share=_pct(c / self.total), depth=depth, keys=depth - 1,
                                  seconds=sum(st.seconds for st in steps), menu=self.label(root),
                                  savers=f"{callers_x:,}", calls=f"{self.entered(root):,}",
                                  losers=f"{e.callers_affected - callers_x - sib[1]:,}")
            row["menu"], row["keys_saved_per_caller"] = root, float(depth - 1)
            self.rows.append(row)

    # ---- flags: frequent hang-ups or zero-outs at a node (absolute and relative to the median node);
    # queue nodes are compared with the other queues, and only for hang-ups (abandoned while waiting)
    def flags(self) -> None:
        m, advice = self.m, self.advice
        rel = float(advice.get("relative_to_median", 2.0))
        rel_queue = float(advice.get("queue_relative_to_median", 1.0))
        eligible = m[(m["calls"] >= self.min_calls) & (m["kind"] != "agent")]
        is_queue = eligible["kind"] == "queue"
        median = {(q, col): float((part[col] / part["calls"]).median()) if len(part) else 0.0
                  for q, part in ((False, eligible[~is_queue]), (True, eligible[is_queue]))
                  for col in ("hangups", "transfer_requests")}
        for nid in m.index:
            r0 = m.loc[nid]
            c = int(r0["calls"])
            if c < self.min_calls or r0["kind"] == "agent":
                continue
            queue = r0["kind"] == "queue"
            checks = ((("hangups", advice.get("queue_hangup_rate", 0.1), "review queue"),) if queue else
                      (("hangups", advice.get("hangup_rate", 0.25), "review drop-off"),
                       ("transfer_requests", advice.get("transfer_rate", 0.5), "review zero-out")))
            for count_col, threshold, action in checks:
                k = int(r0[count_col])
                low = float(wilson_lower(k, c, self.z))
                med = median[queue, count_col]
                if queue:  # a handful of queues: each against the median of the others (none: the threshold only)
                    others = eligible[is_queue & (eligible.index != nid)]
                    med = float((others[count_col] / others["calls"]).median()) if len(others) else 0.0
                if not (k and low >= float(threshold) and low >= (rel_queue if queue else rel) * med):
                    continue
                hours, peak, other = self.peaks.nodes.get((nid, count_col), ("", np.nan, np.nan))
                r = self.base(nid)
                r["peak_hours"] = hours
                r.update(_words(self.texts, action, at_hours=bool(hours), node=self.label(nid),
                                depth=_int_or_dash(r0["depth"]), position=_int_or_dash(r0["position"]),
                                calls=f"{c:,}", rate=_pct(k / c), lower=_pct(low),
                                median=_pct(med), confidence=_pct(confidence_of(self.z)),
                                seconds=float("nan"), hours=hours, peak_rate=_pct(peak), other_rate=_pct(other)))
                r["_severity"] = low * k
                self.rows.append(r)

    def hour_flags(self) -> None:
        """Log-wide hours at which queue abandonment or hang-ups stand out (see :class:`HourPeaks`)."""
        for f in self.peaks.log:
            r = {"node": "", "label": "", "menu": None, "parent": None, "calls": int(f["calls"]),
                 "peak_hours": f["hours"], "_severity": f["severity"]}
            r.update(_words(self.texts, "review hours", at_hours=True, measure=f["measure"], hours=f["hours"],
                            peak_rate=_pct(f["peak_rate"]), other_rate=_pct(f["other_rate"]),
                            calls=f"{int(f['calls']):,}", confidence=_pct(confidence_of(self.z))))
            self.rows.append(r)


def _merge_slots(order: list[str], new_positions: list[int], fixed: dict[int, str]) -> list[str]:
    """The menu's node ids in announced order: the moved options at their new positions, the fixed ones
    (agent / queue options) at theirs."""
    placed = dict(fixed)
    for nid, p in zip(order, sorted(new_positions)):
        placed[p] = nid
    return [placed[p] for p in sorted(placed)]


def recommendations(nodes: pd.DataFrame, menu: Menu, total_calls: int, advice: dict, z: float = 1.96,
                    texts: dict | None = None, *, timings=None, traffic: Traffic | None = None,
                    peaks: HourPeaks | None = None) -> pd.DataFrame:
    """Advice rows (columns :data:`ADVICE_COLUMNS`), largest net saving per call first, then flags by severity.

    ``timings``: :class:`ivr_text.ivr.timing.OptionTimings` (without it every menu uses the config's
    ``seconds_per_option`` and no promotion can be judged); ``traffic``: selections and calls entering each
    node; ``peaks``: hours at which the flagged rates stand out; ``texts``: the ``advice_text`` templates
    (default: the shipped Chinese wording)."""
    if texts is None:
        from ivr_text.ivr.config import load_config

        texts = load_config().advice_text
    texts = check_advice_text(texts)
    if total_calls == 0 or nodes.empty:
        return pd.DataFrame(columns=ADVICE_COLUMNS)
    a = _Advice(nodes, menu, total_calls, advice, z, texts, timings, traffic, peaks)
    a.reorders()
    a.promotions()
    a.flags()
    a.hour_flags()
    if not a.rows:
        return pd.DataFrame(columns=ADVICE_COLUMNS)
    out = pd.DataFrame(a.rows)
    for col in ADVICE_COLUMNS + ["_severity"]:
        if col not in out:
            out[col] = np.nan
    out = out.sort_values(["net_seconds_per_call", "net_seconds_total", "_severity"], ascending=[False, False, False],
                          na_position="last")
    out["rank"] = np.arange(1, len(out) + 1)
    return out[ADVICE_COLUMNS].reset_index(drop=True)
