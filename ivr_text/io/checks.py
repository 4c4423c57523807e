"""Checked rows: a raw chunk → a typed :class:`~ivr_text.io.tables.Table`, unusable rows rejected with a reason."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.io.convert import _PROBLEM_TEXT, _convert, _is_arrow_dictionary, _numbers, _to_str, snippet
from ivr_text.io.encodings import _repair_encoding
from ivr_text.io.periods import EXPECTED, usage_periods
from ivr_text.io.schemas import READING, Schema
from ivr_text.io.tables import Table, _concat, _Reasons
from ivr_text.sanitize import pseudonymize_column, restore_formulas
from ivr_text.text.pii import id_columns, output_masking


def _typed_table(raw: pd.DataFrame, source_rows: np.ndarray, bad_lines, types: dict[str, str],
                 schema: Schema | None, source: str, encoding: str | None, guarded: bool = False,
                 decimal: str | None = None) -> Table:
    """Convert ``raw`` to ``types`` and reject the unusable rows; ``guarded``: text read from a CSV the toolkit
    may have written, whose formula guards (see :mod:`ivr_text.sanitize`) are taken off again."""
    reasons = _Reasons(raw.index)
    extra = "float" if schema is not None and schema.extra_numeric else "str"
    text_columns = [c for c in raw.columns if types.get(c, extra) in ("str", "text", "keep", "usage_period")]
    _repair_encoding(raw, reasons, text_columns, [c for c in raw.columns if types.get(c) == "keep"])
    if guarded:
        for col in text_columns:
            if not _is_arrow_dictionary(raw[col].dtype):
                raw[col] = restore_formulas(raw[col])
    required = set(schema.required) if schema else set()
    lo, hi = READING["date_window"]
    data = {}
    periods = []  # usage_period columns: checked after every other reason, as readers of usage always did
    for col in raw.columns:
        typ = types.get(col)
        problems = None
        if typ is None:
            if schema is not None and schema.extra_numeric:
                conv, problems = _numbers(raw[col], decimal)
                if conv.notna().sum() == 0 and problems.isna().all() and raw[col].notna().any():
                    continue  # not a numeric column: not a measure
                typ = "float"
            else:
                typ = "str"
        if typ in ("str", "text", "keep"):
            conv = _to_str(raw[col])
            present = conv.notna()
        elif typ == "usage_period":
            text = _to_str(raw[col])
            present = text.notna()
            labels, unparseable, outside = usage_periods(text, (lo, hi))
            conv = pd.Series(labels, index=raw.index, dtype=text.dtype)
            periods.append((col, text, unparseable & present.to_numpy(), outside))
        else:  # CSV empties are already missing; a blank that is not shows up as unparseable
            if typ in ("float", "int"):
                if problems is None:
                    conv, problems = _numbers(raw[col], decimal)
                if typ == "int":
                    conv = conv.where(conv.isna() | (conv == np.floor(conv))).astype("Int64")
                for problem, text in _PROBLEM_TEXT.items():
                    hit = (problems == problem).to_numpy()
                    if hit.any():
                        reasons.add(hit, f"column '{col}': {text} '" + snippet(raw[col]).fillna("") + "'")
            else:
                conv = _convert(raw[col], typ, decimal)
            present = raw[col].notna()
            if typ == "datetime":
                outside = (conv < lo) | (conv >= hi)
                if outside.any():
                    reasons.add(outside.to_numpy(), f"column '{col}': date outside {lo.date()}..{hi.date()} "
                                "(a typo or a placeholder; --date-window FROM..TO to change) '"
                                + snippet(raw[col]).fillna("") + "'")
                    conv = conv.mask(outside)
        if col in required:
            reasons.add(~present, f"missing value in required column '{col}'")
        unparseable = present & conv.isna()
        if unparseable.any() and typ != "usage_period":
            shown = snippet(raw[col])
            reasons.add(unparseable, f"column '{col}': unparseable {typ} '" + shown.fillna("") + "'")
        data[col] = conv
    for col, text, unparseable, outside in periods:
        if outside.any():  # a year 1900 or 9999 would stretch every customer's series over centuries
            reasons.add(outside, f"column '{col}': outside {lo.date()}..{hi.date()} (--date-window FROM..TO to change)")
        if unparseable.any():
            reasons.add(unparseable, (f"column '{col}': unparseable period '" + snippet(text).fillna("") + "' "
                                      + EXPECTED).to_numpy(dtype=object))
    if output_masking():  # a key that is personal data (a phone number as customer id) → its pseudonym
        for col in id_columns() & set(data):
            if types.get(col, "str") in ("str", "text", "keep"):
                data[col] = pseudonymize_column(data[col])
    typed = pd.DataFrame(data, index=raw.index)
    bad = reasons.has
    rejected = raw.loc[bad].copy()
    for col in rejected.columns if len(rejected) else ():
        if _is_arrow_dictionary(rejected[col].dtype):
            rejected[col] = rejected[col].astype("string")
    rejected.insert(0, "source_row", source_rows[bad])
    rejected["reason"] = reasons.values[bad]
    if bad_lines:
        skipped = pd.DataFrame({"source_row": [b[0] for b in bad_lines],
                                "reason": [f"malformed row: {b[1]}" for b in bad_lines],
                                "raw_record": [b[2] if len(b) > 2 else None for b in bad_lines]})
        rejected = _concat([rejected, skipped])
    used = typed.loc[~bad].reset_index(drop=True)
    used.attrs["source_rows"] = source_rows[~bad]
    return Table(data=used, rejected=rejected.reset_index(drop=True), source=source,
                 read=len(raw) + len(bad_lines), encoding=encoding, kind=schema.kind if schema else None)
