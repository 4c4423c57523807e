"""The feedback–usage churn signal: per customer and period, phase, score, warning level and reasons.

Phases follow the operators' feedback–usage curve: ``stable`` (few complaints, steady usage) →
``problem`` (complaints rise, usage holds) → ``silent_decline`` (complaints fell silent after a remembered peak
— anywhere in the history, or within ``windows.peak_memory`` — while usage drops: the warning phase).
``usage_decline`` is a drop without such a history; ``insufficient_history`` lacks a usage baseline;
``no_usage`` has no usage row in the period. The usage index is per measure with stated weights
(:mod:`ivr_text.churn.usage_index`); windows shrink to fit short panels (:func:`~ivr_text.churn.windows.fit_windows`).
The operator rules (bill down ≥ 15 % three months running, ≥ 2 complaints in 3 months, ≥ 3 repeated fault
reports) and every threshold come from ``churn_rules.yaml``. ``signal_score`` = 1 − ∏(1 − wᵢ·cᵢ) over
components cᵢ ∈ [0, 1], so it stays in [0, 1] and rises with each piece of evidence; the weights are prior
assumptions (``churn train`` learns a model from labelled history). Everything is computed on dense
(customers × periods) arrays: 1 M customers × 12 months + 3 M events in about 15–20 s (benchmarks/bench_churn.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ivr_text.churn.flags import join_flags
from ivr_text.churn.panel import Panel
from ivr_text.churn.periods import period_label
from ivr_text.churn.usage_index import RATIO_CAP, index_change, index_weights, primary_measure
from ivr_text.churn.windows import fit_windows, lag_mean, lag_sum, run_length, running_peak, runs_of, shifted

PHASES = ("insufficient_history", "no_usage", "stable", "problem", "silent_decline", "usage_decline")
LEVELS = ("none", "low", "medium", "high")


@dataclass
class Signal:
    """Per (customer × period) arrays of the signal, aligned with ``panel``."""

    panel: Panel
    config: dict
    windows: dict                # the windows used (adapted to short panels, see windows_note)
    windows_note: str | None
    feedback_recent: np.ndarray
    feedback_baseline: np.ndarray
    feedback_trend: np.ndarray
    feedback_peak: np.ndarray    # feedback in the recent-length window at the remembered peak (before the recent window)
    peak_age: np.ndarray         # periods from the peak window's last period to this one (0 = no peak)
    feedback_window: np.ndarray
    usage: np.ndarray
    usage_baseline: np.ndarray
    usage_index: np.ndarray
    usage_change: np.ndarray
    bill_change: np.ndarray | None
    bill_baseline: np.ndarray | None
    phase: np.ndarray            # int8 codes into PHASES
    score: np.ndarray            # float32 in [0, 1]
    level: np.ndarray            # int8 codes into LEVELS
    rules: dict                  # rule name → (C × P) bool
    rules_skipped: dict          # rule name → reason
    primary: str
    weights: dict                # usage index: measure → weight
    bases: dict                  # usage index measures: measure → (C × P) baseline


def compute_signal(panel: Panel, config: dict) -> Signal:
    """Compute every signal array from a :func:`~ivr_text.churn.panel.build_panel` panel."""
    w, note = fit_windows(config["windows"], panel.n_periods)
    recent, base_w, peak_w = int(w["recent"]), int(w["baseline"]), int(w["peak"])
    min_base = int(w.get("min_baseline", 2))
    ph = config["phases"]
    # baseline: the `base_w` periods before the recent window, so a fresh decline is compared with before
    base_lo, base_hi = recent, recent + base_w - 1

    fb = panel.feedback.astype(np.float32)
    fb_recent = lag_sum(fb, 0, recent - 1).astype(np.float32)
    fb_base = (lag_sum(fb, base_lo, base_hi) / np.maximum(
        np.minimum(np.arange(panel.n_periods) - base_lo + 1, base_w), 1)).astype(np.float32)
    fb_base[:, np.arange(panel.n_periods) < base_lo] = np.nan
    fb_trend = (fb_recent / recent - fb_base).astype(np.float32)
    fb_window = lag_sum(fb, 0, peak_w - 1).astype(np.float32)
    # the remembered peak: the largest recent-length window ending before the current recent window
    # (peak_memory: a peak window that ended more than that many periods ago is forgotten)
    memory, half_life = int(w.get("peak_memory", 0) or 0), float(w.get("peak_half_life", 0) or 0)
    earlier = shifted(fb_recent, recent, np.float32(0))
    if memory and memory < recent:
        earlier = np.zeros_like(earlier)
    peak, peak_lag = running_peak(earlier, memory - recent + 1 if memory else 0, half_life)
    effective = peak * (0.5 ** (peak_lag / half_life)) if half_life > 0 else peak
    peak_age = np.where(peak > 0, peak_lag + recent, 0).astype(np.int16)

    weights = index_weights(config, panel.measures)
    primary = primary_measure(config, panel.measures)
    bases = {m: lag_mean(panel.measures[m], base_lo, base_hi, min_base) for m in dict.fromkeys([*weights, primary])}
    usage_change = index_change(panel.measures, bases, weights).astype(np.float32)
    usage_index = usage_change + np.float32(1.0)

    # ---- operator rules
    rules, skipped, bill_change, bill_base = _rules(panel, config, w)

    # ---- phases
    problem_min = float(ph["problem_min_feedback"])
    drop = usage_change <= -float(ph["decline_threshold"])
    elevated_now = fb_recent >= problem_min
    peak_min = remembered_peak_min(fb_recent, panel.has_usage, problem_min, float(ph.get("peak_surprise", 0) or 0))
    elevated_history = effective >= peak_min[None, :]
    fallen_back = fb_recent <= float(ph["fall_ratio"]) * effective
    quiet = elevated_history & fallen_back & ~elevated_now      # fell silent after a complaint rise
    if "complaints_recent" in rules:
        quiet &= ~rules["complaints_recent"]          # silent means no complaint rule firing either
    silent = quiet & drop
    phase = np.full_like(panel.has_usage, PHASES.index("stable"), dtype=np.int8)
    phase[np.isnan(usage_change)] = PHASES.index("insufficient_history")
    phase[drop] = PHASES.index("usage_decline")
    phase[elevated_now] = PHASES.index("problem")
    phase[silent] = PHASES.index("silent_decline")
    phase[~panel.has_usage] = PHASES.index("no_usage")

    # ---- score (noisy-OR of weighted components)
    sc = config["score"]
    comp = [
        (float(sc["usage_decline"]["weight"]),
         np.clip(-np.nan_to_num(usage_change) / float(sc["usage_decline"]["full_at"]), 0, 1)),
        # complaints behind a usage drop (the curve); complaints while usage holds are only the precursor
        (float(sc["feedback_history"]["weight"]),
         np.clip(fb_window / float(sc["feedback_history"]["full_at"]), 0, 1) * drop),
        (float(sc["silent_decline"]["weight"]), silent),
        (float(sc.get("problem", {}).get("weight", 0.0)), elevated_now & ~drop),
    ]
    rule_cfg = config.get("rules", {})
    comp += [(float(rule_cfg[name].get("weight", 0.0)), fired) for name, fired in rules.items()]
    keep = np.ones_like(panel.has_usage, dtype=np.float32)
    for weight, c in comp:
        keep *= (1.0 - np.clip(weight, 0, 1) * c).astype(np.float32)
    score = (1.0 - keep).astype(np.float32)
    score[~panel.has_usage & (fb_window == 0)] = 0.0

    level = np.zeros_like(score, dtype=np.int8)
    for i, name in enumerate(LEVELS[1:], start=1):
        level[score >= float(config["warning_levels"][name])] = i
    return Signal(panel=panel, config=config, windows=w, windows_note=note, feedback_recent=fb_recent,
                  feedback_baseline=fb_base, feedback_trend=fb_trend, feedback_peak=peak.astype(np.float32),
                  peak_age=peak_age, feedback_window=fb_window,
                  usage=panel.measures[primary].astype(np.float32), usage_baseline=bases[primary].astype(np.float32),
                  usage_index=usage_index, usage_change=usage_change, bill_change=bill_change,
                  bill_baseline=bill_base, phase=phase, score=score, level=level, rules=rules, rules_skipped=skipped,
                  primary=primary, weights=weights, bases=bases)


def remembered_peak_min(fb_recent: np.ndarray, observed: np.ndarray, problem_min: float, surprise: float) -> np.ndarray:
    """Per period, the smallest remembered peak that counts as a complaint rise: at least ``problem_min`` and,
    with ``surprise`` > 0, a window count that customers at the population's mean rate (over the periods up to
    this one only, so no later data moves it) reach by chance in at most that share of windows (Poisson tail) —
    so a panel whose feedback includes routine contacts needs a larger peak."""
    P = fb_recent.shape[1]
    out = np.full(P, float(problem_min))
    if not surprise:
        return out
    from scipy.stats import poisson

    total = np.cumsum(np.where(observed, fb_recent, 0).sum(axis=0, dtype=np.float64))
    count = np.cumsum(observed.sum(axis=0))
    for t in range(P):
        lam = total[t] / count[t] if count[t] else 0.0
        k = max(int(np.ceil(problem_min)), 1)
        while poisson.sf(k - 1, lam) > surprise:
            k += 1
        out[t] = k
    return out


def _rules(panel: Panel, config: dict, w: dict):
    cfg = config.get("rules", {})
    rules, skipped, bill_change, run_base = {}, {}, None, None
    if "bill_decline" in cfg:
        r = cfg["bill_decline"]
        names = r.get("column", "bill")
        names = [names] if isinstance(names, str) else list(names)
        months, drop = int(r.get("months", 3)), float(r.get("drop", 0.15))
        column = next((c for c in names if c in panel.measures), None)
        need = months + int(w.get("min_baseline", 2))
        if column is None:
            skipped["bill_decline"] = (f"usage has no bill column ({', '.join(map(str, names))}); name yours with "
                                       f"--usage-map bill=YOUR_COLUMN")
        elif panel.n_periods < need:
            skipped["bill_decline"] = (f"{months} months running + {need - months} baseline months need {need} "
                                       f"periods, the usage has {panel.n_periods}; set rules.bill_decline.months")
        else:
            bill = panel.measures[column]
            # each month of the run is `drop` below the baseline measured before the run started
            run_base = lag_mean(bill, months, months + int(w["baseline"]) - 1, int(w.get("min_baseline", 2)))
            with np.errstate(invalid="ignore", divide="ignore"):
                bill_change = (bill / run_base - 1.0).astype(np.float32)
                if r.get("compare", "baseline") == "previous":
                    down = bill <= (1 - drop) * shifted(bill, 1, np.nan)
                    rules["bill_decline"] = runs_of(down, months)
                else:
                    fired = np.ones_like(bill, dtype=bool)
                    for lag in range(months):
                        fired &= shifted(bill, lag, np.nan) <= (1 - drop) * run_base
                    rules["bill_decline"] = fired & (run_base > 0)
            run_base = run_base.astype(np.float32)
    if "complaints_recent" in cfg:
        r = cfg["complaints_recent"]
        rules["complaints_recent"] = lag_sum(panel.complaints.astype(np.float32), 0, int(r.get("months", 3)) - 1) \
            >= float(r.get("min_count", 2))
    if "repeated_faults" in cfg:
        r = cfg["repeated_faults"]
        if panel.events["cause"].isna().all():
            skipped["repeated_faults"] = "feedback has no cause column/values"
        else:
            rules["repeated_faults"] = lag_sum(panel.faults.astype(np.float32), 0, int(r.get("months", 6)) - 1) \
                >= float(r.get("min_count", 3))
    return rules, skipped, bill_change, run_base


# ------------------------------------------------------------------------------------------ outputs


def rule_descriptions(config: dict) -> dict[str, str]:
    """Rule name → Chinese description with its thresholds filled in."""
    out = {}
    for name, r in config.get("rules", {}).items():
        try:
            out[name] = str(r.get("description", name)).format(**r)
        except (KeyError, ValueError, IndexError):
            out[name] = str(r.get("description", name))
    return out


def _reason_flags(sig: Signal, rows: np.ndarray | slice):
    labels = sig.config["phases"]["labels"]
    decline = float(sig.config["phases"]["decline_threshold"])
    desc = rule_descriptions(sig.config)
    names = list(sig.rules)
    flags = [sig.phase.reshape(-1)[rows] == PHASES.index("silent_decline"),
             np.nan_to_num(sig.usage_change.reshape(-1)[rows]) <= -decline]
    text = [f"{labels['silent_decline']}（投诉回落、用量下降）", f"用量较基线下降≥{decline:.0%}"]
    for n in names:
        flags.append(sig.rules[n].reshape(-1)[rows])
        text.append(desc[n])
    return np.column_stack(flags), text, names


def observed_rows(p: Panel) -> np.ndarray:
    """(C × P) mask: periods between a customer's first and last usage row or feedback event."""
    seen = p.has_usage | (p.feedback > 0)
    P = seen.shape[1]
    first = np.where(seen.any(axis=1), seen.argmax(axis=1), P)
    last = P - 1 - seen[:, ::-1].argmax(axis=1)
    t = np.arange(P)
    return (t[None, :] >= first[:, None]) & (t[None, :] <= last[:, None])


