"""Topics: streaming corpus, coherence against gensim, vectorised inference, planted themes, determinism, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.complaints.corpus import build_corpus, keep_token, token_stream
from ivr_text.complaints.topics import (TopicConfig, analyse_topics, fit_topic_model, topic_coherence,
                                        _lda_class)
from ivr_text.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
runner = CliRunner()

NET = ["信号", "掉线", "基站", "网速", "断网", "覆盖"]
FEE = ["扣费", "话费", "退费", "账单", "套餐费", "多收"]


def planted_docs(n=200, seed=0):
    """Two clearly separated themes; returns token lists and the planted theme of each."""
    rng = np.random.default_rng(seed)
    docs, theme = [], []
    for i in range(n):
        words = NET if i % 2 == 0 else FEE
        docs.append(list(rng.choice(words, 5)) + ["客户", "反映"])
        theme.append(i % 2)
    return docs, np.array(theme)


# ------------------------------------------------------------------------------------------ corpus


def test_corpus_counts_subset_and_filter_remap():
    corpus = build_corpus([["a", "b", "a"], [], ["b", "c"], ["c", "c", "d"]])
    assert len(corpus) == 4 and corpus.n_terms == 4
    assert list(corpus)[0] == [(0, 2), (1, 1)] and list(corpus)[1] == []
    assert corpus.doc_freq().tolist() == [1, 2, 2, 1]
    sub = corpus.subset(np.array([2, 0]))
    assert [[(sub.id2word[i], c) for i, c in d] for d in sub] == [[("b", 1), ("c", 1)], [("a", 2), ("b", 1)]]
    filt = corpus.filter_vocab(no_below=2)  # keeps b and c, renumbered 0, 1
    assert filt.id2word.tolist() == ["b", "c"]
    assert [[(filt.id2word[i], c) for i, c in d] for d in filt] == [[("b", 1)], [], [("b", 1), ("c", 1)], [("c", 2)]]
    assert len(filt) == 4  # documents are never dropped: row i stays text i


def test_keep_token_drops_masks_numbers_and_punctuation():
    assert keep_token("信号") and keep_token("5g套餐") and keep_token("cmnet")
    assert not any(keep_token(t) for t in ["<PHONE>", "******", "123", "，", " ", ""])
    assert not keep_token("卡", min_len=2)


def test_token_stream_accepts_plain_callable_and_missing_texts():
    out = list(token_stream(["a b", None, float("nan"), "c"], str.split, chunk_size=2))
    assert out == [["a", "b"], [], [], ["c"]]


# ------------------------------------------------------------------------------------------ coherence


def test_coherence_matches_gensim_u_mass_and_npmi():
    from gensim.corpora import Dictionary
    from gensim.models import CoherenceModel

    docs, _ = planted_docs(60)
    dictionary = Dictionary(docs)
    corpus = build_corpus(docs)
    x = corpus.to_csr(binary=True)
    topics_words = [["信号", "掉线", "基站", "扣费"], ["话费", "退费", "账单", "客户"]]
    ids = [corpus.token_ids(t) for t in topics_words]
    for measure, kwargs in [("u_mass", dict(corpus=[dictionary.doc2bow(d) for d in docs])),
                            ("c_npmi", dict(texts=docs, window_size=100))]:
        ref = CoherenceModel(topics=topics_words, dictionary=dictionary, coherence=measure, **kwargs)
        ours = topic_coherence(x, ids, measure)
        np.testing.assert_allclose(ours, ref.get_coherence_per_topic(), rtol=1e-6, atol=1e-9)


def test_vectorised_inference_equals_gensim_loop():
    from gensim.models import LdaModel

    docs, _ = planted_docs(120)
    corpus = build_corpus(docs)
    bows = list(corpus) + [[]]  # an empty text too
    model = LdaModel(corpus=bows, num_topics=3, id2word=corpus.id2word_dict, random_state=1, passes=2)
    fast = _lda_class()(id2word=corpus.id2word_dict, num_topics=3, random_state=1)
    fast.state, fast.expElogbeta, fast.alpha = model.state, model.expElogbeta, model.alpha
    model.random_state, fast.random_state = np.random.RandomState(5), np.random.RandomState(5)
    g_ref, s_ref = model.inference(bows, collect_sstats=True)
    g_new, s_new = fast.inference(bows, collect_sstats=True)
    np.testing.assert_allclose(g_new, g_ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(s_new, s_ref, rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------------------------------ models


def test_recovers_two_planted_themes_and_is_deterministic():
    docs, theme = planted_docs(200)
    corpus = build_corpus(docs).filter_vocab(no_below=2, no_above=0.9)
    cfg = TopicConfig(k=2, passes=5, seed=3)
    a = fit_topic_model(corpus, cfg, k=2)
    for words in a.topics["top_words"]:
        top = set(words.split()[:5])
        assert top <= set(NET) or top <= set(FEE), words
    purity = max((a.doc_topic == theme).mean(), (a.doc_topic != theme).mean())
    assert purity > 0.95
    b = fit_topic_model(corpus, cfg, k=2)
    assert (a.doc_topic == b.doc_topic).all() and a.topics["top_words"].tolist() == b.topics["top_words"].tolist()


def test_auto_k_prefers_the_planted_number_and_records_candidates():
    docs, _ = planted_docs(200)
    corpus = build_corpus(docs).filter_vocab(no_below=2, no_above=0.9)
    res = fit_topic_model(corpus, TopicConfig(passes=5, k_range=(2, 6), top_n=5), k=None)
    assert [c["k"] for c in res.info["k_candidates"]] == [2, 3, 4]  # 12 terms // 3 terms per topic caps k at 4
    assert res.info["k"] == 2
    # the chosen candidate's model is kept (no refit): identical to fitting that k directly
    direct = fit_topic_model(corpus, TopicConfig(passes=5, k_range=(2, 6), top_n=5), k=2)
    assert (res.doc_topic == direct.doc_topic).all()
    assert res.topics["word_weights"].tolist() == direct.topics["word_weights"].tolist()


def test_too_small_corpus_is_a_clear_error_and_empty_texts_get_no_topic():
    docs, _ = planted_docs(30)
    corpus = build_corpus(docs + [[]])
    with pytest.raises(InputError, match="too small for 5 topics.*--topics 3 or fewer"):
        fit_topic_model(corpus, TopicConfig(), k=5)
    res = fit_topic_model(corpus, TopicConfig(passes=2), k=2)
    assert res.doc_topic[-1] == -1 and np.isnan(res.doc_prob[-1])


def test_analyse_topics_within_groups_and_skips_small_ones():
    docs, theme = planted_docs(200)
    texts = [" ".join(d) for d in docs]
    groups = np.where(theme == 0, "网络问题", "费用问题").astype(object)
    groups[:6] = "服务问题"  # too small for topics of its own
    report = analyse_topics(texts, build_corpus(docs), TopicConfig(k=2, passes=3, no_below=2, no_above=0.9),
                            groups=list(groups), taxonomy={"网络问题": ["信号"], "费用问题": ["扣费"]})
    assert set(report.topics["scope"]) >= {"all", "网络问题", "费用问题"}
    assert "服务问题" in report.info["skipped"]
    assert len(report.doc_topics) == 200 and (report.doc_topics["group_topic"].iloc[:6] == -1).all()
    overall = report.topics[report.topics["scope"] == "all"]
    assert set(overall["main_cause"]) == {"网络问题", "费用问题"}
    assert overall["taxonomy_terms"].str.contains("信号|扣费").all() and not overall["novel"].any()


# ------------------------------------------------------------------------------------------ CLI


def _write_complaints(path: Path, n=160) -> Path:
    rng = np.random.default_rng(0)
    net = ["手机信号很差经常掉线", "家里宽带断网无法上网", "基站覆盖不好通话中断", "网速很慢信号弱"]
    fee = ["话费被多扣要求退费", "账单显示不明扣费", "套餐费用多收要求返还", "流量费用异常扣费"]
    rows = []
    for i in range(n):
        net_theme = i % 2 == 0
        text = rng.choice(net if net_theme else fee) + "，客户来电号码13812345678，" + rng.choice(net if net_theme else fee)
        rows.append({"工单号": f"T{i}", "内容": text, "cause": "网络问题" if net_theme else "费用问题"})
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_cli_topics_writes_tables_with_masked_examples(tmp_path):
    src = _write_complaints(tmp_path / "c.csv")
    out = tmp_path / "out"
    result = runner.invoke(app, ["topics", str(src), "--text-column", "内容", "--map", "id=工单号", "--topics", "2",
                                 "--by", "cause", "--passes", "3", "--no-below", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "read 160 = used 160 + rejected 0" in result.output and "coherence c_npmi" in result.output
    topics = pd.read_csv(out / "topics.csv")
    assert {"scope", "topic", "top_words", "share", "coherence", "examples"} <= set(topics.columns)
    assert topics["examples"].str.contains("<PHONE>").any() and not topics["examples"].str.contains("13812345678").any()
    doc = pd.read_csv(out / "doc_topics.csv")
    assert len(doc) == 160 and doc["id"].iloc[0] == "T0"
    assert (out / "topics.json").exists() and (out / "rejected_complaints.csv").exists()


def test_cli_topics_errors(tmp_path):
    src = _write_complaints(tmp_path / "c.csv", n=40)
    result = runner.invoke(app, ["topics", str(src), "--text-column", "内容", "--topics", "30", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "too small for 30 topics" in result.output
    assert runner.invoke(app, ["topics", str(src), "--topics", "many", "--out", str(tmp_path)]).exit_code == 2
    odd = tmp_path / "odd.csv"  # a text column io cannot recognise by name
    pd.read_csv(src).rename(columns={"内容": "留言X"}).to_csv(odd, index=False)
    result = runner.invoke(app, ["topics", str(odd), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "missing required column 'text'" in result.output


@pytest.mark.skipif(not (DATA / "cocc_cmcc_complaints").exists(), reason="shared real data not present")
def test_real_cocc_topics_are_coherent_and_masked():
    from ivr_text.complaints.corpus import corpus_from_texts

    df = pd.read_csv(DATA / "cocc_cmcc_complaints" / "cocc_dev.tsv", sep="\t").iloc[::4]
    texts = df["text"].tolist()
    report = analyse_topics(texts, corpus_from_texts(texts, min_len=2), TopicConfig(k=6, passes=3),
                            causes=df["label"].tolist())
    assert report.info["all"]["coherence"] > 0.05  # NPMI of top words above independence
    assert report.topics["main_cause"].nunique() >= 3
    assert not report.topics["examples"].str.contains(r"1[3-9]\d{9}").any()


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_docs = st.lists(st.lists(st.sampled_from(list("abcdefg")), max_size=6), max_size=25)


@settings(max_examples=60, deadline=None)
@given(_docs, st.integers(1, 4), st.floats(0.2, 1.0))
def test_filter_and_subset_keep_exact_counts(docs, no_below, no_above):
    from collections import Counter

    corpus = build_corpus(docs)
    filt = corpus.filter_vocab(no_below=no_below, no_above=no_above)
    kept = set(filt.id2word.tolist())
    df = Counter(w for d in docs for w in set(d))
    assert kept == {w for w, n in df.items() if n >= no_below and n <= no_above * max(len(docs), 1)}
    assert len(filt) == len(docs)
    for doc, bow in zip(docs, filt):
        assert {filt.id2word[i]: c for i, c in bow} == {w: c for w, c in Counter(doc).items() if w in kept}
    rows = np.arange(len(docs))[::-1]
    sub = corpus.subset(rows)
    assert [sorted((corpus.id2word[i], c) for i, c in b) for b in sub] == \
        [sorted((corpus.id2word[i], c) for i, c in list(corpus)[r]) for r in rows]


# ------------------------------------------------------------------------------------------ speed paths


def _three_themes(n=150, seed=0):
    rng = np.random.default_rng(seed)
    svc = ["态度", "等待", "热线", "上门", "回复", "营业厅"]
    docs = [list(rng.choice([NET, FEE, svc][i % 3], 5)) + ["客户"] for i in range(n)]
    return docs, np.array(["网络", "费用", "服务"], dtype=object)[np.arange(n) % 3]


def test_parallel_fits_equal_serial_for_auto_k_groups_and_sampled_refit():
    docs, groups = _three_themes()
    texts = [" ".join(d) for d in docs]
    corpus = build_corpus(docs)
    # auto k everywhere; auto_sample below the corpus size exercises the sample → refit-on-all path
    cfg = TopicConfig(passes=2, min_updates=10, iterations=30, no_below=2, no_above=0.9, k_range=(2, 4),
                      k_range_by=(2, 3), auto_sample=120, min_docs_per_topic=5)
    one = analyse_topics(texts, corpus, cfg, groups=list(groups), n_jobs=1)
    two = analyse_topics(texts, corpus, cfg, groups=list(groups), n_jobs=2)
    pd.testing.assert_frame_equal(one.topics, two.topics)
    pd.testing.assert_frame_equal(one.doc_topics, two.doc_topics)
    assert one.info == two.info
    assert [c["k"] for c in one.info["all"]["k_candidates"]] == [2, 3, 4] and one.info["all"]["n_texts"] == 150
    assert set(one.info["groups"]) == {"网络", "费用", "服务"}


def _die(task):  # a worker that crashes (as when killed for memory)
    import os

    os._exit(3)


def test_broken_worker_pool_falls_back_to_fitting_here(monkeypatch):
    import ivr_text.complaints.topics as topics_module

    docs, _ = planted_docs(120)
    corpus = build_corpus(docs).filter_vocab(no_below=2, no_above=0.9)
    cfg = TopicConfig(passes=2, min_updates=5, iterations=20)
    serial = topics_module.fit_models([corpus], [(0, 2), (0, 3)], cfg, n_jobs=1)
    monkeypatch.setattr(topics_module, "_fit_shared", _die)
    with pytest.warns(RuntimeWarning, match="workers failed"):
        rescued = topics_module.fit_models([corpus], [(0, 2), (0, 3)], cfg, n_jobs=2)
    for a, b in zip(serial, rescued):
        np.testing.assert_array_equal(a.get_topics(), b.get_topics())


def test_position_chunks_equal_bag_of_words_chunks_and_iteration_limit():
    """Training reads chunks as positions into the CSR arrays; inference on lists must give the same bits,
    also for a non-consecutive chunk, an empty text and documents stopped by the iteration limit."""
    docs, _ = planted_docs(80)
    corpus = build_corpus(docs + [[]])
    bows = list(corpus)
    for iterations in (2, 100):
        model = _lda_class()(id2word=corpus.id2word_dict, num_topics=3, random_state=1, iterations=iterations)
        model._bow = corpus
        for chunk in ([*range(len(corpus))], [80, 3, 5, 7, 40]):
            model.random_state = np.random.RandomState(5)
            g_pos, s_pos = model.inference(chunk, collect_sstats=True)
            model.random_state = np.random.RandomState(5)
            g_bow, s_bow = model.inference([bows[i] for i in chunk], collect_sstats=True)
            np.testing.assert_array_equal(g_pos, g_bow)
            np.testing.assert_array_equal(s_pos, s_bow)
    # with an iteration limit the vectorised E-step still matches gensim's own loop
    from gensim.models import LdaModel

    ref = LdaModel(corpus=bows, num_topics=3, id2word=corpus.id2word_dict, random_state=1, passes=1, iterations=2)
    fast = _lda_class()(id2word=corpus.id2word_dict, num_topics=3, random_state=1, iterations=2)
    fast.state, fast.expElogbeta, fast.alpha = ref.state, ref.expElogbeta, ref.alpha
    ref.random_state, fast.random_state = np.random.RandomState(2), np.random.RandomState(2)
    np.testing.assert_allclose(fast.inference(bows)[0], ref.inference(bows)[0], rtol=1e-4, atol=1e-4)


def test_quiet_mstep_keeps_gensim_random_stream(caplog):
    """Skipping gensim's topic printing must not change results: it draws random jitter when k > 5."""
    import logging

    docs, _ = planted_docs(120)
    corpus = build_corpus(docs).filter_vocab(no_below=2, no_above=0.9)
    cfg = TopicConfig(k=7, passes=2, min_updates=5, iterations=20, min_docs_per_topic=1, min_terms_per_topic=1)
    quiet = fit_topic_model(corpus, cfg, k=7)
    with caplog.at_level(logging.INFO, logger="gensim.models.ldamodel"):
        loud = fit_topic_model(corpus, cfg, k=7)
    assert "topic #" in caplog.text  # gensim's own M-step ran
    np.testing.assert_array_equal(quiet.model.get_topics(), loud.model.get_topics())
    assert (quiet.doc_topic == loud.doc_topic).all()


def test_cli_topics_same_output_for_any_n_jobs(tmp_path):
    src = _write_complaints(tmp_path / "c.csv", n=120)
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}"
        result = runner.invoke(app, ["topics", str(src), "--text-column", "内容", "--k-max", "4", "--by", "cause",
                                     "--passes", "2", "--no-below", "2", "--n-jobs", jobs, "--out", str(out)])
        assert result.exit_code == 0, result.output
        outs.append(out)
    for name in ("topics.csv", "doc_topics.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()


def _fit_in_daemon(_):
    docs, _ = planted_docs(100)
    corpus = build_corpus(docs).filter_vocab(no_below=2, no_above=0.9)
    return fit_topic_model(corpus, TopicConfig(passes=1, min_updates=2, iterations=5), n_jobs=2).info["k"]


def test_parallel_fits_inside_a_daemon_worker_run_serially():
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("needs fork")
    with mp.get_context("fork").Pool(1) as pool:  # pool workers are daemons: they may not start processes
        assert pool.map(_fit_in_daemon, [0]) == [_fit_in_daemon(0)]
