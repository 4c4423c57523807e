"""The synthetic world generator: determinism, options, event-log invariants, planted facts, CLI, readability."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ivr_text import samples as S
from ivr_text.cli.main import app
from ivr_text.io import read_table

REPO = Path(__file__).resolve().parents[1]
TERMINAL = {"transfer", "hangup", "complete"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    out = tmp_path_factory.mktemp("world")
    paths = S.generate_world(out, seed=7, calls=1500, customers=400)
    return out, paths


@pytest.fixture(scope="module")
def big_ivr():
    return S.simulate_ivr(20000, seed=11)


def _menu_df():
    return pd.DataFrame(S.build_menu()["nodes"]).set_index("id")


# ------------------------------------------------------------------------------------------ menu


def test_menu_shape():
    menu = S.build_menu()
    nodes = pd.DataFrame(menu["nodes"])
    assert 25 <= len(nodes) <= 45
    assert nodes["id"].is_unique and nodes["id"].str.fullmatch(r"[a-z0-9_]+").all()
    assert (nodes["parent"].isna()).sum() == 1 and nodes.loc[nodes["parent"].isna(), "id"].item() == "root"
    assert set(nodes["kind"]) == {"menu", "service", "agent"}
    assert set(nodes["key"].dropna()) <= set("1234567890*#")
    # keys unique among siblings; parents are menus
    assert not nodes.dropna(subset=["key"]).duplicated(["parent", "key"]).any()
    kinds = nodes.set_index("id")["kind"]
    assert (kinds[nodes["parent"].dropna()] == "menu").all()
    depth = S._menu_arrays().depth
    assert depth.max() in (3, 4)
    assert {"话费查询", "流量查询", "套餐办理", "宽带报障", "积分兑换", "人工服务"} <= set(nodes["label"])
    zero = nodes[(nodes["parent"] == "root") & (nodes["key"] == "0")]
    assert zero["kind"].item() == "agent"


def test_menu_validation_errors():
    nodes = S.build_menu()["nodes"]
    with pytest.raises(ValueError, match="duplicate"):
        S._menu_arrays({"nodes": nodes + [nodes[1]]})
    with pytest.raises(ValueError, match="root"):
        S._menu_arrays({"nodes": [dict(n, parent=None) if n["id"] == "bill" else n for n in nodes]})


# ------------------------------------------------------------------------------------------ determinism and options


def test_same_seed_same_bytes(world, tmp_path):
    out, paths = world
    again = S.generate_world(tmp_path, seed=7, calls=1500, customers=400)
    for name, p in paths.items():
        assert p.read_bytes() == again[name].read_bytes(), name


def test_other_seed_differs(world, tmp_path):
    out, paths = world
    other = S.generate_world(tmp_path, seed=8, calls=1500, customers=400, parts=["ivr"])
    assert other["ivr"].read_bytes() != paths["ivr"].read_bytes()


def test_parts_are_independent(world, tmp_path):
    """Skipping parts never changes the others."""
    out, paths = world
    only = S.generate_world(tmp_path, seed=7, calls=1500, customers=400, parts=["usage", "labels"])
    assert set(only) == {"usage", "labels", "readme", "truth"}
    assert only["usage"].read_bytes() == paths["usage"].read_bytes()
    assert only["labels"].read_bytes() == paths["labels"].read_bytes()


def test_options_respected(world):
    out, paths = world
    ev = pd.read_csv(paths["ivr"])
    assert ev["call_id"].nunique() == 1500
    labels = pd.read_csv(paths["labels"])
    assert len(labels) == 400 and labels["customer_id"].is_unique
    usage = pd.read_csv(paths["usage"])
    assert usage["period"].nunique() == 12 and usage["period"].min() == "2024-01"
    assert set(usage["customer_id"]) <= set(labels["customer_id"])
    assert set(ev["caller_id"]) <= set(labels["customer_id"])


def test_months_start_and_parquet(tmp_path):
    paths = S.generate_world(tmp_path, seed=1, calls=200, customers=60, months=5, start="2023-11", fmt="parquet",
                             parts=["ivr", "usage", "labels"])
    usage = pd.read_parquet(paths["usage"])
    assert sorted(usage["period"].unique()) == ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03"]
    ev = pd.read_parquet(paths["ivr"])
    assert ev["ts"].min() >= pd.Timestamp("2023-11-01") and ev["ts"].max() < pd.Timestamp("2024-04-02")
    again = S.generate_world(tmp_path / "b", seed=1, calls=200, customers=60, months=5, start="2023-11",
                             fmt="parquet", parts=["ivr", "usage", "labels"])
    assert again["ivr"].read_bytes() == paths["ivr"].read_bytes()


@pytest.mark.parametrize("kwargs, match", [
    (dict(fmt="xlsx"), "format"), (dict(parts=["nope"]), "unknown part"), (dict(start="2024-13"), "YYYY-MM"),
    (dict(months=0), "months"), (dict(customers=0), "customers"),
])
def test_bad_options(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        S.generate_world(tmp_path, **{"calls": 50, "customers": 20, **kwargs})


# ------------------------------------------------------------------------------------------ event-log invariants


def _clean(ev: pd.DataFrame) -> pd.DataFrame:
    """What an analysis does first: drop exact duplicates, restore the order within each call."""
    ev = ev.drop_duplicates()
    return ev.sort_values(["call_id", "ts"], kind="stable").reset_index(drop=True)


def _check_log(ev: pd.DataFrame, unterminated: set[str], menu: pd.DataFrame | None = None) -> None:
    menu = _menu_df() if menu is None else menu
    ev = _clean(ev)
    ev["event"] = ev["event"].astype(str)
    ev["node"] = ev["node"].astype(str)
    ev["call_id"] = ev["call_id"].astype(str)
    ev["key"] = ev["key"].astype("string")
    # timestamps strictly increase within a call
    same = ev["call_id"].eq(ev["call_id"].shift())
    assert (ev.loc[same, "ts"].to_numpy() > ev["ts"].shift().loc[same].to_numpy()).all()
    first = ev.groupby("call_id").head(1)
    root = menu.index[menu["parent"].isna()][0]
    assert (first["node"] == root).all() and (first["event"] == "enter").all()
    term = ev[ev["event"].isin(TERMINAL)].groupby("call_id").size()
    calls = set(ev["call_id"])
    assert set(term.index) == calls - unterminated
    assert (term == 1).all()
    last = ev.groupby("call_id").tail(1)
    assert last.loc[~last["call_id"].isin(unterminated), "event"].isin(TERMINAL).all()
    # keys consistent with the menu: every enter after the first follows a key event of the parent
    prev = ev.shift()
    enter = (ev["event"] == "enter") & same
    e, p = ev[enter], prev[enter]
    assert (p["event"] == "key").all()
    down = (p["key"] != "*").fillna(True).astype(bool)
    assert (menu.loc[e.loc[down, "node"], "parent"].to_numpy() == p.loc[down, "node"].to_numpy()).all()
    assert (menu.loc[e.loc[down, "node"], "key"].to_numpy() == p.loc[down, "key"].to_numpy()).all()
    up = ~down
    assert (menu.loc[p.loc[up, "node"], "parent"].to_numpy() == e.loc[up, "node"].to_numpy()).all()
    # events carry keys only where they should; no_match keys are not offered by the menu
    assert ev.loc[ev["event"] == "key", "key"].notna().all()
    assert ev.loc[ev["event"].isin(["enter", "no_input", "transfer", "hangup", "complete"]), "key"].isna().all()
    nm = ev[ev["event"] == "no_match"]
    offered = set(zip(menu["parent"].dropna(), menu["key"].dropna()))
    assert not any((n, k) in offered for n, k in zip(nm["node"], nm["key"]))
    assert set(ev.loc[ev["event"] == "complete", "node"]) <= set(menu.index[menu["kind"] == "service"])


def test_event_log_invariants_csv(world):
    out, paths = world
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))
    ev = pd.read_csv(paths["ivr"], dtype={"key": str}, parse_dates=["ts"])
    assert set(ev["event"]) == {"enter", "key", "no_input", "no_match", "transfer", "hangup", "complete"}
    _check_log(ev, set(truth["ivr"]["unterminated_calls"]))


def test_event_log_noise_is_present_and_documented(big_ivr):
    ev, truth = big_ivr.events, big_ivr.truth
    n_calls = truth["calls"]
    assert ev.duplicated().sum() == truth["duplicate_rows"]
    assert truth["duplicate_rows"] / len(ev) == pytest.approx(S.PARAMS["dup_event_rate"], rel=0.3)
    assert len(truth["unterminated_calls"]) == round(n_calls * S.PARAMS["unterminated_rate"])
    # rows written late: the file is not sorted by time, but sorting restores every call
    assert not ev["ts"].is_monotonic_increasing
    ts = ev["ts"].to_numpy()
    assert (ts[1:] < ts[:-1]).sum() >= truth["displaced_rows"] * 0.5


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_calls=st.integers(1, 300), seed=st.integers(0, 2**31 - 1), noise=st.booleans())
def test_event_log_invariants_property(n_calls, seed, noise):
    world = S.simulate_ivr(n_calls, seed, noise=noise)
    unterminated = set(world.truth.get("unterminated_calls", []))
    assert world.events["call_id"].nunique() == n_calls
    _check_log(world.events.copy(), unterminated)
    if not noise:
        assert world.events["ts"].is_monotonic_increasing
        assert not world.events.duplicated().any()


# ------------------------------------------------------------------------------------------ planted rates


def test_self_service_calibration(big_ivr):
    """Recovered from the events alone (not from truth): ~79 % end in complete, mean ~35 s."""
    ev = _clean(big_ivr.events)
    ev["event"] = ev["event"].astype(str)
    g = ev.groupby("call_id", observed=True)
    outcome = ev[ev["event"].isin(TERMINAL)].set_index("call_id")["event"]
    dur = (g["ts"].max() - g["ts"].min()).dt.total_seconds()
    calls = len(g)
    self_service = (outcome == "complete")
    assert 0.74 <= self_service.sum() / calls <= 0.84
    assert 30 <= dur[self_service[self_service].index].mean() <= 40
    by_seg = self_service.groupby(ev.groupby("call_id", observed=True)["segment"].first()).mean()
    assert by_seg["动感地带"] > by_seg["政企"] + 0.05  # segments differ


def test_planted_hangup_nodes_stand_out(big_ivr):
    ev = big_ivr.events.drop_duplicates()
    ev = ev.assign(node=ev["node"].astype(str), event=ev["event"].astype(str))
    enters = ev[ev["event"] == "enter"].groupby("node").size()
    hang = ev[ev["event"] == "hangup"].groupby("node").size().reindex(enters.index, fill_value=0)
    rate = (hang / enters)[enters >= 100]
    planted = set(S.PARAMS["planted_hangup_nodes"])
    top = set(rate.sort_values(ascending=False).index[:len(planted)])
    assert top == planted
    assert rate[list(planted)].min() > 2 * rate.drop(list(planted)).median()


def test_zero_out_grows_with_depth_and_key_position():
    m = S._menu_arrays()
    P = S.PARAMS
    f = lambda d, pos: P["p_zero_menu"] * (1 + 0.6 * d + 0.35 * (pos - 1))  # noqa: E731
    assert f(2, 1) > f(0, 1) and f(0, 3) > f(0, 1)
    # popular services are planted deep or late in key order
    deep_popular = [t for t, w in P["target_popularity"].items()
                    if w >= 5 and (m.depth[m.ids.index(t)] >= 3 or m.position[m.ids.index(t)] >= 3)]
    assert "plan_vas_cancel" in deep_popular and "bill_detail_month" in deep_popular


def test_repeat_calls_within_24h(big_ivr):
    calls = big_ivr.calls.sort_values(["caller_id", "start"])
    end = calls["start"] + pd.to_timedelta(calls["duration_s"], unit="s")
    gap = calls["start"] - end.groupby(calls["caller_id"]).shift()
    within = (gap <= pd.Timedelta(hours=24)).sum()
    assert within >= big_ivr.truth["repeat_calls_within_24h"] * 0.9


# ------------------------------------------------------------------------------------------ customers and churn


def test_churn_pattern_in_files(world):
    out, paths = world
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))["customers"]
    labels = pd.read_csv(paths["labels"], keep_default_na=False)
    assert 0.08 <= labels["churned"].mean() <= 0.25
    churned = set(labels.loc[labels["churned"] == 1, "customer_id"])
    assert churned == set(truth["lifecycle"]["churn_pattern"]) | set(truth["lifecycle"]["silent_churn"])
    usage = pd.read_csv(paths["usage"]).drop_duplicates(["customer_id", "period"])
    bill = usage.pivot(index="customer_id", columns="period", values="bill")
    fb = pd.read_csv(paths["feedback"])
    fb = fb[fb["channel"] == "complaint"]
    fb["period"] = fb["ts"].str[:7]
    declined, rose, rise_rate, decl_rate = 0, 0, [], []
    pattern = truth["pattern_windows"]
    for cid, w in pattern.items():
        row = bill.loc[cid]
        before = row[[p for p in row.index if p < min(w["rise"] + w["decline"])]].dropna()
        dec = row[w["decline"]].dropna()
        if len(before) and len(dec):
            declined += (dec < 0.85 * before.median()).mean() >= 0.5
        mine = fb[fb["customer_id"] == cid]
        n_rise, n_decl = mine["period"].isin(w["rise"]).sum(), mine["period"].isin(w["decline"]).sum()
        rose += n_rise > 0
        rise_rate.append(n_rise / max(len(w["rise"]), 1))
        decl_rate.append(n_decl / max(len(w["decline"]), 1))
    # bill down >=15 % in the decline for nearly all; complaints mostly rise first (Poisson: some stay silent)
    assert declined >= 0.8 * len(pattern) and rose >= 0.6 * len(pattern)
    assert np.mean(rise_rate) > 5 * max(np.mean(decl_rate), 0.01)
    # no feedback after churn (complaints and calls stop)
    cp = labels.set_index("customer_id")["churn_period"]
    allfb = pd.read_csv(paths["feedback"])
    after = allfb["ts"].str[:7] >= allfb["customer_id"].map(cp).replace("", "9999-99")
    assert not after.any()


def test_lifecycle_shares_recovered():
    cust = S.customers_frame(20000, seed=3)
    names = np.array(S.LIFECYCLE_NAMES)[cust.lifecycle]
    for k, share in S.LIFECYCLE_SHARES.items():
        assert (names == k).mean() == pytest.approx(share, abs=0.01)
    assert (cust.churn_month >= 0).mean() == pytest.approx(
        S.LIFECYCLE_SHARES["churn_pattern"] + S.LIFECYCLE_SHARES["silent_churn"], abs=0.01)


def test_usage_quality_errors_match_truth(world):
    out, paths = world
    q = json.loads(paths["truth"].read_text(encoding="utf-8"))["usage_quality"]
    usage = pd.read_csv(paths["usage"])
    assert len(usage) == q["rows"]
    assert (usage["broadband_max_daily_seconds"] > 86400).sum() == len(q["broadband_over_86400"])
    assert (usage["long_distance_fee"] > usage["bill"]).sum() >= len(q["long_distance_over_bill"])
    neg = (usage[["minutes", "data_mb", "sms", "bill"]] < 0).any(axis=1).sum()
    assert neg == len(q["negative"])
    assert usage.duplicated(["customer_id", "period"]).sum() == len(q["duplicate"])
    assert usage[["minutes", "data_mb", "sms", "bill", "long_distance_fee"]].isna().any(axis=1).sum() == len(
        q["missing"])
    labels = pd.read_csv(paths["labels"], keep_default_na=False).set_index("customer_id")["churn_period"]
    cp = usage["customer_id"].map(labels)
    assert ((cp != "") & (usage["period"] >= cp)).sum() == len(q["usage_after_churn"])
    assert usage["broadband_max_daily_seconds"].isna().mean() > 0.3  # not everyone has broadband


# ------------------------------------------------------------------------------------------ complaint texts


def test_complaint_texts(world):
    out, paths = world
    c = pd.read_csv(paths["complaints"])
    truth = json.loads(paths["truth"].read_text(encoding="utf-8"))["complaints"]
    assert set(c["label"]) == set(S.T.LABELS)
    assert c["text"].nunique() / len(c) > 0.97
    assert c["text"].str.contains("客户|用户|客戶|用戶|机主|機主").mean() > 0.95
    phones = c["text"].str.contains(r"1[3-9]\d{9}")
    assert phones.sum() >= 0.4 * len(truth["pii"])
    assert c["text"].str.contains(r"\*{6}").sum() >= len(truth["masked"])
    fw = c["text"].str.contains("[０-９Ａ-Ｚａ-ｚ]")
    assert fw.sum() >= 1 and set(c.loc[fw, "id"]) <= set(truth["fullwidth"])
    if truth["traditional"]:
        assert c.set_index("id").loc[truth["traditional"], "text"].str.contains("戶|費|問|務|處|網|業").mean() > 0.8
    # label noise: the written label differs from the true cause for the listed ids only
    true = pd.Series(truth["true_cause"])
    differs = c.set_index("id")["label"] != true.reindex(c["id"]).to_numpy()
    assert set(differs[differs].index) == set(truth["label_noise"])
    assert len(truth["label_noise"]) / len(c) == pytest.approx(S.PARAMS["label_noise"], abs=0.03)


def test_id_numbers_have_valid_check_digit():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = S._id_number(rng)
        weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        assert len(n) == 18 and n[-1] == "10X98765432"[sum(int(a) * w for a, w in zip(n, weights)) % 11]


# ------------------------------------------------------------------------------------------ readable by io, CLI


@pytest.mark.parametrize("name, kind", [("ivr", "ivr_events"), ("complaints", "complaints"),
                                        ("feedback", "feedback"), ("usage", "usage"), ("labels", "labels")])
def test_readable_by_io(world, name, kind):
    out, paths = world
    table = read_table(paths[name], kind)
    assert table.read > 0 and len(table.rejected) == 0


def test_cli_samples(tmp_path):
    runner = CliRunner()
    out = tmp_path / "w"
    result = runner.invoke(app, ["samples", "--out", str(out), "--seed", "1", "--calls", "500", "--customers", "100"])
    assert result.exit_code == 0, result.output
    for f in ("menu.yaml", "ivr_events.csv", "complaints.csv", "feedback.csv", "usage.csv", "churn_labels.csv",
              "README.md", "truth.json"):
        assert (out / f).exists() and f"wrote {out / f}" in result.output
    assert pd.read_csv(out / "ivr_events.csv")["call_id"].nunique() == 500
    assert len(pd.read_csv(out / "churn_labels.csv")) == 100
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in readme and "truth.json" in readme
    assert re.search(r"self-service .* \d+\.\d %", readme)


def test_cli_parts_and_errors(tmp_path):
    runner = CliRunner()
    r = runner.invoke(app, ["samples", "--out", str(tmp_path), "--calls", "50", "--customers", "20",
                            "--part", "usage", "--format", "parquet"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "usage.parquet").exists() and not (tmp_path / "ivr_events.parquet").exists()
    assert runner.invoke(app, ["samples", "--out", str(tmp_path), "--format", "xlsx"]).exit_code == 2
    assert runner.invoke(app, ["samples", "--out", str(tmp_path), "--calls", "0"]).exit_code == 2
    r = runner.invoke(app, ["samples", "--out", str(tmp_path), "--start", "24-1", "--calls", "10"])
    assert r.exit_code == 1 and "error:" in r.output and "YYYY-MM" in r.output


def test_committed_sample_logs_match_generator(tmp_path):
    """sample_logs/ is exactly what `ivr-text samples --out sample_logs --seed 0` writes."""
    committed = REPO / "sample_logs"
    if not (committed / "truth.json").exists():
        pytest.skip("sample_logs/ not present")
    fresh = S.generate_world(tmp_path, seed=0)
    for name, p in fresh.items():
        assert (committed / p.name).read_bytes() == p.read_bytes(), f"sample_logs/{p.name} is stale; regenerate"
    size = sum(f.stat().st_size for f in committed.iterdir())
    assert size <= 5_000_000


def test_feedback_consistent_with_complaints_and_calls(world):
    out, paths = world
    comp = pd.read_csv(paths["complaints"])
    fb = pd.read_csv(paths["feedback"], keep_default_na=False)
    assert set(fb["channel"]) == {"complaint", "agent_call", "ivr_transfer"}
    mine = fb[fb["channel"] == "complaint"].sort_values(["customer_id", "ts"]).reset_index(drop=True)
    theirs = comp.sort_values(["customer_id", "ts"]).reset_index(drop=True)
    assert (mine[["customer_id", "ts"]].to_numpy() == theirs[["customer_id", "ts"]].to_numpy()).all()
    assert (mine.sort_values(["customer_id", "ts", "cause"])["cause"].to_numpy()
            == theirs.sort_values(["customer_id", "ts", "label"])["label"].to_numpy()).all()
    ev = pd.read_csv(paths["ivr"]).drop_duplicates()
    transfers = ev[ev["event"] == "transfer"]
    unterminated = json.loads(paths["truth"].read_text(encoding="utf-8"))["ivr"]["unterminated_calls"]
    n_fb = (fb["channel"] == "ivr_transfer").sum()  # the agent contact happened even where the log lost it
    assert transfers["call_id"].nunique() <= n_fb <= transfers["call_id"].nunique() + len(unterminated)


def test_churn_world_matches_files(world):
    out, paths = world
    mem = S.churn_world(400, seed=7, calls=1500)
    labels = pd.read_csv(paths["labels"], keep_default_na=False, dtype={"churn_period": str})
    assert (mem["labels"]["customer_id"].to_numpy() == labels["customer_id"].to_numpy()).all()
    assert (mem["labels"]["churned"].to_numpy() == labels["churned"].to_numpy()).all()
    usage = pd.read_csv(paths["usage"])
    assert len(mem["usage"]) == len(usage)
    assert np.allclose(mem["usage"]["bill"].to_numpy(), usage["bill"].to_numpy(), equal_nan=True)
    assert len(mem["feedback"]) == len(pd.read_csv(paths["feedback"]))


def test_custom_menu():
    """A user's own menu: leaves without a popularity weight are equally likely; keys follow that menu."""
    menu = {"nodes": [
        {"id": "top", "label": "主菜单", "parent": None, "key": None, "kind": "menu"},
        {"id": "a", "label": "查询", "parent": "top", "key": "1", "kind": "menu"},
        {"id": "a1", "label": "余额", "parent": "a", "key": "1", "kind": "service"},
        {"id": "a2", "label": "积分", "parent": "a", "key": "2", "kind": "service"},
        {"id": "b", "label": "办理", "parent": "top", "key": "2", "kind": "service"},
        {"id": "agent", "label": "人工", "parent": "top", "key": "0", "kind": "agent"},
    ]}
    world = S.simulate_ivr(400, seed=5, menu=menu, noise=False)
    ev = world.events
    assert set(ev["node"].astype(str)) <= {"top", "a", "a1", "a2", "b", "agent"}
    assert world.calls["target"].astype(str).nunique() == 4  # "agent" has a weight, the others the median
    _check_log(ev.copy(), set(), pd.DataFrame(menu["nodes"]).set_index("id"))


@settings(max_examples=60, deadline=None)
@given(start=st.text(max_size=10), months=st.integers(-2, 30))
def test_start_and_months_parsing_property(start, months):
    """Any start string: either a clear ValueError or exactly ``months`` consecutive YYYY-MM periods."""
    try:
        periods, bounds = S._periods(start, months)
    except ValueError as exc:
        assert "YYYY-MM" in str(exc) or "months" in str(exc)
        return
    assert len(periods) == months and len(bounds) == months + 1
    assert all(re.fullmatch(r"\d{4}-\d{2}", p) for p in periods)
    assert (np.diff(bounds.astype(np.int64)) > 0).all()