def customer_periods(sig: Signal, include_all: bool = False) -> pd.DataFrame:
    """Tidy table, one row per customer and period between the customer's first and last observation."""
    p = sig.panel
    C, P = p.has_usage.shape
    rows = np.ones(C * P, dtype=bool) if include_all else observed_rows(p).reshape(-1)
    idx = np.flatnonzero(rows)
    code, col = np.divmod(idx, P)
    flags, text, names = _reason_flags(sig, idx)
    rule_flags = flags[:, 2:]

    def cat(values_codes, categories):
        return pd.Categorical.from_codes(values_codes, categories=list(categories))

    def flat(a):
        return a.reshape(-1)[idx]

    reasons = join_flags(flags, text)
    fired = join_flags(rule_flags, names, sep=";")
    out = pd.DataFrame({
        "customer_id": pd.Categorical.from_codes(code, categories=pd.Index(p.customers)),
        "period": cat(col, p.periods()),
        "feedback_count": flat(p.feedback),
        "feedback_recent": flat(sig.feedback_recent),
        "feedback_baseline": flat(sig.feedback_baseline),
        "feedback_trend": flat(sig.feedback_trend),
        "feedback_peak": flat(sig.feedback_peak),
        "periods_since_feedback_peak": flat(sig.peak_age),
        "usage": flat(sig.usage),
        "usage_baseline": flat(sig.usage_baseline).astype(np.float32),
        "usage_index": flat(sig.usage_index),
        "usage_change": flat(sig.usage_change),
    })
    if sig.bill_change is not None:
        out["bill_rule_change"] = flat(sig.bill_change)
    out["phase"] = cat(flat(sig.phase), PHASES)
    out["signal_score"] = flat(sig.score).round(4)
    out["warning_level"] = cat(flat(sig.level), LEVELS)
    out["rules_fired"] = pd.Categorical(fired)
    out["reasons"] = pd.Categorical(reasons)
    out.attrs["usage_measure"] = sig.primary
    return out


