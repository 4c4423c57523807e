"""Locate the shipped ``dictionaries/`` (user dictionary, stopwords, synonyms, taxonomy, rules).

In a wheel they live at ``ivr_text/dictionaries``; in a source checkout at the repository's top-level
``dictionaries/``. Both are found without the caller knowing which.
"""

from __future__ import annotations

from pathlib import Path

from ivr_text.errors import InputError
from ivr_text.input_files import check_input_file

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


#: Config files (menus, taxonomies, rules, settings) are small; a larger one is refused before parsing.
MAX_CONFIG_BYTES = 64 << 20


def read_yaml(path: str | Path, what: str = "YAML file", *, mapping: bool = True):
    """Parse a YAML (or JSON) config file; a missing, unreadable, malformed, oversized or absurdly nested
    file is one clear InputError naming it.

    With ``mapping`` the top level must be a mapping.
    """
    import yaml

    path = check_input_file(path, what)
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise InputError(f"{path}: {what} of {path.stat().st_size / 1e6:,.0f} MB is too large "
                         f"(limit {MAX_CONFIG_BYTES >> 20} MB)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path}: not a readable {what} ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise InputError(f"{path}: {what} nested too deeply to read") from None
    if _has_surrogates(data):
        raise InputError(f"{path}: {what} holds a lone surrogate (an invalid \\ud800-style escape)")
    if mapping and not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping at the top level of the {what}")
    return data


def deep_merge(base: dict, override: dict) -> dict:
    """``base`` updated with ``override``, nested mappings merged key by key (neither input is changed)."""
    import copy

    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _has_surrogates(obj, depth: int = 0) -> bool:
    """True if a string anywhere in ``obj`` holds a lone surrogate (they cannot be written as UTF-8)."""
    import re

    if isinstance(obj, str):
        return re.search("[\ud800-\udfff]", obj) is not None
    if depth > 200:
        return False
    if isinstance(obj, dict):
        return any(_has_surrogates(k, depth + 1) or _has_surrogates(v, depth + 1) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return any(_has_surrogates(v, depth + 1) for v in obj)
    return False
