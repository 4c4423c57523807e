"""The :class:`Table` of one input (used rows + rejected rows with reasons), joining tables, and the per-row
reasons of a chunk being checked (:class:`_Reasons`).

``Table.read == Table.used + len(Table.rejected)`` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Table:
    """Rows of one input file: ``data`` (used, typed, canonical column names) and ``rejected``.

    ``rejected`` holds the offending rows' values with ``source_row`` (line in a text file, counting the
    header as line 1; row number in Parquet) and ``reason``.
    """

    data: pd.DataFrame
    rejected: pd.DataFrame
    source: str
    read: int
    encoding: str | None = None
    kind: str | None = None
    #: {canonical: source header} for columns recognised by an alias (see ``dictionaries/columns.yaml``)
    guessed: dict = field(default_factory=dict)

    @property
    def used(self) -> int:
        return len(self.data)

    def reject(self, mask: pd.Series | np.ndarray, reason: str | pd.Series) -> int:
        """Move rows of ``data`` where ``mask`` is true to ``rejected`` with ``reason``; return how many."""
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n:
            rows = self.data.attrs.get("source_rows")
            aligned = rows is not None and len(rows) == len(self.data)
            bad = self.data.loc[mask].copy()
            bad.attrs = {}
            if aligned:
                bad.insert(0, "source_row", np.asarray(rows)[mask])
            bad["reason"] = reason if isinstance(reason, str) else np.asarray(reason)[mask]
            self.rejected = _concat([self.rejected, bad])
            self.data = self.data.loc[~mask].reset_index(drop=True)
            self.data.attrs = {"source_rows": np.asarray(rows)[~mask]} if aligned else {}
        return n

    def summary(self) -> str:
        """One line: ``FILE: read N = used U + rejected R``."""
        return f"{self.source}: read {self.read:,} = used {self.used:,} + rejected {len(self.rejected):,}"

    def top_reasons(self, k: int = 5) -> list[tuple[str, int]]:
        if self.rejected.empty:
            return []
        generic = self.rejected["reason"].astype(str).str.replace(r"(unparseable \w+ )'.*'$", r"\1'…'", regex=True)
        return list(generic.value_counts().head(k).items())


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f.columns)]
    if not frames:
        return pd.DataFrame(columns=["source_row", "reason"])
    nonempty = [f for f in frames if len(f)]
    if not nonempty:
        return frames[0].iloc[:0]
    return pd.concat(nonempty, ignore_index=True, sort=False)


def concat_tables(parts: list[Table]) -> Table:
    """One :class:`Table` from chunks of a file or from several files of one kind (sources joined by " + ";
    rows keep their ``source_row``; from several files, rejected rows also name their ``source_file``)."""
    first = parts[0]
    if len(parts) == 1:
        return first
    sources = list(dict.fromkeys(p.source for p in parts))
    rejected = [p.rejected.assign(source_file=p.source) if len(sources) > 1 and not p.rejected.empty else p.rejected
                for p in parts]
    rows = [p.data.attrs.pop("source_rows", np.array([], dtype=int)) for p in parts]
    data = pd.concat([p.data for p in parts], ignore_index=True)
    data.attrs["source_rows"] = np.concatenate(rows)
    return Table(
        data=data,
        rejected=_concat(rejected),
        source=" + ".join(sources),
        read=sum(p.read for p in parts),
        encoding=first.encoding,
        kind=first.kind,
        guessed={k: v for p in parts for k, v in p.guessed.items()},
    )


def first_problem(table: Table) -> str | None:
    """The first rejected row as a one-line message naming file, column and row (for ``--strict``)."""
    if table.rejected.empty:
        return None
    row = table.rejected.iloc[0]
    where = "row" if table.source.endswith((".parquet", ".pq")) else "line"
    return f"{table.source}: {where} {row['source_row']}: {row['reason']}"


class _Reasons:
    """Per-row rejection reasons for one chunk (first reason wins)."""

    def __init__(self, index: pd.Index):
        self.index = index
        self.has = np.zeros(len(index), dtype=bool)
        self.values = np.full(len(index), None, dtype=object)

    def add(self, mask: pd.Series | np.ndarray, reason: str | pd.Series) -> None:
        mask = np.asarray(mask, dtype=bool) & ~self.has
        if mask.any():
            self.values[mask] = reason if isinstance(reason, str) else np.asarray(reason, dtype=object)[mask]
            self.has |= mask

    @property
    def reason(self) -> pd.Series:
        return pd.Series(self.values, index=self.index, dtype="object").where(self.has, pd.NA)