def _top_causes(p: Panel, codes: np.ndarray, lo_col: int, hi_col: int, k: int) -> pd.Series:
    """'cause×n; cause×n' of the ``k`` commonest feedback causes of ``codes`` within columns lo..hi."""
    ev = p.events
    sel = ev[(ev["col"] >= lo_col) & (ev["col"] <= hi_col) & ev["code"].isin(codes) & ev["cause"].notna()]
    if sel.empty:
        return pd.Series("", index=codes, dtype=object)
    counts = sel.groupby(["code", "cause"], observed=True).size().rename("n").reset_index()
    counts = counts.sort_values(["code", "n", "cause"], ascending=[True, False, True])
    top = counts.groupby("code").head(k)
    top = top.assign(pos=top.groupby("code").cumcount().to_numpy(),
                     text=(top["cause"].astype(str) + "×" + top["n"].astype(str)).to_numpy(dtype=object))
    wide = top.pivot(index="code", columns="pos", values="text")
    joined = wide[0].astype(object)
    for pos in wide.columns[1:]:   # k string concatenations, not one join per customer
        nxt = wide[pos]
        joined = joined.where(nxt.isna(), joined + "; " + nxt.astype(object))
    return joined.reindex(codes).fillna("")


def warning_list(sig: Signal, as_of: int | None = None, min_level: str | None = None) -> pd.DataFrame:
    """流失预警名单: customers at or above ``min_level`` in period ``as_of`` (a period index), ranked.

    Every figure a reason quotes is a column of the same row (see :func:`reason_texts`).
    """
    p = sig.panel
    col = p.n_periods - 1 if as_of is None else p.column_of(as_of)
    if not 0 <= col < p.n_periods:
        raise ValueError(f"as-of period {period_label(as_of)} is outside {p.info['first_period']}..{p.info['last_period']}")
    wl = sig.config.get("warning_list", {})
    min_code = LEVELS.index(min_level or wl.get("min_level", "low"))
    warned_since = run_length(sig.level >= min_code)[:, col] if min_code > 0 else None
    codes = np.flatnonzero(sig.level[:, col] >= max(min_code, 1))
    score = sig.score[codes, col]
    order = np.lexsort((-sig.feedback_window[codes, col], -score))
    codes = codes[order]
    out = pd.DataFrame({
        "rank": np.arange(1, len(codes) + 1),
        "customer_id": p.customers[codes],
        "period": period_label(p.first_period + col),
        "signal_score": sig.score[codes, col].round(4),
        "warning_level": np.asarray(LEVELS, dtype=object)[sig.level[codes, col]],
        "phase": np.asarray(PHASES, dtype=object)[sig.phase[codes, col]],
        "phase_label": [sig.config["phases"]["labels"].get(PHASES[i], PHASES[i]) for i in sig.phase[codes, col]],
        "periods_warned": warned_since[codes] if warned_since is not None else 1,
    })
    out = pd.concat([out, customer_figures(sig, codes, col)], axis=1)
    peak_w = int(sig.windows["peak"])
    out["top_causes"] = _top_causes(p, codes, col - peak_w + 1, col, int(wl.get("top_causes", 3))).to_numpy()
    out["reasons"] = reason_texts(sig, out, col)
    return out


