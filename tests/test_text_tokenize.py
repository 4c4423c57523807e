"""Tokenizer: domain terms, placeholders, synonyms, stopwords, user files, engines, sklearn and pickling."""

import pickle
from pathlib import Path

import pytest

from ivr_text.errors import InputError
from ivr_text.text import Tokenizer
from ivr_text.text.engines import make_engine

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cocc_cmcc_complaints" / "cocc_dev.tsv"


@pytest.fixture(scope="module")
def tok():
    return Tokenizer.default()


def test_domain_terms_placeholders_and_numbers(tok):
    out = tok("客户13812345678反映5G套餐100M宽带每月59元,近3个月携号转网失败,光猫亮红灯")
    assert "<PHONE>" in out and "5g套餐" in out and "100m" in out and "宽带" in out
    assert "59元" in out and "3个月" in out and "携号转网" in out and "光猫" in out
    assert "13812345678" not in " ".join(out)


def test_masked_runs_and_punctuation(tok):
    out = tok("从******开始，短信不好用！！")
    assert "******" in out
    assert not any(t in {",", "!", "，", "！", " "} for t in out)


def test_synonyms_canonicalise(tok):
    assert tok("网很卡") == ["网速慢"]
    assert tok("网速很慢") == ["网速慢"]
    assert tok("網很卡") == ["网速慢"]


def test_stopwords_removed_and_kept():
    assert "的" not in Tokenizer.default()("客户的宽带的问题")
    keep = Tokenizer(keep_stopwords=True)
    assert "的" in keep("客户的宽带的问题")


def test_traditional_tokenises_like_simplified(tok):
    assert tok("客戶反映寬頻經常斷線，網速很慢，要求退費") == tok("客户反映宽频经常断线,网速很慢,要求退费")


@pytest.mark.parametrize("value", [None, float("nan"), "", "   ", "!!!", 12345, "宽\udcb5带"])
def test_bad_input_never_crashes(tok, value):
    out = tok(value)
    assert isinstance(out, list) and all(isinstance(t, str) and t.strip() == t and t for t in out)


def test_long_text(tok):
    out = tok("客户反映宽带经常断线，" * 10000)
    assert out.count("宽带") == 10000


def test_tokenize_many_equals_single_calls(tok):
    texts = ["网很卡", None, "客户13812345678投诉", "网很卡", "套餐扣费59元", ""] * 3
    assert tok.tokenize_many(texts) == [tok(t) for t in texts]


def test_tokenize_many_parallel_equals_serial():
    tok = Tokenizer(cache_size=0)
    texts = [f"客户{i}号反映宽带断网,光猫{i % 7}次重启,扣费{i}元" if i % 50 else "" for i in range(900)] + [None, "的"]
    assert tok.tokenize_many(texts, n_jobs=2, chunk_size=200) == tok.tokenize_many(texts)


def test_user_files_add_to_shipped(tmp_path):
    (tmp_path / "u.txt").write_text("# mine\n魔方套餐 5000 n\n", encoding="utf-8")
    (tmp_path / "s.txt").write_text("反映\n", encoding="utf-8")
    (tmp_path / "y.txt").write_text("信号渣, 信号烂 => 信号差\n", encoding="utf-8")
    tok = Tokenizer(user_dicts=tmp_path / "u.txt", stopwords=[tmp_path / "s.txt"], synonyms=tmp_path / "y.txt")
    assert "魔方套餐" in tok("客户办理魔方套餐")
    assert tok("信号渣") == ["信号差"] and tok("网很卡") == ["网速慢"]  # shipped synonyms still there


