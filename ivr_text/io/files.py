"""Input files before their rows: is it a readable file, which format, which encoding name, which header."""

from __future__ import annotations

import codecs
import csv
import json
from pathlib import Path

from ivr_text.errors import InputError, UsageError
from ivr_text.input_files import check_input_file
from ivr_text.io.encodings import detect_encoding
from ivr_text.io.schemas import FORMATS


def _check_encoding(path, encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"--encoding '{encoding}': unknown encoding for {path}") from None


def resolve_format(path: str | Path, fmt: str | None = None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt not in set(FORMATS.values()):
            raise UsageError(f"--format '{fmt}': unknown format for {path} (use csv, tsv, parquet, jsonl or json)")
        return fmt
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zip", ".xz") and len(suffixes) > 1:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in FORMATS:
        return FORMATS[suffixes[-1]]
    raise InputError(f"{path}: cannot tell the format from the extension; pass --format csv|tsv|parquet|jsonl")


def read_header(path: str | Path, fmt: str | None = None, encoding: str | None = None) -> list[str]:
    """Column names of a file, as written in it."""
    path = check_input_file(path)
    fmt = resolve_format(path, fmt)
    if encoding:
        _check_encoding(path, encoding)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise InputError(f"{path}: not a readable Parquet file ({exc.__class__.__name__})") from None
    enc = encoding or detect_encoding(path)
    with open(path, encoding=enc, errors="surrogateescape", newline="") as fh:
        if fmt in ("jsonl", "json"):
            for line in fh:
                line = line.strip()
                if line:
                    if line.startswith("["):
                        return []
                    try:
                        return list(json.loads(line).keys())
                    except (json.JSONDecodeError, AttributeError, RecursionError):
                        raise InputError(f"{path}: line 1 is not a JSON object") from None
            return []
        first = fh.readline()
    if not first.strip():
        return []
    return next(csv.reader([first], delimiter="\t" if fmt == "tsv" else ","))