def customer_figures(sig: Signal, codes: np.ndarray, col: int) -> pd.DataFrame:
    """The figures behind the reasons for customers ``codes`` at column ``col`` (one row each)."""
    p = sig.panel
    out = {
        "feedback_recent": sig.feedback_recent[codes, col],
        "feedback_in_peak_window": sig.feedback_window[codes, col],
        "feedback_peak": sig.feedback_peak[codes, col],
        "periods_since_feedback_peak": sig.peak_age[codes, col],
        "usage_measure": sig.primary,
        "usage": sig.usage[codes, col],
        "usage_baseline": sig.usage_baseline[codes, col],
        "usage_change": sig.usage_change[codes, col].round(4),
    }
    if list(sig.weights) != [sig.primary]:
        for m in sig.weights:
            out[f"usage_{m}"] = p.measures[m][codes, col].astype(np.float32)
            out[f"usage_{m}_baseline"] = sig.bases[m][codes, col].astype(np.float32)
    if sig.bill_change is not None:
        column = next(c for c in _names(sig.config["rules"]["bill_decline"].get("column", "bill")) if c in p.measures)
        out["bill_measure"] = column
        out["bill"] = p.measures[column][codes, col].astype(np.float32)
        out["bill_rule_baseline"] = sig.bill_baseline[codes, col]
        out["bill_rule_change"] = sig.bill_change[codes, col].round(4)
    cfg = sig.config.get("rules", {})
    if "complaints_recent" in sig.rules:
        m = int(cfg["complaints_recent"].get("months", 3))
        out["complaints_recent"] = p.complaints[codes, max(col - m + 1, 0):col + 1].sum(axis=1)
    if "repeated_faults" in sig.rules:
        m = int(cfg["repeated_faults"].get("months", 6))
        out["faults_recent"] = p.faults[codes, max(col - m + 1, 0):col + 1].sum(axis=1)
    fired = np.column_stack([sig.rules[n][codes, col] for n in sig.rules]) if sig.rules else \
        np.zeros((len(codes), 0), bool)
    out["rules_fired"] = join_flags(fired, list(sig.rules), sep=";")
    return pd.DataFrame(out)


