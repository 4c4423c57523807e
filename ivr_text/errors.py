"""Errors a user can act on. The CLI prints them as one line and exits with code 1."""


class InputError(ValueError):
    """Bad input: a missing file or column, an unparseable value, an incompatible model.

    The message must name what is wrong and where (file, column, row) in one line.
    """
