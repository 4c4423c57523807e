"""One consistent world written to a folder: :func:`generate_world` (files, ``truth.json``) and
:func:`churn_world` (the churn frames in memory).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ivr_text.samples.complaint_texts import complaints_frame
from ivr_text.samples.customers import Customers, customers_frame, LIFECYCLE_NAMES, WORLDS
from ivr_text.samples.feedback import complaint_events, feedback_frame
from ivr_text.samples.ivr_calls import simulate_ivr
from ivr_text.samples.menu import build_menu
from ivr_text.samples.params import LIFECYCLE_SHARES, PARAMS, SEGMENTS
from ivr_text.samples.readme import _write_readme
from ivr_text.samples.usage import churn_labels_frame, usage_frame


def churn_world(n_customers: int, seed: int = 0, *, months: int = 12, start: str = "2024-01",
                calls: int = 0, world: str = "default") -> dict:
    """In-memory churn inputs for benchmarks: ``{"usage", "feedback", "labels": DataFrame, "customers":
    Customers, "usage_quality": dict}`` — the same frames :func:`generate_world` writes for that seed.
    ``calls`` > 0 also simulates IVR calls so that feedback holds ``ivr_transfer`` events; ``world`` one of
    :data:`WORLDS`."""
    cust = customers_frame(n_customers, seed, months=months, start=start, **_world(world))
    world = simulate_ivr(calls, seed, customers=cust, start=start, months=months) if calls > 0 else None
    usage, quality = usage_frame(cust, seed)
    feedback = feedback_frame(cust, complaint_events(cust, seed), world.calls if world else None, seed)
    return {"usage": usage, "feedback": feedback, "labels": churn_labels_frame(cust), "customers": cust,
            "usage_quality": quality}


FILES = {"menu": "menu.yaml", "ivr": "ivr_events", "complaints": "complaints", "feedback": "feedback",
         "usage": "usage", "labels": "churn_labels"}


def _world(name: str) -> dict:
    if name not in WORLDS:
        raise ValueError(f"unknown world {name!r}; choose from {', '.join(WORLDS)}")
    return WORLDS[name]


def generate_world(out_dir: str | Path, *, seed: int = 0, calls: int = 7000, customers: int = 1600,
                   months: int = 12, start: str = "2024-01", fmt: str = "csv",
                   parts: Iterable[str] | None = None, option_seconds=None,
                   hour_hangup: dict | None = None, world: str = "default") -> dict[str, Path]:
    """Write one consistent synthetic world into ``out_dir``; return ``{name: path}``.

    ``parts`` selects among ``menu, ivr, complaints, feedback, usage, labels`` (default all); README.md and
    truth.json are always written. ``fmt`` is ``csv`` or ``parquet`` for the tables. ``option_seconds`` and
    ``hour_hangup`` plant IVR effects (see :func:`simulate_ivr`; recorded in truth.json's options).
    """
    fmt = fmt.lower()
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {fmt!r}")
    wanted = set(parts) if parts is not None else set(FILES)
    unknown = wanted - set(FILES)
    if unknown:
        raise ValueError(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(FILES)}")
    if calls < 1 and "ivr" in wanted:
        raise ValueError("calls must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    ext = ".csv" if fmt == "csv" else ".parquet"
    cust = customers_frame(customers, seed, months=months, start=start, **_world(world))
    planted = {k: v for k, v in (("option_seconds", option_seconds), ("hour_hangup", hour_hangup))
               if v is not None}
    options = dict(calls=calls, customers=customers, months=months, start=start, fmt=fmt, parts=sorted(wanted),
                   **planted)
    if world != "default":   # the default world's truth.json stays byte-identical
        options["world"] = world
        options.update({k: list(v) if isinstance(v, tuple) else v for k, v in WORLDS[world].items()})
    truth: dict = {"seed": seed, "options": options,
                   "params": copy.deepcopy(PARAMS),
                   "lifecycle_shares": dict(_world(world).get("shares", LIFECYCLE_SHARES)),
                   "segments": copy.deepcopy(SEGMENTS)}

    if "menu" in wanted:
        import yaml

        path = out / FILES["menu"]
        path.write_text("# IVR menu of the synthetic 10086-like hotline (ivr-text samples). Sibling order = prompt "
                        "order.\n" + yaml.safe_dump(build_menu(), allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        written["menu"] = path

    world = None
    if "ivr" in wanted or "feedback" in wanted:
        world = simulate_ivr(calls, seed, customers=cust, start=start, months=months, option_seconds=option_seconds,
                             hour_hangup=hour_hangup) if calls > 0 else None
    if "ivr" in wanted and world is not None:
        written["ivr"] = _write(world.events, out / (FILES["ivr"] + ext), fmt)
        truth["ivr"] = world.truth

    need_complaints = "complaints" in wanted or "feedback" in wanted
    comp = complaint_events(cust, seed) if need_complaints else None
    texts = None
    if "complaints" in wanted:
        texts, ctruth = complaints_frame(comp, cust, seed)
        written["complaints"] = _write(texts, out / (FILES["complaints"] + ext), fmt)
        truth["complaints"] = {"rows": int(len(texts)), **ctruth}
    if "feedback" in wanted:
        fb = feedback_frame(cust, comp, world.calls if world is not None else None, seed)
        written["feedback"] = _write(fb, out / (FILES["feedback"] + ext), fmt)
        truth["feedback"] = {"rows": int(len(fb)),
                             "by_channel": {str(k): int(v) for k, v in fb["channel"].value_counts().items()}}
    if "usage" in wanted:
        usage, utruth = usage_frame(cust, seed)
        written["usage"] = _write(usage, out / (FILES["usage"] + ext), fmt)
        truth["usage_quality"] = utruth
    if "labels" in wanted:
        labels = churn_labels_frame(cust)
        written["labels"] = _write(labels, out / (FILES["labels"] + ext), fmt)
    truth["customers"] = _customer_truth(cust)
    written["readme"] = _write_readme(out / "README.md", truth, written)
    written["truth"] = out / "truth.json"
    indent = 1 if customers <= 50_000 and calls <= 200_000 else None  # the C encoder for big worlds
    written["truth"].write_text(json.dumps(_plain(truth), ensure_ascii=False, indent=indent), encoding="utf-8")
    return written


def _customer_truth(cust: Customers) -> dict:
    names = np.array(LIFECYCLE_NAMES)[cust.lifecycle]
    churned = cust.churn_month >= 0
    return {
        "n": cust.n,
        "churn_rate": round(float(churned.mean()), 4),
        "lifecycle_counts": {k: int((names == k).sum()) for k in LIFECYCLE_NAMES},
        "lifecycle": {k: cust.ids[names == k].tolist() for k in LIFECYCLE_NAMES if k != "stable"},
        "pattern_windows": _pattern_windows(cust) if cust.n <= 50_000 else None,
    }


def _pattern_windows(cust: Customers) -> dict:
    """For churn-pattern customers: the complaint-rise periods and the decline periods before churn."""
    out = {}
    idx = np.flatnonzero(np.array(LIFECYCLE_NAMES)[cust.lifecycle] == "churn_pattern")
    for k in idx:
        out[cust.ids[k]] = {
            "rise": [cust.periods[m] for m in np.flatnonzero(cust.phase[k] == 1)],
            "decline": [cust.periods[m] for m in np.flatnonzero(cust.phase[k] == 2)],
            "churn": cust.periods[cust.churn_month[k]] if cust.churn_month[k] < cust.months else None,
        }
    return out


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if obj and all(type(v) in (str, int, float, bool) for v in obj[:1]) and \
                all(type(v) is type(obj[0]) for v in obj):
            return list(obj)  # already plain (long id lists): skip the per-item walk
        return [_plain(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


def _write(df: pd.DataFrame, path: Path, fmt: str) -> Path:
    """CSV (UTF-8 with BOM, ISO 8601 ``ts`` with a T) or Parquet (ts as timestamp[s])."""
    if fmt == "parquet":
        df.to_parquet(path, index=False, compression="snappy")
        return path
    df = df.copy()
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = np.datetime_as_string(df[col].to_numpy().astype("datetime64[s]"), unit="s")
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path
