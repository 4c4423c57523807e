"""Errors a user can act on. The CLI prints them as one line and exits with code 1."""


class InputError(ValueError):
    """Bad input: a missing file or column, an unparseable value, an incompatible model.

    The message must name what is wrong and where (file, column, row) in one line.
    """


class UsageError(InputError):
    """A bad command line: an option value that cannot work (exit code 2 instead of 1).

    An :class:`InputError` whose message starts with the option's name (``--period 'x': …``) counts as one too.
    """
