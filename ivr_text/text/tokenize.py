"""Domain tokeniser for Chinese complaint text: normalise, mask, segment, canonicalise synonyms, drop stopwords.

``Tokenizer`` is a plain callable (``tok(text) -> list[str]``) that drops into scikit-learn unchanged
(``TfidfVectorizer(tokenizer=tok, lowercase=False, token_pattern=None)``), pickles (only its configuration; the
native segmenter is rebuilt lazily in the receiving process) and is safe in worker processes.

How texts are cut: normalised texts (:func:`~ivr_text.text.normalize_many`) of a chunk are joined by newlines
and split with one regex call into jieba's blocks (maximal runs of Chinese, ASCII letters/digits and ``+#&._%-``,
which jieba cuts independently of each other) and the separators between them. Only blocks not seen before go
to the segmentation engine (rjieba → jieba_fast → jieba, all with jieba's dictionary plus ours), in one call;
each is turned once into a record holding its final tokens (units, synonyms, stopwords applied) when that
cannot depend on its neighbours. Blocks ending in a number or Latin word, blocks with digits seen for the first
time and separators that can be part of a token (``******``, ``<PHONE>``) are collected and finished by the
reference path: tokens containing Chinese are kept as the engine cut them, the stretches between them re-cut
here (placeholders and masked runs are single tokens, numbers and Latin words stay whole with their inner
``.-_/:``, punctuation and whitespace are dropped), a number followed by a unit (元, 兆, gb, 个月) becomes one
token (59元), synonym variants (in the engine's dictionary, so 网很卡 is one token) map to their canonical term,
stopwords go last. A hypothesis test checks that the fast path equals this reference path token for token.

Negation (:mod:`ivr_text.text.negation`) is applied where stopwords are: a negator joins the word it negates
inside its block (blocks never cross punctuation or spaces, and the reference path marks those breaks with
``BREAK``), so the fast path and the reference path agree on it too.

Guarantee: the Chinese tokens of :meth:`Tokenizer.segment` equal those of ``jieba.lcut`` on the normalised text
with the same dictionaries (100.00% of 14,514 benchmark lines with rjieba). ``tok(text)`` never raises on odd
input (None, NaN, numbers, 100k-character texts, lone surrogates, also with ``normalize=False``).

Speed (``benchmarks/bench_tokenize.py --mb 6``: 14,514 lines, 2.29 M chars, 2-core machine shared with other
jobs; CPU-time figures): one process, cold caches, whole pipeline 1.86 M chars/s = 11.8k texts/s of 158 chars
= 9.5× ``jieba.lcut`` (0.195 M chars/s) on the same lines in the same run; 9.9× with a warm block cache; 8.6×
when blocks are only reused within a 2,000-text chunk. ``n_jobs=2`` costs ≈ +30% CPU (fork, each process
filling its own block cache, packing results), so it pays off in wall time only when a second core is idle:
≈ 14× by CPU time on two idle cores. Peak RSS ≈ 350 MB (jieba reference included); the engine loads in ≈ 0.7 s.
"""

from __future__ import annotations

import gc
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

from ivr_text.errors import InputError
from ivr_text.parallel import map_slices, worker_count
from ivr_text.resources import dictionary_path, read_yaml
from ivr_text.text import lexicon
from ivr_text.text.engines import make_engine
from ivr_text.text.negation import BREAK, load_negation
from ivr_text.text.normalize import normalize_many, normalize_text, to_text
from ivr_text.text.pii import MASK_RUN, PLACEHOLDERS
from ivr_text.text.social import SOCIAL_PLACEHOLDERS

__all__ = ["Tokenizer", "HAN"]

#: Characters jieba segments as Chinese (its ``re_han_default`` range).
HAN = "\u4e00-\u9fd5"
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DIGITS = frozenset("0123456789")
_ALNUM = r"[0-9a-z]+(?:[._\-/:+&#'][0-9a-z]+)*%?"
_OTHER = rf"[^\W_0-9a-z{HAN}]+"  # letters of other scripts, rare CJK


