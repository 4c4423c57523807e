"""The time dimension: KPIs by hour, weekday and period by hand; the hour scan; slot names; hot spots and advice
that hold at certain hours say which."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ivr_text.ivr import analyze_events, load_config, menu_from_data
from ivr_text.ivr.calllog import build_call_log
from ivr_text.ivr.timeslots import call_periods, elevated_hours, period_unit, slot_text

MENU = menu_from_data({"nodes": [
    {"id": "root"}, {"id": "svc", "parent": "root", "key": "1", "kind": "service"},
    {"id": "q", "parent": "root", "key": "2", "kind": "queue"},
    {"id": "agent", "parent": "q", "kind": "agent"}]})


def _call(rows, cid, start, path, end):
    t = pd.Timestamp(start)
    for node in path:
        rows.append((cid, t, node, "enter"))
        t += pd.Timedelta(seconds=10)
    rows.append((cid, t, path[-1], end))


def _log(spec):
    """``spec``: [(start, path, end, count)] — count calls a minute apart from start."""
    rows, n = [], 0
    for start, path, end, count in spec:
        for i in range(count):
            n += 1
            _call(rows, f"c{n:05d}", pd.Timestamp(start) + pd.Timedelta(minutes=i), path, end)
    return pd.DataFrame(rows, columns=["call_id", "ts", "node", "event"])


def test_tables_by_hour_weekday_and_period_by_hand():
    log = _log([("2024-03-04 09:00", ["root", "svc"], "complete", 3),   # Monday 09h: 3 self-service
                ("2024-03-04 09:30", ["root", "q"], "hangup", 1),       # Monday 09h: abandoned in the queue
                ("2024-03-05 23:10", ["root", "q", "agent"], "transfer", 2),  # Tuesday 23h: queued, answered
                ("2024-03-05 23:20", ["root"], "hangup", 2)])           # Tuesday 23h: hung up in the menu
    a = analyze_events(log, MENU)
    h = a.time.by_hour.set_index("hour")
    assert len(h) == 24 and h["calls"].sum() == 8 and h.loc[3, "calls"] == 0 and np.isnan(h.loc[3, "abandon_rate"])
    assert h.loc[9, "calls"] == 4 and h.loc[9, "self_service_rate"] == 0.75 and h.loc[9, "abandon_rate"] == 0.25
    assert h.loc[9, "queue_calls"] == 1 and h.loc[9, "queue_abandon_rate"] == 1.0 and h.loc[9, "ivr_hangups"] == 0
    assert h.loc[23, "transfer_rate"] == 0.5 and h.loc[23, "ivr_hangup_rate"] == 0.5
    assert h.loc[23, "queue_calls"] == 2 and h.loc[23, "queue_abandon_rate"] == 0.0 and h.loc[23, "slot"] == "23:00–00:00"
    assert h.loc[9, "mean_call_seconds"] == pytest.approx((20 * 3 + 20) / 4)
    w = a.time.by_weekday.set_index("weekday")
    assert w.loc[0, "day"] == "周一" and w.loc[0, "calls"] == 4 and w.loc[1, "calls"] == 4 and w["calls"].sum() == 8
    p = a.time.by_period
    assert a.time.period == "day" and p["period"].tolist() == ["2024-03-04", "2024-03-05"]
    assert p["calls"].tolist() == [4, 4]
    j = a.kpis["time"]
    assert j["period"] == "day" and len(j["by_hour"]) == 24 and j["by_hour"][3]["abandon_rate"] is None
    json.dumps(j)  # plain JSON


def test_period_unit_follows_the_span():
    def unit(days):
        log = _log([("2024-01-01 10:00", ["root"], "hangup", 1), (str(pd.Timestamp("2024-01-01 10:00")
                                                                       + pd.Timedelta(days=days)), ["root"], "hangup", 1)])
        return period_unit(build_call_log(log, MENU, load_config()))
    assert (unit(20), unit(100), unit(300)) == ("day", "week", "month")
    log = build_call_log(_log([("2024-01-01 10:00", ["root"], "hangup", 1), ("2024-01-08 10:00", ["root"], "hangup", 1),
                               ("2024-03-31 10:00", ["root"], "hangup", 1)]), MENU, load_config())
    idx, labels = call_periods(log, "week")
    assert labels[0] == "2024-W01" and labels[1] == "2024-W02" and labels[idx[2]] == "2024-W13"
    idx, labels = call_periods(log, "month")
    assert labels == ["2024-01", "2024-02", "2024-03"] and idx.tolist() == [0, 0, 2]


def test_slot_text():
    assert slot_text([1, 2, 3, 4, 5]) == "01:00–06:00"
    assert slot_text([22, 23, 0]) == "22:00–01:00"
    assert slot_text([9, 15, 16, 23, 0, 1]) == "09:00–10:00、15:00–17:00、23:00–02:00"
    assert slot_text(range(24)) == "全天" and slot_text([]) == ""


def test_hour_scan_pools_quiet_night_hours():
    calls = np.full(24, 200.0)
    calls[1:6] = 3  # two or three calls an hour at night
    count = 0.25 * calls
    count[1:6] = calls[1:6]  # all abandoned
    mask = elevated_hours(count, calls)[0]
    assert np.flatnonzero(mask).tolist() == [1, 2, 3, 4, 5]  # each night hour alone is too small to test
    # a day with no difference has no elevated hour; nor has a difference that is not significant
    assert not elevated_hours(0.25 * np.full(24, 200.0), np.full(24, 200.0)).any()
    small = np.full(24, 20.0)
    c2 = 0.2 * small
    c2[10] = 8
    assert not elevated_hours(c2, small).any()
    # rows are nodes: each has its own hours
    both = elevated_hours(np.vstack([count, 0.25 * np.full(24, 200.0)]), np.vstack([calls, np.full(24, 200.0)]))
    assert both[0].sum() == 5 and not both[1].any()


def test_night_queue_abandonment_is_a_peak_hour_hot_spot_and_named_in_the_advice():
    spec = []
    for day in range(1, 21):
        d = f"2024-05-{day:02d}"
        spec += [(f"{d} 10:00", ["root", "q", "agent"], "transfer", 8), (f"{d} 10:30", ["root", "q"], "hangup", 2),
                 (f"{d} 02:00", ["root", "q"], "hangup", 2), (f"{d} 12:00", ["root", "svc"], "complete", 10)]
    a = analyze_events(_log(spec), MENU, load_config(advice={"min_calls": 10}))
    hs = a.hotspots.set_index(["type", "node"])
    q = hs.loc[("drop_off", "q")]
    assert q["peak_hours"] == "02:00–03:00" and q["peak_hours_rate"] == 1.0
    assert q["other_hours_rate"] == pytest.approx(0.2)
    assert a.kpis["peak_hours"][0]["hours"] == "02:00–03:00"
    rec = a.recommendations
    flag = rec[rec["action"] == "review queue"].iloc[0]
    assert flag["peak_hours"] == "02:00–03:00" and "核对 02:00–03:00 的坐席排班" in flag["reason"]
    hours = rec[rec["action"] == "review hours"]
    assert "02:00–03:00" in hours.iloc[0]["reason"] and "排队放弃率" in hours.iloc[0]["reason"]
    # an advice without peak hours does not speak of "this time slot"
    flat = analyze_events(_log([(f"2024-05-{d:02d} {h}:00", ["root", "q"], "hangup", 5) for d in range(1, 10)
                                for h in (10, 15)]
                               + [(f"2024-05-{d:02d} {h}:10", ["root", "q", "agent"], "transfer", 5)
                                  for d in range(1, 10) for h in (10, 15)]), MENU, load_config(advice={"min_calls": 10}))
    r = flat.recommendations
    assert "review queue" in set(r["action"]) and not r["reason"].str.contains("该时段").any() and (r["peak_hours"].fillna("") == "").all()


def test_exact_tail_of_a_run_matches_scipy():
    from scipy.stats import hypergeom

    from ivr_text.ivr.timeslots import hypergeom_sf

    rng = np.random.default_rng(4)
    for _ in range(50):
        total = int(rng.integers(5, 3000))
        successes, draws = int(rng.integers(0, total + 1)), int(rng.integers(1, total + 1))
        k = int(rng.integers(0, min(draws, successes) + 2))
        assert hypergeom_sf(k, total, successes, draws) == pytest.approx(hypergeom.sf(k - 1, total, successes, draws),
                                                                          rel=1e-9, abs=1e-300)
