"""ivr_text.stats against independent implementations (scipy) and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest, false_discovery_control, norm, ttest_ind

from ivr_text.stats import benjamini_hochberg, two_proportions, welch, wilson_interval, wilson_lower


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
       st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_equals_scipy_binomtest(kn, level):
    k, n = kn
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    low, high = wilson_interval(k, n, z=norm.ppf((1 + level) / 2))
    assert float(low) == pytest.approx(ci.low, abs=1e-12)
    assert float(high) == pytest.approx(ci.high, abs=1e-12)


def test_wilson_hand_values_and_empty_rows():
    # 5 of 10 at z = 1.96: (0.5 + 0.19208 - 1.96·sqrt(0.025 + 0.009604)) / 1.38416 = 0.2366
    assert float(wilson_lower(5, 10)) == pytest.approx(0.2366, abs=1e-4)
    low, high = wilson_interval(np.array([0, 3, 7]), np.array([0, 3, 10]))
    assert low[0] == 0.0 and high[0] == 0.0           # no observations: no evidence
    assert high[1] == 1.0 and 0 < low[1] < 1          # 3 of 3: the upper bound is exactly 1
    assert np.all((low >= 0) & (low <= high) & (high <= 1))


def test_benjamini_hochberg_by_hand_and_against_scipy_with_missing_values():
    # sorted 0.01, 0.03, 0.04, 0.2 → ·4/rank: 0.04, 0.06, 0.0533, 0.2 → running minimum from the top
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.2]) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.2])
    rng = np.random.default_rng(3)
    p = rng.random(40)
    p[[2, 11]] = np.nan
    q = benjamini_hochberg(p)
    assert np.isnan(q[[2, 11]]).all()
    ok = ~np.isnan(p)
    assert q[ok] == pytest.approx(false_discovery_control(p[ok]))
    assert benjamini_hochberg([]).shape == (0,)


def test_two_proportions_newcombe_hand_value():
    # 30/100 vs 10/100: Newcombe (1998) method 10 on Wilson intervals; pooled z-test p
    d, low, high, p = two_proportions(30, 100, 10, 100)
    (l1, u1), (l2, u2) = wilson_interval(30, 100), wilson_interval(10, 100)
    assert float(d) == pytest.approx(0.2)
    assert float(low) == pytest.approx(0.2 - np.hypot(0.3 - l1, u2 - 0.1))
    assert float(high) == pytest.approx(0.2 + np.hypot(u1 - 0.3, 0.1 - l2))
    pooled = 0.2
    assert float(p) == pytest.approx(2 * norm.sf(0.2 / np.sqrt(pooled * (1 - pooled) * 0.02)))


def test_welch_equals_scipy():
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(10, 2, 40), rng.normal(9, 3, 25)
    d, low, high, p = welch(x1, x2)
    ref = ttest_ind(x1, x2, equal_var=False)
    assert p == pytest.approx(ref.pvalue)
    ci = ref.confidence_interval(0.95)
    assert (low, high) == pytest.approx((ci.low, ci.high), rel=1e-3)  # z = 1.96 vs 0.975 quantile
    assert d == pytest.approx(x1.mean() - x2.mean())
