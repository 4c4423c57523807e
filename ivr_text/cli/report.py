"""``ivr-text report``: self-contained HTML reports from the analyses' output directories."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr_text.cli import common

DirOpt = Optional[Path]


def register(app) -> None:
    """Add this module's commands to the ivr-text app."""
    app.command("report")(report)


@common.friendly_errors
def report(
    out: common.OutDirOpt = Path("reports"),
    ivr: Annotated[DirOpt, typer.Option("--ivr", help="Output directory of `ivr analyze`.")] = None,
    complaints: Annotated[DirOpt, typer.Option(
        "--complaints", help="Directory with `classify`, `trends` and/or `topics` outputs (sub-directories too).")] = None,
    churn: Annotated[DirOpt, typer.Option("--churn", help="Output directory of `churn quality/signal/evaluate`.")] = None,
    manifest: Annotated[Optional[Path], typer.Option(
        "--manifest", help="JSON with the inputs analysed (file, kind, read, used, rejected; date_range). "
                           "Default: OUT/manifest.json when present.")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Title of the index page.")] = None,
    xlsx: Annotated[Optional[Path], typer.Option(
        "--xlsx", help="Also write an Excel workbook (warning list, hot spots, advice, predictions, alerts; "
                       "Chinese headers, PII masked, no formulas) to this file.")] = None,
) -> None:
    """Render HTML reports (index, IVR, complaints, churn) that open offline: inline CSS and SVG charts, no
    scripts, fonts or requests to other hosts; user text is escaped and PII-masked. Give any subset of
    --ivr/--complaints/--churn; a missing file omits its section with a note.

    Example: ivr-text report --ivr reports/ivr --complaints reports/complaints --churn reports/churn --out reports/html
    """
    from ivr_text.errors import InputError
    from ivr_text.report import render_reports

    given = {"--ivr": ivr, "--complaints": complaints, "--churn": churn}
    if not any(given.values()):
        raise typer.BadParameter("give at least one of --ivr, --complaints, --churn", param_hint="--ivr")
    for flag, path in given.items():
        if path is not None and not path.is_dir():
            raise InputError(f"{path}: {flag} directory not found")
    if manifest is not None and not manifest.is_file():
        raise InputError(f"{manifest}: manifest file not found")
    paths = render_reports(out, ivr_dir=ivr, complaints_dir=complaints, churn_dir=churn, manifest=manifest,
                           title=title)
    written = list(paths.values())
    if xlsx is not None:
        from ivr_text.report.workbook import workbook_frames, write_workbook

        frames = workbook_frames(ivr_dir=ivr, complaints_dir=complaints, churn_dir=churn)
        if not frames:
            raise InputError(f"{xlsx}: no table for the workbook in the given directories (warnings.csv, "
                             "hotspots.csv, recommendations.csv, predictions.csv, alerts.csv)")
        written.append(write_workbook(xlsx, frames))
    common.done(*written)
