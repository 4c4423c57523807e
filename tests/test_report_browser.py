"""Every report page in real headless Chromium: charts render with non-zero size, no console or script errors,
no request leaves the page, the pinned script runs (sorting, filtering and drill-down change the page), a page
with hostile text in every field runs nothing but that script, and a screenshot is saved. Skips where Chromium
is absent.
"""

from __future__ import annotations

import pytest

from ivr_text.report import render_reports
from report_fixtures import chromium, load_in_browser, make_all, make_hostile

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
    assert seen["scripts"] == 2  # the page's pinned script and the test's probe
    assert seen["js"], "the pinned script did not run under the page's CSP"
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
                   "content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-AAAA'\"></head><body>"
                   "<svg width=\"0\" height=\"0\"></svg><img src=\"https://example.invalid/x.png\">"
                   "<script>window.__pwned=1</script></body></html>",
                   encoding="utf-8")
    seen = load_in_browser(bad, tmp_path)
    assert seen["errors"] and seen["console"]
    assert any(e.startswith("csp script-src") for e in seen["errors"]) and not seen["pwned"]  # unpinned: blocked
    assert seen["sized"] < seen["svgs"]


DRILL = """
var seenHref={};var links=[].slice.call(document.querySelectorAll('a[href^="#ex-"]')).filter(function(a){
  var h=a.getAttribute('href');if(seenHref[h])return false;seenHref[h]=1;return true});
return links.map(function(a){var d=document.getElementById(a.getAttribute('href').slice(1));
  var det=d&&d.closest('details');var was=det?det.open:null;a.click();return [was,det?det.open:null]});
"""

SORT_FILTER = """
var t=[].slice.call(document.querySelectorAll('table.data')).filter(function(t){return t.tBodies[0].rows.length>=6})[0];
if(!t)return {error:'no table with 6 rows'};
var rows=function(){return [].slice.call(t.tBodies[0].rows)};
var col=[].slice.call(t.tHead.rows[0].cells).findIndex(function(th,i){return rows().every(function(r){
  return r.cells[i]&&r.cells[i].hasAttribute('data-v')})});
var th=t.tHead.rows[0].cells[col];
var vals=function(){return rows().map(function(r){return parseFloat(r.cells[col].getAttribute('data-v'))})};
var before=vals();th.click();var asc=vals();th.click();var desc=vals();
var inp=t.parentNode.querySelector('.filter input');
var word=rows()[0].cells[0].textContent.trim();
inp.value=word;inp.dispatchEvent(new Event('input'));
var shown=rows().filter(function(r){return !r.hidden}).length;
var expect=rows().filter(function(r){return r.textContent.toLowerCase().indexOf(word.toLowerCase())>=0}).length;
inp.value='zzzz-no-such-row';inp.dispatchEvent(new Event('input'));
var none=rows().filter(function(r){return !r.hidden}).length;
var count=t.parentNode.querySelector('.filter-count').textContent;
inp.value='';inp.dispatchEvent(new Event('input'));
return {before:before,asc:asc,desc:desc,aria:th.getAttribute('aria-sort'),shown:shown,expect:expect,none:none,
  count:count,total:rows().length,visible_after_clear:rows().filter(function(r){return !r.hidden}).length};
"""


def test_sort_and_filter_change_the_table(rendered):
    root, paths = rendered
    seen = load_in_browser(paths["ivr"], root, actions=SORT_FILTER)
    assert seen["errors"] == [], seen["errors"]
    a = seen["actions"]
    assert "error" not in a, a
    assert a["asc"] == sorted(a["before"]) and a["desc"] == sorted(a["before"], reverse=True)
    assert a["asc"] != a["desc"] and a["aria"] == "descending"
    assert a["shown"] == a["expect"] >= 1
    assert a["none"] == 0 and a["count"] == f"0 / {a['total']}" and a["visible_after_clear"] == a["total"]


@pytest.mark.parametrize("page,links", [("ivr", 1), ("complaints", 3), ("churn", 2)])
def test_drill_down_links_open_their_section(rendered, page, links):
    """hot spot → example calls; cause / alert → example complaints; warned customer → their curve."""
    root, paths = rendered
    seen = load_in_browser(paths[page], root, actions=DRILL)
    assert seen["errors"] == [], seen["errors"]
    assert len(seen["actions"]) >= links
    assert all(was is False and now is True for was, now in seen["actions"]), seen["actions"]


def test_hostile_text_in_every_field_stays_inert(tmp_path):
    """Every text cell and JSON string carries img/onerror, script, svg/onload and javascript: payloads; with the
    page script running, none of them executes and no element carries an event-handler attribute."""
    outs = make_hostile(tmp_path / "outputs")
    paths = render_reports(tmp_path / "html", ivr_dir=outs["ivr"], complaints_dir=outs["complaints"],
                           churn_dir=outs["churn"])
    for key, path in paths.items():
        html = path.read_text(encoding="utf-8")
        if key != "index":  # (the index shows no user text without a manifest)
            assert "window.__pwned" in html.replace("&quot;", '"'), key  # the payload reached the page, as text
        seen = load_in_browser(path, tmp_path, actions="document.querySelectorAll('details').forEach("
                                                       "function(d){d.open=true});return 1")
        assert seen["js"] and seen["scripts"] == 2, key
        assert not seen["pwned"], f"a planted payload ran on {key}"
        assert seen["on_attributes"] == 0, key
        assert seen["resources"] == [] and seen["errors"] == [], (key, seen["errors"])
