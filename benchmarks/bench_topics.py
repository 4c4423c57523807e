"""Benchmark: topics and trends on synthetic complaint texts (default 1 M), time and peak memory.

    .venv/bin/python benchmarks/bench_topics.py [--size 1000000] [--k 10] [--passes 1] [--n-jobs 2]
        [--auto-size 5000] [--keywords-size 100000]

Texts come from a template generator (8 themes, two sentences of one theme per text, varied fillers, numbers and masked phones so that texts are
mostly distinct), dated over 26 weeks with one planted spike (theme 费用 in the last week) and a planted new
term (“副卡”) in the last week. Steps, each timed: tokenise + stream into the bag-of-words corpus; LDA
(vectorised E-step) + dominant topic of every text; trends (zero-filled counts, alerts, emerging terms);
the ``topics`` command's analysis (auto k overall and within each cause) on ``--auto-size`` texts with
``--n-jobs`` worker processes against 1 process (reference, same run; the answers must be identical).
Reference measured in the same run: gensim's own per-document E-step on a 20 k-text subset, giving the
speed-up ratio of the vectorised engine. Each step prints wall and CPU time (this process + its workers). Then keyword expansion on ``--keywords-size`` texts. Peak RSS from ``resource.getrusage``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

THEMES = {
    "网络问题": ["手机信号差经常掉线", "家里{p}宽带断网无法上网", "{p}基站覆盖不好通话中断", "4g网速很慢{p}信号弱"],
    "费用问题": ["话费被多扣{n}元要求退费", "账单显示不明扣费{n}元", "套餐费用多收{n}元要求返还", "流量费用异常扣费{n}元"],
    "服务问题": ["营业厅{p}工作人员态度差", "客服热线等待时间长无人接听", "装维人员没有按时上门", "投诉后一直没有回复处理"],
    "营销活动问题": ["办理{p}活动赠送的话费没有到账", "存费送机活动{n}元未返还", "宣传的优惠与实际不符", "积分兑换礼品未收到"],
    "业务办理问题": ["{p}营业厅办理携号转网被拒", "宽带拆机迟迟没有办理", "销户需要本人到{p}营业厅", "补卡手续复杂"],
    "不知情定制问题": ["未经同意开通增值业务扣费{n}元", "莫名定制视频会员", "短信提示开通了彩铃业务", "被开通流量包不知情"],
    "信息安全问题": ["收到大量垃圾短信骚扰", "个人信息泄露接到诈骗电话", "号码被他人冒用办理业务", "短信功能被关停"],
    "业务使用问题": ["手机无法接收短信验证码", "{p}专线中断无法使用", "语音信箱无法使用", "手机上网需要重启"],
}
PLACES = ["北京", "朝阳", "海淀", "天河", "浦东", "武侯", "南山", "江北", "鼓楼", "雨花", "城关", "新城"]
FILLERS = ["客户反映", "用户来电称", "来电人表示", "客户投诉", "用户反馈"]
TAILS = ["要求尽快处理", "请核实", "客户情绪激动", "希望给予解释", "要求回电", ""]


def generate(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` synthetic complaints with text, cause and date (one planted spike, one planted new term)."""
    rng = np.random.default_rng(seed)
    causes = np.array(list(THEMES))
    week = rng.integers(0, 26, n)
    weights = np.ones(len(causes)) / len(causes)
    cause_idx = rng.choice(len(causes), n, p=weights)
    last = week == 25
    spike = last & (rng.random(n) < 0.4)
    cause_idx[spike] = list(causes).index("费用问题")
    templates = [np.array(THEMES[c], dtype=object) for c in causes]
    pick = rng.integers(0, 4, n)
    pick2 = (pick + rng.integers(1, 4, n)) % 4  # a second, different sentence of the same cause
    texts = np.empty(n, dtype=object)
    place = rng.integers(0, len(PLACES), n)
    amount = rng.integers(5, 500, n)
    phone = rng.integers(13000000000, 13999999999, n)
    filler = rng.integers(0, len(FILLERS), n)
    tail = rng.integers(0, len(TAILS), n)
    new_term = last & (rng.random(n) < 0.15)
    for i in range(n):
        tpl = templates[cause_idx[i]]
        body = (tpl[pick[i]].format(p=PLACES[place[i]], n=amount[i]) + "，"
                + tpl[pick2[i]].format(p=PLACES[place[i]], n=amount[i]))
        extra = "，副卡也被停机" if new_term[i] else ""
        texts[i] = f"{FILLERS[filler[i]]}{body}{extra}，联系电话{phone[i]}，{TAILS[tail[i]]}"
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(week * 7 + rng.integers(0, 7, n), unit="D")
    return pd.DataFrame({"text": texts, "cause": causes[cause_idx], "ts": day})


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process and of its finished worker processes."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Step:
    """Wall and CPU time of a block: ``with Step() as s: ...; s.wall, s.cpu``."""

    def __enter__(self):
        self.t0, self.c0 = time.perf_counter(), cpu_s()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.t0, cpu_s() - self.c0
        return False

    def __str__(self):
        return f"{self.wall:.1f} s wall, {self.cpu:.1f} s CPU"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--passes", type=int, default=1)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--reference-size", type=int, default=20_000)
    ap.add_argument("--auto-size", type=int, default=5_000,
                    help="texts for the auto-k analysis overall and by cause, n_jobs vs 1 (0 = skip)")
    ap.add_argument("--keywords-size", type=int, default=100_000, help="texts for keyword expansion (0 = skip)")
    args = ap.parse_args(argv)

    from ivr_text.complaints.corpus import corpus_from_texts, default_tokenizer
    from ivr_text.complaints.topics import TopicConfig, analyse_topics, fit_topic_model
    from ivr_text.parallel import worker_count
    from ivr_text.complaints.trends import (TrendConfig, emerging_terms, period_counts, score_counts,
                                            to_periods)

    t0 = time.perf_counter()
    df = generate(args.size)
    t_gen = time.perf_counter() - t0
    print(f"generated {len(df):,} texts ({df['text'].nunique():,} distinct) in {t_gen:.1f} s; "
          f"peak RSS {peak_mb():,.0f} MB")

    with Step() as s:
        corpus = corpus_from_texts(df["text"].tolist(), default_tokenizer(), n_jobs=args.n_jobs, min_len=2)
    arrays_mb = (corpus.indptr.nbytes + corpus.indices.nbytes + corpus.counts.nbytes) / 2**20
    print(f"tokenise + corpus: {s} ({len(df) / s.wall:,.0f} texts/s); vocabulary {corpus.n_terms:,}, "
          f"{corpus.nnz:,} (text, term) pairs in {arrays_mb:.0f} MB of arrays; peak RSS {peak_mb():,.0f} MB")

    cfg = TopicConfig(k=args.k, passes=args.passes, no_below=5)
    filt = corpus.filter_vocab(cfg.no_below, cfg.no_above, cfg.keep_n)
    with Step() as s:
        res = fit_topic_model(filt, cfg, k=args.k)
    print(f"topics: k={args.k}, (chunksize, passes)={res.info['chunksize_and_passes']}: {s} "
          f"({len(df) / s.wall:,.0f} texts/s incl. dominant topic of every text); coherence c_npmi "
          f"{res.info['coherence']:.3f}; peak RSS {peak_mb():,.0f} MB")
    purity = pd.crosstab(res.doc_topic, df["cause"].to_numpy()).max(axis=1).sum() / len(df)
    print(f"  purity of dominant topics against the 8 generating causes: {purity:.3f}")

    t0 = time.perf_counter()
    periods = to_periods(df["ts"], "week")
    tcfg = TrendConfig(period="week")
    scored = score_counts(period_counts(periods, df["cause"].tolist()), tcfg)
    terms = emerging_terms(corpus, periods, tcfg, texts=df["text"].tolist(), causes=df["cause"].tolist())
    t_tr = time.perf_counter() - t0
    alerts = scored[scored["alert"]]
    print(f"trends: {t_tr:.1f} s; alerts: {alerts[['period', 'group']].values.tolist()}; "
          f"{len(terms)} emerging terms, planted new term 副卡 found: {'副卡' in set(terms['term'])} "
          f"(new-only terms: {terms.loc[terms['new'], 'term'].tolist()[:5]}); "
          f"peak RSS {peak_mb():,.0f} MB")

    if args.auto_size:
        n_auto = min(args.auto_size, len(df))
        texts, causes = df["text"].iloc[:n_auto].tolist(), df["cause"].iloc[:n_auto].tolist()
        sub_corpus = corpus.subset(np.arange(n_auto))
        acfg = TopicConfig(no_below=5)
        runs = {}
        for jobs in (1, args.n_jobs):
            with Step() as s:
                rep = analyse_topics(texts, sub_corpus, acfg, groups=causes, causes=causes, n_jobs=jobs)
            runs[jobs] = (s, rep)
        (s1, r1), (sn, rn) = runs[1], runs[args.n_jobs]
        same = r1.topics.equals(rn.topics) and r1.doc_topics.equals(rn.doc_topics)
        n_fits = len(r1.info["all"]["k_candidates"]) + sum(len(g["k_candidates"] or [1])
                                                          for g in r1.info["groups"].values())
        print(f"topics command analysis (auto k {acfg.k_range[0]}..{acfg.k_range[1]} overall, "
              f"{acfg.k_range_by[0]}..{acfg.k_range_by[1]} within each of {len(r1.info['groups'])} causes; "
              f"{n_fits} fits) on {n_auto:,} texts: 1 process {s1}; n_jobs={args.n_jobs} "
              f"({worker_count(args.n_jobs)} workers) {sn} → ×{s1.wall / sn.wall:.2f} wall; identical answers: "
              f"{same}; k={r1.info['all']['k']}; peak RSS {peak_mb():,.0f} MB (workers "
              f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:,.0f} MB)")

    n_ref = min(args.reference_size, len(df))
    sub = filt.subset(np.arange(n_ref))
    times = {}
    for engine in ("vectorized", "gensim"):
        t0 = time.perf_counter()
        fit_topic_model(sub, TopicConfig(k=args.k, passes=1, min_updates=1, engine=engine), k=args.k)
        times[engine] = time.perf_counter() - t0
    print(f"reference on {n_ref:,} texts, 1 pass + inference: vectorised {times['vectorized']:.1f} s, "
          f"gensim per-document E-step {times['gensim']:.1f} s → speed-up ×{times['gensim'] / times['vectorized']:.1f}")
    if args.keywords_size:
        from ivr_text.complaints.keywords import KeywordConfig, expand_keywords, taxonomy_keywords

        n_kw = min(args.keywords_size, len(df))
        t0 = time.perf_counter()
        rep = expand_keywords(df["text"].iloc[:n_kw].tolist(), taxonomy_keywords(), KeywordConfig(),
                              labels=df["cause"].iloc[:n_kw].tolist(), n_jobs=args.n_jobs)
        t_kw = time.perf_counter() - t0
        print(f"keywords expand on {n_kw:,} texts (tokenise, phrases, word2vec 15 epochs, suggestions): "
              f"{t_kw:.1f} s; {len(rep.suggestions):,} suggestions, median cause_share "
              f"{rep.suggestions['cause_share'].median():.2f}; peak RSS {peak_mb():,.0f} MB")
    print(f"total peak RSS {peak_mb():,.0f} MB (largest worker process "
          f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:,.0f} MB)")


if __name__ == "__main__":
    sys.exit(main())
