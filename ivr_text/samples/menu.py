"""The IVR menu of the sample world: ``menu.yaml`` as a dict (:func:`build_menu`) and as arrays for the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ivr_text.samples import templates as T
from ivr_text.samples.params import _KEY, KEYS


def build_menu() -> dict:
    """The IVR menu as written to menu.yaml: ``{"nodes": [{id, label, parent, key, kind[, cause]}, …],
    "global_keys": …}``; first-level branches carry the complaint cause their calls are coded with."""
    return {
        "nodes": [dict(id=i, label=lab, parent=p, key=k, kind=kd,
                       **({"cause": T.BRANCH_CAUSE[i]} if p == "root" and i in T.BRANCH_CAUSE else {}))
                  for i, lab, p, k, kd in T.MENU_NODES],
        "global_keys": {"0": "agent (transfer from any menu or service)", **T.GLOBAL_KEYS},
    }


@dataclass
class _Menu:
    """Array form of a menu for the vectorised simulation."""

    ids: list[str]
    kind: np.ndarray          # 0 menu, 1 service, 2 agent
    parent: np.ndarray        # -1 for root
    depth: np.ndarray
    key_code: np.ndarray      # code of the key selecting the node from its parent (-1 root)
    position: np.ndarray      # 1-based position of the node in its parent's prompt
    n_options: np.ndarray     # children of a menu
    child_by_key: np.ndarray  # (n_nodes, len(KEYS)) → child index or -1
    children: np.ndarray      # (n_nodes, max_children) padded with -1, non-agent children first
    n_plain: np.ndarray       # non-agent children count
    invalid_keys: np.ndarray  # (n_nodes, 10) digit codes not offered, padded with -1
    n_invalid: np.ndarray
    branch: np.ndarray        # first-level ancestor index (itself for level 1, root for root)
    path: np.ndarray          # (n_nodes, max_depth+1) node indices from root, -1 padded


def _menu_arrays(menu: dict | None = None) -> _Menu:
    nodes = (menu or build_menu())["nodes"]
    ids = [str(n["id"]) for n in nodes]
    index = {i: k for k, i in enumerate(ids)}
    if len(index) != len(ids):
        raise ValueError("menu: duplicate node ids")
    n = len(ids)
    kind = np.array([{"menu": 0, "service": 1, "agent": 2}[n_["kind"]] for n_ in nodes], dtype=np.int8)
    parent = np.array([index[n_["parent"]] if n_.get("parent") is not None else -1 for n_ in nodes])
    roots = np.flatnonzero(parent < 0)
    if len(roots) != 1:
        raise ValueError("menu: exactly one root (parent null) is required")
    key_code = np.array([_KEY[str(n_["key"])] if n_.get("key") is not None else -1 for n_ in nodes])
    depth = np.zeros(n, dtype=np.int64)
    for k in range(n):
        d, p = 0, parent[k]
        while p >= 0:
            d, p = d + 1, parent[p]
            if d > n:
                raise ValueError("menu: parent links form a cycle")
        depth[k] = d
    child_by_key = np.full((n, len(KEYS)), -1)
    position = np.zeros(n, dtype=np.int64)
    n_options = np.zeros(n, dtype=np.int64)
    kids: list[list[int]] = [[] for _ in range(n)]
    for k in range(n):
        if parent[k] >= 0:
            kids[parent[k]].append(k)
            child_by_key[parent[k], key_code[k]] = k
    max_children = max(1, max(len(c) for c in kids))
    children = np.full((n, max_children), -1)
    n_plain = np.zeros(n, dtype=np.int64)
    invalid = np.full((n, 10), -1)
    n_invalid = np.zeros(n, dtype=np.int64)
    for k in range(n):
        n_options[k] = len(kids[k])
        for pos, c in enumerate(kids[k], start=1):
            position[c] = pos
        plain = [c for c in kids[k] if kind[c] != 2]
        children[k, :len(plain)] = plain
        n_plain[k] = len(plain)
        offered = {key_code[c] for c in kids[k]} | {_KEY["0"]}
        bad = [_KEY[d] for d in "123456789" if _KEY[d] not in offered]
        invalid[k, :len(bad)] = bad
        n_invalid[k] = len(bad)
    root = roots[0]
    branch = np.array([root if k == root else _ancestor_at(parent, k, depth[k], 1) for k in range(n)])
    path = np.full((n, depth.max() + 1), -1)
    for k in range(n):
        p = k
        for d in range(depth[k], -1, -1):
            path[k, d] = p
            p = parent[p]
    return _Menu(ids, kind, parent, depth, key_code, position, n_options, child_by_key, children, n_plain,
                 invalid, n_invalid, branch, path)


def _ancestor_at(parent: np.ndarray, k: int, depth: int, level: int) -> int:
    while depth > level:
        k, depth = parent[k], depth - 1
    return int(k)
