"""Settings as data: one way to read them from YAML for every analysis.

:func:`merged_settings` reads a shipped file of ``dictionaries/`` (the defaults, with their comments), merges
a user's YAML file and then ``overrides`` over it key by key, and checks what the user gave against the
defaults: an unknown key (a typo such as ``decline_treshold``) or text where a number belongs is one
:class:`InputError` naming file and key, never a silently ignored line. :func:`settings_object` turns a
mapping (or a YAML file) into a settings dataclass with the same checks. Neither changes its inputs.
"""

from __future__ import annotations

import copy
import difflib
import functools
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Iterable, Mapping

from ivr_text.errors import InputError
from ivr_text.resources import deep_merge, dictionary_path, read_yaml

__all__ = ["merged_settings", "check_settings", "settings_object"]


def _unknown(name: str, key, known: Iterable) -> str:
    known = [str(k) for k in known]
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(known)})"
    return f"unknown setting '{name}'{hint}"


def check_settings(user: Mapping, default: Mapping, source: str, where: str = "", *,
                   open_keys: Iterable[str] = ()) -> None:
    """Raise :class:`InputError` for keys of ``user`` absent from ``default`` or values of the wrong kind.

    ``open_keys``: dotted names (``usage.weights``) of mappings whose keys are the user's own (not checked).
    """
    open_keys = tuple(open_keys)
    if not isinstance(user, Mapping):
        raise InputError(f"{source}: '{where}' must be a mapping of settings" if where
                         else f"{source}: expected a mapping of settings")
    for key, value in user.items():
        name = f"{where}.{key}" if where else str(key)
        if key not in default:
            raise InputError(f"{source}: {_unknown(name, key, default)}")
        ref = default[key]
        if isinstance(ref, Mapping):
            if value is not None and ref and name not in open_keys:
                check_settings(value, ref, source, name, open_keys=open_keys)
            elif value is not None and not isinstance(value, Mapping):
                raise InputError(f"{source}: '{name}' must be a mapping, e.g. {{bill: 0.6, minutes: 0.4}}")
        elif isinstance(ref, (int, float)) and not isinstance(ref, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"{source}: '{name}' must be a number, got {value!r}")


@functools.lru_cache(maxsize=16)
def _shipped(name: str) -> dict:
    return read_yaml(dictionary_path(name), "shipped settings file")


def merged_settings(shipped: str, path: str | Path | None = None, overrides: Mapping | None = None, *,
                    open_keys: Iterable[str] = (), replace_keys: Iterable[str] = ()) -> dict:
    """The shipped settings file ``shipped`` merged with the user's YAML ``path`` and then ``overrides``.

    Nested mappings merge key by key, except the top-level keys in ``replace_keys``, which a user's value
    replaces whole; every user key is checked with :func:`check_settings`. The result is a new dict.
    """
    config = copy.deepcopy(_shipped(shipped))
    replace_keys = set(replace_keys)
    user = read_yaml(path, "settings file", mapping=False) if path is not None else None
    if path is not None and user is not None and not isinstance(user, Mapping):
        raise InputError(f"{path}: expected a mapping of settings")
    for source, extra in ((str(path), user), ("overrides", overrides)):
        if not extra:
            continue
        check_settings(extra, config, source, open_keys=(*open_keys, *replace_keys))
        whole = {k: copy.deepcopy(v) for k, v in extra.items() if k in replace_keys}
        config = {**deep_merge(config, {k: v for k, v in extra.items() if k not in replace_keys}), **whole}
    return config


def settings_object(cls, values: Mapping | str | Path | None = None, source: str | None = None, **options):
    """A settings dataclass ``cls`` from defaults, then ``values`` (a mapping, or a YAML file of them), then
    ``options`` that are not None. Unknown names are an :class:`InputError`; lists become tuples where the
    default is a tuple (YAML has no tuples)."""
    if not is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    if isinstance(values, (str, Path)):
        source = source or str(values)
        values = read_yaml(values, "config file")
    source = source or "settings"
    known = {f.name: f for f in fields(cls) if f.init}
    merged = {**(values or {}), **{k: v for k, v in options.items() if v is not None}}
    for key in merged:
        if key not in known:
            raise InputError(f"{source}: {_unknown(key, key, sorted(known))}")
    defaults = cls()
    for key, value in merged.items():
        if isinstance(getattr(defaults, key), tuple) and isinstance(value, list):
            merged[key] = tuple(value)
    return cls(**merged)
