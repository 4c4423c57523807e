"""Issue 12's figures: leaks of planted PII, tracebacks over the hostile-input suite, false positives on numbers.

    python benchmarks/bench_safety.py [--rows 300] [--seeds 3] [--numbers 10000]

1. Leaks: a planted-PII corpus (``tests/safety_kit.planted_corpus``: every covered kind in random formats) through
   every command that writes user text (``tests/test_pii_outputs.commands``); every output file (CSV, JSON,
   YAML, HTML, Parquet, model archives) is scanned for every planted value, separators and width folded away.
2. Tracebacks: every case of ``tests/test_hostile_inputs.py`` (hostile files, rows, output paths, options,
   config and model files over every command): tracebacks, answers that are not one ``error:`` line, exit
   codes other than 1 (bad input) / 2 (usage).
3. False positives: generated non-PII numbers (checksum-failing 16-19 digit order numbers, service numbers,
   amounts, dates, times, work-order numbers, package codes) through ``mask_pii``; the near misses planted in the
   corpus texts after ``classify predict``; and, when ``../shared/data`` is present, every run of 5+ digits in
   the real COCC and 12365 complaints with what was masked.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pandas as pd  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from ivr_text.cli.main import app  # noqa: E402
from ivr_text.text import mask_pii  # noqa: E402

runner = CliRunner()


def leaks(rows: int, seeds: int) -> None:
    from safety_kit import output_files, planted_corpus, scan_outputs
    from test_pii_outputs import commands

    total = Counter()
    for seed in range(seeds):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            corpus = planted_corpus(n=rows, seed=100 + seed)
            data = corpus.write(tmp / "complaints.csv")
            feedback = tmp / "feedback.csv"
            corpus.frame.assign(cause=corpus.frame["text"].str.slice(0, 60), channel="complaint")[
                ["customer_id", "ts", "cause", "channel"]].to_csv(feedback, index=False)
            failed = [name for name, argv in commands(data, feedback, tmp / "out").items()
                      if runner.invoke(app, argv).exit_code != 0]
            found = scan_outputs([tmp / "out"], corpus.planted)
            files = output_files([tmp / "out"])
            pred = pd.read_csv(tmp / "out" / "predict" / "predictions.csv", dtype=str)
            texts = dict(zip(pred["source_row"].astype(int) - 2, pred["text"]))
            misses = [(i, m) for i, ms in corpus.near_misses.items() for m in ms]
            altered = [(i, m) for i, m in misses if m not in texts.get(i, "")]
            total.update(planted=len(corpus.planted), files=len(files), leaks=len(found), failed=len(failed),
                         misses=len(misses), altered=len(altered))
            kinds = Counter(p.kind for p in corpus.planted)
            print(f"seed {100 + seed}: {len(corpus.frame)} texts, {len(corpus.planted)} planted values "
                  f"({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); {len(files)} output files of "
                  f"{len(commands(data, feedback, tmp))} commands ({len(failed)} failed); leaks {len(found)}"
                  + (f": {found[:3]}" if found else ""))
    print(f"LEAKS: {total['leaks']} of {total['planted']} planted values found in {total['files']} output files "
          f"({total['failed']} commands failed)")
    print(f"FALSE POSITIVES (corpus near misses after classify predict): {total['altered']} of {total['misses']}")


def hostile() -> None:
    import test_hostile_inputs as h
    from safety_kit import good_inputs, hostile_file

    runs = Counter()
    bad = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        good = {k: str(v) for k, v in good_inputs(d / "good").items()}
        blocker = d / "a_file.txt"
        blocker.write_text("x", encoding="utf-8")
        cases = []
        for command, variant in h.FILE_CASES + h.ROW_CASES:
            kind, argv = h.COMMANDS[command]
            path = hostile_file(kind, variant, Path(good[kind]), d / "in")
            cases.append((f"{command} / {variant}", argv(str(path), good, str(d / "o" / command / variant)),
                          {1} if (command, variant) in h.FILE_CASES else {0, 1}))
        for command in sorted(h.COMMANDS) + sorted(h.OTHER):
            build = (lambda o, c=command: h.COMMANDS[c][1](good[h.COMMANDS[c][0]], good, o)) if command in h.COMMANDS \
                else (lambda o, c=command: h.OTHER[c](good, o))
            cases.append((f"{command} / --out under a file", build(str(blocker / "sub")), {2}))
        for command in ["classify predict", "trends", "ivr analyze", "churn quality", "tokenize"]:
            kind, argv = h.COMMANDS[command]
            for extra, code in h._BAD_OPTIONS:
                if extra[0] in ("--format", "--map") and command.startswith("churn"):
                    continue
                cases.append((f"{command} {' '.join(extra)}", argv(good[kind], good, str(d / "o" / "opt")) + extra,
                              {code}))
        for option, command in [("--menu", "ivr analyze"), ("--config", "trends"), ("--taxonomy", "classify predict"),
                                ("--model", "classify predict"), ("--rules", "churn quality")]:
            for variant in ["missing", "symlink_loop", "binary", "deep_json"]:
                path = hostile_file("config", variant, Path(good["complaints"]), d / "cfg")
                kind, argv = h.COMMANDS[command]
                cases.append((f"{command} {option} {variant}", argv(good[kind], good, str(d / "o" / "cfg"))
                              + [option, str(path)], {1}))
        t0 = time.perf_counter()
        for name, argv, codes in cases:
            res = runner.invoke(app, argv)
            text = res.output + res.stderr
            traceback = "Traceback" in text or not (res.exception is None or isinstance(res.exception, SystemExit))
            lines = [x for x in res.stderr.splitlines() if x.strip()]
            one_line = res.exit_code == 0 or (len(lines) == 1 and lines[0].startswith("error: "))
            runs.update(runs=1, tracebacks=traceback, not_one_line=not one_line,
                        wrong_code=res.exit_code not in codes, **{f"exit {res.exit_code}": 1})
            if traceback or not one_line or res.exit_code not in codes:
                bad.append((name, res.exit_code, lines[:2]))
        seconds = time.perf_counter() - t0
    print(f"HOSTILE SUITE: {runs['runs']} runs over {len(h.COMMANDS) + len(h.OTHER)} commands in {seconds:.0f} s: "
          f"tracebacks {runs['tracebacks']}, answers that are not one error line {runs['not_one_line']}, "
          f"unexpected exit codes {runs['wrong_code']} "
          f"(exit 0: {runs['exit 0']}, 1: {runs['exit 1']}, 2: {runs['exit 2']})")
    for b in bad[:10]:
        print("  ", b)


def numbers(n: int, shared: Path) -> None:
    from safety_kit import _luhn_complete

    rng = random.Random(12)

    from ivr_text.text.pii import id_number_ok

    def order():
        """16-19 digits failing the Luhn check (and, at 18 digits, the ID region/birth-date check)."""
        while True:
            s = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(rng.randint(15, 18)))
            if _luhn_complete(s[:-1]) != s and not (len(s) == 18 and id_number_ok(s[:6], s[6:14])):
                return s
    makers = {
        "checksum-failing 16-19 digit order numbers": lambda: f"订单号{order()}",
        "service numbers": lambda: rng.choice(["10086", "10010", "10000", "95588", "95533", "12315", "12345",
                                               "400-" + str(rng.randint(100, 999)) + "-" + str(rng.randint(1000, 9999)),
                                               "400" + str(rng.randint(1000000, 9999999))]),
        "amounts": lambda: rng.choice([f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}元",
                                       f"¥{rng.randint(1, 9999):,}", f"{rng.randint(1000, 999999):,}.50元"]),
        "dates and times": lambda: rng.choice([
            f"{rng.randint(2000, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
            f"{rng.randint(2000, 2030)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 23):02d}"
            f"{rng.randint(0, 59):02d}{rng.randint(0, 59):02d}", f"{rng.randint(2000, 2030)}年{rng.randint(1, 12)}月"
            f"{rng.randint(1, 28)}日"]),
        "work-order numbers (8-14 digits)": lambda: f"工单号{rng.randint(10 ** 7, 10 ** 14 - 1)}",
        "package codes": lambda: rng.choice(["KT5G59A", "5G畅享套餐", "4G飞享58元", "100M宽带", "TC2024A01",
                                             f"P{rng.randint(100000, 999999)}X"]),
    }
    total = changed = 0
    for name, make in makers.items():
        values = [make() for _ in range(n)]
        hit = [v for v in values if mask_pii(f"客户反映{v}，请处理") != f"客户反映{v}，请处理"]
        total += len(values)
        changed += len(hit)
        print(f"  {name}: {len(hit)} of {len(values)} masked" + (f", e.g. {hit[:3]}" if hit else ""))
    print(f"FALSE POSITIVES (generated non-PII numbers): {changed} of {total}")
    real = []
    cocc = shared / "cocc_cmcc_complaints" / "cocc_dev.tsv"
    if cocc.exists():
        real.append(("COCC", pd.read_csv(cocc, sep="\t")["text"].astype(str).tolist()))
    car = sorted((shared / "car_complaints_12365").glob("*.csv"))
    if car:
        df = pd.read_csv(car[0])
        real.append(("12365", (df["desc"].astype(str) + "。" + df["problem"].astype(str)).tolist()))
    for name, texts in real:
        runs = sum(len(re.findall(r"[0-9]{5,}", t)) for t in texts)
        kinds = Counter(k for t in texts for k in re.findall(r"<(?:PHONE|TEL|ID|CARD|EMAIL|QQ|WECHAT|NAME|ADDR)>",
                                                                     mask_pii(t)))
        print(f"  {name}: {len(texts):,} texts with {runs:,} runs of 5+ digits; masked: "
              + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "nothing"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--numbers", type=int, default=10_000)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data", help="the real data sets")
    args = ap.parse_args()
    leaks(args.rows, args.seeds)
    hostile()
    numbers(args.numbers, args.shared)


if __name__ == "__main__":
    main()
