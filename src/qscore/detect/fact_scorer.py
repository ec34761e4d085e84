"""A learned second opinion on `restate_fact`: rules find the candidates, a linear model decides.

Whether an agent restates the customer's facts or just reuses their words while explaining,
booking or advising is hard to write down as rules (our rules top out near F1 0.72 on the
development side). The restatement tagger therefore describes each candidate turn (one with a
unit sharing at least two content words with the other side) by the rule cues it already
computes plus the turn's words, and a logistic regression trained on our labelled corpus
(`scripts/train_fact_scorer.py`, scikit-learn) makes the call.

The model ships as reviewable JSON: a bias and one weight per feature name, so inference is a
dot product (no pickle, no scikit-learn import on the hot path), and anyone can read which words
and cues push a turn towards "restating".
"""

from __future__ import annotations

import json
import math
from importlib import resources
from pathlib import Path

RESOURCE = "fact_scorer.json"
OPENING = 3  # a turn's first words are features of their own ("so ...", "got it ...")


class FactScorer:
    """A linear model over `turn_features`; `score` computes the same value without building
    the feature dict (word and word-pair weights are looked up directly)."""

    def __init__(self, bias: float, weights: dict[str, float], threshold: float = 0.5) -> None:
        self.bias, self.weights, self.threshold = bias, weights, threshold
        self.cues = {k: w for k, w in weights.items() if "=" not in k}
        self.words = {k[2:]: w for k, w in weights.items() if k.startswith("w=")}
        self.pairs = {tuple(k[2:].split(" ")): w for k, w in weights.items() if k.startswith("b=")}
        self.opening = [{k[3:]: w for k, w in weights.items() if k.startswith(f"f{i}=")} for i in range(OPENING)]

    def probability(self, features: dict[str, float]) -> float:
        weights = self.weights
        return _sigmoid(self.bias + sum(weights.get(name, 0.0) * value for name, value in features.items()))

    def score(self, words: list[str], cues: dict[str, float]) -> float:
        """`probability(turn_features(words, cues))`, computed directly."""
        z = self.bias + sum(self.cues.get(name, 0.0) * value for name, value in cues.items())
        z += sum(filter(None, map(self.words.get, set(words))))
        z += sum(filter(None, map(self.pairs.get, set(zip(words, words[1:])))))
        z += sum(table.get(word, 0.0) for table, word in zip(self.opening, words))
        return _sigmoid(z)

    def accepts(self, words: list[str], cues: dict[str, float]) -> bool:
        return self.score(words, cues) >= self.threshold


    def to_json(self) -> str:
        return json.dumps({"bias": self.bias, "threshold": self.threshold, "weights": self.weights})


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def load_fact_scorer(path: str | None = None) -> FactScorer | None:
    """The shipped scorer (or one at `path`); None when the package has none (rules only)."""
    if path:
        text = Path(path).read_text("utf-8")
    else:
        entry = resources.files("qscore.resources").joinpath(RESOURCE)
        if not entry.is_file():
            return None
        text = entry.read_text("utf-8")
    data = json.loads(text)
    return FactScorer(float(data["bias"]), {k: float(v) for k, v in data["weights"].items()},
                      float(data.get("threshold", 0.5)))


def turn_features(words: list[str], cues: dict[str, float]) -> dict[str, float]:
    """Features of one candidate turn: its cue values plus its words, word pairs and opening
    words (punctuation dropped, so typed and recognised text look alike)."""
    features = dict(cues)
    for word in words:
        features["w=" + word] = 1.0
    for a, b in zip(words, words[1:]):
        features["b=" + a + " " + b] = 1.0
    for i, word in enumerate(words[:OPENING]):
        features[f"f{i}=" + word] = 1.0
    return features
