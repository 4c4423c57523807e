"""IVR menu-path analytics: self-service KPIs, drop-off and transfer points, path graphs, menu advice."""

from ivr_text.ivr.analysis import IvrAnalysis, analyze_events
from ivr_text.ivr.config import IvrConfig, load_config
from ivr_text.ivr.menu import Menu, MenuNode, infer_menu, load_menu, menu_from_data

__all__ = ["IvrAnalysis", "analyze_events", "IvrConfig", "load_config", "Menu", "MenuNode", "infer_menu",
           "load_menu", "menu_from_data"]
