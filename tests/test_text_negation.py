"""Negation stays with what it negates; negators are never stopwords; account compounds stay whole (hand-checked)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr_text.resources import dictionary_path
from ivr_text.text import Tokenizer
from ivr_text.text.lexicon import load_stopwords
from ivr_text.text.negation import BREAK, default_negation, load_negation


@pytest.fixture(scope="module")
def tok():
    return Tokenizer.default()


# each expected list was written by hand from the sentence, not copied from output
@pytest.mark.parametrize("text, expected", [
    ("话费没有到账", ["话费", "未到账"]),                       # the example: not 话费 到账
    ("未收到验证码短信", ["未收到", "验证码", "短信"]),          # not 收到 验证码 短信
    ("一直没收到验证码", ["未收到", "验证码"]),                  # 没收到 is not 没收 (confiscate) + 到
    ("我没有订购", ["未订购"]),
    ("没有给我退款", ["未退费"]),                              # across stopwords 给 我; 退款 → 退费 (synonym)
    ("手机不能正常使用", ["手机", "无法使用"]),                  # 不能 ≡ 无法; across the adverb 正常
    ("没办法上网", ["无法上网"]),
    ("还没到账", ["未到账"]),
    ("至今没有，请尽快处理", ["至今", "未", "处理"]),            # nothing to negate before the comma: 未 alone
    ("未开通业务却扣费", ["未开通", "业务", "却", "扣费"]),
    ("不知道怎么回事", ["不知道", "怎么回事"]),
    ("不满意", ["不满意"]),                                     # a word that holds its negation stays as it is
])
def test_negation_attached(tok, text, expected):
    assert tok(text) == expected


def test_negation_does_not_cross_punctuation_numbers_or_placeholders(tok):
    assert tok("没有,到账") == ["未", "到账"]
    assert tok("没有 到账") == ["未", "到账"]
    assert tok("没有59元") == ["未", "59元"]
    assert tok("没有13812345678回电") == ["未", "<PHONE>", "回电"]


@pytest.mark.parametrize("text, expected", [
    ("我的微信号被封了", ["微信号", "封"]),  # not 微 + 信号 (a network word)
    ("QQ号被盗", ["qq号", "被盗"]),
    ("手机号停机了", ["手机号", "停机"]),
])
def test_account_compounds_whole(tok, text, expected):
    assert tok(text) == expected


def test_shipped_stopwords_hold_no_negator():
    negators = set(default_negation().negators)
    assert not negators & load_stopwords([dictionary_path("stopwords.txt")])


def test_negators_listed_as_stopwords_are_ignored(tmp_path):
    stop = tmp_path / "stop.txt"
    stop.write_text("没有\n不\n话费\n", encoding="utf-8")
    tok = Tokenizer(stopwords=stop, cache_size=0)
    assert "没有" not in tok.stopwords and "话费" in tok.stopwords
    assert tok("话费没有到账") == ["未到账"]
    plain = Tokenizer(stopwords=stop, negation=False, cache_size=0)
    assert plain("话费没有到账") == ["没有", "到账"]  # negation off: the negator is still not dropped


def test_keep_stopwords_keeps_words_the_negation_reached_across():
    assert Tokenizer(keep_stopwords=True, cache_size=0)("没有给我退款") == ["给", "我", "未退费"]


def test_rule_view_canonicalises_negators_in_front_of_chinese():
    neg = default_negation()
    assert neg.rule_view("话费没有到账") == "话费未到账"
    assert neg.rule_view("手机不能上网,没有") == "手机无法上网,没有"  # a negator before punctuation stays
    assert neg.rule_view("没收到短信") == "未收到短信"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["没有", "没", "未", "不", "不能", "无法", "别", "到账", "收到", ",", "5", "有",
                                 "没没有", "从未"]), max_size=12).map("".join))
def test_rule_view_is_idempotent(text):
    neg = default_negation()
    once = neg.rule_view(text)
    assert neg.rule_view(once) == once


def test_attach_drops_breaks_and_keeps_a_lone_negator():
    neg = default_negation()
    assert neg.attach(["没有", BREAK, "到账"]) == ["未", "到账"]
    assert neg.attach(["没有", "", "正常", "使用"]) == ["未使用"]
    assert neg.attach(["不", "没有", "到账"]) == ["不", "未到账"]


def test_bad_negation_file_is_one_line(tmp_path):
    from ivr_text.errors import InputError

    bad = tmp_path / "neg.yaml"
    bad.write_text("negators: {未: 没有}\n", encoding="utf-8")
    with pytest.raises(InputError, match="needs a list of variants"):
        load_negation(bad)
    bad.write_text("negators: {}\nextra: 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown key"):
        load_negation(bad)


def test_rules_match_a_keyword_however_the_negation_is_phrased():
    from ivr_text.complaints.rules import RuleClassifier

    rules = RuleClassifier()
    texts = ["我没订购这个业务", "我没有订购这个业务", "我未订购这个业务"]  # taxonomy lists 未订购 and 没有订购 (3.0 each)
    scores = rules.scores(rules_norm(texts))
    assert (scores == scores[0]).all()
    pred = rules.predict_frame(texts)
    assert pred["cause"].tolist() == ["不知情定制问题"] * 3
    j = rules.labels.index("不知情定制问题")
    assert scores[0, j] == rules.scores(rules_norm(["我未订购这个"]))[0, j]  # one term: counted once
    assert "赠送+未到账" in rules.predict_frame(["赠送的流量没有到账"])["matched_keywords"][0]


def rules_norm(texts):
    from ivr_text.text import normalize_many

    return normalize_many(texts)


def test_head_of_a_negated_token():
    neg = default_negation()
    assert [neg.head(t) for t in ["未到账", "无法使用", "到账", "未"]] == ["到账", "使用", None, None]
