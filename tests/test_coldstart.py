"""Cold start that learns from the input: on a synthetic corpus whose rules cover only part of each class."""

from __future__ import annotations

import random

import numpy as np
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.complaints.coldstart import ColdStartClassifier, _kappa, predict_without_model
from ivr_text.complaints.evaluate import classification_metrics
from ivr_text.complaints.taxonomy import taxonomy_from_dict

# Each class has one keyword the rules know and content words they do not; texts mix 2-3 content words of
# their class with shared filler. Half the texts of each class carry the keyword, half do not.
CLASSES = {
    "网络": ("信号", ["基站", "覆盖", "网速", "掉线", "断网", "卡顿", "延迟", "盲区"]),
    "费用": ("扣费", ["账单", "月租", "余额", "退款", "多收", "计费", "详单", "欠费"]),
    "服务": ("态度", ["推诿", "敷衍", "辱骂", "挂断", "回访", "怠慢", "不耐烦", "冷漠"]),
}
FILLER = ["客户来电", "请核实", "近期", "本人", "多次", "处理", "麻烦", "尽快", "家里", "一直"]


def corpus(n_per_class: int = 60, seed: int = 0):
    rng = random.Random(seed)
    texts, labels, has_kw = [], [], []
    for label, (kw, words) in CLASSES.items():
        for i in range(n_per_class):
            parts = rng.sample(words, 3) + rng.sample(FILLER, 2)
            with_kw = i % 2 == 0
            if with_kw:
                parts.insert(rng.randrange(len(parts) + 1), kw)
            rng.shuffle(parts)
            texts.append("，".join(parts) + "。")
            labels.append(label)
            has_kw.append(with_kw)
    return texts, np.array(labels, dtype=object), np.array(has_kw)


def taxonomy():
    raw = {"families": {"F": {"side": "internal", "controllability": "可控"}},
           "classes": [{"name": name, "family": "F", "keywords": {kw: 2.0}} for name, (kw, _) in CLASSES.items()]}
    return taxonomy_from_dict(raw)


def test_cold_start_learns_the_words_the_rules_do_not_know():
    texts, y, has_kw = corpus()
    tax = taxonomy()
    clf = ColdStartClassifier(tax).fit(texts)
    assert clf.info_["seeds"] == int(has_kw.sum())  # exactly the texts with a keyword are sure
    assert "fallback" not in clf.info_
    out = clf.predict_frame(texts)
    # texts with a keyword: the rules' class (all correct here); without: only the model can know
    assert (out.loc[has_kw, "source"] == "rules").all() and (out.loc[~has_kw, "source"] == "model").all()
    assert (out.loc[has_kw, "cause"].to_numpy() == y[has_kw]).all()
    learned = classification_metrics(y[~has_kw], out.loc[~has_kw, "cause"])
    assert learned["macro_f1"] >= 0.9, learned
    rules = predict_without_model(texts, tax, rules_only=True)[0]
    assert (rules.loc[~has_kw, "cause"] == "未分类").all()  # the rules alone know nothing about them
    assert out["confidence"].between(0, 1).all()
    assert out.loc[~has_kw, "confidence"].mean() > 0.5


def test_cold_start_falls_back_to_rules_when_there_is_nothing_to_learn_from():
    texts, y, has_kw = corpus(n_per_class=8)  # 4 seeds per class < min_seeds
    clf = ColdStartClassifier(taxonomy()).fit(texts)
    assert clf.model_ is None and "rules only" in clf.info_["fallback"]
    out = clf.predict_frame(texts)
    assert out["source"].isin(["rules", "none"]).all()
    assert (out.loc[~has_kw, "cause"] == "未分类").all()


def test_cold_start_refuses_a_model_that_does_not_agree_with_the_rules():
    # seeds: each keyword always comes with one long marker phrase (信号+苹果香蕉橘子, …), so the model learns the
    # markers (more character n-grams than the keyword); the unsure texts (two keywords, a tie for the rules)
    # carry the third class's marker: the model follows the marker, the rules one of the keywords
    markers = {"信号": "苹果香蕉橘子", "扣费": "火车汽车轮船", "态度": "钢琴吉他提琴"}
    seeds = [f"{kw}，{markers[kw]}{i}" for kw in markers for i in range(15)]
    unsure = [f"{a}，{b}，{markers[m]}" for a, b, m in (("信号", "扣费", "态度"), ("扣费", "态度", "信号"),
                                                      ("态度", "信号", "扣费")) for _ in range(10)]
    clf = ColdStartClassifier(taxonomy()).fit(seeds + unsure)
    assert clf.info_["seeds"] == 45 and clf.info_["agreement_texts"] == 30
    assert clf.info_["agreement_kappa"] < 0.3
    assert clf.model_ is None and "kappa" in clf.info_["fallback"]


