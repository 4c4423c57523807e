"""``ivr-text topics``, ``ivr-text trends`` and ``ivr-text keywords expand``: themes, alerts and new keywords."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr_text.cli import common, engine
from ivr_text.errors import InputError, UsageError

keywords_app = typer.Typer(
    help="Grow the cause taxonomy and dictionaries from your own complaints."
         "\n\nExample: ivr-text keywords expand complaints.csv --out reports/keywords.csv",
    no_args_is_help=True, rich_markup_mode=None)

TextColOpt = Annotated[str, typer.Option("--text-column", help="Column holding the complaint text.")]
TaxonomyOpt = Annotated[Optional[Path], typer.Option(
    "--taxonomy", help="Taxonomy YAML whose keywords seed the search (default: the shipped one).")]
ConfigOpt = Annotated[Optional[Path], typer.Option(
    "--config", help="YAML file of parameters (field names as in the library's config); options override it.")]
JobsOpt = Annotated[int, typer.Option("--n-jobs", help="Tokeniser worker processes (-1 = all cores).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (results are reproducible for a seed).")]


def _config(cls, path: Path | None, **options):
    """Build a config dataclass from defaults, a YAML file, then the options given on the command line."""
    from ivr_text.settings import settings_object

    given = {k: v for k, v in options.items() if v is not None}
    try:
        return settings_object(cls, path, **given)
    except TypeError as exc:
        raise InputError(f"{path or 'options'}: bad parameters: {exc}") from None
    except (InputError, ValueError) as exc:  # a value the config rejects: name the option or the file it came from
        msg = str(exc)
        if path is not None and msg.startswith(f"{path}: "):  # already names the file (e.g. an unknown key)
            raise InputError(msg) from None
        option = next((k for k in given if msg.startswith(k)), None)
        if option is not None:
            raise UsageError(f"--{option.replace('_', '-')} {given[option]!r}: {msg}") from None
        raise InputError(f"{path or 'options'}: {msg}") from None


def _mapping(mapping, **canonical_to_source) -> list[str]:
    items = list(mapping or [])
    given = {i.partition("=")[0].strip() for i in items}
    for canon, source in canonical_to_source.items():
        if source and source != canon and canon not in given:
            items.append(f"{canon}={source}")
    return items


def _schema(dated: bool = False):
    """The complaints schema reduced to the columns a command uses (others are ignored, not checked)."""
    from ivr_text.io import SCHEMAS, Schema

    base = SCHEMAS["complaints"]
    optional = {c: t for c, t in base.optional.items() if c in ("id", "cause")}
    required = {**base.required, **({"ts": "datetime"} if dated else {})}
    return Schema("complaints", required, optional)


def _has_column(file: Path, name: str, mapping: list[str], fmt, encoding) -> bool:
    from ivr_text.io import parse_mapping, read_header

    header = engine.query_columns(file) if isinstance(file, engine.SqlQuery) else read_header(file, fmt, encoding)
    return name in parse_mapping(mapping) or name in header


def _parse_k(value: str | None) -> int | None:
    if value is None or value.strip().lower() == "auto":
        return None
    try:
        k = int(value)
    except ValueError:
        raise typer.BadParameter(f"expected a number or 'auto', not {value!r}", param_hint="--topics") from None
    if k < 1:
        raise typer.BadParameter("must be at least 1", param_hint="--topics")
    return k


# ------------------------------------------------------------------------------------------ topics


def topics(
    file: Annotated[Path, typer.Argument(help="Complaints table with a text column.")],
    out: common.OutDirOpt = Path("reports/topics"),
    text_column: TextColOpt = "text",
    n_topics: Annotated[Optional[str], typer.Option(
        "--topics", "-k", help="Number of topics, or 'auto' to choose by coherence in --k-min..--k-max.")] = "auto",
    by: Annotated[Optional[str], typer.Option(
        "--by", help="Also find topics within each value of this column (e.g. cause).")] = None,
    seed: SeedOpt = 0,
    passes: Annotated[Optional[int], typer.Option("--passes", min=1, help="LDA passes over the corpus.")] = None,
    iterations: Annotated[Optional[int], typer.Option("--iterations", min=1,
                                                      help="LDA inference iterations per text.")] = None,
    k_min: Annotated[Optional[int], typer.Option("--k-min", min=1, help="Smallest k tried by 'auto'.")] = None,
    k_max: Annotated[Optional[int], typer.Option("--k-max", min=1, help="Largest k tried by 'auto'.")] = None,
    coherence: Annotated[Optional[str], typer.Option("--coherence", help="c_npmi or u_mass.")] = None,
    no_below: Annotated[Optional[int], typer.Option("--no-below", min=1,
                                                    help="Drop words in fewer texts than this.")] = None,
    no_above: Annotated[Optional[float], typer.Option("--no-above", min=0.0, max=1.0,
                                                      help="Drop words in more than this share of texts.")] = None,
    taxonomy: TaxonomyOpt = None,
    config: ConfigOpt = None,
    n_jobs: Annotated[int, typer.Option(
        "--n-jobs", help="Worker processes for tokenising and for fitting the candidate models side by side "
                         "(-1 = all cores; results are the same for any value).")] = -1,
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Find complaint themes with LDA topics, overall and within each cause; report coherence.

    Writes topics.csv (scope, topic, top words, share, coherence, taxonomy terms, novel, masked examples),
    doc_topics.csv (dominant topic per text), boilerplate.csv (template words found in this corpus and kept
    out of the topics) and topics.json (k, coherence, parameters).

    Example: ivr-text topics complaints.csv --out reports/topics --by cause --topics auto --seed 1
    """
    from ivr_text.complaints.corpus import corpus_from_texts, default_tokenizer
    from ivr_text.complaints.keywords import taxonomy_keywords
    from ivr_text.complaints.topics import TopicConfig, analyse_topics
    from ivr_text.io import write_json, write_table

    k = _parse_k(n_topics)
    cfg = _config(TopicConfig, config, k=k, seed=seed, passes=passes, iterations=iterations,
                  coherence=coherence, no_below=no_below, no_above=no_above)
    if k_min is not None or k_max is not None:
        lo, hi = k_min or cfg.k_range[0], k_max or cfg.k_range[1]
        if lo > hi:
            raise InputError(f"--k-min {lo} is larger than --k-max {hi}")
        cfg.k_range = (lo, hi)
    mapping = _mapping(mapping, text=text_column)
    table = common.load(file, _schema(), mapping=mapping, fmt=fmt, encoding=encoding, strict=strict,
                        columns=[by] if by else None, out_dir=out, name="complaints")
    data = table.data
    texts = data["text"].tolist()
    corpus = corpus_from_texts(texts, default_tokenizer(), n_jobs=n_jobs, min_len=2)
    groups = data[by].fillna("(missing)").astype(str).tolist() if by else None
    causes = data["cause"].fillna("(missing)").astype(str).tolist() if "cause" in data else None
    seeds = taxonomy_keywords(taxonomy)
    bp_causes = None
    if causes is None and groups is None:  # boilerplate is judged against the keyword rules' causes
        from ivr_text.complaints.boilerplate import rule_causes

        bp_causes = rule_causes(texts, taxonomy)
    report = analyse_topics(texts, corpus, cfg, groups=groups, group_name=by or "group", causes=causes,
                            taxonomy=seeds, n_jobs=n_jobs, boilerplate_causes=bp_causes)
    doc = report.doc_topics
    source_rows = data.attrs.get("source_rows")
    if source_rows is not None and len(source_rows) == len(doc):
        doc.insert(1, "source_row", source_rows)  # line in the input file, for joining back
    if "id" in data:
        doc.insert(1, "id", data["id"].to_numpy())
    info = {"input": str(file), "rows_used": table.used, "rows_rejected": len(table.rejected), **report.info}
    paths = [write_table(report.topics, out / "topics.csv"), write_table(doc, out / "doc_topics.csv"),
             write_table(report.boilerplate, out / "boilerplate.csv"), write_json(info, out / "topics.json")]
    overall = report.info["all"]
    common.echo(f"{overall['k']} topics over {overall['n_texts']:,} texts; coherence "
                f"{overall['coherence_measure']} = {overall['coherence']:.3f}")
    if report.info["skipped"]:
        common.echo(f"  no topics within {len(report.info['skipped'])} small group(s): "
                    + ", ".join(list(report.info["skipped"])[:5]))
    shown = report.topics[report.topics["scope"] == "all"][["topic", "top_words", "share", "coherence"]]
    common.print_table(shown, title="Topics (all texts)")
    if len(report.boilerplate):
        common.echo(f"kept out as corpus boilerplate ({len(report.boilerplate)} terms, see boilerplate.csv): "
                    + " ".join(report.boilerplate["term"].head(12)))
    common.done(*paths)


