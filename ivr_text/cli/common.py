"""What every command shares: option types, error handling, loading inputs with row accounting, printing.

Commands stay thin: ``load()`` the inputs (prints ``read = used + rejected``), call one library function,
write outputs with ``ivr_text.io`` and ``done()``. Wrap each command with ``@friendly_errors``; the root
group (:class:`SafeGroup`) is the last guard. Any failure ends in one line on stderr, never a traceback:
exit code 1 for bad input (a file, a column, a value), 2 for a bad command line (usage errors, and
:class:`~ivr_text.errors.UsageError`: messages about an option's value start with the option's name).

``--no-mask``, ``--decimal ,`` and ``--date-window FROM..TO`` belong to the whole run and are accepted anywhere on
the command line of every command (:func:`take_global_options`): ``--no-mask`` turns the writers' PII masking
off (:func:`ivr_text.text.pii.set_output_masking`), and the run says so when it reports its files.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from pathlib import Path
from typing import Annotated, Iterable, Optional

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError as ClickUsageError
from typer.core import TyperGroup

from ivr_text.errors import InputError, UsageError
from ivr_text.text.pii import mask_pii, output_masking, set_output_masking

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


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error (PII masked unless --no-mask) and exit with ``code``."""
    typer.echo(f"error: {_one_line(message)}", err=True)
    raise typer.Exit(code=code)


def _one_line(message: str) -> str:
    line = " ".join(str(message).split()) or "failed"
    return mask_pii(line) if output_masking() else line


#: OS errors about the shape of an output path (a file where a directory must be, or the reverse)
_PATH_SHAPE = {errno.ENOTDIR, errno.EEXIST, errno.EISDIR}


def error_exit(exc: BaseException) -> None:
    """Turn an exception a command raised into one line and an exit code (re-raise what is not ours)."""
    if isinstance(exc, (typer.Exit, typer.Abort, ClickException, KeyboardInterrupt, SystemExit)):
        raise exc
    if isinstance(exc, UsageError) or (isinstance(exc, InputError) and str(exc).startswith("--")):
        fail(str(exc), code=2)
    if isinstance(exc, InputError):
        fail(str(exc))
    if os.environ.get("IVR_TEXT_DEBUG"):
        raise exc
    if isinstance(exc, RecursionError):
        fail("input nested too deeply to read (a YAML/JSON structure hundreds of levels deep); flatten it")
    if isinstance(exc, MemoryError):
        fail("out of memory; read the input in parts or use Parquet with fewer columns")
    if isinstance(exc, OSError):
        where = exc.filename or ""
        what = exc.strerror or exc.__class__.__name__
        if exc.errno in _PATH_SHAPE:
            fail(f"{where}: cannot write there: {what} (is a parent of --out/--model an existing file?)", code=2)
        fail(f"{where}: {what}" if where else what)
    if isinstance(exc, UnicodeError):
        fail(f"text that cannot be encoded or decoded ({exc.__class__.__name__}: {getattr(exc, 'reason', exc)}); "
             "the input holds undecodable bytes or a lone surrogate")
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    fail(f"unexpected {exc.__class__.__name__}{': ' + first if first else ''} (a bug: please report it with the "
         "command line; IVR_TEXT_DEBUG=1 shows the traceback)")


#: an --out ending in one of these names a file; any other --out names a directory
FILE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".json", ".jsonl", ".ndjson", ".yaml", ".yml", ".model")


def check_output_path(value, option: str = "--out", kind: bool = True) -> None:
    """Refuse, before any work, an output path that cannot be written: one under an existing file, a directory
    where a file is meant (``--out x.csv``) or a file where a directory is meant (``kind``: check that too)."""
    if value is None or str(value) == "-":
        return
    p = Path(value)
    for parent in p.parents:
        if os.path.lexists(parent):
            if not parent.is_dir():
                raise UsageError(f"{option} {p}: '{parent}' is a file, not a directory")
            break
    if kind and os.path.lexists(p):
        if p.suffix.lower() in FILE_SUFFIXES and p.is_dir():
            raise UsageError(f"{option} {p}: is a directory; give a file name")
        if p.suffix.lower() not in FILE_SUFFIXES and not p.is_dir():
            raise UsageError(f"{option} {p}: is a file; give a directory (or a name ending in .csv, .parquet, …)")


