"""Agreement figures: per-tag precision/recall/F1 for turn tags (same counting as
`qscore-eval tags`), and accuracy / macro-F1 / quadratic weighted kappa for levels."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PRF:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn


def tag_scores(gold: Iterable[dict[str, Any]], predicted: Iterable[dict[str, Any]]) -> dict[str, PRF]:
    """Per-tag counts over the gold agent turns (turns with `tags`), predictions keyed by
    (conversation_id, turn_index) as `qscore annotate` writes them."""
    preds = {(str(r["conversation_id"]), int(r["turn_index"])): set(r.get("tags") or []) for r in predicted}
    counts: Counter[tuple[str, int]] = Counter()
    for conv in gold:
        cid = str(conv["conversation_id"])
        for index, turn in enumerate(conv["turns"]):
            if "tags" not in turn and turn.get("role") != "agent":
                continue
            g = set(turn.get("tags", []))
            p = preds.get((cid, index), set())
            for tag in g | p:
                counts[(tag, 0 if tag in g and tag in p else 1 if tag in p else 2)] += 1
    tags = sorted({tag for tag, _ in counts})
    return {tag: PRF(counts[(tag, 0)], counts[(tag, 1)], counts[(tag, 2)]) for tag in tags}


def level_scores(gold: Sequence[int], predicted: Sequence[int], labels: Sequence[int] = (1, 2, 3)) -> dict[str, Any]:
    """Accuracy, macro-F1, quadratic weighted kappa and the confusion matrix (rows gold)."""
    n = len(gold)
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / n if n else 0.0
    f1s = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        f1s.append(PRF(tp, fp, fn).f1)
    gold, predicted = [int(g) for g in gold], [int(p) for p in predicted]
    return {
        "n": n,
        "accuracy": float(accuracy),
        "macro_f1": float(sum(f1s) / len(f1s)),
        "qwk": float(quadratic_weighted_kappa(gold, predicted, labels)),
        "confusion": [[sum(g == a and p == b for g, p in zip(gold, predicted)) for b in labels] for a in labels],
    }


def quadratic_weighted_kappa(gold: Sequence[int], predicted: Sequence[int], labels: Sequence[int] = (1, 2, 3)) -> float:
    n = len(gold)
    if not n:
        return 0.0
    span = (max(labels) - min(labels)) ** 2
    observed = sum((g - p) ** 2 for g, p in zip(gold, predicted)) / span
    gc, pc = Counter(gold), Counter(predicted)
    expected = sum(gc[a] * pc[b] * (a - b) ** 2 for a in labels for b in labels) / (span * n)
    return 1 - observed / expected if expected else 0.0