_TOKEN = re.compile("|".join([re.escape(p) for p in (*PLACEHOLDERS, *SOCIAL_PLACEHOLDERS.values())]
                             + [r"\*{3,}", _ALNUM, _OTHER]))
_MASK_STARS = re.compile(r"\*{3,}")
_HAN_CHAR = re.compile(f"[{HAN}]")


def _plain_tokens(stretch: str) -> tuple[str, ...]:
    """Tokens of a stretch without Chinese: placeholders, masked runs, numbers/Latin words; punctuation dropped.

    Short stretches are cached: most are short and recur (",", "):", " 5g ")."""
    return _plain_tokens_cached(stretch) if len(stretch) <= 64 else _cut_plain(stretch)


def _cut_plain(stretch: str) -> tuple[str, ...]:
    tokens = _TOKEN.findall(stretch)
    if "**" in stretch:
        tokens = [MASK_RUN if _MASK_STARS.fullmatch(t) else t for t in tokens]
    return tuple(tokens)


_plain_tokens_cached = lru_cache(maxsize=1 << 16)(_cut_plain)


class Tokenizer:
    """Normalise (optional), mask PII, segment, canonicalise synonyms and remove stopwords.

    Parameters
    ----------
    user_dicts, stopwords, synonyms:
        Extra files (a path or several) added to the shipped ``telecom_dict.txt``, ``stopwords.txt`` and
        ``synonyms.txt``. See :mod:`ivr_text.text.lexicon` for the formats.
    keep_stopwords: keep stopwords in the output.
    normalize: run :func:`normalize_text` first (turn off only for text that is already normalised).
    mask: mask PII while normalising (the default; ``False`` opts out explicitly).
    social: ``"drop"`` (default) / ``"mask"`` / ``"keep"`` @handles, #话题#, URLs, emoji, repost markers and
        signatures while normalising (:mod:`ivr_text.text.social`); masked pieces are one token each (``<AT>``).
    negation, negation_file: attach negators to what they negate (:mod:`ivr_text.text.negation`; default on,
        with ``dictionaries/negation.yaml``); negators are never removed as stopwords either way.
    engine: ``"auto"`` (fastest installed), ``"rjieba"``, ``"jieba_fast"`` or ``"jieba"``.
    hmm: let the engine find unknown words with jieba's HMM (as ``jieba.lcut`` does by default).
    default_dicts: include the shipped word lists (``False``: only the files given here).
    units: extra unit files; ``merge_units=False`` keeps numbers and units apart.
    cache_size: how many recent texts ``tok(text)`` remembers (repeated texts are common in feedback).
    block_cache_size: how many distinct blocks (runs of Chinese, digits and Latin between punctuation) keep
        their segmentation; clause templates recur in work orders, so most blocks are cut only once.
    """

    _default: "Tokenizer | None" = None
    _default_lock = threading.Lock()

    def __init__(self, user_dicts=(), stopwords=None, synonyms=None, keep_stopwords: bool = False,
                 normalize: bool = True, mask: bool = True, *, engine: str = "auto", hmm: bool = True,
                 default_dicts: bool = True, units=None, merge_units: bool = True, cache_size: int = 20000,
                 block_cache_size: int = 500_000, negation: bool = True, negation_file=None,
                 social: str = "drop"):
        self.user_dicts = lexicon.as_paths(user_dicts)
        self.stopword_files = lexicon.as_paths(stopwords)
        self.synonym_files = lexicon.as_paths(synonyms)
        self.unit_files = lexicon.as_paths(units)
        self.keep_stopwords = bool(keep_stopwords)
        self.normalize = bool(normalize)
        self.mask = bool(mask)
        self.engine_name = engine
        self.hmm = bool(hmm)
        self.default_dicts = bool(default_dicts)
        self.merge_units = bool(merge_units)
        self.cache_size = int(cache_size)
        self.negation = bool(negation)
        self.negation_file = Path(negation_file) if negation_file is not None else None
        if social not in ("drop", "mask", "keep"):
            raise InputError(f"tokenizer option social must be drop, mask or keep, not {social!r}")
        self.social = social
        self._load_lists()
        self.block_cache_size = int(block_cache_size)
        self._engine = None
        self._reset_caches()

    def clear_caches(self) -> None:
        """Forget remembered texts, blocks and runs (e.g. to measure cold speed); the engine stays loaded."""
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._cache: dict[str, list[str]] = {}
        self._blocks: dict[str, object] = {}  # block → record (see _tokenize_normalized)
        self._raw: dict[str, list[str]] = {}  # block → engine tokens
        self._sep_kinds: dict[str, object] = {}
        self._runs: dict[tuple[str, ...], tuple[str, ...]] = {}  # short runs → final tokens (_finish)

    # ------------------------------------------------------------------ construction

    @classmethod
    def default(cls) -> "Tokenizer":
        """The shared default tokenizer (shipped dictionaries, masking on), built once per process."""
        if cls._default is None:
            with cls._default_lock:
                if cls._default is None:
                    cls._default = cls()
        return cls._default

    @classmethod
    def from_config(cls, path: str | Path, **overrides) -> "Tokenizer":
        """A tokenizer from a YAML file of constructor options; ``overrides`` win."""
        return cls(**{**cls.read_config(path), **overrides})

    @staticmethod
    def read_config(path: str | Path) -> dict:
        """Constructor options from YAML (top level or under ``tokenizer:``); file paths relative to the YAML."""
        path = Path(path)
        conf = read_yaml(path, "config file", mapping=False) or {}  # (missing, malformed, nested too deeply: one line)
        if isinstance(conf, dict) and isinstance(conf.get("tokenizer"), dict):
            conf = conf["tokenizer"]
        if not isinstance(conf, dict):
            raise InputError(f"{path}: expected a mapping of tokenizer options")
        allowed = {"user_dicts", "stopwords", "synonyms", "keep_stopwords", "normalize", "mask", "engine", "hmm",
                   "default_dicts", "units", "merge_units", "cache_size", "block_cache_size", "negation",
                   "negation_file", "social"}
        unknown = set(conf) - allowed
        if unknown:
            raise InputError(f"{path}: unknown tokenizer option(s) {', '.join(sorted(map(str, unknown)))}; "
                             f"allowed: {', '.join(sorted(allowed))}")
        for key in ("user_dicts", "stopwords", "synonyms", "units"):
            if conf.get(key) is not None:
                conf[key] = [p if Path(p).is_absolute() else path.parent / p for p in lexicon.as_paths(conf[key])]
        if conf.get("negation_file") is not None and not Path(conf["negation_file"]).is_absolute():
            conf["negation_file"] = path.parent / conf["negation_file"]
        return dict(conf)

    def _load_lists(self) -> None:
        def files(shipped: str, extra: tuple[Path, ...]) -> tuple[Path, ...]:
            return ((dictionary_path(shipped),) if self.default_dicts else ()) + extra

        self.synonyms = lexicon.load_synonyms(files(lexicon.SHIPPED_SYNONYMS, self.synonym_files))
        words = lexicon.load_user_words(files(lexicon.SHIPPED_USER_DICT, self.user_dicts))
        for term in self.synonyms:  # variants and canonicals are single tokens
            words.setdefault(term, None)
        negation = load_negation(self.negation_file)
        self._negation = negation if self.negation else None
        for term in negation.negators:  # negators are cut whole (没办法) and are never stopwords
            words.setdefault(term, None)
        self.words = words
        self.stopwords = lexicon.load_stopwords(files(lexicon.SHIPPED_STOPWORDS, self.stopword_files)) \
            - set(negation.negators)
        self.units = lexicon.load_units(files(lexicon.SHIPPED_UNITS, self.unit_files)) if self.merge_units \
            else frozenset()
        # one lookup per token: synonym → canonical, stopword (or synonym of one) → "" (dropped)
        token_map: dict[str, str] = {} if self.keep_stopwords else dict.fromkeys(self.stopwords, "")
        for variant, canonical in self.synonyms.items():
            token_map[variant] = "" if not self.keep_stopwords and canonical in self.stopwords else canonical
        self._token_map = token_map
        self._neg_words = frozenset(negation.negators) if self.negation else frozenset()
        self._kept_stopwords = self.stopwords if self.keep_stopwords else frozenset()
        # a unit that the engine may cut in two starts with one of these (个 of 个月): a number followed by
        # one at the end of a block may merge with the next block
        self._unit_prefixes = frozenset(u[:k] for u in self.units for k in range(1, len(u)))
        # a block whose first token is none of these cannot join a number before it
        self._unit_parts = self._unit_prefixes | self.units | {u[k:] for u in self.units for k in range(1, len(u))}

    @property
    def engine(self):
        """The segmentation engine, built on first use (and again after unpickling)."""
        if self._engine is None:
            self._engine = make_engine(self.engine_name, self.words, self.hmm)
        return self._engine

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_engine"] = None
        for key in ("_cache", "_blocks", "_raw", "_sep_kinds", "_runs"):
            state[key] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self) -> str:
        extra = [str(p) for p in self.user_dicts + self.stopword_files + self.synonym_files]
        return (f"Tokenizer(engine={self.engine_name!r}, mask={self.mask}, keep_stopwords={self.keep_stopwords}, "
                f"extra_files={extra})")

    # ------------------------------------------------------------------ single texts

    def normalize_one(self, text) -> str:
        """The text as this tokenizer sees it (normalised and masked per its settings)."""
        return normalize_text(text, mask=self.mask, social=self.social) if self.normalize else to_text(text)

    def normalize_batch(self, texts: Sequence) -> list[str]:
        """``[normalize_one(t) for t in texts]``, fast (:func:`~ivr_text.text.normalize_many`)."""
        if self.normalize:
            return normalize_many(texts, mask=self.mask, social=self.social)
        return [t if t.__class__ is str else to_text(t) for t in texts]

    def __call__(self, text) -> list[str]:
        key = text if isinstance(text, str) else to_text(text)
        cached = self._cache.get(key)
        if cached is not None:
            return list(cached)
        tokens = self.tokenize_many([key])[0]
        if self.cache_size > 0 and len(key) <= 2000:  # long texts rarely repeat; keep memory bounded
            if len(self._cache) >= self.cache_size:
                self._cache = {}  # simple and thread-safe: start afresh when full
            self._cache[key] = tokens
        return list(tokens)

    def segment(self, text) -> list[str]:
        """Raw segmentation of the normalised text: no stopword removal, synonyms or unit merging."""
        return [t for t in self._segment_normalized([self.normalize_one(text)])[0] if t != BREAK]

    # ------------------------------------------------------------------ batches

    def tokenize_many(self, texts: Iterable, n_jobs: int = 1, chunk_size: int = 2000,
                      normalized: bool = False) -> list[list[str]]:
        """Tokens of every text, equal to ``[tok(t) for t in texts]``; repeated texts are tokenised once.

        ``n_jobs``: worker processes (``-1`` = all cores); small inputs stay in this process.
        ``normalized=True``: the texts are already ``normalize_one`` output (skips normalising again).
        """
        texts = texts if isinstance(texts, list) else list(texts)
        gc_was_enabled = gc.isenabled()
        gc.disable()  # millions of short-lived lists and no reference cycles: collections only cost time
        try:
            keys = [t if t.__class__ is str else to_text(t) for t in texts]
            index: dict[str, int] = {}
            positions = [index.setdefault(k, len(index)) for k in keys]
            unique = list(index)
            workers = worker_count(n_jobs)
            if workers > 1 and len(unique) >= 2 * chunk_size:
                self.engine  # load once here; forked children inherit it
                parts = map_slices(_tokenize_slice, (self, chunk_size, normalized), unique, workers,
                                   encode=_pack, decode=_unpack)
                results = [tokens for part in parts for tokens in part]
            else:
                results = []
                for start in range(0, len(unique), chunk_size):
                    results.extend(self._tokenize_chunk(unique[start:start + chunk_size], normalized))
            if len(unique) == len(keys):
                return results
            return [list(results[p]) for p in positions]
        finally:
            if gc_was_enabled:
                gc.enable()

    def _tokenize_chunk(self, texts: Sequence[str], normalized: bool = False) -> list[list[str]]:
        if not normalized:
            texts = self.normalize_batch(texts)
        return self._tokenize_normalized(texts)

    # ------------------------------------------------------------------ the hot path
    #
    # jieba cuts each maximal run of its block characters (Han, ASCII letters and digits, +#&._%-) on its own;
    # everything else (punctuation, spaces, other scripts) separates blocks. A chunk of texts is joined by
    # newlines, split into separators and blocks with one regex call, and only blocks not seen before go to the
    # engine (in one call). Each block's tokens are turned once into a record: for a block that starts and ends
    # with Chinese tokens ("closed"), its final tokens (units merged, synonyms, stopwords); a block may also
    # start with a number or Latin word ("lead-open") if nothing before it is pending. Everything else (blocks
    # ending in numbers/Latin, separators with token characters) is collected and handled by _finish exactly
    # like the reference path (_raw_tokens + _compose), so the result equals it token for token.

    def _tokenize_normalized(self, texts: Sequence[str]) -> list[list[str]]:
        if not texts:
            return []
        joined = "\n".join(texts)
        if joined.count("\n") != len(texts) - 1 or "\r" in joined:
            joined = "\n".join(t.replace("\n", " ").replace("\r", " ") for t in texts)
        parts = _BLOCK_SPLIT.split(joined)
        blocks = parts[1::2]
        records = self._blocks
        if len(records) > self.block_cache_size:
            records.clear()
            self._raw.clear()
        missing = set(blocks).difference(records)
        if missing:
            self._add_blocks(list(missing))
        raw, finish, sep_kinds = self._raw, self._finish, self._sep_kinds
        out: list[list[str]] = []
        cur: list[str] = []
        pending: list[str] = []
        again: list[str] = []  # blocks seen a second time: they get a record
        digits = False
        for sep, blk in zip(parts[0::2], blocks):
            if sep:
                kind = sep_kinds.get(sep)
                if kind is None:
                    kind = self._sep_kind(sep)
                if kind is _NEUTRAL:
                    if pending:
                        pending.append(sep)
                elif kind is _ACTIVE:
                    pending.append(sep)
                else:
                    cur, pending = self._newlines(sep, cur, pending, out)
                    digits = False
            rec = records[blk]
            cls = rec.__class__
            if cls is tuple:  # closed, first token cannot join a number before it
                if pending:
                    cur.extend(finish(pending))
                    pending = []
                    digits = False
                cur.extend(rec)
            elif cls is _Bound:  # closed, first token may be (part of) a unit
                if pending:
                    if digits:  # a number may join the block's first tokens: finish them together
                        pending.extend(raw[blk])
                        cur.extend(finish(pending))
                        pending = []
                        digits = False
                        continue
                    cur.extend(finish(pending))
                    pending = []
                cur.extend(rec)
            elif cls is _Lead:
                if pending:
                    pending.extend(raw[blk])
                    cur.extend(finish(pending))
                    pending = []
                    digits = False
                else:
                    cur.extend(rec)
            elif cls is _Split:  # Chinese head with final tokens, open tail
                head, tail, lead_open, bound, tail_digits = rec
                if pending:
                    if lead_open or (digits and bound):  # the head joins what is pending
                        pending.extend(raw[blk])
                        digits = True
                        continue
                    cur.extend(finish(pending))
                cur.extend(head)
                pending = list(tail)
                digits = tail_digits
            else:  # open: raw tokens
                pending.extend(rec)
                if cls is _OpenDigits:
                    digits = True
                elif cls is _Fresh:
                    digits = True
                    if rec.seen:
                        again.append(blk)
                    rec.seen = True
        last = parts[-1]
        if last:
            if "\n" in last:
                cur, pending = self._newlines(last, cur, pending, out)
            elif pending or self._sep_kind(last) is not _NEUTRAL:
                pending.append(last)
        if pending:
            cur.extend(finish(pending))
        out.append(cur)
        for blk in again:
            rec = records.get(blk)
            if rec.__class__ is _Fresh:
                records[blk] = self._mixed_record(blk, rec)
        if len(out) != len(texts):  # pragma: no cover - defensive
            raise AssertionError("tokenizer lost track of text boundaries")
        return out

    def _newlines(self, sep: str, cur: list[str], pending: list[str], out: list[list[str]]):
        """A separator holding text boundaries: finish the current text, emit texts made of separator
        characters only, start the next text."""
        pieces = sep.split("\n")
        first = pieces[0]
        if first and (pending or self._sep_kind(first) is not _NEUTRAL):
            pending.append(first)
        if pending:
            cur.extend(self._finish(pending))
        out.append(cur)
        for middle in pieces[1:-1]:
            out.append(list(self._finish([middle])) if middle else [])
        last = pieces[-1]
        return [], ([last] if last and self._sep_kind(last) is not _NEUTRAL else [])

    def _sep_kind(self, sep: str):
        if "\n" in sep:
            kind = _NEWLINE
        elif _SEP_ACTIVE.search(sep):
            kind = _ACTIVE
        else:
            kind = _NEUTRAL
        if len(self._sep_kinds) < 100_000:
            self._sep_kinds[sep] = kind
        return kind

    def _add_blocks(self, blocks: list[str]) -> None:
        """Segment new blocks in one engine call and store their records."""
        cuts = self.engine.cut_runs(blocks)
        if len(cuts) != len(blocks):  # pragma: no cover - an engine that merged the newlines
            cuts = [self.engine.cut(b) for b in blocks]
        records, raws, get, unit_parts = self._blocks, self._raw, self._token_map.get, self._unit_parts
        all_han = _ALL_HAN.fullmatch
        for blk, tokens in zip(blocks, cuts):
            raws[blk] = tokens
            if all_han(blk):  # only Chinese tokens, no numbers: the common case
                final = tuple(self._final([get(t, t) for t in tokens]))
                records[blk] = _Bound(final) if tokens[0] in unit_parts else final
            else:  # digits or Latin: most such blocks occur once (amounts, dates): a record from the 2nd sight on
                records[blk] = _Fresh(tokens)

    def _mixed_record(self, blk: str, tokens: list[str]):
        """Record of a block with digits or Latin letters (see _tokenize_normalized)."""
        raw: list[str] = []
        han_at: list[int] = []  # index in raw of each Chinese token, by token index (-1: not Chinese)
        pending: list[str] = []
        for tok in tokens:
            if "\u4e00" <= tok[0] <= "\u9fd5" or (not tok.isascii() and _HAN_CHAR.search(tok)):
                if pending:
                    raw.extend(_stretch_tokens(pending))
                    pending = []
                han_at.append(len(raw))
                raw.append(tok)
            else:
                han_at.append(-1)
                pending.append(tok)
        if pending:
            raw.extend(_stretch_tokens(pending))
        unit_prefixes = self._unit_prefixes
        lead_open = han_at[0] < 0
        # the longest head ending with a Chinese token that no number before it can pull into a unit
        for k in range(len(tokens), 0, -1):
            i = han_at[k - 1]
            if i < 0 or (i >= 1 and tokens[k - 1] in unit_prefixes and _is_number(raw[i - 1])):
                continue
            final = tuple(self._compose(raw[:i + 1]))
            if k == len(tokens):  # the whole block
                if lead_open:
                    return _Lead(final)
                return _Bound(final) if tokens[0] in self._unit_parts else final
            tail = tokens[k:]
            return _Split((final, tail, lead_open, tokens[0] in self._unit_parts,
                           _HAS_DIGIT.search("".join(tail)) is not None))
        return (_OpenDigits if _HAS_DIGIT.search(blk) else list)(tokens)

    def _finish(self, items: list[str]) -> list[str] | tuple[str, ...]:
        """Final tokens of a run of raw engine tokens and separators (the reference path); short runs
        (":******,", "<", "PHONE", ">") recur and are remembered."""
        if len(items) > 6:
            return self._compose(_raw_tokens(items))
        key = tuple(items)
        done = self._runs.get(key)
        if done is None:
            done = tuple(self._compose(_raw_tokens(items)))
            if len(self._runs) >= 200_000:
                self._runs.clear()
            self._runs[key] = done
        return done

    def _segment_normalized(self, normalized: Sequence[str]) -> list[list[str]]:
        """Raw tokens of normalised texts (no units, synonyms, stopwords): the engine's tokens with Chinese,
        the stretches between them re-cut by :func:`_plain_tokens` (``BREAK`` where one gives no token). Same engine calls and cache as the hot
        path, so its Chinese tokens are the ones :meth:`tokenize_many` works from."""
        out = []
        for text in normalized:
            text = text.replace("\n", " ").replace("\r", " ")
            parts = _BLOCK_SPLIT.split(text)
            missing = set(parts[1::2]).difference(self._raw)
            if missing:
                self._add_blocks(list(missing))
            items: list[str] = []
            for i, part in enumerate(parts):
                if i % 2:
                    items.extend(self._raw[part])
                elif part:
                    items.append(part)
            out.append(_raw_tokens(items))
        return out

    def _compose(self, tokens: list[str]) -> list[str]:
        """Units merged, synonyms canonicalised, negators attached, stopwords and breaks dropped."""
        if self.units:
            tokens = _merge_units(tokens, self.units)
        get = self._token_map.get
        return self._final([get(t, t) for t in tokens])

    def _final(self, mapped: list[str]) -> list[str]:
        """Mapped tokens (stopwords ``""``) → output: negators attached to what they negate (see
        :mod:`ivr_text.text.negation`), stopwords and clause breaks dropped."""
        if self._negation is not None and not self._neg_words.isdisjoint(mapped):
            return self._negation.attach(mapped, self._kept_stopwords)
        return [c for c in mapped if c and c != BREAK]


