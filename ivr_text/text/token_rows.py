"""Tokenise a batch of table rows as ``ivr-text tokenize`` does: one function for the local and the Spark engine.

``tokenize_rows(tok, texts)`` normalises the texts, marks those with nothing a token can be made of (``empty``:
the caller rejects them), tokenises the rest and, when the tokenizer masks, gives the texts' masked form. Each
text's result depends on that text alone, so any split of the rows into batches gives the same rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

#: A character a token can be made of (a letter or digit of any script, or a mask's ***).
WORDLIKE = re.compile(r"[^\W_]|\*{3}")


@dataclass
class TokenRows:
    empty: list[bool]          # per input text: nothing left after normalisation (to reject)
    text: list[str] | None     # the kept texts PII-masked (None when the tokenizer does not mask)
    text_norm: list[str]       # the kept texts normalised
    tokens: list[str]          # the kept texts' tokens, space-separated


def tokenize_rows(tok, texts: Sequence, jobs: int = 1) -> TokenRows:
    """See the module docstring; ``tok`` is a :class:`ivr_text.text.Tokenizer`."""
    from ivr_text.text import mask_pii
    from ivr_text.text.pii import mask_pii_lines

    normalized = tok.normalize_batch(list(texts))
    empty = [WORDLIKE.search(n) is None for n in normalized]
    kept = [t for t, e in zip(texts, empty) if not e]
    normalized = [n for n, e in zip(normalized, empty) if not e]
    tokens = tok.tokenize_many(normalized, n_jobs=jobs, normalized=True)
    masked = None
    if tok.mask:
        original = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in kept]
        if any("\n" in t for t in original):
            masked = [mask_pii(t) for t in original]
        else:
            masked = mask_pii_lines("\n".join(original)) if original else []
    return TokenRows(empty=empty, text=masked, text_norm=normalized, tokens=[" ".join(t) for t in tokens])
