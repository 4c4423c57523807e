"""An Excel workbook a retention or quality team can hand on: the warning list, IVR hot spots and redesign
advice, complaint predictions and trend alerts, one sheet each, from the analyses' output directories.

``workbook_frames(ivr_dir=..., complaints_dir=..., churn_dir=...)`` collects the tables found (a missing one is
simply absent); ``write_workbook(path, frames)`` writes them with openpyxl (write-only, so 100 k-row sheets
stream). Guarantees: every sheet holds exactly the rows of its CSV; headers are Chinese with the column name
beside it (:func:`ivr_text.report.terms.bilingual`); the header row is frozen and bold, with an autofilter and
column widths from the content; every text cell is stored as text, never as a formula (a value starting with
``=``, ``+``, ``-``, ``@``, tab or CR stays inert, and nothing is evaluated on opening); PII is masked unless
``--no-mask`` (:func:`ivr_text.sanitize.mask_frame`); characters XML cannot hold are dropped.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

import pandas as pd

from ivr_text.report.sources import MissingData, OutputDir
from ivr_text.report.terms import ZH, bilingual

#: sheet key → (sheet title, analysis directory, file names tried in order)
SHEETS = {
    "warnings": ("预警名单 warnings", "churn", ("warnings.csv",)),
    "hotspots": ("IVR热点 hotspots", "ivr", ("hotspots.csv",)),
    "advice": ("菜单建议 advice", "ivr", ("recommendations.csv",)),
    "predictions": ("投诉分类 predictions", "complaints", ("predictions.csv", "predicted.csv", "classified.csv")),
    "alerts": ("趋势告警 alerts", "complaints", ("alerts.csv",)),
}


def workbook_frames(*, ivr_dir=None, complaints_dir=None, churn_dir=None) -> dict[str, pd.DataFrame]:
    """{sheet key: table} for every sheet whose file exists under the given directories (CSV/Parquet)."""
    dirs = {"ivr": ivr_dir, "complaints": complaints_dir, "churn": churn_dir}
    out = {}
    for key, (_, kind, names) in SHEETS.items():
        if dirs[kind] is None:
            continue
        try:
            if key == "predictions":
                from ivr_text.report.complaints import find_predictions

                out[key] = find_predictions(OutputDir(dirs[kind]))
            else:
                out[key] = OutputDir(dirs[kind]).table(*names)
        except MissingData:
            continue
    return out


def sheet_header(column: object) -> str:
    """``中文 column`` (the column name always kept, so the sheet maps back to the CSV)."""
    col = str(column)
    zh = ZH.get(col)
    return f"{zh} {col}" if zh and col not in zh else bilingual(col, col)


def _cell_width(v: object) -> float:
    s = "" if v is None else str(v)
    return sum(2.0 if ord(ch) >= 0x2E80 else 1.1 for ch in s[:80])


def _python(v: object):
    """A value openpyxl stores as it is: NaN/NA → empty, numpy scalars → Python, other objects → text."""
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (bool, int, float, str)) or isinstance(v, pd.Timestamp):
        return v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
    return str(v)


def write_workbook(path: str | Path, frames: Mapping[str, pd.DataFrame]) -> Path:
    """Write ``frames`` (sheet key or title → table) to ``path`` as .xlsx; return the path."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from ivr_text.sanitize import mask_frame
    from ivr_text.text.pii import output_masking

    if not frames:
        raise MissingData("no table for the workbook (warnings.csv, hotspots.csv, recommendations.csv, "
                          "predictions.csv, alerts.csv)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(write_only=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")

    def text_cell(ws, s: str, **style):
        c = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", s))
        c.data_type = "s"  # text, whatever its first character: never a formula
        for k, v in style.items():
            setattr(c, k, v)
        return c

    for key, df in frames.items():
        title = SHEETS[key][0] if key in SHEETS else str(key)[:31]
        if output_masking():
            df = mask_frame(df)
        ws = wb.create_sheet(title)
        ws.freeze_panes = "A2"
        headers = [sheet_header(c) for c in df.columns]
        sample = df.head(200)
        for j, (c, h) in enumerate(zip(df.columns, headers), start=1):
            width = max([_cell_width(h)] + [_cell_width(v) for v in sample[c].tolist()])
            ws.column_dimensions[get_column_letter(j)].width = max(8.0, min(60.0, width + 2))
        if len(df.columns):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"
        ws.append([text_cell(ws, h, font=bold, fill=fill, alignment=Alignment(vertical="center"))
                   for h in headers])
        for row in df.itertuples(index=False, name=None):
            cells = []
            for v in row:
                v = _python(v)
                cells.append(text_cell(ws, v) if isinstance(v, str) else v)
            ws.append(cells)
    wb.save(path)
    return path
