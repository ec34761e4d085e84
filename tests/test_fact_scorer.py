"""The learned restate_fact scorer: its fast path, its file, and its place in the pipeline."""

from __future__ import annotations

import json
import math

import pytest
import spacy

from qscore import Conversation, Turn, annotate
from qscore.corpus import SPLITS
from qscore.detect import make_pipeline
from qscore.detect.fact_scorer import FactScorer, load_fact_scorer, turn_features


def test_direct_score_equals_the_feature_dict_model():
    scorer = FactScorer(-1.0, {"rule": 2.0, "w=so": 0.5, "w=you": -0.25, "b=so you": 1.5, "f0=so": 0.75,
                               "f1=you": 0.1})
    words = ["so", "you", "were", "so", "charged", "twice", "so", "you"]
    cues = {"rule": 1.0, "overlap": 0.5}
    features = turn_features(words, cues)
    assert features["b=so you"] == 1.0 and features["f0=so"] == 1.0  # repeated words count once
    expected = 1 / (1 + math.exp(-(-1.0 + 2.0 + 0.5 - 0.25 + 1.5 + 0.75 + 0.1)))
    assert scorer.score(words, cues) == pytest.approx(expected)
    assert scorer.probability(features) == pytest.approx(expected)


def test_shipped_scorer_is_readable_and_trained_on_the_dev_side_only():
    from importlib import resources

    data = json.loads(resources.files("qscore.resources").joinpath("fact_scorer.json").read_text("utf-8"))
    # the test side stays held out for scripts/eval_tags.py
    assert set(data["trained_on_batches"]) == set(SPLITS["dev"])
    scorer = load_fact_scorer()
    assert scorer is not None and len(scorer.weights) > 100
    # the strongest cues are the rules' own evidence, as the scorer was designed to use them
    top = sorted(scorer.cues, key=lambda k: -abs(scorer.cues[k]))[:4]
    assert "rule" in top


def _restating_conversation() -> Conversation:
    return Conversation("fs1", [
        Turn("Cara", "my parcel for order 5521 went to number 14 instead of 41 on monday", role="customer"),
        Turn("Sam", "so the parcel for order 5521 was left at 14 rather than 41 on monday", role="agent"),
        Turn("Cara", "yes and i need it for my sons birthday on friday", role="customer"),
        Turn("Sam", "i can send a courier on thursday so it is there before friday", role="agent"),
    ])


def test_scorer_keeps_a_clear_restatement_and_rejects_an_explanation():
    records = next(annotate([_restating_conversation()]))
    assert "restate_fact" in records[1]["tags"]
    assert "restate_fact" not in records[3]["tags"]  # reuses "friday" while arranging, restates nothing


def test_rules_only_when_the_scorer_is_switched_off():
    nlp = spacy.blank("en")
    nlp.add_pipe("qscore_questions")
    nlp.add_pipe("qscore_restatements", config={"fact_scorer": False})
    nlp.initialize()
    assert nlp.get_pipe("qscore_restatements").scorer is None
    records = next(annotate([_restating_conversation()], nlp))
    assert "restate_fact" in records[1]["tags"]


def test_scorer_travels_with_a_saved_pipeline(tmp_path):
    nlp = make_pipeline()
    nlp.to_disk(tmp_path / "pipe")
    saved = json.loads((tmp_path / "pipe" / "qscore_restatements" / "fact_scorer.json").read_text("utf-8"))
    assert saved["weights"] == nlp.get_pipe("qscore_restatements").scorer.weights
    loaded = spacy.load(tmp_path / "pipe")
    conv = _restating_conversation()
    assert [r["tags"] for r in next(annotate([conv], loaded))] == [r["tags"] for r in next(annotate([conv], nlp))]
