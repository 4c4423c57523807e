"""Complaints on Spark: ``tokenize`` and ``classify predict`` per partition, the tokenizer or model shipped to the
executors once.

``trend_counts_spark(table, period, by)`` counts texts per period and group with the local
:func:`ivr_text.complaints.trends.partial_counts` per Arrow batch and a Spark sum; the small matrix
(:func:`~ivr_text.complaints.trends.count_matrix`, equal to the local ``period_counts``) then goes to
``score_counts`` for the alerts, as locally.

``tokenize_spark(table, tokenizer)`` runs :func:`ivr_text.text.token_rows.tokenize_rows` — what the local
``tokenize`` runs — on each Arrow batch (tokenizer broadcast once): used rows get ``text`` (masked),
``text_norm`` and ``tokens``; rows with no text left are rejected with the local reason, so
``read = used + rejected`` holds over the schema checks and this step together.

``predict_spark(table, model, top_k, review_below)`` returns a Spark DataFrame of the used rows (``source_row``
first, as the local predictions) with the columns of :meth:`ivr_text.complaints.model.CauseModel.predict_frame`
beside them: the model is broadcast once (``SparkContext.broadcast``) and ``predict_frame`` — the local code —
runs on each Arrow batch (``mapInPandas``). A text's prediction depends on that text alone, so every row gets
exactly the local engine's values (``tests/test_spark.py``). Cold start (no model: rules plus a model learned from
this very input) needs the whole input at once and stays on the local engine.
"""

from __future__ import annotations

import pandas as pd

from ivr_text.spark.reading import ROW, SparkTable


def trend_counts_spark(table: SparkTable, period: str = "week", by: str | None = None) -> pd.DataFrame:
    """The ``period × group`` count matrix of the dated rows of ``table`` (see the module docstring)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from ivr_text.complaints.trends import count_matrix, partial_counts, to_periods

    data = table.data.select("ts", *([by] if by else []))
    schema = T.StructType([T.StructField("period", T.LongType()), T.StructField("group", T.StringType()),
                           T.StructField("count", T.LongType())])

    def count(batches):
        for batch in batches:
            if len(batch):
                yield partial_counts(to_periods(batch["ts"], period), batch[by].to_numpy(dtype=object) if by else None)

    sums = data.mapInPandas(count, schema).groupBy("period", "group").agg(F.sum("count").alias("count"))
    freq = to_periods(pd.Series([pd.Timestamp("2024-01-01")]), period).freq
    return count_matrix(sums.toPandas(), freq)


def trend_alerts_spark(table: SparkTable, cfg, by: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(scored, alerts)`` as the local ``score_counts`` + ``alert_examples`` give them: counts summed on Spark,
    scored on the small matrix; only the first rows (file order) of each alerted cell are collected for the
    examples (``alert_examples`` looks at no more than ``20 × n_examples`` of them)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from ivr_text.complaints.trends import ALL, alert_examples, period_label, score_counts, to_periods

    scored = score_counts(trend_counts_spark(table, cfg.period, by), cfg)
    cells = {(str(p), str(g)) for p, g in zip(scored.loc[scored["alert"], "period"], scored.loc[scored["alert"], "group"])}
    cols = [ROW, "ts", "text", *([by] if by else [])]
    period = cfg.period

    def label(batches):
        for batch in batches:
            if len(batch):
                labels = [period_label(p) for p in to_periods(batch["ts"], period)]
                groups = (pd.Series(batch[by].to_numpy(dtype=object)).fillna("(missing)").astype(str)
                          if by else pd.Series([ALL] * len(batch)))
                keep = [(a, b) in cells for a, b in zip(labels, groups)]
                out = batch.loc[keep, cols].copy()
                out["_cell"] = [f"{a}\x1f{b}" for (a, b), k in zip(zip(labels, groups), keep) if k]
                yield out

    schema = T.StructType([table.data.schema[c] for c in cols] + [T.StructField("_cell", T.StringType())])
    first = Window.partitionBy("_cell").orderBy(ROW)
    rows = (table.data.select(*cols).mapInPandas(label, schema)
            .withColumn("_n", F.row_number().over(first)).filter(F.col("_n") <= 20 * cfg.n_examples)
            .drop("_n", "_cell").toPandas().sort_values(ROW, kind="stable").reset_index(drop=True))
    alerts = alert_examples(scored, to_periods(rows["ts"], period) if len(rows) else pd.PeriodIndex([], freq=None),
                            rows[by].tolist() if by else None, rows["text"].tolist(), cfg)
    return scored, alerts


def tokenize_spark(table: SparkTable, tokenizer, column: str = "text", mask: bool | None = None):
    """``(tokens, rejected)`` Spark DataFrames for the used rows of ``table`` (see the module docstring); ``tokens``
    ordered by ``source_row``, ``rejected`` as :attr:`SparkTable.rejected` (``source_row``, ``raw``, ``reason``).
    The other text columns are PII-masked as :func:`ivr_text.io.write_table` masks tokens.csv (``mask`` None: the
    process default)."""
    import json

    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    data = table.data
    spark = data.sparkSession
    inputs = [c for c in data.columns if c != ROW]
    shipped = spark.sparkContext.broadcast(tokenizer)
    reason = f"column {column!r}: no text left after normalisation"
    if mask is None:
        from ivr_text.text.pii import output_masking

        mask = output_masking()
    schema = T.StructType([T.StructField("source_row", T.LongType())]
                          + [T.StructField(column if c == "text" else c, data.schema[c].dataType) for c in inputs]
                          + [T.StructField("text_norm", T.StringType()), T.StructField("tokens", T.StringType()),
                             T.StructField("_reason", T.StringType()), T.StructField("_raw", T.StringType())])
    first = table.first_row

    def tokenize(batches):
        from ivr_text.text.token_rows import tokenize_rows

        tok = shipped.value
        for batch in batches:
            if batch.empty:
                continue
            rows = tokenize_rows(tok, batch["text"].tolist())
            empty = pd.Series(rows.empty, index=batch.index)
            kept = batch.loc[~empty, inputs].reset_index(drop=True)
            if rows.text is not None:
                kept["text"] = [str(t) for t in rows.text]
            kept.insert(0, "source_row", batch.loc[~empty, ROW].to_numpy() + first)
            kept["text_norm"], kept["tokens"] = rows.text_norm, rows.tokens
            if mask:
                from ivr_text.sanitize import MASKED, mask_frame

                kept.attrs[MASKED] = ["text", "text_norm", "tokens"] if tok.mask else []
                kept = mask_frame(kept)
            kept["_reason"], kept["_raw"] = None, None
            bad = batch.loc[empty]
            dropped = pd.DataFrame({"source_row": bad[ROW].to_numpy() + first, "_reason": reason,
                                    "_raw": [json.dumps({c: (None if pd.isna(v) else str(v)) for c, v in
                                                         zip(inputs, vals)}, ensure_ascii=False)
                                             for vals in bad[inputs].itertuples(index=False, name=None)]})
            out = pd.concat([kept.rename(columns={"text": column}), dropped], ignore_index=True)
            yield out.astype({c: object for c in out.columns if pd.api.types.is_string_dtype(out[c])})  # one chunk

    done = data.mapInPandas(tokenize, schema).cache()
    tokens = done.filter(F.col("_reason").isNull()).drop("_reason", "_raw").orderBy("source_row")
    rejected = done.filter(F.col("_reason").isNotNull()).select("source_row", F.col("_raw").alias("raw"),
                                                               F.col("_reason").alias("reason"))
    return tokens, rejected


def _pred_schema(spark, model, top_k: int, review_below: float | None):
    """The Spark schema of ``predict_frame``'s columns (from one prediction on the driver)."""
    sample = model.predict_frame(["示例"], top_k=top_k, review_below=review_below, n_jobs=1)
    return sample, spark.createDataFrame(sample).schema


