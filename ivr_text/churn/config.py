"""Load the churn YAML configs (``quality_rules.yaml``, ``churn_rules.yaml``): shipped defaults or a user's file.

A user's ``churn_rules.yaml`` may set only what it changes: it is merged over the shipped defaults.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from ivr_text.errors import InputError
from ivr_text.resources import dictionary_path, read_yaml
from ivr_text.settings import merged_settings


def churn_config(path: str | Path | None = None, overrides: dict | None = None) -> dict:
    """The churn signal settings: shipped ``churn_rules.yaml`` merged with ``path`` and ``overrides``.

    A user's file is checked against the shipped one (:func:`ivr_text.settings.merged_settings`): an unknown
    key (a typo such as ``decline_treshold``) or a text where a number belongs is an :class:`InputError`
    naming the key, not a silently ignored line.
    """
    return merged_settings("churn_rules.yaml", path, overrides, open_keys=OPEN_MAPPINGS)


#: settings whose keys are the user's own (measure or feature names; model settings are checked by ModelConfig)
OPEN_MAPPINGS = ("usage.weights", "model.monotone", "model.settings", "feature_labels")


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
