"""Train the learned tag scorers on our labelled corpus and write `resources/scorer_<tag>.json`.

    python scripts/train_scorers.py                       # cross-validate, then train and write all
    python scripts/train_scorers.py --dry-run             # cross-validate only
    python scripts/train_scorers.py --tag restate_feeling # one tag

The rules propose candidate turns (`qscore.detect.scorers` says which for each tag); each gets
the cue values and words its detector computes, and a scikit-learn logistic regression learns
which carry the tag. Reported first, for each tag: F1 on the dev side's agent turns with each
dev batch held out in turn (batches are written by different writers, so this measures
generalisation to new writing), next to the rules alone; then F1 on the held-out test side
trained on the dev side only: the scorer that is written. The test side never trains anything,
so `scripts/eval_tags.py` keeps reporting held-out figures. Only our own corpus is used: SwDA is
evaluation data.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from qscore import read_transcripts
from qscore.annotate import annotate
from qscore.corpus import CORPUS_DIR, batch_of, load_corpus, split_of
from qscore.detect import make_pipeline as make_nlp
from qscore.detect.scorers import SCORED_TAGS, Candidate, resource_name, turn_features

RESOURCES = Path(__file__).resolve().parents[1] / "src" / "qscore" / "resources"
C = {"restate_fact": 0.3, "restate_feeling": 1.0, "high_gain_question": 1.0}
MIN_TURNS = 3  # a word or word pair seen in fewer training candidates gets no weight (names, places)
PRUNE = 0.02  # weights smaller than this change no decision on our corpus: left out of the file
ABOUT = {
    "restate_fact": "turns where the rules found a restatement, or sharing a content word with the other "
                    "side's latest run of turns",
    "restate_feeling": "turns with an emotion word, an empathy idiom or a reflecting frame, or answering an "
                       "emotional run of turns, once the other side has spoken",
    "high_gain_question": "turns with an open question (the open questions' words)",
}


class Candidates:
    """One tag's candidate agent turns: features, gold label, the rules' decision, batch, split;
    plus the number of gold-tagged agent turns per batch (non-candidates can never be tagged)."""

    def __init__(self, tag: str, collected: list[Candidate], gold: dict) -> None:
        rows, y, rule, batches = [], [], [], []
        for c in collected:
            turn = gold[(c.conversation_id, c.turn_index)]
            if c.tag != tag or turn["role"] != "agent":
                continue
            rows.append(turn_features(c.words, c.cues, c.context, c.anchors))
            y.append(tag in turn.get("tags", []))
            rule.append(c.cues["rule"] == 1.0)  # what the rules alone decided
            batches.append(batch_of(c.conversation_id))
        self.rows, self.y, self.rule = rows, np.array(y, bool), np.array(rule, bool)
        self.batch = np.array(batches)
        self.split = np.array([split_of(b + "-") for b in batches])
        self.gold_by_batch: dict[str, int] = {}
        for (cid, _i), turn in gold.items():
            if turn["role"] == "agent":
                b = batch_of(cid)
                self.gold_by_batch[b] = self.gold_by_batch.get(b, 0) + (tag in turn.get("tags", []))

    def subset(self, mask: np.ndarray) -> list[dict]:
        return [r for r, keep in zip(self.rows, mask) if keep]

    def f1(self, pred: np.ndarray, mask: np.ndarray) -> float:
        """F1 over all agent turns of the batches in `mask`: gold outside the candidates are misses."""
        tp = int((pred & self.y & mask).sum())
        fp = int((pred & ~self.y & mask).sum())
        gold = sum(self.gold_by_batch.get(b, 0) for b in set(self.batch[mask]))
        return 2 * tp / max(1, tp + fp + gold)


def collect() -> list[Candidate]:
    """Every candidate the scoring components see on the corpus, with its features."""
    nlp = make_nlp()
    pipes = [pipe for _name, pipe in nlp.pipeline if hasattr(pipe, "SCORED") and pipe.SCORED]
    collected: list[Candidate] = []
    for pipe in pipes:
        pipe.initialize()
        pipe.scorers, pipe.collected = {}, collected  # rules only: the candidates' cues as they are
    for _records in annotate(read_transcripts(CORPUS_DIR), nlp):
        pass
    return collected


class CommonFeatures(BaseEstimator, TransformerMixin):
    """Drop word features seen in fewer than `min_turns` training candidates: one-off names,
    places and amounts fit the training writers, not the next ones. Cues always stay."""

    def __init__(self, min_turns: int = MIN_TURNS) -> None:
        self.min_turns = min_turns

    def fit(self, rows: list[dict], y: object = None) -> CommonFeatures:
        counts = Counter(name for row in rows for name in row if "=" in name)
        self.keep_ = {name for name, n in counts.items() if n >= self.min_turns}
        return self

    def transform(self, rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in row.items() if "=" not in k or k in self.keep_} for row in rows]


def model(tag: str) -> object:
    return make_pipeline(CommonFeatures(), DictVectorizer(),
                         LogisticRegression(C=C[tag], class_weight="balanced", max_iter=5000))


def evaluate(tag: str, cand: Candidates) -> object:
    """Print the cross-validated figures; return the scorer trained on the dev side."""
    dev, test = cand.split == "dev", cand.split == "test"
    pred = np.zeros(len(cand.y), bool)
    for held in sorted(set(cand.batch[dev])):
        train, out = dev & (cand.batch != held), cand.batch == held
        fitted = model(tag).fit(cand.subset(train), cand.y[train])
        pred[out] = fitted.predict_proba(cand.subset(out))[:, 1] >= 0.5
    dev_fit = model(tag).fit(cand.subset(dev), cand.y[dev])
    pred[test] = dev_fit.predict_proba(cand.subset(test))[:, 1] >= 0.5
    missed = sum(cand.gold_by_batch.values()) - int(cand.y.sum())
    print(f"{tag}: {len(cand.y)} candidate agent turns, {int(cand.y.sum())} tagged; "
          f"{missed} tagged turns are not candidates")
    print(f"  dev, each batch held out in turn: scorer F1 {cand.f1(pred, dev):.3f}   "
          f"rules alone {cand.f1(cand.rule, dev):.3f}")
    print(f"  trained on dev, measured on test: scorer F1 {cand.f1(pred, test):.3f}   "
          f"rules alone {cand.f1(cand.rule, test):.3f}")
    return dev_fit


def write(tag: str, fitted: object, cand: Candidates) -> None:
    vec, clf = fitted[-2], fitted[-1]
    weights = {name: round(float(w), 4) for name, w in zip(vec.get_feature_names_out(), clf.coef_[0])
               if abs(w) >= PRUNE}
    out = RESOURCES / resource_name(tag)
    out.write_text(json.dumps({
        "about": f"{tag} scorer: logistic regression over the detector's cues and the words of its "
                 f"candidates ({ABOUT[tag]}); trained by scripts/train_scorers.py on corpora/service",
        "trained": date.today().isoformat(),
        "trained_on": "corpora/service, dev side",
        "trained_on_batches": sorted(set(cand.batch[cand.split == "dev"].tolist())),
        "candidates": int((cand.split == "dev").sum()),
        "C": C[tag],
        "min_turns": MIN_TURNS,
        "threshold": 0.5,
        "bias": round(float(clf.intercept_[0]), 4),
        "weights": dict(sorted(weights.items(), key=lambda kv: -abs(kv[1]))),
    }, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"  written: {out} ({len(weights)} weights)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="report cross-validation only; write nothing")
    parser.add_argument("--tag", choices=SCORED_TAGS, action="append", help="train only this tag (repeatable)")
    args = parser.parse_args()
    collected = collect()
    gold = {(c["conversation_id"], i): t for c in load_corpus() for i, t in enumerate(c["turns"])}
    for tag in args.tag or SCORED_TAGS:
        cand = Candidates(tag, collected, gold)
        fitted = evaluate(tag, cand)
        if not args.dry_run:
            write(tag, fitted, cand)


if __name__ == "__main__":
    main()
