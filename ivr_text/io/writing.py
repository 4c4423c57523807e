"""Writers: tables (CSV with BOM, TSV, Parquet, JSON, JSON Lines), rejected rows and JSON documents, PII-masked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ivr_text.io.files import resolve_format
from ivr_text.io.tables import Table, _concat
from ivr_text.sanitize import mask_frame, mask_object, neutralize_formulas
from ivr_text.text.pii import output_masking


def write_table(df: pd.DataFrame, path: str | Path, fmt: str | None = None, *, mask: bool | None = None) -> Path:
    """Write ``df`` to ``path`` as CSV, TSV, Parquet, JSON (array of records) or JSON Lines.

    Text is PII-masked unless ``mask`` is False (None: the process default, on unless the CLI's ``--no-mask``;
    key columns stay as they are, see :mod:`ivr_text.sanitize`); CSV/TSV cells a spreadsheet would run as
    a formula get a leading ``'`` (Parquet and JSON keep the values).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = resolve_format(path, fmt) if (fmt or path.suffix) else "csv"
    if output_masking() if mask is None else mask:
        df = mask_frame(df)
    if fmt in ("csv", "tsv"):
        neutralize_formulas(df).to_csv(path, index=False, encoding="utf-8-sig", sep="\t" if fmt == "tsv" else ",")
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    elif fmt == "json":
        path.write_text(df.to_json(orient="records", force_ascii=False, date_format="iso", indent=1),
                        encoding="utf-8")
    else:
        df.to_json(path, orient="records", lines=True, force_ascii=False, date_format="iso")
    return path


def write_rejected(tables: Table | Iterable[Table], out_dir: str | Path, name: str) -> Path:
    """Write the rejected rows of one or more tables to ``OUT_DIR/rejected_NAME.csv`` (always written)."""
    tables = [tables] if isinstance(tables, Table) else list(tables)
    frames = []
    for t in tables:
        r = t.rejected.copy()
        r.insert(0, "source_file", t.source)
        frames.append(r)
    rejected = _concat(frames)
    if rejected.empty:
        rejected = pd.DataFrame(columns=["source_file", "source_row", "reason"])
    return write_table(rejected, Path(out_dir) / f"rejected_{name}.csv")


def write_json(obj, path: str | Path, *, mask: bool | None = None) -> Path:
    """Write a JSON document (UTF-8, Chinese kept readable, NaN as null), PII-masked as :func:`write_table`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    obj = _jsonable(obj)
    if output_masking() if mask is None else mask:
        obj = mask_object(obj)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, (pd.Timestamp,)):
        return obj.isoformat()
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
