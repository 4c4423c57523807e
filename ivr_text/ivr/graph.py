"""The call-path graph: a networkx DiGraph of menu nodes and end nodes with counts and rates, and its
export as GraphML, GEXF and node-link JSON.

Node attributes: label, kind, depth, position, visits, calls, hangups, hangup_rate, transfer_requests,
transfer_request_rate, agent_transfers, agent_transfer_rate, completions, no_input, no_match, loops, mean_seconds (missing values are left out, as
GraphML/GEXF cannot hold them). End nodes (``END:complete`` …) have kind ``end`` and ``calls``. Edge
attributes: ``count`` (transitions) and ``rate`` (share of the source node's outgoing transitions).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ivr_text.ivr.paths import END_PREFIX, end_node_names

_END_LABELS = {"complete": "自助完成", "transfer": "转人工", "hangup": "挂机", "unknown": "未知结束"}
NODE_ATTRS = ["label", "kind", "depth", "position", "visits", "calls", "hangups", "hangup_rate", "transfer_requests",
              "transfer_request_rate", "agent_transfers", "agent_transfer_rate", "completions", "no_input",
              "no_match", "loops", "mean_seconds"]


def _plain(v):
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def build_graph(nodes: pd.DataFrame, edges: pd.DataFrame, node_names: list[str], *, calls: int,
                dropped_calls: int = 0, min_count: int = 1):
    """DiGraph from node metrics and transition counts (``src``/``dst`` codes, ``count``)."""
    import networkx as nx

    g = nx.DiGraph(calls=int(calls), dropped_calls=int(dropped_calls), min_count=int(min_count))
    names = list(node_names) + end_node_names()
    used = set(edges["src"]).union(edges["dst"]) if len(edges) else set()
    m = nodes.set_index("node")
    for code in sorted(used):
        name = names[code]
        if name.startswith(END_PREFIX) and code >= len(node_names):
            outcome = name[len(END_PREFIX):]
            attrs = {"label": _END_LABELS.get(outcome, outcome), "kind": "end",
                     "calls": int(edges.loc[edges["dst"] == code, "count"].sum())}
        else:
            row = m.loc[name]
            attrs = {a: _plain(row[a]) for a in NODE_ATTRS}
        g.add_node(name, **{k: v for k, v in attrs.items() if v is not None and v != ""})
    out_total = edges.groupby("src")["count"].sum() if len(edges) else pd.Series(dtype=float)
    for s, d, c in edges[["src", "dst", "count"]].itertuples(index=False, name=None):
        g.add_edge(names[s], names[d], count=int(c), rate=float(c / out_total[s]))
    return g


#: Characters XML 1.0 cannot carry (control characters other than tab, newline and carriage return).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _mapped(g, fix):
    """The graph with ``fix`` applied to every string (node names, attribute values); the graph itself when
    nothing changes."""
    import networkx as nx

    strings = [n for n in g.nodes if isinstance(n, str)]
    strings += [v for _, d in g.nodes(data=True) for v in d.values() if isinstance(v, str)]
    strings += [v for _, _, d in g.edges(data=True) for v in d.values() if isinstance(v, str)]
    if all(fix(v) == v for v in dict.fromkeys(strings)):
        return g
    safe = nx.relabel_nodes(g, {n: fix(n) if isinstance(n, str) else n for n in g.nodes}, copy=True)
    for _, d in safe.nodes(data=True):
        d.update({k: fix(v) if isinstance(v, str) else v for k, v in d.items()})
    for _, _, d in safe.edges(data=True):
        d.update({k: fix(v) if isinstance(v, str) else v for k, v in d.items()})
    return safe


def _xml_safe(g):
    """The graph with every string made XML-safe: a stray control character from a log is written as its
    escape (``\\x01``), so names stay distinct."""
    return _mapped(g, lambda v: _NOT_XML.sub(lambda m: f"\\x{ord(m[0]):02x}", v))


def write_graph(g, out_dir: str | Path) -> list[Path]:
    """Write ``graph.graphml``, ``graph.gexf`` and ``graph.json`` (node-link) into ``out_dir``."""
    import networkx as nx

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "graph.graphml", out_dir / "graph.gexf", out_dir / "graph.json"]
    from ivr_text.text.pii import mask_pii, output_masking

    if output_masking():  # PII masked as by every writer (ivr_text.sanitize)
        g = _mapped(g, mask_pii)
    xml_g = _xml_safe(g)
    nx.write_graphml(xml_g, paths[0], encoding="utf-8")
    nx.write_gexf(xml_g, paths[1], encoding="utf-8")
    data = nx.node_link_data(g, edges="links")
    paths[2].write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return paths
