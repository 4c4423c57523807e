"""Read the tokeniser's word lists: user dictionaries, stopwords, synonyms, units (plain UTF-8 text files).

Formats (``#`` starts a comment line, blank lines are ignored):

- user dictionary — jieba's format, ``word [freq] [tag]`` per line; a word may contain spaces only if it is
  given alone on its line.
- stopwords — one word per line.
- synonyms — ``variant, variant, ... => canonical`` (Solr style) or ``canonical, variant, ...`` (first word is
  canonical); ``,`` ``，`` ``|`` and tabs separate words.
- units — one unit per line (元, 兆, gb, 个月, ...): a number followed by a unit becomes one token (59元).

Every word is normalised like the text it will meet (Traditional → Simplified, half-width, lower case), so a
dictionary may be written in either script and any case. The shipped lists live in ``dictionaries/``; user
files are added to them (``default_dicts=False`` in :class:`~ivr_text.text.Tokenizer` leaves them out).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from ivr_text.errors import InputError
from ivr_text.text.normalize import normalize_text
from ivr_text.text.wordfile import read_lines

__all__ = ["read_lines", "load_user_words", "load_stopwords", "load_synonyms", "load_units", "as_paths",
           "SHIPPED_USER_DICT", "SHIPPED_STOPWORDS", "SHIPPED_SYNONYMS", "SHIPPED_UNITS"]

SHIPPED_USER_DICT = "telecom_dict.txt"
SHIPPED_STOPWORDS = "stopwords.txt"
SHIPPED_SYNONYMS = "synonyms.txt"
SHIPPED_UNITS = "units.txt"

_SYN_SPLIT = re.compile(r"\s*[,，|\t]\s*")
_USERDICT_LINE = re.compile(r"^(.+?)(?:\s+([0-9]+))?(?:\s+([A-Za-z]+))?$")  # jieba's user-dictionary line


def as_paths(value: str | Path | Iterable[str | Path] | None) -> tuple[Path, ...]:
    """``None`` → (), one path → (path,), several → tuple of paths."""
    if value is None:
        return ()
    if isinstance(value, (str, Path)):
        return (Path(value),)
    return tuple(Path(v) for v in value)


def _norm(word: str) -> str:
    return normalize_text(word, mask=False)


def load_user_words(paths: Iterable[Path]) -> dict[str, int | None]:
    """Words of jieba-format dictionaries → {normalised word: frequency or None}. Later files win."""
    words: dict[str, int | None] = {}
    for path in paths:
        for lineno, line in read_lines(path):
            m = _USERDICT_LINE.match(line)
            word = m.group(1).strip()
            freq = int(m.group(2)) if m.group(2) else None
            word = _norm(word)
            if not word:
                raise InputError(f"{path}: line {lineno}: empty word")
            words[word] = freq
    return words


def load_stopwords(paths: Iterable[Path]) -> frozenset[str]:
    """Stopwords of one-word-per-line files, normalised."""
    return frozenset(w for path in paths for _, line in read_lines(path) if (w := _norm(line)))


def load_synonyms(paths: Iterable[Path]) -> dict[str, str]:
    """Synonym files → {variant: canonical} (canonicals map to themselves). Later lines win."""
    mapping: dict[str, str] = {}
    for path in paths:
        for lineno, line in read_lines(path):
            if "=>" in line:
                left, _, right = line.partition("=>")
                canonical = _norm(right)
                variants = [_norm(v) for v in _SYN_SPLIT.split(left.strip())]
            else:
                words = [_norm(v) for v in _SYN_SPLIT.split(line)]
                canonical, variants = words[0], words[1:]
            variants = [v for v in variants if v]
            if not canonical or not variants:
                raise InputError(f"{path}: line {lineno}: expected 'variant, ... => canonical', got {line!r}")
            mapping[canonical] = canonical
            for v in variants:
                mapping[v] = canonical
    return mapping


def load_units(paths: Iterable[Path]) -> frozenset[str]:
    """Units that join a preceding number into one token."""
    return load_stopwords(paths)
