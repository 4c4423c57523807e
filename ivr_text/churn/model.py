"""A learned churn model: gradient-boosted trees beside a logistic model, calibrated, explainable, safe to load.

``ChurnModel().fit(X, y)`` takes a feature table (numeric columns; text columns with few values are one-hot
encoded, see :class:`~ivr_text.churn.encoding.TableEncoder`; missing values stay missing — the trees route them
natively, the logistic model imputes the median and adds a missing indicator). The main model is
scikit-learn's ``HistGradientBoostingClassifier`` with fixed, regularised defaults (:class:`ModelConfig`:
learning rate 0.04, 15 leaves, ≥ 100 customers a leaf (at most n/50), early stopping on a held-out 15 %) and
monotone constraints where the direction is known (``monotone``: feature → +1/−1); ``n_models`` > 1 averages
the log-odds of that many such models differing in their seed (with ``max_features`` < 1: feature sampling),
at that many times the training time. Probabilities are calibrated with
Platt scaling fitted on a held-out 20 % (grouped by ``groups`` — e.g. customer — so rows of one customer
never sit on both sides); on up to ``refit_max_rows`` rows the trees are then refitted on everything with the
number of iterations found. A logistic model is fitted beside it for comparison.

Explanations: :meth:`ChurnModel.contributions` gives each feature's contribution to a customer's log-odds by
the path method (Saabas): the change of the node's expected value at each split on the path, so the
contributions plus the bias add up exactly to the model's raw score.

Files: a skops archive of NumPy arrays and JSON strings only (no estimator objects, no pickle), every node type
checked against an allow-list before loading; the scikit-learn minor version must match (trees are rebuilt
into scikit-learn's own predictor for speed). A damaged or foreign file is one :class:`InputError` line.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ivr_text.churn.encoding import TableEncoder
from ivr_text.errors import InputError

FORMAT = "ivr-text/churn-model"
FORMAT_VERSION = 1
_NODE_FIELDS = ("value", "count", "feature_idx", "num_threshold", "missing_go_to_left", "left", "right",
                "is_leaf")


@dataclass
class ModelConfig:
    """Fixed defaults (chosen on Cell2Cell's calibration sample against scikit-learn's defaults, see README;
    ``min_samples_leaf`` shrinks on small tables, see :func:`min_leaf`)."""

    learning_rate: float = 0.04
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 100
    l2_regularization: float = 1.0
    max_iter: int = 1000
    n_iter_no_change: int = 50
    tol: float = 1e-4
    validation_fraction: float = 0.15
    calibration_holdout: float = 0.2
    refit_max_rows: int = 200_000
    max_train_rows: int = 400_000
    n_models: int = 1
    max_features: float = 1.0
    seed: int = 0

    @classmethod
    def from_dict(cls, d: dict | None) -> "ModelConfig":
        d = d or {}
        unknown = [k for k in d if k not in cls.__dataclass_fields__]
        if unknown:
            raise InputError(f"model settings: unknown '{unknown[0]}' (known: {', '.join(cls.__dataclass_fields__)})")
        return cls(**{k: type(getattr(cls, k))(v) for k, v in d.items()})


def min_leaf(configured: int, n: int) -> int:
    """Customers a leaf needs: the configured number, at most n/50 (at least 5) on small tables."""
    return int(max(5, min(configured, n // 50)))


def _hgb(cfg: ModelConfig, n: int, monotone: np.ndarray | None, iterations: int | None = None, seed: int = 0):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        learning_rate=cfg.learning_rate, max_leaf_nodes=cfg.max_leaf_nodes,
        min_samples_leaf=min_leaf(cfg.min_samples_leaf, n), l2_regularization=cfg.l2_regularization,
        max_iter=iterations or cfg.max_iter, early_stopping=iterations is None, n_iter_no_change=cfg.n_iter_no_change,
        validation_fraction=cfg.validation_fraction, tol=cfg.tol, monotonic_cst=monotone,
        max_features=cfg.max_features, random_state=seed)


#: Below this many rows the trees are grown in one thread: a parallel region per split costs more than it saves.
SERIAL_MAX_ROWS = 20_000


def _threads(n_rows: int):
    """A context growing and scoring trees in one OpenMP thread for small data (scoped, not process-wide)."""
    from contextlib import nullcontext

    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="openmp") if n_rows < SERIAL_MAX_ROWS else nullcontext()


def _fit_many(cfg: ModelConfig, Z: np.ndarray, y: np.ndarray, monotone, iterations: list[int] | None = None):
    """``n_models`` boosted models differing only in their seed (validation split, feature sampling)."""
    return [_hgb(cfg, len(y), monotone, iterations[i] if iterations else None, cfg.seed + i).fit(Z, y)
            for i in range(max(1, cfg.n_models))]


def _logistic():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                         StandardScaler(), LogisticRegression(max_iter=3000))


def _holdout(y: np.ndarray, groups: np.ndarray | None, share: float, seed: int):
    """Indices (train, hold): stratified by the label, grouped when ``groups`` is given."""
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    idx = np.arange(len(y))
    if groups is not None:
        tr, te = next(GroupShuffleSplit(1, test_size=share, random_state=seed).split(idx, y, groups))
        if y[te].all() or not y[te].any():
            raise InputError("the calibration hold-out has one class only; give more labelled customers")
        return tr, te
    return train_test_split(idx, test_size=share, stratify=y, random_state=seed)


class ChurnModel:
    """Gradient-boosted churn model with a logistic model beside it (see module doc)."""

    def __init__(self, config: ModelConfig | None = None, monotone: dict[str, int] | None = None):
        self.config = config or ModelConfig()
        self.monotone = dict(monotone or {})

    # ------------------------------------------------------------------ training
    def fit(self, X: pd.DataFrame, y, groups=None) -> "ChurnModel":
        """Fit on feature table ``X`` and labels ``y`` (bool); ``groups`` keeps rows of one customer together."""
        cfg = self.config
        y = np.asarray(y, dtype=bool)
        if len(y) != len(X):
            raise InputError(f"{len(X)} feature rows but {len(y)} labels")
        if y.sum() < 5 or (~y).sum() < 5:
            raise InputError(f"training needs at least 5 churners and 5 non-churners (got {int(y.sum())} churners "
                             f"and {int((~y).sum())} non-churners)")
        groups = None if groups is None else np.asarray(groups)
        rng = np.random.default_rng(cfg.seed)
        if len(y) > cfg.max_train_rows:   # a uniform sample: the trees' accuracy saturates long before
            keep = np.sort(rng.choice(len(y), cfg.max_train_rows, replace=False))
            X, y = X.iloc[keep], y[keep]
            groups = None if groups is None else groups[keep]
        self.encoder_ = TableEncoder().fit(X)
        Z = self.encoder_.transform(X)
        self.features_ = list(self.encoder_.features_)
        if not self.features_:
            raise InputError("no usable feature columns (all constant, identifiers or unparseable text)")
        mono = np.array([int(np.sign(self.monotone.get(f, 0))) for f in self.features_], dtype=np.int8)
        self.monotone_ = {f: int(m) for f, m in zip(self.features_, mono) if m}
        tr, te = _holdout(y, groups, cfg.calibration_holdout, cfg.seed)
        with _threads(len(y)):
            self._fit_trees(Z, y, tr, te, mono)
        self.logistic_ = _logistic_state(_logistic().fit(Z, y))
        return self

    def _fit_trees(self, Z: np.ndarray, y: np.ndarray, tr: np.ndarray, te: np.ndarray, mono: np.ndarray) -> None:
        """Trees on ``tr``, Platt calibration and the hold-out comparison on ``te``, then (up to
        ``refit_max_rows``) the same number of iterations refitted on every row."""
        cfg = self.config
        first = _fit_many(cfg, Z[tr], y[tr], mono)
        raw_hold = np.mean([m.decision_function(Z[te]) for m in first], axis=0)
        self.calibration_ = _platt(raw_hold, y[te])
        from sklearn.metrics import roc_auc_score

        logistic_hold = _logistic().fit(Z[tr], y[tr]).predict_proba(Z[te])[:, 1]
        self.holdout_ = {"rows": int(len(te)), "churners": int(y[te].sum()),
                         "auc_gradient_boosting": float(roc_auc_score(y[te], raw_hold)),
                         "auc_logistic": float(roc_auc_score(y[te], logistic_hold))}
        iterations = [int(m.n_iter_) for m in first]
        self.n_iter_ = int(sum(iterations))
        final = first
        if len(y) <= cfg.refit_max_rows:
            final = _fit_many(cfg, Z, y, mono, iterations)
        self._set_trees(final)
        self.meta_ = self._stamp(y, final is not first)

    def _set_trees(self, models: list) -> None:
        """All trees of ``models`` as arrays; leaf values ÷ len(models), so their sum is the models' mean score."""
        nodes = [p[0].nodes for m in models for p in m._predictors]
        if any(n["is_categorical"].any() for n in nodes):   # the encoder gives numbers only
            raise RuntimeError("categorical splits are not supported in the model file")
        self.trees_ = {f: np.concatenate([n[f] for n in nodes]) for f in _NODE_FIELDS}
        self.trees_["value"] = self.trees_["value"] / len(models)
        self.trees_["offsets"] = np.cumsum([0] + [len(n) for n in nodes]).astype(np.int64)
        self.baseline_ = float(np.mean([np.ravel(m._baseline_prediction)[0] for m in models]))
        self._predictors = None

    def _stamp(self, y: np.ndarray, refitted: bool) -> dict:
        import sklearn

        from ivr_text import __version__

        return {"format": FORMAT, "format_version": FORMAT_VERSION, "ivr_text": __version__,
                "sklearn": sklearn.__version__, "numpy": np.__version__,
                "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "n_train": int(len(y)), "churn_rate": float(y.mean()), "n_iter": self.n_iter_,
                "refitted_on_all_rows": bool(refitted), "features": self.features_, "monotone": self.monotone_,
                "calibration": self.calibration_, "holdout": self.holdout_, "config": asdict(self.config),
                "encoder": self.encoder_.to_dict()}

    # ------------------------------------------------------------------ prediction
    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        return self.encoder_.transform(X)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Raw log-odds of the trees (before calibration)."""
        Z = self._matrix(X)
        out = np.full(len(Z), self.baseline_)
        args = self._predict_args(Z.shape[1], len(Z))
        for predictor in self._sk_predictors():
            out += predictor.predict(Z, *args)
        return out

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated churn probability per row."""
        a, b = self.calibration_["a"], self.calibration_["b"]
        return 1.0 / (1.0 + np.exp(-(a * self.decision_function(X) + b)))

    def logistic_proba(self, X: pd.DataFrame) -> np.ndarray:
        """The logistic model's churn probability per row."""
        Z = self._matrix(X)
        s = self.logistic_
        Z = np.where(np.isnan(Z), s["median"], Z)
        Z = np.hstack([Z, np.isnan(self._matrix(X))[:, s["indicator_features"]]]) if len(s["indicator_features"]) \
            else Z
        z = ((Z - s["mean"]) / s["scale"]) @ s["coef"] + s["intercept"]
        return 1.0 / (1.0 + np.exp(-z))

    def contributions(self, X: pd.DataFrame) -> tuple[np.ndarray, float]:
        """Per-row, per-feature contributions to the raw log-odds and the bias (path method; rows add up exactly)."""
        Z = self._matrix(X)
        t = self.trees_
        expected = self._expected_values()
        contrib = np.zeros((len(Z), len(self.features_)))
        bias = self.baseline_
        rows = np.arange(len(Z))
        for k in range(len(t["offsets"]) - 1):
            o = int(t["offsets"][k])
            bias += expected[o]
            node = np.full(len(Z), o)
            active = ~t["is_leaf"][node].astype(bool)
            while active.any():
                n = node[active]
                f = t["feature_idx"][n]
                x = Z[rows[active], f]
                left = np.where(np.isnan(x), t["missing_go_to_left"][n].astype(bool), x <= t["num_threshold"][n])
                child = o + np.where(left, t["left"][n], t["right"][n]).astype(np.int64)
                np.add.at(contrib, (rows[active], f), expected[child] - expected[n])
                node[active] = child
                active = ~t["is_leaf"][node].astype(bool)
        return contrib, bias

    def _expected_values(self) -> np.ndarray:
        """Each node's training-weighted mean leaf value (leaves: their value)."""
        if getattr(self, "_expected", None) is not None:
            return self._expected
        t = self.trees_
        ev = t["value"].astype(np.float64).copy()
        count = t["count"].astype(np.float64)
        for k in range(len(t["offsets"]) - 1):
            o, e = int(t["offsets"][k]), int(t["offsets"][k + 1])
            for i in range(e - 1, o - 1, -1):   # children come after their parent in the node array
                if not t["is_leaf"][i]:
                    l, r = o + int(t["left"][i]), o + int(t["right"][i])
                    ev[i] = (count[l] * ev[l] + count[r] * ev[r]) / max(count[l] + count[r], 1.0)
        self._expected = ev
        return ev

    def _sk_predictors(self):
        if getattr(self, "_predictors", None) is None:
            from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
            from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

            t = self.trees_
            preds = []
            for k in range(len(t["offsets"]) - 1):
                o, e = int(t["offsets"][k]), int(t["offsets"][k + 1])
                nodes = np.zeros(e - o, dtype=PREDICTOR_RECORD_DTYPE)
                for f in _NODE_FIELDS:
                    nodes[f] = t[f][o:e]
                empty = np.zeros((0, 8), dtype=np.uint32)
                preds.append(TreePredictor(nodes, empty, empty))
            self._predictors = preds
        return self._predictors

    @staticmethod
    def _predict_args(n_features: int, n_rows: int):
        """Arguments of scikit-learn's tree predictor: no categories; threads only for large batches (a parallel
        region per tree costs more than it saves on small ones, and far more on a busy machine)."""
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

        threads = _openmp_effective_n_threads() if n_rows >= 200_000 else 1
        return np.zeros((0, 8), dtype=np.uint32), np.zeros(n_features, dtype=np.uint32), threads


