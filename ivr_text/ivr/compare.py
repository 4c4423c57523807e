"""Two segments or two periods of one log side by side (retentioneering's two-group transition diff, with tests).

``compare_events(events, groups="segment=政企,动感地带")`` or ``periods="2024-01,2024-02"`` splits
the calls into groups A and B (a segment value may join several with ``+``: ``全球通+政企``; a period is a
year ``2024``, month ``2024-01``, ISO week ``2024-W05``, day ``2024-01-15`` or a range ``2024-01-01..2024-01-15``,
both ends included) and compares, for each KPI, each node and each transition, the two rates:

* KPIs: self-service, transfer, abandon, unknown-end and repeat-call rates (per call), and the mean call
  seconds (Welch's t);
* nodes: ``reach`` (share of calls through the node), ``hangup_rate`` and ``transfer_request_rate`` (per call
  through the node);
* transitions: the share of a node's onward steps that go to each next node (the edge weights of the path
  graph, as retentioneering compares them).

Each row has both rates, the difference A − B with a Newcombe (Wilson score) confidence interval, the
two-sided p-value of the pooled two-proportion z-test and the Benjamini–Hochberg adjusted p-value over all
rows tested; rows are sorted by adjusted p-value, then by the size of the difference. Rows where either group
has fewer than ``min_n`` calls (steps) are left out; KPIs the source does not record are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ivr_text.stats import benjamini_hochberg, two_proportions, welch  # noqa: F401  (welch: tests)

from ivr_text.errors import InputError
from ivr_text.ivr.calllog import NS, OUT_COMPLETE, OUT_HANGUP, OUT_TRANSFER, OUT_UNKNOWN, OUTCOMES, CallLog
from ivr_text.ivr.config import IvrConfig, load_config
from ivr_text.ivr.menu import Menu
from ivr_text.ivr.metrics import node_counts, node_kinds, repeated_calls
from ivr_text.ivr.paths import entered_nodes, transition_counts

COMPARE_COLUMNS = ["scope", "item", "label", "measure", "a_count", "a_n", "a_rate", "b_count", "b_n", "b_rate",
                   "difference", "ci_low", "ci_high", "p_value", "p_adjusted", "significant"]


@dataclass
class Comparison:
    table: pd.DataFrame   # COMPARE_COLUMNS
    groups: dict          # {"a": {...}, "b": {...}, "by": "segment" | "period"}
    warnings: list[str]
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["reason"]))
    rejected_positions: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))

    def to_json(self) -> dict:
        rows = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
                for r in self.table.to_dict("records")]
        return {"groups": self.groups, "correction": "Benjamini-Hochberg", "rows": rows, "warnings": self.warnings}

    def write(self, out_dir) -> list:
        from pathlib import Path

        from ivr_text.io import write_json, write_table

        out = Path(out_dir)
        return [write_table(self.table, out / "compare.csv"), write_json(self.to_json(), out / "compare.json")]


# ------------------------------------------------------------------------------------------ groups


def parse_groups(spec: str) -> tuple[str, list[str], list[str]]:
    """``segment=A,B`` (``+`` joins values within a group) → ("segment", [A...], [B...])."""
    col, sep, values = str(spec).partition("=")
    parts = [v.strip() for v in values.split(",")]
    if not sep or len(parts) != 2 or not all(parts):
        raise InputError(f"--groups: expected COLUMN=A,B (e.g. segment=政企,动感地带), got '{spec}'")
    if col.strip() != "segment":
        raise InputError(f"--groups: can compare by 'segment' only (the per-call column of the log), got '{col}'")
    a, b = ([x.strip() for x in p.split("+") if x.strip()] for p in parts)
    return "segment", a, b


def period_bounds(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of a period written as a year, month, ISO week, day, or ``start..end`` (days included)."""
    s = str(text).strip()
    if ".." in s:
        a, b = s.split("..", 1)
        return period_bounds(a)[0], period_bounds(b)[1]
    try:
        if "-W" in s.upper():
            year, week = s.upper().split("-W")
            start = pd.Timestamp(dt.date.fromisocalendar(int(year), int(week), 1))
            return start, start + pd.Timedelta(days=7)
        if len(s) == 4 and s.isdigit():
            p = pd.Period(s, freq="Y")
        elif len(s) <= 7:
            p = pd.Period(s, freq="M")
        else:
            p = pd.Period(s, freq="D")
    except (ValueError, TypeError):
        raise InputError(f"--periods: '{s}' is not a year (2024), month (2024-01), ISO week (2024-W05), day "
                         "(2024-01-15) or range (2024-01-01..2024-01-15)") from None
    return p.start_time, (p + 1).start_time


