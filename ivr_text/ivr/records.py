"""Call-level records (IVR entry/exit, queue, agent, outcome) turned into per-call IVR event paths.

Each record becomes the path ``root → SERVICE → queue:SERVICE → agent:SERVICE`` (queue and agent only when
the call had them) ending in ``transfer`` (reached an agent), ``hangup``, ``complete`` (self-service) or no
terminal event (unknown, e.g. PHANTOM), so the event analysis applies unchanged. Times:

* ``root`` is entered at ``ivr_start``, the service node at ``ivr_end`` (the VRU routes the call there),
  the queue at ``queue_start``, the agent at ``agent_start``; a hang-up happens at ``queue_end`` (in the
  queue) or ``ivr_end`` (in the IVR);
* with ``date_column`` the time columns hold times of day (``0:10:27``) and the date comes from that
  column; a time more than 12 h earlier than the one it follows (:data:`AFTER`) is on the next day;
* a time earlier than the one it follows by more than ``tolerance_seconds`` is a negative duration
  (rejected); smaller differences (clocks of VRU and switch apart) are clamped to keep the order;
* with ``zero_time_missing`` (default with ``date_column``) a queue or agent time of ``0:00:00`` means
  missing: no queue / no agent.

Rows that cannot be placed are rejected with a reason: unknown outcome, missing or unparseable times,
negative durations, an IVR stay longer than ``max_call_seconds``. Speed: about 0.3 s per 100 k records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.io import SCHEMAS, Schema
from ivr_text.ivr.config import SEPARATORS, IvrConfig, load_config
from ivr_text.ivr.menu import Menu, MenuNode

TIME_COLUMNS = ("ivr_start", "ivr_end", "queue_start", "queue_end", "agent_start", "agent_end")
#: Each time follows the first known of these (an agent may pick a call up before its queue exit is logged).
AFTER = {"ivr_start": (), "ivr_end": ("ivr_start",), "queue_start": ("ivr_end",), "queue_end": ("queue_start",),
         "agent_start": ("queue_start", "ivr_end"), "agent_end": ("agent_start",)}


def _hms_seconds(text: str) -> float:
    """``H:MM[:SS[.fff]]`` → seconds (NaN if not of that form)."""
    parts = str(text).split(":")
    try:
        h, m, sec = int(parts[0]), int(parts[1]), float(parts[2]) if len(parts) == 3 else 0.0
    except (ValueError, IndexError):
        return float("nan")
    if len(parts) > 3 or not (0 <= h < 48 and 0 <= m < 60 and 0 <= sec < 61):
        return float("nan")
    return h * 3600 + m * 60 + sec


def _time_of_day(s: pd.Series) -> pd.Series:
    """Time of day as a timedelta: from datetimes, or from text ``H:MM[:SS[.fff]]`` (other forms via pandas)."""
    if pd.api.types.is_datetime64_any_dtype(s):
        return s - s.dt.normalize()
    codes, uniques = pd.factorize(s.astype("string").str.strip())  # a day has at most 86,400 distinct times
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    values = pd.to_timedelta(pd.Series([_hms_seconds(v) for v in text], dtype=float), unit="s").to_numpy()
    values = values.astype("timedelta64[ns]")
    # other forms with units ("2h 5m", "1 days 00:10:00"); a bare number has no unit and stays missing
    retry = (np.isnat(values) & text.notna().to_numpy()
             & text.astype("string").str.contains(r"[A-Za-z]", regex=True).fillna(False).to_numpy())
    if retry.any():
        values[retry] = pd.to_timedelta(text[retry], errors="coerce").to_numpy().astype("timedelta64[ns]")
    out = np.where(codes >= 0, values[np.maximum(codes, 0)] if len(values) else np.timedelta64("NaT"),
                   np.timedelta64("NaT"))
    return pd.Series(out, index=s.index, dtype="timedelta64[ns]")


def records_to_events(records: pd.DataFrame, config: IvrConfig | None = None, *, date_column: str | None = None,
                      zero_time_missing: bool | None = None, tolerance_seconds: float = 60
                      ) -> tuple[pd.DataFrame, pd.Series]:
    """Events (``call_id, ts, node, event`` [+ ``segment, caller_id``]) for the usable records, and a reason per
    record (aligned with ``records.index``; missing = used)."""
    config = config or load_config()
    for col in ("call_id", "ivr_start", "ivr_end", "outcome"):
        if col not in records.columns:
            raise InputError(f"call records: missing column '{col}'")
    reason = pd.Series(pd.NA, index=records.index, dtype="object")

    def reject(mask, why):
        mask = pd.Series(np.asarray(mask, dtype=bool), index=records.index) & reason.isna()
        reason[mask] = why

    lookup = config.outcome_lookup()
    raw_out = records["outcome"].astype("string").str.replace(SEPARATORS, "", regex=True).str.casefold()
    outcome = raw_out.map(lookup)
    bad = outcome.isna()
    if bad.any():
        reason[bad] = "unknown outcome '" + records.loc[bad, "outcome"].astype("string").fillna("") + "'"

    zero_time_missing = (date_column is not None) if zero_time_missing is None else zero_time_missing
    tol = pd.Timedelta(seconds=float(tolerance_seconds))
    half_day = pd.Timedelta(hours=12)
    if date_column is not None:
        if date_column not in records.columns:
            raise InputError(f"call records: date column '{date_column}' not found")
        dates = pd.to_datetime(records[date_column].astype("string").str.strip(), errors="coerce",
                               format="mixed").dt.normalize()
        reject(dates.isna(), f"column '{date_column}': unparseable date")
    times: dict[str, pd.Series] = {}
    prev = None
    for col in TIME_COLUMNS:
        if col not in records.columns:
            continue
        prev = None  # the time this one follows: the first known of its predecessors
        for p in AFTER[col]:
            if p in times:
                prev = times[p] if prev is None else prev.fillna(times[p])
        if date_column is not None:
            tod = _time_of_day(records[col])
            reject(records[col].notna() & tod.isna(), f"column '{col}': unparseable time of day")
            t = dates + tod
            if zero_time_missing and col not in ("ivr_start", "ivr_end"):
                t = t.mask(tod == pd.Timedelta(0))
            if prev is not None:  # much earlier than the previous time of the call: past midnight
                t = t.mask(t < prev - half_day, t + pd.Timedelta(days=1))
        else:
            t = records[col] if pd.api.types.is_datetime64_any_dtype(records[col]) else pd.to_datetime(
                records[col], errors="coerce", format="mixed")
        if prev is not None:
            reject(t < prev - tol, f"negative duration: {col} earlier than {' / '.join(AFTER[col])}")
        times[col] = t
    empty = pd.Series(pd.NaT, index=records.index, dtype="datetime64[ns]")
    ivr_start, ivr_end = times["ivr_start"], times["ivr_end"]
    q_start, q_end = times.get("queue_start", empty), times.get("queue_end", empty)
    a_start = times.get("agent_start", empty)
    reject(ivr_start.isna() | ivr_end.isna(), "missing IVR entry or exit time")
    max_s = pd.Timedelta(seconds=config.max_call_seconds)
    reject((ivr_end - ivr_start) > max_s, f"clock skew: IVR stay longer than {config.max_call_seconds:g} s")
    has_q = q_start.notna() & q_end.notna()

    ok = reason.isna().to_numpy()
    r = records.loc[ok]
    out = outcome[ok]
    svc = (r["service"].astype("string").str.strip().fillna("(none)") if "service" in r.columns
           else pd.Series("service", index=r.index, dtype="string"))
    call_id = r["call_id"].astype("string")
    dup = call_id.duplicated(keep=False)
    if dup.any():  # ids reused (e.g. per day): make them unique per record
        call_id = call_id.where(~dup, call_id + "#" + pd.Series(np.arange(len(r)), index=r.index).astype(str))
    qs, qe, as_ = q_start[ok], q_end[ok], a_start[ok]
    has_q = (qs.notna() & qe.notna())
    to_agent = out == "transfer"
    agent_t = as_.where(as_.notna(), qe.where(has_q, ivr_end[ok]))
    hang_t = qe.where(has_q, ivr_end[ok])

    parts = []
    extra = {c: r[c] for c in ("segment", "caller_id") if c in r.columns}

    def add(mask, ts, node, event, order):
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return
        parts.append(pd.DataFrame({"call_id": call_id[m].to_numpy(), "ts": ts[m].to_numpy(),
                                   "node": np.asarray(node[m] if isinstance(node, pd.Series) else
                                                      np.repeat(node, m.sum()), dtype=object),
                                   "event": event, "_o": order,
                                   **{c: v[m].to_numpy() for c, v in extra.items()}}))

    allm = pd.Series(True, index=r.index)
    add(allm, ivr_start[ok], "root", "enter", 0)
    add(allm, ivr_end[ok], svc, "enter", 1)
    add(has_q, qs, "queue:" + svc, "enter", 2)
    add(to_agent, agent_t, "agent:" + svc, "enter", 3)
    add(to_agent, agent_t, "agent:" + svc, "transfer", 4)
    add(out == "hangup", hang_t, ("queue:" + svc).where(has_q, svc), "hangup", 4)
    add(out == "complete", ivr_end[ok], svc, "complete", 4)
    if not parts:
        return pd.DataFrame(columns=["call_id", "ts", "node", "event", *extra]), reason
    ev = pd.concat(parts, ignore_index=True)
    ev["ts"] = pd.to_datetime(ev["ts"])
    ev = ev.sort_values(["call_id", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True)
    ev["ts"] = ev.groupby("call_id", sort=False)["ts"].cummax()  # clocks up to the tolerance apart
    return ev, reason


def records_schema(time_of_day: bool = False) -> Schema:
    """The ``call_records`` schema; with ``time_of_day`` its time columns are read as text (``0:10:27``) and
    parsed by :func:`records_to_events` together with a date column (fast, no per-value date guessing)."""
    base = SCHEMAS["call_records"]
    if not time_of_day:
        return base
    retype = lambda cols: {c: ("str" if c in TIME_COLUMNS else t) for c, t in cols.items()}  # noqa: E731
    return Schema(base.kind, retype(base.required), retype(base.optional))


def records_menu(events: pd.DataFrame, labels: dict[str, str] | None = None) -> Menu:
    """The menu implied by :func:`records_to_events`: services under the root, their queue and agent below.

    It counts as inferred: records hold no key presses, so the services have no key and no announced
    position (no reorder advice is made up from the order of their names)."""
    labels = labels or {}
    nodes = {"root": MenuNode("root", labels.get("root", "IVR"), None, None, "menu")}
    services = sorted({n for n in events["node"].unique() if n != "root" and ":" not in n})
    for s in services:
        nodes[s] = MenuNode(s, labels.get(s, s), "root", None, "menu")
        nodes[f"queue:{s}"] = MenuNode(f"queue:{s}", f"{labels.get(s, s)} 排队", s, None, "queue")
        nodes[f"agent:{s}"] = MenuNode(f"agent:{s}", f"{labels.get(s, s)} 人工", f"queue:{s}", None, "agent")
    for s in services:  # services without any queued call: agent hangs directly below the service
        if not (events["node"] == f"queue:{s}").any():
            del nodes[f"queue:{s}"]
            nodes[f"agent:{s}"].parent = s
    for s in services:  # services never going further are self-service leaves
        if not any(n.parent == s for n in nodes.values()):
            nodes[s].kind = "service"
    return Menu(nodes, inferred=True).validate("records menu")


def analyze_records(records: pd.DataFrame, config: IvrConfig | None = None, *, date_column: str | None = None,
                    menu: Menu | None = None, **options):
    """:func:`ivr_text.ivr.analyze_events` on call-level records: (analysis, reason per record — missing = used).

    Outcomes no record has (e.g. no self-service outcome in a bank's AGENT / HANG / PHANTOM records) are not
    recorded by the source: their KPIs are n/a, with a note (``kpis["not_measured"]``), not 0 %. ``options`` go
    to ``analyze_events`` (filters, ``min_count``, ``top_paths``)."""
    from ivr_text.ivr.analysis import analyze_events

    config = config or load_config()
    events, reasons = records_to_events(records, config, date_column=date_column)
    present = set(events["event"].astype(str).unique()) if len(events) else set()
    recorded = tuple(o for o in ("complete", "transfer", "hangup") if o in present) + ("unknown",)
    analysis = analyze_events(events, menu or records_menu(events), config, recorded=recorded,
                              source="these call records", **options)
    return analysis, reasons
