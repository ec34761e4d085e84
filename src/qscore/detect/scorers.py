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
  side has spoken; the emotion words are anchors, so the words framing them ("sounds stressful",
  "you must be worried", "I'm worried") are features whatever the emotion;
- `high_gain_question`: turns with an open question (its words only).

Each model ships as reviewable JSON (`resources/scorer_<tag>.json`): a bias and one weight per
feature name, so inference is a dot product (no pickle, no scikit-learn import on the hot path),
and anyone can read which words and cues push a turn towards the tag.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import NamedTuple

SCORED_TAGS = ("restate_fact", "restate_feeling", "high_gain_question")
OPENING = 3  # a candidate's first words are features of their own ("so ...", "got it ...")
ENDING = 3  # ... and so are its last ones ("... is that right", "... for you")
ANCHOR_REACH = 2  # words before an anchor (an emotion word) that are features of their own
ANCHOR = "@"  # an anchor in the masked word pairs ("sounds @", "@ about")


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
    anchors: list[int]


class TurnScorer:
    """A linear model over `turn_features`; `score` computes the same value without building
    the feature dict: the weights of a candidate's words, word pairs and opening and ending
    words sit in one table (keyed by the word, the pair, or its position and word), so one
    lookup per distinct key prices them all."""

    def __init__(self, bias: float, weights: dict[str, float], threshold: float = 0.5) -> None:
        self.bias, self.weights, self.threshold = bias, weights, threshold
        self.cues = {k: w for k, w in weights.items() if "=" not in k}
        self.table: dict[str | tuple, float] = {}
        for name, weight in weights.items():
            kind, _eq, value = name.partition("=")
            if kind == "w":
                self.table[value] = weight
            elif kind == "b":
                self.table[tuple(value.split(" "))] = weight
            elif kind[:1] in ("f", "l") and kind[1:].isdigit():  # opening i: (i, word); ending i: (-1 - i, word)
                position = int(kind[1:])
                if position < (OPENING if kind[0] == "f" else ENDING):
                    self.table[(position if kind[0] == "f" else -1 - position, value)] = weight
        self.context = {k[2:]: w for k, w in weights.items() if k.startswith("c=")}
        self.before = {k[2:]: w for k, w in weights.items() if k.startswith("a=")}
        self.masked = {tuple(k[2:].split(" ")): w for k, w in weights.items() if k.startswith("m=")}

    def probability(self, features: dict[str, float]) -> float:
        weights = self.weights
        return _sigmoid(self.bias + sum(weights.get(name, 0.0) * value for name, value in features.items()))

    def score(self, words: list[str], cues: dict[str, float], context: Iterable[str] = (),
              anchors: Sequence[int] = ()) -> float:
        """`probability(turn_features(words, cues, context, anchors))`, computed directly."""
        cue = self.cues.get
        z = self.bias + sum([cue(name, 0.0) * value for name, value in cues.items()])
        if context:
            distinct = context if isinstance(context, set | frozenset) else set(context)
            z += sum(filter(None, map(self.context.get, distinct)))
        keys: set[str | tuple] = set(words)
        keys.update(zip(words, words[1:]))
        keys.update(enumerate(words[:OPENING]))
        keys.update(zip(range(-1, -1 - ENDING, -1), reversed(words)))
        z += sum(filter(None, map(self.table.get, keys)))
        if anchors:
            before, pairs = _anchored(words, anchors)
            z += sum(filter(None, map(self.before.get, before)))
            z += sum(filter(None, map(self.masked.get, pairs)))
        return _sigmoid(z)

    def accepts(self, words: list[str], cues: dict[str, float], context: Iterable[str] = (),
                anchors: Sequence[int] = ()) -> bool:
        return self.score(words, cues, context, anchors) >= self.threshold

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


def _anchored(words: list[str], anchors: Sequence[int]) -> tuple[set[str], set[tuple[str, str]]]:
    """The words just before each anchor, and the word pairs that hold an anchor with the anchor
    masked: "sounds stressful" and "sounds worrying" both give "sounds @"."""
    masked = list(words)
    before = set()
    for i in anchors:
        masked[i] = ANCHOR
        before.update(words[max(0, i - ANCHOR_REACH):i])
    pairs = {pair for pair in zip(masked, masked[1:]) if ANCHOR in pair}
    return before, pairs


def turn_features(words: list[str], cues: dict[str, float], context: Iterable[str] = (),
                  anchors: Sequence[int] = ()) -> dict[str, float]:
    """Features of one candidate: its cue values plus its words, word pairs, opening and ending words
    (punctuation dropped, so typed and recognised text look alike), the context words it
    answers (the other side's latest turns, where the detector passes them), and the words around
    its anchors (positions in `words` of the words the tag turns on, where the detector passes
    them): the words before each, and its word pairs with the anchor masked, so what frames an
    emotion word is learned across all of them."""
    features = dict(cues)
    if anchors:
        before, pairs = _anchored(words, anchors)
        for word in before:
            features["a=" + word] = 1.0
        for a, b in pairs:
            features["m=" + a + " " + b] = 1.0
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
