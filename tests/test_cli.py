"""The CLI shell: version, help with an example on every command, exit codes, and docs for every command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ivr_text import __version__
from ivr_text.cli.main import app

runner = CliRunner()
README = Path(__file__).resolve().parents[1] / "README.md"


def _commands(group, prefix=()):
    for name, cmd in getattr(group, "commands", {}).items():
        path = (*prefix, name)
        if getattr(cmd, "commands", None):
            yield from _commands(cmd, path)
        else:
            yield path


ALL = sorted(_commands(typer.main.get_command(app)))


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "ivr_text", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "ivr-text" in out.stdout


def test_usage_error_exit_code_2():
    assert runner.invoke(app, ["no-such-command"]).exit_code == 2


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p))
def test_every_command_help_ends_with_example(path):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example: ivr-text" in result.output, f"'{' '.join(path)} --help' has no example"


@pytest.mark.skipif(not README.exists(), reason="README not present")
@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p))
def test_every_command_documented_in_readme(path):
    assert f"ivr-text {' '.join(path)}" in README.read_text(encoding="utf-8")


def test_commands_exist():
    assert len(ALL) >= 1
