"""Load the churn YAML configs (``quality_rules.yaml``, ``churn_rules.yaml``): shipped defaults or a user's file.

A user's ``churn_rules.yaml`` may set only what it changes: it is merged over the shipped defaults.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from ivr_text.errors import InputError
from ivr_text.resources import deep_merge, dictionary_path, read_yaml


def churn_config(path: str | Path | None = None, overrides: dict | None = None) -> dict:
    """The churn signal settings: shipped ``churn_rules.yaml`` merged with ``path`` and ``overrides``.

    A user's file is checked against the shipped one: an unknown key (a typo such as ``decline_treshold``)
    or a text where a number belongs is an :class:`InputError` naming the key, not a silently ignored line.
    """
    config = read_yaml(dictionary_path("churn_rules.yaml"))
    for source, extra in ((path, read_yaml(path) if path is not None else None), ("overrides", overrides)):
        if extra:
            check_keys(extra, config, str(source))
            config = deep_merge(config, extra)
    return config


#: settings whose keys are the user's own (measure or feature names; model settings are checked by ModelConfig)
OPEN_MAPPINGS = ("usage.weights", "model.monotone", "model.settings", "feature_labels")


def check_keys(user: dict, default: dict, source: str, where: str = "") -> None:
    """Raise :class:`InputError` for keys of ``user`` absent from ``default`` or values of the wrong kind."""
    if not isinstance(user, dict):
        raise InputError(f"{source}: '{where}' must be a mapping of settings" if where else f"{source}: expected a mapping of settings")
    for key, value in user.items():
        name = f"{where}.{key}" if where else str(key)
        if key not in default:
            close = difflib.get_close_matches(str(key), [str(k) for k in default], n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(map(str, default))})"
            raise InputError(f"{source}: unknown setting '{name}'{hint}")
        ref = default[key]
        if isinstance(ref, dict):
            if value is not None and ref and name not in OPEN_MAPPINGS:
                check_keys(value, ref, source, name)
            elif value is not None and not isinstance(value, dict):
                raise InputError(f"{source}: '{name}' must be a mapping, e.g. {{bill: 0.6, minutes: 0.4}}")
        elif isinstance(ref, (int, float)) and not isinstance(ref, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InputError(f"{source}: '{name}' must be a number, got {value!r}")


#: keys a quality rule may have (see the comments at the top of quality_rules.yaml)
RULE_KEYS = ("name", "description", "severity", "expr", "check", "columns", "applicable_only", "keep", "inclusive")


def quality_rules(path: str | Path | None = None) -> list[dict]:
    """The quality rules list (a user's file replaces the shipped one)."""
    source = Path(path) if path is not None else dictionary_path("quality_rules.yaml")
    rules = read_yaml(source).get("rules")
    if not isinstance(rules, list) or not rules:
        raise InputError(f"{source}: expected a non-empty 'rules:' list")
    names = set()
    for i, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or "name" not in rule:
            raise InputError(f"{source}: rule {i} has no 'name'")
        if ("expr" in rule) == ("check" in rule):
            raise InputError(f"{source}: rule '{rule['name']}' needs exactly one of 'expr' or 'check'")
        if rule["name"] in names:
            raise InputError(f"{source}: duplicate rule name '{rule['name']}'")
        unknown = [k for k in rule if k not in RULE_KEYS]
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), RULE_KEYS, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else f" (known: {', '.join(RULE_KEYS)})"
            raise InputError(f"{source}: rule '{rule['name']}': unknown key '{unknown[0]}'{hint}")
        if rule.get("severity", "error") not in ("error", "warning"):
            raise InputError(f"{source}: rule '{rule['name']}': severity must be error or warning")
        names.add(rule["name"])
    return rules
