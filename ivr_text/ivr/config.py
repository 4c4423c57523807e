"""Settings of the IVR analysis, read from ``dictionaries/ivr.yaml`` or a user's copy (config as data).

Guarantees: unknown keys are an :class:`InputError` naming the key; missing keys take the shipped defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ivr_text.errors import InputError
from ivr_text.settings import merged_settings

EVENTS = ("enter", "key", "no_input", "no_match", "transfer", "hangup", "complete")
TERMINAL = ("complete", "transfer", "hangup")
OUTCOMES = ("complete", "transfer", "hangup", "unknown")

SEPARATORS = re.compile(r"[\s_\-]+")


def spelling(value) -> str:
    """How event and outcome names are compared: case, spaces, '_' and '-' ignored ("Hang Up" = hangup)."""
    return SEPARATORS.sub("", str(value)).casefold()


@dataclass
class IvrConfig:
    """All thresholds of the analysis; see ``dictionaries/ivr.yaml`` for their meaning."""

    event_aliases: dict[str, list[str]] = field(default_factory=dict)
    outcome_aliases: dict[str, list[str]] = field(default_factory=dict)
    unknown_callers: list[str] = field(default_factory=list)
    max_call_seconds: float = 14400
    repeat_window_hours: float = 24
    hotspots: dict = field(default_factory=dict)
    advice: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)
    advice_text: dict = field(default_factory=dict)
    agent_node_names: list[str] = field(default_factory=list)
    timing: dict = field(default_factory=dict)
    hours: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)
    conformance: dict = field(default_factory=dict)

    def event_lookup(self) -> dict[str, str]:
        """:func:`spelling` of each known name → canonical event name."""
        out = {spelling(e): e for e in EVENTS}
        for canon, names in self.event_aliases.items():
            if canon not in EVENTS:
                raise InputError(f"ivr config: event_aliases: unknown event '{canon}' (use {', '.join(EVENTS)})")
            out.update({spelling(n): canon for n in names})
        return out

    def outcome_lookup(self) -> dict[str, str]:
        """:func:`spelling` of each known name → canonical outcome."""
        out = {spelling(o): o for o in OUTCOMES}
        for canon, names in self.outcome_aliases.items():
            if canon not in OUTCOMES:
                raise InputError(f"ivr config: outcome_aliases: unknown outcome '{canon}' "
                                 f"(use {', '.join(OUTCOMES)})")
            out.update({spelling(n): canon for n in names})
        return out


def load_config(path: str | Path | None = None, **overrides) -> IvrConfig:
    """Shipped defaults, updated from ``path`` (YAML) and then from ``overrides`` (``hotspots={"min_calls": 5}``),
    checked key by key (:func:`ivr_text.settings.merged_settings`); a user's alias lists replace the shipped ones."""
    data = merged_settings("ivr.yaml", path, {k: v for k, v in overrides.items() if v is not None},
                           replace_keys=("event_aliases", "outcome_aliases"))
    return IvrConfig(**data)
