"""Render every report page that has inputs, plus the index, into one directory.

``render_reports(out_dir, ivr_dir=..., complaints_dir=..., churn_dir=..., manifest=...)`` writes
``index.html`` and ``ivr.html`` / ``complaints.html`` / ``churn.html`` for the directories given, and returns
{page key: path}. Pages are self-contained HTML (UTF-8); re-running overwrites them. Speed: the sample world's
reports render in about a second; the cost is reading the analyses' outputs.
"""

from __future__ import annotations

import json
from pathlib import Path

from ivr_text.report.kit import PAGES, nav_for


def _load_manifest(out_dir: Path, manifest):
    if manifest is not None:
        if isinstance(manifest, (str, Path)):
            path = Path(manifest)
            try:
                return json.loads(path.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError, RecursionError) as exc:
                return {"inputs": [], "notes": [f"manifest {path.name} not readable: {exc}"]}
        return manifest
    path = out_dir / "manifest.json"
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, RecursionError) as exc:
            return {"inputs": [], "notes": [f"manifest.json not readable: {exc}"]}
    return None


def render_reports(out_dir: str | Path, ivr_dir: str | Path | None = None,
                   complaints_dir: str | Path | None = None, churn_dir: str | Path | None = None,
                   manifest: dict | list | str | Path | None = None, *, title: str | None = None,
                   strict: bool = False) -> dict[str, Path]:
    """Write the report pages for the given analysis output directories; return {page key: path}.

    ``manifest`` (dict, list of inputs, or a JSON file path; default ``OUT_DIR/manifest.json`` when present)
    feeds the index's "what was analysed" table. ``strict`` re-raises unexpected errors inside sections
    (for tests); otherwise a broken section becomes a note and the rest renders.
    """
    from ivr_text.report.churn import churn_headline, churn_page
    from ivr_text.report.complaints import complaints_headline, complaints_page
    from ivr_text.report.index import index_page
    from ivr_text.report.ivr import ivr_headline, ivr_page

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    given = {k: v for k, v in (("ivr", ivr_dir), ("complaints", complaints_dir), ("churn", churn_dir))
             if v is not None}
    nav = nav_for(list(given))
    builders = {"ivr": (ivr_page, ivr_headline), "complaints": (complaints_page, complaints_headline),
                "churn": (churn_page, churn_headline)}
    written: dict[str, Path] = {}
    headlines = {}
    for key, src in given.items():
        build, headline = builders[key]
        page = build(src, nav=nav, strict=strict)
        path = out_dir / PAGES[key][0]
        path.write_text(page.render(), encoding="utf-8")
        written[key] = path
        headlines[key] = headline(src)
    index = index_page(headlines, _load_manifest(out_dir, manifest), title=title,
                       date_range=_ivr_date_range(given.get("ivr")))
    path = out_dir / PAGES["index"][0]
    path.write_text(index.render(), encoding="utf-8")
    return {"index": path, **written}


def _ivr_date_range(ivr_dir) -> dict | None:
    """Date range of the IVR calls (``kpis.json``), for an index whose manifest gives none."""
    from ivr_text.report.sources import MissingData, OutputDir

    if ivr_dir is None:
        return None
    try:
        dr = OutputDir(ivr_dir).json("kpis.json").get("date_range")
    except MissingData:
        return None
    return dr if isinstance(dr, dict) and dr.get("first_call") else None