def friendly_errors(func):
    """Any exception of the command becomes one line on stderr with exit code 1 (bad input) or 2 (usage).

    Output paths (``out``, and the parents of ``model``) are checked before the command runs."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            check_output_path(kwargs.get("out"))
            check_output_path(kwargs.get("model"), "--model", kind=False)
            from ivr_text.cli.progress import working

            with working(_command_path(func)):
                return func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure must end in one clear line
            error_exit(exc)

    return wrapper


def _command_path(func) -> str:
    """``ivr-text ivr analyze`` for the running command (the function name outside a click context)."""
    from typer._click.globals import get_current_context

    ctx = get_current_context(silent=True)
    return ctx.command_path if ctx is not None else func.__name__.replace("_", "-")


class OneLineUsageError(ClickUsageError):
    """A usage error shown as one line, ``error: …  (see 'ivr-text CMD --help')``, exit code 2."""

    def show(self, file=None) -> None:
        typer.echo(f"error: {self.format_message()}", err=True)


#: Options of the whole run, accepted anywhere on the command line (before a ``--``): name → takes a value
GLOBAL_OPTIONS = {"--no-mask": False, "--decimal": True, "--date-window": True}
_DEFAULT_WINDOW = ("1990-01-01", "2100-01-01")


def take_global_options(args: list[str]) -> list[str]:
    """``args`` without the :data:`GLOBAL_OPTIONS`, which are applied to this run (and reset when absent):
    ``--no-mask`` (writers' PII masking off), ``--decimal ,`` and ``--date-window FROM..TO`` (reading)."""
    from ivr_text.io import set_reading

    end = args.index("--") if "--" in args else len(args)
    found: dict[str, str | bool] = {}
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        name, eq, value = a.partition("=")
        if i < end and name in GLOBAL_OPTIONS:
            if GLOBAL_OPTIONS[name] and not eq:
                if i + 1 >= end:
                    raise OneLineUsageError(f"{name} needs a value")
                value, i = args[i + 1], i + 1
            found[name] = value if GLOBAL_OPTIONS[name] else True
        else:
            rest.append(a)
        i += 1
    set_output_masking("--no-mask" not in found)
    window = found.get("--date-window")
    if window is not None:
        lo, sep, hi = str(window).partition("..")
        if not sep:
            raise OneLineUsageError(f"--date-window {window!r}: expected FROM..TO, e.g. 2015-01-01..2031-01-01")
        window = (lo, hi)
    try:
        set_reading(decimal=str(found.get("--decimal", ".")), date_window=window or _DEFAULT_WINDOW)
    except (InputError, ValueError) as exc:
        raise OneLineUsageError(str(exc).splitlines()[0]) from None
    if "--no-mask" in found:
        typer.echo("warning: --no-mask: the files written hold unmasked personal data (phones, IDs, names, …)",
                   err=True)
    return rest


class SafeGroup(TyperGroup):
    """The root command group: takes the :data:`GLOBAL_OPTIONS` from anywhere on the command line, shows usage
    errors in one line, and turns any exception a command let through into one line (see :func:`error_exit`)."""

    def make_context(self, info_name, args, parent=None, **extra):
        if parent is None:
            args = take_global_options(list(args))
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except ClickUsageError as exc:
            raise _usage_line(exc) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ClickUsageError as exc:
            raise _usage_line(exc) from None
        except Exception as exc:  # noqa: BLE001 - a command without @friendly_errors
            error_exit(exc)


def _usage_line(exc: ClickUsageError) -> ClickUsageError:
    if isinstance(exc, (OneLineUsageError, NoArgsIsHelpError)):
        return exc
    hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    out = OneLineUsageError(_one_line(exc.format_message()) + hint)
    out.exit_code = exc.exit_code
    return out


def load(path: Path | str, kind: str | None, *, mapping: Iterable[str] | None = None, fmt: str | None = None,
         encoding: str | None = None, columns: Iterable[str] | None = None, strict: bool = False,
         out_dir: Path | None = None, name: str | None = None):
    """Read an input with ``ivr_text.io.read_table``, print its row accounting, write its rejected rows.

    Only the required columns and the optional ones named in ``columns`` are checked: any other column of the
    kind is passed through as text and never rejects a row. With ``strict`` the first unusable row is an
    error naming file, column and row.
    """
    from ivr_text.io import SCHEMAS, first_problem, read_table, write_rejected

    from ivr_text.cli.engine import SqlQuery, read_query

    if str(path) == "-":
        raise UsageError("reading a table from stdin is not supported here; pass a file")
    if kind is not None:  # optional columns the command does not ask for are passed through, never checked
        kind = (SCHEMAS[kind] if isinstance(kind, str) else kind).using(columns or ())
    table = (read_query(path, kind, mapping=mapping, columns=columns) if isinstance(path, SqlQuery)  # --db/--sql
             else read_table(path, kind, mapping=mapping, fmt=fmt, encoding=encoding, columns=columns))
    if strict and (problem := first_problem(table)):
        raise InputError(problem)
    report_rows(table)
    written = write_rejected(table, out_dir, name or table.kind or Path(path).stem) if out_dir is not None else None
    require_rows(table, written)
    return table


def require_rows(table, rejected_file: Path | None = None) -> None:
    """An input of which no row is usable is an error naming the file (and where the reasons are)."""
    if table.used == 0:
        where = f"; reasons in {rejected_file}" if rejected_file is not None and len(table.rejected) else ""
        raise InputError(f"{table.source}: no usable rows (read {table.read:,} = used 0 + rejected "
                         f"{len(table.rejected):,}{where})")


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
    _state["progress_active"] = True  # commands run inside show no spinner of their own
    try:
        with Progress(*columns, transient=True) as bar:
            task = bar.add_task(description, total=len(items))
            for item in items:
                yield item
                bar.advance(task)
    finally:
        _state["progress_active"] = False


def done(*paths: Path | str) -> None:
    """Report what a command wrote (and, with --no-mask, that it is unmasked)."""
    for p in paths:
        echo(f"wrote {p}")
    if paths and not output_masking():
        echo("PII masking OFF (--no-mask): these files hold the raw text, personal data included")


def print_table(df, title: str | None = None, max_rows: int = 20) -> None:
    """Print a DataFrame as a readable table (rich) unless --quiet."""
    if _state["quiet"]:
        return
    from rich.console import Console
    from rich.table import Table as RichTable

    if output_masking():
        from ivr_text.sanitize import mask_frame

        df = mask_frame(df.head(max_rows))
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
