"""The page shell of every HTML report: escaping, number formats, KPI cards, tables, sections, notes.

Guarantees: every value that reaches the page goes through :func:`esc` (HTML-escaped, control characters
dropped), so user text such as ``<script>`` shows as text; pages are self-contained (inline CSS, inline SVG,
one inline script pinned by its hash in the page's CSP (:mod:`ivr_text.report.script`), no web font, no
external image or link other than relative links between the report's own pages); every table header is
Chinese with the English term beside it (:mod:`ivr_text.report.terms`); Chinese renders with a CJK font stack. Speed: string building only, a page of a few hundred table rows
renders in milliseconds.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Mapping, Sequence

import pandas as pd

from ivr_text.report.script import content_security_policy, script_tag
from ivr_text.report.terms import bilingual

FONT_STACK = ('"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", '
              '"Source Han Sans SC", sans-serif')

#: One palette for every page and chart (colour-blind-friendly order, Tableau 10 based).
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac")
COLORS = {"ink": "#1f2933", "muted": "#616e7c", "grid": "#e4e7eb", "accent": "#4e79a7", "good": "#2f9e44",
          "warn": "#f08c00", "bad": "#d9480f", "transfer": "#4e79a7", "hangup": "#e15759", "complete": "#59a14f",
          "paper": "#ffffff", "band": "#f5f7fa"}

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def esc(value: object) -> str:
    """HTML/XML-escape any value for element text or a quoted attribute; None and NaN become ''. Text is
    PII-masked first (unless --no-mask): every value a page shows passes here, so nothing unmasked reaches HTML."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        if value is pd.NA or value is pd.NaT:
            return ""
    except TypeError:  # pragma: no cover
        pass
    text = str(value)
    if isinstance(value, str):
        from ivr_text.text.pii import mask_pii, output_masking

        if output_masking():
            text = mask_pii(text)
    return html.escape(_CONTROL.sub("", text), quote=True)


def is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_int(value: object) -> str:
    return "–" if is_missing(value) else f"{int(round(float(value))):,}"


