"""Commands of this group (being written)."""


def register(app) -> None:
    """Add this module's commands to the ivr-text app."""
