"""Call-level records → IVR paths: hand-made records, midnight, no-queue zeros, bad rows; the real Technion month."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.ivr import analyze_events
from ivr_text.ivr.records import records_menu, records_to_events

# ../shared beside the repository (or beside the worktrees' parent): absent in a fresh clone, then the test skips
DATA = next((p / "shared" / "data" / "technion_callcenter_aug1999" for p in Path(__file__).resolve().parents
             if (p / "shared" / "data").is_dir()), Path("/nonexistent"))
REAL = DATA / "anonymous_bank_calls_1999_08.csv"

RECORDS = pd.DataFrame({
    "call_id": ["1", "2", "3", "4", "5", "6"],
    "date": ["1999-08-01"] * 6,
    "ivr_start": ["10:00:00", "10:05:00", "23:59:50", "11:00:00", "12:00:00", "13:00:00"],
    "ivr_end": ["10:00:20", "10:05:10", "0:00:05", "11:00:30", "11:58:00", "13:00:10"],
    "queue_start": ["10:00:20", "0:00:00", "0:00:05", "11:00:30", "0:00:00", "0:00:00"],
    "queue_end": ["10:01:20", "0:00:00", "0:00:35", "11:02:30", "0:00:00", "0:00:00"],
    "agent_start": ["10:01:20", "0:00:00", "0:00:00", "0:00:00", "0:00:00", "0:00:00"],
    "outcome": ["AGENT", "HANG", "HANG", "PHANTOM", "AGENT", "TELEPORT"],
    "service": ["PS", "PS", "NW", "PS", "PS", "PS"],
})


def test_records_to_paths_by_hand():
    ev, reason = records_to_events(RECORDS, date_column="date")
    assert reason.iloc[:4].isna().all()
    assert reason.iloc[4] == "negative duration: ivr_end earlier than ivr_start"
    assert reason.iloc[5] == "unknown outcome 'TELEPORT'"
    paths = ev.groupby("call_id")["node"].apply(lambda s: " > ".join(s)).to_dict()
    assert paths["1"] == "root > PS > queue:PS > agent:PS > agent:PS"
    assert paths["2"] == "root > PS > PS"  # hung up in the IVR, no queue (0:00:00)
    assert paths["3"] == "root > NW > queue:NW > queue:NW"  # hung up in the queue, after midnight
    c3 = ev[ev["call_id"] == "3"]
    assert c3["ts"].iloc[-1] == pd.Timestamp("1999-08-02 00:00:35")
    a = analyze_events(ev, records_menu(ev))
    k = a.kpis
    assert k["calls"] == 4 and k["transfer_rate"] == 0.25 and k["abandon_rate"] == 0.5
    assert k["unknown_end_rate"] == 0.25 and k["mean_seconds_before_transfer"] == pytest.approx(80)
    m = a.node_metrics.set_index("node")
    assert m.loc["queue:NW", "hangups"] == 1 and m.loc["PS", "hangups"] == 1
    # the transfer is credited to the service where the caller asked for an agent, not to the queue it waited in
    assert m.loc["PS", "transfer_requests"] == 1 and m.loc["queue:PS", "transfer_requests"] == 0
    assert m.loc["queue:PS", "kind"] == "queue"


def test_records_without_a_self_service_outcome_say_n_a_not_zero():
    from ivr_text.ivr.records import analyze_records

    a, reason = analyze_records(RECORDS, date_column="date")
    k = a.kpis
    assert k["self_service_rate"] is None and k["mean_self_service_seconds"] is None
    assert "no self-service (complete) outcome is recorded" in k["not_measured"]["self_service_rate"]
    assert k["transfer_rate"] == 0.25 and k["by_segment"] == {} and reason.notna().sum() == 2
    assert a.time.by_hour["self_service_rate"].isna().all()
    # an event log records every outcome: 0 % is a measured 0 %
    plain = analyze_events(*records_to_events(RECORDS, date_column="date")[:1])
    assert plain.kpis["self_service_rate"] == 0.0 and plain.kpis["not_measured"] == {}


def test_records_menu_has_no_made_up_key_order():
    # many calls to the alphabetically last service: records hold no key presses, so no reorder advice
    rec = pd.DataFrame({"call_id": [str(i) for i in range(200)], "date": ["1999-08-01"] * 200,
                        "ivr_start": ["10:00:00"] * 200, "ivr_end": ["10:00:20"] * 200,
                        "queue_start": ["10:00:20"] * 200,
                        "queue_end": ["10:01:20"] * 150 + ["10:00:50"] * 50,
                        "agent_start": ["0:00:00"] * 200,
                        "outcome": ["HANG"] * 80 + ["AGENT"] * 70 + ["HANG"] * 10 + ["AGENT"] * 40,
                        "service": ["ZZ"] * 150 + ["AA"] * 50})
    ev, reason = records_to_events(rec, date_column="date")
    menu = records_menu(ev)
    assert menu.inferred and menu.position("ZZ") is None and menu.nodes["ZZ"].key is None
    a = analyze_events(ev, menu)
    assert a.node_metrics["position"].isna().all()
    actions = a.recommendations.set_index("node")["action"].to_dict()
    assert "reorder options" not in actions.values() and "announce earlier" not in actions.values()
    # ZZ's queue loses 80 of 150 callers, AA's 10 of 50: the worse queue is flagged, in Chinese
    assert actions == {"queue:ZZ": "review queue"}
    assert "排队" in a.recommendations.iloc[0]["reason"]


@pytest.mark.skipif(not REAL.exists(), reason="shared real data not present")
def test_technion_month_through_the_cli(tmp_path):
    args = ["ivr", "analyze-records", str(REAL), "--date-column", "date", "--out", str(tmp_path)]
    for m in ("ivr_start=vru_entry", "ivr_end=vru_exit", "queue_start=q_start", "queue_end=q_exit",
              "agent_start=ser_start", "service=type", "caller_id=customer_id"):
        args += ["--map", m]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    import json

    k = json.loads((tmp_path / "kpis.json").read_text(encoding="utf-8"))
    assert k["rows"]["read"] == 42078 == k["rows"]["used"] + k["rows"]["rejected"]
    assert k["rows"]["rejected"] < 100
    # AGENT 31402 / HANG 10366 / PHANTOM 310 in the source: the rates follow
    assert k["transfer_rate"] == pytest.approx(31402 / 42078, abs=0.01)
    assert k["abandon_rate"] == pytest.approx(10366 / 42078, abs=0.01)
    hs = pd.read_csv(tmp_path / "hotspots.csv")
    top = hs[hs["type"] == "drop_off"].sort_values("rank_by_count").iloc[0]
    assert top["node"].startswith("queue:")  # most hang-ups happen waiting in a queue
    # no self-service outcome in these records: n/a with a note, never 0 %
    assert k["self_service_rate"] is None and "self_service_rate" in k["not_measured"]
    assert "n/a" in result.output
    # the night: queued calls from midnight to 07:00 are nearly all abandoned, against 18–32 % an hour by day
    h = pd.read_csv(tmp_path / "by_hour.csv").set_index("hour")
    night = h.loc[1:5]
    assert night["queue_hangups"].sum() == night["queue_calls"].sum() > 0
    assert h.loc[8:19, "queue_abandon_rate"].between(0.17, 0.33).all()
    peaks = {p["column"]: p["hours"] for p in k["peak_hours"]}
    assert peaks["queue_abandon_rate"].startswith("00:00–07:00")
    rec = pd.read_csv(tmp_path / "recommendations.csv")
    hours = rec[rec["action"] == "review hours"]
    assert hours["reason"].str.contains("排队放弃率在 00:00–07:00").any()
    assert not rec["reason"].str.contains("该时段坐席").any()  # a time slot named, or none mentioned


def test_time_of_day_forms():
    import pandas as pd

    from ivr_text.ivr.records import _time_of_day

    got = _time_of_day(pd.Series(["0:10:27", "17", "2h 5m", "x", None, "0:00:07.5", "9:6"]))
    assert [None if pd.isna(v) else v.total_seconds() for v in got] == [627, None, 7500, None, None, 7.5, 32760]
