"""Finding and reading the analyses' output files for the reports, tolerating what is missing.

An analysis output directory may hold its files directly or in sub-directories (e.g. ``complaints/classify``,
``complaints/trends``); :class:`OutputDir` finds a file by name at depth ≤ 2. Tables are read with pandas
(CSV with or without BOM, Parquet, JSON). Anything missing or unusable raises :class:`MissingData` with a
plain message, which the pages turn into a note instead of a crash.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

import pandas as pd

from ivr_text.errors import InputError


class MissingData(Exception):
    """A section's input file is absent or lacks what the section needs (message says which)."""


class MixedRuns(InputError):
    """A folder holds the same output of more than one run: the report refuses it rather than mix them."""


#: output file → the command that writes it, so a "not found" note tells the reader how to fill the section
PRODUCERS = {
    "kpis.json": "ivr-text ivr analyze", "node_metrics.csv": "ivr-text ivr analyze",
    "hotspots.csv": "ivr-text ivr analyze", "paths.csv": "ivr-text ivr analyze",
    "graph.json": "ivr-text ivr analyze", "recommendations.csv": "ivr-text ivr analyze",
    "by_hour.csv": "ivr-text ivr analyze", "examples.csv": "ivr-text ivr analyze",
    "option_timings.csv": "ivr-text ivr analyze", "conformance.csv": "ivr-text ivr analyze --menu MENU",
    "compare.csv": "ivr-text ivr compare --groups … (or --periods …) --out",
    "metrics.json": "ivr-text classify evaluate --out", "confusion.csv": "ivr-text classify evaluate --out",
    "topics.json": "ivr-text topics", "topics.csv": "ivr-text topics",
    "counts.csv": "ivr-text trends", "alerts.csv": "ivr-text trends", "emerging_terms.csv": "ivr-text trends",
    "quality_report.csv": "ivr-text churn quality", "quality_report.json": "ivr-text churn quality",
    "signal_summary.json": "ivr-text churn signal", "warnings.csv": "ivr-text churn signal",
    "phase_summary.csv": "ivr-text churn signal", "customer_periods.csv": "ivr-text churn signal",
    "evaluation.json": "ivr-text churn evaluate --out (or evaluate-table --out)",
    "lift.csv": "ivr-text churn evaluate --out (or evaluate-table --out)",
}


T = TypeVar("T")

_log: list[list[tuple[Path, Path]]] = []


def _record(root: Path, path: Path) -> None:
    for log in _log:
        if (root, path) not in log:
            log.append((root, path))


class reading:
    """``with reading() as files:`` collects (folder, file) of every output file found inside the block."""

    def __enter__(self) -> list[tuple[Path, Path]]:
        self.files: list[tuple[Path, Path]] = []
        _log.append(self.files)
        return self.files

    def __exit__(self, *exc) -> None:
        _log.remove(self.files)


def run_of(path: Path) -> dict | None:
    """The run that wrote ``path``: the entry of ``manifest.json`` beside it (``{kind: {run_id, command,
    version, created_utc, files, …}}``, as :mod:`ivr_text.results` writes it) listing the file; None if none."""
    man = path.parent / "manifest.json"
    if not man.is_file():
        return None
    try:
        obj = json.loads(man.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, RecursionError):
        return None
    entries = obj.values() if isinstance(obj, dict) else []
    for entry in entries:
        if isinstance(entry, dict) and path.name in [Path(str(f)).name for f in entry.get("files") or []]:
            return entry
    return None


def describe_files(files: Sequence[tuple[Path, Path]]) -> str:
    """``predict/predictions.csv (run 1a2b… · ivr-text classify predict … · 2024-06-01T12:00:00Z)`` when a
    manifest names the run, else ``predict/predictions.csv (2024-06-01 12:00)`` (the file's time)."""
    from datetime import datetime

    parts = []
    for root, path in files:
        run = run_of(path)
        if run is not None:
            try:
                rel = path.relative_to(root)
            except ValueError:
                rel = path
            bits = [f"run {run.get('run_id', '?')}", str(run.get("command") or run.get("kind") or ""),
                    f"ivr-text {run['version']}" if run.get("version") else "", str(run.get("created_utc") or "")]
            parts.append(f"{rel} ({' · '.join(b for b in bits if b)})")
            continue
        try:
            when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        except OSError:
            when = "?"
        try:
            rel = path.relative_to(root)
        except ValueError:
            rel = path
        parts.append(f"{rel} ({when})")
    return ", ".join(parts)


