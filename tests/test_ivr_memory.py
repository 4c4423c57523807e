"""reused_memory: settings restored on exit (also nested and after an error); the analysis is unchanged by it.

Process-wide tuning is the command line's alone: a library call changes no setting, and an ``ivr-text`` run
enters the tuning once and undoes it when it ends.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.io import write_table
from ivr_text.ivr import analyze_events, memory
from ivr_text.ivr.memory import _hugepage_switch, reused_memory
from ivr_text.ivr.reading import CODE_COLUMNS, read_chunked, read_parquet_events
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


def test_analysis_identical_with_and_without_memory_reuse():
    df = ivr_events_frame(3000, 7)
    with reused_memory():
        a = analyze_events(df)
    b = analyze_events(df)
    assert a.kpis == b.kpis
    for name in ("node_metrics", "paths", "hotspots", "recommendations", "transitions"):
        assert getattr(a, name).equals(getattr(b, name)), name


def _spy(monkeypatch) -> list[str]:
    """Record every change of the glibc / numpy settings (the real ones still run)."""
    calls: list[str] = []
    enter, leave = memory._enter, memory._leave
    monkeypatch.setattr(memory, "_enter", lambda: calls.append("enter") or enter())
    monkeypatch.setattr(memory, "_leave", lambda saved: calls.append("leave") or leave(saved))
    return calls


def test_library_calls_leave_process_settings_unchanged(tmp_path, monkeypatch):
    calls = _spy(monkeypatch)
    huge, pool = _huge(), pa.default_memory_pool().backend_name
    df = ivr_events_frame(800, 3)
    path = write_table(df, tmp_path / "events.parquet")
    analyze_events(read_parquet_events(path))
    analyze_events(read_chunked(write_table(df, tmp_path / "events.csv"), "ivr_events", dictionary=CODE_COLUMNS).data)
    assert calls == []
    assert _huge() == huge and pa.default_memory_pool().backend_name == pool


def test_a_cli_run_tunes_once_and_undoes_it(tmp_path, monkeypatch):
    calls = _spy(monkeypatch)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    huge, pool = _huge(), pa.default_memory_pool().backend_name
    seen = {}
    real = analyze_events

    def watching(*args, **kwargs):  # the settings while the command runs
        seen["huge"], seen["pool"] = _huge(), pa.default_memory_pool().backend_name
        return real(*args, **kwargs)

    monkeypatch.setattr("ivr_text.ivr.analyze_events", watching)
    events = write_table(ivr_events_frame(500, 4), tmp_path / "events.csv")
    r = CliRunner().invoke(app, ["-q", "ivr", "analyze", str(events), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert calls == ["enter", "leave"]
    assert seen["huge"] is False
    try:
        pa.jemalloc_memory_pool()
        assert seen["pool"] == "jemalloc"
    except NotImplementedError:  # a pyarrow built without jemalloc keeps its default
        assert seen["pool"] == pool
    assert _huge() == huge and pa.default_memory_pool().backend_name == pool
