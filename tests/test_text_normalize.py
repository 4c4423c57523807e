"""normalize_text: t2s, width, punctuation, whitespace, case, numbers kept whole; total on odd input."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr_text.text import normalize_text, to_simplified


@pytest.mark.parametrize("text, expected", [
    ("網路很卡，寬頻斷線了！", "网络很卡,宽带断线了!"),
    ("ＡＢＣ１２３　VoLTE", "abc123 volte"),
    ("  多个   空格\t和\n换行  ", "多个 空格 和 换行"),
    ("【通知】“套餐”（5G）", '[通知]"套餐"(5g)'),
    ("10086客服", "10086客服"),
    ("100M寬帶每月59.5元", "100m宽带每月59.5元"),
    ("零\u200b宽\ufeff字符", "零宽字符"),
    ("句号。保留", "句号。保留"),
])
def test_normalize_examples(text, expected):
    assert normalize_text(text) == expected


@pytest.mark.parametrize("value", [None, float("nan"), "", "   ", math.inf])
def test_missing_values_give_empty(value):
    assert normalize_text(value) == ""


def test_numbers_and_bytes():
    assert normalize_text(12345) == "12345"
    assert normalize_text(10086.0) == "10086"
    assert normalize_text("投诉".encode("gbk")) == "投诉"
    assert normalize_text("投诉".encode("utf-8")) == "投诉"


def test_lone_surrogates_dropped():
    assert normalize_text("宽\udcb5带") == "宽带"


def test_long_text():
    text = "客户反映网络很卡，" * 12000  # ~108k characters
    out = normalize_text(text)
    assert len(out) == len(text) and out.startswith("客户反映网络很卡,")


def test_traditional_simplified_equivalence():
    assert to_simplified("客戶反映寬帶經常斷線") == "客户反映宽带经常断线"
    assert normalize_text("客戶反映寬帶經常斷線") == normalize_text("客户反映宽带经常断线")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_normalize_total_and_idempotent(text):
    once = normalize_text(text)
    assert isinstance(once, str)
    assert normalize_text(once) == once
    once.encode("utf-8")  # no lone surrogates survive


_TRICKY = ["網路很卡，寬頻斷線了！", "沈浸在反覆的瞭解中", "客户13812345678反映\n换行", "ＡＢＣ１２３　VoLTE", None, float("nan"),
           "", "  ", "宽\udcb5带", "<phone> 已屏蔽 ******", "a@b.com 138****5678", "😀繁體", "x" * 3, 10086.0,
           "卡号\n6222021234567890120", "138****12", "\r\n\t", "客戶  13812345678  ", "㐀𠀀乾隆"]


def test_phrase_only_traditional_characters_convert():
    # characters t2s changes only inside phrases still trigger the converter
    assert normalize_text("沈浸") == "沉浸" and normalize_text("反覆") == "反复"


def test_normalize_many_equals_normalize_text():
    from ivr_text.text import normalize_many

    for mask in (True, False):
        expected = [normalize_text(t, mask=mask) for t in _TRICKY]
        assert normalize_many(_TRICKY, mask=mask) == expected
        assert normalize_many(_TRICKY, mask=mask, chunk_size=3) == expected


_ALPHABET = st.sampled_from(list("網路卡沈浸 \n\r，。0123456789*@x-()+<>phoneＡ😀\u3000"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=_ALPHABET) | st.text(max_size=3), max_size=8))
def test_normalize_many_property(texts):
    from ivr_text.text import normalize_many

    assert normalize_many(texts) == [normalize_text(t) for t in texts]
