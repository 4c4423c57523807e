"""``ivr-text churn``: usage data quality, the feedback–usage churn signal, features and honest evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr_text.cli import common, engine
from ivr_text.errors import InputError, UsageError

churn_app = typer.Typer(help="Churn warning from feedback and usage: quality checks, signal, features, evaluation."
                             "\n\nExample: ivr-text churn signal --feedback sample_logs/feedback.csv "
                             "--usage sample_logs/usage.csv --out reports/churn",
                        no_args_is_help=True, rich_markup_mode=None)

RulesOpt = Annotated[Optional[Path], typer.Option("--rules", help="Rules YAML (default: the shipped one).")]
UsageColsOpt = Annotated[Optional[list[str]], typer.Option(
    "--usage-columns", help="Usage measures to use (repeatable or comma-separated; default every numeric column).")]
UsageMapOpt = Annotated[Optional[list[str]], typer.Option(
    "--usage-map", metavar="CANONICAL=SOURCE", help="Column mapping for the usage file, e.g. period=MONTH.")]
FeedbackOpt = Annotated[list[Path], typer.Option(
    "--feedback", help="Feedback events: customer_id, ts, cause, channel. Repeat to combine sources, e.g. "
                       "complaints and `ivr-text ivr contacts` output.")]
FeedbackMapOpt = Annotated[Optional[list[str]], typer.Option(
    "--feedback-map", metavar="CANONICAL=SOURCE", help="Column mapping for the feedback file, e.g. ts=CREATED.")]
LabelsMapOpt = Annotated[Optional[list[str]], typer.Option(
    "--labels-map", metavar="CANONICAL=SOURCE", help="Column mapping for the labels file, e.g. churned=CHURN.")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="Period YYYY-MM to report or cut off at.")]
TableFmtOpt = Annotated[str, typer.Option("--table-format", help="Format of large outputs: csv or parquet.")]


def _columns(values: list[str] | None) -> list[str] | None:
    out = [c.strip() for v in values or [] for c in v.split(",") if c.strip()]
    return out or None


def _read(path, kind, mapping, encoding, strict, out_dir, name, dedupe_keys=None, dedupe_reason=""):
    """Read an input (or several files of one kind, as one table), reject duplicate rows on ``dedupe_keys``
    (first kept), print and write row accounting."""
    from ivr_text.io import concat_tables, first_problem, read_table, write_rejected

    paths = path if isinstance(path, (list, tuple)) else [path]
    table = concat_tables([engine.read_any(p, kind, mapping=mapping, encoding=encoding) for p in paths])
    if dedupe_keys:
        keys = [k for k in dedupe_keys if k in table.data.columns]
        table.reject(table.data.duplicated(keys, keep="first").to_numpy(), dedupe_reason)
    if strict and (problem := first_problem(table)):
        raise InputError(problem)
    common.report_rows(table)
    common.require_rows(table, write_rejected(table, out_dir, name) if out_dir is not None else None)
    return table


def _usage(path, mapping, encoding, strict, out_dir, aggregate="mean", dedupe=True):
    """Read usage: periods may be months, weeks or dates; sub-monthly rows are combined into months.

    Returns (table for row accounting, monthly usage). ``dedupe=False`` (``churn quality``) leaves repeated
    monthly rows for the duplicate quality rule; repeated sub-periods are always rejected before combining.
    """
    from ivr_text.churn.monthly import describe, to_months
    from ivr_text.churn.reading import read_usage
    from ivr_text.io import first_problem, write_rejected

    table = read_usage(path, mapping=mapping, encoding=encoding, dedupe=dedupe, reader=engine.read_any)
    if strict and (problem := first_problem(table)):
        raise InputError(problem)
    common.report_rows(table)
    if out_dir is not None:
        write_rejected(table, out_dir, "usage")
    if table.used == 0:
        raise InputError(f"{path}: no usable usage rows (read {table.read:,}, rejected {len(table.rejected):,}"
                         + (f"; reasons in {Path(out_dir) / 'rejected_usage.csv'})" if out_dir and len(table.rejected)
                            else ")"))
    data, info = to_months(table.data, aggregate)
    if note := describe(info):
        common.echo(note)
    return table, data


def _feedback(path, mapping, encoding, strict, out_dir):
    return _read(path, "feedback", mapping, encoding, strict, out_dir, "feedback",
                 ["customer_id", "ts", "cause", "channel"], "duplicate feedback event (same customer, time, cause, channel)")


def _labels(path, mapping, encoding, strict, out_dir):
    return _read(path, "labels", mapping, encoding, strict, out_dir, "labels", ["customer_id"],
                 "duplicate customer_id in labels (first row kept)")


def _write_big(df, out: Path, stem: str, fmt: str) -> Path:
    from ivr_text.io import write_table

    if fmt not in ("csv", "parquet"):
        raise InputError(f"--table-format '{fmt}': use csv or parquet")
    return write_table(df, out / f"{stem}.{fmt}")


@churn_app.command("quality")
@common.friendly_errors
def quality(
    usage: Annotated[Path, typer.Argument(help="Usage per customer and period (customer_id, period, measures).")],
    out: common.OutDirOpt = Path("reports/churn"),
    rules: RulesOpt = None,
    labels: Annotated[Optional[Path], typer.Option("--labels", help="Churn labels (enables usage_after_churn).")] = None,
    usage_columns: UsageColsOpt = None,
    mapping: common.MapOpt = None,
    labels_map: LabelsMapOpt = None,
    encoding: common.EncodingOpt = None,
    table_format: TableFmtOpt = "csv",
    strict: common.StrictOpt = False,
) -> None:
    """Check usage before analysis: rules from quality_rules.yaml; report, quarantine and clean usage.

    Writes quality_report.csv/.json (counts per rule; skipped rules say why), quarantine.csv (rows with the
    names of the rules they broke) and usage_clean.csv|parquet for `churn signal`.

    Example: ivr-text churn quality sample_logs/usage.csv --labels sample_logs/churn_labels.csv --out reports/churn
    """
    from ivr_text.churn.config import churn_config, quality_rules
    from ivr_text.churn.quality import check_usage
    from ivr_text.io import write_json, write_table

    rule_list = quality_rules(rules)
    _, data = _usage(usage, mapping, encoding, strict, out, churn_config()["usage"].get("aggregate", "mean"),
                     dedupe=False)
    lab = _labels(labels, labels_map, None, strict, out).data if labels else None
    if lab is not None and not lab["customer_id"].isin(data["customer_id"]).any():
        raise InputError(f"{labels}: no customer_id matches a customer in {usage}")
    result = check_usage(data, rule_list, lab, _columns(usage_columns))
    paths = [write_table(result.report, out / "quality_report.csv"),
             write_json(result.summary(), out / "quality_report.json"),
             write_table(result.quarantine, out / "quarantine.csv"),
             _write_big(result.clean, out, "usage_clean", table_format)]
    common.print_table(result.report[["rule", "severity", "status", "rows", "customers", "detail"]],
                       title="usage quality")
    common.echo(f"clean {len(result.clean):,} + quarantined {len(result.quarantine):,} = {len(data):,} rows")
    common.done(*paths)


def _signal_inputs(feedback, usage, fmap, umap, encoding, strict, out, rules, usage_columns):
    from ivr_text.churn.config import churn_config
    from ivr_text.churn.panel import build_panel

    config = churn_config(rules)
    _, u = _usage(usage, umap, encoding, strict, out, config["usage"].get("aggregate", "mean"))
    f = _feedback(feedback, fmap, encoding, strict, out)
    panel = build_panel(u, f.data, config, _columns(usage_columns))
    return config, u, f, panel


def _as_of(text: str | None) -> int | None:
    from ivr_text.churn.periods import parse_period

    return parse_period(text, "--as-of") if text else None


@churn_app.command("signal")
@common.friendly_errors
def signal(
    feedback: FeedbackOpt = None,
    usage: Annotated[Optional[Path], typer.Option("--usage", help="Usage per customer and period (clean usage from `quality`).")] = None,
    out: common.OutDirOpt = Path("reports/churn"),
    rules: RulesOpt = None,
    usage_columns: UsageColsOpt = None,
    as_of: AsOfOpt = None,
    min_level: Annotated[Optional[str], typer.Option("--min-level", help="Lowest level in warnings.csv: low, medium, high.")] = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Rank with this learned model (churn train) and explain each warned customer.")] = None,
    feedback_map: FeedbackMapOpt = None,
    usage_map: UsageMapOpt = None,
    encoding: common.EncodingOpt = None,
    table_format: TableFmtOpt = "csv",
    strict: common.StrictOpt = False,
    db: engine.DbOpt = None, usage_sql: engine.UsageSqlOpt = None, feedback_sql: engine.FeedbackSqlOpt = None,
) -> None:
    """Feedback–usage churn signal: phase, score, warning level and reasons per customer and period.

    With --model the warning list is ranked by the learned model's calibrated churn probability; every warned
    customer gets the operator rules and phase as named reasons with their figures and, in Chinese, the
    features that moved the model's score most (explanation; model_factors holds the contributions).

    Writes warnings.csv (流失预警名单, ranked, with rules fired and top complaint causes), customer_periods.csv,
    phase_summary.csv, unmatched_customers.csv (customers on one side only) and signal_summary.json.

    Example: ivr-text churn signal --feedback sample_logs/feedback.csv --usage sample_logs/usage.csv --out reports/churn
    """
    from ivr_text.churn.panel import matching_table
    from ivr_text.churn.signal import LEVELS, compute_signal, customer_periods, phase_summary, signal_summary, warning_list
    from ivr_text.io import write_json, write_table

    if min_level is not None and min_level not in LEVELS[1:]:
        raise InputError(f"--min-level '{min_level}': use low, medium or high")
    feedback, usage = engine.churn_sources(feedback, usage, db, feedback_sql, usage_sql)
    config, u, f, panel = _signal_inputs(feedback, usage, feedback_map, usage_map, encoding, strict, out, rules,
                                         usage_columns)
    sig = compute_signal(panel, config)
    at = _as_of(as_of)
    _check_as_of(panel, at)
    summary = signal_summary(sig, at)
    if model is not None:
        from ivr_text.churn.model import load_model
        from ivr_text.churn.panel_model import model_warnings

        fitted, meta = load_model(model)
        if meta.get("kind") != "panel":
            raise InputError(f"{model}: a customer-table model (churn train-table); rank panels with a model from "
                             "'ivr-text churn train'")
        warn = model_warnings(sig, fitted, meta, at, min_level)
        summary["model"] = {"path": str(model), "trained_at": meta.get("trained_at"),
                            "training_churn_rate": meta.get("training_churn_rate")}
    else:
        warn = warning_list(sig, at, min_level)
    summary["warnings"] = int(len(warn))
    if sig.windows_note:
        common.echo(sig.windows_note)
    paths = [write_table(warn, out / "warnings.csv"),
             _write_big(customer_periods(sig), out, "customer_periods", table_format),
             write_table(phase_summary(sig), out / "phase_summary.csv"),
             write_table(matching_table(panel), out / "unmatched_customers.csv"),
             write_json(summary, out / "signal_summary.json")]
    info = panel.info
    common.echo(f"customers {info['customers']:,}: usage and feedback {info['customers_usage_and_feedback']:,}, "
                f"usage only {info['customers_usage_only']:,}, feedback only {info['customers_feedback_only']:,}; "
                f"feedback outside {info['first_period']}..{info['last_period']}: "
                f"{info['feedback_events_outside_periods']:,}")
    for name, why in sig.rules_skipped.items():
        common.echo(f"rule {name} skipped: {why}")
    common.echo(f"as of {summary['as_of']}: {len(warn):,} customers warned "
                f"({', '.join(f'{k} {v:,}' for k, v in summary['warning_levels_at_as_of'].items() if k != 'none')})")
    shown_cols = ["rank", "customer_id", "churn_probability", "model_level", "phase", "explanation"] if model else \
        ["rank", "customer_id", "signal_score", "warning_level", "phase", "usage_change", "feedback_in_peak_window",
         "reasons"]
    common.print_table(warn[shown_cols], title="流失预警名单 (top 10)", max_rows=10)
    common.done(*paths)


def _check_as_of(panel, at):
    if at is not None and not 0 <= panel.column_of(at) < panel.n_periods:
        from ivr_text.churn.periods import period_label

        raise InputError(f"--as-of {period_label(at)} is outside the usage periods "
                                 f"{panel.info['first_period']}..{panel.info['last_period']}")


@churn_app.command("features")
@common.friendly_errors
def features(
    feedback: FeedbackOpt = None,
    usage: Annotated[Optional[Path], typer.Option("--usage", help="Usage per customer and period.")] = None,
    out: common.OutDirOpt = Path("reports/churn"),
    rules: RulesOpt = None,
    usage_columns: UsageColsOpt = None,
    as_of: AsOfOpt = None,
    feedback_map: FeedbackMapOpt = None,
    usage_map: UsageMapOpt = None,
    encoding: common.EncodingOpt = None,
    table_format: Annotated[str, typer.Option("--table-format", help="csv or parquet.")] = "parquet",
    strict: common.StrictOpt = False,
    db: engine.DbOpt = None, usage_sql: engine.UsageSqlOpt = None, feedback_sql: engine.FeedbackSqlOpt = None,
) -> None:
    """Per-customer feature table for external churn models, using only periods up to --as-of.

    Writes customer_features.parquet (or .csv): usage change per measure, feedback counts, trend, peak,
    rule flags, phase and signal score.

    Example: ivr-text churn features --feedback sample_logs/feedback.csv --usage sample_logs/usage.csv --as-of 2024-09 --out reports/churn
    """
    from ivr_text.churn.features import customer_features
    from ivr_text.churn.signal import compute_signal

    feedback, usage = engine.churn_sources(feedback, usage, db, feedback_sql, usage_sql)
    config, u, f, panel = _signal_inputs(feedback, usage, feedback_map, usage_map, encoding, strict, out, rules,
                                         usage_columns)
    at = _as_of(as_of)
    _check_as_of(panel, at)
    table = customer_features(compute_signal(panel, config), at)
    common.echo(f"{len(table):,} customers × {table.shape[1] - 2} features as of {table['as_of'].iloc[0] if len(table) else '-'}")
    common.done(_write_big(table, out, "customer_features", table_format))


def _print_eval(result: dict, as_json: bool) -> None:
    import pandas as pd

    if as_json:
        from ivr_text.io import _jsonable

        typer.echo(json.dumps(_jsonable(result), ensure_ascii=False, indent=2))
        return
    rows = []
    for name, m in result["methods"].items():
        row = {"method": name, "auc": m["auc"]}
        if "auc_ci95" in m:
            row["auc 95% CI"] = f"{m['auc_ci95'][0]:.3f}–{m['auc_ci95'][1]:.3f}"
        row["top_decile_lift"] = m["top_decile_lift"]
        for k, v in m["at_k"].items():
            row[f"precision@{k}"] = v["precision"]
            row[f"recall@{k}"] = v["recall"]
        rows.append(row)
    common.echo(f"customers {result['customers']:,}: churners {result['churners']:,}, non-churners "
                f"{result['customers'] - result['churners']:,} (churn rate {result['churn_rate']:.3f}; lift is "
                f"relative to this rate)")
    common.print_table(pd.DataFrame(rows), title="churn ranking, side by side")
    for note in result.get("notes", []):
        common.echo(f"- {note}")


def _eval_settings(config, k, folds):
    ev = config.get("evaluation", {})
    ks = tuple(float(x) for x in (k or ev.get("k", [0.05, 0.1])))
    return ks, int(folds or ev.get("folds", 5)), int(ev.get("seed", 0))


KOpt = Annotated[Optional[list[float]], typer.Option("--k", help="k for precision/recall: a fraction (0.1) or a count (500); repeatable.")]
FoldsOpt = Annotated[Optional[int], typer.Option("--folds", help="Cross-validation folds (default 5).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the evaluation as JSON.")]
OptOutOpt = Annotated[Optional[Path], typer.Option("--out", "-o", help="Write evaluation.json, lift.csv (and scores.csv) here.")]


@churn_app.command("train")
@common.friendly_errors
def train(
    feedback: FeedbackOpt,
    usage: Annotated[Path, typer.Option("--usage", help="Usage per customer and period.")],
    labels: Annotated[Path, typer.Option("--labels", help="Churn labels: customer_id, churned, churn_period.")],
    model: ModelOpt,
    out: OptOutOpt = None,
    rules: RulesOpt = None,
    usage_columns: UsageColsOpt = None,
    horizon: Annotated[Optional[int], typer.Option("--horizon", help="Periods after each as-of in which churn counts (default 3).")] = None,
    as_json: JsonOpt = False,
    feedback_map: FeedbackMapOpt = None,
    usage_map: UsageMapOpt = None,
    labels_map: LabelsMapOpt = None,
    encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Learn the churn model from labelled history: features at several as-of points, churn in the horizon after.

    Gradient-boosted trees (monotone where the direction is known, calibrated) with a logistic model beside
    them; first back-tested on the latest as-of point (trained only on points whose outcome was known by then,
    beside usage-only and the prior signal), then fitted on every point. Use the model with
    `churn signal --model`.

    Example: ivr-text churn train --feedback sample_logs/feedback.csv --usage sample_logs/usage.csv --labels sample_logs/churn_labels.csv --model reports/churn/churn_model.skops
    """
    from ivr_text.churn.model import save_model
    from ivr_text.churn.panel_model import train_panel
    from ivr_text.churn.signal import compute_signal
    from ivr_text.io import write_json

    if as_json:
        common.set_quiet(True)
    config, u, f, panel = _signal_inputs(feedback, usage, feedback_map, usage_map, encoding, strict, out, rules,
                                         usage_columns)
    lab = _labels(labels, labels_map, encoding, strict, out)
    sig = compute_signal(panel, config)
    fitted, report = train_panel(sig, lab.data, config, horizon)
    path = save_model(fitted, model, {"kind": "panel", "windows_used": report["windows_used"],
                                      "training_churn_rate": report["training_churn_rate"], "horizon": report["horizon"]})
    if as_json:
        from ivr_text.io import _jsonable

        typer.echo(json.dumps(_jsonable(report), ensure_ascii=False, indent=2))
    else:
        if sig.windows_note:
            common.echo(sig.windows_note)
        pts = report["as_of_points"]
        common.echo(f"learned from {report['rows']:,} customer-months ({report['churners']:,} churned within "
                    f"{report['horizon']} periods) at as-of {min(pts)}..{max(pts)}; {len(report['features'])} "
                    f"features, {report['n_iter']} boosting iterations")
        if "backtest" in report:
            b = report["backtest"]
            _print_methods(b["methods"], f"back-test: trained on {b['trained_on'][0]}..{b['trained_on'][-1]}, "
                                         f"scored at {b['scored_at']} ({b['customers']:,} customers)")
        else:
            common.echo(report["backtest_note"])
    paths = [path] + ([write_json(report, out / "training.json")] if out is not None else [])
    common.done(*paths)


