"""Load the churn YAML configs (``quality_rules.yaml``, ``churn_rules.yaml``): shipped defaults or a user's file.

A user's ``churn_rules.yaml`` may set only what it changes: it is merged over the shipped defaults.
"""

from __future__ import annotations

from pathlib import Path

from ivr_text.errors import InputError
from ivr_text.resources import deep_merge, dictionary_path, read_yaml


def churn_config(path: str | Path | None = None, overrides: dict | None = None) -> dict:
    """The churn signal settings: shipped ``churn_rules.yaml`` merged with ``path`` and ``overrides``."""
    config = read_yaml(dictionary_path("churn_rules.yaml"))
    if path is not None:
        config = deep_merge(config, read_yaml(path))
    if overrides:
        config = deep_merge(config, overrides)
    return config


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
        if rule.get("severity", "error") not in ("error", "warning"):
            raise InputError(f"{source}: rule '{rule['name']}': severity must be error or warning")
        names.add(rule["name"])
    return rules
