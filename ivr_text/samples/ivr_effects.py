"""Planted IVR effects a caller can ask for: listening seconds per announced option, an hour-of-day multiplier on
every hang-up probability (parsed from the ``ivr-text samples`` option strings).
"""

from __future__ import annotations

import numpy as np

from ivr_text.samples.menu import _Menu
from ivr_text.samples.params import PARAMS


def _per_option_seconds(menu: _Menu, option_seconds) -> np.ndarray:
    """Listening seconds per announced option of each menu: ``prompt_per_option_s``, or the planted
    ``option_seconds`` (one number for every menu, or ``{menu id: seconds}``)."""
    out = np.full(len(menu.ids), float(PARAMS["prompt_per_option_s"]))
    if option_seconds is None:
        return out
    if isinstance(option_seconds, dict):
        for nid, v in option_seconds.items():
            if nid not in menu.ids:
                raise ValueError(f"option seconds: no menu node '{nid}'")
            out[menu.ids.index(nid)] = float(v)
    else:
        out[:] = float(option_seconds)
    if (out < 0).any():
        raise ValueError("option seconds must not be negative")
    return out


def parse_option_seconds(text: str | None):
    """``"2.5"`` → 2.5; ``"root=2.5,bill=1"`` → ``{"root": 2.5, "bill": 1.0}``; None → None."""
    if text is None or not str(text).strip():
        return None
    try:
        if "=" not in text:
            return float(text)
        return {k.strip(): float(v) for k, v in (part.split("=", 1) for part in text.split(",") if part.strip())}
    except ValueError:
        raise ValueError(f"option seconds: expected a number or MENU=SECONDS,…, got '{text}'") from None


def parse_hour_effect(text: str | None) -> dict[int, float] | None:
    """``"1-5=6"`` → {1: 6.0, …, 5: 6.0}; ``"0,23=3;12=2"`` → {0: 3.0, 23: 3.0, 12: 2.0}; None → None."""
    if text is None or not str(text).strip():
        return None
    out: dict[int, float] = {}
    try:
        for part in text.split(";"):
            hours, value = part.split("=", 1)
            for h in hours.split(","):
                a, _, b = h.strip().partition("-")
                out.update({x: float(value) for x in range(int(a), int(b or a) + 1)})
    except ValueError:
        raise ValueError(f"hour hang-up effect: expected HOURS=MULTIPLIER (e.g. 1-5=6), got '{text}'") from None
    return out


def _hour_multiplier(hours: np.ndarray, hour_hangup) -> np.ndarray | None:
    """Per call: the planted hang-up multiplier of its start hour (``{hour: multiplier}``), or None."""
    if not hour_hangup:
        return None
    mult = np.ones(24)
    for h, v in hour_hangup.items():
        if not 0 <= int(h) <= 23 or float(v) < 0:
            raise ValueError(f"hour hang-up effect: hour {h} must be 0–23 and its multiplier ≥ 0")
        mult[int(h)] = float(v)
    return mult[hours]