def fmt_pct(value: object, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage."""
    return "–" if is_missing(value) else f"{100 * float(value):.{digits}f}%"


def fmt_float(value: object, digits: int = 2) -> str:
    if is_missing(value):
        return "–"
    v = float(value)
    return f"{v:,.0f}" if abs(v) >= 10_000 else f"{v:,.{digits}f}"


def fmt_seconds(value: object) -> str:
    if is_missing(value):
        return "–"
    v = float(value)
    return f"{v:.1f} 秒" if v < 120 else f"{v / 60:.1f} 分钟"


def fmt_auto(value: object) -> str:
    """Integers with thousands separators, floats to 4 significant digits, everything else as text."""
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return f"{int(value):,}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


FORMATS: dict[str, Callable[[object], str]] = {
    "int": fmt_int, "pct": fmt_pct, "float": fmt_float, "seconds": fmt_seconds, "auto": fmt_auto,
    "text": lambda v: "" if is_missing(v) else str(v),
}


# ------------------------------------------------------------------------------------------ building blocks


def note(text: str, kind: str = "info") -> str:
    """A short boxed remark (``info`` or ``warn``), e.g. why a section is omitted."""
    return f'<p class="note note-{esc(kind)}">{esc(text)}</p>'


def paragraph(text: str) -> str:
    return f"<p>{esc(text)}</p>"


@dataclass
class Card:
    label: str
    value: str
    hint: str = ""
    tone: str = ""  # "", "good", "warn", "bad"


def kpi_cards(cards: Iterable[Card]) -> str:
    parts = []
    for c in cards:
        tone = f" tone-{esc(c.tone)}" if c.tone else ""
        hint = f'<div class="kpi-hint">{esc(c.hint)}</div>' if c.hint else ""
        parts.append(f'<div class="kpi{tone}"><div class="kpi-label">{esc(c.label)}</div>'
                     f'<div class="kpi-value">{esc(c.value)}</div>{hint}</div>')
    return f'<div class="kpis">{"".join(parts)}</div>' if parts else ""


def anchor_id(*parts: object) -> str:
    """A safe, stable element id for any text (``ex-1a2b3c4d5e``): links inside a page never carry user text."""
    import hashlib

    return "ex-" + hashlib.sha1("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()[:12]


def table(df: pd.DataFrame, columns: Mapping[str, str] | Sequence[str] | None = None, *,
          formats: Mapping[str, str | Callable[[object], str]] | None = None, max_rows: int = 50,
          caption: str | None = None, numeric_align: bool = True, bars: Mapping[str, str] | None = None,
          links: Mapping[str, Callable[[pd.Series], str | None]] | None = None) -> str:
    """An HTML table of ``df``: ``columns`` maps column → header (only those present are shown).

    ``formats`` maps column → a name in :data:`FORMATS` or a callable. ``bars`` maps a column holding shares in
    [0, 1] (or values scaled to the column's maximum) to a colour for a small inline bar behind the number.
    ``links`` maps a column to a function of the row giving an in-page anchor id (see :func:`anchor_id`; None:
    no link): the cell links to ``#id``. Rows beyond ``max_rows`` are counted in a footer line, never silently cut.
    """
    if columns is None:
        columns = {c: str(c) for c in df.columns}
    elif not isinstance(columns, Mapping):
        columns = {c: str(c) for c in columns}
    cols = [c for c in columns if c in df.columns]
    formats = dict(formats or {})
    bars = dict(bars or {})
    shown = df.head(max_rows)
    head = "".join(f'<th scope="col">{esc(bilingual(c, columns[c]))}</th>' for c in cols)
    maxima = {}
    for c in bars:
        if c in shown.columns:
            vals = pd.to_numeric(shown[c], errors="coerce")
            maxima[c] = max(float(vals.abs().max()) if vals.notna().any() else 0.0, 1e-12)
    body = []
    for _, row in shown.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            f = formats.get(c, "auto")
            fn = FORMATS[f] if isinstance(f, str) else f
            text = esc(fn(v))
            num = numeric_align and _is_number(v)
            cls = ' class="num"' if num else ""
            sort_key = f' data-v="{float(v)!r}"' if _is_number(v) and math.isfinite(float(v)) else ""
            if c in bars and _is_number(v):
                share = max(0.0, min(1.0, abs(float(v)) / (1.0 if f == "pct" else maxima[c])))
                text = (f'<span class="cellbar" style="width:{share * 100:.1f}%;background:{esc(bars[c])}">'
                        f'</span><span class="cellval">{text}</span>')
                cls = ' class="num barcell"'
            target = links[c](row) if links and c in links else None
            if target:
                text = f'<a href="#{esc(target)}">{text}</a>'
            cells.append(f"<td{cls}{sort_key}>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    more = ""
    if len(df) > max_rows:
        more = f'<p class="more">显示前 {max_rows:,} 行，共 {len(df):,} 行 (first {max_rows:,} of {len(df):,} rows)</p>'
    return (f'<div class="table-wrap"><table class="data">{cap}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>{more}</div>')


def _is_number(v: object) -> bool:
    if isinstance(v, bool) or is_missing(v):
        return False
    return isinstance(v, (int, float)) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") in "iuf")


@dataclass
class Section:
    """One titled block of a page; ``question`` says what it answers."""

    title: str
    body: str
    question: str = ""
    anchor: str = ""

    def render(self) -> str:
        anchor = f' id="{esc(self.anchor)}"' if self.anchor else ""
        q = f'<p class="question">{esc(self.question)}</p>' if self.question else ""
        return f"<section{anchor}><h2>{esc(self.title)}</h2>{q}{self.body}</section>"


@dataclass
class Page:
    """A whole report page: title, the question it answers, navigation, sections."""

    title: str
    question: str
    sections: list[Section] = field(default_factory=list)
    nav: Sequence[tuple[str, str]] = ()  # (label, relative href)
    subtitle: str = ""
    generated: datetime | None = None

    def add(self, section: Section) -> None:
        self.sections.append(section)

    def render(self) -> str:
        nav = "".join(f'<a href="{esc(href)}">{esc(label)}</a>' for label, href in self.nav)
        toc = "".join(f'<a href="#{esc(s.anchor)}">{esc(s.title)}</a>' for s in self.sections if s.anchor)
        when = (self.generated or datetime.now()).strftime("%Y-%m-%d %H:%M")
        sub = f'<p class="subtitle">{esc(self.subtitle)}</p>' if self.subtitle else ""
        return (
            "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy()}">'
            f"<title>{esc(self.title)}</title><style>{CSS}</style></head><body>"
            f'<header><nav class="topnav">{nav}</nav><h1>{esc(self.title)}</h1>'
            f'<p class="lead">{esc(self.question)}</p>{sub}'
            + (f'<nav class="toc">{toc}</nav>' if toc else "")
            + "</header><main>"
            + "".join(s.render() for s in self.sections)
            + f'</main><footer>ivr-text · 生成于 {esc(when)} · 离线自包含报告 (self-contained, offline)</footer>'
            + script_tag() + "</body></html>\n"
        )


CSS = f"""
*{{box-sizing:border-box}}
body{{margin:0;background:#f0f2f5;color:{COLORS['ink']};font-family:{FONT_STACK};font-size:14px;line-height:1.55}}
header{{background:#243b53;color:#fff;padding:18px 32px 14px}}
header h1{{margin:6px 0 4px;font-size:24px;font-weight:600}}
header .lead{{margin:0;font-size:15px;color:#d9e2ec}}
header .subtitle{{margin:4px 0 0;font-size:13px;color:#bcccdc}}
.topnav a,.toc a{{color:#bcccdc;text-decoration:none;margin-right:18px;font-size:13px}}
.topnav a:hover,.toc a:hover{{color:#fff;text-decoration:underline}}
.toc{{margin-top:10px;padding-top:8px;border-top:1px solid #334e68}}
main{{max-width:1200px;margin:0 auto;padding:16px 24px 40px}}
section{{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);margin:16px 0;padding:16px 22px}}
section h2{{margin:0 0 4px;font-size:18px;font-weight:600;color:#102a43}}
section h3{{margin:16px 0 6px;font-size:15px;font-weight:600;color:#243b53}}
.question{{margin:0 0 12px;color:{COLORS['muted']};font-style:italic}}
.kpis{{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}}
.kpi{{flex:1 1 150px;max-width:230px;background:{COLORS['band']};border-left:4px solid {COLORS['accent']};
border-radius:6px;padding:10px 14px}}
.kpi.tone-good{{border-left-color:{COLORS['good']}}}.kpi.tone-warn{{border-left-color:{COLORS['warn']}}}
.kpi.tone-bad{{border-left-color:{COLORS['bad']}}}
.kpi-label{{font-size:12px;color:{COLORS['muted']}}}
.kpi-value{{font-size:22px;font-weight:600;margin-top:2px}}
.kpi-hint{{font-size:11px;color:{COLORS['muted']}}}
.table-wrap{{overflow-x:auto;margin:8px 0}}
table{{border-collapse:collapse;width:100%;font-size:13px}}
caption{{text-align:left;font-weight:600;padding:4px 0;color:#243b53}}
th{{background:{COLORS['band']};text-align:left;font-weight:600;padding:6px 8px;border-bottom:2px solid {COLORS['grid']};
white-space:nowrap}}
td{{padding:5px 8px;border-bottom:1px solid {COLORS['grid']};vertical-align:top;overflow-wrap:break-word}}
td.num{{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}}
td.barcell{{position:relative;min-width:90px}}
.cellbar{{position:absolute;left:0;top:3px;bottom:3px;opacity:.22;border-radius:2px}}
.cellval{{position:relative}}
tr:hover td{{background:#f8fafc}}
.more{{font-size:12px;color:{COLORS['muted']};margin:4px 0}}
.note{{padding:8px 12px;border-radius:6px;font-size:13px;margin:8px 0}}
.note-info{{background:#eef4fb;color:#334e68}}
.note-warn{{background:#fff4e6;color:#8a4b08}}
.chart{{margin:8px 0;overflow-x:auto}}
.chart svg,svg.ivr-chart{{max-width:100%;height:auto;display:block}}
.grid{{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:12px}}
.grid .cell{{border:1px solid {COLORS['grid']};border-radius:6px;padding:6px 8px}}
.grid .cell h4{{margin:2px 0;font-size:13px;font-weight:600}}
.cards{{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:14px}}
.card{{display:block;background:#fff;border:1px solid {COLORS['grid']};border-radius:8px;padding:14px 16px;
color:inherit;text-decoration:none}}
.card:hover{{border-color:{COLORS['accent']};box-shadow:0 2px 6px rgba(0,0,0,.08)}}
.card h3{{margin:0 0 4px;font-size:16px;color:#102a43}}
.card p{{margin:2px 0;color:{COLORS['muted']};font-size:13px}}
.card .big{{font-size:20px;color:{COLORS['ink']};font-weight:600}}
th.sortable{{cursor:pointer;user-select:none}}
th.sortable::after{{content:" \\2195";color:#9aa5b1;font-size:11px}}
th[aria-sort=ascending]::after{{content:" \\25B2";color:{COLORS['accent']}}}
th[aria-sort=descending]::after{{content:" \\25BC";color:{COLORS['accent']}}}
.filter{{margin:4px 0;display:flex;gap:8px;align-items:center}}
.filter input{{font:inherit;padding:3px 8px;border:1px solid #bcccdc;border-radius:4px;min-width:220px}}
.filter-count{{font-size:12px;color:{COLORS['muted']}}}
details.drill{{border:1px solid {COLORS['grid']};border-radius:6px;margin:6px 0;padding:4px 10px}}
details.drill>summary{{cursor:pointer;font-weight:600;color:#243b53}}
details.drill[open]{{background:#fbfcfd}}
details.drill .hint,.hint{{font-weight:normal;color:{COLORS['muted']};font-size:12px}}
.tip{{position:absolute;z-index:10;max-width:360px;background:#102a43;color:#fff;font-size:12px;padding:5px 8px;
border-radius:4px;white-space:pre-line;pointer-events:none}}
.run{{font-size:12px;color:{COLORS['muted']};margin:0 0 8px}}
footer{{text-align:center;color:{COLORS['muted']};font-size:12px;padding:12px 0 24px}}
"""


def chart_block(svg: str, caption: str = "") -> str:
    cap = f'<p class="more">{esc(caption)}</p>' if caption else ""
    return f'<div class="chart">{svg}{cap}</div>'


def details(anchor: str, summary: str, body: str, *, hint: str = "") -> str:
    """A drill-down: a closed ``<details>`` (id ``anchor``, see :func:`anchor_id`) whose summary line is
    ``summary`` (escaped) and whose content is ``body`` (HTML). Opens by click, without script, and from any
    ``#anchor`` link (the page script)."""
    h = f' <span class="hint">{esc(hint)}</span>' if hint else ""
    return (f'<details class="drill" id="{esc(anchor)}"><summary>{esc(summary)}{h}</summary>'
            f'<div class="drill-body">{body}</div></details>')


def grid(cells: Iterable[tuple[str, str]]) -> str:
    """Small multiples: (title, inner html) cells in a responsive grid."""
    inner = "".join(f'<div class="cell"><h4>{esc(t)}</h4>{body}</div>' for t, body in cells)
    return f'<div class="grid">{inner}</div>'


def link_cards(cards: Iterable[tuple[str, str, str, Sequence[str]]]) -> str:
    """Cards linking to pages: (title, href, headline, lines)."""
    parts = []
    for title, href, headline, lines in cards:
        rest = "".join(f"<p>{esc(line)}</p>" for line in lines)
        parts.append(f'<a class="card" href="{esc(href)}"><h3>{esc(title)}</h3>'
                     f'<p class="big">{esc(headline)}</p>{rest}</a>')
    return f'<div class="cards">{"".join(parts)}</div>'
