"""Behaviour detection: a blank English spaCy pipeline with the qscore components.

>>> from qscore.detect import make_pipeline, conversation_doc
>>> nlp = make_pipeline()
>>> doc = nlp("so um what seems to be the problem with the router")
>>> doc._.qscore_tags
['open_question']
"""

from __future__ import annotations

from itertools import accumulate

import numpy
import spacy
from spacy.attrs import IDX
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..transcript import Conversation
from .components import CORE_TAGS, SPANS_KEY, TAGS, TURNS_KEY, register_extensions

__all__ = ["CORE_TAGS", "TAGS", "SPANS_KEY", "TURNS_KEY", "make_pipeline", "conversation_doc", "TURN_SEPARATOR"]

PIPELINE = ("qscore_phrases", "qscore_questions", "qscore_restatements", "qscore_names")
TURN_SEPARATOR = " \n "  # its own whitespace token; padded so words either side stay cacheable chunks


RULES_ONLY = {"qscore_questions": {"high_gain_scorer": False},
              "qscore_restatements": {"fact_scorer": False, "feeling_scorer": False}}


def make_pipeline(model: str | None = None, scorers: bool = True) -> Language:
    """spaCy's blank English tokenizer plus the qscore components (no statistical model needed).

    `model` names an installed spaCy pipeline to build on instead (its own components are
    disabled: the detectors use tokens only). `scorers=False` leaves every decision to the
    rules (the learned scorers of `detect/scorers.py` are not loaded).
    """
    register_extensions()
    if model is None:
        nlp = spacy.blank("en")
    else:
        unused = ["ner", "lemmatizer", "parser", "tagger", "attribute_ruler", "senter", "tok2vec"]
        nlp = spacy.load(model, exclude=unused)
    for name in PIPELINE:
        nlp.add_pipe(name, config={} if scorers else RULES_ONLY.get(name, {}))
    nlp.initialize()
    return nlp


def conversation_doc(nlp: Language, conv: Conversation) -> Doc:
    """One Doc per conversation: turns joined by a newline token, each turn a span in
    `doc.spans["qscore_turns"]` labelled with its role, so detectors see the context."""
    texts = [t.text.replace("\r", " ").replace("\n", " ") for t in conv.turns]
    doc = nlp.make_doc(TURN_SEPARATOR.join(texts))
    doc._.qscore_conversation_id = conv.conversation_id
    # token boundaries of every turn at once: first token at or after each turn's first
    # character, and at or after its end
    offsets = list(accumulate((len(text) + len(TURN_SEPARATOR) for text in texts[:-1]), initial=0)) if texts else []
    idx = doc.to_array([IDX]) if len(doc) else numpy.zeros(0, dtype="uint64")
    firsts = numpy.searchsorted(idx, offsets).tolist()
    lasts = numpy.searchsorted(idx, [o + len(t) for o, t in zip(offsets, texts)]).tolist()
    spans, table = [], []
    for turn, first, last in zip(conv.turns, firsts, lasts):
        role = turn.role or "unknown"
        spans.append(Span(doc, first, last, label=role))
        table.append((first, last, role, turn.speaker))
    doc.spans[TURNS_KEY] = spans
    doc.user_data["_qscore_turn_table"] = table  # also behind `span._.qscore_speaker`
    doc.user_data["_qscore_turn_chars"] = offsets
    return doc
