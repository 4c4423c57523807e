"""Synthetic, deterministic sample world for a 10086-like hotline: IVR menu, event log, complaints, usage, churn.

``generate_world(out_dir, seed=…)`` writes one consistent world (same seed and options ⇒ byte-identical
files): ``menu.yaml``, ``ivr_events``, ``complaints``, ``feedback``, ``usage``, ``churn_labels``, a
``README.md`` stating every assumption with its rate, and ``truth.json`` with the planted facts (for tests
and docs only — analyses must never read it).

Guarantees: every generator is vectorised numpy driven by ``numpy.random.default_rng`` streams derived from
``(seed, part)``, so skipping a part never changes another part's output; all planted noise rates live in
:data:`PARAMS` / :data:`LIFECYCLE_SHARES` and are echoed into README.md and truth.json.

Modules, one per world part: :mod:`~ivr_text.samples.params` (every planted rate), ``menu``,
``customers``, ``ivr_effects`` / ``ivr_calls`` / ``ivr_log`` (IVR), ``usage``, ``feedback``, ``complaint_texts``
(with the text templates in ``templates``), ``world`` (writing a world) and ``readme``. Every name below is
importable from ``ivr_text.samples`` as before the split.

Measured speed (2 cores shared with other jobs, ``benchmarks/bench_samples.py``): 1.45 M calls → 10.0 M IVR
events simulated and written to Parquet in 32–43 s (230–320 k events/s, peak RSS ≈2.1 GB); 1 M customers ×
12 months (11.5 M usage rows, 2.8 M feedback events, labels) to Parquet in 54 s on a quiet machine, ≈2 min
under load (peak RSS ≈4.2 GB). The default sample world (7,000 calls, 1,600 customers) takes ≈1.5 s.
"""

from __future__ import annotations

from ivr_text.samples import templates as T  # noqa: F401
from ivr_text.samples.params import EVENTS, KEYS, LIFECYCLE_SHARES, PARAMS, PARTS, SEGMENTS
from ivr_text.samples.menu import _menu_arrays, build_menu  # noqa: F401
from ivr_text.samples.customers import (  # noqa: F401
    LIFECYCLE_NAMES, SEGMENT_NAMES, WORLDS, Customers, _periods, customers_frame,
)
from ivr_text.samples.ivr_effects import parse_hour_effect, parse_option_seconds
from ivr_text.samples.ivr_calls import IvrWorld, ivr_events_frame, simulate_ivr
from ivr_text.samples.usage import churn_labels_frame, usage_frame
from ivr_text.samples.feedback import complaint_events, feedback_frame
from ivr_text.samples.complaint_texts import _id_number, complaints_frame  # noqa: F401
from ivr_text.samples.world import FILES, churn_world, generate_world

__all__ = [
    "LIFECYCLE_SHARES", "SEGMENTS", "PARAMS", "PARTS", "EVENTS", "KEYS", "build_menu", "Customers", "SEGMENT_NAMES",
    "LIFECYCLE_NAMES", "WORLDS", "customers_frame", "parse_option_seconds", "parse_hour_effect", "IvrWorld",
    "simulate_ivr", "ivr_events_frame", "usage_frame", "churn_labels_frame", "complaint_events", "feedback_frame",
    "complaints_frame", "churn_world", "FILES", "generate_world",
]
