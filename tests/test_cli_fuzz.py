"""Mutated real-shaped inputs through the CLI: every outcome is a result or one clear error, never a traceback."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ivr_text.cli.main import app

SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs"
EDITS = st.lists(st.tuples(st.floats(0, 1), st.sampled_from(
    [b",", b"\n", b'"', b"\t", "中".encode(), b"\r\n", b",,,", b"\xff", b"\x00", b"", b"-08:00", b"\xe4"])),
    min_size=1, max_size=8)


def _mutate(data: bytes, edits) -> bytes:
    out = bytearray(data)
    for where, insert in edits:
        i = int(where * len(out))
        if insert:
            out[i:i] = insert
        else:
            del out[i:i + 40]
    return bytes(out)


def _head(name: str, lines: int = 120) -> bytes:
    return b"".join((SAMPLE / name).open("rb").readlines()[:lines])


COMMANDS = {
    "ivr_events.csv": lambda f, o: ["ivr", "analyze", f, "--menu", str(SAMPLE / "menu.yaml"), "--out", o],
    "complaints.csv": lambda f, o: ["classify", "predict", f, "--out", o + "/p.csv"],
    "usage.csv": lambda f, o: ["churn", "quality", f, "--out", o],
    "menu.yaml": lambda f, o: ["ivr", "contacts", str(SAMPLE / "ivr_events.csv"), "--menu", f, "--out", o + "/c.csv"],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_mutated_inputs_never_crash(name, tmp_path_factory):
    source = (SAMPLE / name).read_bytes() if name.endswith(".yaml") else _head(name)

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(EDITS)
    def check(edits):
        work = tmp_path_factory.mktemp("fuzz")
        path = work / name
        path.write_bytes(_mutate(source, edits))
        res = CliRunner().invoke(app, COMMANDS[name](str(path), str(work / "out")))
        assert res.exit_code in (0, 1), res.output
        assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)

    check()