def group_masks(log: CallLog, groups=None, periods=None) -> tuple[np.ndarray, np.ndarray, dict]:
    """Per call: in group A, in group B; and a description of both."""
    if (groups is None) == (periods is None):
        raise InputError("compare: give either --groups or --periods")
    if groups is not None:
        col, a, b = groups if not isinstance(groups, str) else parse_groups(groups)
        names = [str(x) for x in log.segment_names]
        code = {nm: i for i, nm in enumerate(names)}
        for v in (*a, *b):
            if v not in code:
                raise InputError(f"--groups: segment '{v}' is not in the log (segments: {', '.join(names) or 'none'})")
        seg = log.call_segment
        ma = np.isin(seg, [code[v] for v in a])
        mb = np.isin(seg, [code[v] for v in b])
        desc = {"by": col, "a": {"name": "+".join(a), "values": list(a)}, "b": {"name": "+".join(b), "values": list(b)}}
    else:
        pa, pb = (periods.split(",") if isinstance(periods, str) else list(periods))[:2] if periods else (None, None)
        if pa is None or pb is None:
            raise InputError("--periods: expected P1,P2 (e.g. 2024-01,2024-02)")
        (a0, a1), (b0, b1) = period_bounds(pa), period_bounds(pb)
        ma = (log.call_start >= a0.value) & (log.call_start < a1.value)
        mb = (log.call_start >= b0.value) & (log.call_start < b1.value)
        desc = {"by": "period", "a": {"name": pa.strip(), "from": a0.isoformat(), "to": a1.isoformat()},
                "b": {"name": pb.strip(), "from": b0.isoformat(), "to": b1.isoformat()}}
    if (ma & mb).any():
        raise InputError(f"compare: the two groups overlap ({int((ma & mb).sum()):,} calls in both)")
    desc["a"]["calls"], desc["b"]["calls"] = int(ma.sum()), int(mb.sum())
    return ma, mb, desc


# ------------------------------------------------------------------------------------------ comparison


def _group_figures(log: CallLog, keep: np.ndarray, kinds: np.ndarray, repeated: np.ndarray, known: np.ndarray):
    sub = log.subset(keep)
    ent = entered_nodes(sub)
    counts = node_counts(sub, kinds, ent)
    edges = transition_counts(sub, ent)
    out = np.bincount(sub.call_outcome, minlength=4)
    return {"log": sub, "n": sub.n_calls, "out": out, "counts": counts, "edges": edges,
            "seconds": (sub.call_end - sub.call_start) / NS, "repeated": int(repeated[keep].sum()),
            "known": int(known[keep].sum())}


