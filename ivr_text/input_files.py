"""Is an input path a readable regular file? One check for tables, config files and model files alike."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ivr_text.errors import InputError

__all__ = ["check_input_file"]


def check_input_file(path: str | Path, what: str = "file") -> Path:
    """``path`` if it is a readable regular file, else an :class:`InputError` saying why in the OS's words
    (not found, a symbolic link loop, permission denied, a directory, a device or pipe)."""
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        why = {errno.ENOENT: "not found", errno.ELOOP: "is a symbolic link loop", errno.ENOTDIR: "not found",
               errno.EACCES: "permission denied", errno.ENAMETOOLONG: "name too long"}.get(exc.errno)
        raise InputError(f"{path}: {what} {why or exc.strerror or 'cannot be read'}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory, expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular {what} (a device, pipe or socket cannot be read as a table)")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: {what} permission denied")
    return path