# ------------------------------------------------------------------------------------------ trends


def trends(
    file: Annotated[Optional[Path], typer.Argument(help="Complaints table with a date and a text column (or --db/--sql).")] = None,
    out: common.OutDirOpt = Path("reports/trends"),
    date_column: Annotated[str, typer.Option("--date-column", help="Column holding the complaint date.")] = "ts",
    by: Annotated[Optional[str], typer.Option(
        "--by", help="Group counts by this column (default: cause when the file has it; '' = no grouping).")] = None,
    topic_column: Annotated[Optional[str], typer.Option(
        "--topic-column", help="Also count and alert per topic (e.g. 'topic' from doc_topics.csv).")] = None,
    period: Annotated[str, typer.Option("--period", help="day, week or month.")] = "week",
    text_column: TextColOpt = "text",
    window: Annotated[Optional[int], typer.Option("--window", min=1, help="Baseline periods.")] = None,
    season: Annotated[Optional[int], typer.Option(
        "--season", min=1, help="Periods between baseline periods (7 = same weekday for --period day).")] = None,
    method: Annotated[Optional[str], typer.Option(
        "--method", help="conditional (exact test against the baseline counts), poisson or robust_z.")] = None,
    alpha: Annotated[Optional[float], typer.Option(
        "--alpha", min=0.0, max=1.0,
        help="False-alarm level per period: q-value threshold after Benjamini-Hochberg over its causes.")] = None,
    z_threshold: Annotated[Optional[float], typer.Option("--z-threshold", help="Robust z threshold.")] = None,
    min_count: Annotated[Optional[int], typer.Option("--min-count", min=0,
                                                     help="Fewest texts in a period to alert.")] = None,
    min_ratio: Annotated[Optional[float], typer.Option("--min-ratio", min=0.0,
                                                       help="Smallest count / baseline to alert.")] = None,
    terms: Annotated[bool, typer.Option("--terms/--no-terms", help="Find emerging terms.")] = True,
    config: ConfigOpt = None,
    n_jobs: JobsOpt = 1,
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False, db: engine.DbOpt = None, sql: engine.SqlOpt = None,
    run_on: engine.EngineOpt = "local", spark_master: engine.SparkMasterOpt = None,
    spark_conf: engine.SparkConfOpt = None,
) -> None:
    """Count complaints per period and cause, alert on spikes against each cause's baseline, find new terms.

    Writes counts.csv (every period × cause, zero-filled, with baseline and tests), alerts.csv (period,
    cause, count, baseline, ratio, p_value, q_value, z, what_changed: the terms over-represented in the alerted
    texts, masked examples), emerging_terms.csv (corpus boilerplate left out; trends.json lists it), and with
    --topic-column topic_counts.csv and topic_alerts.csv. Rows with missing or unparseable dates go to
    rejected_complaints.csv.

    Example: ivr-text trends complaints.csv --date-column created_at --by cause --period week --out reports/trends
    """
    from ivr_text.complaints.corpus import corpus_from_texts, default_tokenizer
    from ivr_text.complaints.trends import (TrendConfig, alert_examples, alert_terms, boilerplate_terms,
                                            emerging_terms, period_counts, score_counts, to_periods)
    from ivr_text.io import write_json, write_table

    cfg = _config(TrendConfig, config, period=period, window=window, season=season, method=method, alpha=alpha,
                  z_threshold=z_threshold, min_count=min_count, min_ratio=min_ratio)
    mapping = _mapping(mapping, text=text_column, ts=date_column)
    file = engine.source(file, db, sql)
    if engine.check_engine(run_on) == "spark":  # counts summed on Spark, alerts on the small table
        return engine.trends_on_spark(file, cfg, _schema(dated=True), by, out, master=spark_master, conf=spark_conf,
                                      mapping=mapping, fmt=fmt, strict=strict, terms=terms, topic_column=topic_column)
    if by is None:
        by = "cause" if _has_column(file, "cause", mapping, fmt, encoding) else ""
    table = common.load(file, _schema(dated=True), mapping=mapping, fmt=fmt, encoding=encoding, strict=strict,
                        columns=[c for c in (by, topic_column) if c] or None, out_dir=out, name="complaints")
    data = table.data
    if data.empty:
        raise InputError(f"{file}: no row with a usable date and text")
    periods = to_periods(data["ts"], cfg.period)
    span = (periods.max() - periods.min()).n + 1
    if span > cfg.max_periods:
        raise InputError(f"{file}: the dates span {span:,} {cfg.period}s ({data['ts'].min().date()} .. "
                         f"{data['ts'].max().date()}), more than max_periods {cfg.max_periods:,}; check the dates, "
                         "use a longer --period or narrow --date-window")
    texts = data["text"].tolist()
    name = by or "group"
    paths = []
    summary: dict = {"input": str(file), "rows_used": table.used, "rows_rejected": len(table.rejected),
                     "params": cfg.__dict__.copy()}
    corpus, exclude = None, []
    if terms:
        corpus = corpus_from_texts(texts, default_tokenizer(), n_jobs=n_jobs, min_len=2)
        exclude = boilerplate_terms(corpus, periods, data[by].tolist() if by else None, cfg)
        summary["boilerplate_terms"] = exclude
    for dim, col, prefix in ((name, by, ""), ("topic", topic_column, "topic_")):
        if prefix and not col:
            continue
        groups = data[col].tolist() if col else None
        scored = score_counts(period_counts(periods, groups), cfg)
        alerts = alert_examples(scored, periods, groups, texts, cfg)
        if corpus is not None:  # what changed: the terms over-represented in the alerted cell
            alerts.insert(len(alerts.columns) - 1, "what_changed",
                          alert_terms(alerts, corpus, periods, groups, cfg, exclude))
        scored = scored.rename(columns={"group": dim})
        alerts = alerts.rename(columns={"group": dim})
        paths += [write_table(scored, out / f"{prefix}counts.csv"), write_table(alerts, out / f"{prefix}alerts.csv")]
        summary[f"{prefix}alerts"] = len(alerts)
        if not prefix:
            summary_alerts = alerts
        if not prefix:
            common.echo(f"{len(scored[dim].unique())} {dim} value(s) over {scored['period'].nunique()} "
                        f"{cfg.period}(s); {len(alerts)} alert(s)")
            if len(alerts):
                shown = ["period", dim, "count", "baseline", "ratio", "q_value"] + \
                    (["what_changed"] if "what_changed" in alerts else [])
                common.print_table(alerts[shown], title="Alerts", max_rows=10)
    if terms:
        causes = data[by].tolist() if by else None
        emerging = emerging_terms(corpus, periods, cfg, texts=texts, causes=causes, exclude=exclude)
        if by:  # a term whose main cause spiked in that period may just ride the spike; others are new themes
            alerted = set(zip(summary_alerts["period"], summary_alerts[name].astype(str)))
            emerging["cause_alert"] = [(p, str(c)) in alerted for p, c in zip(emerging["period"], emerging["main_cause"])]
        paths.append(write_table(emerging, out / "emerging_terms.csv"))
        summary["emerging_terms"] = len(emerging)
        common.echo(f"{len(emerging)} emerging term(s)")
    paths.append(write_json(summary, out / "trends.json"))
    common.done(*paths)