def compare_events(events: pd.DataFrame, menu: Menu | None = None, config: IvrConfig | None = None, *,
                   groups=None, periods=None, min_n: int = 30, z: float = 1.96, alpha: float = 0.05,
                   recorded: tuple[str, ...] = OUTCOMES) -> Comparison:
    """Compare two segments (``groups``: ``"segment=A,B"`` or ``("segment", [A], [B])``) or two periods
    (``periods``: ``"P1,P2"`` or a pair) of one log (see the module docstring)."""
    from ivr_text.ivr.analysis import prepare

    config = config or load_config()
    prep = prepare(events, menu, config)
    log, menu = prep.log, prep.menu
    ma, mb, desc = group_masks(log, groups, periods)
    warnings = list(prep.warnings)
    for g, m in (("A", ma), ("B", mb)):
        if not m.any():
            warnings.append(f"group {g} ({desc[g.lower()]['name']}) has no calls")
    kinds = node_kinds(log, menu)
    repeated, known = repeated_calls(log, config.repeat_window_hours)
    A = _group_figures(log, ma, kinds, repeated, known)
    B = _group_figures(log, mb, kinds, repeated, known)
    rows: list[dict] = []

    def add(scope, item, label, measure, ka, na, kb, nb):
        if na >= min_n and nb >= min_n:
            rows.append({"scope": scope, "item": item, "label": label, "measure": measure, "a_count": ka,
                         "a_n": na, "b_count": kb, "b_n": nb})

    kpi = (("self_service_rate", OUT_COMPLETE, "complete"), ("transfer_rate", OUT_TRANSFER, "transfer"),
           ("abandon_rate", OUT_HANGUP, "hangup"), ("unknown_end_rate", OUT_UNKNOWN, "unknown"))
    for name, code, outcome in kpi:
        if outcome in recorded or outcome == "unknown":
            add("kpi", name, name, "share of calls", int(A["out"][code]), A["n"], int(B["out"][code]), B["n"])
    if log.call_caller is not None:
        add("kpi", "repeat_call_rate", "repeat_call_rate", "share of identified callers' calls", A["repeated"],
            A["known"], B["repeated"], B["known"])
    names = log.node_names
    for i, nm in enumerate(names):
        ca, cb = A["counts"], B["counts"]
        lab = menu.label(nm)
        add("node", nm, lab, "reach", int(ca.calls[i]), A["n"], int(cb.calls[i]), B["n"])
        add("node", nm, lab, "hangup_rate", int(ca.hangups[i]), int(ca.calls[i]), int(cb.hangups[i]),
            int(cb.calls[i]))
        add("node", nm, lab, "transfer_request_rate", int(ca.transfer_requests[i]), int(ca.calls[i]),
            int(cb.transfer_requests[i]), int(cb.calls[i]))
    from ivr_text.ivr.graph import _END_LABELS

    ends = list(names) + [f"END:{o}" for o in OUTCOMES]
    end_label = lambda x: f"结束：{_END_LABELS[x[4:]]}" if x.startswith("END:") else menu.label(x)  # noqa: E731
    ea = A["edges"].set_index(["src", "dst"])["count"]
    eb = B["edges"].set_index(["src", "dst"])["count"]
    out_a, out_b = ea.groupby(level=0).sum(), eb.groupby(level=0).sum()
    for src, dst in sorted(set(ea.index) | set(eb.index)):
        add("transition", f"{ends[src]} → {ends[dst]}", f"{end_label(ends[src])} → {end_label(ends[dst])}",
            "share of the node's next steps", int(ea.get((src, dst), 0)), int(out_a.get(src, 0)),
            int(eb.get((src, dst), 0)), int(out_b.get(src, 0)))

    table = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    if len(table):
        d, lo, hi, p = two_proportions(table["a_count"], table["a_n"], table["b_count"], table["b_n"], z)
        table["a_rate"] = table["a_count"] / table["a_n"]
        table["b_rate"] = table["b_count"] / table["b_n"]
        table["difference"], table["ci_low"], table["ci_high"], table["p_value"] = d, lo, hi, p
    if len(A["seconds"]) >= max(min_n, 2) and len(B["seconds"]) >= max(min_n, 2):
        d, lo, hi, p = welch(A["seconds"], B["seconds"], z)
        secs = pd.DataFrame([{"scope": "kpi", "item": "mean_call_seconds", "label": "mean_call_seconds",
                              "measure": "mean seconds (Welch)", "a_n": A["n"], "b_n": B["n"],
                              "a_rate": float(np.mean(A["seconds"])), "b_rate": float(np.mean(B["seconds"])),
                              "difference": d, "ci_low": lo, "ci_high": hi, "p_value": p}])
        table = pd.concat([table, secs], ignore_index=True) if len(table) else secs.reindex(columns=COMPARE_COLUMNS)
    if len(table):
        table["p_adjusted"] = benjamini_hochberg(table["p_value"].to_numpy(float))
        table["significant"] = table["p_adjusted"] < alpha
        table["_abs"] = table["difference"].abs()
        table = table.sort_values(["p_adjusted", "_abs", "scope", "item", "measure"],
                                  ascending=[True, False, True, True, True], kind="stable").drop(columns="_abs")
    return Comparison(table[COMPARE_COLUMNS].reset_index(drop=True), desc, warnings, log.rejected,
                      log.rejected_positions)
