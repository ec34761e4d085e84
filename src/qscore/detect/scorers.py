"""Learned second opinions on the three semantic core tags: rules find candidates, a linear
model decides.

Whether an agent restates the customer's facts or just reuses their words while explaining,
whether "you must be worried" reflects this customer's worry or is a formula, whether an open
question asks the customer to evaluate or just for information: these are hard to write down as
rules (ours top out well below what people agree on). The detectors therefore describe each
candidate turn by the rule cues they already compute plus the turn's words, and a logistic
regression trained on our labelled corpus (`scripts/train_scorers.py`, scikit-learn) makes the
call:

- `restate_fact`: turns where the rules found a restatement, or sharing a content word with the
  other side's latest run of turns;
- `restate_feeling`: turns with an emotion word, an empathy idiom or a reflecting frame ("sounds
  like", "that makes sense", "no wonder"), or answering an emotional run of turns, once the other
  side has spoken;
- `high_gain_question`: turns with an open question (its words only).

Each model ships as reviewable JSON (`resources/scorer_<tag>.json`): a bias and one weight per
feature name, so inference is a dot product (no pickle, no scikit-learn import on the hot path),
and anyone can read which words and cues push a turn towards the tag.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import NamedTuple

SCORED_TAGS = ("restate_fact", "restate_feeling", "high_gain_question")
OPENING = 3  # a candidate's first words are features of their own ("so ...", "got it ...")
ENDING = 3  # ... and so are its last ones ("... is that right", "... for you")


def resource_name(tag: str) -> str:
    return f"scorer_{tag}.json"


class Candidate(NamedTuple):
    """What a detector knows of one candidate turn, as collected for training."""

    tag: str
    conversation_id: str | None
    turn_index: int
    words: list[str]
    cues: dict[str, float]
    context: list[str]


class TurnScorer:
    """A linear model over `turn_features`; `score` computes the same value without building
    the feature dict (word and word-pair weights are looked up directly)."""

    def __init__(self, bias: float, weights: dict[str, float], threshold: float = 0.5) -> None:
        self.bias, self.weights, self.threshold = bias, weights, threshold
        self.cues = {k: w for k, w in weights.items() if "=" not in k}
        self.words = {k[2:]: w for k, w in weights.items() if k.startswith("w=")}
        self.pairs = {tuple(k[2:].split(" ")): w for k, w in weights.items() if k.startswith("b=")}
        self.opening = [{k[3:]: w for k, w in weights.items() if k.startswith(f"f{i}=")} for i in range(OPENING)]
        self.ending = [{k[3:]: w for k, w in weights.items() if k.startswith(f"l{i}=")} for i in range(ENDING)]
        self.context = {k[2:]: w for k, w in weights.items() if k.startswith("c=")}

    def probability(self, features: dict[str, float]) -> float:
        weights = self.weights
        return _sigmoid(self.bias + sum(weights.get(name, 0.0) * value for name, value in features.items()))

    def score(self, words: list[str], cues: dict[str, float], context: Iterable[str] = ()) -> float:
        """`probability(turn_features(words, cues, context))`, computed directly."""
        z = self.bias + sum(self.cues.get(name, 0.0) * value for name, value in cues.items())
        z += sum(filter(None, map(self.context.get, set(context))))
        z += sum(filter(None, map(self.words.get, set(words))))
        z += sum(filter(None, map(self.pairs.get, set(zip(words, words[1:])))))
        z += sum(table.get(word, 0.0) for table, word in zip(self.opening, words))
        z += sum(table.get(word, 0.0) for table, word in zip(self.ending, reversed(words)))
        return _sigmoid(z)

    def accepts(self, words: list[str], cues: dict[str, float], context: Iterable[str] = ()) -> bool:
        return self.score(words, cues, context) >= self.threshold

    def to_json(self) -> str:
        return json.dumps({"bias": self.bias, "threshold": self.threshold, "weights": self.weights})


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def load_scorer(tag: str, path: str | Path | None = None) -> TurnScorer | None:
    """The shipped scorer for `tag` (or the one at `path`); None when there is none (rules only)."""
    if path:
        text = Path(path).read_text("utf-8")
    else:
        entry = resources.files("qscore.resources").joinpath(resource_name(tag))
        if not entry.is_file():
            return None
        text = entry.read_text("utf-8")
    data = json.loads(text)
    return TurnScorer(float(data["bias"]), {k: float(v) for k, v in data["weights"].items()},
                      float(data.get("threshold", 0.5)))


def turn_features(words: list[str], cues: dict[str, float], context: Iterable[str] = ()) -> dict[str, float]:
    """Features of one candidate: its cue values plus its words, word pairs, opening and ending words
    (punctuation dropped, so typed and recognised text look alike), and the context words it
    answers (the other side's latest turns, where the detector passes them)."""
    features = dict(cues)
    for word in context:
        features["c=" + word] = 1.0
    for word in words:
        features["w=" + word] = 1.0
    for a, b in zip(words, words[1:]):
        features["b=" + a + " " + b] = 1.0
    for i, word in enumerate(words[:OPENING]):
        features[f"f{i}=" + word] = 1.0
    for i, word in enumerate(reversed(words[-ENDING:])):
        features[f"l{i}=" + word] = 1.0
    return features
