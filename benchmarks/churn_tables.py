"""Cell2Cell hold-out: our churn model vs scikit-learn's default HistGradientBoosting on the same columns.

Splits the calibration sample (stratified, seed 0) into 75 % training and 25 % unseen customers in a temporary
folder (no rows are written into the repository), runs ``ivr-text churn train-table`` and
``ivr-text churn evaluate-table --model`` through the CLI, fits a default ``HistGradientBoostingClassifier``
on the same training rows and columns, and prints AUC and top-decile lift side by side — also reweighted to
the real churn rate of 1.96 % (the calibration sample oversamples churners to 50 %). Not run by the tests.

    .venv/bin/python benchmarks/churn_tables.py [--data ../shared/data/cell2cell/cell2cell_calibration.csv]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from ivr_text.churn.encoding import TableEncoder
from ivr_text.churn.evaluate import ranking_metrics
from ivr_text.cli.main import app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parents[1]
    shared = next((p / "shared" for p in (root.parent, root.parent.parent) if (p / "shared").exists()), root.parent)
    ap.add_argument("--data", default=str(shared / "data" / "cell2cell" / "cell2cell_calibration.csv"))
    ap.add_argument("--label", default="churn")
    ap.add_argument("--population-rate", type=float, default=0.0196)
    args = ap.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    train, test = train_test_split(df, test_size=0.25, random_state=0, stratify=df[args.label])
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        tr, te, model = Path(tmp) / "train.csv", Path(tmp) / "test.csv", Path(tmp) / "model.skops"
        train.to_csv(tr, index=False)
        test.to_csv(te, index=False)
        r = runner.invoke(app, ["churn", "train-table", str(tr), "--label-column", args.label, "--model", str(model)])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["churn", "evaluate-table", str(te), "--model", str(model), "--json",
                                "--population-churn-rate", str(args.population_rate)])
        assert r.exit_code == 0, r.output
        ours = json.loads(r.stdout[r.stdout.index("{"):])
    num = lambda d: d.apply(pd.to_numeric, errors="coerce")  # noqa: E731
    X_tr, X_te = num(train.drop(columns=args.label)), num(test.drop(columns=args.label))
    enc = TableEncoder().fit(X_tr)   # the same columns the model uses (identifier and constant ones dropped)
    y_tr, y_te = (d[args.label].astype(int).to_numpy().astype(bool) for d in (train, test))
    hgb = HistGradientBoostingClassifier(random_state=0).fit(enc.transform(X_tr), y_tr)
    base = ranking_metrics(y_te, hgb.predict_proba(enc.transform(X_te))[:, 1], population_rate=args.population_rate)
    print(f"Cell2Cell: trained on {len(train):,}, scored on {len(test):,} unseen customers, "
          f"{len(enc.features_)} columns")
    for name, m in (("ivr-text model", ours["model"]), ("HistGradientBoosting default", base),
                    ("ivr-text logistic", ours["logistic"])):
        print(f"{name:30s} AUC {m['auc']:.4f} [{m['auc_ci95'][0]:.3f}, {m['auc_ci95'][1]:.3f}]  top-decile lift "
              f"{m['top_decile_lift']:.3f} (sample, 50 % churners; at most 2.0)  at {args.population_rate:.2%}: "
              f"{m['top_decile_lift_at_population_rate']:.3f}")


if __name__ == "__main__":
    main()
