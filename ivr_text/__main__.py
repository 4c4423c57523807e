"""``python -m ivr_text`` runs the ``ivr-text`` command."""

from ivr_text.cli.main import run

run()
