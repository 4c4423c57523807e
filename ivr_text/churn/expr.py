"""A small, safe expression language for rules over table columns: ``long_distance_fee > bill``.

Allowed: column names, numbers, ``+ - * / %``, comparisons, ``and``/``or``/``not`` (also ``& | ~``) and
``abs()``. Nothing else is evaluated (no attribute access, no other calls), so a rules file cannot run code.
Comparisons with a missing value are false.
"""

from __future__ import annotations

import ast
import operator

import numpy as np

from ivr_text.errors import InputError

_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Mod: operator.mod, ast.BitAnd: np.logical_and, ast.BitOr: np.logical_or}
_CMP = {ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Eq: operator.eq, ast.NotEq: operator.ne}


def parse(expr: str) -> ast.Expression:
    """Parse and validate ``expr``; raise :class:`InputError` on anything outside the language."""
    try:
        tree = ast.parse(str(expr), mode="eval")
    except SyntaxError as exc:
        raise InputError(f"rule expression '{expr}': syntax error ({exc.msg})") from None
    for node in ast.walk(tree):
        ok = isinstance(node, (ast.Expression, ast.Compare, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Name,
                               ast.Load, ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Invert,
                               *_BIN, *_CMP))
        if isinstance(node, ast.Constant):
            ok = isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        if isinstance(node, ast.Call):
            ok = isinstance(node.func, ast.Name) and node.func.id == "abs" and len(node.args) == 1
        if not ok:
            raise InputError(f"rule expression '{expr}': '{type(node).__name__}' is not allowed")
    return tree


def names(expr: str) -> list[str]:
    """Column names an expression uses (in order of first use)."""
    tree = parse(expr)
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return list(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls))


def evaluate(expr: str, columns) -> np.ndarray:
    """Evaluate ``expr`` over a mapping of column name → array; return a boolean array."""
    tree = parse(expr)
    with np.errstate(all="ignore"):
        out = _eval(tree.body, columns)
    return np.asarray(out, dtype=bool)


def _eval(node, cols):
    if isinstance(node, ast.Name):
        return np.asarray(cols[node.id], dtype=float)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Call):
        return np.abs(_eval(node.args[0], cols))
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, cols)
        if isinstance(node.op, (ast.Not, ast.Invert)):
            return np.logical_not(value)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        return _BIN[type(node.op)](_eval(node.left, cols), _eval(node.right, cols))
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, cols) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = values[0]
        for v in values[1:]:
            out = combine(out, v)
        return out
    if isinstance(node, ast.Compare):
        left, out = _eval(node.left, cols), True
        for op, comp in zip(node.ops, node.comparators):
            right = _eval(comp, cols)
            out = np.logical_and(out, _CMP[type(op)](left, right))
            left = right
        return out
    raise InputError(f"unsupported expression node {type(node).__name__}")  # parse() prevents this
