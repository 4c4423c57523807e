"""``ivr-text samples``: write a deterministic synthetic world (menu, IVR log, complaints, feedback, usage, churn)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ivr_text.cli import common


def samples(
    out: common.OutDirOpt = Path("sample_logs"),
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed and options give identical files.")] = 0,
    calls: Annotated[int, typer.Option("--calls", min=1, help="Number of IVR calls.")] = 7000,
    customers: Annotated[int, typer.Option("--customers", min=1, help="Number of customers.")] = 1600,
    months: Annotated[int, typer.Option("--months", min=1, max=120, help="Months of usage and feedback.")] = 12,
    start: Annotated[str, typer.Option("--start", help="First month, YYYY-MM.")] = "2024-01",
    fmt: Annotated[str, typer.Option("--format", help="Table format: csv or parquet.")] = "csv",
    parts: Annotated[Optional[list[str]], typer.Option(
        "--part", help="Write only these parts (repeatable): menu, ivr, complaints, feedback, usage, labels.")] = None,
    option_seconds: Annotated[Optional[str], typer.Option(
        "--ivr-option-seconds", help="Plant listening seconds per announced option: one number, or "
                                     "MENU=SECONDS,… (e.g. root=2.5,bill=1.0); recorded in truth.json.")] = None,
    hour_hangup: Annotated[Optional[str], typer.Option(
        "--ivr-hour-hangup", help="Plant an hour-of-day effect: HOURS=MULTIPLIER on every hang-up probability, "
                                  "HOURS a range or list (1-5=6 or 0,23=3; ';' between several).")] = None,
    world: Annotated[str, typer.Option("--world", help="default (sample_logs/) or curve: the operators' curve — "
                                                       "churners fall silent while usage erodes over 3-9 months, "
                                                       "churn up to 3 months after the last month.")] = "default",
) -> None:
    """Generate a synthetic 10086-like world: menu.yaml, ivr_events, complaints, feedback, usage, churn_labels,
    README.md (every assumption and rate) and truth.json (planted facts, for tests only).

    Example: ivr-text samples --out sample_logs --seed 0
    (planted IVR effects: --ivr-option-seconds root=2.5,bill=1.0 --ivr-hour-hangup 1-5=6)
    """
    from ivr_text.errors import InputError
    from ivr_text.samples import generate_world

    from ivr_text.samples import parse_hour_effect, parse_option_seconds

    if fmt.lower() not in ("csv", "parquet"):
        raise typer.BadParameter("use csv or parquet", param_hint="--format")
    try:
        written = generate_world(out, seed=seed, calls=calls, customers=customers, months=months, start=start,
                                 fmt=fmt.lower(), parts=parts, option_seconds=parse_option_seconds(option_seconds),
                                 hour_hangup=parse_hour_effect(hour_hangup), world=world)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    common.done(*written.values())


samples = common.friendly_errors(samples)


def register(app) -> None:
    """Add this module's commands to the ivr-text app."""
    app.command("samples")(samples)
