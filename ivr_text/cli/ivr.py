"""``ivr-text ivr``: IVR menu-path analytics on event logs (``analyze``) or call-level records
(``analyze-records``): KPIs, time of day, node metrics, hot spots with examples, paths, path graph, option times
and menu redesign advice; ``compare`` sets two segments or periods side by side; ``contacts`` feeds the churn
signal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr_text.cli import common
from ivr_text.cli.engine import EngineOpt, SparkConfOpt, SparkMasterOpt, check_engine, ivr_analyze_spark
from ivr_text.errors import InputError

app = typer.Typer(help="IVR menu-path analytics: KPIs, drop-off and transfer points, path graph, menu advice."
                       "\n\nExample: ivr-text ivr analyze sample_logs/ivr_events.csv --out out/ivr",
                  no_args_is_help=True, rich_markup_mode=None)

MenuOpt = Annotated[Optional[Path], typer.Option("--menu", help="Menu definition YAML (flat 'nodes:' list or "
                                                                "nested tree); inferred from the paths if omitted.")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="Settings YAML (default: shipped "
                                                                    "dictionaries/ivr.yaml).")]
SinceOpt = Annotated[Optional[str], typer.Option("--since", help="Only calls starting on/after this date.")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", help="Only calls starting on/before this date.")]
SegmentOpt = Annotated[Optional[list[str]], typer.Option("--segment", help="Only calls of this segment "
                                                                          "(repeatable).")]
MinCountOpt = Annotated[int, typer.Option("--min-count", min=1, help="Graph: drop whole paths taken by fewer "
                                                                     "calls than this.")]
MinCallsOpt = Annotated[Optional[int], typer.Option("--min-calls", min=1, help="Hot spots: rank rates only for "
                                                                             "nodes with at least this many calls.")]
TopPathsOpt = Annotated[Optional[int], typer.Option("--top-paths", min=1, help="Paths written to paths.csv.")]


def _date_option(value: Optional[str], option: str):
    """A --since/--until value as a timestamp; a value that is not a date is a usage error naming the option."""
    if value is None:
        return None
    import pandas as pd

    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputError(f"{option} {value!r}: not a date (use YYYY-MM-DD)") from None


def _config(config: Optional[Path], min_calls: Optional[int]):
    from ivr_text.ivr.config import load_config

    return load_config(config, hotspots={"min_calls": min_calls} if min_calls else None)


def _summary(analysis) -> None:
    import pandas as pd

    k = analysis.kpis
    rows = [("all", k)] + list(k["by_segment"].items())
    fmt = lambda v, pct=True: "n/a" if v is None else (f"{100 * v:.1f}%" if pct else f"{v:.1f}")  # noqa: E731
    table = pd.DataFrame([{
        "segment": name, "calls": f"{d['calls']:,}", "self-service": fmt(d["self_service_rate"]),
        "transfer": fmt(d["transfer_rate"]), "abandon": fmt(d["abandon_rate"]),
        "unknown end": fmt(d["unknown_end_rate"]), "self-service s": fmt(d["mean_self_service_seconds"], False),
        "s before transfer": fmt(d["mean_seconds_before_transfer"], False),
        "repeat 24h": fmt(d["repeat_call_rate"])} for name, d in rows])
    common.print_table(table, title="IVR KPIs")
    for kpi, why in (k.get("not_measured") or {}).items():
        common.echo(f"note: {kpi}: {why}")
    for w in analysis.warnings:
        common.echo(f"warning: {w}")


@app.command("analyze")
@common.friendly_errors
def analyze(
    events: Annotated[Path, typer.Argument(help="IVR event log: call_id, ts, node, event [, key, segment, caller_id].")],
    out: common.OutDirOpt = Path("ivr_out"),
    menu: MenuOpt = None,
    mapping: common.MapOpt = None,
    fmt: common.FormatOpt = None,
    encoding: common.EncodingOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    segment: SegmentOpt = None,
    min_count: MinCountOpt = 1,
    min_calls: MinCallsOpt = None,
    top_paths: TopPathsOpt = None,
    config: ConfigOpt = None,
    strict: common.StrictOpt = False,
    engine: EngineOpt = "local",
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Self-service KPIs, drop-off and transfer points, paths, path graph and menu advice from IVR events.

    Writes kpis.json, node_metrics.csv, hotspots.csv, examples.csv, paths.csv, recommendations.csv,
    option_timings.csv, option_times_by_position.csv, by_hour.csv, by_weekday.csv, by_period.csv,
    graph.graphml/.gexf/.json, rejected_ivr_events.csv and, with --menu, conformance.csv and
    conformance_examples.csv into OUT.

    Example: ivr-text ivr analyze sample_logs/ivr_events.csv --menu sample_logs/menu.yaml --out out/ivr
    """
    from ivr_text.ivr import analyze_events, load_menu
    from ivr_text.ivr.reading import CODE_COLUMNS, read_chunked

    since, until = _date_option(since, "--since"), _date_option(until, "--until")
    cfg = _config(config, min_calls)
    menu_obj = load_menu(menu) if menu else None
    if check_engine(engine) == "spark":  # files, directories of Parquet/CSV/ORC or table:db.name (ivr_text.spark)
        analysis, written = ivr_analyze_spark(
            str(events), menu_obj, cfg, master=spark_master, conf=spark_conf, mapping=mapping, fmt=fmt, since=since,
            until=until, segments=segment, min_count=min_count, top_paths=top_paths, strict=strict, out=out)
        written += analysis.write(out)
        _summary(analysis)
        return common.done(*written)
    table = read_chunked(events, "ivr_events", dictionary=CODE_COLUMNS, mapping=mapping, fmt=fmt,
                         encoding=encoding, chunksize=2_000_000)
    analysis = analyze_events(table.data, menu_obj, cfg, since=since, until=until, segments=segment,
                              min_count=min_count, top_paths=top_paths, rows_read=table.read)
    written = [_account(table, analysis.rejected_positions, analysis.rejected, strict, out)]
    written += analysis.write(out)
    _summary(analysis)
    common.done(*written)


