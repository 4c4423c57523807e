"""Complaints on Spark: ``classify predict`` per partition with the model shipped to the executors once.

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