class _Lead(tuple):
    """Record of a block that starts with a number/Latin word and ends with a Chinese token."""


class _Bound(tuple):
    """Record of a closed block whose first token is a unit or part of one (元, 个 of 个月)."""


class _Split(tuple):
    """Record of a block with a clean Chinese head and an open tail: (head tokens, tail raw tokens,
    starts open, first token is part of a unit, tail has digits)."""


class _Fresh(list):
    """Raw tokens of a block with digits or Latin letters seen once so far (handled like an open block)."""

    seen = False


class _OpenDigits(list):
    """Raw tokens of an open block that holds digits (a number in it may merge with what follows)."""


_NEUTRAL, _ACTIVE, _NEWLINE = object(), object(), object()
#: jieba's ``re_han_default``: the characters of one block cut by the segmenter (everything else separates)
_BLOCK_CLASS = "[\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]"
_BLOCK_SPLIT = re.compile(f"({_BLOCK_CLASS}{_BLOCK_CLASS}*)")
#: separator characters that can be part of a token: masked runs, placeholders, letters of other scripts
_SEP_ACTIVE = re.compile(rf"[*<]|[^\W_0-9a-z{HAN}]")
_HAS_DIGIT = re.compile("[0-9]")
_ALL_HAN = re.compile(f"[{HAN}]+")


