"""IVR analysis on Spark: the local engine's own per-call kernel on call partitions, the rest of
:func:`ivr_text.ivr.analyze_events` on the compact cleaned log.

``analyze_spark(table, menu, config, …)`` takes a :class:`~ivr_text.spark.reading.SparkTable` of ``ivr_events``:

1. calls are hashed to partitions (``pmod(hash(call_id), partitions)``); within each, the rows are put in file
   order (``_row``) and :func:`ivr_text.ivr.calllog.build_call_log` — the local cleaning kernel: event spellings,
   order by time, duplicates, events after the end, over-long calls — runs per partition (``applyInPandas``).
   Every one of its checks looks at one call only, so each partition gets exactly the verdicts the whole log gets;
   the rejected rows keep their values and reasons, and their count comes from a Spark aggregation;
2. the kept rows (only the columns the analysis reads, text as dictionary codes) are collected in file order, and
   :func:`ivr_text.ivr.analyze_events` computes the KPIs, node metrics, paths, hot spots, option times,
   conformance, graph and advice with the existing code. ``rows`` accounting and ``rejected_by_reason`` are those
   of the whole input.

The result is the local engine's :class:`~ivr_text.ivr.analysis.IvrAnalysis`; ``tests/test_spark.py`` holds every
output file equal to the local engine's. Limit (measured in ``benchmarks/bench_spark.py``, 10 M events on
``local[2]``): step 2 holds the cleaned log in the driver, so driver memory grows with the events (2.1 GB Python
driver against the local engine's 1.2 GB; 78 s against 3.2 s); a merge of per-partition partial counts is not built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.ivr.analysis import IvrAnalysis, analyze_events, rejected_by_reason
from ivr_text.ivr.calllog import build_call_log
from ivr_text.ivr.config import IvrConfig, load_config
from ivr_text.ivr.menu import Menu
from ivr_text.ivr.reading import CODE_COLUMNS, EVENT_COLUMNS
from ivr_text.spark.reading import REASON, ROW, SparkTable

PART = "_part"


def _cleaner(columns: list[str], config: IvrConfig):
    """``applyInPandas`` function: one partition of calls → its rows with ``_reason`` (None = kept)."""

    def clean(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values(ROW, kind="stable").reset_index(drop=True)
        log = build_call_log(frame[columns], None, config)
        reason = np.full(len(frame), None, dtype=object)
        reason[log.rejected_positions] = log.rejected["reason"].astype(str).to_numpy()
        out = frame[[ROW, *columns]].copy()
        out[REASON] = reason
        return out

    return clean


def clean_calls(table: SparkTable, config: IvrConfig | None = None, partitions: int | None = None):
    """The checked events with ``_reason`` from the local cleaning kernel, run per call partition (step 1)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    config = config or load_config()
    data = table.data
    columns = [c for c in EVENT_COLUMNS if c in data.columns]
    spark = data.sparkSession
    n = int(partitions or spark.conf.get("spark.sql.shuffle.partitions"))
    schema = T.StructType([data.schema[ROW], *(data.schema[c] for c in columns),
                           T.StructField(REASON, T.StringType())])
    hashed = data.select(ROW, *columns).withColumn(PART, F.pmod(F.hash("call_id"), F.lit(n)))
    return hashed.groupBy(PART).applyInPandas(_cleaner(columns, config), schema)


def _collect_kept(cleaned) -> pd.DataFrame:
    """Kept rows in file order; text columns as dictionary codes (first appearance order)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyspark.sql import functions as F

    arrow = cleaned.filter(F.col(REASON).isNull()).drop(REASON).toArrow()
    arrow = arrow.take(pc.sort_indices(arrow[ROW]))
    cols = {}
    for name in arrow.column_names:
        if name == ROW:
            continue
        col = arrow[name].combine_chunks() if isinstance(arrow[name], pa.ChunkedArray) else arrow[name]
        if name in CODE_COLUMNS:
            col = pc.dictionary_encode(col)
            cols[name] = pd.Series(pd.arrays.ArrowExtensionArray(col))
        else:
            cols[name] = pd.Series(col.to_pandas())
    return pd.DataFrame(cols)


def analyze_spark(table: SparkTable, menu: Menu | None = None, config: IvrConfig | None = None, *,
                  partitions: int | None = None, stages: dict | None = None,
                  **options) -> tuple[IvrAnalysis, pd.DataFrame]:
    """Analyse the events of ``table`` (see the module docstring); ``options`` as for
    :func:`ivr_text.ivr.analyze_events` (``since``, ``until``, ``segments``, ``min_count``, ``top_paths``, …).

    Returns the analysis and all rejected rows (schema checks first, then the cleaning kernel's, each in file
    order: ``source_row``, values, ``reason``), as the local CLI writes them. ``stages``: a dict that gets the
    seconds of each step (read and checks, cleaning, collect, analysis) and the collected log's size."""
    import time

    from pyspark.sql import functions as F

    from ivr_text.spark.reading import rejected_frame

    config = config or load_config()
    stages = {} if stages is None else stages
    t0 = time.perf_counter()
    read, _, schema_rejected = table.counts()
    t1 = time.perf_counter()
    cleaned = clean_calls(table, config, partitions).cache()
    try:
        cleaned.count()
        t2 = time.perf_counter()
        kept = _collect_kept(cleaned)
        dropped = cleaned.filter(F.col(REASON).isNotNull()).toPandas().sort_values(ROW, kind="stable")
    finally:
        cleaned.unpersist()
    t3 = time.perf_counter()
    analysis = analyze_events(kept, menu, config, rows_read=read - len(dropped), **options)
    stages.update(read_and_checks_s=t1 - t0, cleaning_s=t2 - t1, collect_s=t3 - t2,
                  analysis_s=time.perf_counter() - t3, collected_mb=float(kept.memory_usage().sum()) / 2**20)
    # the kernel's rejects as the local engine reports them (values typed, file order)
    dropped = dropped.rename(columns={REASON: "reason"})
    dropped.insert(0, "source_row", dropped.pop(ROW) + table.first_row)
    dropped = dropped.reset_index(drop=True)
    rows = analysis.kpis["rows"]
    rows.update({"read": read, "used": read - schema_rejected - len(dropped),
                 "rejected": schema_rejected + len(dropped), "rejected_by_reason": rejected_by_reason(dropped)})
    analysis.rejected = dropped.drop(columns=["source_row"])
    analysis.rejected_positions = np.array([], dtype=np.int64)
    schema_rows = table.rejected_pandas()
    all_rejected = pd.concat([schema_rows, dropped], ignore_index=True) if len(dropped) else schema_rows
    return analysis, all_rejected
