"""Every report page in real headless Chromium: charts render with non-zero size, no console or script errors,
no request leaves the page, and a screenshot is saved. Skips where Chromium is absent.
"""

from __future__ import annotations

import pytest

from ivr_text.report import render_reports
from report_fixtures import chromium, load_in_browser, make_all

pytestmark = pytest.mark.skipif(chromium() is None, reason="chromium not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    outs = make_all(root / "outputs")
    manifest = {"inputs": [{"file": "ivr_events.csv", "kind": "ivr_events", "read": 3, "used": 2, "rejected": 1}]}
    return root, render_reports(root / "html", ivr_dir=outs["ivr"], complaints_dir=outs["complaints"],
                                churn_dir=outs["churn"], manifest=manifest, strict=True)


MIN_CHARTS = {"index": 0, "ivr": 6, "complaints": 5, "churn": 8}


@pytest.mark.parametrize("page", ["index", "ivr", "complaints", "churn"])
def test_page_renders_in_chromium(rendered, page):
    root, paths = rendered
    shot = root / f"{page}.png"
    seen = load_in_browser(paths[page], root, screenshot=shot if page in ("index", "ivr") else None)
    assert seen["errors"] == [], seen["errors"]
    assert seen["console"] == [], seen["console"]
    assert seen["resources"] == [], f"page fetched {seen['resources']}"
    assert seen["scripts"] == 1  # only the test's probe: the report itself has no script
    assert seen["svgs"] >= MIN_CHARTS[page]
    assert seen["sized"] == seen["svgs"], "an SVG chart rendered with zero size"
    if page != "index":
        assert "ivr-chart" in seen["dom"]
    if page in ("index", "ivr"):
        assert shot.exists() and shot.stat().st_size > 10_000


def test_probe_catches_errors_and_external_requests(tmp_path):
    """The browser check itself can fail: a page with a script error and an external image is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" "
                   "content=\"default-src 'none'; style-src 'unsafe-inline'\"></head><body>"
                   "<svg width=\"0\" height=\"0\"></svg><img src=\"https://example.invalid/x.png\"></body></html>",
                   encoding="utf-8")
    seen = load_in_browser(bad, tmp_path)
    assert seen["errors"] and seen["console"]
    assert seen["sized"] < seen["svgs"]