def _names(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def shown(v: float) -> str:
    """A figure as a reason quotes it: ``1,234`` from 10 up, else at most 2 decimals; ``–`` if missing."""
    if not np.isfinite(v):
        return "–"
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.2f}".rstrip("0").rstrip(".")


def shown_value(text: str) -> float:
    """The number a :func:`shown` text stands for (so a quoted percentage can be recomputed from it)."""
    return float(text.replace(",", "")) if text != "–" else float("nan")


def shown_change(values: list[str], bases: list[str], weights: list[float]) -> float:
    """The usage-index change recomputed from quoted figures: ``Σ w·clip(v/b) / Σ w − 1``."""
    num = den = 0.0
    for v, b, w in zip(values, bases, weights):
        v, b = shown_value(v), shown_value(b)
        if np.isfinite(v) and np.isfinite(b) and b > 0:
            num += w * min(max(v / b, 0.0), RATIO_CAP)
            den += w
    return num / den - 1.0 if den else float("nan")


def reason_texts(sig: Signal, warn: pd.DataFrame, col: int) -> np.ndarray:
    """Chinese reasons with each customer's own figures, e.g. ``用量较基线下降36%（minutes 329，基线518）``.

    The percentage of a usage reason is computed from exactly the figures it quotes (:func:`shown_change`),
    a bill reason's from the bill and the baseline before the run; the silent-decline reason names the peak's
    period and size and the feedback since. Thresholds come from the same config as the phases and rules.
    """
    cfg, ph = sig.config, sig.config["phases"]
    decline, recent = float(ph["decline_threshold"]), int(sig.windows["recent"])
    desc = rule_descriptions(cfg)
    weighted = list(sig.weights) != [sig.primary]
    measures = list(sig.weights) if weighted else [sig.primary]
    vcols = [f"usage_{m}" for m in measures] if weighted else ["usage"]
    bcols = [f"{c}_baseline" for c in vcols]
    wts = [sig.weights[m] for m in measures]
    period_idx = sig.panel.first_period + col
    out = []
    for r in warn.to_dict("records"):
        parts = []
        if r["phase"] == "silent_decline":
            end = period_idx - int(r["periods_since_feedback_peak"])
            span = period_label(end) if recent == 1 else f"{period_label(end - recent + 1)}至{period_label(end)}"
            parts.append(f"沉默下降期：投诉高峰期{span}共{int(r['feedback_peak'])}次，"
                         f"近{recent}个月回落到{int(r['feedback_recent'])}次，用量同时下降")
        if np.isfinite(r["usage_change"]) and r["usage_change"] <= -decline:
            vs, bs = [shown(float(r[c])) for c in vcols], [shown(float(r[c])) for c in bcols]
            pct = -shown_change(vs, bs, wts)
            if weighted:
                figs = "，".join(f"{m} {v}，基线{b}，权重{w:g}" for m, v, b, w in zip(measures, vs, bs, wts))
                parts.append(f"用量指数较基线下降{pct:.0%}（{figs}）")
            else:
                parts.append(f"用量较基线下降{pct:.0%}（{sig.primary} {vs[0]}，基线{bs[0]}）")
        fired = set(str(r["rules_fired"]).split(";"))
        for name in sig.rules:
            if name not in fired:
                continue
            if name == "bill_decline":
                v, b = shown(float(r["bill"])), shown(float(r["bill_rule_baseline"]))
                parts.append(f"{desc[name]}（{r['bill_measure']} {v}，基线{b}，{shown_change([v], [b], [1.0]):+.0%}）")
            elif name == "complaints_recent":
                parts.append(f"{desc[name]}（{int(r['complaints_recent'])}次）")
            elif name == "repeated_faults":
                parts.append(f"{desc[name]}（{int(r['faults_recent'])}次）")
            else:
                parts.append(desc[name])
        out.append("; ".join(parts))
    return np.asarray(out, dtype=object)