def _is_han(tok: str) -> bool:
    """The token holds a Chinese character (jieba's range)."""
    if "\u4e00" <= tok[0] <= "\u9fd5":
        return True
    return not tok.isascii() and _HAN_CHAR.search(tok) is not None


def _is_number(tok: str) -> bool:
    return tok[-1] in _DIGITS and _NUMBER.fullmatch(tok) is not None


def _stretch_tokens(pending: list[str]) -> tuple[str, ...]:
    """Tokens of a stretch without Chinese; one that gives none (punctuation, space) is a clause break."""
    return _plain_tokens("".join(pending)) or _BREAK_ONLY


_BREAK_ONLY = (BREAK,)


def _raw_tokens(items: Sequence[str]) -> list[str]:
    """Tokens with Chinese kept as they are; the stretches between them cut by :func:`_plain_tokens`
    (:data:`~ivr_text.text.negation.BREAK` for a stretch that gives no token, so negation stops there)."""
    out: list[str] = []
    pending: list[str] = []
    for tok in items:  # _is_han inlined (hot)
        if "\u4e00" <= tok[0] <= "\u9fd5" or (not tok.isascii() and _HAN_CHAR.search(tok)):
            if pending:
                out.extend(_stretch_tokens(pending))
                pending = []
            out.append(tok)
        else:
            pending.append(tok)
    if pending:
        out.extend(_stretch_tokens(pending))
    return out


