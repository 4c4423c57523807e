"""Corpus boilerplate is detected from the corpus and kept out of topics and emerging terms; alerts say what changed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.complaints.boilerplate import find_boilerplate
from ivr_text.complaints.corpus import build_corpus
from ivr_text.complaints.topics import TopicConfig, analyse_topics
from ivr_text.complaints.trends import TrendConfig, alert_terms, emerging_terms, score_counts, to_periods
from ivr_text.complaints.trends import alert_examples, period_counts

# hand-made token lists (no data set): 4 causes with their own words; a template sentence in 30% of the texts
# of every cause; 信号 in most texts of every cause
CONTENT = {"网络": ["基站", "覆盖", "掉线", "网速"], "费用": ["话费", "扣费", "账单", "退费"],
           "服务": ["态度", "营业员", "推诿", "投诉"], "办理": ["补卡", "过户", "销户", "手续"]}
TEMPLATE = ["如不解决", "工信部", "申诉", "方便", "接听电话"]


def corpus(n_per_cause=120, weeks=20, seed=0, new_term_week=None):
    rng = np.random.default_rng(seed)
    docs, causes, ts = [], [], []
    for cause, words in CONTENT.items():
        for i in range(n_per_cause):
            toks = list(rng.choice(words, size=2, replace=False))
            if rng.random() < 0.3:
                toks += TEMPLATE
            if rng.random() < 0.6:
                toks.append("信号")
            week = int(rng.integers(0, weeks))
            if new_term_week is not None and cause == "网络" and week == new_term_week and rng.random() < 0.8:
                toks.append("光猫")  # a new theme in one cause and one week
            docs.append(toks)
            causes.append(cause)
            ts.append(pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=week))
    return build_corpus(docs), causes, to_periods(pd.Series(ts), "week"), docs


def test_template_words_are_found_from_the_corpus_and_content_words_are_not():
    c, causes, periods, _ = corpus()
    bp = find_boilerplate(c, causes)
    assert set(bp["term"]) == set(TEMPLATE) | {"信号"}
    assert (bp.loc[bp["term"] == "信号", "reason"].str.contains("of texts")).all()  # in most texts
    assert bp["cause_tvd"].max() <= 0.15
    # without labels only "in most texts" can be judged
    assert set(find_boilerplate(c)["term"]) == {"信号"}


def test_a_cause_neutral_term_that_bursts_in_time_is_not_boilerplate():
    c, causes, periods, docs = corpus(new_term_week=None)
    # 方便 (template) also appears, in every cause, in all texts of the last 4 weeks: a change, not boilerplate
    last = periods.max()
    docs = [d + ["新业务"] if p >= last - 3 else d for d, p in zip(docs, periods)]
    c = build_corpus(docs)
    with_time = set(find_boilerplate(c, causes, periods)["term"])
    assert "新业务" not in with_time and set(TEMPLATE) <= with_time
    assert "新业务" in set(find_boilerplate(c, causes)["term"])  # by the causes alone it would look like one


def test_topics_keep_boilerplate_out_of_the_top_words():
    c, causes, _, docs = corpus()
    texts = [" ".join(d) for d in docs]
    cfg = TopicConfig(k=4, seed=0, no_above=0.9, top_n=6)
    plain = analyse_topics(texts, c, cfg, causes=causes, boilerplate=None)
    clean = analyse_topics(texts, c, cfg, causes=causes)
    words = lambda rep: {w for tw in rep.topics["top_words"] for w in tw.split()}  # noqa: E731
    assert words(plain) & (set(TEMPLATE) | {"信号"})        # the check can fail: without it they are there
    assert not words(clean) & (set(TEMPLATE) | {"信号"})
    assert set(clean.boilerplate["term"]) == set(TEMPLATE) | {"信号"}


def test_emerging_terms_skip_boilerplate_and_an_alert_says_what_changed():
    c, causes, periods, docs = corpus(n_per_cause=200, new_term_week=15)
    cfg = TrendConfig(min_count=5)
    em = emerging_terms(c, periods, cfg, causes=causes)
    assert "光猫" in set(em["term"]) and not set(em["term"]) & set(TEMPLATE)
    # a surge of 网络 texts in week 15 that all mention 光猫
    extra = [["光猫", "掉线"] for _ in range(40)]
    docs2 = docs + extra
    causes2 = causes + ["网络"] * len(extra)
    wk = periods[np.flatnonzero(np.asarray([("光猫" in d) for d in docs]))[0]]
    periods2 = pd.PeriodIndex(list(periods) + [wk] * len(extra), freq=periods.freq)
    c2 = build_corpus(docs2)
    scored = score_counts(period_counts(periods2, causes2), cfg)
    alerts = alert_examples(scored, periods2, causes2, [" ".join(d) for d in docs2], cfg)
    assert alerts["group"].tolist() == ["网络"]
    changed = alert_terms(alerts, c2, periods2, causes2, cfg)
    assert changed[0].startswith("光猫 (")
