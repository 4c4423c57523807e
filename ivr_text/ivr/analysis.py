"""One call to analyse IVR event logs: KPIs (overall, by segment, hour, weekday and period), node metrics, hot
spots with peak hours and example calls, paths, graph, option listening times, menu advice and, with a menu
file, conformance.

``analyze_events(events, menu)`` cleans the rows (see :mod:`ivr_text.ivr.calllog`), applies the date and
segment filters, infers the menu from the paths when none is given, and returns an :class:`IvrAnalysis`
(``write(out_dir)`` writes its files).
Guarantees: rows read = used + rejected (``kpis["rows"]``); nodes missing from a given menu are listed
in ``kpis["nodes_missing_from_menu"]`` and ``warnings``; ``min_count`` drops whole rare paths from the graph
only (KPIs, node metrics and hot spots always use every call).
Speed (benchmarks/bench_ivr.py, 10 M events / 1.45 M calls, 2 cores shared with other work, load 2.4-3.1):
about 2.4-2.7 s wall for the analysis (0.55-0.65 s of it kernel time; large temporaries reuse freed memory, see
:mod:`ivr_text.ivr.memory`), 5.7-6.2 s wall including ``read_parquet_events`` (7.4-8.6 s before that work);
peak RSS 1.0-1.2 GB. ``pm4py.discover_dfg`` on the same log: 26-28 s (4.3-4.4x). The time tables, node × hour
counts, peak hours, option times (on a 1 M-row sample) and examples add about 0.3 s CPU on 10 M events.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ivr_text.ivr.advice import HourPeaks, Traffic, recommendations
from ivr_text.ivr.calllog import ENTER, KEY, OUTCOMES, CallLog, build_call_log, filter_calls
from ivr_text.ivr.config import IvrConfig, load_config
from ivr_text.ivr.conformance import Conformance, conformance
from ivr_text.ivr.drilldown import EXAMPLE_COLUMNS, hotspot_examples
from ivr_text.ivr.graph import build_graph
from ivr_text.ivr.menu import Menu, MenuNode, infer_menu
from ivr_text.ivr.metrics import NodeCounts, hotspots, kpis, node_counts, node_kinds, node_metrics
from ivr_text.ivr.paths import EnteredNodes, entered_nodes, path_table, transition_counts, variant_codes
from ivr_text.ivr.timeslots import TimeTables, call_flags, elevated_hours, slot_text, time_tables
from ivr_text.ivr.timing import OptionTimings, option_timings


@dataclass
class IvrAnalysis:
    kpis: dict
    node_metrics: pd.DataFrame
    paths: pd.DataFrame
    hotspots: pd.DataFrame
    graph: object  # networkx.DiGraph
    recommendations: pd.DataFrame
    menu: Menu
    transitions: pd.DataFrame
    rejected: pd.DataFrame
    rejected_positions: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    warnings: list[str] = field(default_factory=list)
    timings: OptionTimings | None = None
    time: TimeTables | None = None
    examples: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=EXAMPLE_COLUMNS))
    conformance: Conformance | None = None

    def write(self, out_dir, extra_kpis: dict | None = None) -> list:
        """Write every output into ``out_dir``: kpis.json, node_metrics, hotspots, paths, recommendations,
        examples, option_timings, option_times_by_position, by_hour, by_weekday, by_period (CSV), conformance and
        conformance_examples (with a menu file) and the graph files; returns the paths."""
        from pathlib import Path

        from ivr_text.io import write_json, write_table
        from ivr_text.ivr.graph import write_graph

        out = Path(out_dir)
        if extra_kpis:
            self.kpis.update(extra_kpis)
        paths = [write_json(self.kpis, out / "kpis.json"),
                 write_table(self.node_metrics, out / "node_metrics.csv"),
                 write_table(self.hotspots, out / "hotspots.csv"),
                 write_table(self.paths, out / "paths.csv"),
                 write_table(self.recommendations, out / "recommendations.csv"),
                 write_table(self.examples, out / "examples.csv")]
        if self.timings is not None:
            paths += [write_table(self.timings.menus, out / "option_timings.csv"),
                      write_table(self.timings.options, out / "option_times_by_position.csv")]
        if self.time is not None:
            paths += [write_table(self.time.by_hour, out / "by_hour.csv"),
                      write_table(self.time.by_weekday, out / "by_weekday.csv"),
                      write_table(self.time.by_period, out / "by_period.csv")]
        if self.conformance is not None:
            paths += [write_table(self.conformance.by_node, out / "conformance.csv"),
                      write_table(self.conformance.examples, out / "conformance_examples.csv")]
        paths += write_graph(self.graph, out)
        return paths


def rejected_by_reason(rejected: pd.DataFrame) -> dict[str, int]:
    """Rejected rows per reason (quoted values elided), most frequent first: ``kpis["rows"]["rejected_by_reason"]``."""
    if not len(rejected):
        return {}
    reasons = rejected["reason"].astype(str).str.replace(r"'[^']*'$", "'…'", regex=True).value_counts()
    return {str(a): int(b) for a, b in reasons.items()}


def _end_counts(log: CallLog) -> np.ndarray:
    """Per node: calls ending there completed, transferred, hung up (columns in that order)."""
    term = np.zeros((log.n_nodes, 3), dtype=np.int64)
    for j, code in enumerate((0, 1, 2)):  # OUT_COMPLETE, OUT_TRANSFER, OUT_HANGUP
        term[:, j] = np.bincount(log.call_node[log.call_outcome == code], minlength=log.n_nodes)
    return term


def _infer(log: CallLog, ent: EnteredNodes, edges: pd.DataFrame, term: np.ndarray) -> Menu:
    n = log.n_nodes
    inner = edges[(edges["src"] < n) & (edges["dst"] < n)]
    trans = np.zeros((n, n), dtype=np.int64)
    trans[inner["src"].to_numpy(), inner["dst"].to_numpy()] = inner["count"].to_numpy()
    firsts = (np.cumsum(ent.length) - ent.length)[ent.length > 0]  # each call's first entered node
    first = np.bincount(ent.node[firsts], minlength=n)
    # keys pressed right before entering a node (the row just before the ENTER row, same call, a KEY event)
    enter_rows = ent.row if ent.row is not None else np.flatnonzero(log.row_event == ENTER)
    if len(enter_rows) and enter_rows[0] == 0:
        enter_rows = enter_rows[1:]
    prev = enter_rows - 1
    ok = (log.row_event[prev] == KEY) & (log.row_call[prev] == log.row_call[enter_rows])
    prev, enter_rows = prev[ok], enter_rows[ok]
    key = log.row_key[prev]
    ok = key >= 0
    prev, enter_rows, key = prev[ok], enter_rows[ok], key[ok]
    n_keys = max(len(log.key_names), 1)
    # (node pressed at, node entered, key) as one integer
    triple = (log.row_node[prev].astype(np.int64) * n + log.row_node[enter_rows]) * n_keys + key
    if n * n * n_keys <= 10_000_000:
        counts = np.bincount(triple, minlength=n * n * n_keys)
        triple = np.flatnonzero(counts)
        counts = counts[triple]
    else:
        triple, counts = np.unique(triple, return_counts=True)
    names = np.asarray(log.node_names, dtype=object)
    kc = pd.DataFrame({"at": names[triple // (n * n_keys)], "node": names[(triple // n_keys) % n],
                       "key": np.asarray(log.key_names, dtype=object)[triple % n_keys], "count": counts})
    return infer_menu(list(log.node_names), trans, first, kc, term)


def _agent_kinds(menu: Menu, term: np.ndarray, node_names: list[str], agent_names) -> Menu:
    """``menu`` with leaves whose kind was not given marked ``agent`` when their id or label is one of
    ``agent_names`` or at least half of the calls ending there were transferred (a copy when anything changes)."""
    wanted = {str(a).strip().lower() for a in agent_names or ()}
    code = {nm: i for i, nm in enumerate(node_names)}
    parents = {n.parent for n in menu.nodes.values()}
    change = []
    for nid, node in menu.nodes.items():
        if node.kind_given or node.kind == "agent" or node.parent is None or nid in parents:
            continue
        named = nid.strip().lower() in wanted or (node.label or "").strip().lower() in wanted
        comp, trans, hang = term[code[nid]] if nid in code else (0, 0, 0)
        if named or (trans > 0 and trans >= 0.5 * (comp + trans + hang)):
            change.append(nid)
    if not change:
        return menu
    nodes = {nid: (replace(n, kind="agent") if nid in change else n) for nid, n in menu.nodes.items()}
    return replace(menu, nodes=nodes)


def _complete_menu(menu: Menu, log: CallLog, inferred: Menu) -> tuple[Menu, list[str]]:
    """A copy of ``menu`` plus log nodes it lacks (placed as inferred, parent kept only if in the menu)."""
    missing = [nm for nm in log.node_names if nm not in menu.nodes]
    if not missing:
        return menu, []
    nodes = dict(menu.nodes)
    for nm in missing:
        guess = inferred.nodes.get(nm)
        parent = guess.parent if guess is not None else None
        if parent not in menu.nodes and parent not in missing:
            parent = menu.root
        nodes[nm] = MenuNode(id=nm, label=nm, parent=parent, key=guess.key if guess else None,
                             kind=guess.kind if guess else "service", kind_given=False)
    out = replace(menu, nodes=nodes)
    try:
        out.validate("menu + log")
    except Exception:  # a guessed placement loops: hang the unknown nodes under the root
        for nm in missing:
            nodes[nm].parent = menu.root
    return out, missing


def analyze_events(events: pd.DataFrame, menu: Menu | None = None, config: IvrConfig | None = None, *,
                   since=None, until=None, segments=None, min_count: int = 1, top_paths: int | None = None,
                   rows_read: int | None = None, recorded: tuple[str, ...] = OUTCOMES,
                   source: str = "this log") -> IvrAnalysis:
    """Analyse an ``ivr_events`` frame (``call_id, ts, node, event`` [+ ``key, segment, caller_id``]).

    ``rows_read``: rows read from the file including any rejected before this call (for the accounting).
    ``recorded``: the outcomes the source can record (KPIs of the others are n/a, see
    :func:`ivr_text.ivr.metrics.kpis`); ``source`` names it in that note.
    Process-wide memory settings are left as they are (the CLI tunes them for its run: ``ivr_text.cli.tuning``).
    """
    return _analyze(events, menu, config, since=since, until=until, segments=segments, min_count=min_count,
                    top_paths=top_paths, rows_read=rows_read, recorded=tuple(recorded), source=source)


def _traffic(log: CallLog, menu: Menu, edges: pd.DataFrame, counts: NodeCounts) -> Traffic:
    """Selections per (menu, option) from the transitions, and the calls entering each node."""
    n = log.n_nodes
    names = log.node_names
    code = {nm: i for i, nm in enumerate(names)}
    parent_code = np.array([code.get(menu.nodes[nm].parent, -1) if nm in menu.nodes else -1 for nm in names],
                           dtype=np.int64)
    e = edges[(edges["src"] < n) & (edges["dst"] < n)]
    src, dst, cnt = e["src"].to_numpy(), e["dst"].to_numpy(), e["count"].to_numpy()
    keep = parent_code[dst] == src
    return Traffic({(names[a], names[b]): float(c) for a, b, c in zip(src[keep], dst[keep], cnt[keep])},
                   {nm: int(c) for nm, c in zip(names, counts.calls_entered)})


def _peaks(log: CallLog, counts: NodeCounts, tt: TimeTables, hours_cfg: dict, measures: dict) -> HourPeaks:
    """Hours at which each node's hang-up and transfer-request rates stand out, and the log-wide ones."""
    opts = dict(alpha=float(hours_cfg.get("alpha", 0.05)), min_ratio=float(hours_cfg.get("min_ratio", 1.5)),
                min_calls=int(hours_cfg.get("min_calls", 10)))
    out = HourPeaks()
    calls = counts.by_group["calls"]
    for col in ("hangups", "transfer_requests"):
        k = counts.by_group[col]
        mask = elevated_hours(k, calls, **opts)
        for i in np.flatnonzero(mask.any(axis=1)):
            h = mask[i]
            peak = k[i, h].sum() / max(calls[i, h].sum(), 1)
            other = k[i, ~h].sum() / max(calls[i, ~h].sum(), 1)
            out.nodes[(log.node_names[i], col)] = (slot_text(np.flatnonzero(h)), float(peak), float(other))
            out.hours[(log.node_names[i], col)] = np.flatnonzero(h)
    hour = tt.by_hour
    for measure, (num, den) in (("queue_abandon_rate", ("queue_hangups", "queue_calls")),
                                ("ivr_hangup_rate", ("ivr_hangups", "calls"))):
        if measure not in measures or hour[measure].isna().all() or hour[den].sum() == 0:
            continue
        k, n = hour[num].to_numpy(float), hour[den].to_numpy(float)
        h = elevated_hours(k, n, **opts)[0]
        if h.any() and not h.all():
            peak, other = k[h].sum() / n[h].sum(), k[~h].sum() / max(n[~h].sum(), 1)
            out.log.append({"measure": measures[measure], "column": measure, "hours": slot_text(np.flatnonzero(h)),
                            "peak_rate": float(peak), "other_rate": float(other), "calls": float(n[h].sum()),
                            "severity": float((peak - other) * n[h].sum())})
    return out


