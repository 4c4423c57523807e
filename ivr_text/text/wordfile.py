"""Word files: the plain text files of dictionaries, stopwords, synonyms, units and regional variants.

:func:`read_lines` gives their non-blank, non-comment lines (``#`` starts a comment) with line numbers, from
UTF-8 (with or without BOM) or GB18030 text; a missing or undecodable file is one :class:`InputError`.
"""

from __future__ import annotations

from pathlib import Path

from ivr_text.errors import InputError

__all__ = ["read_lines"]


def read_lines(path: str | Path) -> list[tuple[int, str]]:
    """Non-blank, non-comment lines of a UTF-8 (or GB18030) text file with their line numbers."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: dictionary file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a dictionary file") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise InputError(f"{path}: dictionary is neither UTF-8 nor GB18030 text") from None
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append((i, line))
    return out
