"""Locate the shipped ``dictionaries/`` (user dictionary, stopwords, synonyms, taxonomy, rules).

In a wheel they live at ``ivr_text/dictionaries``; in a source checkout at the repository's top-level
``dictionaries/``. Both are found without the caller knowing which.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def dictionaries_dir() -> Path:
    """Directory holding the shipped dictionaries and config files."""
    for candidate in (_PACKAGE_DIR / "dictionaries", _PACKAGE_DIR.parent / "dictionaries"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("ivr_text: shipped dictionaries/ not found; reinstall the package")


def dictionary_path(name: str) -> Path:
    """Path of one shipped dictionary file, e.g. ``dictionary_path("taxonomy.yaml")``."""
    path = dictionaries_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"ivr_text: shipped dictionary {name!r} not found in {path.parent}")
    return path
