"""``ivr-text tokenize``: normalise, mask and tokenise a text column, or filter stdin → stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr_text.cli import common
from ivr_text.cli import engine as cli_engine

TABLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")


def tokenize(
    file: Annotated[Optional[str], typer.Argument(
        help="Input table (csv, tsv, parquet, jsonl, json), or - for stdin lines (or --db/--sql).")] = None,
    column: Annotated[str, typer.Option("--column", "-c", help="Column holding the text.")] = "text",
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Output directory (writes tokens.csv) or a file ending in .csv/.tsv/.parquet/.jsonl. "
                            "Required unless FILE is -.")] = None,
    user_dict: Annotated[Optional[list[Path]], typer.Option(
        "--user-dict", help="Extra jieba-format dictionary (word [freq] [tag]); repeatable.")] = None,
    stopwords: Annotated[Optional[list[Path]], typer.Option(
        "--stopwords", help="Extra stopword file, one word per line; repeatable.")] = None,
    synonyms: Annotated[Optional[list[Path]], typer.Option(
        "--synonyms", help="Extra synonym file ('variant, variant => canonical'); repeatable.")] = None,
    config: Annotated[Optional[Path], typer.Option(
        "--config", help="YAML file with tokenizer options (user_dicts, stopwords, synonyms, ...).")] = None,
    keep_stopwords: Annotated[bool, typer.Option("--keep-stopwords", help="Keep stopwords in the tokens.")] = False,
    social: Annotated[Optional[str], typer.Option(
        "--social", help="@handles, #topics#, URLs, emoji, repost markers, signatures: drop (default), mask "
                         "(placeholder tokens <AT> <URL> ...) or keep.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes: -1 (default) = every CPU this process "
                                                           "may use, for inputs large enough to pay; 1 = one process.")] = -1,
    engine: Annotated[str, typer.Option(
        "--engine", help="Segmenter: auto, rjieba, jieba_fast or jieba; or spark: run on Spark (segmenter from "
                         "--config, else auto; writes OUT/tokens/ as Parquet).")] = "auto",
    mapping: common.MapOpt = None,
    fmt: common.FormatOpt = None,
    encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
    db: cli_engine.DbOpt = None, sql: cli_engine.SqlOpt = None,
    spark_master: cli_engine.SparkMasterOpt = None, spark_conf: cli_engine.SparkConfOpt = None,
) -> None:
    """Normalise (Traditional→Simplified, width, punctuation, case), mask PII and tokenise Chinese text.

    Adds columns text_norm and tokens (space-separated) and replaces the text column by its masked form
    (--no-mask, a flag of every command, keeps the raw text and tokens).
    Rows without usable text are rejected (counted, written to rejected_tokenize.csv). With FILE "-" it is a
    filter: one line in, space-separated tokens out.

    Example: ivr-text tokenize complaints.csv --column content --out out/
    """
    from ivr_text.errors import InputError

    from ivr_text.text.pii import output_masking

    on_spark, engine = engine == "spark", ("auto" if engine == "spark" else engine)
    tok = _make_tokenizer(user_dict, stopwords, synonyms, config, not output_masking(), keep_stopwords, engine, social)
    src = cli_engine.source(file, db, sql)
    if src == "-":
        _filter_stdin(tok, jobs)
        return
    if out is None:
        raise InputError("--out is required when reading a file (use FILE - to write tokens to stdout)")
    if on_spark:  # the same kernel per Arrow batch, tokenizer shipped once (ivr_text.spark.complaints)
        return cli_engine.tokenize_on_spark(tok, src, column, out, master=spark_master, conf=spark_conf,
                                            mapping=mapping, fmt=fmt, strict=strict)
    _tokenize_file(tok, src if isinstance(src, cli_engine.SqlQuery) else Path(src), column, out, jobs, mapping, fmt, encoding, strict)


def _make_tokenizer(user_dict, stopwords, synonyms, config, no_mask, keep_stopwords, engine, social=None):
    """Options from --config (if any), then command-line files added and flags applied on top."""
    from ivr_text.errors import InputError
    from ivr_text.text import Tokenizer
    from ivr_text.text.engines import ENGINES

    if engine != "auto" and engine not in ENGINES:
        raise InputError(f"--engine: unknown engine {engine!r}; choose auto, {', '.join(ENGINES)}")
    options = Tokenizer.read_config(config) if config is not None else {}
    for key, extra in (("user_dicts", user_dict), ("stopwords", stopwords), ("synonyms", synonyms)):
        options[key] = list(options.get(key) or []) + list(extra or [])
    if no_mask:
        options["mask"] = False
    if keep_stopwords:
        options["keep_stopwords"] = True
    if engine != "auto" or "engine" not in options:
        options["engine"] = engine
    if social is not None:
        if social not in ("drop", "mask", "keep"):
            raise InputError(f"--social: choose drop, mask or keep, not {social!r}")
        options["social"] = social
    return Tokenizer(**options)


def _decode_line(raw: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", errors="replace")


def _filter_stdin(tok, jobs: int, batch: int = 20000) -> None:
    """stdin lines (UTF-8 or GB18030, per line) → one line of space-separated tokens each, in order."""
    stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    lines_in = (_decode_line(b.rstrip(b"\r\n")) for b in stream) if stream is not None \
        else (s.rstrip("\r\n") for s in sys.stdin)
    out = sys.stdout
    pending: list[str] = []
    for line in lines_in:
        pending.append(line)
        if len(pending) >= batch:
            _emit(tok, pending, jobs, out)
            pending = []
    if pending:
        _emit(tok, pending, jobs, out)
    out.flush()


def _emit(tok, lines: list[str], jobs: int, out) -> None:
    out.write("".join(" ".join(tokens) + "\n" for tokens in tok.tokenize_many(lines, n_jobs=jobs)))


def _tokenize_file(tok, path: Path, column, out: Path, jobs, mapping, fmt, encoding, strict) -> None:
    from ivr_text.errors import InputError
    from ivr_text.io import write_rejected, write_table
    from ivr_text.text.token_rows import tokenize_rows

    mapping = list(mapping or [])
    if column != "text" and not any(m.split("=", 1)[0].strip() == "text" for m in mapping):
        mapping.append(f"text={column}")
    target = out if out.suffix.lower() in TABLE_SUFFIXES else out / "tokens.csv"
    out_dir = target.parent
    table = common.load(path, "complaints", mapping=mapping, fmt=fmt, encoding=encoding, strict=strict,
                        out_dir=None)
    data = table.data
    rows = tokenize_rows(tok, data["text"].tolist(), jobs)  # one kernel for both engines (ivr_text.text.token_rows)
    empty = rows.empty
    if any(empty):
        if strict:
            row = data["source_row"].iloc[empty.index(True)] if "source_row" in data else "?"
            raise InputError(f"{path}: line {row}: column {column!r}: no text left after normalisation")
        n = table.reject(empty, f"column {column!r}: no text left after normalisation")
        common.echo(f"  rejected {n:,} more: no text left after normalisation; now {table.summary()}")
        data = table.data
    result = data.copy()
    if rows.text is not None:
        result["text"] = rows.text
    result["text_norm"] = rows.text_norm
    result["tokens"] = rows.tokens
    if column != "text":
        result = result.rename(columns={"text": column})
    if tok.mask:  # masked here already: the writer need not mask them again
        from ivr_text.sanitize import MASKED

        result.attrs[MASKED] = [column, "text_norm", "tokens"]
    common.echo(f"{path}: tokenised {len(result):,} texts, {sum(len(t.split()) for t in rows.tokens):,} tokens "
                f"(engine {tok.engine.name}, masking {'on' if tok.mask else 'OFF'})")
    written = [write_table(result, target)]
    written.append(write_rejected(table, out_dir, "tokenize"))
    common.done(*written)


tokenize = common.friendly_errors(tokenize)


def register(app) -> None:
    """Add this module's commands to the ivr-text app."""
    app.command("tokenize")(tokenize)
