"""Property test: transitions, per-node calls/visits/loops, first nodes and repeat calls of random logs (revisits,
shuffled rows, unknown ends, several callers) equal a plain Python computation over the calls."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr_text.ivr import analyze_events

NODES = ["n0", "n1", "n2", "n3", "n4"]
ENDS = {"complete": "END:complete", "transfer": "END:transfer", "hangup": "END:hangup", None: "END:unknown"}

call_st = st.tuples(st.lists(st.sampled_from(NODES), min_size=1, max_size=7),
                    st.sampled_from(["complete", "transfer", "hangup", None]),
                    st.sampled_from(["u1", "u2", "u3"]), st.integers(0, 100))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls=st.lists(call_st, min_size=1, max_size=25), seed=st.integers(0, 1000))
def test_counts_match_plain_python(calls, seed):
    rows = []
    t0 = pd.Timestamp("2024-05-01 08:00:00")
    for i, (path, end, caller, start_h) in enumerate(calls):
        start = t0 + pd.Timedelta(hours=start_h) + pd.Timedelta(seconds=i)  # distinct starts
        for j, node in enumerate(path):
            rows.append((f"c{i:03d}", start + pd.Timedelta(seconds=10 * j), node, "enter", caller))
        if end:
            rows.append((f"c{i:03d}", start + pd.Timedelta(seconds=10 * len(path)), path[-1], end, caller))
    df = pd.DataFrame(rows, columns=["call_id", "ts", "node", "event", "caller_id"]).sample(frac=1, random_state=seed)
    a = analyze_events(df.reset_index(drop=True))

    edges, visits, calls_at, loops = Counter(), Counter(), Counter(), Counter()
    for path, end, _, _ in calls:
        edges.update(zip(path[:-1], path[1:]))
        edges[(path[-1], ENDS[end])] += 1
        visits.update(path)
        calls_at.update(set(path))
        loops.update({n: path.count(n) - 1 for n in set(path)})
    got = {(s, d): c for s, d, c in a.transitions.itertuples(index=False, name=None)}
    assert got == dict(edges)
    m = a.node_metrics.set_index("node")
    for n in m.index:
        assert m.loc[n, "visits"] == visits[n]
        assert m.loc[n, "calls"] == calls_at[n]
        assert m.loc[n, "loops"] == loops[n]
    assert a.kpis["calls"] == len(calls)
    # repeat call: the same caller starts another call within 24 h of this one's start
    starts = sorted((c, start_h * 3600 + i) for i, (_, _, c, start_h) in enumerate(calls))
    repeats = sum(1 for x, y in zip(starts, starts[1:]) if x[0] == y[0] and y[1] - x[1] <= 24 * 3600)
    assert round(a.kpis["repeat_call_rate"] * len(calls)) == repeats
