"""Issue 12: hostile input through every command ends in one clear line, never a traceback.

Exit code 1 for bad input (naming the file), 2 for a bad command line; when a command runs, what it read is
what it used plus what it rejected, and the rejected rows are in its rejected_*.csv.
"""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from safety_kit import built_once, FILE_HOSTILE, FORMAT_HOSTILE, READER_COMMANDS, ROW_HOSTILE, good_inputs, hostile_file, read_accounting

runner = CliRunner()
_built_once = pytest.fixture(scope="module", autouse=True)(built_once)

#: command -> (kind of the input that gets the hostile versions, argv given that input, the good inputs, out)
COMMANDS = {
    "tokenize": ("complaints", lambda f, g, o: ["tokenize", f, "--out", o]),
    "topics": ("complaints", lambda f, g, o: ["topics", f, "--out", o, "--topics", "2", "--passes", "1",
                                               "--iterations", "10", "--n-jobs", "1"]),
    "trends": ("complaints", lambda f, g, o: ["trends", f, "--out", o, "--no-terms"]),
    "classify predict": ("complaints", lambda f, g, o: ["classify", "predict", f, "--out", o, "--jobs", "1"]),
    "classify train": ("complaints", lambda f, g, o: ["classify", "train", f, "--model", o + "/m.model", "--out", o,
                                                       "--jobs", "1"]),
    "classify evaluate": ("complaints", lambda f, g, o: ["classify", "evaluate", f, "--out", o]),
    "classify taxonomy": ("complaints", lambda f, g, o: ["classify", "taxonomy", f, "--out", o + "/t.yaml",
                                                          "--min-texts", "2"]),
    "keywords expand": ("complaints", lambda f, g, o: ["keywords", "expand", f, "--out", o + "/k.csv",
                                                        "--epochs", "1"]),
    "ivr analyze": ("ivr_events", lambda f, g, o: ["ivr", "analyze", f, "--out", o]),
    "ivr contacts": ("ivr_events", lambda f, g, o: ["ivr", "contacts", f, "--out", o + "/c.csv"]),
    "ivr analyze-records": ("call_records", lambda f, g, o: ["ivr", "analyze-records", f, "--out", o]),
    "churn quality": ("usage", lambda f, g, o: ["churn", "quality", f, "--out", o]),
    "churn signal": ("feedback", lambda f, g, o: ["churn", "signal", "--feedback", f, "--usage", g["usage"],
                                                   "--out", o]),
    "churn features": ("usage", lambda f, g, o: ["churn", "features", "--feedback", g["feedback"], "--usage", f,
                                                  "--out", o]),
    "churn evaluate": ("labels", lambda f, g, o: ["churn", "evaluate", "--feedback", g["feedback"], "--usage",
                                                   g["usage"], "--labels", f, "--out", o, "--folds", "2"]),
    "churn evaluate-table": ("customer_table", lambda f, g, o: [
        "churn", "evaluate-table", f, "--label-column", "churn", "--feedback-column", "care",
        "--usage-change-column", "chg", "--out", o, "--folds", "2"]),
}
#: commands without an input table: only their command line can be hostile
OTHER = {
    "samples": lambda g, o: ["samples", "--out", o, "--calls", "30", "--customers", "10", "--months", "2"],
    "report": lambda g, o: ["report", "--complaints", str(Path(g["complaints"]).parent), "--out", o],
    "demo": lambda g, o: ["demo", "--data", str(Path(g["complaints"]).parent), "--out", o],
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    good = {k: str(v) for k, v in good_inputs(d / "good").items()}
    blocker = d / "a_file.txt"
    blocker.write_text("not a directory", encoding="utf-8")
    return d, good, blocker


def _check_failure(res, code: int, name: str) -> str:
    """One error line on stderr, the expected exit code, no traceback; returns the line."""
    text = res.output + res.stderr
    assert "Traceback" not in text and (res.exception is None or isinstance(res.exception, SystemExit)), text
    assert res.exit_code == code, f"exit {res.exit_code}, expected {code}: {text}"
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def _check_accounting(res, out: Path) -> None:
    """Every printed ``read = used + rejected`` adds up; with one input, its last line (after later rejections)
    counts the rows of its rejected file."""
    counts = read_accounting(res.output)
    for read, used, rejected in counts:
        assert read == used + rejected, res.output
    files = sorted(out.rglob("rejected_*.csv"))
    if len(files) == 1 and len({c[0] for c in counts}) == 1:
        assert len(pd.read_csv(files[0], dtype=str, keep_default_na=False)) == counts[-1][2]


FILE_CASES = [(c, v) for c in sorted(COMMANDS) for v in FILE_HOSTILE] + [
    (c, v) for c in READER_COMMANDS for v in FORMAT_HOSTILE]


@pytest.mark.parametrize("command, variant", FILE_CASES, ids=[f"{c}-{v}" for c, v in FILE_CASES])
def test_hostile_file_is_one_clear_line(command, variant, world):
    d, good, _ = world
    kind, argv = COMMANDS[command]
    path = hostile_file(kind, variant, Path(good[kind]), d / "in")
    out = d / "out" / command.replace(" ", "_") / variant
    res = runner.invoke(app, argv(str(path), good, str(out)))
    line = _check_failure(res, 1, command)
    assert path.name in line or str(path) in line, line  # names the file


ROW_CASES = [(c, v) for c in sorted(COMMANDS) for v in ROW_HOSTILE if v == "mixed_rows" or c in READER_COMMANDS]


@pytest.mark.parametrize("command, variant", ROW_CASES, ids=[f"{c}-{v}" for c, v in ROW_CASES])
def test_hostile_rows_are_rejected_or_refused(command, variant, world):
    d, good, _ = world
    kind, argv = COMMANDS[command]
    path = hostile_file(kind, variant, Path(good[kind]), d / "in")
    out = d / "out" / command.replace(" ", "_") / variant
    res = runner.invoke(app, argv(str(path), good, str(out)))
    if res.exit_code == 0:
        assert "Traceback" not in res.output + res.stderr
        _check_accounting(res, out)
    else:
        _check_failure(res, 1, command)


@pytest.mark.parametrize("command", sorted(COMMANDS) + sorted(OTHER))
def test_out_under_or_at_a_file_is_a_usage_error(command, world):
    d, good, blocker = world
    build = (lambda o: COMMANDS[command][1](good[COMMANDS[command][0]], good, o)) if command in COMMANDS \
        else (lambda o: OTHER[command](good, o))
    _check_failure(runner.invoke(app, build(str(blocker / "sub"))), 2, command)
    argv = build(str(blocker))
    if argv[argv.index("--out") + 1] == str(blocker):  # a directory is expected where a file is
        _check_failure(runner.invoke(app, argv), 2, command)


_BAD_OPTIONS = [(["--format", "xls"], 2), (["--encoding", "no-such-codec"], 2), (["--map", "no_equals_sign"], 2),
                (["--no-such-option"], 2), (["--decimal", ";"], 2), (["--date-window", "yesterday"], 2)]


@pytest.mark.parametrize("extra, code", _BAD_OPTIONS, ids=[" ".join(e) for e, _ in _BAD_OPTIONS])
@pytest.mark.parametrize("command", ["classify predict", "trends", "ivr analyze", "churn quality", "tokenize"])
def test_bad_option_values_are_usage_errors(command, extra, code, world):
    d, good, _ = world
    kind, argv = COMMANDS[command]
    args = argv(good[kind], good, str(d / "out" / "opts"))
    if extra[0] in ("--format", "--map") and command.startswith("churn"):
        return  # churn commands take --usage-map / no --format
    _check_failure(runner.invoke(app, args + extra), code, command)


@pytest.mark.parametrize("option, kind", [("--menu", "ivr analyze"), ("--config", "ivr analyze"),
                                          ("--config", "trends"), ("--taxonomy", "classify predict"),
                                          ("--model", "classify predict"), ("--rules", "churn quality")])
@pytest.mark.parametrize("variant", ["missing", "symlink_loop", "empty", "binary", "deep_json"])
def test_hostile_config_and_model_files(option, kind, variant, world):
    d, good, _ = world
    if option == "--config" and variant == "empty":
        return  # an empty settings file is valid: no settings
    path = hostile_file("config", variant, Path(good["complaints"]), d / "cfg")
    name, argv = kind, COMMANDS[kind][1]
    res = runner.invoke(app, argv(good[COMMANDS[kind][0]], good, str(d / "out" / "cfg")) + [option, str(path)])
    line = _check_failure(res, 1, name)
    assert path.name in line or str(path) in line, line


def test_hostile_model_archives(world, tmp_path, monkeypatch):
    """Model files whose schema is {}, a list or a string, and one that expands beyond the size cap (a zip bomb:
    the cap is scaled down to this small model so that the bomb stays small too)."""
    import json
    import zipfile

    import ivr_text.model_files as model_module

    d, good, _ = world
    model = tmp_path / "m.model"
    assert runner.invoke(app, ["classify", "train", good["complaints"], "--model", str(model), "--out",
                               str(tmp_path), "--jobs", "1"]).exit_code == 0
    with zipfile.ZipFile(model) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    cases = {}
    for name, schema in (("empty_schema", {}), ("list_schema", [1, 2]), ("string_schema", "x"), ("bomb", None)):
        cases[name] = tmp_path / f"{name}.model"
        with zipfile.ZipFile(cases[name], "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for n, b in members.items():
                zf.writestr(n, json.dumps(schema) if n == "schema.json" and schema is not None else b)
            if schema is None:
                zf.writestr("pad.npy", b"\0" * 1_000_000)  # 1 MB of zeros: about 1 kB in the archive
    monkeypatch.setattr(model_module, "MAX_MODEL_BYTES", sum(map(len, members.values())) + 100_000)
    for name, path in cases.items():
        res = runner.invoke(app, ["classify", "predict", good["complaints"], "--model", str(path), "--out",
                                  str(tmp_path / name)])
        assert str(path) in _check_failure(res, 1, name)
    assert runner.invoke(app, ["classify", "predict", good["complaints"], "--model", str(model), "--out",
                               str(tmp_path / "ok")]).exit_code == 0