def _merge_units(tokens: list[str], units: frozenset[str]) -> list[str]:
    """Join a number with the unit after it; units the engine cut in two (个 + 月) are joined too.

    Greedy from the left, like a scan over every token, but only positions ending in a digit are visited."""
    candidates = [i for i, t in enumerate(tokens) if t[-1] in _DIGITS]
    if not candidates:
        return tokens
    n = len(tokens)
    merged: list[str] = []
    start = 0
    for i in candidates:
        if i < start or i >= n - 1:
            continue
        tok = tokens[i]
        if not ((tok.isascii() and tok.isdigit()) or _NUMBER.fullmatch(tok)):
            continue
        nxt = tokens[i + 1]
        if i + 2 < n and nxt + tokens[i + 2] in units:
            width = 3
        elif nxt in units:
            width = 2
        else:
            continue
        merged.extend(tokens[start:i])
        merged.append("".join(tokens[i:i + width]))
        start = i + width
    if not start:
        return tokens
    merged.extend(tokens[start:])
    return merged


# ------------------------------------------------------------------ tokenising in several processes

_TOKEN_SEP, _TEXT_SEP = "\x1f", "\x1e"


def _tokenize_slice(job: tuple, texts: Sequence[str]) -> list[list[str]]:
    """Tokens of ``texts`` (one slice of :func:`ivr_text.parallel.map_slices`), ``chunk_size`` texts at a time."""
    tokenizer, chunk_size, normalized = job
    out: list[list[str]] = []
    for start in range(0, len(texts), chunk_size):
        out.extend(tokenizer._tokenize_chunk(texts[start:start + chunk_size], normalized))
    return out


def _pack(tokens: list[list[str]]) -> str | list[list[str]]:
    """Tokens of many texts as one string (a single large str pickles ~10× faster than lists of lists); the
    lists themselves if a token holds a separator character (only possible with ``normalize=False``)."""
    packed = _TEXT_SEP.join([_TOKEN_SEP.join(t) for t in tokens])
    expected = sum(len(t) - 1 for t in tokens if t)
    if packed.count(_TOKEN_SEP) == expected and packed.count(_TEXT_SEP) == len(tokens) - 1:
        return packed
    return tokens


def _unpack(part: str | list[list[str]], n: int) -> list[list[str]]:
    """:func:`_pack` undone; ValueError when it does not hold ``n`` texts."""
    if isinstance(part, str):
        texts = part.split(_TEXT_SEP) if n else []
        part = [t.split(_TOKEN_SEP) if t else [] for t in texts]
    if len(part) != n:
        raise ValueError(f"expected the tokens of {n} texts, got {len(part)}")
    return part
