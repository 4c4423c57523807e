"""Negation kept with what it negates: 没有到账 → 未到账, 不能正常使用 → 无法使用, 未收到验证码 → 未收到 验证码.

:class:`Negation` holds the negators of ``dictionaries/negation.yaml`` (variants → canonical form), the words a
negator reaches across (能, 正常, 及时, …) and ``max_gap``. Two views use it:

- tokens (:meth:`Negation.attach`): in a token list where stopwords are already ``""`` and clause breaks are
  :data:`BREAK`, a negator followed (within ``max_gap`` stopwords or *through* words, never across a break, a
  number or a placeholder) by a Chinese content word becomes one token ``canonical + word``; the words it
  reached across are absorbed. With nothing to attach to it stays, canonicalised, on its own. So a negation
  always reaches topics, keywords and word features, and never disappears as a stopword.
- raw text (:meth:`Negation.rule_view`): every negator variant in front of a Chinese character is written in
  its canonical form (没有到账 → 未到账, 没收到 → 未收到), so keyword rules whose terms get the same view match
  however the negation was phrased. Keywords and texts go through the same function, so a rule never loses a
  match it had: a term matches a text iff its view occurs in the text's view (terms without a negator are
  unchanged).

Guarantees: ``rule_view`` is idempotent (property-tested); canonical forms are themselves negators with that
canonical form; ``attach`` never drops a negator (one with nothing to attach to stays, canonicalised).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ivr_text.errors import InputError
from ivr_text.resources import dictionary_path, read_yaml
from ivr_text.text.normalize import normalize_text

__all__ = ["Negation", "load_negation", "default_negation", "BREAK", "SHIPPED_NEGATION"]

SHIPPED_NEGATION = "negation.yaml"
#: Stands for a clause break (punctuation, space) in a token list; never part of the output.
BREAK = "\x1f"


@dataclass(frozen=True)
class Negation:
    """Negators (``{variant: canonical}``), words reached across, and the largest gap."""

    negators: dict[str, str] = field(default_factory=dict)
    through: frozenset[str] = frozenset()
    max_gap: int = 3

    def __post_init__(self):
        for canonical in set(self.negators.values()):
            self.negators.setdefault(canonical, canonical)
            if self.negators[canonical] != canonical:
                raise InputError(f"negation: canonical form {canonical!r} is a variant of {self.negators[canonical]!r}")

    # ------------------------------------------------------------------ tokens
    def attach(self, tokens: list[str], kept: frozenset[str] = frozenset()) -> list[str]:
        """Negators joined to the word they negate; ``""`` (stopwords) and :data:`BREAK` are dropped.

        ``kept``: stopwords the caller keeps; a negator reaches across them like ``""`` and they stay, in front of
        the negated word (没有 给 我 退款 → 给 我 未退款)."""
        neg, through = self.negators, self.through
        out: list[str] = []
        n = len(tokens)
        i = 0
        while i < n:
            tok = tokens[i]
            canonical = neg.get(tok)
            if canonical is None:
                if tok and tok != BREAK:
                    out.append(tok)
                i += 1
                continue
            j = i + 1
            while j < n and j - i <= self.max_gap and (not tokens[j] or tokens[j] in through or tokens[j] in kept):
                j += 1
            head = tokens[j] if j < n else ""
            if head and head != BREAK and "\u4e00" <= head[0] <= "\u9fd5" and head not in neg \
                    and head not in through and head not in kept:
                out.extend(t for t in tokens[i + 1:j] if t in kept)
                out.append(canonical + head)
                i = j + 1
            else:
                out.append(canonical)
                i += 1
        return out

    def head(self, token: str) -> str | None:
        """The negated word of a token :meth:`attach` may have made (未到账 → 到账), else None."""
        canon = self.__dict__.get("_canon")
        if canon is None:
            canon = sorted(set(self.negators.values()), key=len, reverse=True)
            object.__setattr__(self, "_canon", canon)
        for c in canon:
            if len(token) > len(c) and token.startswith(c):
                return token[len(c):]
        return None

    # ------------------------------------------------------------------ raw text
    @property
    def _pattern(self) -> re.Pattern | None:
        pat = self.__dict__.get("_compiled", False)
        if pat is False:
            changing = sorted((v for v, c in self.negators.items() if v != c), key=len, reverse=True)
            pat = re.compile("|".join(map(re.escape, changing))) if changing else None
            object.__setattr__(self, "_compiled", pat)
        return pat

    def rule_view(self, text: str) -> str:
        """The text with each negator variant in front of a Chinese character in canonical form."""
        pat = self._pattern
        if pat is None or not text:
            return text
        neg = self.negators

        def repl(m: re.Match) -> str:  # the longest variant at a position; changed only before a Chinese char
            end = m.end()
            return neg[m.group(0)] if end < len(text) and "\u4e00" <= text[end] <= "\u9fd5" else m.group(0)

        return pat.sub(repl, text)


def load_negation(path: str | Path | None = None) -> Negation:
    """Negation config from YAML (default: the shipped ``negation.yaml``); words are normalised like text."""
    path = Path(path) if path is not None else dictionary_path(SHIPPED_NEGATION)
    raw = read_yaml(path, "negation file")
    unknown = set(raw) - {"negators", "through", "max_gap"}
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                         "allowed: negators, through, max_gap")
    groups = raw.get("negators") or {}
    if not isinstance(groups, dict):
        raise InputError(f"{path}: 'negators' must map a canonical negator to a list of variants")
    negators: dict[str, str] = {}
    for canonical, variants in groups.items():
        canon = normalize_text(str(canonical), mask=False)
        if not isinstance(variants, list) or not canon:
            raise InputError(f"{path}: negators: {canonical!r} needs a list of variants")
        for v in [canon, *variants]:
            word = normalize_text(str(v), mask=False)
            if not word:
                raise InputError(f"{path}: negators: {canonical!r}: empty variant")
            negators[word] = canon
    through = raw.get("through") or []
    if not isinstance(through, list):
        raise InputError(f"{path}: 'through' must be a list of words")
    try:
        max_gap = int(raw.get("max_gap", 3))
    except (TypeError, ValueError):
        raise InputError(f"{path}: max_gap must be a whole number") from None
    through_words = frozenset(w for t in through if (w := normalize_text(str(t), mask=False)))
    return Negation(negators, through_words - set(negators), max(0, max_gap))


@lru_cache(maxsize=1)
def default_negation() -> Negation:
    """The shipped negation config, loaded once per process."""
    return load_negation()
