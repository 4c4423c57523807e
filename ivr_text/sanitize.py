"""What the writers in :mod:`ivr_text.io` do to every value before it leaves the process.

- :func:`mask_frame` / :func:`mask_object`: PII in every text cell, column name and JSON string is replaced by
  the placeholders of :mod:`ivr_text.text.pii`. Numbers, dates and booleans are not text. Key columns
  (``id_columns`` in ``dictionaries/pii.yaml``: customer_id, caller_id, call_id) that hold personal data get a
  keyed pseudonym instead (:func:`ivr_text.text.pii.pseudonym`, ``<PHONE:kqzhdmwpax>``), the same one the
  readers give them (:func:`pseudonymize_column`), so joins between commands and back to the input still hold
  while a phone number used as a customer id never appears.
- :func:`neutralize_formulas`: a CSV/TSV cell that a spreadsheet would evaluate (it starts with ``=``, ``+``,
  ``-``, ``@``, tab, CR or LF, or their full-width forms) gets a leading ``'`` (the OWASP rule); a cell that
  is a plain number (``-5``, ``+3.2e1``) is left alone. :func:`restore_formulas` undoes it when the toolkit
  reads its own CSV back.

Cost: text columns go through Arrow's vectorised RE2 with the masks' necessary condition
(:data:`ivr_text.text.pii.GATE`), and only the distinct values it flags are masked in Python; categorical and
dictionary columns are masked on their categories. Columns of codes (node names, causes, phases) cost one pass.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from ivr_text.text.pii import GATE, id_columns, mask_pii, mask_pii_lines, pseudonym

__all__ = ["mask_frame", "mask_object", "mask_strings", "neutralize_formulas", "restore_formulas",
           "pseudonymize_column", "FORMULA_START", "PLAIN_NUMBER", "MASKED"]

#: first characters that make a spreadsheet cell a formula (or a DDE payload): OWASP CSV injection
FORMULA_START = "=+-@\t\r\n＝＋－＠"
#: a cell that is just a number is data, not a formula, in every spreadsheet
PLAIN_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_FORMULA_RE = "^[" + FORMULA_START.replace("-", r"\-").replace("\t", r"\t").replace("\r", r"\r").replace(
    "\n", r"\n") + "]"


def _gate_flags(arr) -> np.ndarray:
    """Cells that may hold PII (the masks' necessary condition, RE2 over the whole column)."""
    import pyarrow.compute as pc

    return np.asarray(pc.match_substring_regex(arr, GATE.pattern).fill_null(False), dtype=bool)


def _formula_flags(arr) -> np.ndarray:
    """Cells a spreadsheet would evaluate: a formula character first, and not a plain number."""
    import pyarrow.compute as pc

    risky = pc.and_(pc.match_substring_regex(arr, _FORMULA_RE), pc.invert(pc.match_substring_regex(arr, PLAIN_NUMBER)))
    return np.asarray(risky.fill_null(False), dtype=bool)


def _mask_distinct(values: list[str]) -> dict[str, str]:
    """{value: masked value} for the distinct ``values`` (one batch for those without a newline)."""
    todo = list(dict.fromkeys(values))
    plain = [v for v in todo if "\n" not in v]
    done = dict(zip(plain, mask_pii_lines("\n".join(plain)) if plain else []))
    done.update((v, mask_pii(v)) for v in todo if "\n" in v)
    return done


class _Rule:
    """A rewrite of text cells: ``flags`` (vectorised: which cells may change) and ``apply`` (the flagged
    distinct values → their new values)."""

    def __init__(self, flags, apply):
        self.flags, self.apply = flags, apply

    def strings(self, values: list[str]) -> list[str]:
        import pyarrow as pa

        if not values:
            return values
        flagged = self.flags(pa.array(values, type=pa.string()))
        if not flagged.any():
            return values
        new = self.apply([v for v, f in zip(values, flagged) if f])
        return [new[v] if f else v for v, f in zip(values, flagged)]


_MASK = _Rule(_gate_flags, _mask_distinct)
_PSEUDO = _Rule(_gate_flags, lambda values: {v: pseudonym(v) for v in set(values)})
_GUARD = _Rule(_formula_flags, lambda values: {v: "'" + v for v in values})


def mask_strings(values: Iterable[str]) -> list[str]:
    """``[mask_pii(v) for v in values]``, vectorised: distinct values only, and only those the gate flags."""
    return _MASK.strings(list(values))


def _arrow_text(s: pd.Series):
    """The column as an Arrow string (chunked) array when it holds only strings and missing values; else None."""
    import pyarrow as pa

    if isinstance(s.dtype, pd.ArrowDtype):
        t = s.dtype.pyarrow_dtype
        if pa.types.is_dictionary(t):
            return None
        return s.array.__arrow_array__() if (pa.types.is_string(t) or pa.types.is_large_string(t)) else None
    if isinstance(s.dtype, pd.StringDtype):
        if hasattr(s.array, "__arrow_array__"):
            return s.array.__arrow_array__()
        return pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.string(), from_pandas=True)
    if s.dtype != object or pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        return None
    try:
        return pa.array(s.to_numpy(), type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return None


def _map_column(s: pd.Series, rule: _Rule) -> pd.Series | None:
    """``s`` with ``rule`` applied to its text cells; None when nothing changes.

    Text columns are checked in one vectorised pass and only flagged distinct values are rewritten; categorical
    columns are rewritten on their categories; other object columns (mixed values, lists, dicts) cell by cell.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [c for c in s.cat.categories if isinstance(c, str)]
        new = dict(zip(cats, rule.strings(cats)))
        if all(new[c] == c for c in cats):
            return None
        return s.astype(object).map(lambda v: new.get(v, v) if isinstance(v, str) else v)
    if isinstance(s.dtype, pd.ArrowDtype) and pd.api.types.is_string_dtype(s.dtype) is False \
            and not _is_dictionary(s.dtype):
        return None
    if _is_dictionary(s.dtype):
        s = s.astype(object)
    arr = _arrow_text(s)
    if arr is not None:
        flagged = rule.flags(arr)
        if not flagged.any():
            return None
        values = s.to_numpy(dtype=object, na_value=None)
        where = np.flatnonzero(flagged)
        new = rule.apply(values[where].tolist())
        values[where] = [new[v] for v in values[where]]
        return pd.Series(values, index=s.index, name=s.name)
    if s.dtype != object:
        return None
    out, changed = s.to_numpy(dtype=object, copy=True), False
    for i, v in enumerate(out):
        if isinstance(v, (str, list, tuple, dict)):
            w = _map_nested(v, rule.strings)
            if w != v:
                out[i], changed = w, True
    return pd.Series(out, index=s.index, name=s.name) if changed else None


def _is_dictionary(dtype) -> bool:
    import pyarrow as pa

    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_dictionary(dtype.pyarrow_dtype)


def _map_nested(obj, fn):
    if isinstance(obj, str):
        return fn([obj])[0]
    if isinstance(obj, dict):
        return {_map_nested(k, fn) if isinstance(k, str) else k: _map_nested(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_nested(v, fn) for v in obj)
    return obj


def _map_frame(df: pd.DataFrame, rule: _Rule, skip: frozenset[str] = frozenset(),
               ids: frozenset[str] = frozenset()) -> pd.DataFrame:
    """``df`` with ``rule`` on its text columns and names (``ids`` columns get pseudonyms, ``skip`` nothing)."""
    changed = {}
    for i, col in enumerate(df.columns):
        if col in skip:
            continue
        new = _map_column(df.iloc[:, i], _PSEUDO if col in ids else rule)
        if new is not None:
            changed[i] = new
    names = list(df.columns)
    str_names = [c for c in names if isinstance(c, str)]
    new_names = dict(zip(str_names, rule.strings(str_names)))
    renamed = any(new_names.get(c, c) != c for c in names)
    if not changed and not renamed:
        return df
    out = df.copy(deep=False)
    for i, s in changed.items():
        out.isetitem(i, s)
    if renamed:
        out.columns = [new_names.get(c, c) if isinstance(c, str) else c for c in names]
    return out


#: ``df.attrs[MASKED]``: columns the producer already masked with :func:`ivr_text.text.pii.mask_pii` (tokens.csv's
#: text, text_norm and tokens): the writers do not mask them again
MASKED = "pii_masked"


def mask_frame(df: pd.DataFrame, ids: Iterable[str] | None = None) -> pd.DataFrame:
    """``df`` with PII masked in every text column and column name; key columns (``ids``, default
    :func:`~ivr_text.text.pii.id_columns`) that hold personal data get pseudonyms; columns ``df.attrs[MASKED]``
    lists are left as they are. Returns ``df`` itself when nothing changes."""
    return _map_frame(df, _MASK, frozenset(df.attrs.get(MASKED, ())),
                      frozenset(id_columns() if ids is None else ids))


def mask_object(obj, ids: Iterable[str] | None = None):
    """A JSON-like object (dicts, lists, strings, numbers) with PII masked in every string, keys included;
    strings under a key column's name (``ids``) get pseudonyms instead."""
    ids = frozenset(id_columns() if ids is None else ids)

    def walk(o, as_id=False):
        if isinstance(o, str):
            return pseudonym(o) if as_id else mask_pii(o)
        if isinstance(o, dict):
            return {(mask_pii(k) if isinstance(k, str) else k): walk(v, as_id or k in ids) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [walk(v, as_id) for v in o]
        return o

    return walk(obj)


def pseudonymize_column(s: pd.Series) -> pd.Series:
    """A key column as the readers give it: values that are personal data replaced by their pseudonyms. Arrow
    dictionary and categorical columns keep their type (the mapping runs on their distinct values)."""
    import pyarrow as pa

    if _is_dictionary(s.dtype):
        chunks = []
        for ch in s.array.__arrow_array__().chunks:
            d = ch.dictionary
            values = d.to_pylist()
            flagged = _gate_flags(d.cast(pa.string())) if len(d) else np.zeros(0, dtype=bool)
            if not flagged.any():
                chunks.append(ch)
                continue
            new = [pseudonym(v) if f and v is not None else v for v, f in zip(values, flagged)]
            chunks.append(pa.DictionaryArray.from_arrays(ch.indices, pa.array(new, type=d.type)))
        return pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(chunks, type=s.array.__arrow_array__().type)),
                         index=s.index, name=s.name)
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = [c for c in s.cat.categories if isinstance(c, str)]
        new = dict(zip(cats, _PSEUDO.strings(cats)))
        return s if all(new[c] == c for c in cats) else s.cat.rename_categories(lambda c: new.get(c, c))
    out = _map_column(s, _PSEUDO)
    if out is None:
        return s
    return out.astype(s.dtype) if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object else out


def neutralize_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell (and column name) a spreadsheet would run as a formula prefixed by ``'``."""
    return _map_frame(df, _GUARD)


def restore_formulas(s: pd.Series) -> pd.Series:
    """Undo :func:`neutralize_formulas` on a column read from CSV: ``'=x`` → ``=x`` (``'5`` stays ``'5``).

    One vectorised ``starts_with`` when no cell starts with ``'`` (the usual case)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError, UnicodeError):
        return s
    if not pc.any(pc.starts_with(arr, "'")).as_py():
        return s
    rest = pc.utf8_slice_codeunits(arr, 1)
    guarded = pc.and_(pc.and_(pc.starts_with(arr, "'"), pc.match_substring_regex(rest, _FORMULA_RE)),
                      pc.invert(pc.match_substring_regex(rest, PLAIN_NUMBER)))
    guarded = np.asarray(guarded.fill_null(False))
    if not guarded.any():
        return s
    out = s.copy()
    out[guarded] = np.asarray(rest, dtype=object)[guarded]
    return out