def _account(table, positions, rejected, strict: bool, out: Path) -> Path:
    """Move the rows the analysis rejected (positions in ``table.data``) into the table's rejected rows,
    print the row accounting and write ``rejected_ivr_events.csv`` into ``out``."""
    from ivr_text.io import first_problem, write_rejected

    if len(positions):
        import numpy as np

        mask = np.zeros(len(table.data), dtype=bool)
        mask[positions] = True
        reasons = np.empty(len(table.data), dtype=object)
        reasons[positions] = rejected["reason"].to_numpy()
        table.reject(mask, reasons)
    if strict and (problem := first_problem(table)):
        raise InputError(problem)
    common.report_rows(table)
    written = write_rejected(table, out, "ivr_events")
    common.require_rows(table, written)
    return written


@app.command("contacts")
@common.friendly_errors
def contacts(
    events: Annotated[Path, typer.Argument(help="IVR event log with caller_id: call_id, ts, node, event, caller_id.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Feedback-shaped CSV/Parquet to write.")]
    = Path("ivr_contacts.csv"),
    menu: MenuOpt = None,
    outcome: Annotated[Optional[list[str]], typer.Option(
        "--outcome", help="Call outcomes that count as a contact (repeatable): transfer, hangup, complete, "
                          "unknown.")] = None,
    taxonomy: Annotated[Optional[Path], typer.Option(
        "--taxonomy", help="Taxonomy YAML whose keyword rules code menu labels into causes.")] = None,
    mapping: common.MapOpt = None,
    fmt: common.FormatOpt = None,
    encoding: common.EncodingOpt = None,
    config: ConfigOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """IVR calls that ended with a transfer to an agent or a hang-up, as feedback events for `churn signal`.

    One row per call: customer_id (the caller), ts (end of the call), cause (the menu node's `cause:` or its
    parents', else the taxonomy's keyword rules on the node's labels), channel (ivr_transfer / ivr_hangup),
    call_id, node, outcome. Calls without a caller id are counted, not written. Rejected rows go to
    rejected_ivr_events.csv beside OUT.

    Example: ivr-text ivr contacts sample_logs/ivr_events.csv --menu sample_logs/menu.yaml --out out/ivr_contacts.csv
    """
    from ivr_text.io import write_table
    from ivr_text.ivr import load_menu
    from ivr_text.ivr.contacts import ivr_contacts
    from ivr_text.ivr.reading import CODE_COLUMNS, read_chunked

    taxonomy_obj = None
    if taxonomy:
        from ivr_text.complaints.taxonomy import load_taxonomy

        taxonomy_obj = load_taxonomy(taxonomy)
    menu_obj = load_menu(menu) if menu else None
    table = read_chunked(events, "ivr_events", dictionary=CODE_COLUMNS, mapping=mapping, fmt=fmt,
                         encoding=encoding, chunksize=2_000_000)
    found = ivr_contacts(table.data, menu_obj, _config(config, None), taxonomy=taxonomy_obj,
                         outcomes=tuple(outcome or ("transfer", "hangup")))
    written = [_account(table, found.rejected_positions, found.rejected, strict, out.parent)]
    by_channel = found.events["channel"].value_counts()
    common.echo(f"calls {found.calls:,}: contacts {len(found.events):,} ("
                + ", ".join(f"{k} {v:,}" for k, v in by_channel.items()) + f"); other outcomes {found.other_outcome:,}; "
                f"without a caller id {found.no_caller:,}; uncoded cause {int((found.events['cause'] == '').sum()):,}")
    written.append(write_table(found.events, out))
    common.done(*written)


@app.command("analyze-records")
@common.friendly_errors
def analyze_records(
    records: Annotated[Path, typer.Argument(help="Call-level records: call_id, ivr_start, ivr_end, outcome "
                                                 "[, service, queue_start, queue_end, agent_start, segment, caller_id].")],
    out: common.OutDirOpt = Path("ivr_records_out"),
    date_column: Annotated[Optional[str], typer.Option(
        "--date-column", help="Column holding the date when the time columns hold only times of day "
                              "(0:10:27); 0:00:00 queue/agent times then mean 'none'.")] = None,
    menu: MenuOpt = None,
    mapping: common.MapOpt = None,
    fmt: common.FormatOpt = None,
    encoding: common.EncodingOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    segment: SegmentOpt = None,
    min_count: MinCountOpt = 1,
    min_calls: MinCallsOpt = None,
    top_paths: TopPathsOpt = None,
    config: ConfigOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """The same outputs as 'ivr analyze' from one-row-per-call records (IVR → service → queue → agent | hang-up).

    Each record becomes the path root > SERVICE > queue:SERVICE > agent:SERVICE; outcomes are mapped through
    outcome_aliases in the config (AGENT = transfer, HANG = hangup, PHANTOM = unknown end).

    Example: ivr-text ivr analyze-records calls.csv --date-column date --map ivr_start=vru_entry --map ivr_end=vru_exit --map queue_start=q_start --map queue_end=q_exit --map agent_start=ser_start --map service=type --map caller_id=customer_id --out out/records
    """
    from ivr_text.io import first_problem, write_rejected
    from ivr_text.ivr import load_menu
    from ivr_text.ivr.reading import read_chunked
    from ivr_text.ivr.records import analyze_records, records_schema

    since, until = _date_option(since, "--since"), _date_option(until, "--until")
    cfg = _config(config, min_calls)
    table = read_chunked(records, records_schema(time_of_day=date_column is not None), mapping=mapping, fmt=fmt,
                       encoding=encoding, columns=[date_column] if date_column else None)
    analysis, reasons = analyze_records(table.data, cfg, date_column=date_column,
                                        menu=load_menu(menu) if menu else None, since=since, until=until,
                                        segments=segment, min_count=min_count, top_paths=top_paths)
    table.reject(reasons.notna().to_numpy(), reasons.to_numpy())
    if strict and (problem := first_problem(table)):
        raise InputError(problem)
    common.report_rows(table)
    rejected_file = write_rejected(table, out, "call_records")
    common.require_rows(table, rejected_file)
    event_rows = analysis.kpis.pop("rows")
    rejected_by = table.rejected["reason"].astype(str).value_counts() if len(table.rejected) else {}
    extra = {"rows": {"read": table.read, "used": table.used, "rejected": len(table.rejected),
                      "rejected_by_reason": {str(a): int(b) for a, b in dict(rejected_by).items()}},
             "event_rows_derived": event_rows}
    written = [rejected_file] + analysis.write(out, extra)
    _summary(analysis)
    common.done(*written)


@app.command("compare")
@common.friendly_errors
def compare(
    events: Annotated[Path, typer.Argument(help="IVR event log: call_id, ts, node, event [, key, segment, caller_id].")],
    groups: Annotated[Optional[str], typer.Option(
        "--groups", help="Two segments: segment=A,B ('+' joins several: segment=全球通+政企,动感地带).")] = None,
    periods: Annotated[Optional[str], typer.Option(
        "--periods", help="Two periods: P1,P2 — year 2024, month 2024-01, ISO week 2024-W05, day 2024-01-15 or "
                          "a range 2024-01-01..2024-01-15.")] = None,
    out: common.OutDirOpt = Path("ivr_compare_out"),
    menu: MenuOpt = None,
    mapping: common.MapOpt = None,
    fmt: common.FormatOpt = None,
    encoding: common.EncodingOpt = None,
    min_n: Annotated[int, typer.Option("--min-n", min=1, help="Compare a rate only when both groups have at "
                                                               "least this many calls (steps) behind it.")] = 30,
    config: ConfigOpt = None,
    strict: common.StrictOpt = False,
) -> None:
    """Two segments or two periods of one log side by side: per KPI, node and transition the two rates, the
    difference with a 95% confidence interval and a Benjamini–Hochberg adjusted p-value, most significant first.

    Writes compare.csv and compare.json into OUT (write them into an `ivr analyze` output directory to get the
    comparison section of the IVR report) and rejected_ivr_events.csv.

    Example: ivr-text ivr compare sample_logs/ivr_events.csv --groups segment=政企,动感地带 --out out/ivr
    """
    from ivr_text.ivr import load_menu
    from ivr_text.ivr.compare import compare_events
    from ivr_text.ivr.reading import CODE_COLUMNS, read_chunked

    if (groups is None) == (periods is None):
        raise typer.BadParameter("give either --groups or --periods", param_hint="--groups/--periods")
    cfg = _config(config, None)
    menu_obj = load_menu(menu) if menu else None
    table = read_chunked(events, "ivr_events", dictionary=CODE_COLUMNS, mapping=mapping, fmt=fmt,
                         encoding=encoding, chunksize=2_000_000)
    result = compare_events(table.data, menu_obj, cfg, groups=groups, periods=periods, min_n=min_n,
                            z=float(cfg.hotspots.get("wilson_z", 1.96)))
    written = [_account(table, result.rejected_positions, result.rejected, strict, out)]
    written += result.write(out)
    a, b = result.groups["a"], result.groups["b"]
    common.echo(f"A = {a['name']} ({a['calls']:,} calls), B = {b['name']} ({b['calls']:,} calls): "
                f"{len(result.table):,} rates compared, {int(result.table['significant'].sum()):,} differ "
                "(Benjamini–Hochberg adjusted p < 0.05)")
    top = result.table.head(10)
    if len(top):
        seconds = top["measure"].str.startswith("mean seconds")
        shown = lambda col: [f"{v:.1f}" if s else f"{100 * v:.1f}%" for v, s in zip(top[col], seconds)]  # noqa: E731
        table_ = top.assign(A=shown("a_rate"), B=shown("b_rate"), p=[f"{v:.2g}" for v in top["p_adjusted"]])
        common.print_table(table_[["scope", "label", "measure", "A", "B", "p"]].rename(columns={"p": "p adj."}),
                           title="Most significant differences")
    for w in result.warnings:
        common.echo(f"warning: {w}")
    common.done(*written)


def register(main_app) -> None:
    """Add the ``ivr`` sub-app (analyze, analyze-records, compare, contacts) to the ivr-text app."""
    main_app.add_typer(app, name="ivr")
