"""Domain-shift warning: the input compared with what the cause model was trained on (hand-checked numbers)."""

from __future__ import annotations

import json
import random

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.complaints.model import CauseModel, ModelConfig, load_model, save_model
from ivr_text.complaints.shift import check_shift, fit_reference, unseen_shares

runner = CliRunner()

# Hand-written phrases (not from any data set): telecom complaints, and car complaints as a foreign source.
TELECOM = {
    "网络问题": ["家里手机信号差", "小区没有信号", "上网网速很慢", "通话经常掉线", "基站覆盖不好"],
    "费用问题": ["本月话费多扣了钱", "账单有不明扣费", "流量费计费异常", "套餐月租收错了", "要求退还多扣话费"],
    "服务问题": ["营业员服务态度差", "客服推诿不处理", "装维人员不耐烦", "热线一直打不进", "工作人员挂断电话"],
    "不知情定制问题": ["被开通了增值业务", "未经同意订购包月", "私自开通流量包", "莫名定制信息费", "没有办理却扣费"],
}
CAR = ["发动机异响严重", "变速箱换挡顿挫", "刹车片磨损太快", "车身漆面起泡", "空调制冷效果差", "方向盘抖动",
       "4s店维修拖延", "车门密封条漏水", "天窗异响", "仪表盘报故障灯", "油耗比标称高很多", "轮胎鼓包"]


def _telecom(n: int, seed: int) -> pd.DataFrame:
    rng = random.Random(seed)
    heads, tails = ["客户反映", "用户来电称", "客户投诉", ""], ["，请处理。", "，要求回复。", "。", "，请尽快核实。"]
    rows = [(rng.choice(heads) + rng.choice(texts) + rng.choice(tails), label)
            for _ in range(n) for label, texts in TELECOM.items()]
    return pd.DataFrame(rows, columns=["text", "label"])


def _car(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(["", "车主反映", "新车"]) + rng.choice(CAR) + rng.choice(["", "，厂家不给解决", "。"])
            for _ in range(n)]


@pytest.fixture(scope="module")
def model():
    df = _telecom(40, 0)
    return CauseModel(config=ModelConfig(n_jobs=1)).fit(df["text"], df["label"])


def test_reference_by_hand():
    texts = ["网络信号差", "网络信号差啊", "信号差网络", "扣费不明", "扣费"]
    # bigram document frequencies: 网络 3, 络信 2, 信号 3, 号差 3, 差啊 1, 差网 1, 扣费 2, 费不 1, 不明 1
    ref = fit_reference(texts, np.array([0.9, 0.8, 0.7]))
    assert ref.vocab.size == 5  # the bigrams in ≥ 2 texts
    # leave-one-out unseen shares (df < 3): 1/4, 2/5, 1/4, 3/3, 1/1
    assert ref.unseen_median == pytest.approx(0.4) and ref.unseen_p95 == pytest.approx(1.0)
    assert ref.confidence_p05 == pytest.approx(0.71)
    assert unseen_shares(ref, ["网络信号", "汽车刹车", "扣"]).tolist() == [0.0, 1.0, 0.0]


def test_in_domain_input_gives_no_warning_and_a_foreign_one_does(model):
    same = _telecom(20, 1)["text"].tolist()
    shift = model.domain_shift(same, model.predict_frame(same)["confidence"])
    assert not shift.warning and shift.unseen_rate < 0.2 and "looks like the training data" in shift.message
    foreign = _car(120, 2)
    shift = model.domain_shift(foreign, model.predict_frame(foreign)["confidence"])
    assert shift.warning and shift.unseen_rate > 0.9
    assert "retrain" in shift.message and "classify taxonomy" in shift.message and "cold start" in shift.message


def test_too_few_texts_are_not_judged(model):
    shift = check_shift(model.shift_reference, _car(5, 3), np.zeros(5))
    assert not shift.warning and "too few texts" in shift.message


def test_reference_survives_the_model_file(model, tmp_path):
    loaded = load_model(save_model(model, tmp_path / "m.model"))
    assert np.array_equal(loaded.shift_reference.vocab, model.shift_reference.vocab)
    assert loaded.shift_reference.to_meta() == model.shift_reference.to_meta()


def test_cli_predict_and_evaluate_say_so(model, tmp_path):
    path = save_model(model, tmp_path / "m.model")
    car = tmp_path / "car.csv"
    pd.DataFrame({"text": _car(60, 4), "label": "网络问题"}).to_csv(car, index=False)
    res = runner.invoke(app, ["classify", "predict", str(car), "--model", str(path), "--out", str(tmp_path / "p")])
    assert res.exit_code == 0, res.output
    assert "warning: the input does not look like the training data" in res.output
    assert json.loads((tmp_path / "p" / "domain_shift.json").read_text(encoding="utf-8"))["warning"] is True
    res = runner.invoke(app, ["classify", "evaluate", str(car), "--model", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["domain_shift"]["warning"] is True