def predict_spark(table: SparkTable, model, *, top_k: int = 1, review_below: float | None = None,
                  mask: bool | None = None):
    """Predictions for every used row of ``table`` (see the module docstring), ordered by ``source_row``;
    text PII-masked as :func:`ivr_text.io.write_table` masks it (``mask`` None: the process default)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    data = table.data
    spark = data.sparkSession
    sample, pred_schema = _pred_schema(spark, model, top_k, review_below)
    inputs = [c for c in data.columns if c != ROW]
    clash = {c: f"input_{c}" for c in inputs if c in set(sample.columns)}
    shipped = spark.sparkContext.broadcast(model)
    out_schema = T.StructType([T.StructField("source_row", T.LongType())]
                              + [T.StructField(clash.get(c, c), data.schema[c].dataType) for c in inputs]
                              + list(pred_schema.fields))
    first = table.first_row
    if mask is None:
        from ivr_text.text.pii import output_masking

        mask = output_masking()

    def predict(batches):
        clf = shipped.value
        for batch in batches:
            if batch.empty:
                continue
            pred = clf.predict_frame(batch["text"].tolist(), top_k=top_k, review_below=review_below, n_jobs=1)
            left = batch[inputs].rename(columns=clash).reset_index(drop=True)
            left.insert(0, "source_row", batch[ROW].to_numpy() + first)
            out = pd.concat([left, pred.reset_index(drop=True)], axis=1)
            if mask:
                from ivr_text.sanitize import mask_frame

                out = mask_frame(out)
            yield out

    return data.mapInPandas(predict, out_schema).orderBy("source_row")
