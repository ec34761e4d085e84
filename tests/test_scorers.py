"""The learned tag scorers: their fast path, their files, and their place in the pipeline."""

from __future__ import annotations

import json
import math
from importlib import resources

import pytest
import spacy

from qscore import Conversation, Turn, annotate
from qscore.corpus import SPLITS
from qscore.detect import make_pipeline
from qscore.detect.scorers import SCORED_TAGS, TurnScorer, load_scorer, resource_name, turn_features


def test_direct_score_equals_the_feature_dict_model():
    scorer = TurnScorer(-1.0, {"rule": 2.0, "w=so": 0.5, "w=you": -0.25, "b=so you": 1.5, "f0=so": 0.75,
                               "f1=you": 0.1})
    words = ["so", "you", "so", "you"]
    cues = {"rule": 1.0, "overlap": 0.5}
    features = turn_features(words, cues)
    assert features["b=so you"] == 1.0 and features["f0=so"] == 1.0  # repeated words count once
    expected = 1 / (1 + math.exp(-(-1.0 + 2.0 + 0.5 - 0.25 + 1.5 + 0.75 + 0.1)))
    assert scorer.score(words, cues) == pytest.approx(expected)
    assert scorer.probability(features) == pytest.approx(expected)


def test_anchored_words_are_learned_across_anchors():
    # "sounds stressful" and "sounds worrying" share "sounds @": a frame learned on one emotion
    # word carries to the others
    scorer = TurnScorer(0.0, {"a=sounds": 1.0, "m=sounds @": 2.0, "m=@ for": 0.5, "w=sounds": 0.25})
    for emotion in ("stressful", "worrying"):
        words = ["that", "sounds", emotion, "for", "you"]
        features = turn_features(words, {}, anchors=[2])
        assert {"a=that", "a=sounds", "m=sounds @", "m=@ for"} <= set(features)
        assert "m=that sounds" not in features  # only pairs holding the anchor are masked
        expected = 1 / (1 + math.exp(-(1.0 + 2.0 + 0.5 + 0.25)))
        assert scorer.score(words, {}, anchors=[2]) == pytest.approx(expected)
        assert scorer.probability(features) == pytest.approx(expected)
    assert scorer.score(["that", "sounds", "stressful"], {}) == pytest.approx(1 / (1 + math.exp(-0.25)))


@pytest.mark.parametrize("tag", SCORED_TAGS)
def test_shipped_scorers_are_readable_and_trained_on_the_dev_side_only(tag):
    data = json.loads(resources.files("qscore.resources").joinpath(resource_name(tag)).read_text("utf-8"))
    # the test side stays held out for scripts/eval_tags.py
    assert set(data["trained_on_batches"]) == set(SPLITS["dev"])
    scorer = load_scorer(tag)
    assert scorer is not None and len(scorer.weights) > 100
    # the rules' own decision is among the strongest cues, as the scorers were designed to use it
    top = sorted(scorer.cues, key=lambda k: -abs(scorer.cues[k]))[:4]
    assert "rule" in top


def _conversation() -> Conversation:
    return Conversation("fs1", [
        Turn("Cara", "my parcel for order 5521 went to number 14 instead of 41 on monday and im really "
                     "worried because its my sons birthday present", role="customer"),
        Turn("Sam", "so the parcel for order 5521 was left at 14 rather than 41 on monday", role="agent"),
        Turn("Cara", "yes and i need it for his birthday on friday", role="customer"),
        Turn("Sam", "i can send a courier on thursday so it is there before friday", role="agent"),
        Turn("Cara", "ok", role="customer"),
        Turn("Sam", "you must be worried it wont arrive in time for his birthday. what would a good "
                    "outcome look like for you if it cant", role="agent"),
        Turn("Sam", "what is your postcode", role="agent"),
    ])


def test_scorers_keep_clear_cases_and_reject_their_look_alikes():
    records = next(annotate([_conversation()]))
    assert "restate_fact" in records[1]["tags"]
    assert "restate_fact" not in records[3]["tags"]  # reuses "friday" while arranging, restates nothing
    assert {"restate_feeling", "high_gain_question", "open_question"} <= set(records[5]["tags"])
    assert "open_question" in records[6]["tags"] and "high_gain_question" not in records[6]["tags"]


def test_rules_only_when_the_scorers_are_switched_off():
    nlp = make_pipeline(scorers=False)
    assert nlp.get_pipe("qscore_restatements").scorers == {}
    assert nlp.get_pipe("qscore_questions").scorers == {}
    records = next(annotate([_conversation()], nlp))
    assert "restate_fact" in records[1]["tags"]
    assert "high_gain_question" in records[5]["tags"]


def test_one_scorer_can_be_switched_off_alone():
    nlp = spacy.blank("en")
    nlp.add_pipe("qscore_questions")
    nlp.add_pipe("qscore_restatements", config={"feeling_scorer": False})
    nlp.initialize()
    assert set(nlp.get_pipe("qscore_restatements").scorers) == {"restate_fact"}


def test_scorers_travel_with_a_saved_pipeline(tmp_path):
    nlp = make_pipeline()
    nlp.to_disk(tmp_path / "pipe")
    for pipe_name, tag in (("qscore_restatements", "restate_fact"), ("qscore_restatements", "restate_feeling"),
                           ("qscore_questions", "high_gain_question")):
        saved = json.loads((tmp_path / "pipe" / pipe_name / resource_name(tag)).read_text("utf-8"))
        assert saved["weights"] == nlp.get_pipe(pipe_name).scorers[tag].weights
    loaded = spacy.load(tmp_path / "pipe")
    conv = _conversation()
    assert [r["tags"] for r in next(annotate([conv], loaded))] == [r["tags"] for r in next(annotate([conv], nlp))]


def test_collected_candidates_carry_the_rule_decision():
    nlp = make_pipeline()
    collected: list = []
    for _name, pipe in nlp.pipeline:
        if getattr(pipe, "SCORED", ()):
            pipe.collected = collected
    next(annotate([_conversation()], nlp))
    assert {c.tag for c in collected} == set(SCORED_TAGS)
    assert all("rule" in c.cues and c.conversation_id == "fs1" and c.words for c in collected)


def test_a_reflection_without_emotion_words_points_at_its_reflecting_frame():
    # the evidence is the unit holding "that makes sense", not the thanks before it
    conv = Conversation("r1", [
        Turn("Cara", "the baby is up every two hours and we both work full time, we are so tired", role="customer"),
        Turn("Sam", "Thank you. That makes sense, with the baby up every two hours and both of you at work.",
             role="agent"),
    ])
    record = next(annotate([conv]))[1]
    assert "restate_feeling" in record["tags"]
    (start, end), = record["evidence"]["restate_feeling"]
    assert record["text"][start:end].startswith("That makes sense")
