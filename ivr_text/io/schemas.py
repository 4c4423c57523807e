"""Input kinds and reading conventions: column types, the schema of each input kind, file formats by extension.

:data:`READING` holds this process's conventions (decimal separator, plausible dates), set by
:func:`set_reading` (the CLI does, from ``--decimal`` and ``--date-window``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

import pandas as pd

from ivr_text.errors import InputError


#: Column types understood by the converters. ``keep``: a column the caller passes through without using it
#: (read as text, never a reason to reject a row). ``period``: a month, as ``YYYY-MM``; ``usage_period``: a
#: month, ISO week or date (:mod:`ivr_text.io.periods`), as ``YYYY-MM``, ``YYYY-Www`` or ``YYYY-MM-DD``.
TYPES = ("str", "text", "datetime", "float", "int", "period", "usage_period", "bool", "keep")

#: Reading conventions of this process (the CLI sets them from ``--decimal`` and ``--date-window``):
#: the decimal separator of numbers in text files, and the dates that are plausible at all (others are
#: rejected with a reason: a year 1900 or 9999 is a typo or a placeholder, not a complaint date).
READING = {"decimal": ".", "date_window": (pd.Timestamp("1990-01-01"), pd.Timestamp("2100-01-01"))}

#: Largest magnitude accepted as a number (larger values are data errors that overflow sums and models).
MAX_NUMBER = 1e15


def set_reading(decimal: str | None = None, date_window: tuple | None = None) -> None:
    """Set this process's reading conventions: ``decimal`` "." or ","; ``date_window`` (first, end) dates."""
    if decimal is not None:
        if decimal not in (".", ","):
            raise InputError(f"--decimal {decimal!r}: use . or ,")
        READING["decimal"] = decimal
    if date_window is not None:
        lo, hi = (pd.Timestamp(d) for d in date_window)
        if not lo < hi:
            raise InputError(f"--date-window: {lo.date()} is not before {hi.date()}")
        READING["date_window"] = (lo, hi)


@dataclass(frozen=True)
class Schema:
    """Columns an input kind needs (``required``) and may carry (``optional``), with their types.

    ``extra_numeric``: keep every other column that is numeric (e.g. usage measures).
    """

    kind: str
    required: Mapping[str, str]
    optional: Mapping[str, str] = field(default_factory=dict)
    extra_numeric: bool = False

    @property
    def columns(self) -> dict[str, str]:
        return {**self.required, **self.optional}

    def using(self, columns: Iterable[str]) -> "Schema":
        """This schema for a caller that uses only ``columns`` of the optional ones: the others are passed through
        as text (type ``keep``), so a bad value there never rejects a row."""
        used = set(columns)
        return Schema(self.kind, self.required, {c: t if c in used else "keep" for c, t in self.optional.items()},
                      self.extra_numeric)


SCHEMAS: dict[str, Schema] = {
    s.kind: s
    for s in [
        Schema(
            "ivr_events",
            {"call_id": "str", "ts": "datetime", "node": "str", "event": "str"},
            {"key": "str", "segment": "str", "caller_id": "str"},
        ),
        Schema(
            "call_records",
            {"call_id": "str", "ivr_start": "datetime", "ivr_end": "datetime", "outcome": "str"},
            {
                "service": "str", "segment": "str", "caller_id": "str",
                "queue_start": "datetime", "queue_end": "datetime",
                "agent_start": "datetime", "agent_end": "datetime",
            },
        ),
        Schema(
            "complaints",
            {"text": "text"},
            {"id": "str", "label": "str", "cause": "str", "ts": "datetime",
             "customer_id": "str", "channel": "str"},
        ),
        Schema(
            "feedback",
            {"customer_id": "str", "ts": "datetime"},
            {"cause": "str", "channel": "str"},
        ),
        Schema("usage", {"customer_id": "str", "period": "usage_period"}, {}, extra_numeric=True),
        Schema("labels", {"customer_id": "str", "churned": "bool"}, {"churn_period": "period"}),
    ]
}

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
}
