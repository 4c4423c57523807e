"""Options shared by the commands that run on Spark or read from a database, defined once.

* ``--engine local|spark`` (local is the default and needs no Java), ``--spark-master`` (default ``local[*]``),
  ``--spark-conf key=value`` (repeatable);
* ``--db URL`` (or ``env:NAME`` / ``@FILE`` / ``$IVR_TEXT_DB_URL``) with ``--sql "SELECT …"``: the command's table
  read from a database on the local engine (:mod:`ivr_text.sql`), with the same checks and row accounting as a file.

The Spark runs of the commands live here too, so each command file only adds the options and one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr_text.errors import UsageError

ENGINES = ("local", "spark")

EngineOpt = Annotated[str, typer.Option(
    "--engine", help="local (default, one process) or spark (PySpark 4 + Java 17: pip install \"ivr-text[spark]\").")]
SparkMasterOpt = Annotated[Optional[str], typer.Option(
    "--spark-master", help="Spark master with --engine spark: local[*] (default), local[2], yarn, k8s://…, spark://…")]
SparkConfOpt = Annotated[Optional[list[str]], typer.Option(
    "--spark-conf", help="Spark setting key=value (repeatable), e.g. --spark-conf spark.sql.shuffle.partitions=64")]
DbOpt = Annotated[Optional[str], typer.Option(
    "--db", help="Database URL (SQLAlchemy: postgresql+psycopg://user@host/db, mysql+pymysql://…, sqlite:///f.db), "
                 "env:NAME or @FILE holding it; with --sql the table is read from there instead of FILE.")]
SqlOpt = Annotated[Optional[str], typer.Option(
    "--sql", help="SELECT statement giving the table (with --db; columns named as in the file, or --map).")]


@dataclass(frozen=True)
class SqlQuery:
    """A table read from a database (stands where a file path would)."""

    url: str | None
    query: str

    def __str__(self) -> str:
        from ivr_text.sql import safe_url

        try:
            from ivr_text.sql import resolve_url

            return f"{safe_url(resolve_url(self.url))} [{' '.join(self.query.split())[:60]}]"
        except Exception:
            return "database query"


UsageSqlOpt = Annotated[Optional[str], typer.Option(
    "--usage-sql", help="SELECT giving the usage table from --db (instead of --usage).")]
FeedbackSqlOpt = Annotated[Optional[str], typer.Option(
    "--feedback-sql", help="SELECT giving the feedback events (work orders) from --db (instead of --feedback).")]


def churn_sources(feedback, usage, db: str | None, feedback_sql: str | None, usage_sql: str | None):
    """``(feedback sources, usage source)`` for the churn commands: files, or queries on ``--db``."""
    if db is None and (feedback_sql or usage_sql):
        raise UsageError("--feedback-sql / --usage-sql need --db URL")
    if db is not None and not (feedback_sql or usage_sql):
        raise UsageError("--db needs --usage-sql and/or --feedback-sql \"SELECT …\"")
    if usage_sql and usage is not None:
        raise UsageError("give either --usage or --usage-sql, not both")
    usage = SqlQuery(db, usage_sql) if usage_sql else usage
    feedback = list(feedback or []) + ([SqlQuery(db, feedback_sql)] if feedback_sql else [])
    if usage is None:
        raise UsageError("missing option '--usage' (or --db URL --usage-sql \"SELECT …\")")
    if not feedback:
        raise UsageError("missing option '--feedback' (or --db URL --feedback-sql \"SELECT …\")")
    return feedback, usage


def read_any(path, kind, **options):
    """``ivr_text.io.read_table`` for a file, :func:`read_query` for a :class:`SqlQuery`."""
    from ivr_text.io import read_table

    if isinstance(path, SqlQuery):
        return read_query(path, kind, mapping=options.get("mapping"), columns=options.get("columns"))
    return read_table(path, kind, **options)


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise UsageError(f"--engine {engine!r}: use local or spark")
    return engine


def source(path, db: str | None, sql: str | None):
    """``path``, or the :class:`SqlQuery` given by ``--db``/``--sql`` (a usage error when only one is given or
    when both a file and a query are)."""
    if sql is None and db is None:
        if path is None:
            raise UsageError("give an input FILE (or --db URL --sql \"SELECT …\")")
        return path
    if not sql:
        raise UsageError("--db needs --sql \"SELECT …\" (the query giving the table)")
    if path is not None and str(path) not in ("", "-"):
        raise UsageError(f"give either FILE ({path}) or --db/--sql, not both")
    return SqlQuery(db, sql)


def read_query(q: SqlQuery, kind, *, mapping=None, columns=None):
    """The query's result as a checked :class:`~ivr_text.io.Table` (as ``read_table`` for a file)."""
    from ivr_text.sql import read_sql

    return read_sql(q.url, q.query, kind, mapping=mapping, columns=columns)


