"""Customer tables → a numeric matrix for the churn model, with every dropped column said and why.

Numeric columns pass through (missing stays NaN); text columns with at most ``max_levels`` distinct values
(``Yes``/``No``, a contract type) become one 0/1 column per value (missing: all NaN), longer text columns
are dropped. Dropped as well: constant columns and identifiers (a column named like an id whose values are
all distinct). The fitted state is plain JSON, so a model file carries it without pickle.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

_ID_NAME = re.compile(r"(^|_)(id|customer|customerid|cust_id|user|userid|msisdn|phone)($|_)|id$", re.IGNORECASE)


class TableEncoder:
    """Fit on a table, then ``transform`` any table with the same columns (missing columns → NaN)."""

    def __init__(self, max_levels: int = 30):
        self.max_levels = max_levels

    def fit(self, X: pd.DataFrame) -> "TableEncoder":
        self.columns_, self.levels_, self.dropped_ = [], {}, {}
        n = len(X)
        for c in X.columns:
            s = X[c]
            name = str(c)
            if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
                v = pd.to_numeric(s, errors="coerce").astype(float)
                if v.nunique(dropna=True) <= 1:
                    self.dropped_[name] = "constant"
                elif _ID_NAME.search(name) and v.nunique() == n and n > 20:
                    self.dropped_[name] = "identifier (a distinct value on every row)"
                else:
                    self.columns_.append(name)
                continue
            text = s.astype("string").str.strip()
            levels = text.dropna().value_counts()
            if len(levels) <= 1:
                self.dropped_[name] = "constant"
            elif len(levels) > self.max_levels:
                self.dropped_[name] = f"text with {len(levels)} distinct values (more than {self.max_levels})"
            else:
                self.columns_.append(name)
                self.levels_[name] = [str(v) for v in sorted(levels.index)]
        self.features_ = [f for c in self.columns_ for f in
                          ([f"{c}={v}" for v in self.levels_[c]] if c in self.levels_ else [c])]
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Float matrix (rows × ``features_``), C-contiguous."""
        blocks = []
        for c in self.columns_:
            s = X[c] if c in X.columns else pd.Series(np.nan, index=X.index)
            if c in self.levels_:
                text = s.astype("string").str.strip()
                miss = text.isna().to_numpy()
                for v in self.levels_[c]:
                    col = (text == v).fillna(False).to_numpy(dtype=float)
                    col[miss] = np.nan
                    blocks.append(col)
            else:
                blocks.append(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
        if not blocks:
            return np.zeros((len(X), 0))
        return np.ascontiguousarray(np.column_stack(blocks), dtype=np.float64)

    def to_dict(self) -> dict:
        return {"max_levels": self.max_levels, "columns": self.columns_, "levels": self.levels_,
                "dropped": self.dropped_, "features": self.features_}

    @classmethod
    def from_dict(cls, d: dict) -> "TableEncoder":
        enc = cls(int(d["max_levels"]))
        enc.columns_, enc.levels_ = list(d["columns"]), {k: list(v) for k, v in d["levels"].items()}
        enc.dropped_, enc.features_ = dict(d["dropped"]), list(d["features"])
        return enc
