"""Benchmark the complaint tokeniser against plain ``jieba.lcut`` with the same dictionaries, in one run.

    .venv/bin/python benchmarks/bench_tokenize.py [--mb 6] [--jobs -1] [--engine auto] [--seed 7] [--slices 8]

Corpus: ≥ ``--mb`` MB (UTF-8) of complaint-like lines. When ``../shared/data/cocc_cmcc_complaints/cocc_dev.tsv``
exists, lines are built from its work orders: clauses of two orders recombined, digits, amounts, phone numbers,
ID numbers and dates varied, some lines converted to Traditional characters or upper-case Latin. Without it a
template generator over the shipped dictionaries is used. Almost every line is unique, so the tokenizer's
de-duplication does not inflate the figures (the share of unique lines is printed).

Printed: chars/s of ``jieba.lcut`` (reference: a ``jieba.Tokenizer`` with jieba's dictionary plus ours) and of
``Tokenizer.tokenize_many`` (full pipeline: normalise, mask, segment, synonyms, stopwords) with 1 process and
with ``--jobs``, each starting with empty caches (only repetition inside the corpus is reused), by wall time
and by CPU time (this process plus its children: robust to other jobs on the machine); the ratios; a second
pass with a warm block cache and a run that keeps blocks only within a 2,000-text chunk; normalisation alone
(texts/s); the share of lines whose Chinese token sequence from ``Tokenizer.segment`` equals that of
``jieba.lcut`` on the same normalised line; peak RSS.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ivr_text.text import Tokenizer  # noqa: E402
from ivr_text.parallel import worker_count  # noqa: E402
from ivr_text.text.tokenize import HAN  # noqa: E402

COCC = ROOT.parent / "shared" / "data" / "cocc_cmcc_complaints" / "cocc_dev.tsv"
_CLAUSE = re.compile(r"(?<=[，。；！？,;!?])")
_HAN_TOKEN = re.compile(f"[{HAN}]+")


def _seed_texts() -> list[str]:
    if COCC.exists():
        import csv

        with open(COCC, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        return [r["text"] for r in rows if r.get("text")]
    return _generated_texts(2000, random.Random(1))


def _generated_texts(n: int, rng: random.Random) -> list[str]:
    """Fallback: template sentences over the shipped dictionary's terms."""
    from ivr_text.resources import dictionary_path

    terms = [line.split()[0] for line in dictionary_path("telecom_dict.txt").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    starts = ["客户反映", "用户来电称", "客户投诉", "机主表示", "客户来电反映"]
    verbs = ["无法使用", "被扣费", "办理后没有生效", "一直没有处理", "信号很差", "要求退费", "不认可解释", "多次报修未解决"]
    ends = ["请核实处理。", "要求尽快回复。", "客户情绪激动，请优先处理。", "已解释，客户不认可。"]
    out = []
    for _ in range(n):
        parts = [rng.choice(starts)]
        for _ in range(rng.randint(2, 5)):
            parts.append(f"{rng.choice(terms)}{rng.choice(verbs)}，")
        parts.append(rng.choice(ends))
        out.append("".join(parts))
    return out


def build_corpus(target_bytes: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    seeds = _seed_texts()
    clauses = [[c for c in _CLAUSE.split(t) if c] for t in seeds]
    import opencc

    s2t = opencc.OpenCC("s2t").convert
    lines, size = [], 0
    while size < target_bytes:
        a, b = rng.choice(clauses), rng.choice(clauses)
        cut_a, cut_b = rng.randint(1, len(a)), rng.randint(0, len(b))
        text = "".join(a[:cut_a] + b[cut_b:])
        text = re.sub(r"\d+", lambda m: str(rng.randint(1, 10 ** min(len(m.group()), 6))), text)
        roll = rng.random()
        if roll < 0.15:
            text += f"联系电话1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}。"
        elif roll < 0.20:
            text += f"金额{rng.randint(5, 300)}.{rng.randint(0, 99):02d}元，订单号{rng.randint(10**15, 10**16)}。"
        elif roll < 0.25:
            text = s2t(text)
        elif roll < 0.28:
            text = text.upper() + " 5G套餐 VoLTE"
        lines.append(text)
        size += len(text.encode("utf-8")) + 1
    return lines


def han_tokens(tokens: list[str]) -> list[str]:
    return [t for t in tokens if _HAN_TOKEN.fullmatch(t)]


def check_regional() -> None:
    """Mainland texts must come out of normalisation exactly as with t2s alone; Taiwan-phrased copies of them
    should come back closer to the original with the map than without it."""
    import opencc
    import pandas as pd

    from ivr_text.text.normalize import to_simplified
    from ivr_text.text.regional import default_variant_map

    sources = {"sample complaints": ROOT / "sample_logs" / "complaints.csv"}
    if COCC.exists():
        sources["COCC dev"] = COCC
    vmap, to_tw = default_variant_map(), opencc.OpenCC("s2twp").convert
    for name, path in sources.items():
        texts = pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ",", encoding="utf-8-sig")["text"].astype(str)
        mainland = [to_simplified(t) for t in texts]
        same = sum(vmap.apply(t) == t for t in mainland)
        back_t2s = [to_simplified(to_tw(t)) for t in mainland]
        back_map = [vmap.apply(t) for t in back_t2s]
        print(f"{name}: {len(texts):,} texts; unchanged by the map {same:,}; Taiwan-phrased and back: identical to "
              f"the original {sum(a == b for a, b in zip(back_t2s, mainland)):,} with t2s alone, "
              f"{sum(a == b for a, b in zip(back_map, mainland)):,} with the map")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=6.0, help="corpus size in MB of UTF-8 text (default 6)")
    ap.add_argument("--jobs", type=int, default=-1, help="worker processes for the parallel run (-1 = all cores)")
    ap.add_argument("--engine", default="auto", help="auto, rjieba, jieba_fast or jieba")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--slices", type=int, default=8, help="turns jieba and the tokenizer take (default 8)")
    ap.add_argument("--regional", action="store_true",
                    help="only check the regional-vocabulary map on real mainland texts and on them rephrased "
                         "the Taiwan way (OpenCC s2twp) and converted back")
    args = ap.parse_args(argv)
    if args.regional:
        check_regional()
        return

    lines = build_corpus(int(args.mb * 1e6), args.seed)
    chars = sum(map(len, lines))
    print(f"corpus: {len(lines):,} lines, {chars:,} chars, {sum(len(t.encode()) for t in lines) / 1e6:.1f} MB, "
          f"unique lines {len(set(lines)) / len(lines):.1%}, source: {'COCC dev' if COCC.exists() else 'generator'}")

    t0 = time.perf_counter()
    tok = Tokenizer(engine=args.engine, cache_size=0)
    tok.engine
    print(f"tokenizer load: {time.perf_counter() - t0:.2f} s (engine {tok.engine.name})")

    import jieba

    t0 = time.perf_counter()
    ref = jieba.Tokenizer()
    ref.initialize()
    for word, freq in tok.words.items():
        ref.add_word(word, freq)
    print(f"jieba load (same dictionaries): {time.perf_counter() - t0:.2f} s")

    def timed(fn):
        c0, w0 = os.times(), time.perf_counter()
        result = fn()
        c1, wall = os.times(), time.perf_counter() - w0
        cpu = (c1.user - c0.user + c1.system - c0.system
               + c1.children_user - c0.children_user + c1.children_system - c0.children_system)
        return result, wall, cpu

    from ivr_text.text import normalize_many, normalize_text

    # jieba and the tokenizer take turns on consecutive slices, so a change in the machine's load affects both
    # alike; the tokenizer's caches carry over from slice to slice as in one pass (cold at the start)
    tok.clear_caches()
    w_ref = c_ref = w_one = c_one = 0.0
    ours1: list[list[str]] = []
    step = -(-len(lines) // args.slices)
    for start in range(0, len(lines), step):
        part = lines[start:start + step]
        _, w, c = timed(lambda: [ref.lcut(line) for line in part])
        w_ref, c_ref = w_ref + w, c_ref + c
        result, w, c = timed(lambda: tok.tokenize_many(part, n_jobs=1))
        w_one, c_one = w_one + w, c_one + c
        ours1.extend(result)
    assert ours1 == Tokenizer.default().tokenize_many(lines) or args.engine != "auto", "sliced run differs"
    _, w_warm, c_warm = timed(lambda: tok.tokenize_many(lines, n_jobs=1))  # block cache already filled
    tok.clear_caches()
    oursn, w_par, c_par = timed(lambda: tok.tokenize_many(lines, n_jobs=args.jobs))
    assert oursn == ours1, "parallel output differs from single-process output"
    chunk_only = Tokenizer(engine=args.engine, cache_size=0, block_cache_size=0)  # blocks reused within a chunk
    chunk_only._engine = tok.engine
    ours0, w_nocache, c_nocache = timed(lambda: chunk_only.tokenize_many(lines, n_jobs=1))
    assert ours0 == ours1, "block cache changed the output"
    _, w_norm, c_norm = timed(lambda: normalize_many(lines))
    _, w_norm1, c_norm1 = timed(lambda: [normalize_text(t) for t in lines])

    def row(label, wall, cpu):
        return (f"{label:<34}: wall {chars / wall / 1e6:6.3f} M chars/s ({wall:5.1f} s)  ratio {w_ref / wall:5.1f}x"
                f" | CPU {chars / cpu / 1e6:6.3f} M chars/s ({cpu:5.1f} s)  ratio {c_ref / cpu:5.1f}x")

    print(f"load average during run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          f"(CPU-time figures are robust to other load; wall figures are not)")
    print(row("jieba.lcut (raw lines)", w_ref, c_ref))
    print(row("Tokenizer.tokenize_many, 1 proc", w_one, c_one) + "   (taking turns with jieba)")
    print(row(f"Tokenizer.tokenize_many, jobs={args.jobs}", w_par, c_par))
    workers = min(os.cpu_count() or 1, worker_count(args.jobs))
    print(f"  {workers} processes on idle cores (CPU time of all processes / {workers}, measured parallel CPU overhead "
          f"{c_par / c_one - 1:+.0%}): ratio {c_ref / c_par * workers:.1f}x")
    print(row("  same, 2nd pass (warm block cache)", w_warm, c_warm))
    print(row("  block cache kept per chunk only", w_nocache, c_nocache))
    n = len(lines)
    print(f"normalize_many (mask on)          : CPU {chars / c_norm / 1e6:6.3f} M chars/s = {n / c_norm:,.0f} texts/s"
          f" | normalize_text per text: {n / c_norm1:,.0f} texts/s (avg {chars / n:.0f} chars)")
    print(f"tokenize_many incl. normalising   : CPU {n / c_one:,.0f} texts/s cold, {n / c_warm:,.0f} texts/s warm")

    # identity of Chinese token sequences on the same normalised text (not timed)
    same = 0
    examples = []
    normalized = [tok.normalize_one(t) for t in lines]
    segmented = tok._segment_normalized(normalized)
    for norm, seg in zip(normalized, segmented):
        a, b = han_tokens(ref.lcut(norm)), han_tokens(seg)
        if a == b:
            same += 1
        elif len(examples) < 3:
            diff = next(i for i in range(min(len(a), len(b)) + 1) if i >= min(len(a), len(b)) or a[i] != b[i])
            examples.append((a[max(0, diff - 2):diff + 3], b[max(0, diff - 2):diff + 3]))
    print(f"lines with identical Chinese tokens    : {same / len(lines):.2%} ({same:,}/{len(lines):,})")
    for a, b in examples:
        print(f"  differs: jieba {a} vs ours {b}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          f"(children {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