def query_columns(q: SqlQuery) -> list[str]:
    """The column names the query returns (reads at most one row)."""
    from ivr_text.sql import iter_sql

    return list(next(iter_sql(q.url, q.query, None, chunksize=1)).data.columns)


def need_model(model):
    if model is None:
        raise UsageError("--engine spark needs --model (a cold start learns from the whole input: local engine)")
    return model


def spark_for(master: str | None, conf: list[str] | None):
    from ivr_text.spark.session import spark_session

    spark = spark_session(master, conf)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _ledger(spark_table, out: Path, name: str, strict: bool):
    """Print a Spark input's row accounting and write its rejected rows (as for a file); returns the file."""
    import pandas as pd

    from ivr_text.cli import common
    from ivr_text.errors import InputError
    from ivr_text.io import Table, write_rejected

    read, used, _ = spark_table.counts()
    rejected = spark_table.rejected_pandas()
    if strict and len(rejected):
        raise InputError(f"{spark_table.source}: row {rejected['source_row'].iloc[0]}: {rejected['reason'].iloc[0]}")
    ledger = Table(data=pd.DataFrame(index=pd.RangeIndex(used)), rejected=rejected, source=spark_table.source,
                   read=read, kind=spark_table.kind)
    common.report_rows(ledger)
    written = write_rejected(ledger, out, name)
    common.require_rows(ledger, written)
    return written


def tokenize_on_spark(tok, file, column: str, out: Path, *, master, conf, mapping, fmt, strict: bool):
    """``tokenize FILE --engine spark``: tokens as the Parquet directory OUT/tokens/, rejected rows as locally."""
    import pandas as pd

    from ivr_text.cli import common
    from ivr_text.errors import InputError
    from ivr_text.io import Table, write_rejected
    from ivr_text.spark.complaints import tokenize_spark
    from ivr_text.spark.reading import read_spark, rejected_frame

    mapping = list(mapping or [])
    if column != "text" and not any(m.split("=", 1)[0].strip() == "text" for m in mapping):
        mapping.append(f"text={column}")
    spark = spark_for(master, conf)
    table = read_spark(spark, str(file), "complaints", mapping=mapping, fmt=fmt)
    tokens, dropped = tokenize_spark(table, tok, column)
    target = Path(out) / "tokens"
    tokens.write.mode("overwrite").parquet(str(target))
    read, used, _ = table.counts()
    rejected = pd.concat([table.rejected_pandas(), rejected_frame(dropped.toPandas())], ignore_index=True)
    if strict and len(rejected):
        raise InputError(f"{file}: row {rejected['source_row'].iloc[0]}: {rejected['reason'].iloc[0]}")
    ledger = Table(data=pd.DataFrame(index=pd.RangeIndex(read - len(rejected))), rejected=rejected,
                   source=str(file), read=read, kind="complaints")
    common.report_rows(ledger)
    written = write_rejected(ledger, out, "tokenize")
    common.require_rows(ledger, written)
    common.echo(f"{file}: tokenised {ledger.used:,} texts on Spark (segmenter {tok.engine.name}, "
                f"masking {'on' if tok.mask else 'OFF'})")
    common.done(target, written)


