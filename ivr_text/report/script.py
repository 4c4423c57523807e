"""The one inline script of every report page, and the Content-Security-Policy that pins it by hash.

What it does (progressive enhancement; the page reads fully without it):

- every ``table.data`` gets sortable headers (click or Enter; numbers sort by the raw value in ``data-v``,
  text by Chinese collation, empty cells last) and, from 6 rows, a filter box that hides non-matching rows
  and counts what is shown;
- a link to ``#id`` opens the ``<details>`` drill-down holding that id (and its enclosing ones), also when
  the page is opened with that hash;
- chart elements with an SVG ``<title>`` show it at once in a floating box while hovered (the native
  tooltip still works without script).

Safety: the script reads user text only through ``textContent`` and writes only ``textContent``, ``hidden``,
``open`` and attributes of its own; it never builds HTML, evaluates strings or makes a request. The page's
CSP (:func:`content_security_policy`) allows exactly this script by its SHA-256 hash: no ``unsafe-inline``,
no other script, no network (``default-src 'none'``), so any script text smuggled into the page stays inert.
"""

from __future__ import annotations

import base64
import hashlib

SCRIPT = r"""(function(){'use strict';
var D=document,S=[].slice;
function val(c){if(!c)return'';var v=c.getAttribute('data-v');return v!==null?v:c.textContent.trim();}
function cmp(a,b){var x=val(a),y=val(b);if(x===''||y==='')return x===y?0:(x===''?1:-1);
var p=parseFloat(x),q=parseFloat(y);
if(a.hasAttribute('data-v')&&b.hasAttribute('data-v')&&!isNaN(p)&&!isNaN(q))return p-q;
return x.localeCompare(y,'zh-CN');}
S.call(D.querySelectorAll('table.data')).forEach(function(t){
var body=t.tBodies[0];if(!t.tHead||!body)return;var ths=S.call(t.tHead.rows[0].cells);
ths.forEach(function(th,i){th.tabIndex=0;th.classList.add('sortable');th.setAttribute('aria-sort','none');
th.title='点击排序 click to sort';
function go(){var asc=th.getAttribute('aria-sort')!=='ascending';
ths.forEach(function(h){h.setAttribute('aria-sort','none');});
th.setAttribute('aria-sort',asc?'ascending':'descending');
S.call(body.rows).sort(function(a,b){var x=val(a.cells[i]),y=val(b.cells[i]);
if(x===''||y==='')return x===y?0:(x===''?1:-1);var r=cmp(a.cells[i],b.cells[i]);return asc?r:-r;})
.forEach(function(r){body.appendChild(r);});}
th.addEventListener('click',go);
th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();go();}});});
var n=body.rows.length;if(n<6)return;
var box=D.createElement('div');box.className='filter';
var inp=D.createElement('input');inp.type='search';inp.placeholder='筛选 filter…';
inp.setAttribute('aria-label','筛选表格 filter the table');
var cnt=D.createElement('span');cnt.className='filter-count';cnt.textContent=n+' / '+n;
box.appendChild(inp);box.appendChild(cnt);t.parentNode.insertBefore(box,t);
inp.addEventListener('input',function(){var q=inp.value.trim().toLowerCase(),k=0;
S.call(body.rows).forEach(function(r){var hit=!q||r.textContent.toLowerCase().indexOf(q)>=0;r.hidden=!hit;
if(hit)k++;});cnt.textContent=k+' / '+n;});});
function reveal(id){var el=id&&D.getElementById(id);if(!el)return;
for(var d=el.closest('details');d;d=d.parentElement&&d.parentElement.closest('details'))d.open=true;
el.scrollIntoView();}
D.addEventListener('click',function(e){var a=e.target.closest&&e.target.closest('a[href^="#"]');
if(a)reveal(decodeURIComponent(a.getAttribute('href').slice(1)));});
addEventListener('hashchange',function(){reveal(decodeURIComponent(location.hash.slice(1)));});
if(location.hash)reveal(decodeURIComponent(location.hash.slice(1)));
var tip=D.createElement('div');tip.className='tip';tip.hidden=true;D.body.appendChild(tip);
D.addEventListener('mousemove',function(e){var el=e.target,t=null;
while(el&&el.namespaceURI==='http://www.w3.org/2000/svg'&&el.tagName!=='svg'){
for(var c=el.firstElementChild;c;c=c.nextElementSibling)if(c.tagName==='title'){t=c;break;}
if(t)break;el=el.parentNode;}
if(!t){tip.hidden=true;return;}
tip.textContent=t.textContent;tip.hidden=false;
tip.style.left=Math.min(e.pageX+14,D.documentElement.scrollWidth-tip.offsetWidth-8)+'px';
tip.style.top=(e.pageY+14)+'px';});
D.documentElement.classList.add('js');})();"""


def script_hash(script: str = SCRIPT) -> str:
    """The CSP source for ``script``: ``'sha256-<base64 of SHA-256 of its UTF-8 bytes>'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(script: str = SCRIPT) -> str:
    """Nothing from the network, inline styles and data: images only, and exactly ``script`` by its hash."""
    return (f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {script_hash(script)}; "
            "base-uri 'none'; form-action 'none'")


def script_tag(script: str = SCRIPT) -> str:
    """The ``<script>`` element whose content is exactly ``script`` (the bytes the hash covers)."""
    if "</" in script:  # pragma: no cover - SCRIPT is a constant; guard a future edit
        raise ValueError("the inline script may not contain '</'")
    return f"<script>{script}</script>"
