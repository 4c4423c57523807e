"""What every command shares: option types, error handling, loading inputs with row accounting, printing.

Commands stay thin: ``load()`` the inputs (prints ``read = used + rejected``), call one library function,
write outputs with ``ivr_text.io`` and ``done()``. Wrap each command with ``@friendly_errors`` so bad input
ends in one clear line and exit code 1, never a traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Annotated, Iterable, Optional

import typer

from ivr_text.errors import InputError

# ------------------------------------------------------------------ shared options (identical flags everywhere)

MapOpt = Annotated[
    Optional[list[str]],
    typer.Option("--map", "-m", metavar="CANONICAL=SOURCE",
                 help="Use a column with another name, e.g. --map call_id=CALLID (repeatable)."),
]
FormatOpt = Annotated[
    Optional[str],
    typer.Option("--format", help="Input format: csv, tsv, parquet, jsonl, json (default: by extension)."),
]
EncodingOpt = Annotated[
    Optional[str],
    typer.Option("--encoding", help="Input text encoding, e.g. utf-8, gbk, gb18030 (default: detected)."),
]
OutDirOpt = Annotated[Path, typer.Option("--out", "-o", help="Output directory.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors (for scripts).")]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Fail on the first unusable row instead of rejecting it."),
]

_state: dict = {"quiet": False, "ledger": []}


def set_quiet(quiet: bool) -> None:
    _state["quiet"] = bool(quiet)


def is_quiet() -> bool:
    return _state["quiet"]


def echo(message: str = "", err: bool = False) -> None:
    """Print unless --quiet (errors always print)."""
    if err or not _state["quiet"]:
        typer.echo(message, err=err)


def fail(message: str) -> None:
    """Print a one-line error and exit with code 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def friendly_errors(func):
    """Turn :class:`InputError` and unreadable files into one line on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            fail(str(exc))
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            fail(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}")
        except MemoryError:
            fail("out of memory; read the input in parts or use Parquet with fewer columns")

    return wrapper


def load(path: Path | str, kind: str | None, *, mapping: Iterable[str] | None = None, fmt: str | None = None,
         encoding: str | None = None, columns: Iterable[str] | None = None, strict: bool = False,
         out_dir: Path | None = None, name: str | None = None):
    """Read an input with ``ivr_text.io.read_table``, print its row accounting, write its rejected rows.

    With ``strict`` the first unusable row is an error naming file, column and row.
    """
    from ivr_text.io import first_problem, read_table, write_rejected

    if str(path) == "-":
        raise InputError("reading a table from stdin is not supported here; pass a file")
    table = read_table(path, kind, mapping=mapping, fmt=fmt, encoding=encoding, columns=columns)
    if strict and (problem := first_problem(table)):
        raise InputError(problem)
    report_rows(table)
    if out_dir is not None:
        write_rejected(table, out_dir, name or table.kind or Path(path).stem)
    return table


def prefer_jemalloc() -> None:
    """Make jemalloc Arrow's memory pool for this process unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses one.

    Measured on 10 M IVR events from Parquet: the mimalloc pool this pyarrow build defaults to spends about 2 s
    more in the kernel (page faults); with jemalloc `ivr analyze` took 10.9 s instead of 13.0 s.
    """
    import os

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        import pyarrow as pa

        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except (ImportError, NotImplementedError):  # a pyarrow built without jemalloc: keep its default
        pass


def report_rows(table) -> None:
    """Print ``FILE: read N = used U + rejected R`` and the commonest reasons; remember them for the demo's index."""
    _state["ledger"].append({"file": table.source, "kind": table.kind, "read": table.read, "used": table.used,
                             "rejected": len(table.rejected), "encoding": table.encoding})
    echo(table.summary())
    for canonical, source in getattr(table, "guessed", {}).items():
        echo(f"  using column '{source}' as {canonical} (override with --map {canonical}=COLUMN)")
    for reason, count in table.top_reasons(3):
        echo(f"  rejected {count:,}: {reason}")


def ledger() -> list[dict]:
    """Row accounting of every input loaded in this process (file, kind, read, used, rejected)."""
    return list(_state["ledger"])


def progress(items, description: str):
    """Iterate ``items`` with a progress bar on an interactive terminal (none when quiet or piped)."""
    if _state["quiet"] or not sys.stdout.isatty():
        yield from items
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(description, total=len(items))
        for item in items:
            yield item
            bar.advance(task)


def done(*paths: Path | str) -> None:
    """Report what a command wrote."""
    for p in paths:
        echo(f"wrote {p}")


def print_table(df, title: str | None = None, max_rows: int = 20) -> None:
    """Print a DataFrame as a readable table (rich) unless --quiet."""
    if _state["quiet"]:
        return
    from rich.console import Console
    from rich.table import Table as RichTable

    table = RichTable(title=title, show_lines=False)
    for col in df.columns:
        table.add_column(str(col), overflow="fold")
    for row in df.head(max_rows).itertuples(index=False):
        table.add_row(*[_fmt(v) for v in row])
    Console(file=sys.stdout, width=160).print(table)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)
