"""Inputs read straight from a SQL database (work-order systems, billing marts) through SQLAlchemy.

``iter_sql(url, query, kind)`` streams a query's result in chunks (a server-side cursor where the driver has one)
through the same column mapping, schema checks, typing and row accounting as files (:mod:`ivr_text.io`):
``Table.read == Table.used + len(Table.rejected)``; ``source_row`` is the row's number in the result (first row = 1).
``read_sql`` returns the whole result as one :class:`~ivr_text.io.Table`.

Credentials never show: every message and every ``Table.source`` names the URL with its password hidden
(``postgresql+psycopg://analyst:***@db/orders``). A URL can also come from the environment (``env:NAME``, or
``IVR_TEXT_DB_URL`` when none is given) or from a file (``@path``, first line), so it need not sit in shell
history. PostgreSQL, MySQL and SQLite are tested; any SQLAlchemy dialect whose driver is installed works
(``pip install "ivr-text[sql]"`` installs SQLAlchemy with the PostgreSQL and MySQL drivers).

>>> from ivr_text.sql import read_sql
>>> t = read_sql("sqlite:///orders.db", "SELECT id, body AS text, created AS ts FROM orders", "complaints")
... # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from ivr_text.errors import InputError

#: Environment variable read when no URL is given.
URL_ENV = "IVR_TEXT_DB_URL"


def resolve_url(spec: str | None) -> str:
    """The database URL ``spec`` stands for: a URL, ``env:NAME`` (that variable), ``@PATH`` (first line of a
    file), or None (``$IVR_TEXT_DB_URL``)."""
    if spec is None or spec == "":
        spec = f"env:{URL_ENV}"
    if spec.startswith("env:"):
        name = spec[4:]
        value = os.environ.get(name, "").strip()
        if not value:
            raise InputError(f"--db {spec}: environment variable {name} is not set")
        return value
    if spec.startswith("@"):
        path = Path(spec[1:]).expanduser()
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"--db {spec}: cannot read the URL file ({exc.__class__.__name__})") from None
        value = next((line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")), "")
        if not value:
            raise InputError(f"--db {spec}: the URL file is empty")
        return value
    return spec


def safe_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for messages and row accounting)."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: show only the scheme
        return url.split("://", 1)[0] + "://…" if "://" in url else "<database URL>"


def _scrub(message: str, url: str) -> str:
    """A driver's message with the URL's password (if any) removed, on one line."""
    try:
        from sqlalchemy.engine import make_url

        password = make_url(url).password
    except Exception:
        password = None
    text = " ".join(str(message).split())
    if password:
        text = text.replace(str(password), "***")
    return text.replace(url, safe_url(url))


def _short(query: str, width: int = 120) -> str:
    q = " ".join(query.split())
    return q if len(q) <= width else q[: width - 1] + "…"


def _engine(url: str):
    try:
        import sqlalchemy
    except ImportError:
        raise InputError('reading from a database needs SQLAlchemy: pip install "ivr-text[sql]"') from None
    from sqlalchemy import exc

    try:
        return sqlalchemy.create_engine(url)
    except exc.NoSuchModuleError:
        raise InputError(f"{safe_url(url)}: no SQLAlchemy dialect for this URL") from None
    except exc.ArgumentError as e:
        raise InputError(f"{safe_url(url)}: not a database URL ({_scrub(e, url)})") from None
    except ImportError as e:  # the dialect's driver (psycopg, pymysql, …) is not installed
        raise InputError(f"{safe_url(url)}: database driver not installed ({e.name or e}); "
                         f'pip install "ivr-text[sql]"') from None


def iter_sql(
    url: str,
    query: str,
    kind: str | None = None,
    *,
    mapping: Mapping[str, str] | Iterable[str] | None = None,
    columns: Iterable[str] | None = None,
    chunksize: int = 500_000,
    params: Mapping | None = None,
) -> Iterator:
    """Run ``query`` on the database at ``url`` and yield checked, typed :class:`~ivr_text.io.Table` chunks.

    Parameters
    ----------
    url : str
        SQLAlchemy URL, or ``env:NAME`` / ``@PATH`` / None (see :func:`resolve_url`).
    query : str
        One SELECT statement; ``:name`` placeholders are bound from ``params``.
    kind, mapping, columns, chunksize
        As for :func:`ivr_text.io.iter_table`: schema of an input kind, ``{canonical: result column}``,
        extra columns, rows per chunk.

    Returns
    -------
    Iterator of Table
        ``source`` is ``URL-without-password`` + the query; a database error is an :class:`InputError`
        naming both (never the password).
    """
    from ivr_text.io import SCHEMAS, _typed_table, parse_mapping
    from ivr_text.io.columns import select_columns

    url = resolve_url(url)
    if not query or not query.strip():
        raise InputError(f"{safe_url(url)}: --sql needs a query, e.g. --sql \"SELECT * FROM work_orders\"")
    schema = SCHEMAS[kind] if isinstance(kind, str) else kind
    mapping = parse_mapping(mapping)
    source = f"{safe_url(url)} [{_short(query, 80)}]"
    where = f"{safe_url(url)}: query {_short(query)!r}"
    engine = _engine(url)
    from sqlalchemy import exc, text

    try:
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, max_row_buffer=chunksize).execute(
                text(query), dict(params or {}))
            if not result.returns_rows:
                raise InputError(f"{where} returns no rows (use a SELECT)")
            header = [str(k) for k in result.keys()]
            selected, guessed, types = select_columns(source, header, schema, mapping, columns)
            start = 0
            while rows := result.fetchmany(chunksize):
                raw = pd.DataFrame.from_records(rows, columns=header)[list(selected)].rename(columns=selected)
                raw = raw.apply(_plain)
                source_rows = np.arange(start + 1, start + len(rows) + 1)
                start += len(rows)
                table = _typed_table(raw, source_rows, [], types, schema, source, None)
                table.guessed = guessed
                yield table
            if start == 0:
                yield _typed_table(pd.DataFrame(columns=list(selected.values())), np.arange(0), [], types, schema,
                                   source, None)
    except exc.SQLAlchemyError as e:
        orig = getattr(e, "orig", None) or e
        first = _scrub(str(orig).strip().splitlines()[0] if str(orig).strip() else orig.__class__.__name__, url)
        raise InputError(f"{where} failed: {first}") from None
    finally:
        engine.dispose()


def _plain(s: pd.Series) -> pd.Series:
    """Driver values as pandas understands them: Decimal → float, date/time objects → datetime64, bytes → text."""
    if s.dtype != object:
        return s
    sample = s.dropna()
    if sample.empty:
        return s
    first = sample.iloc[0]
    import datetime as dt
    from decimal import Decimal

    if isinstance(first, Decimal):
        return pd.to_numeric(s.map(lambda v: None if v is None else float(v)), errors="coerce")
    if isinstance(first, (dt.date, dt.datetime)):
        return pd.to_datetime(s, errors="coerce")
    if isinstance(first, (bytes, memoryview)):
        return s.map(lambda v: v if v is None else bytes(v).decode("utf-8", "surrogateescape"))
    return s


def read_sql(url: str, query: str, kind: str | None = None, **kwargs):
    """The whole result of ``query`` as one :class:`~ivr_text.io.Table` (arguments as :func:`iter_sql`)."""
    from ivr_text.io import concat_tables

    return concat_tables(list(iter_sql(url, query, kind, **kwargs)))


__all__ = ["iter_sql", "read_sql", "resolve_url", "safe_url", "URL_ENV"]
