"""``ivr-text classify``: complaint cause classification — cold-start rules, training, prediction, evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr_text.cli import common
from ivr_text.errors import InputError

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
        common.echo(f"  rejected {n:,} rows whose label is not in the taxonomy (see rejected_complaints.csv)")
        if out is not None:
            write_rejected(table, out, "complaints")
    table.data = table.data.assign(label=table.data["label"].astype(str).str.strip())
    return table


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


@classify_app.command("predict")
@common.friendly_errors
def predict(
    file: Annotated[Path, typer.Argument(help="Complaints table with a text column.")],
    out: common.OutDirOpt = Path("reports/classify"),
    model: ModelOpt = None,
    taxonomy: TaxonomyOpt = None,
    text_column: TextColOpt = "text",
    top_k: Annotated[int, typer.Option("--top-k", min=1, help="Also list the K likeliest causes (multi-cause orders).")] = 1,
    review_below: Annotated[Optional[float], typer.Option(
        "--review-below", min=0.0, max=1.0, help="Flag rows whose confidence is below P for human review.")] = None,
    n_jobs: Annotated[int, typer.Option("--jobs", help="Worker processes for large inputs (-1 = all cores).")] = -1,
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Add cause, confidence, runner-up and root-cause family to each complaint.

    Without --model the taxonomy's keyword rules decide (cold start) and matched_keywords shows what fired.
    Writes OUT/predictions.csv and OUT/rejected_complaints.csv.

    Example: ivr-text classify predict complaints.csv --model cause.model --review-below 0.6 --out reports/classify
    """
    import pandas as pd

    from ivr_text.io import write_table

    clf = _model(model, taxonomy) if model is not None else None  # a bad model file fails before reading
    table = _load(file, mapping, fmt, encoding, strict, out, text_column)
    texts = table.data["text"].tolist()
    if clf is not None:
        pred = clf.predict_frame(texts, top_k=top_k, review_below=review_below, n_jobs=n_jobs)
        method = f"model {model}"
    else:
        from ivr_text.complaints.rules import RuleClassifier
        from ivr_text.complaints.taxonomy import load_taxonomy

        pred = RuleClassifier(load_taxonomy(taxonomy)).predict_frame(texts, top_k=top_k, review_below=review_below)
        method = "keyword rules (cold start)"
    result = pd.concat([_with_source_rows(table.data), pred.reset_index(drop=True)], axis=1)
    path = write_table(result, Path(out) / "predictions.csv")
    common.echo(f"classified {len(result):,} complaints with {method}")
    common.print_table(result["cause"].value_counts().rename_axis("cause").reset_index(name="complaints"),
                       title="predicted causes")
    if review_below is not None:
        common.echo(f"flagged for review (confidence < {review_below}): {int(result['needs_review'].sum()):,}")
    common.done(path)


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
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Train the cause model (character 1-2-gram TF-IDF, linear SVM, calibrated confidences) and save it.

    Example: ivr-text classify train labelled.csv --model cause.model
    """
    from ivr_text.complaints.model import CauseModel, ModelConfig, save_model
    from ivr_text.complaints.taxonomy import load_taxonomy

    tax = load_taxonomy(taxonomy)
    table = _labelled(_load(file, mapping, fmt, encoding, strict, out, text_column, label_column), tax, out,
                      label_column)
    clf = CauseModel(tax, ModelConfig(n_jobs=n_jobs)).fit(table.data["text"].tolist(), table.data["label"].tolist())
    path = save_model(clf, model)
    common.echo(f"trained on {len(table.data):,} complaints, {len(clf.classes)} classes")
    common.done(path)


@classify_app.command("evaluate")
@common.friendly_errors
def evaluate(
    file: Annotated[Path, typer.Argument(help="Labelled complaints (text and label columns).")],
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
    mapping: common.MapOpt = None, fmt: common.FormatOpt = None, encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Accuracy, macro-F1, per-class precision/recall/F1 and confusion matrix.

    With --model: that model on these rows. With --cv K (no model): K-fold cross-validation of the default
    model (with --tune: nested CV that also chooses the configuration inside each fold). Neither: the
    taxonomy's cold-start keyword rules.

    Example: ivr-text classify evaluate labelled.csv --cv 5 --json
    """
    import pandas as pd

    from ivr_text.complaints import evaluate as ev
    from ivr_text.complaints.taxonomy import load_taxonomy
    from ivr_text.io import write_json, write_table

    if model is not None and cv is not None:
        raise InputError("use either --model (evaluate a trained model) or --cv K (cross-validate training)")
    if tune and cv is None:
        raise InputError("--tune needs --cv K (nested cross-validation)")
    was_quiet = common.is_quiet()
    if as_json:
        common.set_quiet(True)  # stdout carries exactly one JSON object
    try:
        clf = _model(model, taxonomy) if model is not None else None
        tax = clf.taxonomy if clf is not None else load_taxonomy(taxonomy)
        table = _labelled(_load(file, mapping, fmt, encoding, strict, out, text_column, label_column), tax, out,
                          label_column)
        texts, labels = table.data["text"].tolist(), table.data["label"].tolist()
        if clf is not None:
            metrics, pred = ev.evaluate_model(clf, texts, labels)
        elif cv is not None and tune:
            metrics, pred = ev.nested_cross_validate(texts, labels, cv, tax, seed=seed)
        elif cv is not None:
            metrics, pred = ev.cross_validate(texts, labels, cv, tax, seed=seed)
        else:
            metrics, pred = ev.evaluate_rules(texts, labels, tax)
        metrics["rows"] = {"read": table.read, "used": table.used, "rejected": len(table.rejected)}
    finally:
        common.set_quiet(was_quiet)
    paths = []
    if out is not None:
        rows = pd.concat([_with_source_rows(table.data), pred.reset_index(drop=True)], axis=1)
        rows["correct"] = rows["label"] == rows["cause"]
        paths = [write_json(metrics, Path(out) / "metrics.json"),
                 write_table(ev.confusion_frame(metrics), Path(out) / "confusion.csv"),
                 write_table(rows, Path(out) / "predictions.csv")]
    if as_json:
        typer.echo(json.dumps(metrics, ensure_ascii=False))
        return
    common.echo(f"{metrics['method']}: n={metrics['n']:,} accuracy={metrics['accuracy']:.4f} "
                f"macro-F1={metrics['macro_f1']:.4f}")
    per = pd.DataFrame(metrics["per_class"]).T.rename_axis("class").reset_index()
    common.print_table(per, title="per class")
    common.done(*paths)


def register(app) -> None:
    """Add this module's commands to the ivr-text app."""
    app.add_typer(classify_app, name="classify")
