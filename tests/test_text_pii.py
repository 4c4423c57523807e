"""PII masking: each placeholder type, near misses that must stay, and property tests on arbitrary input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr_text.text import mask_pii, normalize_text
from ivr_text.text.pii import PLACEHOLDERS, id_checksum_ok, luhn_ok


@pytest.mark.parametrize("text, expected", [
    ("客户13812345678反映", "客户<PHONE>反映"),
    ("电话 138-1234-5678 和 138 1234 5678", "电话 <PHONE> 和 <PHONE>"),
    ("+8613912345678回电", "<PHONE>回电"),
    ("号码138****5678已停机", "号码<PHONE>已停机"),
    ("固话010-87654321转", "固话<TEL>转"),
    ("(0755)82345678", "<TEL>"),
    ("0571 88123456", "<TEL>"),
    ("座机02187654321", "座机<TEL>"),
    ("身份证11010519491231002X办理", "身份证<ID>办理"),
    ("证件号11010519491231002x", "证件号<ID>"),
    ("卡号6222021234567890128扣款", "卡号<CARD>扣款"),   # Luhn-valid
    ("银行卡 6222 0212 3456 7890 128", "银行卡 <CARD>"),
    ("卡号6222021234567890120", "卡号<CARD>"),          # Luhn fails but the context says card
    ("邮箱 Zhang.San@Example.com.cn 联系", "邮箱 <EMAIL> 联系"),
    ("地址(******),专线", "地址(******),专线"),
    ("从********开始", "从******开始"),
])
def test_masks(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", [
    "工单号20240315000123456",        # long order number
    "订单号1381234567890",            # 13 digits starting like a mobile
    "2024-03-15 09:45 办理",          # date and time
    "20240315",                       # compact date
    "费用59.00元, 共计1234567.89元",  # amounts
    "拨打10086、10010、95588",        # service numbers
    "400-810-8888",                   # service number
    "套餐编码 KT5G59A, 产品ID 2000123",
    "11010519491231002Z",             # not an ID (bad check character)
    "110105194912310021",             # bad checksum
    "6222021234567890120",            # 19 digits, Luhn fails, no card context
    "2023031512345678",               # order number starting with a year
    "abc13812345678",                 # inside a Latin identifier
    "138123456789",                   # 12 digits
])
def test_near_misses_stay(text):
    assert mask_pii(text) == text


def test_checksums():
    assert id_checksum_ok("11010519491231002X")
    assert not id_checksum_ok("110105194912310021")
    assert luhn_ok("6222021234567890128") and not luhn_ok("6222021234567890120")


def test_fullwidth_digits_masked_through_normalize():
    assert normalize_text("电话１３８１２３４５６７８") == "电话<PHONE>"


def test_masked_output_is_default_and_opt_out_explicit():
    assert "<PHONE>" in normalize_text("13812345678")
    assert normalize_text("13812345678", mask=False) == "13812345678"


_alphabet = st.sampled_from(list("0123456789 -*@.xX()+卡号电话客户abc,。")) | st.characters()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_alphabet, max_size=60))
def test_mask_never_raises_and_is_idempotent(text):
    once = mask_pii(text)
    assert isinstance(once, str)
    assert mask_pii(once) == once


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["客户", "电话:", "", "号码 "]))
def test_any_mobile_masked(number, prefix):
    out = mask_pii(prefix + number + "反映")
    assert number not in out and "<PHONE>" in out


def test_placeholders_are_known():
    assert set(PLACEHOLDERS) == {"<PHONE>", "<TEL>", "<ID>", "<CARD>", "<EMAIL>"}


def test_mask_pii_lines_equals_per_line():
    from ivr_text.text.pii import mask_pii_lines

    lines = ["客户13812345678", "卡号", "6222021234567890120", "无", "a@b.cn ***", "138****12", "2024-03-15 09:45:00",
             "身份证11010519491231002x", "", "0755-12345678"]
    assert mask_pii_lines("\n".join(lines)) == [mask_pii(x) for x in lines]
