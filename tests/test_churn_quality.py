"""Usage quality rules: hand-made rows breaking each rule, skipped rules, quarantine accounting, safe expressions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from ivr_text.churn import expr
from ivr_text.churn.config import quality_rules
from ivr_text.churn.quality import check_usage
from ivr_text.errors import InputError


def usage():
    return pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "b", "c", "c"],
        "period": ["2024-01", "2024-02", "2024-04", "2024-01", "2024-01", "2024-01", "2024-02"],
        "bill": [50.0, 40.0, 30.0, 20.0, 20.0, np.nan, -5.0],
        "long_distance_fee": [1.0, 60.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        "broadband_max_daily_seconds": [100.0, 90000.0, 10.0, np.nan, np.nan, 5.0, 5.0],
    })


def labels():
    return pd.DataFrame({"customer_id": ["a", "b"], "churned": [True, False], "churn_period": ["2024-04", None]})


def test_each_rule_counts_hand_checked():
    res = check_usage(usage(), quality_rules(), labels())
    r = res.report.set_index("rule")
    assert r.loc["broadband_over_day", "rows"] == 1
    assert r.loc["long_distance_over_total", "rows"] == 2   # a 2024-02, and c 2024-02 (bill -5 < 0)
    assert r.loc["negative_usage", "rows"] == 1
    assert r.loc["missing_value", "rows"] == 1          # c's bill; b never has broadband: not missing
    assert r.loc["duplicate_customer_period", "rows"] == 1
    assert r.loc["period_gap", "rows"] == 1 and "1 missing periods" in r.loc["period_gap", "detail"]
    assert r.loc["usage_after_churn", "rows"] == 1       # a in 2024-04 = churn_period (first month without)
    assert len(res.clean) + len(res.quarantine) == len(usage())
    q = res.quarantine.set_index(["customer_id", "period"])
    assert q.loc[("a", "2024-02"), "quality_rules"] == "broadband_over_day;long_distance_over_total"
    assert ("c", "2024-01") not in q.index                # a warning only: stays in clean


def test_missing_columns_skip_rule_and_say_why():
    res = check_usage(usage().drop(columns=["broadband_max_daily_seconds"]), quality_rules())
    r = res.report.set_index("rule")
    assert r.loc["broadband_over_day", "status"].startswith("skipped: missing column")
    assert r.loc["usage_after_churn", "status"] == "skipped: needs --labels"
    assert res.summary()["rules_skipped"] == ["broadband_over_day", "usage_after_churn"]


def test_bad_rules_file(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("rules:\n  - name: x\n    expr: __import__('os').system('true')\n", encoding="utf-8")
    with pytest.raises(InputError, match="not allowed"):
        check_usage(usage(), quality_rules(path))
    path.write_text("rules:\n  - name: x\n", encoding="utf-8")
    with pytest.raises(InputError, match="exactly one"):
        quality_rules(path)


def test_expression_language():
    cols = {"a": np.array([1.0, 5.0, np.nan]), "b": np.array([2.0, 2.0, 2.0])}
    assert expr.evaluate("a > b", cols).tolist() == [False, True, False]
    assert expr.evaluate("abs(a - b) >= 1 and not a > 4", cols).tolist() == [True, False, False]
    assert expr.names("abs(x) > y * 2") == ["x", "y"]
    for bad in ("a.b > 1", "open('f')", "'s' > a", "[a][0] > 1", "lambda: 1"):
        with pytest.raises(InputError):
            expr.parse(bad)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_expression_parser_never_crashes(text):
    try:
        expr.names(text)
    except InputError:
        pass


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 5), st.one_of(st.floats(-10, 100), st.just(float("nan")))),
                min_size=1, max_size=30))
def test_clean_plus_quarantine_is_all_rows(rows):
    df = pd.DataFrame({"customer_id": [r[0] for r in rows], "period": [f"2024-{r[1] + 1:02d}" for r in rows],
                       "bill": [r[2] for r in rows]})
    res = check_usage(df, quality_rules())
    assert len(res.clean) + len(res.quarantine) == len(df)
    assert not res.clean.duplicated(["customer_id", "period"]).any()
    assert (res.clean["bill"].fillna(0) >= 0).all()
