"""Charts as inline SVG strings, built in Python: bars, stacked shares, lines (dual axis, markers), heat maps,
a Sankey of paths and a menu tree.

Guarantees: no JavaScript and no external resource; every label, tooltip (``<title>``) and attribute value is
escaped with :func:`ivr_text.report.html.esc`; each chart has a fixed ``viewBox`` with non-zero size, scales
down with the page, and shows native tooltips with exact figures. Missing values (NaN) are gaps, not zeros.
Long labels are shortened with an ellipsis (full text in the tooltip). Speed: pure string building, a Sankey
of 20 paths or a tree of 100 nodes renders in a few milliseconds.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from ivr_text.report.html import COLORS, FONT_STACK, PALETTE, esc, fmt_auto, is_missing

Fmt = Callable[[object], str]


# ------------------------------------------------------------------------------------------ helpers


def text_width(s: str, size: float = 12.0) -> float:
    """Approximate rendered width in px: CJK and full-width characters ≈ 1 em, others ≈ 0.6 em."""
    return sum(size * (1.0 if ord(ch) >= 0x2E80 else 0.6) for ch in str(s))


def shorten(s: object, max_px: float, size: float = 12.0) -> str:
    """``s`` cut to fit ``max_px`` with a trailing ellipsis."""
    s = "" if is_missing(s) else str(s)
    if text_width(s, size) <= max_px:
        return s
    out, w = [], size * 0.6
    for ch in s:
        w += size * (1.0 if ord(ch) >= 0x2E80 else 0.6)
        if w > max_px:
            break
        out.append(ch)
    return "".join(out) + "…"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (about ``n`` of them)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi - lo <= 1e-9 * max(1.0, abs(lo), abs(hi)):  # flat or denormal-thin range: give it a visible span
        hi = lo + (abs(lo) if abs(lo) > 1e-150 else 1.0)
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, v = [], start
    while v < hi + step * 0.5:
        ticks.append(round(v, 10))
        v += step
        if len(ticks) > 50:  # pragma: no cover - guard
            break
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def hex_to_rgb(c: str) -> tuple[int, int, int]:
    c = c.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def ramp(value: float, lo: float, hi: float, c0: str = "#ffffff", c1: str = "#d9480f") -> str:
    """Colour for ``value`` on a linear ramp from ``c0`` (at ``lo``) to ``c1`` (at ``hi``); grey when missing."""
    if is_missing(value):
        return "#e4e7eb"
    t = 0.0 if hi <= lo else max(0.0, min(1.0, (float(value) - lo) / (hi - lo)))
    a, b = hex_to_rgb(c0), hex_to_rgb(c1)
    return "#%02x%02x%02x" % tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def ink_on(fill: str) -> str:
    """Black or white text, whichever reads better on ``fill``."""
    r, g, b = hex_to_rgb(fill)
    return "#ffffff" if (0.299 * r + 0.587 * g + 0.114 * b) < 140 else COLORS["ink"]


class Svg:
    """An SVG document being built; ``str(svg)`` is the markup."""

    def __init__(self, width: float, height: float, label: str = ""):
        self.width, self.height, self.label = width, height, label
        self.parts: list[str] = []

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def text(self, x: float, y: float, s: object, *, size: float = 12, anchor: str = "start",
             color: str | None = None, weight: str = "normal", rotate: float | None = None,
             tooltip: str | None = None, baseline: str | None = None) -> None:
        transform = f' transform="rotate({rotate:.0f} {x:.1f} {y:.1f})"' if rotate else ""
        base = f' dominant-baseline="{baseline}"' if baseline else ""
        tip = f"<title>{esc(tooltip)}</title>" if tooltip else ""
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}"'
                 f' fill="{esc(color or COLORS["ink"])}" font-weight="{weight}"{transform}{base}>'
                 f"{tip}{esc(s)}</text>")

    def rect(self, x: float, y: float, w: float, h: float, fill: str, *, tooltip: str | None = None,
             stroke: str | None = None, rx: float = 0, opacity: float | None = None, cls: str = "") -> None:
        extra = f' stroke="{esc(stroke)}"' if stroke else ""
        extra += f' rx="{rx:g}"' if rx else ""
        extra += f' fill-opacity="{opacity:g}"' if opacity is not None else ""
        extra += f' class="{esc(cls)}"' if cls else ""
        tip = f"<title>{esc(tooltip)}</title>" if tooltip else ""
        self.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}"'
                 f' fill="{esc(fill)}"{extra}>{tip}</rect>')

    def line(self, x1: float, y1: float, x2: float, y2: float, color: str, width: float = 1,
             dash: str | None = None) -> None:
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{esc(color)}"'
                 f' stroke-width="{width:g}"{d}/>')

    def __str__(self) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width:.0f} {self.height:.0f}"'
                f' width="{self.width:.0f}" height="{self.height:.0f}" role="img" aria-label="{esc(self.label)}"'
                f' font-family="{esc(FONT_STACK)}" class="ivr-chart">'
                f"<title>{esc(self.label)}</title>{''.join(self.parts)}</svg>")


def _legend(svg: Svg, items: Sequence[tuple[str, str, str]], x: float, y: float, max_x: float) -> float:
    """Draw (name, colour, kind) legend items in rows from (x, y); return the y below the legend."""
    cx, cy = x, y
    for name, color, kind in items:
        w = 22 + text_width(name, 12) + 16
        if cx + w > max_x and cx > x:
            cx, cy = x, cy + 18
        if kind == "line":
            svg.line(cx, cy - 4, cx + 16, cy - 4, color, 2.5)
        elif kind == "dash":
            svg.line(cx, cy - 4, cx + 16, cy - 4, color, 2.5, dash="5 3")
        elif kind == "marker":
            svg.add(f'<circle cx="{cx + 8:.1f}" cy="{cy - 4:.1f}" r="5" fill="{esc(color)}" stroke="#fff"/>')
        else:
            svg.rect(cx, cy - 10, 14, 12, color, rx=2)
        svg.text(cx + 20, cy, name, size=12)
        cx += w
    return cy + 12


def empty_chart(message: str, width: float = 600, height: float = 60) -> str:
    svg = Svg(width, height, message)
    svg.rect(0, 0, width, height, COLORS["band"], rx=6)
    svg.text(width / 2, height / 2 + 4, message, anchor="middle", color=COLORS["muted"])
    return str(svg)


# ------------------------------------------------------------------------------------------ bar charts


def bar_chart(labels: Sequence[object], values: Sequence[float], *, title: str = "", width: float = 900,
              value_fmt: Fmt = fmt_auto, colors: Sequence[str] | str | None = None,
              tooltips: Sequence[str] | None = None, max_bars: int = 40, x_label: str = "") -> str:
    """Horizontal bars, one per label, in the given order (missing values drawn as '–')."""
    labels = [("" if is_missing(v) else str(v)) for v in labels][:max_bars]
    values = [(math.nan if is_missing(v) else float(v)) for v in values][:max_bars]
    if not labels:
        return empty_chart(f"{title}: 无数据 (no data)" if title else "无数据 (no data)", width)
    if isinstance(colors, str) or colors is None:
        colors = [colors or COLORS["accent"]] * len(labels)
    bar_h, gap, top = 20, 6, 28 if title else 8
    label_w = min(max(text_width(s) for s in labels) + 14, width * 0.38)
    value_w = max(text_width(value_fmt(v)) for v in values) + 12
    plot_w = max(width - label_w - value_w - 10, 80)
    finite = [v for v in values if math.isfinite(v)]
    vmax = max([abs(v) for v in finite] + [1e-12])
    height = top + len(labels) * (bar_h + gap) + (30 if x_label else 10)
    svg = Svg(width, height, title or "bar chart")
    if title:
        svg.text(0, 16, title, size=14, weight="600")
    for i, (lab, v) in enumerate(zip(labels, values)):
        y = top + i * (bar_h + gap)
        tip = tooltips[i] if tooltips and i < len(tooltips) else f"{lab}: {value_fmt(v)}"
        svg.text(label_w - 8, y + bar_h * 0.72, shorten(lab, label_w - 10), anchor="end", tooltip=lab)
        w = 0 if not math.isfinite(v) else abs(v) / vmax * plot_w
        svg.rect(label_w, y, w, bar_h, colors[i % len(colors)], tooltip=tip, rx=2)
        svg.text(label_w + w + 6, y + bar_h * 0.72, value_fmt(v) if math.isfinite(v) else "–",
                 color=COLORS["muted"])
    if x_label:
        svg.text(label_w + plot_w / 2, height - 8, x_label, anchor="middle", color=COLORS["muted"], size=11)
    return str(svg)


def stacked_share_chart(categories: Sequence[object], parts: Mapping[str, Sequence[float]], *,
                        colors: Mapping[str, str] | None = None, title: str = "", width: float = 960,
                        value_fmt: Fmt | None = None) -> str:
    """One horizontal 100 % bar per category split into ``parts`` (shares; normalised per category)."""
    from ivr_text.report.html import fmt_pct

    value_fmt = value_fmt or fmt_pct
    cats = [str(c) for c in categories]
    names = list(parts)
    if not cats or not names:
        return empty_chart("无数据 (no data)", width)
    colors = dict(colors or {})
    for i, n in enumerate(names):
        colors.setdefault(n, PALETTE[i % len(PALETTE)])
    bar_h, gap = 22, 8
    top = 28 if title else 8
    label_w = min(max(text_width(c) for c in cats) + 12, width * 0.3)
    plot_w = width - label_w - 10
    legend_y = top + len(cats) * (bar_h + gap) + 14
    height = legend_y + 26
    svg = Svg(width, height, title or "shares")
    if title:
        svg.text(0, 16, title, size=14, weight="600")
    for i, c in enumerate(cats):
        y = top + i * (bar_h + gap)
        vals = [max(0.0, float(parts[n][i])) if not is_missing(parts[n][i]) else 0.0 for n in names]
        total = sum(vals) or 1.0
        svg.text(label_w - 8, y + bar_h * 0.72, shorten(c, label_w - 12), anchor="end", tooltip=c)
        x = label_w
        for n, v in zip(names, vals):
            w = v / total * plot_w
            svg.rect(x, y, w, bar_h, colors[n], tooltip=f"{c} · {n}: {value_fmt(v / total)}")
            if w > text_width(value_fmt(v / total), 11) + 6:
                svg.text(x + w / 2, y + bar_h * 0.7, value_fmt(v / total), size=11, anchor="middle",
                         color=ink_on(colors[n]))
            x += w
    _legend(svg, [(n, colors[n], "box") for n in names], label_w, legend_y, width)
    return str(svg)


# ------------------------------------------------------------------------------------------ line charts


@dataclass
class Series:
    """One series of a :func:`line_chart`: ``kind`` line/bar, ``axis`` left/right, NaN = gap."""

    name: str
    values: Sequence[float]
    color: str | None = None
    axis: str = "left"
    kind: str = "line"
    dash: bool = False
    width: float = 2.0


@dataclass
class Marker:
    """A highlighted point: series name and x index, with a tooltip label (e.g. an alert)."""

    series: str
    index: int
    label: str
    color: str = COLORS["bad"]


def line_chart(x_labels: Sequence[object], series: Sequence[Series], *, title: str = "", width: float = 960,
               height: float = 300, y_label: str = "", y2_label: str = "", y_fmt: Fmt = fmt_auto,
               y2_fmt: Fmt = fmt_auto, markers: Iterable[Marker] = (), y_min: float | None = 0.0,
               y2_min: float | None = None, x_title: str = "", legend: bool = True,
               reference: float | None = None, y_max: float | None = None) -> str:
    """Lines and/or bars over categorical x, with an optional right axis (dual-axis combination charts).

    ``reference`` draws a dashed horizontal line on the left axis (e.g. lift = 1); ``y_max`` makes the left
    axis reach at least that value (one shared scale over small multiples).
    """
    xs = ["" if is_missing(v) else str(v) for v in x_labels]
    n = len(xs)
    series = [s for s in series if len(s.values)]
    if n == 0 or not series:
        return empty_chart(f"{title}: 无数据 (no data)" if title else "无数据 (no data)", width)
    for i, s in enumerate(series):
        if s.color is None:
            s.color = PALETTE[i % len(PALETTE)]
    left = [s for s in series if s.axis != "right"]
    right = [s for s in series if s.axis == "right"]

    def _range(group, floor):
        vals = [float(v) for s in group for v in s.values if not is_missing(v) and math.isfinite(float(v))]
        if reference is not None and group is left:
            vals.append(reference)
        if y_max is not None and group is left and math.isfinite(y_max):
            vals.append(y_max)
        if not vals:
            return [0.0, 1.0]
        lo = min(vals) if floor is None else min(floor, min(vals))
        hi = max(vals)
        if floor is None and hi > lo:
            pad = (hi - lo) * 0.08
            lo, hi = lo - pad, hi + pad
        return nice_ticks(lo, hi, 5)

    lt = _range(left, y_min) if left else None
    rt = _range(right, y2_min) if right else None
    ml = 14 + max(text_width(y_fmt(t), 11) for t in (lt or [0])) + (16 if y_label else 0)
    mr = 14 + (max(text_width(y2_fmt(t), 11) for t in rt) + (16 if y2_label else 0) if rt else 0)
    mt = 28 if title else 10
    legend_items = [(s.name, s.color, "box" if s.kind == "bar" else ("dash" if s.dash else "line")) for s in series]
    mk = list(markers)
    if mk:
        legend_items.append((mk[0].label.split(":")[0] if ":" in mk[0].label else "标记", mk[0].color, "marker"))
    rotate = n > 1 and max(text_width(x, 11) for x in xs) > (width - ml - mr) / n - 4
    mb = (max(min(text_width(x, 11), 110) for x in xs) * 0.7 + 18) if rotate else 26
    mb += 16 if x_title else 0
    legend_rows = 1 + int(sum(22 + text_width(nm, 12) + 16 for nm, _, _ in legend_items) // max(width - ml, 1))
    mb_total = mb + (legend_rows * 18 + 8 if legend and legend_items else 0)
    plot_h = height - mt - mb_total
    plot_w = width - ml - mr
    svg = Svg(width, height, title or "line chart")
    if title:
        svg.text(0, 16, title, size=14, weight="600")
    step = plot_w / n
    xpos = [ml + step * (i + 0.5) for i in range(n)]

    def ymap(v, ticks):
        lo, hi = ticks[0], ticks[-1]
        return mt + plot_h - (float(v) - lo) / ((hi - lo) or 1) * plot_h

    for t in lt or []:
        y = ymap(t, lt)
        svg.line(ml, y, ml + plot_w, y, COLORS["grid"])
        svg.text(ml - 6, y + 4, y_fmt(t), size=11, anchor="end", color=COLORS["muted"])
    for t in rt or []:
        y = ymap(t, rt)
        if not lt:
            svg.line(ml, y, ml + plot_w, y, COLORS["grid"])
        svg.text(ml + plot_w + 6, y + 4, y2_fmt(t), size=11, color=COLORS["muted"])
    svg.line(ml, mt + plot_h, ml + plot_w, mt + plot_h, COLORS["muted"])
    if y_label:
        svg.text(12, mt + plot_h / 2, y_label, size=11, anchor="middle", color=COLORS["muted"], rotate=-90)
    if y2_label:
        svg.text(width - 6, mt + plot_h / 2, y2_label, size=11, anchor="middle", color=COLORS["muted"], rotate=90)
    if reference is not None and lt:
        yr = ymap(reference, lt)
        svg.line(ml, yr, ml + plot_w, yr, COLORS["muted"], 1, dash="4 4")
    # x labels (thinned when crowded)
    every = 1
    if not rotate:
        widest = max(text_width(x, 11) for x in xs) + 8
        every = max(1, math.ceil(widest / step))
    else:
        every = max(1, math.ceil(14 / step))
    for i, x in enumerate(xs):
        if i % every:
            continue
        if rotate:
            svg.text(xpos[i] + 4, mt + plot_h + 12, shorten(x, 110, 11), size=11, anchor="end", rotate=-40,
                     color=COLORS["muted"], tooltip=x)
        else:
            svg.text(xpos[i], mt + plot_h + 16, x, size=11, anchor="middle", color=COLORS["muted"])
    if x_title:
        svg.text(ml + plot_w / 2, height - mb_total + mb - 4, x_title, size=11, anchor="middle",
                 color=COLORS["muted"])
    # bars first, grouped per x
    bars = [s for s in series if s.kind == "bar"]
    if bars:
        bw = step * 0.7 / len(bars)
        for j, s in enumerate(bars):
            ticks = rt if s.axis == "right" else lt
            base = ymap(max(ticks[0], 0.0), ticks)
            for i, v in enumerate(s.values[:n]):
                if is_missing(v):
                    continue
                y = ymap(v, ticks)
                fmt = y2_fmt if s.axis == "right" else y_fmt
                svg.rect(xpos[i] - step * 0.35 + j * bw, min(y, base), bw * 0.92, abs(base - y), s.color,
                         tooltip=f"{xs[i]} · {s.name}: {fmt(v)}", opacity=0.8)
    for s in series:
        if s.kind == "bar":
            continue
        ticks = rt if s.axis == "right" else lt
        fmt = y2_fmt if s.axis == "right" else y_fmt
        runs, cur = [], []
        for i, v in enumerate(s.values[:n]):
            if is_missing(v) or not math.isfinite(float(v)):
                if cur:
                    runs.append(cur)
                cur = []
            else:
                cur.append((xpos[i], ymap(v, ticks), i, v))
        if cur:
            runs.append(cur)
        dash = ' stroke-dasharray="6 4"' if s.dash else ""
        for run in runs:
            pts = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in run)
            svg.add(f'<polyline points="{pts}" fill="none" stroke="{esc(s.color)}" stroke-width="{s.width:g}"'
                    f' stroke-linejoin="round"{dash}/>')
            if n <= 60:
                for x, y, i, v in run:
                    svg.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{esc(s.color)}">'
                            f"<title>{esc(xs[i])} · {esc(s.name)}: {esc(fmt(v))}</title></circle>")
    by_name = {s.name: s for s in series}
    for m in mk:
        s = by_name.get(m.series)
        if s is None or not (0 <= m.index < n) or is_missing(s.values[m.index]):
            continue
        ticks = rt if s.axis == "right" else lt
        x, y = xpos[m.index], ymap(s.values[m.index], ticks)
        svg.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{esc(m.color)}" stroke="#fff" stroke-width="1.5"'
                f' class="marker"><title>{esc(m.label)}</title></circle>')
    if legend and legend_items:
        _legend(svg, legend_items, ml, height - legend_rows * 18 + 4, width)
    return str(svg)


# ------------------------------------------------------------------------------------------ heat map


def heatmap(matrix: Sequence[Sequence[float]], row_labels: Sequence[object], col_labels: Sequence[object], *,
            title: str = "", row_title: str = "", col_title: str = "", normalize: str = "row",
            color: str = COLORS["accent"], cell: float | None = None, value_fmt: Fmt = fmt_auto) -> str:
    """A matrix of counts as coloured cells (shade = share of the row, or of the max with ``normalize='max'``);
    cells whose row and column labels match (the diagonal of a confusion matrix) are outlined."""
    rows = [str(r) for r in row_labels]
    cols = [str(c) for c in col_labels]
    if not rows or not cols:
        return empty_chart("无数据 (no data)")
    vals = [[(math.nan if is_missing(v) else float(v)) for v in r] for r in matrix]
    cell = cell or max(34.0, min(60.0, 560.0 / max(len(cols), 1)))
    label_w = min(max(text_width(r) for r in rows) + 14, 180) + (18 if row_title else 0)
    col_h = min(max(text_width(c) for c in cols) * 0.72 + 14, 140)
    top = (26 if title else 6) + (18 if col_title else 0) + col_h
    width = label_w + cell * len(cols) + 12
    height = top + cell * len(rows) + 10
    svg = Svg(width, height, title or "matrix")
    if title:
        svg.text(0, 16, title, size=14, weight="600")
    if col_title:
        svg.text(label_w + cell * len(cols) / 2, (26 if title else 6) + 12, col_title, size=11,
                 anchor="middle", color=COLORS["muted"])
    if row_title:
        svg.text(10, top + cell * len(rows) / 2, row_title, size=11, anchor="middle", color=COLORS["muted"],
                 rotate=-90)
    gmax = max([v for r in vals for v in r if math.isfinite(v)] + [1e-12])
    for j, c in enumerate(cols):
        x = label_w + cell * (j + 0.5)
        svg.text(x + 4, top - 6, shorten(c, 130, 11), size=11, anchor="start", rotate=-45, tooltip=c)
    for i, r in enumerate(rows):
        y = top + cell * i
        svg.text(label_w - 8, y + cell / 2 + 4, shorten(r, label_w - 14 - (18 if row_title else 0)), anchor="end",
                 tooltip=r)
        row = vals[i] if i < len(vals) else []
        rmax = sum(v for v in row if math.isfinite(v)) if normalize == "row" else gmax
        for j in range(len(cols)):
            v = row[j] if j < len(row) else math.nan
            share = (v / rmax) if (math.isfinite(v) and rmax) else math.nan
            fill = ramp(share, 0, 1, "#ffffff", color)
            tip = f"{row_title or '行'} {r} → {col_title or '列'} {cols[j]}: {value_fmt(v)}"
            if normalize == "row" and math.isfinite(share):
                tip += f" ({share * 100:.1f}%)"
            svg.rect(label_w + cell * j, y, cell - 1, cell - 1, fill, tooltip=tip,
                     stroke="#333" if r == cols[j] else None)
            if math.isfinite(v):
                svg.text(label_w + cell * (j + 0.5), y + cell / 2 + 4, value_fmt(v), size=11, anchor="middle",
                         color=ink_on(fill))
    return str(svg)


# ------------------------------------------------------------------------------------------ Sankey


@dataclass
class _SNode:
    key: tuple[int, str]
    label: str
    value: float = 0.0
    y: float = 0.0
    h: float = 0.0
    out_off: float = 0.0
    in_off: float = 0.0
    color: str = COLORS["accent"]


def sankey(flows: Sequence[tuple[Sequence[str], float]], *, labels: Mapping[str, str] | None = None,
           colors: Mapping[str, str] | None = None, title: str = "", width: float = 1000,
           height: float | None = None, max_steps: int = 7, value_fmt: Fmt = fmt_auto, unit: str = "",
           sinks: Iterable[str] = ()) -> str:
    """Sankey of whole paths: each flow is (node sequence, count); node i of a path sits in column i.

    Paths longer than ``max_steps`` are cut (their tail merged into "…"). Nodes named in ``sinks`` (e.g. call
    outcomes) all sit in the last column. Nodes in a column are ordered by the mean position of their sources
    to keep links from crossing; link width is proportional to the count.
    """
    sinks = set(sinks)
    labels = dict(labels or {})
    colors = dict(colors or {})
    flows = [([str(n) for n in p], float(c)) for p, c in flows if len(p) and not is_missing(c) and float(c) > 0]
    if not flows:
        return empty_chart(f"{title}: 无数据 (no data)" if title else "无数据 (no data)", width)
    nodes: dict[tuple[int, str], _SNode] = {}
    links: dict[tuple[tuple[int, str], tuple[int, str]], float] = defaultdict(float)
    cut = []
    for path, count in flows:
        if len(path) > max_steps:
            tail = [path[-1]] if path[-1] in sinks else []
            path = path[: max_steps - 1 - len(tail)] + ["…"] + tail
        cut.append((path, count))
    last = max(len(p) for p, _ in cut) - 1
    for path, count in cut:
        keys = [(last if (i == len(path) - 1 and n in sinks) else i, n) for i, n in enumerate(path)]
        for k in keys:
            if k not in nodes:
                nodes[k] = _SNode(k, labels.get(k[1], k[1]))
        for a, b in zip(keys, keys[1:]):
            links[(a, b)] += count
        # node value = max(in, out) is computed below; count single-node paths too
        if len(keys) == 1:
            nodes[keys[0]].value += count
    inflow: dict = defaultdict(float)
    outflow: dict = defaultdict(float)
    for (a, b), c in links.items():
        outflow[a] += c
        inflow[b] += c
    for k, nd in nodes.items():
        nd.value = max(nd.value, inflow[k], outflow[k])
    ncols = max(k[0] for k in nodes) + 1
    columns = [[nodes[k] for k in nodes if k[0] == i] for i in range(ncols)]
    palette = iter(PALETTE * 20)
    name_color: dict[str, str] = {}
    for nd in sorted(nodes.values(), key=lambda d: -d.value):
        nm = nd.key[1]
        if nm not in name_color:
            name_color[nm] = colors.get(nm) or next(palette)
        nd.color = name_color[nm]
    pad = 10.0
    max_nodes = max(len(c) for c in columns)
    height = height or max(260.0, min(900.0, 90 + max_nodes * 42))
    top = 30 if title else 8
    plot_h = height - top - 10
    col_total = max(sum(n.value for n in c) for c in columns)
    scale = (plot_h - pad * (max_nodes - 1)) / (col_total or 1)
    node_w = 14.0
    label_room = 150.0
    xstep = (width - node_w - label_room) / max(ncols - 1, 1)
    xs = [i * xstep for i in range(ncols)]
    # order: first column by value, later columns by the weighted mean y of their sources (barycentre)
    src_of: dict = defaultdict(list)
    for (a, b), c in links.items():
        src_of[b].append((a, c))
    for i, col in enumerate(columns):
        if i == 0:
            col.sort(key=lambda d: -d.value)
        else:
            def bary(d):
                s = src_of.get(d.key, [])
                tot = sum(c for _, c in s)
                return (sum(nodes[a].y * c for a, c in s) / tot) if tot else 1e9
            col.sort(key=lambda d: (bary(d), -d.value))
        y = top
        for d in col:
            d.h = max(d.value * scale, 1.5)
            d.y = y
            y += d.h + pad
    svg = Svg(width, height, title or "Sankey")
    if title:
        svg.text(0, 18, title, size=14, weight="600")
    ordered = sorted(links.items(), key=lambda kv: (kv[0][0][0], nodes[kv[0][0]].y, nodes[kv[0][1]].y))
    for (a, b), c in ordered:
        na, nb = nodes[a], nodes[b]
        h = c * scale
        x0, x1 = xs[a[0]] + node_w, xs[b[0]]
        y0, y1 = na.y + na.out_off, nb.y + nb.in_off
        na.out_off += h
        nb.in_off += h
        xm = (x0 + x1) / 2
        d = (f"M{x0:.1f},{y0:.1f} C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
             f"L{x1:.1f},{y1 + h:.1f} C{xm:.1f},{y1 + h:.1f} {xm:.1f},{y0 + h:.1f} {x0:.1f},{y0 + h:.1f} Z")
        tip = f"{na.label} → {nb.label}: {value_fmt(c)}{unit}"
        svg.add(f'<path d="{d}" fill="{esc(na.color)}" fill-opacity="0.32" class="link"><title>{esc(tip)}</title>'
                f"</path>")
    for col in columns:
        for d in col:
            x = xs[d.key[0]]
            svg.rect(x, d.y, node_w, d.h, d.color, tooltip=f"{d.label}: {value_fmt(d.value)}{unit}", cls="node")
            if d.h >= 9:
                last = d.key[0] == ncols - 1 and ncols > 1
                tx = x - 6 if last else x + node_w + 6
                room = (xstep - node_w - 12) if not last else label_room + xstep * 0.5
                txt = shorten(f"{d.label} {value_fmt(d.value)}", min(room, 190), 11)
                svg.text(tx, d.y + d.h / 2 + 4, txt, size=11, anchor="end" if last else "start",
                         tooltip=f"{d.label}: {value_fmt(d.value)}{unit}")
    # a little room on the right for the last column's labels drawn to the left is already reserved
    return str(svg)


# ------------------------------------------------------------------------------------------ menu tree


@dataclass
class TreeNode:
    node: str
    parent: str | None
    label: str
    visits: float = math.nan
    hangup_rate: float = math.nan
    transfer_rate: float = math.nan
    detail: str = ""
    children: list["TreeNode"] = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0


def tree_chart(nodes: Sequence[TreeNode], *, title: str = "", width: float = 1000, row_h: float = 30,
               hangup_max: float | None = None, transfer_max: float | None = None,
               value_fmt: Fmt = fmt_auto) -> str:
    """The menu as a left-to-right tree; each box is filled by hang-up rate (red) with a strip for transfer
    rate (blue); link width grows with visits. Nodes whose parent is unknown hang under a virtual root."""
    from ivr_text.report.html import fmt_pct

    if not nodes:
        return empty_chart("无数据 (no data)", width)
    by_id = {n.node: n for n in nodes}
    roots = []
    for n in nodes:
        n.children = []
    for n in nodes:
        p = by_id.get(n.parent) if n.parent is not None else None
        if p is not None and p is not n:
            p.children.append(n)
        else:
            roots.append(n)
    # guard against cycles: only nodes reachable from a root are drawn
    depth_of: dict[str, int] = {}
    order: list[TreeNode] = []

    def walk(n: TreeNode, depth: int):
        if n.node in depth_of:
            return
        depth_of[n.node] = depth
        order.append(n)
        for ch in n.children:
            walk(ch, depth + 1)

    for r in roots:
        walk(r, 0)
    max_depth = max(depth_of.values())
    box_w = min(170.0, (width - 20) / (max_depth + 1) - 24)
    gap_x = ((width - 20) - box_w * (max_depth + 1)) / max(max_depth, 1)
    top = 30 if title else 8
    legend_h = 44
    # leaves get consecutive rows; parents sit at the mean of their children
    row = [0]

    def place(n: TreeNode):
        kids = [c for c in n.children if depth_of.get(c.node) == depth_of[n.node] + 1]
        if not kids:
            n.y = top + row[0] * row_h
            row[0] += 1
        else:
            for c in kids:
                place(c)
            n.y = (kids[0].y + kids[-1].y) / 2
        n.x = 10 + depth_of[n.node] * (box_w + gap_x)

    for r in roots:
        place(r)
    height = top + row[0] * row_h + legend_h
    hmax = hangup_max if hangup_max is not None else max(
        [n.hangup_rate for n in order if not is_missing(n.hangup_rate)] + [0.05])
    tmax = transfer_max if transfer_max is not None else max(
        [n.transfer_rate for n in order if not is_missing(n.transfer_rate)] + [0.05])
    vmax = max([n.visits for n in order if not is_missing(n.visits)] + [1.0])
    svg = Svg(width, height, title or "menu tree")
    if title:
        svg.text(0, 18, title, size=14, weight="600")
    bh = row_h - 8
    for n in order:
        for c in n.children:
            if depth_of.get(c.node) != depth_of[n.node] + 1:
                continue
            w = 1 + 7 * math.sqrt((0 if is_missing(c.visits) else c.visits) / vmax)
            x0, y0 = n.x + box_w, n.y + bh / 2
            x1, y1 = c.x, c.y + bh / 2
            xm = (x0 + x1) / 2
            svg.add(f'<path d="M{x0:.1f},{y0:.1f} C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"'
                    f' fill="none" stroke="#9fb3c8" stroke-width="{w:.1f}"/>')
    strip = 16.0
    for n in order:
        fill = ramp(n.hangup_rate, 0, hmax, "#ffffff", COLORS["hangup"])
        tfill = ramp(n.transfer_rate, 0, tmax, "#ffffff", COLORS["transfer"])
        tip = (f"{n.label} ({n.node})\n访问 visits: {value_fmt(n.visits)}\n挂机率 hang-up: {fmt_pct(n.hangup_rate)}"
               f"\n转人工率 transfer: {fmt_pct(n.transfer_rate)}" + (f"\n{n.detail}" if n.detail else ""))
        svg.add(f'<g class="tree-node"><title>{esc(tip)}</title>')
        svg.rect(n.x, n.y, box_w - strip, bh, fill, stroke="#829ab1", rx=3)
        svg.rect(n.x + box_w - strip, n.y, strip, bh, tfill, stroke="#829ab1", rx=3)
        svg.text(n.x + 5, n.y + bh / 2 + 4, shorten(n.label, box_w - strip - 10, 11.5), size=11.5,
                 color=ink_on(fill))
        svg.add("</g>")
    # legends: two colour ramps
    ly = height - legend_h + 14
    for i, (name, c1, vmax_) in enumerate((("挂机率 hang-up rate", COLORS["hangup"], hmax),
                                          ("转人工率 transfer rate (右侧色条)", COLORS["transfer"], tmax))):
        lx = 10 + i * 340
        svg.text(lx, ly, name, size=11, color=COLORS["muted"])
        for k in range(10):
            svg.rect(lx + k * 18, ly + 6, 18, 10, ramp(k / 9, 0, 1, "#ffffff", c1))
        svg.text(lx, ly + 28, "0%", size=10, color=COLORS["muted"])
        svg.text(lx + 180, ly + 28, f"≥{fmt_pct(vmax_, 0)}", size=10, anchor="end", color=COLORS["muted"])
    return str(svg)
