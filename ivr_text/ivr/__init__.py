"""IVR menu-path analytics: self-service KPIs, drop-off and transfer points, path graphs, menu advice.

The names below load their modules on first use (PEP 562), so importing a light submodule such as
``ivr_text.ivr.memory`` (every ``ivr-text`` run does) does not import the analysis with pandas and networkx.
"""

from __future__ import annotations

import importlib

_WHERE = {
    "IvrAnalysis": "analysis", "analyze_events": "analysis",
    "IvrConfig": "config", "load_config": "config",
    "Menu": "menu", "MenuNode": "menu", "infer_menu": "menu", "load_menu": "menu", "menu_from_data": "menu",
}

__all__ = ["IvrAnalysis", "analyze_events", "IvrConfig", "load_config", "Menu", "MenuNode", "infer_menu",
           "load_menu", "menu_from_data"]


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f"ivr_text.ivr.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ivr_text.ivr' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
