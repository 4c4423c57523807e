"""IVR calls → feedback events (``ivr-text ivr contacts``) and their use as a second feedback source."""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.io import read_table
from ivr_text.ivr.contacts import ivr_contacts, node_causes
from ivr_text.ivr.menu import load_menu, menu_from_data

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_logs"

MENU = menu_from_data({"nodes": [
    {"id": "root", "label": "主菜单"},
    {"id": "bill", "label": "话费查询", "parent": "root", "key": "1"},
    {"id": "bill_detail", "label": "账单明细", "parent": "bill", "key": "1"},
    {"id": "misc", "label": "其他", "parent": "root", "key": "2", "cause": "服务问题"},
    {"id": "misc_x", "label": "说明", "parent": "misc", "key": "1"},
    {"id": "agent", "label": "人工服务", "parent": "root", "key": "0", "kind": "agent"},
]})


def _events(rows):
    return pd.DataFrame(rows, columns=["call_id", "ts", "node", "event", "caller_id"]).assign(
        ts=lambda d: pd.to_datetime(d["ts"]))


def test_node_causes_given_inherited_or_from_rules():
    causes = node_causes(MENU)
    assert causes["misc"] == causes["misc_x"] == "服务问题"  # given, then inherited
    assert causes["bill"] == causes["bill_detail"] == "费用问题"  # keyword rules on 话费查询 (› 账单明细)
    assert causes["root"] == ""  # nothing to go on: uncoded


def test_contacts_one_row_per_transfer_or_hangup_with_known_caller():
    ev = _events([
        ("c1", "2024-01-01 10:00:00", "root", "enter", "U1"), ("c1", "2024-01-01 10:00:05", "bill", "enter", "U1"),
        ("c1", "2024-01-01 10:00:09", "bill", "transfer", "U1"),
        ("c2", "2024-01-01 11:00:00", "root", "enter", "U2"), ("c2", "2024-01-01 11:00:04", "misc_x", "enter", "U2"),
        ("c2", "2024-01-01 11:00:30", "misc_x", "hangup", "U2"),
        ("c3", "2024-01-01 12:00:00", "root", "enter", "U3"), ("c3", "2024-01-01 12:00:20", "bill_detail", "complete", "U3"),
        ("c4", "2024-01-01 13:00:00", "root", "enter", "anonymous"), ("c4", "2024-01-01 13:00:02", "root", "hangup", "anonymous"),
    ])
    found = ivr_contacts(ev, MENU)
    assert (found.calls, found.other_outcome, found.no_caller) == (4, 1, 1)
    got = found.events[["customer_id", "ts", "cause", "channel", "node"]].astype(str).values.tolist()
    assert got == [["U1", "2024-01-01 10:00:09", "费用问题", "ivr_transfer", "bill"],
                   ["U2", "2024-01-01 11:00:30", "服务问题", "ivr_hangup", "misc_x"]]
    assert len(ivr_contacts(ev, MENU, outcomes=("complete",)).events) == 1


def test_contacts_bad_requests_are_clear():
    from ivr_text.errors import InputError

    ev = _events([("c1", "2024-01-01 10:00:00", "root", "hangup", "U1")])
    with pytest.raises(InputError, match="unknown outcome"):
        ivr_contacts(ev, MENU, outcomes=("transfered",))
    with pytest.raises(InputError, match="caller_id"):
        ivr_contacts(ev.drop(columns="caller_id"), MENU)


def test_sample_world_transfers_reproduce_the_planted_feedback():
    """The sample's feedback holds one ivr_transfer event per transferred call, coded by menu branch."""
    ev = read_table(SAMPLE / "ivr_events.csv", "ivr_events").data
    found = ivr_contacts(ev, load_menu(SAMPLE / "menu.yaml"), outcomes=("transfer",)).events
    fb = read_table(SAMPLE / "feedback.csv", "feedback").data
    planted = fb[fb["channel"] == "ivr_transfer"].fillna({"cause": ""})
    both = found.merge(planted, on=["customer_id", "ts"], how="outer", indicator=True, suffixes=("", "_planted"))
    assert (both["_merge"] == "left_only").sum() == 0  # nothing invented
    matched = both[both["_merge"] == "both"]
    assert len(matched) >= 0.97 * len(planted)  # the rest lost their transfer event (planted log defects)
    assert (matched["cause"] == matched["cause_planted"]).all()


def test_cli_contacts_then_signal_with_two_feedback_files(tmp_path):
    runner = CliRunner()
    contacts = tmp_path / "contacts.csv"
    res = runner.invoke(app, ["ivr", "contacts", str(SAMPLE / "ivr_events.csv"), "--menu", str(SAMPLE / "menu.yaml"),
                              "--out", str(contacts)])
    assert res.exit_code == 0, res.output
    assert "contacts" in res.output and (tmp_path / "rejected_ivr_events.csv").exists()
    table = read_table(contacts, "feedback")
    assert table.rejected.empty and set(table.data["channel"]) == {"ivr_transfer", "ivr_hangup"}
    complaints = tmp_path / "complaints_feedback.csv"
    fb = pd.read_csv(SAMPLE / "feedback.csv", encoding="utf-8-sig")
    fb[fb["channel"] == "complaint"].to_csv(complaints, index=False)
    res = runner.invoke(app, ["churn", "signal", "--feedback", str(complaints), "--feedback", str(contacts),
                              "--usage", str(SAMPLE / "usage.csv"), "--out", str(tmp_path / "churn")])
    assert res.exit_code == 0, res.output
    assert f"{complaints} + {contacts}: read" in res.output
    assert (tmp_path / "churn" / "warnings.csv").exists()
