"""reused_memory: settings restored on exit (also nested and after an error); the analysis is unchanged by it."""

from __future__ import annotations

import pytest

from ivr_text.ivr import analyze_events
from ivr_text.ivr.memory import _hugepage_switch, reused_memory
from ivr_text.samples import ivr_events_frame


def _huge():
    switch = _hugepage_switch()
    if switch is None:
        pytest.skip("this numpy has no huge-page switch")
    now = switch(True)  # the switch returns the previous value: read it and put it back
    switch(now)
    return now


def test_hugepage_advice_off_inside_and_restored_after_nesting_and_errors():
    before = _huge()
    with reused_memory():
        assert _huge() is False
        with reused_memory():
            assert _huge() is False
        assert _huge() is False  # the inner exit does not restore while the outer block runs
    assert _huge() == before
    with pytest.raises(RuntimeError):
        with reused_memory():
            raise RuntimeError("boom")
    assert _huge() == before


def test_switched_off_by_environment(monkeypatch):
    before = _huge()
    monkeypatch.setenv("IVR_TEXT_REUSE_MEMORY", "0")
    with reused_memory():
        assert _huge() == before


def test_analysis_identical_with_and_without_memory_reuse(monkeypatch):
    df = ivr_events_frame(3000, 7)
    a = analyze_events(df)
    monkeypatch.setenv("IVR_TEXT_REUSE_MEMORY", "0")
    b = analyze_events(df)
    assert a.kpis == b.kpis
    for name in ("node_metrics", "paths", "hotspots", "recommendations", "transitions"):
        assert getattr(a, name).equals(getattr(b, name)), name
