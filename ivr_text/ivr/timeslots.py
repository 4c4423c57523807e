"""KPIs by time of day, weekday and period, and the hours at which a rate stands out.

Each call belongs to the hour, weekday and period of its start (clock time as logged, time zone dropped).
:func:`time_tables` gives, per hour 0–23 (every hour, also those without calls), per weekday (Monday = 0) and per
period (day, week or month, chosen by the span of the data: see :func:`period_unit`), the calls, the outcome
rates, the hang-up rate inside the IVR menus (not in a queue), the calls that entered a queue and the share
of them abandoned in the queue, and the mean call seconds. A rate of an outcome the source does not record
is None (see :func:`ivr_text.ivr.metrics.not_measured`).
:func:`elevated_hours` finds the runs of hours whose rate is above the rest of the day (a scan over runs of
consecutive hours, exact one-sided tests, Bonferroni over the runs; see there); :func:`slot_text` writes such
hours as clock ranges (``01:00–06:00``). All per-call work is bincounts: a few milliseconds per million calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ivr_text.ivr.calllog import NS, OUT_COMPLETE, OUT_HANGUP, OUT_TRANSFER, OUT_UNKNOWN, OUTCOMES, CallLog

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
TIME_COLUMNS = ["calls", "completes", "transfers", "hangups", "unknown_ends", "self_service_rate", "transfer_rate",
                "abandon_rate", "unknown_end_rate", "ivr_hangups", "ivr_hangup_rate", "queue_calls",
                "queue_hangups", "queue_abandon_rate", "mean_call_seconds"]
_DAY = 86400 * NS


def call_hours(log: CallLog) -> np.ndarray:
    """Hour of day (0–23) of each call's start."""
    return ((log.call_start // (3600 * NS)) % 24).astype(np.int64)


def call_weekdays(log: CallLog) -> np.ndarray:
    """Weekday of each call's start, Monday = 0 (1970-01-01 was a Thursday)."""
    return ((log.call_start // _DAY + 3) % 7).astype(np.int64)


def period_unit(log: CallLog) -> str:
    """``day`` for data spanning up to 31 days, ``week`` up to 26 weeks, else ``month``."""
    if log.n_calls == 0:
        return "day"
    span = (int(log.call_start.max()) - int(log.call_start.min())) / _DAY
    return "day" if span <= 31 else "week" if span <= 182 else "month"


def call_periods(log: CallLog, unit: str) -> tuple[np.ndarray, list[str]]:
    """Per call a period number (0 = first period of the data) and the periods' labels
    (``2024-03-05``, ``2024-W10`` — ISO week —, ``2024-03``)."""
    if unit not in ("day", "week", "month"):
        raise ValueError(f"unknown period unit {unit!r}")
    days = log.call_start // _DAY
    if not len(days):
        return np.zeros(0, dtype=np.int64), []
    d0 = int(days.min())
    span = np.arange(d0, int(days.max()) + 1)  # every day of the data, once
    if unit == "day":
        key_of_day = span
    elif unit == "week":
        key_of_day = (span + 3) // 7  # weeks from Monday 1969-12-29
    else:
        key_of_day = span.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first = int(key_of_day[0])
    idx = (key_of_day - first)[days - d0].astype(np.int64)
    labels = []
    for v in range(first, int(key_of_day[-1]) + 1):
        if unit == "day":
            labels.append(str(np.datetime64(v, "D")))
        elif unit == "week":
            iso = pd.Timestamp(np.datetime64(v * 7 - 3, "D")).isocalendar()
            labels.append(f"{iso.year}-W{iso.week:02d}")
        else:
            labels.append(str(np.datetime64(v, "M")))
    return idx, labels


@dataclass
class CallFlags:
    """Per call: entered a queue node; ended at a queue node (a hang-up there is abandonment in the queue)."""

    queued: np.ndarray
    at_queue: np.ndarray
    has_queues: bool


def call_flags(log: CallLog, kinds: np.ndarray, ent) -> CallFlags:
    is_queue = kinds == "queue"
    queued = np.zeros(log.n_calls, dtype=np.int64)
    at_queue = np.zeros(log.n_calls, dtype=np.int64)
    if is_queue.any() and len(ent.node):
        queued[ent.call[is_queue[ent.node]]] = 1
        at_queue = is_queue[log.call_node].astype(np.int64)
        queued |= at_queue  # a call ending at a queue node was in it
    return CallFlags(queued, at_queue, bool(is_queue.any()))


def call_states(log: CallLog, flags: CallFlags) -> np.ndarray:
    """One state per call in 0..15: outcome (4) × entered a queue (2) × ended at a queue node (2)."""
    return log.call_outcome.astype(np.int64) * 4 + flags.queued * 2 + flags.at_queue


def slot_table(log: CallLog, flags: CallFlags, group: np.ndarray, n_groups: int,
               recorded: tuple[str, ...] = OUTCOMES, state: np.ndarray | None = None,
               seconds: np.ndarray | None = None) -> pd.DataFrame:
    """:data:`TIME_COLUMNS` for each group ``0..n_groups-1`` of calls (rows in group order); ``state`` and
    ``seconds`` (per call, :func:`call_states` and call seconds) may be passed when several tables are made."""
    state = call_states(log, flags) if state is None else state
    seconds = (log.call_end - log.call_start) / NS if seconds is None else seconds
    return _table(*_counts(group, n_groups, state, seconds), flags, recorded)


def _counts(group: np.ndarray, n_groups: int, state: np.ndarray, seconds: np.ndarray):
    """Calls per (group, state) and call seconds per group."""
    m = np.bincount(group * 16 + state, minlength=16 * n_groups).reshape(n_groups, 16)
    return m, np.bincount(group, weights=seconds, minlength=n_groups)


def _table(m: np.ndarray, secs: np.ndarray, flags: CallFlags, recorded: tuple[str, ...]) -> pd.DataFrame:
    m = m.reshape(-1, 4, 2, 2)
    by_out = m.sum(axis=(2, 3))
    calls = by_out.sum(axis=1)
    hang = m[:, OUT_HANGUP]
    queue_calls = m[:, :, 1, :].sum(axis=(1, 2))
    queue_hangups = hang[:, 1, 1] + hang[:, 0, 1]  # ended at a queue node (entered it, by construction)
    ivr_hangups = hang[:, :, 0].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = lambda k, n: np.where(n > 0, k / np.maximum(n, 1), np.nan)  # noqa: E731
        df = pd.DataFrame({
            "calls": calls, "completes": by_out[:, OUT_COMPLETE], "transfers": by_out[:, OUT_TRANSFER],
            "hangups": by_out[:, OUT_HANGUP], "unknown_ends": by_out[:, OUT_UNKNOWN],
            "self_service_rate": share(by_out[:, OUT_COMPLETE], calls),
            "transfer_rate": share(by_out[:, OUT_TRANSFER], calls), "abandon_rate": share(by_out[:, OUT_HANGUP], calls),
            "unknown_end_rate": share(by_out[:, OUT_UNKNOWN], calls), "ivr_hangups": ivr_hangups,
            "ivr_hangup_rate": share(ivr_hangups, calls), "queue_calls": queue_calls, "queue_hangups": queue_hangups,
            "queue_abandon_rate": share(queue_hangups, queue_calls) if flags.has_queues else np.nan,
            "mean_call_seconds": share(secs, calls)})
    for col, outcome in (("self_service_rate", "complete"), ("transfer_rate", "transfer"),
                         ("abandon_rate", "hangup"), ("ivr_hangup_rate", "hangup"),
                         ("queue_abandon_rate", "hangup")):
        if outcome not in recorded:
            df[col] = np.nan
    return df[TIME_COLUMNS]


@dataclass
class TimeTables:
    by_hour: pd.DataFrame
    by_weekday: pd.DataFrame
    by_period: pd.DataFrame
    period: str
    hours: np.ndarray  # per call: hour of day

    def to_json(self) -> dict:
        """The three tables as lists of records (NaN → None), plus the period unit."""
        rec = lambda df: df.astype(object).where(df.notna(), None).to_dict("records")  # noqa: E731
        return {"period": self.period, "by_hour": rec(self.by_hour), "by_weekday": rec(self.by_weekday),
                "by_period": rec(self.by_period)}


def time_tables(log: CallLog, flags: CallFlags, recorded: tuple[str, ...] = OUTCOMES) -> TimeTables:
    """KPIs per hour of day (0–23, every hour), weekday (Monday–Sunday) and period."""
    hours = call_hours(log)
    state, seconds = call_states(log, flags), (log.call_end - log.call_start) / NS
    # hour and weekday at once: one table of the 168 (weekday, hour) cells, summed either way
    week_hour = call_weekdays(log) * 24 + hours
    both = _counts(week_hour, 168, state, seconds)
    h = _table(*(x.reshape((7, 24) + x.shape[1:]).sum(axis=0) for x in both), flags, recorded)
    h.insert(0, "hour", np.arange(24))
    h.insert(1, "slot", [f"{k:02d}:00–{(k + 1) % 24:02d}:00" for k in range(24)])
    w = _table(*(x.reshape((7, 24) + x.shape[1:]).sum(axis=1) for x in both), flags, recorded)
    w.insert(0, "weekday", np.arange(7))
    w.insert(1, "day", list(WEEKDAYS))
    unit = period_unit(log)
    idx, labels = call_periods(log, unit)
    p = slot_table(log, flags, idx, len(labels), recorded, state, seconds)
    p.insert(0, "period", labels)
    p.insert(1, "unit", unit)
    return TimeTables(h, w, p, unit, hours)


# ------------------------------------------------------------------------------------------ elevated hours


def _windows(max_len: int) -> np.ndarray:
    """Membership (windows × 24) of every run of 1…``max_len`` consecutive hours, wrapping round midnight."""
    starts = np.repeat(np.arange(24), max_len)
    lengths = np.tile(np.arange(1, max_len + 1), 24)
    member = np.zeros((24 * max_len, 24), dtype=bool)
    for w, (a, n) in enumerate(zip(starts, lengths)):
        member[w, (a + np.arange(n)) % 24] = True
    return member


def hypergeom_sf(k: int, total: int, successes: int, draws: int) -> float:
    """P(X ≥ k) for X ~ Hypergeometric(total, successes, draws): the exact one-sided p-value of ``k`` hang-ups
    among ``draws`` calls of a run when ``successes`` of all ``total`` calls hung up."""
    lo, hi = max(k, 0, draws - (total - successes)), min(draws, successes)
    if lo > hi:
        return 0.0 if k > hi else 1.0
    lg = math.lgamma
    base = lg(successes + 1) + lg(total - successes + 1) - lg(total + 1) + lg(draws + 1) + lg(total - draws + 1)
    terms = [base - lg(i + 1) - lg(successes - i + 1) - lg(draws - i + 1) - lg(total - successes - draws + i + 1)
             for i in range(lo, hi + 1)]
    top = max(terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in terms))


def _tail(z: float, k_w: float, n_w: float, k_rest: float, n_rest: float, exact_up_to: int = 5000) -> float:
    """One-sided p of a run: exact (hypergeometric) for runs of up to ``exact_up_to`` calls, else normal."""
    if not np.isfinite(z):
        return 1.0
    if n_w <= exact_up_to:
        return hypergeom_sf(int(round(k_w)), int(round(n_rest)), int(round(k_rest)), int(round(n_w)))
    return 0.5 * math.erfc(z / math.sqrt(2))


def elevated_hours(count, calls, *, alpha: float = 0.05, min_ratio: float = 1.5, min_calls: int = 10,
                   max_windows: int = 3, max_len: int = 12) -> np.ndarray:
    """Which hours have a rate above the other hours': a boolean mask shaped (rows, 24) for ``count`` /
    ``calls`` of that shape (one row per node, or a single row of 24).

    A scan over runs of consecutive hours (1 … ``max_len`` hours, wrapping round midnight; Kulldorff's scan
    statistic in one dimension): the run with the largest one-sided two-proportion z against the remaining
    hours, among runs with at least ``min_calls`` calls and a rate at least ``min_ratio`` times the remaining
    hours', is elevated when its one-sided p-value (exact hypergeometric for runs of up to 5,000 calls, normal
    beyond) times the number of runs (Bonferroni) is below ``alpha``. Up to
    ``max_windows`` runs are found one after the other, each against the hours not yet elevated. Runs pool
    quiet hours, so a night with two or three calls an hour can still stand out."""
    count = np.atleast_2d(np.asarray(count, dtype=float))
    calls = np.atleast_2d(np.asarray(calls, dtype=float))
    member = _windows(max_len)
    length = member.sum(axis=1)
    m = member.astype(float)
    n_tests = len(member)
    elevated = np.zeros(count.shape, dtype=bool)
    k_w, n_w = count @ m.T, calls @ m.T  # per row and run
    for _ in range(max_windows):
        rest = ~elevated
        k_rest = (count * rest).sum(axis=1, keepdims=True)
        n_rest = (calls * rest).sum(axis=1, keepdims=True)
        free = ~((elevated.astype(float) @ m.T) > 0)  # runs not touching an elevated hour
        k_o, n_o = k_rest - k_w, n_rest - n_w
        with np.errstate(divide="ignore", invalid="ignore"):
            p1 = k_w / n_w
            p2 = k_o / n_o
            pooled = (k_w + k_o) / (n_w + n_o)
            se = np.sqrt(pooled * (1 - pooled) * (1 / n_w + 1 / n_o))
            z = (p1 - p2) / se
        ok = free & (n_w >= min_calls) & (n_o > 0) & (se > 0) & (p1 > p2) & (p1 >= min_ratio * p2)
        z = np.where(ok, z - 1e-9 * length, -np.inf)  # equal z (empty hours at the ends): the shortest run
        best = np.argmax(z, axis=1)
        rows = np.arange(len(z))
        zb = z[rows, best]
        p = np.array([_tail(zb[r], k_w[r, best[r]], n_w[r, best[r]], k_rest[r, 0], n_rest[r, 0]) for r in rows])
        accept = p * n_tests < alpha
        if not accept.any():
            break
        elevated[accept] |= member[best[accept]]
    return elevated


def slot_text(hours) -> str:
    """Clock ranges of a set of hours, runs wrapping round midnight: {1..5} → ``01:00–06:00``;
    {22, 23, 0} → ``22:00–01:00``; several runs joined by ``、`` in clock order (a run over midnight last); every hour → ``全天``; none → ``""``."""
    hs = sorted({int(h) % 24 for h in hours})
    if not hs:
        return ""
    if len(hs) == 24:
        return "全天"
    runs: list[list[int]] = []
    for h in hs:
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][-1] == 23:  # wraps round midnight: one run, listed last
        runs.append(runs.pop() + runs.pop(0))
    return "、".join(f"{r[0]:02d}:00–{(r[-1] + 1) % 24:02d}:00" for r in runs)
