"""Issue 12: a planted-PII corpus through every command that carries text; no planted value in any output file.

Planted: mobiles (spaced, dashed, +86, full-width, glued to letters), landlines, 18-digit IDs (also with a
wrong check digit), 15-digit IDs, bank cards, e-mails, QQ numbers, WeChat IDs, names after markers and before
先生/女士, street addresses; near misses (service numbers, order numbers failing every check, amounts, dates,
package codes) must come out unchanged; formula payloads must be neutralised in every CSV.
"""

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from safety_kit import built_once, SAMPLE, formula_cells, output_files, planted_corpus, read_accounting, scan_outputs

runner = CliRunner()
_built_once = pytest.fixture(scope="module", autouse=True)(built_once)


def commands(data: Path, feedback: Path, out: Path) -> dict[str, list[str]]:
    """Every command that writes user text, on the planted corpus (small settings: seconds, not minutes)."""
    f, model = str(data), str(out / "model" / "cause.model")
    return {
        "tokenize": ["tokenize", f, "--out", str(out / "tokenize")],
        "classify predict": ["classify", "predict", f, "--out", str(out / "predict")],
        "classify train": ["classify", "train", f, "--model", model, "--out", str(out / "train"), "--jobs", "1"],
        "classify predict --model": ["classify", "predict", f, "--model", model, "--out", str(out / "predict_model"),
                                     "--jobs", "1"],
        "classify evaluate": ["classify", "evaluate", f, "--model", model, "--out", str(out / "evaluate")],
        "classify taxonomy": ["classify", "taxonomy", f, "--out", str(out / "taxonomy" / "taxonomy.yaml"),
                              "--min-texts", "2"],
        "topics": ["topics", f, "--out", str(out / "topics"), "--topics", "2", "--passes", "1", "--iterations", "20",
                   "--n-jobs", "1", "--by", "label"],
        "trends": ["trends", f, "--out", str(out / "trends"), "--period", "week", "--by", "label"],
        "keywords expand": ["keywords", "expand", f, "--out", str(out / "keywords" / "keywords.csv"), "--epochs", "1",
                            "--cause-column", "label"],
        "churn signal": ["churn", "signal", "--feedback", str(feedback), "--usage", str(SAMPLE / "usage.csv"),
                         "--out", str(out / "churn")],
        # one run per report page (a folder holding two predictions runs is refused): each text output in turn
        "report": ["report", "--complaints", str(out / "predict_model"), "--churn", str(out / "churn"),
                   "--out", str(out / "html")],
        "report evaluate": ["report", "--complaints", str(out / "evaluate"), "--out", str(out / "html_evaluate")],
        "report topics": ["report", "--complaints", str(out / "topics"), "--out", str(out / "html_topics")],
        "report trends": ["report", "--complaints", str(out / "trends"), "--out", str(out / "html_trends"),
                          "--xlsx", str(out / "html_trends" / "team.xlsx")],
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    work = tmp_path_factory.mktemp("planted")
    corpus = planted_corpus(n=90, seed=12)
    data = corpus.write(work / "complaints.csv")
    feedback = work / "feedback.csv"  # free text in the cause column reaches the warning list
    corpus.frame.assign(cause=corpus.frame["text"].str.slice(0, 60), channel="complaint")[
        ["customer_id", "ts", "cause", "channel"]].to_csv(feedback, index=False)
    out = work / "out"
    results = {name: runner.invoke(app, argv) for name, argv in commands(data, feedback, out).items()}
    return corpus, data, out, results


def test_every_command_ran(run):
    _, _, _, results = run
    for name, res in results.items():
        assert res.exit_code == 0, f"{name}: {res.output}{res.stderr}"


def test_no_planted_value_in_any_output_file(run):
    corpus, _, out, _ = run
    files = output_files([out])
    assert len(corpus.planted) > 150 and len(files) > 30
    assert {p.suffix for p in files} >= {".csv", ".json", ".html", ".yaml", ".model"}
    leaks = scan_outputs([out], corpus.planted)
    assert leaks == [], f"{len(leaks)} leaks, e.g. {leaks[:5]}"


def test_the_scan_finds_raw_values_with_no_mask(run, tmp_path):
    corpus, data, _, _ = run
    res = runner.invoke(app, ["classify", "predict", str(data), "--out", str(tmp_path), "--no-mask"])
    assert res.exit_code == 0 and "PII masking OFF" in res.output and "--no-mask" in res.stderr
    kinds = {kind for _, kind, _ in scan_outputs([tmp_path], corpus.planted)}
    assert kinds == {p.kind for p in corpus.planted}  # every kind is visible to the scan when unmasked
    res = runner.invoke(app, ["classify", "predict", str(data), "--out", str(tmp_path / "again")])
    assert scan_outputs([tmp_path / "again"], corpus.planted) == []  # and the next run masks again


def test_near_misses_come_out_unchanged(run):
    corpus, _, out, _ = run
    pred = pd.read_csv(out / "predict" / "predictions.csv", dtype=str)
    tokens = pd.read_csv(out / "tokenize" / "tokens.csv", dtype=str)  # the used rows, in input order
    assert len(tokens) == len(pred) == len(corpus.frame)
    for name, texts in (("predictions", dict(zip(pred["source_row"].astype(int) - 2, pred["text"]))),
                        ("tokens", dict(enumerate(tokens["text"])))):
        changed = [(i, m) for i, misses in corpus.near_misses.items() for m in misses if m not in texts[i]]
        assert changed == [], f"{name}: near misses altered: {changed[:5]}"


def test_formulas_are_neutralised_and_read_back(run):
    _, _, out, _ = run
    assert formula_cells([out]) == []
    pred = pd.read_csv(out / "predict" / "predictions.csv", dtype=str)
    for payload in ("'=HYPERLINK", "'+SUM", "'-1+2", "'@SUM", "'=cmd"):
        assert pred["text"].str.startswith(payload).any(), payload
    from ivr_text.io import read_table

    back = read_table(out / "predict" / "predictions.csv", columns=["text"]).data["text"]
    assert back.str.startswith("=HYPERLINK").any() and not back.str.startswith("'=").any()


def test_malformed_rows_keep_their_masked_raw_record(run):
    corpus, data, out, results = run
    rej = pd.read_csv(out / "predict" / "rejected_complaints.csv", dtype=str)
    malformed = rej[rej["reason"].str.startswith("malformed row")]
    assert len(malformed) == len(corpus.malformed)
    lines = Path(data).read_text(encoding="utf-8").splitlines()
    for _, row in malformed.iterrows():
        assert lines[int(row["source_row"]) - 1].startswith("X")  # the file line, header = 1
        assert "<PHONE>" in row["raw_record"] and "<NAME>" in row["raw_record"]


def test_row_accounting_holds_for_every_command(run):
    _, _, out, results = run
    for name, res in results.items():
        for read, used, rejected in read_accounting(res.output):
            assert read == used + rejected, f"{name}: {read} != {used} + {rejected}"
    rej = pd.read_csv(out / "predict" / "rejected_complaints.csv")
    (read, used, rejected), = read_accounting(results["classify predict"].output)
    assert rejected == len(rej) and used == len(pd.read_csv(out / "predict" / "predictions.csv"))
