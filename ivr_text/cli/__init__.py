"""Typer command-line interface: a thin shell over the library (see ``main.py``)."""
