"""Keyword discovery: word vectors trained on the user's own complaints suggest new terms for each cause.

For every cause of the taxonomy, the nearest neighbours of its seed keywords (and of all its seeds
together) in a gensim Word2Vec or FastText model trained on the user's corpus become candidate keywords,
with cosine similarity, corpus frequency, whether the taxonomy already has them, and how much closer they
are to this cause's seeds than to any other cause's (``margin``; a candidate near several causes is a
weak rule term). Optional gensim ``Phrases`` first joins frequent collocations (流量+超额 → 流量超额), which
surface as new dictionary terms for the tokeniser.

Streaming: texts are tokenised chunk by chunk into a temporary one-line-per-text file, which gensim reads
itself (``corpus_file``), so no token lists are held in memory. Deterministic for a seed with
``workers=1`` (the default). Speed: 100 k short texts (tokenise, phrases, Word2Vec 15 epochs, suggestions
for the 8 shipped causes) in 42 s on 2 loaded cores (``benchmarks/bench_topics.py --size 100000``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.corpus import keep_token, token_stream
from ivr_text.errors import InputError
from ivr_text.stats import wilson_lower

ALL_SEEDS = "(all seeds)"
PHRASE_DELIM = "_"  # joins phrase parts inside the model; suggestions show them without it


@dataclass
class KeywordConfig:
    """Parameters of keyword expansion."""

    model: str = "word2vec"     # or "fasttext" (sub-word vectors; also answers for seeds not in the corpus)
    vector_size: int = 100
    window: int = 5
    min_count: int = 3          # words rarer than this get no vector
    epochs: int = 15
    sg: int = 1                 # skip-gram: better for rare words than CBOW
    negative: int = 5
    seed: int = 0
    workers: int = 1            # >1 is faster but not reproducible
    topn: int = 10              # suggestions per seed keyword
    min_similarity: float = 0.45
    min_frequency: int = 5
    allow_digits: bool = False  # suggestions with digits (59元, 24个月) are amounts, not keywords
    min_len: int = 2            # shortest suggestion (characters)
    phrases: bool = True
    phrase_min_count: int = 5
    phrase_threshold: float = 0.6   # NPMI threshold for joining two tokens

    def __post_init__(self):
        if self.model not in ("word2vec", "fasttext"):
            raise InputError(f"model must be word2vec or fasttext, not {self.model!r}")


def taxonomy_keywords(path: str | Path | None = None) -> dict[str, list[str]]:
    """``{cause: [keywords with positive weight]}`` from a taxonomy YAML (None = the shipped one)."""
    from ivr_text.complaints.taxonomy import load_taxonomy

    tax = load_taxonomy(path)
    return {c.name: [k for k, w in c.keywords.items() if w > 0] for c in tax.classes}


def write_token_file(texts: Iterable[str], path: Path, tokenizer=None, *, chunk_size: int = 20_000,
                     n_jobs: int = 1) -> int:
    """Tokenise ``texts`` into ``path``, one space-separated line per text (empty line for a text without
    words, so line i is text i); return how many lines have words."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for tokens in token_stream(texts, tokenizer, chunk_size=chunk_size, n_jobs=n_jobs):
            tokens = [t.replace(" ", "") for t in tokens if t.strip()]
            fh.write(" ".join(tokens))
            fh.write("\n")
            n += bool(tokens)
    return n


def _label(value) -> str:
    return "(missing)" if value is None or pd.isna(value) else str(value)


def cause_doc_freq(token_file: Path, labels: Sequence, words: Iterable[str],
                   known: Mapping[str, Sequence[str]] | None = None) -> dict[str, dict[str, int]]:
    """``{word: {cause: texts containing it}}`` for ``words``, from a token file aligned with ``labels``.

    With ``known`` ({cause: keywords already in the taxonomy}) a text also counts under the key
    ``"<cause>\tnew"`` when none of its own cause's known keywords occurs in it (matched on the joined
    tokens), i.e. the term would add a text the current rules of that cause miss.
    """
    import re

    wanted = set(words)
    out: dict[str, dict[str, int]] = {w: {} for w in wanted}
    patterns = {c: re.compile("|".join(map(re.escape, sorted(set(ts), key=len, reverse=True))))
                for c, ts in (known or {}).items() if ts}
    with open(token_file, encoding="utf-8") as fh:
        for line, label in zip(fh, labels):
            label = _label(label)
            present = wanted.intersection(line.split())
            if not present:
                continue
            pattern = patterns.get(label)
            new = known is not None and (pattern is None or pattern.search(line.replace(" ", "").replace(PHRASE_DELIM, "")) is None)
            for w in present:
                out[w][label] = out[w].get(label, 0) + 1
                if new:
                    out[w][label + "\tnew"] = out[w].get(label + "\tnew", 0) + 1
    return out


