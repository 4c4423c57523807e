"""Progress for long commands: a spinner with the command and elapsed time on stderr while it runs.

:func:`working` shows it only on an interactive terminal (stderr is a TTY) and never with ``--quiet``; it is
transient (gone when the command ends), so logs, pipes and CliRunner output stay exactly as without it.
Nested use (a command run by ``demo``, whose own step bar is showing) adds nothing.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

_depth = [0]


def enabled(stream=None) -> bool:
    """True when a spinner may be drawn: not quiet, stderr a terminal, no other progress display active."""
    from ivr_text.cli import common

    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    return not common.is_quiet() and bool(isatty and isatty()) and _depth[0] == 0 and \
        not common._state.get("progress_active")


@contextmanager
def working(label: str, stream=None):
    """Show ``label`` with a spinner and elapsed time on stderr while the block runs (see :func:`enabled`)."""
    if not enabled(stream):
        _depth[0] += 1
        try:
            yield
        finally:
            _depth[0] -= 1
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(file=stream or sys.stderr)
    _depth[0] += 1
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                      transient=True) as bar:
            bar.add_task(label, total=None)
            yield
    finally:
        _depth[0] -= 1
