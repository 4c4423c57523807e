"""A simulated world with planted per-option listening times and a night hang-up effect: the analysis recovers
both (the generator's own truth is the reference; the analysis never reads it)."""

from __future__ import annotations

import pytest

from ivr_text import samples as S
from ivr_text.ivr import analyze_events, menu_from_data

PLANTED = {"root": 2.5, "bill": 1.0, "data": 3.0, "plan": 0.5}
NIGHT = {h: 6.0 for h in range(1, 6)}  # hang-ups × 6 for calls starting 01:00–05:59


@pytest.fixture(scope="module")
def world():
    w = S.simulate_ivr(20000, seed=3, option_seconds=PLANTED, hour_hangup=NIGHT)
    return w, analyze_events(w.events, menu_from_data(S.build_menu()))


def test_planted_option_times_are_recovered(world):
    w, a = world
    truth = w.truth["option_seconds"]
    assert truth["root"]["planted"] == 2.5 and truth["bill_detail"]["planted"] == S.PARAMS["prompt_per_option_s"]
    m = a.timings.menus.set_index("menu")
    for menu_id in truth:
        row = m.loc[menu_id]
        assert row["source"] == "measured"
        # within 4 standard errors (and 6 %) of the expected seconds per position: barge-in callers add nothing
        assert abs(row["option_seconds"] - truth[menu_id]["expected_slope"]) <= 4 * row["option_seconds_se"] + \
            0.06 * truth[menu_id]["expected_slope"], menu_id
    assert m.loc["data", "option_seconds"] > m.loc["root", "option_seconds"] > m.loc["bill", "option_seconds"] \
        > m.loc["plan", "option_seconds"]
    # every reorder / promotion of the root uses the root's measured time
    rec = a.recommendations
    root_changes = rec[rec["menu"] == "root"]
    assert len(root_changes) and (root_changes["option_seconds"] == m.loc["root", "option_seconds"]).all()
    assert (root_changes["option_seconds_source"] == "measured").all()


def test_planted_night_effect_is_recovered(world):
    w, a = world
    assert w.truth["hour_hangup"]["multiplier"] == NIGHT
    peaks = {p["column"]: p["hours"] for p in a.kpis["peak_hours"]}
    assert peaks == {"ivr_hangup_rate": "01:00–06:00"}
    hours = a.recommendations[a.recommendations["action"] == "review hours"]
    assert len(hours) == 1 and "01:00–06:00" in hours.iloc[0]["reason"]
    by_hour = a.time.by_hour.set_index("hour")
    night = by_hour.loc[1:5]
    day = by_hour.loc[8:20]
    assert night["ivr_hangups"].sum() / night["calls"].sum() > 3 * day["ivr_hangups"].sum() / day["calls"].sum()
    # the planted hang-up nodes at night: their hot spots name the night
    hs = a.hotspots[(a.hotspots["type"] == "drop_off") & a.hotspots["node"].isin(["bill_detail", "plan_vas_cancel"])]
    assert hs["peak_hours"].str.contains("01:00–06:00|02:00|03:00|04:00").all()


def test_the_default_world_is_unchanged_by_the_new_options():
    plain = S.simulate_ivr(300, seed=4)
    again = S.simulate_ivr(300, seed=4, option_seconds=None, hour_hangup=None)
    assert plain.events.equals(again.events) and "option_seconds" not in plain.truth


def test_planted_world_through_the_samples_command(tmp_path):
    import json

    from typer.testing import CliRunner

    from ivr_text.cli.main import app

    r = CliRunner().invoke(app, ["samples", "--out", str(tmp_path), "--calls", "300", "--part", "ivr",
                                 "--ivr-option-seconds", "root=2.5,bill=1", "--ivr-hour-hangup", "1-5=6;23=2"])
    assert r.exit_code == 0, r.output
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))
    assert truth["options"]["option_seconds"] == {"root": 2.5, "bill": 1.0}
    assert truth["ivr"]["hour_hangup"]["multiplier"] == {str(h): 6.0 for h in range(1, 6)} | {"23": 2.0}
    bad = CliRunner().invoke(app, ["samples", "--out", str(tmp_path), "--ivr-option-seconds", "root=fast"])
    assert bad.exit_code == 1 and "option seconds" in bad.output and "Traceback" not in bad.output
