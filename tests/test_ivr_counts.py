"""Property test: transitions, per-node calls/visits/loops/hang-ups, both transfer columns, calls and outcomes per
hour, and repeat calls of random logs (revisits, shuffled rows, unknown ends, several callers) equal a plain Python
computation over the calls."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr_text.ivr import analyze_events, menu_from_data

#: n4 is an agent node: a transfer there is credited to the node the caller asked from
MENU = menu_from_data({"nodes": [{"id": "n0"}, *[{"id": f"n{i}", "parent": "n0", "key": str(i), "kind": "service"}
                                                   for i in (1, 2, 3)],
                                 {"id": "n4", "parent": "n0", "key": "0", "kind": "agent"}]})
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
    a = analyze_events(df.reset_index(drop=True), MENU)

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
    # outcomes per node, both transfer columns, and per hour of the call's start
    hang, agent_tr, requests, by_hour = Counter(), Counter(), Counter(), Counter()
    for path, end, _, start_h in calls:
        hour = (8 + start_h) % 24
        by_hour[hour, "calls"] += 1
        by_hour[hour, end] += 1
        if end == "hangup":
            hang[path[-1]] += 1
        if end == "transfer":
            agent_tr[path[-1]] += 1
            asked = next((n for n in reversed(path) if n != "n4"), path[-1])  # walk back over the agent node
            requests[asked] += 1
    for n in m.index:
        assert m.loc[n, "hangups"] == hang[n]
        assert m.loc[n, "agent_transfers"] == agent_tr[n] and m.loc[n, "transfer_requests"] == requests[n]
        rate = m.loc[n, "transfer_request_rate"]
        assert (rate == requests[n] / calls_at[n]) if calls_at[n] else rate != rate
    h = a.time.by_hour.set_index("hour")
    for hour in range(24):
        assert h.loc[hour, "calls"] == by_hour[hour, "calls"]
        assert (h.loc[hour, "hangups"], h.loc[hour, "transfers"], h.loc[hour, "unknown_ends"]) == (
            by_hour[hour, "hangup"], by_hour[hour, "transfer"], by_hour[hour, None])
    # repeat call: the same caller starts another call within 24 h of this one's start
    starts = sorted((c, start_h * 3600 + i) for i, (_, _, c, start_h) in enumerate(calls))
    repeats = sum(1 for x, y in zip(starts, starts[1:]) if x[0] == y[0] and y[1] - x[1] <= 24 * 3600)
    assert round(a.kpis["repeat_call_rate"] * len(calls)) == repeats