def phase_summary(sig: Signal) -> pd.DataFrame:
    """Cohorts by phase per period: customers, mean feedback, mean usage index, mean score."""
    p = sig.panel
    C, P = p.has_usage.shape
    observed = observed_rows(p).reshape(-1)
    key = (np.arange(P)[None, :] * len(PHASES) + sig.phase).reshape(-1)
    n = np.bincount(key[observed], minlength=P * len(PHASES))

    def mean(a):
        a = a.reshape(-1).astype(np.float64)
        ok = ~np.isnan(a) & observed
        s = np.bincount(key[ok], weights=a[ok], minlength=P * len(PHASES))
        k = np.bincount(key[ok], minlength=P * len(PHASES))
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / k

    periods = np.repeat(p.periods(), len(PHASES))
    out = pd.DataFrame({"period": periods, "phase": np.tile(PHASES, P), "customers": n,
                        "feedback_mean": mean(p.feedback), "usage_index_mean": mean(sig.usage_index),
                        "signal_score_mean": mean(sig.score)})
    return out[out["customers"] > 0].reset_index(drop=True)


def signal_summary(sig: Signal, as_of: int | None = None) -> dict:
    """Counts for the run: matching, phases and warning levels at ``as_of`` (default the last period)."""
    p = sig.panel
    col = p.n_periods - 1 if as_of is None else p.column_of(as_of)
    info = {k: v for k, v in p.info.items() if not k.startswith("_")}
    info["as_of"] = period_label(p.first_period + col)
    active = p.has_usage[:, col] | (p.feedback[:, col] > 0)
    info["phases_at_as_of"] = {PHASES[i]: int(((sig.phase[:, col] == i) & active).sum()) for i in range(len(PHASES))}
    info["warning_levels_at_as_of"] = {LEVELS[i]: int(((sig.level[:, col] == i) & active).sum())
                                       for i in range(len(LEVELS))}
    info["rules_fired_at_as_of"] = {n: int(r[:, col].sum()) for n, r in sig.rules.items()}
    info["rules_skipped"] = sig.rules_skipped
    info["usage_measure"] = sig.primary
    info["usage_index_weights"] = sig.weights
    info["windows_used"] = {k: sig.windows[k] for k in ("recent", "baseline", "min_baseline", "peak")}
    if sig.windows_note:
        info["windows_note"] = sig.windows_note
    return info
