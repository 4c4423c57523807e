"""The ``ivr-text`` command: one Typer app with a sub-app or command per analysis.

Exit codes: 0 ok, 1 bad input (one clear line on stderr), 2 usage error. ``--no-mask``, ``--decimal`` and
``--date-window`` apply to the whole run and may also be given after the command (``common.GLOBAL_OPTIONS``).
"""

from __future__ import annotations

import importlib
from typing import Annotated, Optional

import typer

from ivr_text import __version__
from ivr_text.cli import common
from ivr_text.cli.tuning import process_tuning

app = typer.Typer(
    name="ivr-text",
    help="Call-centre text and IVR analytics for Chinese telecom customer service.\n\n"
         "Example: ivr-text demo --out reports/demo",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=common.SafeGroup,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ivr-text {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Show the version and exit.")] = None,
    quiet: common.QuietOpt = False,
    no_mask: Annotated[bool, typer.Option(
        "--no-mask", help="Write raw text: do NOT mask phones, IDs, cards, e-mails, QQ/WeChat, names and addresses "
                          "in the output files (masking is the default). Accepted before or after the command.")] = False,
    decimal: Annotated[str, typer.Option(
        "--decimal", help="Decimal separator of numbers in the input files: . (default; 1,234 groups thousands) or , "
                          "(12,5 = 12.5). Numbers that do not fit are rejected, never guessed.")] = ".",
    date_window: Annotated[str, typer.Option(
        "--date-window", metavar="FROM..TO", help="Plausible dates; others are rejected as typos or placeholders.")]
    = "1990-01-01..2100-01-01",
) -> None:
    common.set_quiet(quiet)
    ctx.with_resource(process_tuning())  # memory tuning for this run only, undone when it ends


# Each module under ivr_text/cli/ registers its commands with ``register(app)``; it imports heavy libraries
# (jieba, scikit-learn, gensim) inside the command functions so that ``--help`` stays fast.
COMMAND_MODULES = ("samples", "text", "classify", "topics", "ivr", "churn", "report", "demo")

for _name in COMMAND_MODULES:
    importlib.import_module(f"ivr_text.cli.{_name}").register(app)


def run() -> None:  # console-script entry point
    app()


if __name__ == "__main__":
    run()