def rank_suggestions(table: pd.DataFrame, base_share: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One row per (cause, new term), best first within each cause, with a ``score`` and a ``why`` in words.

    With cause evidence from labelled texts (``cause_texts``, ``texts_with_term``, ``new_cause_texts``):
    ``score`` = Wilson 95% lower bound of the term's cause share (how safely it points at the cause, small
    counts shrunk) × log2(1 + texts of the cause the current keywords miss that it would add). A precise
    term that only repeats texts the rules already catch, or a frequent term shared by every cause, ranks
    low. Without labels: ``score`` = best similarity to the cause's seeds + margin over the closest other
    cause. Terms already keywords of the same cause are left out (they are in the per-seed table).
    """
    cols = ["cause", "rank", "suggestion", "score", "why", "kind", "seeds", "similarity", "cause_similarity",
            "margin", "closest_other_cause", "frequency", "taxonomy_causes"]
    labelled = "cause_texts" in table.columns
    if labelled:
        cols += ["texts_with_term", "cause_texts", "new_cause_texts", "cause_share", "share_lower", "lift"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    own = [c in str(tc).split(" ") for c, tc in zip(table["cause"], table["taxonomy_causes"].fillna(""))]
    t = table[~np.asarray(own, dtype=bool)]
    if t.empty:
        return pd.DataFrame(columns=cols)
    seeds = (t[t["seed_keyword"] != ALL_SEEDS].sort_values("similarity", ascending=False)
             .groupby(["cause", "suggestion"], sort=False)["seed_keyword"]
             .agg(lambda s: " ".join(dict.fromkeys(s))))
    first = t.sort_values("similarity", ascending=False, kind="stable").drop_duplicates(["cause", "suggestion"])
    r = first.drop(columns=["seed_keyword"]).reset_index(drop=True)
    r["seeds"] = [seeds.get((c, w), ALL_SEEDS) for c, w in zip(r["cause"], r["suggestion"])]
    if labelled:
        r["share_lower"] = np.round(wilson_lower(r["cause_texts"], r["texts_with_term"]), 4)
        base = r["cause"].map(lambda c: (base_share or {}).get(c, np.nan)).astype(float)
        r["lift"] = np.round(r["cause_share"] / base.where(base > 0), 2)
        r["score"] = np.round(r["share_lower"] * np.log2(1 + r["new_cause_texts"]), 4)
        r["why"] = [
            f"in {n:,} texts, {share:.0%} {c} (base {b:.0%}); adds {new:,} {c} text(s) the current keywords "
            f"miss; near seed {s.split(' ')[0]} ({sim:.2f})"
            + (f"; already a keyword of {tc}" if tc else "")
            for n, share, c, b, new, s, sim, tc in zip(
                r["texts_with_term"], r["cause_share"], r["cause"], base.fillna(0), r["new_cause_texts"],
                r["seeds"], r["similarity"], r["taxonomy_causes"].fillna(""))]
    else:
        r["score"] = np.round(r["similarity"] + r["margin"].fillna(0), 4)
        r["why"] = [
            f"near seed {s.split(' ')[0]} ({sim:.2f}); "
            + (f"{m:+.2f} closer to {c} than to {o}" if o is not None and m == m else "only cause")
            + (f"; already a keyword of {tc}" if tc else "") + "; no labels: pass a cause column for evidence"
            for s, sim, m, c, o, tc in zip(r["seeds"], r["similarity"], r["margin"], r["cause"],
                                          r["closest_other_cause"], r["taxonomy_causes"].fillna(""))]
    order = {c: i for i, c in enumerate(dict.fromkeys(table["cause"]))}
    r = r.assign(_c=r["cause"].map(order)).sort_values(["_c", "score", "frequency", "suggestion"],
                                                       ascending=[True, False, False, True], kind="stable")
    r["rank"] = r.groupby("cause", sort=False).cumcount() + 1
    return r[cols].reset_index(drop=True)


def _apply_phrases(src: Path, dst: Path, cfg: KeywordConfig) -> int:
    from gensim.models.phrases import Phrases
    from gensim.models.word2vec import LineSentence

    phrases = Phrases(LineSentence(str(src)), min_count=cfg.phrase_min_count, threshold=cfg.phrase_threshold,
                      scoring="npmi", delimiter=PHRASE_DELIM).freeze()
    joined = 0
    with open(dst, "w", encoding="utf-8") as fh:
        for sentence in LineSentence(str(src)):
            out = phrases[sentence]
            joined += len(sentence) - len(out)
            fh.write(" ".join(out))
            fh.write("\n")
    return joined


def train_vectors(token_file: Path, cfg: KeywordConfig):
    """Train Word2Vec/FastText on a one-line-per-text token file; return the model."""
    from gensim.models import FastText, Word2Vec

    cls = FastText if cfg.model == "fasttext" else Word2Vec
    return cls(corpus_file=str(token_file), vector_size=cfg.vector_size, window=cfg.window,
               min_count=cfg.min_count, epochs=cfg.epochs, sg=cfg.sg, negative=cfg.negative,
               seed=cfg.seed, workers=cfg.workers)


def _seed_vector(wv, seed: str, tokenizer, fasttext: bool):
    """Vector for a seed term: its own, the mean of its tokens', or (FastText) from sub-words; else None."""
    if seed in wv.key_to_index:
        return wv[seed], "word"
    if tokenizer is not None and PHRASE_DELIM.join(tokenizer(seed)) in wv.key_to_index:
        return wv[PHRASE_DELIM.join(tokenizer(seed))], "phrase"
    parts = [t for t in (tokenizer(seed) if tokenizer is not None else [seed]) if t in wv.key_to_index]
    if parts:
        return np.mean([wv.get_vector(p, norm=True) for p in parts], axis=0), "tokens"
    if fasttext:
        return wv[seed], "subwords"
    return None, None