def trends_on_spark(file, cfg, schema, by: str | None, out: Path, *, master, conf, mapping, fmt, strict: bool,
                    terms: bool, topic_column: str | None):
    """``trends --engine spark``: counts.csv, alerts.csv (with examples) and trends.json, as the local command
    writes them with ``--no-terms``."""
    from ivr_text.cli import common
    from ivr_text.errors import InputError
    from ivr_text.io import write_json, write_table
    from ivr_text.spark.complaints import trend_alerts_spark
    from ivr_text.spark.reading import load, read_spark

    if terms or topic_column:
        raise UsageError("--engine spark counts and alerts only: add --no-terms (emerging terms and --topic-column "
                         "need the whole corpus: local engine)")
    spark = spark_for(master, conf)
    if by is None:
        from ivr_text.io import parse_mapping

        by = "cause" if "cause" in parse_mapping(mapping) or "cause" in load(spark, str(file), fmt).columns else ""
    table = read_spark(spark, str(file), schema, mapping=mapping, columns=[by] if by else None, fmt=fmt)
    written = _ledger(table, out, "complaints", strict)
    scored, alerts = trend_alerts_spark(table, cfg, by or None)
    if scored["period"].nunique() > cfg.max_periods:
        raise InputError(f"{file}: the dates span more than max_periods {cfg.max_periods:,} {cfg.period}s; check "
                         "the dates, use a longer --period or narrow --date-window")
    name = by or "group"
    scored, alerts = scored.rename(columns={"group": name}), alerts.rename(columns={"group": name})
    read, used, rejected = table.counts()
    summary = {"input": str(file), "rows_used": used, "rows_rejected": rejected, "params": cfg.__dict__.copy(),
               "alerts": len(alerts)}
    common.echo(f"{len(scored[name].unique())} {name} value(s) over {scored['period'].nunique()} {cfg.period}(s); "
                f"{len(alerts)} alert(s) (Spark)")
    common.done(written, write_table(scored, Path(out) / "counts.csv"), write_table(alerts, Path(out) / "alerts.csv"),
                write_json(summary, Path(out) / "trends.json"))


def classify_predict_spark(file, model, *, master, conf, mapping, fmt, top_k, review_below, strict, out: Path):
    """``classify predict --engine spark``: predictions written as the Parquet directory OUT/predictions/."""
    from ivr_text.cli import common
    from ivr_text.spark.complaints import predict_spark
    from ivr_text.spark.reading import read_spark

    spark = spark_for(master, conf)
    table = read_spark(spark, str(file), "complaints", mapping=mapping, columns=["text"], fmt=fmt)
    written = [_ledger(table, out, "complaints", strict)]
    pred = predict_spark(table, model, top_k=top_k, review_below=review_below)
    target = Path(out) / "predictions"
    pred.write.mode("overwrite").parquet(str(target))
    counts = spark.read.parquet(str(target)).groupBy("cause").count().toPandas()
    counts = counts.sort_values(["count", "cause"], ascending=[False, True]).rename(columns={"count": "complaints"})
    common.echo(f"classified {int(counts['complaints'].sum()):,} complaints with model (Spark, {master or 'local[*]'})")
    common.print_table(counts.reset_index(drop=True), title="predicted causes")
    common.done(*written, target)


def ivr_analyze_spark(events, menu, cfg, *, master, conf, mapping, fmt, since, until, segments, min_count,
                      top_paths, strict: bool, out: Path):
    """``ivr analyze --engine spark``: read and analyse on Spark, write what the local engine writes."""
    import pandas as pd

    from ivr_text.cli import common
    from ivr_text.errors import InputError
    from ivr_text.io import Table, write_rejected
    from ivr_text.spark.ivr import analyze_spark
    from ivr_text.spark.reading import read_spark

    spark = spark_for(master, conf)
    table = read_spark(spark, events, "ivr_events", mapping=mapping, fmt=fmt)
    analysis, rejected = analyze_spark(table, menu, cfg, since=since, until=until, segments=segments,
                                       min_count=min_count, top_paths=top_paths)
    rows = analysis.kpis["rows"]
    if strict and len(rejected):
        first = rejected.iloc[0]
        raise InputError(f"{events}: row {first['source_row']}: {first['reason']}")
    ledger = Table(data=pd.DataFrame(index=pd.RangeIndex(rows["used"])), rejected=rejected, source=str(events),
                   read=rows["read"], kind="ivr_events")
    common.report_rows(ledger)
    written = write_rejected(ledger, out, "ivr_events")
    common.require_rows(ledger, written)
    return analysis, [written]
