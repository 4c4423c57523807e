"""Columns: ``--map`` mappings, header aliases (``dictionaries/columns.yaml``) and the columns a schema needs."""

from __future__ import annotations

import re
from typing import Iterable, Mapping

from ivr_text.errors import InputError
from ivr_text.io.schemas import Schema
from ivr_text.resources import dictionary_path, read_yaml


def parse_mapping(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["call_id=CALLID", "ts=EVENT_TIME"]`` → ``{"call_id": "CALLID", "ts": "EVENT_TIME"}``."""
    if not items:
        return {}
    if isinstance(items, Mapping):
        return dict(items)
    out: dict[str, str] = {}
    for item in items:
        canonical, sep, source = item.partition("=")
        if not sep or not canonical.strip() or not source.strip():
            raise InputError(f"--map '{item}': expected CANONICAL=SOURCE, e.g. --map call_id=CALLID")
        out[canonical.strip()] = source.strip()
    return out


_ALIASES: dict[str, str] = {}


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", str(name)).casefold()


def column_aliases() -> dict[str, str]:
    """{normalised header name: canonical column} from the shipped ``columns.yaml`` (canonical names included)."""
    if not _ALIASES:
        table = read_yaml(dictionary_path("columns.yaml"), "column alias file")
        for canonical, names in table.items():
            for name in [canonical, *(names or [])]:
                key = _header_key(name)
                if _ALIASES.get(key, canonical) != canonical:
                    raise ValueError(f"columns.yaml: '{name}' is listed under both {_ALIASES[key]} and {canonical}")
                _ALIASES[key] = canonical
    return _ALIASES


def guess_columns(header: list[str], wanted: Iterable[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """{canonical: header} for each wanted column that is neither in ``header`` nor mapped, when exactly one
    header (not itself wanted, not already mapped) is a known alias of it."""
    aliases = column_aliases()
    wanted = list(dict.fromkeys(wanted))
    taken = set(mapping.values()) | (set(header) & set(wanted))
    guesses: dict[str, str] = {}
    for canonical in wanted:
        if canonical in header or canonical in mapping:
            continue
        hits = [h for h in header if h not in taken and aliases.get(_header_key(h)) == canonical]
        if len(hits) == 1:
            guesses[canonical] = hits[0]
            taken.add(hits[0])
    return guesses


def _check_columns(path, header: list[str], schema: Schema | None, mapping: dict[str, str],
                   wanted: Iterable[str] | None) -> dict[str, str]:
    """Return {source column: canonical column} to read; raise on missing or duplicate columns.

    Columns of the schema (and ``wanted``) missing from the header are looked up by alias first; the guesses
    are added to ``mapping`` (the caller reports them).
    """
    if not header:
        raise InputError(f"{path}: empty file (no header row)")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputError(f"{path}: duplicate column '{name}' in the header")
        seen.add(name)
    for canonical, source in mapping.items():
        if source not in seen:
            raise InputError(f"{path}: column '{source}' (mapped to {canonical}) not found; "
                             f"columns are: {', '.join(header[:20])}")
    mapping.update(guess_columns(header, [*(schema.columns if schema else []), *(wanted or [])], mapping))
    source_of = {c: c for c in header if c not in mapping.values()}
    source_of.update({canon: src for canon, src in mapping.items()})
    if schema is None:
        cols = list(wanted) if wanted else list(source_of)
        missing = [c for c in cols if c not in source_of]
        if missing:
            raise InputError(f"{path}: missing column '{missing[0]}'")
        return {source_of[c]: c for c in cols}
    for col in schema.required:
        if col not in source_of:
            hint = f"; use --map {col}=YOUR_COLUMN" if header else ""
            raise InputError(f"{path}: missing required column '{col}' for {schema.kind}{hint} "
                             f"(columns: {', '.join(header[:20])})")
    keep = [c for c in schema.columns if c in source_of]
    if wanted:
        for c in wanted:
            if c not in source_of:
                raise InputError(f"{path}: missing column '{c}'; use --map {c}=YOUR_COLUMN "
                                 f"(columns: {', '.join(header[:20])})")
            if c not in keep:
                keep.append(c)
    if schema.extra_numeric and not wanted:
        keep += [c for c in source_of if c not in keep]
    return {source_of[c]: c for c in keep}


def select_columns(source, header: list[str], schema: Schema | None, mapping: dict[str, str],
                   columns: Iterable[str] | None) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """What to read from a source with ``header``: ``(selected, guessed, types)`` — {source column: canonical}
    (checked by :func:`_check_columns`), the columns found by alias ({canonical: source header}) and the type of
    each canonical column (the schema's; ``columns`` beyond it are text)."""
    wanted = list(columns) if columns else None
    given = dict(mapping)
    selected = _check_columns(source, header, schema, mapping, wanted)
    guessed = {k: v for k, v in mapping.items() if k not in given}
    types = dict(schema.columns) if schema else {}
    for c in wanted or []:
        types.setdefault(c, "text" if c == "text" else "str")
    return selected, guessed, types
