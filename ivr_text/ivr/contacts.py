"""Customer contacts from an IVR log, shaped as feedback events for the churn signal.

Operators keep IVR logs and complaint work orders apart; the churn signal needs both. A call that ends in a
transfer to an agent (the caller gave up on self-service) or in a hang-up inside the menu is a contact the
feedback side should see. :func:`ivr_contacts` turns each such call into one ``feedback`` row:
``customer_id`` (the caller), ``ts`` (end of the call), ``cause``, ``channel`` (``ivr_transfer`` /
``ivr_hangup``), plus ``call_id``, ``node`` and ``outcome`` for tracing.

``cause`` is that of the node where the call ended: the node's own ``cause:`` in the menu file, else the nearest
ancestor's, else what the taxonomy's keyword rules make of the labels on the node's path (话费查询 › 账单明细 →
费用问题), else empty (uncoded). Calls without a usable caller id are counted, not turned into contacts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.ivr.calllog import NS, OUTCOMES, build_call_log
from ivr_text.ivr.config import IvrConfig, load_config
from ivr_text.ivr.menu import Menu

#: Channel written for each outcome that counts as a contact.
CHANNELS = {"transfer": "ivr_transfer", "hangup": "ivr_hangup", "complete": "ivr_complete", "unknown": "ivr_unknown"}


@dataclass
class Contacts:
    """``events``: feedback-shaped rows; the counts explain every call of the log."""

    events: pd.DataFrame
    calls: int
    other_outcome: int
    no_caller: int
    rejected: pd.DataFrame
    rejected_positions: np.ndarray


def node_causes(menu: Menu, taxonomy=None) -> dict[str, str]:
    """Cause of every menu node: its own or inherited ``cause``, else the keyword rules on its label path."""
    from ivr_text.complaints.rules import RuleClassifier
    from ivr_text.complaints.taxonomy import load_taxonomy

    causes: dict[str, str] = {}
    pending: list[tuple[str, str]] = []
    for node_id in menu.nodes:
        chain = [node_id, *menu.ancestors(node_id)]  # the node first, then up to the root
        given = next((menu.nodes[n].cause for n in chain if n in menu.nodes and menu.nodes[n].cause), None)
        if given:
            causes[node_id] = given
            continue
        labels = [menu.label(n) for n in reversed(chain) if n != menu.root]
        pending.append((node_id, " ".join(lbl for lbl in labels if lbl)))
    if pending:
        rules = RuleClassifier(taxonomy or load_taxonomy())
        found = rules.predict_frame([text for _, text in pending])
        fired = found["cause"].isin(rules.labels) & (found["confidence"] > 0)
        for (node_id, _), cause, ok in zip(pending, found["cause"], fired):
            causes[node_id] = str(cause) if ok else ""
    return causes


def ivr_contacts(events: pd.DataFrame, menu: Menu | None = None, config: IvrConfig | None = None, *,
                 outcomes: tuple[str, ...] = ("transfer", "hangup"), taxonomy=None) -> Contacts:
    """One feedback row per call of ``events`` whose outcome is in ``outcomes`` and whose caller is known."""
    unknown = sorted(set(outcomes) - set(OUTCOMES))
    if unknown:
        raise InputError(f"unknown outcome(s) {', '.join(unknown)}; choose from {', '.join(OUTCOMES)}")
    if "caller_id" not in events.columns:
        raise InputError("ivr events: contacts need a caller_id column (use --map caller_id=YOUR_COLUMN)")
    log = build_call_log(events, menu, config or load_config())
    wanted = np.isin(np.asarray(OUTCOMES, dtype=object)[log.call_outcome], list(outcomes))
    known = log.call_caller >= 0
    keep = wanted & known
    node_names = np.asarray(log.node_names, dtype=object)
    nodes = node_names[log.call_node[keep]]
    causes = node_causes(menu, taxonomy) if menu is not None else {}
    outcome = np.asarray(OUTCOMES, dtype=object)[log.call_outcome[keep]]
    frame = pd.DataFrame({
        "customer_id": np.asarray(log.caller_names.take(log.call_caller[keep]), dtype=object),
        "ts": pd.to_datetime(log.call_end[keep] // NS * NS),
        "cause": [causes.get(n, "") for n in nodes],
        "channel": [CHANNELS[o] for o in outcome],
        "call_id": np.asarray(log.call_ids, dtype=object)[keep],
        "node": nodes,
        "outcome": outcome,
    }).sort_values(["ts", "customer_id"], kind="stable").reset_index(drop=True)
    return Contacts(events=frame, calls=int(log.n_calls), other_outcome=int((~wanted).sum()),
                    no_caller=int((wanted & ~known).sum()), rejected=log.rejected,
                    rejected_positions=log.rejected_positions)
