"""Traditional → Simplified Chinese with OpenCC's ``t2s``: the one conversion primitive of the toolkit.

The converter is the ``opencc`` wheel, or ``opencc-purepy`` when the wheel is missing, else identity (with a
warning). It only runs on texts holding a character it could change (:func:`_traditional_hint`), so mainland
text costs one regex search.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate

__all__ = ["to_simplified", "PHRASE_ONLY_TRADITIONAL"]


@lru_cache(maxsize=1)
def _t2s():
    """The t2s converter function: OpenCC (C++) when installed, else opencc-purepy, else identity."""
    try:
        import opencc

        return opencc.OpenCC("t2s").convert
    except Exception:  # noqa: BLE001 - any failure loading the C++ wheel falls back
        pass
    try:
        from opencc_purepy import OpenCC as PureOpenCC  # type: ignore[import-not-found]

        return PureOpenCC("t2s").convert
    except Exception:  # noqa: BLE001
        import warnings

        warnings.warn("ivr_text: no OpenCC converter installed; Traditional Chinese is left unconverted",
                      RuntimeWarning, stacklevel=3)
        return lambda s: s


#: Characters that OpenCC's t2s phrase dictionary (TSPhrases) changes only inside phrases, never alone
#: (沈浸 → 沉浸, 反覆 → 反复, 瞭解 → 了解); derived from OpenCC 1.4.2's TSPhrases with ``opencc_dict``.
PHRASE_ONLY_TRADITIONAL = "哩坏沈甦瞭藉衹覆"


@lru_cache(maxsize=1)
def _traditional_hint() -> re.Pattern:
    """Characters whose presence can make t2s change a text: every character the converter changes on its
    own (found by converting each non-ASCII code point once, ≈ 0.1 s) plus :data:`PHRASE_ONLY_TRADITIONAL`.
    A text without any of them comes out of t2s unchanged, so the converter is skipped for it."""
    convert = _t2s()
    chars = [chr(c) for c in range(0x80, 0x30000) if not 0xD800 <= c <= 0xDFFF]
    converted = convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - a converter that changed line structure
        return re.compile("[^\x00-\x7f]")
    changed = {c for c, o in zip(chars, converted) if c != o} | set(PHRASE_ONLY_TRADITIONAL)
    # sre matches a BMP-only class with a bitmap; supplementary characters (emoji, rare CJK) would turn the
    # whole class into a slow list, so any of them simply counts as a hint
    bmp = "".join(re.escape(c) for c in sorted(changed) if ord(c) <= 0xFFFF)
    return re.compile(f"[{bmp}]|[\U00010000-\U0010ffff]")


def to_simplified(text: str) -> str:
    """Convert Traditional Chinese characters and phrases to Simplified (OpenCC t2s).

    The converter only runs when the text holds a character it could change (see :func:`_traditional_hint`)."""
    return _t2s()(text) if text and _traditional_hint().search(text) else text


def _to_simplified_lines(joined: str) -> str:
    """``to_simplified`` of every line of ``joined``, converting only the lines that need it (in one call)."""
    hint = _traditional_hint()
    m = hint.search(joined)
    if m is None:
        return joined
    lines = joined.split("\n")
    if len(lines) == 1:
        return _t2s()(joined)
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    todo: list[int] = []
    pos = 0
    while m is not None:  # one search per line that needs converting, not per character
        i = bisect_right(starts, m.start()) - 1
        todo.append(i)
        pos = starts[i + 1] if i + 1 < len(starts) else len(joined)
        m = hint.search(joined, pos)
    converted = _t2s()("\n".join(lines[i] for i in todo)).split("\n")
    if len(converted) != len(todo):  # pragma: no cover - defensive: convert line by line
        converted = [_t2s()(lines[i]) for i in todo]
    for i, line in zip(todo, converted):
        lines[i] = line
    return "\n".join(lines)
