"""``ivr-text demo``: the whole chain on a sample world, ending in ``reports/demo/index.html``.

Each step is an ordinary ``ivr-text`` command (printed as it runs), so the demo doubles as a tutorial:
IVR paths → complaint causes (cross-validated, trained, predicted) → topics and trends → churn data quality,
signal, features and evaluation → HTML reports with an index of what was read, used and rejected.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import Annotated

import typer

from ivr_text.cli import common

SAMPLE_FILES = ("menu.yaml", "ivr_events.csv", "complaints.csv", "feedback.csv", "usage.csv", "churn_labels.csv")


def demo_steps(data: Path, out: Path) -> list[tuple[str, list[str]]]:
    """The demo's commands, as (what it answers, argv) pairs."""
    d, o = str(data), str(out)
    c = f"{o}/complaints"
    return [
        ("IVR: where do callers hang up or zero out?",
         ["ivr", "analyze", f"{d}/ivr_events.csv", "--menu", f"{d}/menu.yaml", "--out", f"{o}/ivr"]),
        ("IVR: how do two brands differ, node by node?",
         ["ivr", "compare", f"{d}/ivr_events.csv", "--menu", f"{d}/menu.yaml", "--groups", "segment=政企,动感地带",
          "--out", f"{o}/ivr"]),
        ("Complaints: how well does the cause model do on unseen orders?",
         ["classify", "evaluate", f"{d}/complaints.csv", "--cv", "5", "--out", f"{c}/evaluation"]),
        ("Complaints: train the cause model",
         ["classify", "train", f"{d}/complaints.csv", "--model", f"{c}/cause.model", "--out", f"{c}/train"]),
        ("Complaints: cause, confidence and root-cause family per order",
         ["classify", "predict", f"{d}/complaints.csv", "--model", f"{c}/cause.model", "--review-below", "0.6",
          "--out", f"{c}/predict"]),
        ("Complaints: which themes does the taxonomy miss?",
         ["topics", f"{c}/predict/predictions.csv", "--by", "cause", "--out", f"{c}/topics"]),
        ("Complaints: which causes are rising?",
         ["trends", f"{c}/predict/predictions.csv", "--date-column", "ts", "--by", "cause", "--period", "week",
          "--out", f"{c}/trends"]),
        ("Churn: is the usage data fit for analysis?",
         ["churn", "quality", f"{d}/usage.csv", "--labels", f"{d}/churn_labels.csv", "--out", f"{o}/churn"]),
        ("Churn: who shows the complaint-rise-then-silence pattern?",
         ["churn", "signal", "--feedback", f"{d}/feedback.csv", "--usage", f"{o}/churn/usage_clean.csv",
          "--out", f"{o}/churn"]),
        ("Churn: features for external churn models",
         ["churn", "features", "--feedback", f"{d}/feedback.csv", "--usage", f"{o}/churn/usage_clean.csv",
          "--out", f"{o}/churn"]),
        ("Churn: does the signal beat usage-only and feedback-only on the labels?",
         ["churn", "evaluate", "--feedback", f"{d}/feedback.csv", "--usage", f"{o}/churn/usage_clean.csv",
          "--labels", f"{d}/churn_labels.csv", "--out", f"{o}/churn"]),
        ("Reports",
         ["report", "--ivr", f"{o}/ivr", "--complaints", c, "--churn", f"{o}/churn", "--out", o,
          "--manifest", f"{o}/manifest.json", "--title", "ivr-text demo"]),
    ]


def run_command(argv: list[str]) -> int:
    """Run one ``ivr-text`` command in this process; return its exit code."""
    from ivr_text.cli.main import app

    from ivr_text.text.pii import output_masking

    command = typer.main.get_command(app)
    if not output_masking():  # each step is a new command line: it keeps this run's --no-mask
        argv = [*argv, "--no-mask"]
    try:
        result = command.main(argv, prog_name="ivr-text", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except Exception as exc:  # a usage error: show it as the command line would
        if not (hasattr(exc, "show") and hasattr(exc, "exit_code")):
            raise
        exc.show()
        return exc.exit_code
    return result if isinstance(result, int) else 0


def register(app: typer.Typer) -> None:
    @app.command()
    @common.friendly_errors
    def demo(
        out: Annotated[Path, typer.Option("--out", "-o", help="Where the reports go.")] = Path("reports/demo"),
        data: Annotated[Path, typer.Option("--data", help="Sample world to analyse (generated if absent).")] = Path(
            "sample_logs"),
        seed: Annotated[int, typer.Option(help="Seed when a sample world has to be generated.")] = 0,
        quiet: common.QuietOpt = False,
    ) -> None:
        """Run every analysis on the sample world and write HTML reports to OUT/index.html.

        Example: ivr-text demo --out reports/demo
        """
        if quiet:
            common.set_quiet(True)
        if not all((data / f).exists() for f in SAMPLE_FILES):
            from ivr_text.samples import generate_world

            data = out / "sample_world"
            common.echo(f"no sample world found; generating one (seed {seed}) into {data}")
            generate_world(data, seed=seed)
        manifest: dict = {"title": "ivr-text demo", "data": str(data), "steps": []}
        steps = demo_steps(data, out)
        start_ledger = len(common.ledger())
        for i, (question, argv) in common.progress(list(enumerate(steps, start=1)), "demo"):
            if argv[0] == "report":
                from ivr_text.io import write_json

                manifest["inputs"] = common.ledger()[start_ledger:]
                write_json(manifest, out / "manifest.json")
            common.echo(f"\n[{i}/{len(steps)}] {question}\n$ ivr-text {shlex.join(argv)}")
            t0 = time.perf_counter()
            code = run_command(argv)
            seconds = time.perf_counter() - t0
            manifest["steps"].append({"command": "ivr-text " + shlex.join(argv), "seconds": round(seconds, 2),
                                      "exit_code": code})
            if code != 0:  # the step printed its one error line; the demo only says where it stopped
                common.echo(f"demo stopped at step {i} (exit {code}): ivr-text {shlex.join(argv)}")
                raise typer.Exit(code=code)
        import pandas as pd

        common.print_table(pd.DataFrame(manifest["steps"]), title="demo steps")
        common.echo(f"\nopen {out / 'index.html'}")
