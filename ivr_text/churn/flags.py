"""Boolean flag matrices → readable, ``;``-joined labels per row, vectorised.

Rows are grouped by their bit pattern (few distinct patterns even for millions of rows), so strings are
built once per pattern, not once per row.
"""

from __future__ import annotations

import numpy as np


def join_flags(flags: np.ndarray, labels: list[str], sep: str = "; ") -> np.ndarray:
    """``flags`` (rows × k booleans) → object array of the labels of the true columns joined by ``sep``."""
    flags = np.asarray(flags, dtype=bool)
    n, k = flags.shape if flags.ndim == 2 else (len(flags), 0)
    if k == 0:
        return np.full(n, "", dtype=object)
    if k > 62:
        raise ValueError("at most 62 flags")
    bits = flags.astype(np.int64) @ (np.int64(1) << np.arange(k, dtype=np.int64))
    uniq, inv = np.unique(bits, return_inverse=True)
    text = np.array([sep.join(labels[j] for j in range(k) if (u >> j) & 1) for u in uniq], dtype=object)
    return text[inv]