def optional(read: Callable[[], T]) -> T | None:
    """``read()``, or None when the output it reads is missing or unreadable (:class:`MissingData`)."""
    try:
        return read()
    except MissingData:
        return None


def not_found(names: Sequence[str], where: Path | None) -> MissingData:
    """``warnings.csv not found in DIR — written by `ivr-text churn signal` into that directory``."""
    text = f"{' / '.join(names)} not found" + (f" in {where}" if where else "")
    cmd = next((PRODUCERS[n] for n in names if n in PRODUCERS), None)
    return MissingData(text + (f"; it is written by `{cmd}` (no data for this section until that has run "
                               f"into this directory)" if cmd else ""))


class OutputDir:
    """One analysis output directory (``None`` or a missing path = nothing available)."""

    def __init__(self, path: Path | str | None, max_depth: int = 2):
        self.path = Path(path) if path is not None else None
        self.max_depth = max_depth

    @property
    def exists(self) -> bool:
        return self.path is not None and self.path.is_dir()

    def find(self, *names: str, skip: Callable[[Path], bool] | None = None) -> Path | None:
        """The file matching the first of ``names`` found (tried in order); ``skip`` sets files aside.

        Raises :class:`MixedRuns` naming them when that name occurs more than once under the folder (two
        runs' outputs side by side): a page shows one run, never a silent pick or mix. The file found is
        recorded for :func:`reading` (each section names the files it comes from)."""
        if not self.exists:
            return None
        for name in names:
            hits = []
            for depth in range(self.max_depth + 1):
                pattern = "/".join(["*"] * depth + [name])
                hits += sorted(p for p in self.path.glob(pattern) if p.is_file() and not (skip and skip(p)))
            if len(hits) > 1:
                shown = ", ".join(str(p.relative_to(self.path)) for p in hits)
                raise MixedRuns(f"{self.path}: more than one run's {name} ({shown}); a page shows one run: "
                                "move the other run's folder out, or give the report a folder holding one run")
            if hits:
                _record(self.path, hits[0])
                return hits[0]
        return None

    def table(self, *names: str, need: Sequence[str] = (), nrows: int | None = None,
              skip: Callable[[Path], bool] | None = None) -> pd.DataFrame:
        """Read the first of ``names`` found (``x.csv`` also finds ``x.parquet``); check columns ``need``."""
        candidates = []
        for n in names:
            candidates.append(n)
            stem = n.rsplit(".", 1)[0]
            candidates += [f"{stem}.parquet", f"{stem}.tsv", f"{stem}.jsonl"]
        path = self.find(*dict.fromkeys(candidates), skip=skip)
        if path is None:
            raise not_found(names, self.path)
        df = read_any(path, nrows=nrows)
        require(df, need, path.name)
        df.attrs["source"] = str(path)
        return df

    def json(self, *names: str) -> dict:
        path = self.find(*names)
        if path is None:
            raise not_found(names, self.path)
        try:
            obj = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError, RecursionError) as exc:  # (RecursionError: nested hundreds of levels deep)
            raise MissingData(f"{path.name}: not readable JSON ({exc})") from None
        if not isinstance(obj, dict):
            raise MissingData(f"{path.name}: expected a JSON object")
        obj.setdefault("_source", str(path))
        return obj

    def files(self, pattern: str = "*") -> list[Path]:
        if not self.exists:
            return []
        out = []
        for depth in range(self.max_depth + 1):
            out += sorted(p for p in self.path.glob("/".join(["*"] * depth + [pattern])) if p.is_file())
        return out


def read_any(path: Path, nrows: int | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/Parquet/JSON(L) output table; unreadable → :class:`MissingData`."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
            return df.head(nrows) if nrows else df
        if suffix == ".jsonl":
            return pd.read_json(path, lines=True, nrows=nrows)
        if suffix == ".json":
            return pd.read_json(path)
        return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",", encoding="utf-8-sig", nrows=nrows,
                           low_memory=False)
    except (OSError, ValueError, pd.errors.ParserError, ImportError) as exc:
        if isinstance(exc, pd.errors.EmptyDataError):
            raise MissingData(f"{path.name}: empty file") from None
        raise MissingData(f"{path.name}: not readable ({exc.__class__.__name__}: {str(exc)[:120]})") from None


def require(df: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise MissingData(f"{name} lacks column(s) {', '.join(repr(c) for c in missing)}")


def pick(df: pd.DataFrame, *candidates: str, default: str | None = None) -> str | None:
    """The first of ``candidates`` that is a column of ``df``."""
    for c in candidates:
        if c in df.columns:
            return c
    return default


def numeric(df: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(df[column], errors="coerce")
