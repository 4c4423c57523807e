"""``ivr-text classify``: complaint cause classification — cold-start rules, training, prediction, evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr_text.cli import common, engine
from ivr_text.errors import InputError, UsageError

classify_app = typer.Typer(
    help="Complaint cause classification: keyword rules (cold start), trained models, honest evaluation."
         "\n\nExample: ivr-text classify predict complaints.csv --out reports/classify",
    no_args_is_help=True, rich_markup_mode=None)

TextColOpt = Annotated[str, typer.Option("--text-column", help="Column holding the complaint text.")]
LabelColOpt = Annotated[str, typer.Option("--label-column", help="Column holding the true cause label.")]
TaxonomyOpt = Annotated[Optional[Path], typer.Option(
    "--taxonomy", help="Taxonomy YAML (classes, keyword rules, families; default: the shipped one).")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="Trained model file (from 'classify train').")]


def _mapping(mapping, text_column: str, label_column: str | None = None) -> list[str]:
    items = list(mapping or [])
    canon = {i.partition("=")[0].strip() for i in items}
    if text_column != "text" and "text" not in canon:
        items.append(f"text={text_column}")
    if label_column and label_column != "label" and "label" not in canon:
        items.append(f"label={label_column}")
    return items


def _load(file, mapping, fmt, encoding, strict, out, text_column, label_column=None):
    columns = ["text", "label"] if label_column else ["text"]
    return common.load(file, "complaints", mapping=_mapping(mapping, text_column, label_column), fmt=fmt,
                       encoding=encoding, columns=columns, strict=strict, out_dir=out, name="complaints")


def _labelled(table, taxonomy, out, label_column: str = "label"):
    """Reject rows whose label is not a taxonomy class (with the reason); fail if none is left."""
    from ivr_text.io import write_rejected

    labels = table.data["label"].astype(str).str.strip()
    known = set(taxonomy.labels)
    bad = ~labels.isin(known)
    if bad.all():
        sample = ", ".join(sorted(set(labels))[:5])
        raise InputError(f"{table.source}: no label in column '{label_column}' is a class of taxonomy '{taxonomy.name}' "
                         f"(found: {sample}; classes: {', '.join(taxonomy.labels)}); pass --taxonomy FILE: a YAML with "
                         "'families' and one entry under 'classes' per label (format: dictionaries/taxonomy.yaml)")
    n = table.reject(bad.to_numpy(), "label " + labels.where(bad, "") .map(repr) + " not in the taxonomy")
    if n:
        common.echo(f"  rejected {n:,} rows whose label is not in the taxonomy (see rejected_complaints.csv); "
                    f"now {table.summary()}")
        if out is not None:
            write_rejected(table, out, "complaints")
    table.data = table.data.assign(label=table.data["label"].astype(str).str.strip())
    return table


def _joined(data, pred):
    """Input rows and prediction columns side by side; input columns that share a prediction column's name
    (a user's own 'cause' or 'confidence') are kept as input_<name> instead of giving duplicate columns."""
    import pandas as pd

    data = _with_source_rows(data)
    clash = {c: f"input_{c}" for c in data.columns if c in set(pred.columns)}
    return pd.concat([data.rename(columns=clash), pred.reset_index(drop=True)], axis=1)


def _with_source_rows(data):
    """The used rows with ``source_row`` (line in the input file) first, so predictions join back to the
    input even without an id column and after rejected rows were left out."""
    rows = data.attrs.get("source_rows")
    data = data.reset_index(drop=True)
    if rows is not None and len(rows) == len(data) and "source_row" not in data:
        data.insert(0, "source_row", rows)
    return data


def _model(model_path, taxonomy_path):
    from ivr_text.complaints.model import load_model
    from ivr_text.complaints.taxonomy import load_taxonomy

    clf = load_model(model_path, load_taxonomy(taxonomy_path) if taxonomy_path else None)
    if clf.meta.get("normalization_note"):
        common.echo(f"note: {model_path}: {clf.meta['normalization_note']}")
    return clf


def _say_shift(shift: dict | None, model_path) -> None:
    """One line on the domain-shift check (``ShiftReport.to_dict()``): a warning when the input is unlike the
    training data."""
    if shift is None:
        common.echo(f"note: {model_path} has no domain-shift reference (saved by an older ivr-text); retrain to get "
                    "a warning when the input is unlike the training data")
    elif shift["warning"]:
        common.echo(f"warning: {shift['message']}")
    else:
        common.echo(f"domain check: {shift['message']}")


def _mining_config(top_k: int, min_texts: int, merge_thin: bool, other_label: str):
    from ivr_text.complaints.mining import MiningConfig

    return MiningConfig(top_k=top_k, min_texts=min_texts, merge_thin=merge_thin, other_label=other_label)


def _write_taxonomy(mined, path: Path, source: str) -> Path:
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# Starter taxonomy generated by 'ivr-text classify taxonomy' from {mined.n_texts:,} labelled texts of "
              f"{source}.\n# Keywords and weights were mined from the data (log-odds with an informative Dirichlet "
              "prior): review them,\n# and give every class a root-cause family (see dictionaries/taxonomy.yaml). "
              "Use it with --taxonomy.\n")
    from ivr_text.sanitize import mask_object
    from ivr_text.text.pii import mask_pii, output_masking

    raw = mined.raw
    if output_masking():  # PII masked as by every writer
        header, raw = mask_pii(header), mask_object(raw)
    path.write_text(header + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    return path


RulesOnlyOpt = Annotated[bool, typer.Option(
    "--rules-only", help="Without --model: the keyword rules alone (no model learned from the input's texts).")]


def _cold_start(texts, taxonomy_path, rules_only: bool, top_k: int = 1, review_below=None, n_jobs: int = 1):
    from ivr_text.complaints.coldstart import predict_without_model
    from ivr_text.complaints.taxonomy import load_taxonomy

    pred, method, note = predict_without_model(texts, load_taxonomy(taxonomy_path), rules_only=rules_only,
                                               top_k=top_k, review_below=review_below, n_jobs=n_jobs)
    if note:
        common.echo(f"cold start: {note}")
    return pred, method


TopKOpt = Annotated[int, typer.Option("--top-k", min=1, help="Keywords per class at most.")]
MinTextsOpt = Annotated[int, typer.Option("--min-texts", min=1, help="Labels with fewer texts are thin.")]
MergeThinOpt = Annotated[bool, typer.Option(
    "--merge-thin", help="Merge thin labels into one class (--other-label) instead of stopping.")]
OtherOpt = Annotated[str, typer.Option("--other-label", help="Class name for merged thin labels.")]


@classify_app.command("predict")
@common.friendly_errors
def predict(
    file: Annotated[Optional[Path], typer.Argument(help="Complaints table with a text column (or --db/--sql).")] = None,
    out: common.OutDirOpt = Path("reports/classify"),
    model: ModelOpt = None,
    taxonomy: TaxonomyOpt = None,
    text_column: TextColOpt = "text",
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="Also list the K likeliest causes (multi-cause orders).")] = 1,
    review_below: Annotated[Optional[float], typer.Option(
        "--review-below", min=0.0, max=1.0, help="Flag rows whose confidence is below P for human review.")] = None,
    n_jobs: Annotated[int, typer.Option("--jobs", help="Worker processes for large inputs (-1 = all cores).")] = -1,
    rules_only: RulesOnlyOpt = False,
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False, db: engine.DbOpt = None, sql: engine.SqlOpt = None,
    run_on: engine.EngineOpt = "local", spark_master: engine.SparkMasterOpt = None,
    spark_conf: engine.SparkConfOpt = None,
) -> None:
    """Add cause, confidence, runner-up and root-cause family to each complaint.

    Without --model (cold start) the taxonomy's keyword rules label the texts they are sure of and a
    character n-gram model learned from those labels classifies the rest of this file (column source:
    rules / model / none); matched_keywords shows what fired. --rules-only: the keyword rules alone.
    Writes OUT/predictions.csv and OUT/rejected_complaints.csv.

    Example: ivr-text classify predict complaints.csv --model cause.model --review-below 0.6 --out reports/classify
    """
    from ivr_text.io import write_table

    clf = _model(model, taxonomy) if model is not None else None  # a bad model file fails before reading
    if engine.check_engine(run_on) == "spark":  # per partition, model shipped once (ivr_text.spark.complaints)
        return engine.classify_predict_spark(
            engine.source(file, None, None), engine.need_model(clf), master=spark_master, conf=spark_conf,
            mapping=_mapping(mapping, text_column), fmt=fmt, top_k=top_k, review_below=review_below, strict=strict,
            out=out)
    table = _load(engine.source(file, db, sql), mapping, fmt, encoding, strict, out, text_column)
    texts = table.data["text"].tolist()
    paths = []
    if clf is not None:
        pred = clf.predict_frame(texts, top_k=top_k, review_below=review_below, n_jobs=n_jobs)
        method = f"model {model}"
        shift = clf.domain_shift(texts, pred["confidence"])
        shift = shift.to_dict() if shift is not None else None
        if shift is not None:
            from ivr_text.io import write_json

            paths.append(write_json(shift, Path(out) / "domain_shift.json"))
        _say_shift(shift, model)
    else:
        pred, method = _cold_start(texts, taxonomy, rules_only, top_k, review_below, n_jobs)
    result = _joined(table.data, pred)
    path = write_table(result, Path(out) / "predictions.csv")
    common.echo(f"classified {len(result):,} complaints with {method}")
    common.print_table(result["cause"].value_counts().rename_axis("cause").reset_index(name="complaints"),
                       title="predicted causes")
    if review_below is not None:
        common.echo(f"flagged for review (confidence < {review_below}): {int(result['needs_review'].sum()):,}")
    common.done(path, *paths)


