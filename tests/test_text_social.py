"""Social and chat text (@handles, #话题#, URLs, emoji, repost chains, signatures) in normalisation (hand-checked)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr_text.errors import InputError
from ivr_text.text import Tokenizer, normalize_many, normalize_text
from ivr_text.text.social import load_social


@pytest.mark.parametrize("text, dropped, masked", [
    ("@中国联通客服 为什么没网？？", "为什么没网??", "<AT> 为什么没网??"),
    ("回复@小明:我也是，话费没有到账//@中国移动10086: 已私信",
     "我也是,话费没有到账 已私信", "<RT> 我也是,话费没有到账 <RT> 已私信"),
    ("#联通网络差# 家里宽带又断了😡😡 http://t.cn/A6abcd 发自我的iPhone",
     "家里宽带又断了", "<TOPIC> 家里宽带又断了 <EMOJI> <URL> <SIG>"),
    ("[怒][怒]信号太差了 (分享自 @微博客户端)", "信号太差了", "<EMOJI> <EMOJI> 信号太差了 <SIG>"),
    ("转发微博", "", "<SIG>"),
])
def test_social_pieces_dropped_or_masked(text, dropped, masked):
    assert normalize_text(text) == dropped
    assert normalize_text(text, social="mask") == masked


@pytest.mark.parametrize("text", [
    "联系邮箱<EMAIL>",              # e-mail addresses are PII (masked before), never handles
    "登录10086.cn查询",             # a bare domain is a word of the complaint
    "收到来自陌生手机号码的短信",     # 来自 inside a sentence is not a signature
    "按#号键返回",                  # one # is not a topic
    "[紧急]宽带断网[已处理]",        # brackets that are not listed emoticons stay
    "认证账号:******@139.gd",       # a masked e-mail local part: not a handle
    "所在位置#松原市#前郭县#高家村",  # '#' separating address fields: not topics
    "待机状态下输入##002#取消",       # a phone code: not a topic
])
def test_work_order_text_is_left_alone(text):
    assert normalize_text(text) == text


def test_email_is_not_a_handle_even_unmasked():
    assert normalize_text("邮箱abc@qq.com", mask=False) == "邮箱abc@qq.com"


def test_keep_mode_and_batch_equal_single():
    texts = ["@中国移动 信号差", "宽带断网", "#投诉# 扣费 http://x.cn/a", None, "转发微博"]
    assert normalize_text(texts[0], social="keep") == "@中国移动 信号差"
    for mode in ("drop", "mask", "keep"):
        assert normalize_many(texts, social=mode) == [normalize_text(t, social=mode) for t in texts]


def test_handles_never_reach_tokens():
    text = "@中国联通客服 @联通客服小助手 我家宽带又断网了 //@路人甲:同问"
    assert Tokenizer.default()(text) == ["我家", "宽带", "断网", "同问"]
    assert "<AT>" in Tokenizer(social="mask")(text)


def test_a_handle_no_longer_votes_for_a_cause():
    from ivr_text.complaints.rules import RuleClassifier

    rules = RuleClassifier()
    texts = ["@中国联通客服 @客服小秘书 手机没有信号", "手机没有信号"]
    pred = rules.predict_frame(texts)
    assert pred["cause"].tolist() == ["网络问题", "网络问题"]
    assert pred["matched_keywords"][0] == pred["matched_keywords"][1]
    service = rules.labels.index("服务问题")
    dropped, kept = rules.scores(normalize_many(texts)), rules.scores(normalize_many(texts, social="keep"))
    assert (dropped[0] == dropped[1]).all()
    assert kept[0, service] > kept[1, service]  # kept, the handles' 客服 votes for 服务问题 (so the check can fail)


def test_config_file_per_kind(tmp_path):
    conf = tmp_path / "social.yaml"
    conf.write_text("actions: {handle: mask, url: keep}\n", encoding="utf-8")
    filt = load_social(conf)
    assert normalize_text("@客服 断网 http://t.cn/x 😡", social=filt) == "<AT> 断网 http://t.cn/x"
    conf.write_text("actions: {handle: erase}\n", encoding="utf-8")
    with pytest.raises(InputError, match="handle: action 'erase'"):
        load_social(conf)


_pieces = st.sampled_from(["@中国联通客服", "@", "回复@a:", "//@小王:", "//", "#话题#", "#", "http://t.cn/ab", "www.x.cn",
                           "t.cn/x", "😡", "[怒]", "[", "]", "发自我的iphone", "来自微博客户端", "(分享自 @微博)",
                           "转发微博", "信号差", "没有到账", "abc@qq.com", " ", ",", ":", "客服", "<AT>", "\n", "a"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_pieces | st.text(max_size=3), max_size=10).map("".join))
def test_normalising_is_idempotent_with_social_text(text):
    for mode in ("drop", "mask"):
        once = normalize_text(text, social=mode)
        assert normalize_text(once, social=mode) == once
        assert normalize_many([text, once], social=mode) == [once, once]
    dropped = normalize_text(text)
    assert "http" not in dropped and "😡" not in dropped and "[怒]" not in dropped


def test_cli_tokenize_social_option():
    from typer.testing import CliRunner

    from ivr_text.cli.main import app

    runner = CliRunner()
    text = "@中国联通客服 我家宽带没有网络 #投诉#\n"
    assert runner.invoke(app, ["tokenize", "-"], input=text).output.split() == ["我家", "宽带", "未网络"]
    masked = runner.invoke(app, ["tokenize", "-", "--social", "mask"], input=text)
    assert masked.output.split() == ["<AT>", "我家", "宽带", "未网络", "<TOPIC>"]
    bad = runner.invoke(app, ["tokenize", "-", "--social", "erase"], input=text)
    assert bad.exit_code == 2 and "--social: choose drop, mask or keep" in bad.output
