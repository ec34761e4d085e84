"""Train the restate_fact scorer on our labelled corpus and write `resources/fact_scorer.json`.

    python scripts/train_fact_scorer.py            # cross-validate, then train on all and write
    python scripts/train_fact_scorer.py --dry-run  # cross-validate only

The rules propose candidate turns (a unit sharing two or more content words with the other
side); each gets the cue values and words the restatement tagger computes
(`RestatementTagger._score_fact`), and a scikit-learn logistic regression learns which are
restatements. Reported first: F1 on all agent turns with each corpus batch held out in turn
(batches are written by different writers, so this measures generalisation to new writing),
next to the rules alone, and on the held-out test side trained on the dev side only: the scorer
that is written.
Only our own corpus is used: SwDA is evaluation data.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from qscore import read_transcripts
from qscore.annotate import annotate
from qscore.corpus import CORPUS_DIR, batch_of, load_corpus, split_of
from qscore.detect import make_pipeline as make_nlp
from qscore.detect.fact_scorer import RESOURCE

OUT = Path(__file__).resolve().parents[1] / "src" / "qscore" / "resources" / RESOURCE
C = 10.0
PRUNE = 0.02  # weights smaller than this change no decision on our corpus: left out of the file


def collect() -> tuple[list[dict], np.ndarray, np.ndarray, list[str], np.ndarray, np.ndarray]:
    """Candidate agent turns: features, gold label, rule decision, batch; plus every agent
    turn's gold and rule labels (non-candidates can never be tagged)."""
    nlp = make_nlp()
    tagger = nlp.get_pipe("qscore_restatements")
    tagger.initialize()
    tagger.scorer, tagger.collected = None, []
    for _records in annotate(read_transcripts(CORPUS_DIR), nlp):
        pass  # the tagger collects each candidate turn's features as the corpus goes through
    gold = {(c["conversation_id"], i): t for c in load_corpus() for i, t in enumerate(c["turns"])}
    rows, y, rule, batches = [], [], [], []
    for cid, index, features in tagger.collected:
        turn = gold[(cid, index)]
        if turn["role"] != "agent":
            continue
        rows.append(features)
        y.append("restate_fact" in turn.get("tags", []))
        rule.append(features["rule"] == 1.0)  # what the rules alone decided
        batches.append(batch_of(cid))
    agent = [k for k, t in gold.items() if t["role"] == "agent"]
    all_gold = np.array(["restate_fact" in gold[k].get("tags", []) for k in agent])
    all_split = np.array([split_of(k[0]) for k in agent])
    return rows, np.array(y), np.array(rule), batches, all_gold, all_split


def model() -> object:
    return make_pipeline(DictVectorizer(), LogisticRegression(C=C, class_weight="balanced", max_iter=5000))


def f1_with_missed(pred: np.ndarray, y: np.ndarray, missed: int) -> float:
    """F1 over all agent turns: gold restatements outside the candidates count as misses."""
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum()) + missed
    return 2 * tp / max(1, 2 * tp + fp + fn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="report cross-validation only; write nothing")
    args = parser.parse_args()
    rows, y, rule, batches, all_gold, all_split = collect()
    batches_arr = np.array(batches)
    missed = int(all_gold.sum() - y.sum())  # gold restatements the rules never propose
    pred = np.zeros(len(y), bool)
    for held in sorted(set(batches)):
        train, test = batches_arr != held, batches_arr == held
        fitted = model().fit([r for r, t in zip(rows, train) if t], y[train])
        pred[test] = fitted.predict_proba([r for r, t in zip(rows, test) if t])[:, 1] >= 0.5
    print(f"{len(rows)} candidate agent turns, {int(y.sum())} restatements among them; "
          f"{missed} gold restatements are not candidates")
    print(f"batch held out in turn: scorer F1 {f1_with_missed(pred, y, missed):.3f}   "
          f"rules alone {f1_with_missed(rule, y, missed):.3f}")
    split = np.array([split_of(b + "-") for b in batches])
    missed_test = int(all_gold[all_split == "test"].sum() - y[split == "test"].sum())
    dev_fit = model().fit([r for r, s in zip(rows, split) if s == "dev"], y[split == "dev"])
    test_pred = dev_fit.predict_proba([r for r, s in zip(rows, split) if s == "test"])[:, 1] >= 0.5
    print(f"trained on dev, measured on test: scorer F1 "
          f"{f1_with_missed(test_pred, y[split == 'test'], missed_test):.3f}   rules alone "
          f"{f1_with_missed(rule[split == 'test'], y[split == 'test'], missed_test):.3f}")
    if args.dry_run:
        return
    # The shipped scorer is the dev-trained one: the test side stays unseen by
    # every detector, so `scripts/eval_tags.py` can keep reporting honest held-out figures.
    vec, clf = dev_fit[0], dev_fit[-1]
    weights = {name: round(float(w), 4) for name, w in zip(vec.get_feature_names_out(), clf.coef_[0])
               if abs(w) >= PRUNE}
    OUT.write_text(json.dumps({
        "about": "restate_fact scorer: logistic regression over the restatement tagger's cues and the "
                 "turn's words; trained by scripts/train_fact_scorer.py on corpora/service",
        "trained": date.today().isoformat(),
        "trained_on": "corpora/service, dev side",
        "trained_on_batches": sorted(set(batches_arr[split == "dev"])),
        "candidates": int((split == "dev").sum()),
        "C": C,
        "threshold": 0.5,
        "bias": round(float(clf.intercept_[0]), 4),
        "weights": dict(sorted(weights.items(), key=lambda kv: -abs(kv[1]))),
    }, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"written: {OUT} ({len(weights)} weights)")


if __name__ == "__main__":
    main()