@classify_app.command("train")
@common.friendly_errors
def train(
    file: Annotated[Path, typer.Argument(help="Labelled complaints (text and label columns).")],
    model: Annotated[Path, typer.Option("--model", help="Where to write the trained model.")] = Path("cause.model"),
    out: common.OutDirOpt = Path("reports/classify"),
    taxonomy: TaxonomyOpt = None,
    text_column: TextColOpt = "text",
    label_column: LabelColOpt = "label",
    n_jobs: Annotated[int, typer.Option("--jobs", help="Worker processes / threads (-1 = all cores).")] = -1,
    min_texts: MinTextsOpt = 5,
    merge_thin: MergeThinOpt = False,
    other_label: OtherOpt = "其他",
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Train the cause model (character 1-2-gram TF-IDF, linear SVM, calibrated confidences) and save it.

    Without --taxonomy, when no label is a class of the default taxonomy, a taxonomy is mined from the
    labels (as 'classify taxonomy' does), written to OUT/taxonomy.yaml and stored in the model; thin labels
    stop with a message unless --merge-thin.

    Example: ivr-text classify train labelled.csv --model cause.model
    """
    from ivr_text.complaints.model import CauseModel, ModelConfig, save_model
    from ivr_text.complaints.taxonomy import load_taxonomy

    tax = load_taxonomy(taxonomy)
    table = _load(file, mapping, fmt, encoding, strict, out, text_column, label_column)
    labels = set(table.data["label"].astype(str).str.strip())
    if taxonomy is None and len(table.data) and not labels & set(tax.labels):
        from ivr_text.complaints.mining import mine_taxonomy

        common.echo(f"no label in column '{label_column}' is a class of the default taxonomy: mining a taxonomy "
                    "from the labels")
        mined = mine_taxonomy(table.data["text"].tolist(), table.data["label"].tolist(),
                              _mining_config(25, min_texts, merge_thin, other_label),
                              name=Path(file).stem + "-mined", source=Path(file).name)
        tax = mined.taxonomy
        table.data = table.data.assign(label=table.data["label"].astype(str).str.strip().replace(mined.label_map))
        common.echo(f"  {len(tax.labels)} classes; review and reuse {_write_taxonomy(mined, Path(out) / 'taxonomy.yaml', Path(file).name)}"
                    " with --taxonomy")
    table = _labelled(table, tax, out, label_column)
    clf = CauseModel(tax, ModelConfig(n_jobs=n_jobs)).fit(table.data["text"].tolist(), table.data["label"].tolist())
    path = save_model(clf, model)
    common.echo(f"trained on {len(table.data):,} complaints, {len(clf.classes)} classes")
    common.done(path)


@classify_app.command("evaluate")
@common.friendly_errors
def evaluate(
    file: Annotated[Optional[Path], typer.Argument(help="Labelled complaints (text and label columns; or --db/--sql).")] = None,
    model: ModelOpt = None,
    cv: Annotated[Optional[int], typer.Option("--cv", help="K-fold cross-validated training of the default model.")] = None,
    out: Annotated[Optional[Path], typer.Option(
        "--out", "-o", help="Write metrics.json, confusion.csv and predictions.csv (with errors) here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object with the metrics.")] = False,
    taxonomy: TaxonomyOpt = None,
    text_column: TextColOpt = "text",
    label_column: LabelColOpt = "label",
    seed: Annotated[int, typer.Option("--seed", help="Fold assignment seed for --cv.")] = 0,
    tune: Annotated[bool, typer.Option(
        "--tune", help="With --cv: pick n-gram range and C by inner CV in each training fold (nested CV).")] = False,
    rules_only: RulesOnlyOpt = False,
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False, db: engine.DbOpt = None, sql: engine.SqlOpt = None,
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1 and confusion matrix.

    With --model: that model on these rows. With --cv K (no model): K-fold cross-validation of the default
    model (with --tune: nested CV that also chooses the configuration inside each fold). Neither: cold start
    as 'classify predict' does it without a model (labels unused until scoring); --rules-only: the keyword
    rules alone.

    Example: ivr-text classify evaluate labelled.csv --cv 5 --json
    """
    import pandas as pd

    from ivr_text.complaints import evaluate as ev
    from ivr_text.complaints.taxonomy import load_taxonomy
    from ivr_text.io import write_json, write_table

    if model is not None and cv is not None:
        raise UsageError("use either --model (evaluate a trained model) or --cv K (cross-validate training)")
    if tune and cv is None:
        raise InputError("--tune needs --cv K (nested cross-validation)")
    was_quiet = common.is_quiet()
    if as_json:
        common.set_quiet(True)  # stdout carries exactly one JSON object
    try:
        clf = _model(model, taxonomy) if model is not None else None
        tax = clf.taxonomy if clf is not None else load_taxonomy(taxonomy)
        src = engine.source(file, db, sql)
        table = _labelled(_load(src, mapping, fmt, encoding, strict, out, text_column, label_column), tax, out,
                          label_column)
        texts, labels = table.data["text"].tolist(), table.data["label"].tolist()
        if clf is not None:
            metrics, pred = ev.evaluate_model(clf, texts, labels)
        elif cv is not None and tune:
            metrics, pred = ev.nested_cross_validate(texts, labels, cv, tax, seed=seed)
        elif cv is not None:
            metrics, pred = ev.cross_validate(texts, labels, cv, tax, seed=seed)
        elif rules_only:
            metrics, pred = ev.evaluate_rules(texts, labels, tax)
        else:
            pred, method = _cold_start(texts, taxonomy, False)
            metrics = ev.evaluate_predictions(labels, pred, tax, method)
        metrics["rows"] = {"read": table.read, "used": table.used, "rejected": len(table.rejected)}
    finally:
        common.set_quiet(was_quiet)
    paths = []
    if out is not None:
        rows = _joined(table.data, pred)
        rows["correct"] = rows["label"] == rows["cause"]
        paths = [write_json(metrics, Path(out) / "metrics.json"),
                 write_table(ev.confusion_frame(metrics), Path(out) / "confusion.csv"),
                 write_table(rows, Path(out) / "predictions.csv")]
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
        return
    if clf is not None:
        _say_shift(metrics.get("domain_shift"), model)
    common.echo(f"{metrics['method']}: n={metrics['n']:,} accuracy={metrics['accuracy']:.4f} "
                f"macro-F1={metrics['macro_f1']:.4f}")
    per = pd.DataFrame(metrics["per_class"]).T.rename_axis("class").reset_index()
    common.print_table(per, title="per class")
    common.done(*paths)


@classify_app.command("taxonomy")
@common.friendly_errors
def taxonomy_cmd(
    file: Annotated[Path, typer.Argument(help="Labelled complaints (text and label columns).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the taxonomy YAML.")] = Path("taxonomy.yaml"),
    text_column: TextColOpt = "text",
    label_column: LabelColOpt = "label",
    top_k: TopKOpt = 25,
    min_texts: MinTextsOpt = 5,
    merge_thin: MergeThinOpt = False,
    other_label: OtherOpt = "其他",
    cv: Annotated[Optional[int], typer.Option(
        "--cv", help="Also estimate the mined rules' macro-F1: mine on K-1 folds, score the held-out fold.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Fold assignment seed for --cv.")] = 0,
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Write a starter taxonomy: one class per label, keyword rules mined from the labelled texts.

    Families are left as one placeholder for you to assign; the file loads with --taxonomy as it is, for
    cold-start rules ('classify predict') and for training on these labels ('classify train').
    Writes OUT (the YAML), keywords.csv (term statistics) and rejected_complaints.csv next to it.

    Example: ivr-text classify taxonomy labelled.csv --label-column cause --cv 5 --out taxonomy.yaml
    """
    from ivr_text.complaints.mining import cross_validate_mined_rules, mine_taxonomy
    from ivr_text.io import write_table

    out = Path(out)
    if out.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(f"--out {out}: give the taxonomy file to write, ending in .yaml")
    table = _load(file, mapping, fmt, encoding, strict, out.parent, text_column, label_column)
    texts, labels = table.data["text"].tolist(), table.data["label"].tolist()
    cfg = _mining_config(top_k, min_texts, merge_thin, other_label)
    mined = mine_taxonomy(texts, labels, cfg, name=Path(file).stem + "-mined", source=Path(file).name)
    path = _write_taxonomy(mined, out, Path(file).name)
    stats = write_table(mined.stats, out.parent / "keywords.csv")
    if mined.label_map:
        common.echo(f"merged {len(mined.label_map)} thin label(s) into '{other_label}': {', '.join(sorted(mined.label_map))}")
    import pandas as pd

    rows = [{"class": c["name"], "keywords": len(c["keywords"]), "top keywords": " ".join(list(c["keywords"])[:6])}
            for c in mined.raw["classes"]]
    common.print_table(pd.DataFrame(rows), title=f"mined taxonomy ({mined.n_texts:,} texts)")
    empty = [r["class"] for r in rows if not r["keywords"]]
    if empty:
        common.echo(f"no keyword passed the filters for: {', '.join(empty)} (rules never pick them; add keywords)")
    if cv is not None:
        m = cross_validate_mined_rules(texts, labels, cv, cfg, seed=seed)
        common.echo(f"mined rules, {cv}-fold CV: macro-F1={m['macro_f1']:.4f} accuracy={m['accuracy']:.4f} "
                    f"(unmatched {m['unmatched']:,} of {m['n']:,})")
    common.done(path, stats)


def register(app) -> None:
    """Add this module's commands to the ivr-text app."""
    app.add_typer(classify_app, name="classify")