def _platt(raw: np.ndarray, y: np.ndarray) -> dict:
    """Platt scaling ``p = σ(a·raw + b)`` fitted by maximum likelihood on a hold-out."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    return {"a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])}


def _logistic_state(pipe) -> dict:
    imputer, scaler, lr = pipe[0], pipe[1], pipe[2]
    ind = imputer.indicator_.features_ if imputer.indicator_ is not None else np.zeros(0, dtype=np.int64)
    return {"median": np.asarray(imputer.statistics_, dtype=np.float64),
            "indicator_features": np.asarray(ind, dtype=np.int64),
            "mean": np.asarray(scaler.mean_, dtype=np.float64), "scale": np.asarray(scaler.scale_, dtype=np.float64),
            "coef": np.asarray(lr.coef_[0], dtype=np.float64), "intercept": float(lr.intercept_[0])}


# ---------------------------------------------------------------------------------------------- files

def save_model(model: ChurnModel, path: str | Path, extra: dict | None = None) -> Path:
    """Write a fitted model as a skops archive of NumPy arrays and JSON strings (``extra``: more metadata)."""
    import skops.io as sio

    if not hasattr(model, "trees_"):
        raise InputError("cannot save an untrained model")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {**model.meta_, **(extra or {}), "baseline": model.baseline_}
    state = {"meta_json": json.dumps(meta, ensure_ascii=False)}
    state.update({f"tree_{k}": np.asarray(v) for k, v in model.trees_.items()})
    log = model.logistic_
    state.update({f"logistic_{k}": np.asarray(v, dtype=np.float64 if k != "indicator_features" else np.int64)
                  for k, v in log.items() if k != "intercept"})
    meta["logistic_intercept"] = log["intercept"]
    state["meta_json"] = json.dumps(meta, ensure_ascii=False)
    sio.dump(state, path)
    return path


def load_model(path: str | Path) -> tuple[ChurnModel, dict]:
    """Load a churn model file safely (:func:`ivr_text.model_files.load_archive`): (model, metadata)."""
    from ivr_text.model_files import load_archive

    state, meta = load_archive(path, FORMAT, FORMAT_VERSION, "churn model", "ivr-text churn train")
    try:
        model = ChurnModel(ModelConfig.from_dict(meta["config"]), meta.get("monotone"))
        model.trees_ = {k: np.asarray(state[f"tree_{k}"]) for k in (*_NODE_FIELDS, "offsets")}
        model.baseline_ = float(meta["baseline"])
        model.logistic_ = {k: np.asarray(state[f"logistic_{k}"]) for k in
                           ("median", "indicator_features", "mean", "scale", "coef")}
        model.logistic_["intercept"] = float(meta["logistic_intercept"])
        model.encoder_ = TableEncoder.from_dict(meta["encoder"])
        model.features_ = list(meta["features"])
        model.calibration_ = dict(meta["calibration"])
        model.meta_ = meta
        n_nodes = int(model.trees_["offsets"][-1])
        if any(len(model.trees_[f]) != n_nodes for f in _NODE_FIELDS) or \
                len(model.logistic_["coef"]) != len(model.features_) + len(model.logistic_["indicator_features"]) or \
                model.trees_["feature_idx"].max(initial=0) >= len(model.features_):
            raise ValueError("shapes")
    except (KeyError, ValueError, TypeError):
        raise InputError(f"{path}: damaged ivr-text churn model (inconsistent arrays); retrain") from None
    return model, meta
