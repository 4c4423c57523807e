"""Complaint work-order texts from the templates: slots filled, labels with noise, PII, masking, Traditional
characters and full-width forms at their documented rates.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ivr_text.samples import templates as T
from ivr_text.samples.customers import _customer_ids, Customers, SEGMENT_NAMES
from ivr_text.samples.params import PARAMS, _rng


_SLOT = re.compile(r"\{(\w+)\}")

_FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in
                            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"})


def _fill(template: str, rng: np.random.Generator, extra: dict[str, str]) -> str:
    def one(m: re.Match) -> str:
        name = m[1]
        if name in extra:
            return extra[name]
        if name in T.SLOTS:
            vocab = T.SLOTS[name]
            return vocab[int(rng.integers(len(vocab)))]
        return _dynamic_slot(name, rng)

    return _SLOT.sub(one, template)


def _dynamic_slot(name: str, rng: np.random.Generator) -> str:
    r = lambda a, b: int(rng.integers(a, b + 1))  # noqa: E731
    if name == "amount":
        return str(rng.choice([r(3, 30), r(30, 200), r(200, 1500)], p=[0.45, 0.4, 0.15])) + (
            f".{r(0, 9)}0" if rng.random() < 0.3 else "")
    if name == "date":
        return f"{r(1, 12)}月{r(1, 28)}日"
    if name == "month":
        return str(r(1, 12))
    if name == "years":
        return str(r(2, 20))
    if name in ("days", "months"):
        return str(r(2, 15) if name == "days" else rng.choice([6, 12, 24]))
    if name == "minutes":
        return str(r(10, 60))
    if name == "hour":
        return str(r(7, 11))
    if name == "duration":
        return rng.choice([f"{r(2, 10)}天", f"{r(2, 6)}周", "一个多月", "半个月", f"{r(2, 5)}个月"])
    if name == "phone_masked":
        return "******"
    if name == "product2":
        return T.SLOTS["product"][int(rng.integers(len(T.SLOTS["product"])))]
    raise KeyError(f"template slot {{{name}}} has no vocabulary")


def _phone(rng) -> str:
    return "1" + str(rng.choice(["38", "39", "47", "50", "51", "52", "57", "58", "59", "82", "87", "88", "98"])) + \
        "".join(str(d) for d in rng.integers(0, 10, 8))


def _id_number(rng) -> str:
    area = str(rng.choice(["320102", "320211", "410105", "210102", "370202", "330106", "510104"]))
    birth = f"{int(rng.integers(1950, 2005))}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}"
    body = area + birth + "".join(str(d) for d in rng.integers(0, 10, 3))
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]
    return body + check


def _email(rng) -> str:
    user = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), int(rng.integers(4, 9))))
    return f"{user}{int(rng.integers(1, 999))}@{rng.choice(['139.com', 'qq.com', '163.com', 'sina.com'])}"


def complaints_frame(events: pd.DataFrame, cust: Customers, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Write a work-order text for every complaint event. Returns (``id, customer_id, ts, channel, text, label``,
    truth with the ids of noisy-label, ambiguous, PII, masked, Traditional and full-width texts)."""
    P = PARAMS
    rng = _rng(seed, "complaints")
    n = len(events)
    ids = _customer_ids(n, "T") if n else np.array([], dtype=object)
    import opencc

    s2t = opencc.OpenCC("s2t").convert
    to_trad = lambda x: s2t(x).replace("錶示", "表示")  # noqa: E731  (OpenCC reads 电表 in 来电表示)
    ambiguous_by = {lab: [a for a in T.AMBIGUOUS_BODIES if lab in a[:2]] for lab in T.LABELS}
    texts = []
    flags = {k: [] for k in ("label_noise", "ambiguous", "pii", "masked", "traditional", "fullwidth")}
    seg_names = np.array(SEGMENT_NAMES)[cust.segment[events["customer"].to_numpy()]] if n else []
    for i, (cause, seg) in enumerate(zip(events["cause"].to_numpy(), seg_names)):
        extra = {"segment": seg}
        masked = rng.random() < P["masked_share"]
        extra["phone_masked"] = "******" if masked else ""
        if rng.random() < P["ambiguous_share"] and ambiguous_by[cause]:
            body = ambiguous_by[cause][int(rng.integers(len(ambiguous_by[cause])))][2]
            flags["ambiguous"].append(ids[i])
        else:
            bodies = T.BODIES[cause]
            body = bodies[int(rng.integers(len(bodies)))]
        opening = T.OPENINGS[int(rng.integers(len(T.OPENINGS)))]
        parts = [opening, "，" if rng.random() < 0.6 else "", body]
        if rng.random() < 0.35:
            detail = T.DETAILS[int(rng.integers(len(T.DETAILS)))]
            parts = parts[:1] + [detail, "，"] + parts[2:] if rng.random() < 0.5 else parts + ["，", detail]
        if rng.random() < 0.6:
            parts += ["，", T.DEMANDS[int(rng.integers(len(T.DEMANDS)))]]
        if masked and "{phone_masked}" not in opening:
            parts += ["，联系电话******" if rng.random() < 0.5 else "，客户号码******"]
        if rng.random() < P["pii_share"]:
            kind = rng.choice(["phone", "id", "email"], p=[0.6, 0.25, 0.15])
            pii = {"phone": lambda: f"，联系电话{_phone(rng)}", "id": lambda: f"，客户身份证号{_id_number(rng)}",
                   "email": lambda: f"，邮箱{_email(rng)}"}[kind]()
            parts.append(pii)
            flags["pii"].append(ids[i])
        if rng.random() < 0.25:
            parts.append(f"（工单号{int(rng.integers(10**9, 10**10))}）")
        parts.append(T.CLOSINGS[int(rng.integers(len(T.CLOSINGS)))])
        text = _fill("".join(parts), rng, extra)
        text = re.sub(r"，，|，。", lambda m: m[0][-1], text)
        if masked:
            flags["masked"].append(ids[i])
        if rng.random() < P["traditional_share"]:
            text = to_trad(text)
            flags["traditional"].append(ids[i])
        if rng.random() < P["fullwidth_share"]:
            text = text.translate(_FULLWIDTH)
            flags["fullwidth"].append(ids[i])
        texts.append(text)
    w = np.array(T.COMPLAINT_CHANNEL_WEIGHTS)
    channel = np.array(T.COMPLAINT_CHANNELS)[rng.choice(len(w), size=n, p=w / w.sum())] if n else []
    df = pd.DataFrame({"id": ids, "customer_id": cust.ids[events["customer"].to_numpy()],
                       "ts": events["ts"].to_numpy().astype("datetime64[s]"), "channel": channel,
                       "text": texts, "label": events["label"].to_numpy()})
    flags["label_noise"] = ids[(events["label"] != events["cause"]).to_numpy()].tolist()
    truth = {**flags, "true_cause": dict(zip(ids.tolist(), events["cause"].tolist())) if n <= 50_000 else None}
    return df, truth