# ------------------------------------------------------------------------------------------ keywords


def expand(
    file: Annotated[Path, typer.Argument(help="Complaints table with a text column.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output table (csv, tsv, parquet, jsonl).")] = Path(
        "reports/keyword_suggestions.csv"),
    taxonomy: TaxonomyOpt = None,
    text_column: TextColOpt = "text",
    model: Annotated[Optional[str], typer.Option("--model", help="word2vec or fasttext.")] = None,
    min_count: Annotated[Optional[int], typer.Option("--min-count", min=1,
                                                     help="Words rarer than this get no vector.")] = None,
    epochs: Annotated[Optional[int], typer.Option("--epochs", min=1, help="Training epochs.")] = None,
    topn: Annotated[Optional[int], typer.Option("--topn", min=1, help="Suggestions per seed keyword.")] = None,
    min_similarity: Annotated[Optional[float], typer.Option(
        "--min-similarity", min=-1.0, max=1.0, help="Smallest cosine similarity to a seed.")] = None,
    phrases: Annotated[Optional[bool], typer.Option(
        "--phrases/--no-phrases", help="Join frequent collocations into candidate dictionary terms.")] = None,
    cause_column: Annotated[Optional[str], typer.Option(
        "--cause-column", help="Column with each text's cause (default: 'cause', else 'label', if present).")] = None,
    seed: SeedOpt = 0,
    config: ConfigOpt = None,
    n_jobs: JobsOpt = 1,
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Suggest new keywords for each cause, ranked by how much each would help that cause's rules.

    Candidates are nearest neighbours of the cause's seed keywords in word vectors trained on your own
    texts. With a cause column (a 'cause' or 'label' column, or --cause-column) each term is ranked by the
    share of its texts that carry the cause (Wilson lower bound) times log2(1 + texts of the cause the
    current keywords miss); without one, by similarity plus margin over the closest other cause. The column
    'why' says in words why a term is suggested. OUT holds one ranked row per (cause, new term);
    OUT_by_seed holds every (seed, suggestion) pair; OUT.json the run info.

    Example: ivr-text keywords expand complaints.csv --cause-column label --taxonomy dictionaries/taxonomy.yaml --out reports/keywords.csv
    """
    from ivr_text.complaints.corpus import default_tokenizer
    from ivr_text.complaints.keywords import KeywordConfig, expand_keywords, taxonomy_keywords
    from ivr_text.io import write_json, write_table

    cfg = _config(KeywordConfig, config, model=model, min_count=min_count, epochs=epochs, topn=topn,
                  min_similarity=min_similarity, phrases=phrases, seed=seed)
    seeds = taxonomy_keywords(taxonomy)
    mapping = _mapping(mapping, text=text_column, cause=cause_column)
    if cause_column is None and not any(m.partition("=")[0].strip() == "cause" for m in mapping) \
            and not _has_column(file, "cause", mapping, fmt, encoding) \
            and _has_column(file, "label", mapping, fmt, encoding):
        mapping.append("cause=label")  # a labelled file: its labels are the evidence
    table = common.load(file, _schema(), mapping=mapping, fmt=fmt,
                        encoding=encoding, strict=strict, out_dir=out.parent, name="complaints")
    labels = table.data["cause"].tolist() if "cause" in table.data else None
    if labels is not None:
        unknown = sorted(set(map(str, labels)) - set(seeds) - {"nan", "None"})
        if len(unknown) == len(set(map(str, labels))):
            raise InputError(f"{file}: no value of the cause column is a cause of the taxonomy (found: "
                             f"{', '.join(unknown[:5])}; causes: {', '.join(list(seeds)[:8])}); pass --taxonomy")
    report = expand_keywords(table.data["text"].tolist(), seeds, cfg, default_tokenizer(), labels=labels,
                             n_jobs=n_jobs)
    sugg, ranked = report.suggestions, report.ranked
    common.echo(f"{len(ranked):,} new (cause, term) candidates ranked "
                f"({'by cause evidence from labels' if labels is not None else 'by similarity only: no cause column'})"
                f" from a vocabulary of {report.info['vocabulary']:,}")
    if report.info["seeds_not_in_corpus"]:
        n_missing = sum(len(v) for v in report.info["seeds_not_in_corpus"].values())
        common.echo(f"  {n_missing} seed keyword(s) never occur often enough in these texts (see the .json)")
    common.print_table(ranked[ranked["rank"] <= 3][["cause", "rank", "suggestion", "score", "why"]],
                       title="Best new candidates per cause", max_rows=24)
    by_seed = out.with_name(f"{out.stem}_by_seed{out.suffix or '.csv'}")
    paths = [write_table(ranked, out), write_table(sugg, by_seed), write_json(report.info, out.with_suffix(".json"))]
    common.done(*paths)


def register(app) -> None:
    """Add ``topics``, ``trends`` and ``keywords expand`` to the ivr-text app."""
    app.command("topics")(common.friendly_errors(topics))
    app.command("trends")(common.friendly_errors(trends))
    keywords_app.command("expand")(common.friendly_errors(expand))
    app.add_typer(keywords_app, name="keywords")