@dataclass
class Prepared:
    """A cleaned, filtered call log with its entered nodes, transitions and the menu completed from it."""

    log: CallLog
    ent: EnteredNodes
    edges: pd.DataFrame
    menu: Menu
    given: bool             # the menu came from a file (not inferred)
    missing: list[str]      # log nodes the given menu lacked
    warnings: list[str]
    rows_rejected: int


def prepare(events: pd.DataFrame, menu: Menu | None, config: IvrConfig, *, rows_read: int | None = None,
            since=None, until=None, segments=None) -> Prepared:
    """Clean and filter the rows (:mod:`ivr_text.ivr.calllog`), count transitions, infer or complete the menu
    and mark agent leaves (the first steps of :func:`analyze_events`, shared with the comparison)."""
    log = build_call_log(events, menu, config, rows_read=rows_read)
    rows_rejected = log.rows_read - len(events) + len(log.rejected)
    log = filter_calls(log, since, until, segments)
    ent = entered_nodes(log)
    edges = transition_counts(log, ent)
    warnings: list[str] = []
    missing: list[str] = []
    term = _end_counts(log)
    inferred = _infer(log, ent, edges, term)
    given = menu is not None and not menu.inferred
    if menu is None:
        menu = inferred
    else:
        menu, missing = _complete_menu(menu, log, inferred)
        if missing:
            warnings.append(f"{len(missing)} node(s) in the log are missing from the menu: "
                            + ", ".join(missing[:10]) + (" …" if len(missing) > 10 else ""))
    menu = _agent_kinds(menu, term, log.node_names, config.agent_node_names)
    if log.n_calls == 0:
        warnings.append("no usable calls: every row was rejected or filtered out (see the rejected rows)")
    return Prepared(log, ent, edges, menu, given, missing, warnings, rows_rejected)


