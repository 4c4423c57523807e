"""Table I/O shared by every command: formats, encodings, column mapping, schema checks, rejected rows.

``read_table`` / ``iter_table`` read CSV, TSV, Parquet and JSON Lines (by extension or ``fmt``), detect
UTF-8 (with or without BOM), GBK and GB18030, rename columns through a mapping ({canonical: source}), check
the schema of an input kind, convert values, and move every unusable row into ``Table.rejected`` with a
``reason``. ``Table.read == Table.used + len(Table.rejected)`` always holds.

Memory: ``iter_table`` reads ``chunksize`` rows at a time and only the columns the kind needs, so peak
memory is bounded by one chunk plus what the caller keeps. ``write_table`` writes CSV (UTF-8 with BOM, so
Excel shows Chinese correctly), TSV, Parquet, JSON and JSON Lines.

Speed: UTF-8 CSV/TSV goes through the Arrow CSV reader (parallel, UTF-8 checked natively); a malformed row,
undecodable bytes or anything else it cannot take sends the rest of the file through pandas (same rows,
line numbers and reasons; property-tested). Other encodings and JSON go through pandas/Python. Text columns
a caller names in ``dictionary`` stay dictionary codes (Parquet ``read_dictionary``, Arrow dictionary CSV
columns), cleaned on their dictionaries (figures: ``benchmarks/bench_io.py`` and the README).

One module per concern:

* :mod:`~ivr_text.io.schemas`: column types, the schema of each input kind, formats, reading conventions;
* :mod:`~ivr_text.io.tables`: :class:`Table` (used + rejected rows) and joining tables;
* :mod:`~ivr_text.io.files`: file checks, format, header; :mod:`~ivr_text.io.encodings`: detection, repair;
* :mod:`~ivr_text.io.columns`: ``--map`` mappings, header aliases, the columns a schema needs;
* :mod:`~ivr_text.io.csv_chunks` (Arrow CSV reader, pandas fallback), :mod:`~ivr_text.io.lines` (record →
  file line), :mod:`~ivr_text.io.other_chunks` (Parquet, JSON Lines): raw chunks;
* :mod:`~ivr_text.io.convert` (typing values), :mod:`~ivr_text.io.checks` (typed, checked chunks);
* :mod:`~ivr_text.io.reading` (:func:`iter_table`, :func:`read_table`), :mod:`~ivr_text.io.writing`.

Every name below is importable from ``ivr_text.io`` as before the split.
"""

from __future__ import annotations

from ivr_text.errors import InputError, UsageError
from ivr_text.io.checks import _typed_table  # noqa: F401
from ivr_text.io.columns import _check_columns, column_aliases, guess_columns, parse_mapping  # noqa: F401
from ivr_text.io.convert import _to_bool, _to_datetime, _to_number, _to_period, _to_str, snippet  # noqa: F401
from ivr_text.io.csv_chunks import _ARROW_ENCODINGS  # noqa: F401
from ivr_text.io.encodings import detect_encoding
from ivr_text.io.files import check_input_file, read_header, resolve_format
from ivr_text.io.lines import _LineMap  # noqa: F401
from ivr_text.io.reading import iter_table, read_table
from ivr_text.io.schemas import FORMATS, MAX_NUMBER, READING, SCHEMAS, TYPES, Schema, set_reading
from ivr_text.io.tables import Table, _Reasons, concat_tables, first_problem  # noqa: F401
from ivr_text.io.writing import _jsonable, write_json, write_rejected, write_table  # noqa: F401

__all__ = [
    "SCHEMAS", "Schema", "Table", "detect_encoding", "iter_table", "read_table", "read_header",
    "parse_mapping", "write_table", "write_rejected", "write_json", "first_problem", "resolve_format",
    "column_aliases", "guess_columns", "concat_tables", "snippet", "check_input_file", "set_reading",
    "READING", "MAX_NUMBER", "TYPES", "FORMATS", "InputError", "UsageError",
]
