"""Model files: skops archives holding only NumPy arrays and JSON strings, and the one safe way to open them.

Every node type in the archive's schema is checked against :data:`ALLOWED_TYPES` before anything is loaded
(skops itself trusts scikit-learn estimators by default; a model file of ours has none), so loading never runs
code from the file. A damaged, foreign, wrong-format or wrong-version file, or one written by another
scikit-learn minor version, raises :class:`InputError` with one clear line naming the command that retrains.
"""

from __future__ import annotations

import json
from pathlib import Path

from ivr_text.errors import InputError

#: Every object type a model file may contain.
ALLOWED_TYPES = {"builtins.dict", "builtins.str", "builtins.list", "builtins.int", "builtins.float",
                 "numpy.ndarray"}

#: A model is JSON and NumPy arrays of a few MB; an archive that would expand beyond this (a zip bomb) is refused
MAX_MODEL_BYTES = 1 << 30
MAX_MODEL_MEMBERS = 1000


class _TooLarge(ValueError):
    """A model archive beyond the size limits."""


def stored_types(path: Path) -> set[str]:
    """``module.Class`` of every node in the skops archive's schema (raises on a damaged archive, ValueError on
    one that would expand beyond :data:`MAX_MODEL_BYTES` or whose schema is not a skops schema)."""
    import zipfile

    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        size = sum(i.file_size for i in infos)
        if len(infos) > MAX_MODEL_MEMBERS or size > MAX_MODEL_BYTES:
            raise _TooLarge(f"{path}: refusing a model archive of {len(infos):,} files expanding to "
                            f"{size / 1e6:,.0f} MB (limit {MAX_MODEL_BYTES / 1e6:,.0f} MB): not an ivr-text model")
        schema = json.loads(zf.read("schema.json"))
    if not isinstance(schema, dict) or not isinstance(schema.get("protocol"), int) or "__class__" not in schema:
        raise ValueError("not a skops schema")
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node:
                found.add(f"{node.get('__module__')}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def minor(version: str) -> str:
    """``"1.9.1"`` → ``"1.9"``."""
    return ".".join(str(version).split(".")[:2])


def load_archive(path: str | Path, fmt: str, version: int, kind: str, retrain: str) -> tuple[dict, dict]:
    """(arrays and strings, metadata) of a model file written with ``meta_json`` of format ``fmt``/``version``.

    ``kind`` names the model in messages (``cause model``), ``retrain`` the command that makes a new one.
    """
    import skops.io as sio

    from ivr_text.io import check_input_file

    path = check_input_file(path, "model file")
    what = f"{path}: not an ivr-text {kind} (or the file is truncated)"
    try:
        types = stored_types(path)
        untrusted = sio.get_untrusted_types(file=path)
    except _TooLarge as exc:
        raise InputError(str(exc)) from None
    except Exception:  # zipfile, json and skops raise many types on damaged or foreign archives
        raise InputError(what) from None
    foreign = sorted((types | set(untrusted)) - ALLOWED_TYPES)
    if foreign:
        raise InputError(f"{path}: refusing to load a model containing unexpected types: {', '.join(foreign[:3])}")
    try:
        state = sio.load(path, trusted=list(untrusted))
        meta = json.loads(state["meta_json"])
    except Exception:  # skops raises many types on corrupt archives; none of them is actionable
        raise InputError(what) from None
    if not isinstance(meta, dict) or meta.get("format") != fmt:
        raise InputError(what)
    if meta.get("format_version") != version:
        raise InputError(f"{path}: model format version {meta.get('format_version')} is not supported by this "
                         f"ivr-text (expects {version}); retrain with '{retrain}'")
    import sklearn

    if minor(meta.get("sklearn", "")) != minor(sklearn.__version__):
        raise InputError(f"{path}: model was trained with scikit-learn {meta.get('sklearn')}, this is "
                         f"{sklearn.__version__}; retrain with '{retrain}'")
    return state, meta