@churn_app.command("evaluate")
@common.friendly_errors
def evaluate(
    labels: Annotated[Path, typer.Option("--labels", help="Churn labels: customer_id, churned, churn_period.")],
    feedback: FeedbackOpt = None,
    usage: Annotated[Optional[Path], typer.Option("--usage", help="Usage per customer and period.")] = None,
    out: OptOutOpt = None,
    rules: RulesOpt = None,
    usage_columns: UsageColsOpt = None,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Cut-off period YYYY-MM (default: last period - horizon, or the last period when the labels' churn periods reach past it).")] = None,
    horizon: Annotated[Optional[int], typer.Option("--horizon", help="Periods after as-of in which churn counts (default 3).")] = None,
    k: KOpt = None,
    folds: FoldsOpt = None,
    as_json: JsonOpt = False,
    feedback_map: FeedbackMapOpt = None,
    usage_map: UsageMapOpt = None,
    labels_map: LabelsMapOpt = None,
    encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
    db: engine.DbOpt = None, usage_sql: engine.UsageSqlOpt = None, feedback_sql: engine.FeedbackSqlOpt = None,
) -> None:
    """Back-test without leakage: usage-only, feedback-only, signal, cross-validated logistic and gradient boosting.

    Features use only periods up to --as-of; churn is counted in the --horizon periods after it. Reports AUC,
    top-decile lift, precision and recall at k, the learned weights and each feature's association with churn.

    Example: ivr-text churn evaluate --feedback sample_logs/feedback.csv --usage sample_logs/usage.csv --labels sample_logs/churn_labels.csv --out reports/churn
    """
    from ivr_text.churn.backtest import backtest
    from ivr_text.churn.config import churn_config
    from ivr_text.io import write_json, write_table

    if as_json:
        common.set_quiet(True)
    feedback, usage = engine.churn_sources(feedback, usage, db, feedback_sql, usage_sql)
    config = churn_config(rules)
    _, u = _usage(usage, usage_map, encoding, strict, out, config["usage"].get("aggregate", "mean"))
    f = _feedback(feedback, feedback_map, encoding, strict, out)
    lab = _labels(labels, labels_map, encoding, strict, out)
    ks, n_folds, seed = _eval_settings(config, k, folds)
    result, lift, scored = backtest(u, f.data, lab.data, config, _columns(usage_columns), _as_of(as_of),
                                    horizon, ks=ks, folds=n_folds, seed=seed)
    _print_eval(result, as_json)
    if out is not None:
        common.done(write_json(result, out / "evaluation.json"), write_table(lift, out / "lift.csv"),
                    write_table(scored, out / "scores.csv"))


def _customer_table(path, label, encoding, strict, out):
    """Read a customer table as text, type it (numbers, text, bool label) and reject rows without a label."""
    from ivr_text.churn.learn import typed_customer_table
    from ivr_text.io import first_problem, read_table, write_rejected

    table = read_table(path, None, encoding=encoding)
    if label is not None and label not in table.data.columns:
        raise InputError(f"{path}: no label column '{label}' (columns: {', '.join(map(str, table.data.columns[:12]))})")
    data, bad, notes = typed_customer_table(table.data, label)
    if label is not None:
        table.reject(bad, f"column '{label}': missing or not a churn label (0/1, yes/no, true/false)")
        data = data[~bad].reset_index(drop=True)
    if strict and (problem := first_problem(table)):
        raise InputError(problem)
    common.report_rows(table)
    for note in notes:
        common.echo(f"  {note}")
    if out is not None:
        write_rejected(table, out, "table")
    return table, data


ModelOpt = Annotated[Path, typer.Option("--model", help="Churn model file (.skops).")]
PopRateOpt = Annotated[Optional[float], typer.Option(
    "--population-churn-rate", help="Churn rate of the population the table was sampled from (e.g. 0.0196 for a "
                                    "sample with churners oversampled): also report the top-decile lift at that rate.")]


@churn_app.command("train-table")
@common.friendly_errors
def train_table_cmd(
    table: Annotated[Path, typer.Argument(help="Customer-level table: one row per customer.")],
    label_column: Annotated[str, typer.Option("--label-column", help="Churn label column (0/1, yes/no).")],
    model: ModelOpt,
    feature_columns: Annotated[Optional[list[str]], typer.Option("--feature-column", help="Use only these columns (repeatable or comma-separated; default every column but the label).")] = None,
    exclude_columns: Annotated[Optional[list[str]], typer.Option("--exclude-column", help="Columns to leave out (repeatable or comma-separated).")] = None,
    cv: Annotated[int, typer.Option("--cv", help="Also cross-validate with K folds: the model beside default gradient boosting and logistic.")] = 0,
    population_rate: PopRateOpt = None,
    as_json: JsonOpt = False,
    out: OptOutOpt = None,
    encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Train the churn model (gradient boosting, calibrated, logistic beside it) on a customer-level table.

    Missing values are kept (the trees route them natively); text columns with few values are one-hot
    encoded; constant and identifier columns are dropped and named. --cv K prints the cross-validated AUC and
    top-decile lift of the model beside scikit-learn's default gradient boosting and a logistic model.

    Example: ivr-text churn train-table cell2cell_train.csv --label-column churn --model reports/churn/c2c.skops --cv 5
    """
    from ivr_text.churn.learn import train_table
    from ivr_text.churn.model import save_model
    from ivr_text.io import write_json

    if as_json:
        common.set_quiet(True)
    t, data = _customer_table(table, label_column, encoding, strict, out)
    fitted, report = train_table(data, label_column, _columns(feature_columns), _columns(exclude_columns), cv,
                                 population_rate=population_rate)
    report["rows_read"] = {"read": t.read, "used": t.used, "rejected": len(t.rejected)}
    path = save_model(fitted, model, {"kind": "table", "label_column": label_column, "source": str(table)})
    if as_json:
        from ivr_text.io import _jsonable

        typer.echo(json.dumps(_jsonable(report), ensure_ascii=False, indent=2))
    else:
        common.echo(f"trained on {report['rows']:,} customers ({report['churners']:,} churners), "
                    f"{len(report['features_used'])} features, {report['n_iter']} boosting iterations; hold-out AUC "
                    f"{report['holdout']['auc_gradient_boosting']:.3f} (logistic {report['holdout']['auc_logistic']:.3f})")
        for col, why in report["columns_dropped"].items():
            common.echo(f"  column '{col}' not used: {why}")
        if "cv_methods" in report:
            _print_methods(report["cv_methods"], f"{cv}-fold cross-validation")
    paths = [path]
    if out is not None:
        paths.append(write_json(report, out / "training.json"))
    common.done(*paths)


def _print_methods(methods: dict, title: str) -> None:
    import pandas as pd

    rows = [{"method": name, "auc": m["auc"], "auc 95% CI": f"{m['auc_ci95'][0]:.3f}–{m['auc_ci95'][1]:.3f}",
             "top_decile_lift": m["top_decile_lift"],
             **({"lift at population rate": m["top_decile_lift_at_population_rate"]}
                if "top_decile_lift_at_population_rate" in m else {})} for name, m in methods.items()]
    common.print_table(pd.DataFrame(rows), title=title)


@churn_app.command("evaluate-table")
@common.friendly_errors
def evaluate_table_cmd(
    table: Annotated[Path, typer.Argument(help="Customer-level table: one row per customer.")],
    label_column: Annotated[Optional[str], typer.Option("--label-column", help="Churn label column (0/1, yes/no); with --model default the one it was trained on.")] = None,
    feedback_column: Annotated[Optional[str], typer.Option("--feedback-column", help="Feedback column, e.g. care calls or a complaints flag.")] = None,
    usage_change_column: Annotated[Optional[str], typer.Option("--usage-change-column", help="Usage change column (e.g. changem).")] = None,
    usage_column: Annotated[Optional[str], typer.Option("--usage-column", help="Usage level column when no change is available.")] = None,
    usage_change_unit: Annotated[str, typer.Option("--usage-change-unit", help="percent, fraction or auto.")] = "auto",
    feature_columns: Annotated[Optional[list[str]], typer.Option("--feature-column", help="Extra columns for the learned models (repeatable or comma-separated).")] = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Score this trained model (churn train-table) on the table instead.")] = None,
    population_rate: PopRateOpt = None,
    out: OptOutOpt = None,
    rules: RulesOpt = None,
    k: KOpt = None,
    folds: FoldsOpt = None,
    as_json: JsonOpt = False,
    encoding: common.EncodingOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Evaluate on a customer-level table (e.g. Cell2Cell, Iranian churn): what the data says, side by side.

    With --model: scores that trained model on this table (customers it has not seen) and reports its AUC
    (95% CI) and top-decile lift, with its logistic companion. Otherwise: the sign and strength of each
    column's association with churn (never assumed) and usage-only, feedback-only, the signal, and
    cross-validated logistic and gradient-boosted models. Missing values are kept (the trees route them;
    the logistic model imputes); rows without a label are rejected (rejected_table.csv).

    Example: ivr-text churn evaluate-table cell2cell.csv --feedback-column custcare --usage-change-column changem --label-column churn
    """
    from ivr_text.churn.config import churn_config
    from ivr_text.io import write_json, write_table

    if as_json:
        common.set_quiet(True)
    config = churn_config(rules)
    ks, n_folds, seed = _eval_settings(config, k, folds)
    if model is not None:
        from ivr_text.churn.learn import score_table
        from ivr_text.churn.model import load_model

        fitted, meta = load_model(model)
        label = label_column or meta.get("label_column")
        t, data = _customer_table(table, label, encoding, strict, out)
        result, scores = score_table(data, fitted, label, ks, population_rate)
        result["rows"] = {"read": t.read, "used": t.used, "rejected": len(t.rejected)}
        result["model_file"] = {"path": str(model), "trained_on": meta.get("source"), "n_train": meta.get("n_train")}
        if as_json:
            from ivr_text.io import _jsonable

            typer.echo(json.dumps(_jsonable(result), ensure_ascii=False, indent=2))
        elif "model" in result:
            _print_methods({"model": result["model"], "logistic": result["logistic"]},
                           f"{model.name} on {table.name} (customers not seen in training)")
        if result["features_missing_in_table"]:
            common.echo(f"columns the model uses but the table lacks (scored as missing): "
                        f"{', '.join(result['features_missing_in_table'])}")
        if out is not None:
            common.done(write_json(result, out / "evaluation.json"), write_table(scores, out / "scores.csv"))
        return
    import pandas as pd

    from ivr_text.churn.table_eval import evaluate_table

    if label_column is None or feedback_column is None:
        raise InputError("name --label-column and --feedback-column (or score a trained model with --model)")
    if (usage_change_column is None) == (usage_column is None):
        raise UsageError("name exactly one of --usage-change-column or --usage-column")
    extra = _columns(feature_columns) or []
    t, data = _customer_table(table, label_column, encoding, strict, out)
    usage_col = usage_change_column or usage_column
    for c in (feedback_column, usage_col, *extra):
        if c not in data.columns:
            raise InputError(f"{table}: no column '{c}' (columns: {', '.join(map(str, data.columns[:12]))})")
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise InputError(f"{table}: column '{c}' is not numeric")
    result, lift = evaluate_table(data, label_column, feedback_column, config, usage_change_column, usage_column,
                                  extra, usage_change_unit, ks=ks, folds=n_folds, seed=seed,
                                  population_rate=population_rate)
    result["rows"] = {"read": t.read, "used": t.used, "rejected": len(t.rejected)}
    _print_eval(result, as_json)
    if out is not None:
        common.done(write_json(result, out / "evaluation.json"), write_table(lift, out / "lift.csv"))


def register(app) -> None:
    """Add the ``churn`` sub-app to the ivr-text app."""
    app.add_typer(churn_app, name="churn")