def _analyze(events: pd.DataFrame, menu: Menu | None, config: IvrConfig | None, *, since, until, segments,
             min_count: int, top_paths: int | None, rows_read: int | None, recorded: tuple[str, ...],
             source: str) -> IvrAnalysis:
    config = config or load_config()
    prep = prepare(events, menu, config, rows_read=rows_read, since=since, until=until, segments=segments)
    log, ent, edges, menu, given = prep.log, prep.ent, prep.edges, prep.menu, prep.given
    missing, warnings, rows_rejected = prep.missing, prep.warnings, prep.rows_rejected
    kinds = node_kinds(log, menu)
    flags = call_flags(log, kinds, ent)
    tt = time_tables(log, flags, recorded)
    counts = node_counts(log, kinds, ent, group=tt.hours, n_groups=24)
    nodes = node_metrics(log, menu, ent, counts)
    k = kpis(log, config.repeat_window_hours, recorded, source)
    k["rows"] = {"read": log.rows_read, "used": log.rows_read - rows_rejected, "rejected": rows_rejected,
                 "rejected_by_reason": rejected_by_reason(log.rejected),
                 "rows_in_filtered_calls": int(len(log.row_call))}
    k["filters"] = {"since": None if since is None else str(since), "until": None if until is None else str(until),
                    "segments": list(segments) if segments else None, "calls_filtered_out": log.filtered_calls}
    k["menu"] = {"inferred": menu.inferred, "nodes": len(menu.nodes)}
    k["nodes_missing_from_menu"] = missing

    var, path_counts = variant_codes(log, ent)
    k["path_variants"] = int(len(path_counts))
    labels = {nid: menu.label(nid) for nid in menu.nodes}
    paths = path_table(log, labels, top=top_paths or int(config.paths.get("top", 50)), variants=(var, path_counts),
                       ent=ent)
    spo = float(config.advice.get("seconds_per_option", 3.0))
    timings = option_timings(log, menu, spo, min_selections=int(config.timing.get("min_selections", 30)),
                             min_per_position=int(config.timing.get("min_per_position", 5)),
                             max_rows=config.timing.get("max_rows"))
    k["option_seconds"] = {r["menu"]: {"seconds": r["option_seconds"], "selections": r["selections"],
                                       "se": None if r["option_seconds_se"] != r["option_seconds_se"]
                                       else r["option_seconds_se"], "source": r["source"]}
                           for r in timings.menus.to_dict("records")}
    k["time"] = tt.to_json()
    measures = dict(config.advice.get("hour_measures") or {})
    peaks = _peaks(log, counts, tt, config.hours, measures)
    k["peak_hours"] = [{key: v for key, v in f.items() if key != "severity"} for f in peaks.log]
    hs = config.hotspots
    hot = hotspots(nodes, min_calls=int(hs.get("min_calls", 30)), z=float(hs.get("wilson_z", 1.96)),
                   top=int(hs.get("top", 20)), peaks=peaks.nodes)
    rec = recommendations(nodes, menu, log.n_calls, config.advice, z=float(hs.get("wilson_z", 1.96)),
                          texts=config.advice_text, timings=timings, traffic=_traffic(log, menu, edges, counts),
                          peaks=peaks)
    peak_codes = {(typ, nid): h for (nid, col), h in peaks.hours.items()
                  for typ, c in (("drop_off", "hangups"), ("transfer", "transfer_requests")) if c == col}
    examples = hotspot_examples(log, ent, hot, counts.request_node, labels, tt.hours, peak_codes,
                                per_hotspot=int(config.examples.get("per_hotspot", 5)))
    conf = None
    if given:
        conf = conformance(log, ent, menu, counts.calls, global_keys=config.conformance.get("global_keys", ()),
                           examples_per_node=int(config.conformance.get("examples_per_node", 3)), added=missing)
        k["conformance"] = conf.summary

    if min_count > 1 and log.n_calls:
        keep = path_counts[var] >= min_count
        sub = log.subset(keep)
        sub_ent = entered_nodes(sub)
        g_nodes, g_edges = node_metrics(sub, menu, sub_ent), transition_counts(sub, sub_ent)
        dropped = int((~keep).sum())
    else:
        g_nodes, g_edges, dropped = nodes, edges, 0
    graph = build_graph(g_nodes, g_edges, log.node_names, calls=log.n_calls - dropped, dropped_calls=dropped,
                        min_count=min_count)
    names = list(log.node_names) + [f"END:{o}" for o in ("complete", "transfer", "hangup", "unknown")]
    transitions = pd.DataFrame({"src": np.asarray(names, dtype=object)[edges["src"].to_numpy()],
                                "dst": np.asarray(names, dtype=object)[edges["dst"].to_numpy()],
                                "count": edges["count"].to_numpy()})
    return IvrAnalysis(kpis=k, node_metrics=nodes, paths=paths, hotspots=hot, graph=graph, recommendations=rec,
                       menu=menu, transitions=transitions, rejected=log.rejected,
                       rejected_positions=log.rejected_positions, warnings=warnings, timings=timings, time=tt,
                       examples=examples, conformance=conf)
