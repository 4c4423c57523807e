"""The spinner of long commands: drawn on a terminal, silent with --quiet or when stderr is not a TTY."""

from __future__ import annotations

import io

from ivr_text.cli import common
from ivr_text.cli.progress import enabled, working


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_spinner_on_a_terminal_only():
    tty, pipe = Tty(), io.StringIO()
    with working("ivr-text topics", stream=tty):
        pass
    with working("ivr-text topics", stream=pipe):
        pass
    assert "ivr-text topics" in tty.getvalue()
    assert pipe.getvalue() == ""


def test_quiet_and_nested_are_silent():
    tty = Tty()
    common.set_quiet(True)
    try:
        assert not enabled(tty)
        with working("x", stream=tty):
            pass
    finally:
        common.set_quiet(False)
    assert tty.getvalue() == ""
    assert enabled(tty)
    with working("outer", stream=io.StringIO()):
        assert not enabled(tty)  # a command run inside another adds nothing
