"""Keyword expansion: a planted synonym is found for its cause; taxonomy seeds; CLI."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.complaints.keywords import (ALL_SEEDS, KeywordConfig, cause_doc_freq, expand_keywords, rank_suggestions,
                                         taxonomy_keywords, wilson_lower)
from ivr_text.errors import InputError

runner = CliRunner()


def planted_corpus(n=1500, seed=0):
    """'断流' is used exactly where '掉线' is (a synonym the taxonomy lacks); fees are a separate world."""
    rng = np.random.default_rng(seed)
    net_ctx = [["手机", "信号"], ["晚上", "通话"], ["室内", "上网"], ["小区", "网络"]]
    fee_ctx = [["本月", "话费"], ["套餐", "账单"], ["流量", "费用"], ["营业厅", "收费"]]
    texts = []
    for i in range(n):
        if i % 2 == 0:
            a, b = net_ctx[rng.integers(4)]
            word = "掉线" if rng.random() < 0.5 else "断流"
            texts.append(f"客户 反映 {a} {b} 经常 {word} 严重 影响 使用")
        else:
            a, b = fee_ctx[rng.integers(4)]
            word = "扣费" if rng.random() < 0.5 else "多收"
            texts.append(f"客户 反映 {a} {b} 被 {word} 要求 退还 费用")
    return texts


CFG = KeywordConfig(vector_size=32, epochs=10, min_count=5, window=4, phrases=False, topn=5, min_similarity=0.3)


def test_planted_synonym_is_suggested_for_its_cause():
    seeds = {"网络问题": ["掉线"], "费用问题": ["扣费"]}
    report = expand_keywords(planted_corpus(), seeds, CFG, tokenizer=str.split)
    t = report.suggestions
    net = t[(t["cause"] == "网络问题") & (t["seed_keyword"] == "掉线")]
    assert net["suggestion"].iloc[0] == "断流"
    row = net.iloc[0]
    assert row["similarity"] > 0.5 and row["frequency"] > 300 and not row["already_in_taxonomy"]
    assert row["margin"] > 0 and row["closest_other_cause"] == "费用问题"
    fee = t[(t["cause"] == "费用问题") & (t["seed_keyword"] == "扣费")]
    assert fee["suggestion"].iloc[0] == "多收"
    assert "扣费" not in set(net["suggestion"])


def test_deterministic_for_a_seed_and_marks_known_terms():
    seeds = {"网络问题": ["掉线", "信号"], "费用问题": ["扣费"]}
    known = {"网络问题": ["掉线", "信号", "断流"], "费用问题": ["扣费"]}
    a = expand_keywords(planted_corpus(600), seeds, CFG, tokenizer=str.split, known=known).suggestions
    b = expand_keywords(planted_corpus(600), seeds, CFG, tokenizer=str.split, known=known).suggestions
    pd.testing.assert_frame_equal(a, b)
    assert a.loc[a["suggestion"] == "断流", "already_in_taxonomy"].all()
    assert ALL_SEEDS in set(a.loc[a["cause"] == "网络问题", "seed_keyword"])


def test_no_seed_in_corpus_is_a_clear_error():
    with pytest.raises(InputError, match="no seed keyword"):
        expand_keywords(planted_corpus(200), {"x": ["不存在的词"]}, CFG, tokenizer=str.split)
    with pytest.raises(InputError, match="too few"):
        expand_keywords(["一句话"], {"x": ["话"]}, CFG, tokenizer=str.split)


def test_shipped_taxonomy_gives_seeds_for_every_cause():
    seeds = taxonomy_keywords()
    assert len(seeds) == 8 and all(seeds.values())


def test_cli_keywords_expand(tmp_path):
    texts = [t.replace(" ", "") for t in planted_corpus(800)]
    src = tmp_path / "c.csv"
    pd.DataFrame({"text": texts, "label": ["网络问题" if "掉线" in t or "断流" in t else "费用问题"
                                           for t in texts]}).to_csv(src, index=False)
    tax = tmp_path / "tax.yaml"
    tax.write_text(
        "name: t\nfamilies:\n  f: {side: internal, controllability: 可控}\nclasses:\n"
        "  - {name: 网络问题, description: n, family: f, keywords: {掉线: 2.0}}\n"
        "  - {name: 费用问题, description: c, family: f, keywords: {扣费: 2.0}}\n", encoding="utf-8")
    out = tmp_path / "kw.csv"
    r = runner.invoke(app, ["keywords", "expand", str(src), "--taxonomy", str(tax), "--out", str(out),
                            "--epochs", "5", "--min-similarity", "0", "--no-phrases", "--map", "cause=label"])
    assert r.exit_code == 0, r.output
    by_seed = pd.read_csv(tmp_path / "kw_by_seed.csv")
    assert list(by_seed.columns[:7]) == ["cause", "seed_keyword", "suggestion", "kind", "similarity", "frequency",
                                         "already_in_taxonomy"]
    assert set(by_seed["cause"]) <= {"网络问题", "费用问题"} and len(by_seed) > 0
    assert by_seed["cause_share"].between(0, 1).all()
    ranked = pd.read_csv(out)
    assert list(ranked.columns[:5]) == ["cause", "rank", "suggestion", "score", "why"]
    net = ranked[ranked["cause"] == "网络问题"].set_index("suggestion")
    # 断流 (like 严重 in this planted world) is in net texts only and in every one 掉线 misses: top score
    assert net.loc["断流", "score"] >= 0.95 * net["score"].max() and "adds" in net.loc["断流", "why"]
    assert (net.loc[[w for w in ("扣费", "多收", "退还") if w in net.index], "score"] < 1).all()
    assert net.loc["断流", "cause_share"] == 1 and net["rank"].tolist() == list(range(1, len(net) + 1))
    assert not ranked.duplicated(["cause", "suggestion"]).any()
    # the label column is found without --map, and the ranking is the same
    auto = runner.invoke(app, ["keywords", "expand", str(src), "--taxonomy", str(tax), "--out",
                               str(tmp_path / "kw2.csv"), "--epochs", "5", "--min-similarity", "0", "--no-phrases"])
    assert auto.exit_code == 0, auto.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "kw2.csv"), ranked)
    assert out.with_suffix(".json").exists()
    bad = runner.invoke(app, ["keywords", "expand", str(src), "--model", "glove", "--out", str(out)])
    assert bad.exit_code == 2 and "word2vec or fasttext" in bad.output  # an option value: usage error


def test_labels_give_cause_share_of_suggestions():
    texts = planted_corpus(800)
    labels = ["网络问题" if "反映" in t and i % 2 == 0 else "费用问题" for i, t in enumerate(texts)]
    t = expand_keywords(texts, {"网络问题": ["掉线"], "费用问题": ["扣费"]}, CFG, tokenizer=str.split,
                        labels=labels).suggestions
    row = t[(t["cause"] == "网络问题") & (t["suggestion"] == "断流")].iloc[0]
    assert row["cause_share"] == 1.0 and row["texts_with_term"] == row["frequency"]


def test_wilson_lower_bound_shrinks_small_counts():
    lb = wilson_lower(np.array([5, 50, 0]), np.array([5, 50, 0]))
    assert 0.5 < lb[0] < lb[1] < 1 and lb[2] == 0
    assert abs(wilson_lower(np.array([8]), np.array([10]))[0] - 0.4902) < 1e-3  # textbook value


def test_rank_prefers_precise_terms_that_add_texts_the_rules_miss():
    base = {"cause": "网络问题", "seed_keyword": "掉线", "kind": "word", "similarity": 0.8, "frequency": 40,
            "already_in_taxonomy": False, "taxonomy_causes": "", "cause_similarity": 0.5,
            "closest_other_cause": "费用问题", "margin": 0.1}
    rows = [
        # precise and mostly in texts the current keywords miss → first
        {**base, "suggestion": "断流", "texts_with_term": 40, "cause_texts": 38, "new_cause_texts": 30,
         "cause_share": 0.95},
        # precise but every text is already caught by the rules → adds nothing
        {**base, "suggestion": "掉线了", "similarity": 0.95, "texts_with_term": 40, "cause_texts": 40,
         "new_cause_texts": 0, "cause_share": 1.0},
        # common everywhere → shares the base rate
        {**base, "suggestion": "客户", "similarity": 0.9, "texts_with_term": 400, "cause_texts": 100,
         "new_cause_texts": 60, "cause_share": 0.25},
        # already a keyword of this cause → not a new candidate
        {**base, "suggestion": "信号", "already_in_taxonomy": True, "taxonomy_causes": "网络问题",
         "texts_with_term": 50, "cause_texts": 50, "new_cause_texts": 0, "cause_share": 1.0},
    ]
    ranked = rank_suggestions(pd.DataFrame(rows), {"网络问题": 0.25, "费用问题": 0.75})
    assert ranked["suggestion"].tolist() == ["断流", "客户", "掉线了"]
    assert ranked["rank"].tolist() == [1, 2, 3]
    first = ranked.iloc[0]
    assert "95% 网络问题" in first["why"] and "adds 30" in first["why"] and first["lift"] == 3.8
    assert ranked.iloc[2]["score"] == 0


def test_cause_doc_freq_counts_texts_the_known_keywords_miss(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("信号 差 断流\n断流 严重\n扣费 断流\n", encoding="utf-8")
    freq = cause_doc_freq(f, ["网络问题", "网络问题", "费用问题"], ["断流"],
                          known={"网络问题": ["信号差"], "费用问题": ["扣费"]})
    assert freq["断流"] == {"网络问题": 2, "网络问题\tnew": 1, "费用问题": 1}


def test_missing_labels_are_their_own_group():
    import pandas as pd

    from ivr_text.complaints.keywords import _label

    assert [_label(v) for v in [pd.NA, None, float("nan"), "网络问题"]] == ["(missing)"] * 3 + ["网络问题"]


def test_texts_without_repeated_words_are_a_clear_error(tmp_path):
    from typer.testing import CliRunner

    from ivr_text.cli.main import app

    p = tmp_path / "c.csv"
    p.write_text("text\n" + "".join(f"word{i}a word{i}b\n" for i in range(30)), encoding="utf-8")
    res = CliRunner().invoke(app, ["keywords", "expand", str(p), "--out", str(tmp_path / "k.csv")])
    assert res.exit_code == 1, res.output
    assert "no word occurs" in res.output
