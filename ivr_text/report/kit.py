"""What every report page shares: guarded sections (missing data → a note, never a crash), masked example
texts, page names and navigation, Chinese labels for the analyses' column names.
"""

from __future__ import annotations

import logging
from typing import Callable

from ivr_text.report.html import Section, esc, note
from ivr_text.report.sources import MissingData, MixedRuns, describe_files, reading

log = logging.getLogger(__name__)

#: page key → (file name, navigation label)
PAGES = {
    "index": ("index.html", "总览 Overview"),
    "ivr": ("ivr.html", "IVR 导航分析"),
    "complaints": ("complaints.html", "投诉分析 Complaints"),
    "churn": ("churn.html", "流失预警 Churn"),
}


def nav_for(available: list[str]) -> list[tuple[str, str]]:
    """Navigation links to the pages that exist (always including the index)."""
    keys = ["index"] + [k for k in ("ivr", "complaints", "churn") if k in available]
    return [(PAGES[k][1], PAGES[k][0]) for k in keys]


def guarded(title: str, question: str, build: Callable[[], str], *, anchor: str = "",
            strict: bool = False) -> Section:
    """A section whose body comes from ``build()``; missing input becomes a note saying what is missing.

    Unexpected errors also become a note (the rest of the report still renders) unless ``strict``.
    """
    files: list = []
    try:
        with reading() as files:
            body = build()
        if files:
            body = f'<p class="run">数据来源 source: {esc(describe_files(files))}</p>' + body
    except MissingData as exc:
        body = note(f"本节省略 (section omitted): {exc}", "warn")
    except MixedRuns:  # never a page mixing two runs: the whole report is refused
        raise
    except Exception as exc:  # a broken input file must not take the whole report down
        if strict:
            raise
        log.warning("report section %r failed: %s", title, exc)
        body = note(f"本节无法绘制 (could not draw this section): {exc.__class__.__name__}: {exc}", "warn")
    return Section(title, body, question, anchor)


def masked(text: object, max_chars: int = 140) -> str:
    """User text for display: PII masked (unless --no-mask), shortened. Escape it when rendering."""
    from ivr_text.report.html import is_missing

    if is_missing(text):
        return ""
    from ivr_text.text.pii import mask_pii, output_masking

    s = mask_pii(str(text)) if output_masking() else str(text)
    s = " ".join(s.split())
    return s if len(s) <= max_chars else s[: max_chars - 1] + "…"


def examples_html(texts, max_items: int = 3, max_chars: int = 120) -> str:
    """A short list of masked, escaped example texts."""
    items = [masked(t, max_chars) for t in texts if masked(t)]
    if not items:
        return ""
    lis = "".join(f"<li>{esc(t)}</li>" for t in items[:max_items])
    return f'<ul class="examples">{lis}</ul>'


OUTCOME_LABELS = {"complete": "自助完成", "transfer": "转人工", "hangup": "挂机放弃", "unknown": "未知结束"}
PHASE_LABELS = {"stable": "稳定期", "problem": "问题期", "silent_decline": "沉默衰退 (预警)",
                "usage_decline": "用量下滑", "insufficient_history": "历史不足", "no_usage": "无用量"}
LEVEL_LABELS = {"none": "无", "low": "低", "medium": "中", "high": "高"}
