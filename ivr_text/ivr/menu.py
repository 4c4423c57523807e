"""IVR menu trees: load a menu definition (flat list or nested tree YAML/JSON) or infer one from call paths.

A :class:`Menu` maps node id → :class:`MenuNode` (label, parent, key, kind ∈ menu/service/agent/queue) and
derives ``depth`` (root = 0) and ``position`` (1-based order of the node's key among its siblings, as announced:
1…9, then 0, * and #; keyless options of a given menu follow in file order; in an inferred menu a node reached
without a key press has no known position, and neither has the root). Guarantees: duplicate ids, unknown
parents, cycles and bad kinds are an :class:`InputError` naming the node; inference is deterministic (ties broken by node id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.resources import read_yaml

KINDS = ("menu", "service", "agent", "queue")
_KEY_ORDER = {k: i for i, k in enumerate("1234567890*#")}


@dataclass
class MenuNode:
    id: str
    label: str = ""
    parent: str | None = None
    key: str | None = None
    kind: str = "menu"
    kind_given: bool = True  # false when the kind was defaulted (menu file without 'kind') or inferred
    cause: str | None = None  # complaint cause of calls ending here (inherited by the node's sub-menus)


@dataclass
class Menu:
    """A menu tree; ``inferred`` is true when it was reconstructed from the paths."""

    nodes: dict[str, MenuNode] = field(default_factory=dict)
    inferred: bool = False
    global_keys: dict[str, str] = field(default_factory=dict)  # key → meaning, valid at every node

    @property
    def root(self) -> str | None:
        roots = [n.id for n in self.nodes.values() if n.parent is None]
        return "root" if "root" in roots else (roots[0] if roots else None)

    def children(self, node_id: str | None) -> list[str]:
        """Children of ``node_id`` in announced key order (keyless ones last: in file order in a given menu,
        by id in an inferred one)."""
        kids = [n for n in self.nodes.values() if n.parent == node_id]
        if self.inferred:
            return [n.id for n in sorted(kids, key=lambda n: (key_rank(n.key), n.id))]
        return [n.id for n in sorted(kids, key=lambda n: key_rank(n.key)[0])]  # stable: file order breaks ties

    def depth(self, node_id: str) -> int:
        d, cur, seen = 0, self.nodes[node_id], set()
        while cur.parent is not None:
            if cur.id in seen:
                raise InputError(f"menu: cycle through node '{cur.id}'")
            seen.add(cur.id)
            cur = self.nodes[cur.parent]
            d += 1
        return d

    def ancestors(self, node_id: str) -> list[str]:
        """Ancestors from the root down to the parent of ``node_id``."""
        out, cur = [], self.nodes[node_id].parent
        while cur is not None:
            out.append(cur)
            cur = self.nodes[cur].parent
        return out[::-1]

    def position(self, node_id: str) -> int | None:
        """1-based announced position among the siblings; None for the root and, in an inferred menu, for
        nodes reached without a key press (their place in the prompt is unknown)."""
        node = self.nodes[node_id]
        if node.parent is None or (self.inferred and node.key is None):
            return None
        return self.children(node.parent).index(node_id) + 1

    def label(self, node_id: str) -> str:
        n = self.nodes.get(node_id)
        return (n.label or n.id) if n else node_id

    def table(self) -> pd.DataFrame:
        """One row per node: node, label, parent, key, kind, depth, position."""
        rows = [{"node": n.id, "label": n.label or n.id, "parent": n.parent, "key": n.key, "kind": n.kind,
                 "depth": self.depth(n.id), "position": self.position(n.id)} for n in self.nodes.values()]
        return pd.DataFrame(rows, columns=["node", "label", "parent", "key", "kind", "depth", "position"])

    def validate(self, where: str = "menu") -> "Menu":
        for n in self.nodes.values():
            if n.kind not in KINDS:
                raise InputError(f"{where}: node '{n.id}': kind '{n.kind}' is not one of {', '.join(KINDS)}")
            if n.parent is not None and n.parent not in self.nodes:
                raise InputError(f"{where}: node '{n.id}': parent '{n.parent}' is not a node of the menu")
        for n in self.nodes.values():
            try:
                self.depth(n.id)
            except InputError:
                raise InputError(f"{where}: cycle through node '{n.id}' (parents never reach a root)") from None
        if not self.nodes:
            raise InputError(f"{where}: no nodes")
        return self


def key_rank(key) -> tuple[int, str]:
    """Announcement order of a key: 1…9, 0, *, #, then anything else, then no key."""
    if key is None or (isinstance(key, float) and np.isnan(key)):
        return (99, "")
    k = str(key).strip()
    return (_KEY_ORDER.get(k, 50), k)


# ------------------------------------------------------------------------------------------ loading