def _is_phrase(word: str) -> bool:
    parts = word.split(PHRASE_DELIM)
    return len(parts) > 1 and all(parts)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n else v


def suggest_keywords(wv, seeds: Mapping[str, Sequence[str]], cfg: KeywordConfig, tokenizer=None,
                     known: Mapping[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """Candidate keywords per cause from a trained ``KeyedVectors``.

    ``seeds``: {cause: seed terms}; ``known``: {cause: terms already in the taxonomy} (default: seeds).
    """
    known = seeds if known is None else known
    owner: dict[str, list[str]] = {}
    for cause, terms in known.items():
        for t in terms:
            owner.setdefault(t, []).append(cause)
    fasttext = hasattr(wv, "buckets") and getattr(wv, "bucket", 0) > 0
    seed_vecs: dict[str, list[tuple[str, np.ndarray]]] = {}
    for cause, terms in seeds.items():
        vecs = []
        for term in dict.fromkeys(terms):
            vec, _ = _seed_vector(wv, term, tokenizer, fasttext)
            if vec is not None:
                vecs.append((term, _unit(np.asarray(vec, dtype=np.float32))))
        seed_vecs[cause] = vecs
    centroids = {c: _unit(np.mean([v for _, v in vs], axis=0)) for c, vs in seed_vecs.items() if vs}
    if not centroids:
        raise InputError("no seed keyword of any cause occurs in the corpus (min_count "
                         f"{cfg.min_count}); lower --min-count or pass a taxonomy that fits the texts")
    cause_names = list(centroids)
    cmat = np.vstack([centroids[c] for c in cause_names])
    rows = []
    for cause, vecs in seed_vecs.items():
        queries = vecs + ([(ALL_SEEDS, centroids[cause])] if len(vecs) > 1 else [])
        seed_tokens = {t for t, _ in vecs}
        for seed, vec in queries:
            n_found = 0
            for word, sim in wv.similar_by_vector(vec, topn=cfg.topn * 5 + len(seed_tokens)):
                if n_found >= cfg.topn or sim < cfg.min_similarity:
                    break
                if word in seed_tokens or not keep_token(word, cfg.min_len):
                    continue
                if not cfg.allow_digits and any(ch.isdigit() for ch in word):
                    continue
                freq = int(wv.get_vecattr(word, "count")) if "count" in wv.expandos else 0
                if freq < cfg.min_frequency:
                    continue
                shown = word.replace(PHRASE_DELIM, "") if _is_phrase(word) else word
                sims = cmat @ wv.get_vector(word, norm=True)
                own = sims[cause_names.index(cause)] if cause in centroids else np.nan
                others = [(s, c) for s, c in zip(sims, cause_names) if c != cause]
                best_other = max(others) if others else (np.nan, None)
                rows.append({
                    "cause": cause, "seed_keyword": seed, "suggestion": shown,
                    "kind": "phrase" if shown != word else "word", "similarity": round(float(sim), 4),
                    "frequency": freq, "already_in_taxonomy": shown in owner,
                    "taxonomy_causes": " ".join(owner.get(shown, [])),
                    "cause_similarity": round(float(own), 4),
                    "closest_other_cause": best_other[1],
                    "margin": round(float(own - best_other[0]), 4) if others else np.nan,
                })
                n_found += 1
    cols = ["cause", "seed_keyword", "suggestion", "kind", "similarity", "frequency", "already_in_taxonomy",
            "taxonomy_causes", "cause_similarity", "closest_other_cause", "margin"]
    return pd.DataFrame(rows, columns=cols)


@dataclass
class KeywordReport:
    suggestions: pd.DataFrame   # one row per (cause, seed keyword or all seeds, suggestion)
    info: dict
    ranked: pd.DataFrame | None = None  # one row per (cause, new term), best first, with score and why


def expand_keywords(texts: Iterable[str], seeds: Mapping[str, Sequence[str]], cfg: KeywordConfig | None = None,
                    tokenizer=None, *, known: Mapping[str, Sequence[str]] | None = None,
                    labels: Sequence | None = None, n_jobs: int = 1,
                    workdir: str | Path | None = None) -> KeywordReport:
    """Tokenise ``texts`` (streaming), optionally join phrases, train vectors, suggest keywords per cause.

    With ``labels`` (the cause of each text) every suggestion also gets ``texts_with_term`` and
    ``cause_share``: the share of texts containing it that carry the suggested cause (evidence beyond
    similarity that the term marks that cause).
    """
    from ivr_text.complaints.corpus import default_tokenizer

    cfg = cfg or KeywordConfig()
    tokenizer = tokenizer if tokenizer is not None else default_tokenizer()
    with tempfile.TemporaryDirectory(dir=workdir, prefix="ivr_text_kw_") as tmp:
        tokens = Path(tmp) / "tokens.txt"
        n_lines = write_token_file(texts, tokens, tokenizer, n_jobs=n_jobs)
        if n_lines < 2:
            raise InputError(f"only {n_lines} text(s) with words: too few to train word vectors")
        joined = 0
        if cfg.phrases:
            phrased = Path(tmp) / "phrases.txt"
            joined = _apply_phrases(tokens, phrased, cfg)
            tokens = phrased
        try:
            model = train_vectors(tokens, cfg)
        except RuntimeError as exc:  # gensim: "you must first build vocabulary" when no word is frequent enough
            if "vocabulary" not in str(exc):
                raise
            model = None
        wv = model.wv if model is not None else ()
        if len(wv) == 0:
            raise InputError(f"no word occurs {cfg.min_count}+ times: lower --min-count or add texts")
        table = suggest_keywords(wv, seeds, cfg, tokenizer, known)
        base_share = None
        if labels is not None:
            labels = [_label(v) for v in labels]
            base_share = (pd.Series(labels).value_counts() / max(len(labels), 1)).to_dict()
        if labels is not None and len(table):
            in_model = {w.replace(PHRASE_DELIM, "") if _is_phrase(w) else w: w for w in wv.index_to_key}
            freq = cause_doc_freq(tokens, labels, {in_model.get(w, w) for w in table["suggestion"]},
                                  known=known if known is not None else seeds)
            per_word = [freq.get(in_model.get(w, w), {}) for w in table["suggestion"]]
            totals = [sum(v for k, v in d.items() if "\t" not in k) for d in per_word]
            table["texts_with_term"] = totals
            table["cause_texts"] = [d.get(c, 0) for d, c in zip(per_word, table["cause"])]
            table["new_cause_texts"] = [d.get(c + "\tnew", 0) for d, c in zip(per_word, table["cause"])]
            table["cause_share"] = [round(n / max(t, 1), 4) for n, t in zip(table["cause_texts"], totals)]
    missing = {c: [t for t in ts if _seed_vector(wv, t, tokenizer, cfg.model == "fasttext")[0] is None]
               for c, ts in seeds.items()}
    info = {"texts_with_words": n_lines, "vocabulary": len(wv), "phrase_tokens_joined": joined,
            "seeds_not_in_corpus": {c: ts for c, ts in missing.items() if ts}, "params": cfg.__dict__.copy()}
    return KeywordReport(table, info, rank_suggestions(table, base_share))


__all__ = ["KeywordConfig", "KeywordReport", "expand_keywords", "suggest_keywords", "taxonomy_keywords",
           "rank_suggestions", "wilson_lower",
           "train_vectors", "write_token_file", "ALL_SEEDS"]