def test_kappa_hand_checked():
    assert _kappa(np.array(list("aabb")), np.array(list("aabb"))) == 1.0
    # observed 0.5, chance 0.5·0.5 + 0.5·0.5 = 0.5 → 0
    assert _kappa(np.array(list("aabb")), np.array(list("abab"))) == pytest.approx(0.0)
    # observed 0.75; chance 0.5·0.75 + 0.5·0.25 = 0.5 → 0.5
    assert _kappa(np.array(list("aabb")), np.array(list("aaab"))) == pytest.approx(0.5)


def test_cold_start_is_deterministic():
    texts, _, _ = corpus(seed=3)
    a = ColdStartClassifier(taxonomy()).fit(texts).predict_frame(texts)
    b = ColdStartClassifier(taxonomy()).fit(texts).predict_frame(texts)
    assert a.equals(b)


def test_cli_predict_learns_and_rules_only_keeps_the_rules(tmp_path):
    import pandas as pd
    import yaml

    texts, y, has_kw = corpus()
    src = tmp_path / "c.csv"
    pd.DataFrame({"text": texts}).to_csv(src, index=False)
    tax = tmp_path / "tax.yaml"
    tax.write_text(yaml.safe_dump(taxonomy().to_dict(), allow_unicode=True), encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["classify", "predict", str(src), "--taxonomy", str(tax), "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    assert "cold start: keyword rules on the 90 texts they are sure of" in res.output
    learned = pd.read_csv(tmp_path / "a" / "predictions.csv")
    assert set(learned["source"]) == {"rules", "model"}
    assert (learned["cause"] == "未分类").sum() == 0
    res = runner.invoke(app, ["classify", "predict", str(src), "--taxonomy", str(tax), "--rules-only",
                              "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    rules = pd.read_csv(tmp_path / "b" / "predictions.csv")
    assert "source" not in rules and (rules["cause"] == "未分类").sum() == int((~has_kw).sum())


def test_confidence_of_training_texts_comes_from_the_twin_that_did_not_see_them():
    from ivr_text.complaints.coldstart import _full, _proba
    from ivr_text.complaints.rules import softmax
    from ivr_text.text import normalize_many

    rng = random.Random(1)  # noisier than corpus(): two content words of any class in every text
    every = [w for _, words in CLASSES.values() for w in words]
    texts, has_kw = [], []
    for kw, words in CLASSES.values():
        for i in range(60):
            parts = rng.sample(words, 2) + rng.sample(every, 2) + rng.sample(FILLER, 2)
            if i % 2 == 0:
                parts.insert(0, kw)
            rng.shuffle(parts)
            texts.append("，".join(parts))
            has_kw.append(i % 2 == 0)
    has_kw = np.array(has_kw)
    clf = ColdStartClassifier(taxonomy()).fit(texts)
    norm = normalize_many(texts)
    assert len(clf.twins_) == 2 and set(clf.twin_of_) == {norm[i] for i in np.flatnonzero(has_kw)}
    out = clf.predict_frame(texts)
    rules = clf._rules()
    labels = rules.labels
    for i in np.flatnonzero(has_kw)[:5]:  # recomputed by hand: ½ log twin probability + ½ log rule softmax
        twin = clf.twins_[clf.twin_of_[norm[i]]]
        p = _full(twin, _proba(twin, [norm[i]]), labels)[0]
        r = softmax(rules.scores([norm[i]]))[0]
        joint = softmax((0.5 * (np.log(np.clip(p, 1e-12, None)) + np.log(r + 1e-12)))[None, :])[0]
        assert out.loc[i, "confidence"] == pytest.approx(joint[labels.index(out.loc[i, "cause"])], abs=1e-4)
    # the model trained on all seeds would score them in sample, more confidently
    full = _full(clf.model_, _proba(clf.model_, [norm[i] for i in np.flatnonzero(has_kw)]), labels)
    assert full.max(axis=1).mean() > out.loc[has_kw, "confidence"].mean() + 0.01