def _clean(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _flat(items, where: str) -> dict[str, MenuNode]:
    nodes: dict[str, MenuNode] = {}
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or _clean(item.get("id")) is None:
            raise InputError(f"{where}: node #{i}: expected a mapping with an 'id'")
        node = MenuNode(id=_clean(item["id"]), label=_clean(item.get("label")) or "",
                        parent=_clean(item.get("parent")), key=_clean(item.get("key")),
                        kind=_clean(item.get("kind")) or "", cause=_clean(item.get("cause")))
        if node.id in nodes:
            raise InputError(f"{where}: duplicate node id '{node.id}'")
        nodes[node.id] = node
    return nodes


def _nested(item, parent: str | None, nodes: dict[str, MenuNode], where: str) -> None:
    if not isinstance(item, dict) or _clean(item.get("id")) is None:
        raise InputError(f"{where}: every node of the tree needs an 'id' (under '{parent}')")
    node = MenuNode(id=_clean(item["id"]), label=_clean(item.get("label")) or "", parent=parent,
                    key=_clean(item.get("key")), kind=_clean(item.get("kind")) or "", cause=_clean(item.get("cause")))
    if node.id in nodes:
        raise InputError(f"{where}: duplicate node id '{node.id}'")
    nodes[node.id] = node
    children = item.get("children") or item.get("options") or []
    if not isinstance(children, list):
        raise InputError(f"{where}: node '{node.id}': 'children' must be a list")
    for child in children:
        _nested(child, node.id, nodes, where)


def menu_from_data(data, where: str = "menu") -> Menu:
    """Build a menu from parsed YAML/JSON: ``{nodes: [flat list]}``, a flat list, or a nested tree
    (``{root: {id, children: [...]}}``, ``{menu: {...}}`` or a single node mapping with ``children``)."""
    if isinstance(data, dict) and "nodes" in data:
        if not isinstance(data["nodes"], list):
            raise InputError(f"{where}: 'nodes' must be a list")
        nodes = _flat(data["nodes"], where)
    elif isinstance(data, list):
        nodes = _flat(data, where)
    elif isinstance(data, dict):
        tree = data.get("root") or data.get("menu") or data.get("tree") or data
        nodes = {}
        for top in (tree if isinstance(tree, list) else [tree]):
            _nested(top, None, nodes, where)
    else:
        raise InputError(f"{where}: expected 'nodes:' (a flat list) or a nested tree with 'children'")
    keys = data.get("global_keys") if isinstance(data, dict) else None
    if keys is not None and not isinstance(keys, dict):
        raise InputError(f"{where}: 'global_keys' must map keys to what they do")
    menu = Menu(nodes, global_keys={_clean(k): str(v) for k, v in (keys or {}).items() if _clean(k)})
    for n in nodes.values():  # default kinds: nodes with children are menus, leaves services
        if not n.kind:
            n.kind = "menu" if any(m.parent == n.id for m in nodes.values()) else "service"
            n.kind_given = False
    return menu.validate(where)


def load_menu(path: str | Path) -> Menu:
    """Read a menu definition from a YAML or JSON file (see :func:`menu_from_data` for the forms)."""
    return menu_from_data(read_yaml(path, "YAML/JSON menu", mapping=False), str(path))


# ------------------------------------------------------------------------------------------ inference


def infer_menu(node_names: list[str], transitions: np.ndarray, first_counts: np.ndarray,
               key_counts: pd.DataFrame, terminal_counts: np.ndarray) -> Menu:
    """Reconstruct a menu from observed paths.

    ``transitions[i, j]``: times node j was entered right after node i; ``first_counts[j]``: calls whose
    first node is j; ``key_counts``: rows (node, key, count) for keys pressed just before entering node, with
    an optional column ``at`` (the node the key was pressed at: then only keys pressed at the inferred parent
    count, so a "back to the main menu" key does not become the root's key); ``terminal_counts[j]``:
    (completes, transfers, hangups) ending at node j.
    Parent = most frequent predecessor other than itself; the root ("root" if seen, else the most frequent
    first node) has none; a node whose parent chain would loop is attached to the root.
    """
    n = len(node_names)
    names = np.asarray(node_names, dtype=object)
    if n == 0:
        return Menu({}, inferred=True)
    root_idx = node_names.index("root") if "root" in node_names else int(np.argmax(first_counts))
    trans = transitions.astype(float).copy()
    np.fill_diagonal(trans, 0)
    order = np.argsort(names)  # deterministic ties: lowest id wins
    parent: dict[int, int | None] = {root_idx: None}
    for j in range(n):
        if j == root_idx:
            continue
        col = trans[order, j]
        parent[j] = int(order[np.argmax(col)]) if col.max() > 0 else root_idx
    for j in range(n):  # break cycles
        seen, cur = set(), j
        while parent[cur] is not None:
            if cur in seen:
                parent[j] = root_idx
                break
            seen.add(cur)
            cur = parent[cur]
    best_key: dict[str, str] = {}
    if len(key_counts) and "at" in key_counts.columns:
        parent_name = {names[j]: (None if p is None else names[p]) for j, p in parent.items()}
        key_counts = key_counts[key_counts["at"].to_numpy() == key_counts["node"].map(parent_name).to_numpy()]
    if len(key_counts):
        kc = key_counts.sort_values(["node", "count", "key"], ascending=[True, False, True])
        best_key = dict(kc.drop_duplicates("node")[["node", "key"]].itertuples(index=False, name=None))
    has_children = {p for p in parent.values() if p is not None}
    nodes = {}
    for j in range(n):
        comp, trans_, hang = terminal_counts[j]
        if trans_ > 0 and trans_ >= 0.5 * (comp + trans_ + hang) and j not in has_children:
            kind = "agent"
        else:
            kind = "menu" if j in has_children else "service"
        p = parent[j]
        nodes[names[j]] = MenuNode(id=names[j], label=names[j], parent=None if p is None else names[p],
                                   key=best_key.get(names[j]), kind=kind, kind_given=False)
    return Menu(nodes, inferred=True)