def test_bad_dictionary_file_is_input_error(tmp_path):
    with pytest.raises(InputError):
        Tokenizer(user_dicts=tmp_path / "missing.txt")
    (tmp_path / "y.txt").write_text("只有一个词\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        Tokenizer(synonyms=tmp_path / "y.txt")


def test_config_file(tmp_path):
    (tmp_path / "u.txt").write_text("魔方套餐\n", encoding="utf-8")
    (tmp_path / "tok.yaml").write_text("tokenizer:\n  user_dicts: [u.txt]\n  keep_stopwords: true\n", encoding="utf-8")
    tok = Tokenizer.from_config(tmp_path / "tok.yaml")
    assert tok.keep_stopwords and "魔方套餐" in tok("办理魔方套餐的")
    (tmp_path / "bad.yaml").write_text("colour: red\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown"):
        Tokenizer.from_config(tmp_path / "bad.yaml")


def test_pickle_and_sklearn(tok):
    clone = pickle.loads(pickle.dumps(tok))
    assert clone("网很卡,宽带断网") == tok("网很卡,宽带断网")
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(tokenizer=tok, lowercase=False, token_pattern=None)
    matrix = vec.fit_transform(["网很卡 宽带断网", "客户13812345678投诉扣费", "网速很慢"])
    vocab = set(vec.get_feature_names_out())
    assert matrix.shape[0] == 3 and {"网速慢", "<PHONE>", "宽带"} <= vocab
    pickle.loads(pickle.dumps(vec)).transform(["网很卡"])


def test_default_is_shared():
    assert Tokenizer.default() is Tokenizer.default()


def test_engines_agree_on_chinese_runs():
    words = {"携号转网": None, "光猫": 3000}
    runs = ["客户反映携号转网失败", "光猫亮红灯", "我处查询知识库无相关网络调整信息"]
    reference = make_engine("jieba", words).cut_runs(runs)
    for name in ("rjieba", "jieba_fast"):
        try:
            assert make_engine(name, words).cut_runs(runs) == reference
        except ImportError:
            pass
    with pytest.raises(ValueError):
        make_engine("nope", words)


@pytest.mark.skipif(not DATA.exists(), reason="../shared/data not present")
def test_real_work_orders_match_jieba_segmentation():
    import csv

    import jieba

    with open(DATA, encoding="utf-8", newline="") as fh:
        texts = [r["text"] for r in csv.DictReader(fh, delimiter="\t")][:300]
    tok = Tokenizer(cache_size=0)
    ref = jieba.Tokenizer()
    ref.initialize()
    for w, f in tok.words.items():
        ref.add_word(w, f)
    import re

    han = re.compile("[\u4e00-\u9fd5]+")
    same = sum([t for t in ref.lcut(n) if han.fullmatch(t)] == [t for t in tok.segment(n) if han.fullmatch(t)]
               for n in (tok.normalize_one(x) for x in texts))
    assert same / len(texts) >= 0.97
    assert all("******" not in t or t == "******" for x in texts for t in tok(x))


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_pieces = st.sampled_from(["网很卡", "宽带", "13812345678", "******", "59元", "5G", "，", "。", " ", "\n", "繁體",
                           "\ud800", "<PHONE>", "abc", "**", "-", "_", "3个月", "😀", "é"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_pieces | st.text(max_size=5), max_size=25).map("".join))
def test_tokens_are_clean_and_batch_equals_single(text):
    tok = Tokenizer.default()
    out = tok(text)
    assert all(t and not any(c.isspace() for c in t) for t in out)
    assert tok.tokenize_many([text, text]) == [out, out]


# ---------------------------------------------------------------- the block-record hot path equals the reference path

_edge_pieces = st.sampled_from(["59", "3", "个", "月", "元", "个月", "59 元", "3个,月", "100 gb", "5 g", "gb", "m", "客户",
                                "反映", "网很卡", "宽带", ",", " ", ".", ":", "'", "/", "%", "-", "_", "******", "**",
                                "<PHONE>", "<phone>", "abc", "a'b", "10086", "5g套餐", "4s店", "t恤", "é", "Ａ", "\n",
                                "的", "了", "83744", "查询到本机", "号", "2024-03-15", "9:45", "\u3400", "乾",
                                "没有", "未", "不", "无法", "正常", "给我", "到账", "没有到账", "不能正常使用"])


def _reference(tok, text):
    """normalise → segment → units, synonyms, stopwords: the plain definition of the tokens."""
    return tok._compose(tok._segment_normalized([tok.normalize_one(text)])[0])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_edge_pieces | st.text(max_size=3), max_size=12).map("".join), min_size=1, max_size=6))
def test_hot_path_equals_reference_path(texts):
    for tok in (Tokenizer.default(), _KEEP):
        fast = tok.tokenize_many(texts)
        assert fast == [_reference(tok, t) for t in texts]
        assert fast == tok.tokenize_many(texts, chunk_size=1)  # other block boundaries and cache states


_KEEP = Tokenizer(keep_stopwords=True, normalize=False, cache_size=0)


def test_block_cache_size_does_not_change_tokens():
    texts = ["客户3个,月扣费59 元,网很卡", "83744查询到本机有产生滞纳金", "联系电话13812345678,金额59.5元", "100 gb流量"] * 3
    small = Tokenizer(cache_size=0, block_cache_size=0)
    assert small.tokenize_many(texts) == Tokenizer.default().tokenize_many(texts)
    # a comma between 个 and 月 is a clause break (it also stops negation): not one unit; a space after a number is
    assert small("3个,月") == ["3个", "月"] and small("59 元") == ["59元"]


def test_parallel_falls_back_when_a_child_fails(monkeypatch):
    from ivr_text.text import tokenize

    tok = Tokenizer(cache_size=0)
    texts = [f"客户{i}反映宽带断网" for i in range(500)]
    expected = tok.tokenize_many(texts)
    monkeypatch.setattr(tokenize, "_pack", lambda tokens: (_ for _ in ()).throw(RuntimeError("boom")))
    assert tok.tokenize_many(texts, n_jobs=2, chunk_size=100) == expected
    monkeypatch.setattr(tokenize, "_pack", lambda tokens: tokens[:-1])  # an answer short of one text
    assert tok.tokenize_many(texts, n_jobs=2, chunk_size=100) == expected


def test_normalize_false_tolerates_surrogates():
    tok = Tokenizer(normalize=False, cache_size=0)
    assert tok("宽\udcb5带 ok") == tok.tokenize_many(["宽\udcb5带 ok"])[0]
