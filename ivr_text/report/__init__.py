"""Self-contained HTML reports (inline CSS and SVG, no network) rendered from the analyses' output files.

``render_reports(out_dir, ivr_dir=None, complaints_dir=None, churn_dir=None, manifest=None)`` writes
``index.html`` plus one page per analysis; ``ivr_page``, ``complaints_page``, ``churn_page`` and
``index_page`` build single pages (``Page.render()`` → HTML text).
"""

from ivr_text.report.churn import churn_page
from ivr_text.report.complaints import complaints_page
from ivr_text.report.index import index_page
from ivr_text.report.ivr import ivr_page
from ivr_text.report.render import render_reports

__all__ = ["render_reports", "ivr_page", "complaints_page", "churn_page", "index_page"]
