"""Inputs for the Spark engine: files, directories of Parquet / CSV / ORC, or ``table:db.name`` from the catalog,
checked by the local engine's own schema checks.

``read_spark(spark, source, kind)`` returns a :class:`SparkTable`: ``data`` (used rows, typed, canonical column
names, plus ``_row``) and ``rejected`` (``source_row``, the row's values as text, ``reason``), both Spark
DataFrames. Every partition goes through :func:`ivr_text.io._typed_table` — the very function that checks a
chunk of a local file — inside ``mapInPandas``, so types, reasons and pseudonymised ids are the local ones.
The accounting holds as locally: ``read == used + rejected`` (:meth:`SparkTable.counts`, one Spark job).

``_row`` is Spark's row id (``monotonically_increasing_id``: increasing in the order of a file, then of the
partitions); ``source_row`` of a rejected row is ``_row + 1`` for Parquet, ORC and tables, ``_row + 2`` for CSV —
for one file read in one partition that is the local engine's number (row counting from 1; line counting the
header as line 1, when no value holds a line break). CSV is read as text with a header row (types come from the
schema checks, as locally).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ivr_text.errors import InputError

#: Spark file formats by extension (directories: the extension of the files inside).
SPARK_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".orc": "orc"}
TABLE_PREFIX = "table:"
ROW = "_row"
REASON = "_reason"
RAW = "_raw"


@dataclass
class SparkTable:
    """Used and rejected rows of one Spark input (see the module docstring)."""

    data: object       # pyspark DataFrame: used rows + _row
    rejected: object   # pyspark DataFrame: source_row, raw (JSON of the row's values), reason
    source: str
    kind: str | None
    checked: object    # the checked rows before the split (cached)
    first_row: int = 1  # source_row of _row 0

    def counts(self) -> tuple[int, int, int]:
        """(read, used, rejected) in one Spark job."""
        from pyspark.sql import functions as F

        row = self.checked.agg(F.count(F.lit(1)).alias("read"),
                               F.sum(F.col(REASON).isNotNull().cast("long")).alias("rejected")).first()
        read, rejected = int(row["read"]), int(row["rejected"] or 0)
        return read, read - rejected, rejected

    def rejected_pandas(self) -> pd.DataFrame:
        """The rejected rows as the local engine writes them: source_row, the values, reason."""
        return rejected_frame(self.rejected.toPandas())


def rejected_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """``source_row, raw, reason`` rows (raw = JSON of the values) → ``source_row, <columns…>, reason``."""
    if rows.empty:
        return pd.DataFrame(columns=["source_row", "reason"])
    values = pd.DataFrame([json.loads(r) for r in rows["raw"]], index=rows.index)
    out = pd.concat([rows[["source_row"]], values, rows[["reason"]]], axis=1)
    return out.sort_values("source_row", kind="stable").reset_index(drop=True)


def spark_format(source: str | Path, fmt: str | None = None) -> str:
    """``parquet`` / ``csv`` / ``orc`` for a file or a directory of such files."""
    if fmt:
        if fmt not in ("parquet", "csv", "orc", "tsv"):
            raise InputError(f"{source}: the Spark engine reads parquet, csv, tsv or orc, not {fmt!r}")
        return fmt
    p = Path(source)
    if p.is_dir():
        exts = {f.suffix.lower() for f in p.rglob("*") if f.is_file() and not f.name.startswith(("_", "."))}
        found = sorted({SPARK_FORMATS[e] for e in exts if e in SPARK_FORMATS})
        if len(found) != 1:
            raise InputError(f"{source}: a directory of Parquet, CSV or ORC files is needed "
                             f"(found {', '.join(sorted(exts)) or 'no data files'}); use --format to choose")
        return found[0]
    if not p.exists():
        raise InputError(f"{source}: no such file or directory (a catalog table is written table:db.name)")
    fmt = SPARK_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"{source}: unknown format for the Spark engine; use .parquet, .csv, .tsv or .orc")
    return fmt


def load(spark, source: str | Path, fmt: str | None = None):
    """The raw Spark DataFrame of ``source`` (file, directory or ``table:db.name``)."""
    src = str(source)
    if src.startswith(TABLE_PREFIX):
        name = src[len(TABLE_PREFIX):]
        try:
            return spark.table(name)
        except Exception as exc:
            first = " ".join(str(exc).split())[:160]
            raise InputError(f"{src}: catalog table not found or unreadable ({first})") from None
    kind = spark_format(src, fmt)
    reader = spark.read
    if kind in ("csv", "tsv"):
        sep = "\t" if kind == "tsv" or src.lower().endswith(".tsv") else ","
        reader = reader.option("header", "true").option("sep", sep).option("inferSchema", "false") \
            .option("encoding", "UTF-8").option("multiLine", "true")
        kind = "csv"
    return reader.format(kind).load(src)


def _spark_type(typ: str):
    from pyspark.sql import types as T

    return {"datetime": T.TimestampNTZType(), "float": T.DoubleType(), "int": T.LongType(),
            "bool": T.BooleanType()}.get(typ, T.StringType())


def _output_types(types: Mapping[str, str], schema, selected: Mapping[str, str]) -> dict[str, str]:
    """The type of every selected column (columns beyond the schema: numbers for usage, else text)."""
    extra = "float" if schema is not None and schema.extra_numeric else "str"
    return {c: types.get(c, extra) for c in selected.values()}


def _checker(selected: dict[str, str], types: dict[str, str], schema, source: str, reading: dict, mask: bool,
             first: int):
    """The function run by ``mapInPandas``: raw batches → checked rows (typed values, _reason, _raw)."""
    out_cols = list(selected.values())

    def check(batches):
        from ivr_text import io
        from ivr_text.text.pii import set_output_masking

        io.READING.update(reading)
        set_output_masking(mask)
        for raw in batches:
            rows = raw[ROW].to_numpy()
            frame = raw[list(selected)].rename(columns=selected)
            table = io._typed_table(frame.copy(), rows + first, [], types, schema, source, None)
            used = table.data.reindex(columns=out_cols)
            for col, typ in types.items():
                if typ == "period":
                    used[col] = used[col].astype(str).where(used[col].notna(), None)
            used.insert(0, ROW, rows[~_bad(table, rows + first)])
            used[REASON] = None
            used[RAW] = None
            bad = table.rejected
            if len(bad):
                at = bad["source_row"].to_numpy() - first
                back = pd.DataFrame({ROW: at})
                for col in out_cols:
                    back[col] = None
                back[REASON] = bad["reason"].astype(str).to_numpy()
                back[RAW] = [json.dumps({c: (None if pd.isna(v) else str(v)) for c, v in zip(out_cols, vals)},
                                        ensure_ascii=False)
                             for vals in bad[out_cols].itertuples(index=False, name=None)]
                used = pd.concat([used, back], ignore_index=True)
            yield used

    return check


def _bad(table, numbers: np.ndarray) -> np.ndarray:
    """Mask over the rows (by source number) of those the checks rejected."""
    bad = np.zeros(len(numbers), dtype=bool)
    if len(table.rejected):
        bad[np.isin(numbers, table.rejected["source_row"].to_numpy())] = True
    return bad


def read_spark(spark, source: str | Path, kind: str | None = None, *, mapping=None, columns=None,
               fmt: str | None = None) -> SparkTable:
    """Read ``source`` and check it against the schema of ``kind`` (see the module docstring)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from ivr_text.io import READING, SCHEMAS, parse_mapping
    from ivr_text.io.columns import select_columns
    from ivr_text.text.pii import output_masking

    schema = SCHEMAS[kind] if isinstance(kind, str) else kind
    raw = load(spark, source, fmt)
    first = 2 if not str(source).startswith(TABLE_PREFIX) and spark_format(source, fmt) in ("csv", "tsv") else 1
    header = list(raw.columns)
    mapping = parse_mapping(mapping)
    selected, _, types = select_columns(str(source), header, schema, mapping, columns)
    types = _output_types(types, schema, selected)
    raw = raw.select([F.col(f"`{c}`") for c in selected]).withColumn(ROW, F.monotonically_increasing_id())
    out = T.StructType([T.StructField(ROW, T.LongType())]
                       + [T.StructField(c, _spark_type(types[c])) for c in selected.values()]
                       + [T.StructField(REASON, T.StringType()), T.StructField(RAW, T.StringType())])
    checked = raw.mapInPandas(_checker(selected, types, schema, str(source), dict(READING), output_masking(), first),
                              out).cache()
    data = checked.filter(F.col(REASON).isNull()).drop(REASON, RAW)
    rejected = checked.filter(F.col(REASON).isNotNull()).select(
        (F.col(ROW) + first).alias("source_row"), F.col(RAW).alias("raw"), F.col(REASON).alias("reason"))
    return SparkTable(data=data, rejected=rejected, source=str(source), kind=schema.kind if schema else None,
                      checked=checked, first_row=first)
