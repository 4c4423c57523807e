"""The demo runs the whole chain on a (small) sample world and ends in a linked index page."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ivr_text.cli.main import app

runner = CliRunner()


def test_demo_end_to_end(tmp_path):
    world, out = tmp_path / "world", tmp_path / "out"
    made = runner.invoke(app, ["samples", "--out", str(world), "--seed", "3", "--calls", "600",
                               "--customers", "300", "--months", "12"])
    assert made.exit_code == 0, made.output
    result = runner.invoke(app, ["demo", "--data", str(world), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "$ ivr-text ivr analyze" in result.output
    index = (out / "index.html").read_text(encoding="utf-8")
    for page in ("ivr.html", "complaints.html", "churn.html"):
        assert (out / page).exists() and page in index
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert all(step["exit_code"] == 0 for step in manifest["steps"])
    assert manifest["inputs"] and all(i["read"] == i["used"] + i["rejected"] for i in manifest["inputs"])


def test_demo_fails_loudly_on_a_broken_world(tmp_path):
    world = tmp_path / "world"
    runner.invoke(app, ["samples", "--out", str(world), "--seed", "1", "--calls", "200", "--customers", "100"])
    (world / "ivr_events.csv").write_text("wrong,header\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["demo", "--data", str(world), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "demo stopped at step 1" in result.output
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [
        line for line in result.stderr.splitlines() if line.strip()]  # one error line: the step's own
