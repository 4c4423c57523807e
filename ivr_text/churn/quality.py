"""Usage data-quality checks before any churn analysis: rules as data, a report, quarantine and clean rows.

``check_usage(usage, rules, labels=None)`` applies each rule of ``quality_rules.yaml`` (expressions over
columns such as ``long_distance_fee > bill`` and built-in checks: negative, missing, duplicate, gap,
after_churn). A rule whose columns the file lacks is skipped and reported, never a crash. Error-severity
rules quarantine rows; warnings are counted only. Guarantee: ``len(clean) + len(quarantine) == len(usage)``.
Vectorised (sort + diff for gaps, ``duplicated`` for duplicates): about 2 s for 12 M rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ivr_text.churn import expr as rule_expr
from ivr_text.churn.flags import join_flags
from ivr_text.churn.periods import period_index
from ivr_text.errors import InputError

KEYS = ("customer_id", "period")
CHECKS = ("negative", "missing", "duplicate", "gap", "after_churn")


@dataclass
class QualityResult:
    report: pd.DataFrame          # one row per rule: counts, status, severity
    quarantine: pd.DataFrame      # quarantined rows with ``quality_rules`` (names) and ``source_row``
    clean: pd.DataFrame           # rows that passed every error-severity rule
    flags: pd.DataFrame = field(default_factory=pd.DataFrame)  # rows × rule booleans (applied rules)

    def summary(self) -> dict:
        applied = self.report[self.report["status"] == "applied"]
        return {
            "rows": int(len(self.clean) + len(self.quarantine)),
            "clean_rows": int(len(self.clean)),
            "quarantined_rows": int(len(self.quarantine)),
            "rules_applied": int(len(applied)),
            "rules_skipped": self.report.loc[self.report["status"] != "applied", "rule"].tolist(),
            "rules": self.report.to_dict(orient="records"),
        }


def measure_columns(usage: pd.DataFrame, wanted: list[str] | None = None) -> list[str]:
    """Numeric measure columns of a usage table (every numeric column but the keys, or ``wanted``)."""
    if wanted:
        missing = [c for c in wanted if c not in usage.columns]
        if missing:
            raise InputError(f"usage has no column '{missing[0]}' (columns: {', '.join(usage.columns)})")
        return list(wanted)
    return [c for c in usage.columns if c not in KEYS and pd.api.types.is_numeric_dtype(usage[c])]


def check_usage(usage: pd.DataFrame, rules: list[dict], labels: pd.DataFrame | None = None,
                measures: list[str] | None = None) -> QualityResult:
    """Apply ``rules`` to ``usage`` (columns ``customer_id``, ``period`` and measures); see module doc."""
    usage = usage.reset_index(drop=True)
    measures = measure_columns(usage, measures)
    n = len(usage)
    rows, flag_cols = [], {}
    for rule in rules:
        name = rule["name"]
        severity = rule.get("severity", "error")
        entry = {"rule": name, "description": rule.get("description", ""), "severity": severity,
                 "action": "quarantine" if severity == "error" else "flag", "check": rule.get("expr") or
                 rule.get("check"), "status": "applied", "rows": 0, "customers": 0, "share_of_rows": 0.0,
                 "detail": ""}
        mask, detail, skip = _apply(rule, usage, measures, labels)
        if skip:
            entry["status"] = f"skipped: {skip}"
        else:
            entry["rows"] = int(mask.sum())
            entry["customers"] = int(usage.loc[mask, "customer_id"].nunique()) if mask.any() else 0
            entry["share_of_rows"] = round(entry["rows"] / n, 6) if n else 0.0
            entry["detail"] = detail
            flag_cols[name] = mask
        rows.append(entry)
    report = pd.DataFrame(rows)
    flags = pd.DataFrame(flag_cols, index=usage.index)
    errors = [r["name"] for r in rules if r.get("severity", "error") == "error" and r["name"] in flag_cols]
    bad = flags[errors].any(axis=1).to_numpy() if errors else np.zeros(n, dtype=bool)
    quarantine = usage.loc[bad].copy()
    source_rows = usage.attrs.get("source_rows")
    if source_rows is not None and len(source_rows) == n:
        quarantine.insert(0, "source_row", np.asarray(source_rows)[bad])
    names = list(flags.columns)
    quarantine["quality_rules"] = join_flags(flags.to_numpy()[bad], names, sep=";") if names else ""
    clean = usage.loc[~bad].reset_index(drop=True)
    return QualityResult(report=report, quarantine=quarantine.reset_index(drop=True), clean=clean, flags=flags)


def _apply(rule: dict, usage: pd.DataFrame, measures: list[str], labels) -> tuple[np.ndarray, str, str]:
    """(bad-row mask, detail, skip reason or '')."""
    n = len(usage)
    none = np.zeros(n, dtype=bool)
    if "expr" in rule:
        cols = rule_expr.names(rule["expr"])
        missing = [c for c in cols if c not in usage.columns]
        if missing:
            return none, "", _missing(missing, usage)
        return rule_expr.evaluate(rule["expr"], {c: usage[c].to_numpy(dtype=float, na_value=np.nan)
                                                 for c in cols}), "", ""
    check = rule["check"]
    if check not in CHECKS:
        raise InputError(f"quality rule '{rule['name']}': unknown check '{check}' (use {', '.join(CHECKS)})")
    if check in ("negative", "missing"):
        cols = rule.get("columns") or measures
        present = [c for c in cols if c in usage.columns]
        if not present:
            return none, "", _missing(cols, usage) if cols else "missing column (no measure columns)"
        values = usage[present].to_numpy(dtype=float, na_value=np.nan)
        hit = values < 0 if check == "negative" else np.isnan(values)
        if check == "missing" and rule.get("applicable_only", True):
            # a measure a customer never has (e.g. broadband for a customer without it) is not missing
            has_any = usage[present].notna().groupby(usage["customer_id"].to_numpy()).transform("any")
            hit &= has_any.to_numpy(dtype=bool)
        per_col = dict(zip(present, hit.sum(axis=0).tolist()))
        detail = ", ".join(f"{c}: {k}" for c, k in per_col.items() if k)
        return hit.any(axis=1), detail, ""
    if check == "duplicate":
        keep = rule.get("keep", "first")
        if keep not in ("first", "none"):
            raise InputError(f"quality rule '{rule['name']}': keep must be first or none")
        mask = usage.duplicated(list(KEYS), keep="first" if keep == "first" else False).to_numpy()
        return mask, f"keep {keep}", ""
    if check == "gap":
        return _gaps(usage)
    # after_churn
    if labels is None:
        return none, "", "needs --labels"
    if "churn_period" not in labels.columns or labels["churn_period"].isna().all():
        return none, "", "labels have no churn_period"
    churned = labels[labels["churned"].fillna(False).astype(bool) & labels["churn_period"].notna()]
    churn_at = churned.drop_duplicates("customer_id").set_index("customer_id")["churn_period"]
    at = usage["customer_id"].map(churn_at)
    has = at.notna().to_numpy()
    mask = none.copy()
    inclusive = bool(rule.get("inclusive", True))
    up, cp = period_index(usage["period"].to_numpy()[has]), period_index(at.to_numpy()[has])
    mask[has] = up >= cp if inclusive else up > cp
    return mask, "usage in or after churn_period" if inclusive else "usage after churn_period", ""


def _missing(columns: list[str], usage: pd.DataFrame) -> str:
    """``missing column bil (did you mean 'bill'?)`` — a typo in a rules file shows up in the report."""
    import difflib

    text = f"missing column {', '.join(map(str, columns))}"
    close = difflib.get_close_matches(str(columns[0]), [str(c) for c in usage.columns], n=1, cutoff=0.6)
    return text + (f" (did you mean '{close[0]}'?)" if close else "")


def _gaps(usage: pd.DataFrame) -> tuple[np.ndarray, str, str]:
    """Flag the first row after each gap in a customer's periods; detail counts missing periods."""
    codes, _ = pd.factorize(usage["customer_id"])
    pidx = period_index(usage["period"].to_numpy())
    order = np.lexsort((pidx, codes))
    c, p = codes[order], pidx[order]
    step = np.diff(p, prepend=p[:1])
    same = np.r_[False, c[1:] == c[:-1]]
    gap = same & (step > 1)
    mask = np.zeros(len(usage), dtype=bool)
    mask[order[gap]] = True
    missing = int((step[gap] - 1).sum())
    return mask, f"{missing} missing periods", ""
