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
    "11010519491231002Z",             # not an ID (no such check character)
    "990105194912310021",             # no such region (province 99)
    "110105194913310021",             # no such birth date (month 13)
    "6222021234567890120",            # 19 digits, Luhn fails, no card context
    "2023031512345678",               # order number starting with a year
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
    assert set(PLACEHOLDERS) == {"<PHONE>", "<TEL>", "<ID>", "<CARD>", "<EMAIL>", "<QQ>", "<WECHAT>", "<NAME>",
                                 "<ADDR>"}


def test_mask_pii_lines_equals_per_line():
    from ivr_text.text.pii import mask_pii_lines

    lines = ["客户13812345678", "卡号", "6222021234567890120", "无", "a@b.cn ***", "138****12", "2024-03-15 09:45:00",
             "身份证11010519491231002x", "", "0755-12345678"]
    assert mask_pii_lines("\n".join(lines)) == [mask_pii(x) for x in lines]


# ---------------------------------------------------------------- issue 12: the kinds that used to leak

@pytest.mark.parametrize("text, expected", [
    ("电话１３８１２３４５６７８，全角", "电话<PHONE>，全角"),            # full-width digits, rest kept as written
    ("tel13812345678回电", "tel<PHONE>回电"),                          # glued to Latin letters
    ("身份证11010519491231002XQQ号123456789", "身份证<ID>QQ号<QQ>"),     # glued to each other
    ("185 9523-8605", "<PHONE>"),                                     # mixed separators
    ("+86 138 1234 5678、(+86)13812345678、0086-13812345678", "<PHONE>、<PHONE>、<PHONE>"),
    ("座机021-6123 4567", "座机<TEL>"),                                # inner space in a landline
    ("旧证110105491231002", "旧证<ID>"),                               # 15-digit legacy ID
    ("身份证110105194912310021", "身份证<ID>"),                        # valid region + date, wrong check digit
    ("身份证 110105 19491231 002X", "身份证 <ID>"),
    ("QQ：12345678，扣扣987654321，qq号码是55667788", "QQ：<QQ>，扣扣<QQ>，qq号码是<QQ>"),
    ("加微信zhang_san88，vx: abc12345，wxid_k2j3h4g5", "加微信<WECHAT>，vx: <WECHAT>，<WECHAT>"),
    ("联系人：张三，户主李四反映，姓名 欧阳娜娜", "联系人：<NAME>，户主<NAME>反映，姓名 <NAME>"),
    ("联系人张三电话13900001111", "联系人<NAME>电话<PHONE>"),           # the name ends at a stop word
    ("王先生、张三丰女士、欧阳娜娜小姐", "<NAME>先生、<NAME>女士、<NAME>小姐"),
    ("感谢王先生", "感谢<NAME>先生"),
    ("家住北京市朝阳区建国路88号", "家住<ADDR>"),
    ("阳光花园小区3栋2单元501室", "<ADDR>"),
    ("上海市浦东新区世纪大道100号5楼", "<ADDR>"),
    ("住在3号楼2单元501室", "住在<ADDR>"),
    ("聯繫人：張三 電話１３９ ０００１ １１１１", "聯繫人：<NAME> 電話<PHONE>"),  # Traditional markers
])
def test_masks_issue_12_kinds(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", [
    "拨打10086、10010、95588、12315、400-810-8888、4008108888",
    "工单号202403150001234567，订单号6222021234567890120，流水号5105105105105101",  # 16-19 digits, checks fail
    "金额59.00元，共计1,234.56元，优惠30%",
    "2024-03-15 09:45:30，20240315093000，2024年3月15日，3月2号",
    "套餐编码 KT5G59A，5G套餐，4G飞享套餐58元，100M宽带",
    "线路3号故障，网路2号，谢谢先生，这位女士，微信支付失败，QQ音乐会员",
    "版本 v10.2.3，IP 192.168.1.1，第3号工单",
])
def test_non_pii_numbers_and_words_stay(text):
    assert mask_pii(text) == text


def test_id_number_ok():
    from ivr_text.text.pii import id_number_ok

    assert id_number_ok("110105", "19491231") and not id_number_ok("990105", "19491231")
    assert not id_number_ok("110105", "19490230") and not id_number_ok("110105", "29990101")


_pii_alphabet = st.sampled_from(list("0123456789０１３８ -*@.xX()+＋卡号电话路栋室楼单元先生女士小区姓名联系人户主于员不微信QQvx_张王李 abc,。："
                                     "\n"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=_pii_alphabet, max_size=40), min_size=1, max_size=6))
def test_batch_equals_per_line_and_gate_is_necessary(lines):
    from ivr_text.text.pii import GATE, mask_pii_lines

    lines = [x.replace("\n", " ") for x in lines]
    assert mask_pii_lines("\n".join(lines)) == [mask_pii(x) for x in lines]
    many = (lines * 64)[:max(70, len(lines))]  # a large batch takes the vectorised path (gates, then detectors)
    assert mask_pii_lines("\n".join(many)) == [mask_pii(x) for x in many]
    for x in lines:
        if GATE.search(x) is None:
            assert mask_pii(x) == x
        assert mask_pii(mask_pii(x)) == mask_pii(x)


def test_gate_pattern_works_in_arrow():
    import pyarrow as pa
    import pyarrow.compute as pc

    from ivr_text.text.pii import GATE

    texts = ["客户13812345678", "无", "联系人张三", "阳光小区3栋", "ok", "电话１３８"]
    assert pc.match_substring_regex(pa.array(texts), GATE.pattern).to_pylist() == [True, False, True, True, False,
                                                                                  True]
