"""Taiwan / Hong Kong vocabulary → mainland after t2s (ivr_text.text.regional) and its effect downstream."""

from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from ivr_text.errors import InputError
from ivr_text.text import normalize_many, normalize_text
from ivr_text.text.regional import VariantMap, default_variant_map, load_variant_map, normalization_id

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.parametrize("text, expected", [
    ("手機訊號很差", "手机信号很差"),
    ("網路很慢，寬頻斷線", "网络很慢,宽带断线"),
    ("軟體無法登入", "软件无法登录"),
    ("門號被停了，攜碼要付解約金", "号码被停了,携号转网要付违约金"),
    ("流動數據用不了，手提電話收不到短訊", "移动数据用不了,手机收不到短信"),
    ("附近基地台收訊不好", "附近基站信号不好"),
    ("网路由器坏了", "网路由器坏了"),          # guard: 网 + 路由器, not 网络由器
    ("客户反映网络信号差", "客户反映网络信号差"),  # mainland text untouched
])
def test_regional_words_become_mainland(text, expected):
    assert normalize_text(text) == expected
    assert normalize_many([text, "x"])[0] == expected


def test_shipped_map_is_idempotent_and_never_maps_mainland_forms():
    m = default_variant_map()
    targets = {t for v, t in m.mapping.items() if v != t}
    for variant, mainland in m.mapping.items():
        assert m.apply(m.apply(variant)) == m.apply(variant) == mainland
    assert not any(v in t for v in m.mapping if m.mapping[v] != v for t in targets)


@given(st.text(alphabet="网路由器讯号宽频软体门码携行动电话手机信号带abc ,", max_size=40))
@settings(max_examples=200, deadline=None)
@example("频宽频")  # 频宽 → 带宽 forms 宽频 with the next character
def test_normalising_twice_changes_nothing(text):
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert normalize_many([text])[0] == once


def test_map_file_errors_and_cycles(tmp_path):
    bad = tmp_path / "v.txt"
    bad.write_text("网路 网络\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        load_variant_map(bad)
    with pytest.raises(InputError, match="applying the map twice"):
        VariantMap({"讯号": "信号", "信": "讯号"})
    good = tmp_path / "g.txt"
    good.write_text("# c\n網路, 网路 => 网络\n", encoding="utf-8")
    assert load_variant_map(good).mapping == {"网路": "网络"}


def test_normalization_id_names_the_map():
    from ivr_text.text.social import default_social

    assert normalization_id() == f"t2s+regional:{default_variant_map().fingerprint}+social:{default_social().fingerprint}"


def test_rules_and_taxonomy_see_taiwan_complaints():
    from ivr_text.complaints.rules import RuleClassifier

    pred = RuleClassifier().predict_frame(["手機訊號很差，一直斷線", "行動網路收訊不好"])
    assert list(pred["cause"]) == ["网络问题", "网络问题"]


def test_mainland_corpus_is_left_alone():
    path = DATA / "cocc_cmcc_complaints" / "cocc_dev.tsv"
    if not path.exists():
        pytest.skip("shared COCC data not available")
    import pandas as pd

    texts = pd.read_csv(path, sep="\t")["text"].astype(str).tolist()
    m = default_variant_map()
    changed = [t for t in texts if m.apply(t) != t]
    # only the orders where a mainland agent typed 网路 for 网络 change (1 in the 2018 dev set)
    assert all("网路" in t for t in changed) and len(changed) <= 2
