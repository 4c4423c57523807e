"""Handle stability: do @handles, repost chains and other social markup change the predicted cause?

There is no real Weibo set here, so social-media versions of REAL complaint texts are generated (seeded,
deterministic): each COCC dev order (or its first clause, as short as a post) gets what help-desk posts carry —
mentions of operator desks and users before or after the text (``@中国联通客服 …``, ``… @中国移动10086``; one
leading mention in four glued to the text without a space, which the filter can only cut at Weibo's 30-byte
nickname limit),
``回复@用户:`` replies, ``//@用户:`` repost chains with short comments (同问, 我也是), and, independent of handles,
``#话题#`` tags, emoji, a short link and a ``发自我的iPhone`` signature. Every text is made twice with the same
random draws: WITH its handles and WITHOUT them (the generator leaves the mentions and repost markers out; the
toolkit's filter is not used for that), and the figure is the share of texts whose predicted cause is the same.

Predictors: the keyword rules, the cold start that learns from the input (fitted on the WITH corpus and on the
WITHOUT corpus separately, as a user would run it), and the trained model (trained on the other stratified half
of the original orders). Each with the default normalisation (social markup dropped) and with ``social="keep"``
(what happened before markup was recognised). Also the share of texts the rules put in 服务问题.

    .venv/bin/python benchmarks/bench_social.py [--data ../shared/data] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DESKS = ["中国联通客服", "中国移动10086", "中国电信客服", "中国移动客服", "联通客服小沃", "电信10000号", "移动客服小秘书",
         "中国联通", "中国移动", "中国电信", "工信部", "12315消费维权", "人民网", "北京移动", "广东联通客服"]
SYLLABLES = list("小大老阿爱吃鱼猫狗风云雨雪山水天明月星辰花草木金石江河海林子一二三")
COMMENTS = ["同问", "我也是", "一样", "顶", "+1", "转发微博", "太坑了", "求解决", "同遇到", "看看", ""]
TOPICS = ["中国移动", "中国联通", "投诉", "维权", "3·15", "消费者权益日", "网络差", "乱扣费"]
EMOJI = ["😡", "😤", "🙄", "[怒]", "[抓狂]", "[doge]", "[泪]", "👎"]
SIGNATURES = ["发自我的iPhone", "来自微博客户端", "来自华为P40", "发自我的小米手机"]


def user(rng: random.Random) -> str:
    name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 5)))
    return name + (str(rng.randint(1, 9999)) if rng.random() < 0.5 else "") + ("_" + rng.choice("abcxyz") if rng.random() < 0.2 else "")


def decorate(text: str, rng: random.Random) -> tuple[str, str]:
    """(text with handles, the same text without handles) for one complaint; same random draws for both."""
    mention = "@" + rng.choice(DESKS)
    mention2 = "@" + (rng.choice(DESKS) if rng.random() < 0.5 else user(rng))
    shape = rng.choice(["prefix", "suffix", "reply", "repost", "repost2"])
    if shape == "prefix":  # one in four written without the space a client puts after a mention (copy-paste)
        with_, without = f"{mention}{'' if rng.random() < 0.25 else ' '}{text}", text
    elif shape == "suffix":
        with_, without = f"{text} {mention} {mention2}", text
    elif shape == "reply":
        with_, without = f"回复@{user(rng)}:{text} {mention}", text
    elif shape == "repost":
        c = rng.choice(COMMENTS)
        with_, without = f"{c}//@{user(rng)}:{mention} {text}", f"{c} {text}"
    else:
        c1, c2 = rng.choice(COMMENTS), rng.choice(COMMENTS)
        with_, without = f"{c1}//@{user(rng)}:{c2}//@{user(rng)}:{text} {mention}", f"{c1} {c2} {text}"
    extra_pre = f"#{rng.choice(TOPICS)}# " if rng.random() < 0.4 else ""
    extra_post = ""
    if rng.random() < 0.4:
        extra_post += rng.choice(EMOJI) * rng.randint(1, 3)
    if rng.random() < 0.2:
        extra_post += " http://t.cn/A" + "".join(rng.choice("abcdefgh123") for _ in range(6))
    if rng.random() < 0.2:
        extra_post += " " + rng.choice(SIGNATURES)
    return extra_pre + with_ + extra_post, extra_pre + without + extra_post


def first_clause(text: str) -> str:
    """A post-length piece: the text up to the first full stop or the 60th character."""
    head = re.split(r"[。!！?？]", text, maxsplit=1)[0]
    return head[:60]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("IVR_TEXT_SHARED_DATA", ROOT.parent / "shared" / "data")))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import pandas as pd
    from sklearn.model_selection import StratifiedKFold

    from ivr_text.complaints.coldstart import ColdStartClassifier
    from ivr_text.complaints.model import CauseModel, ModelConfig, _softmax
    from ivr_text.complaints.rules import RuleClassifier
    from ivr_text.text import normalize_many

    path = args.data / "cocc_cmcc_complaints" / "cocc_dev.tsv"
    if not path.exists():
        sys.exit(f"{path} not found (needs ../shared/data)")
    df = pd.read_csv(path, sep="\t")
    texts, labels = df["text"].astype(str).tolist(), df["label"].astype(str).to_numpy()
    tr, te = next(StratifiedKFold(2, shuffle=True, random_state=args.seed).split(np.zeros(len(labels)), labels))
    t0 = time.perf_counter()
    model = CauseModel(config=ModelConfig(n_jobs=1)).fit([texts[i] for i in tr], labels[tr])
    rules = RuleClassifier()
    print(f"trained model on {len(tr)} original orders ({time.perf_counter() - t0:.1f} s); scored on the other "
          f"{len(te)}, made social (seed {args.seed})")
    for size, cut in (("full orders", lambda t: t), ("first clause (≤60 chars)", first_clause)):
        rng = random.Random(args.seed)
        pairs = [decorate(cut(texts[i]), rng) for i in te]
        with_, without = [p[0] for p in pairs], [p[1] for p in pairs]
        n_handles = sum(w.count("@") for w in with_)
        print(f"\n{size}: {len(pairs)} texts, {n_handles} handles; e.g. {with_[0][:90]!r}")
        for mode in ("drop", "keep"):
            a, b = normalize_many(with_, social=mode), normalize_many(without, social=mode)
            ra = rules.predict_frame(a, normalized=True)["cause"].to_numpy()
            rb = rules.predict_frame(b, normalized=True)["cause"].to_numpy()
            ca = ColdStartClassifier().fit(a, normalized=True).predict_frame(a, normalized=True)["cause"].to_numpy()
            cb = ColdStartClassifier().fit(b, normalized=True).predict_frame(b, normalized=True)["cause"].to_numpy()
            classes = np.asarray(model.classes, dtype=object)
            ma = classes[_softmax(model._decision(a) / model.temperature).argmax(1)]
            mb = classes[_softmax(model._decision(b) / model.temperature).argmax(1)]
            truth = labels[te]
            label = "default (markup dropped)" if mode == "drop" else "social='keep' (before)"
            print(f"  {label:26s} unchanged when handles are removed: rules {np.mean(ra == rb):.1%}, "
                  f"cold start {np.mean(ca == cb):.1%}, trained model {np.mean(ma == mb):.1%};  "
                  f"rules → 服务问题 {np.mean(ra == '服务问题'):.1%} (without handles {np.mean(rb == '服务问题'):.1%}); "
                  f"accuracy with handles: rules {np.mean(ra == truth):.3f}, cold start {np.mean(ca == truth):.3f}, "
                  f"model {np.mean(ma == truth):.3f}")


if __name__ == "__main__":
    main()
