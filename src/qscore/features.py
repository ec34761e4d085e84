"""Conversation features for the level classifier, from the agent's tagged turns.

The inputs are `ConversationTurns` (a conversation's turn records from `qscore.annotate`, plus
its agent id). Features describe behaviour, not wording, so a model trained on our corpus can
carry over to other writers: tag rates, question mix, the interaction cycle covered, missed
openings, talk share, and how scripted the agent sounds (`ScriptSimilarity`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .detect import TAGS
from .detect.lexicon import load_lexicon

# the customer interaction cycle (rubric): which tags show each stage
CYCLE = {
    "receiving": ("greeting", "use_name", "thanks"),
    "understanding": ("open_question", "restate_fact", "restate_feeling"),
    "helping": ("offer_options", "set_expectation"),
    "keeping": ("check_satisfaction", "bridge", "follow_up"),
}
_WORD = re.compile(r"[a-z0-9']+")


@dataclass
class ConversationTurns:
    """What the features need of one conversation: its turn records and its agent."""

    conversation_id: str
    agent_id: str | None
    records: list[dict[str, Any]]
    level: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def agent_turns(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["role"] == "agent"]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def behaviour_features(conv: ConversationTurns) -> dict[str, float]:
    """Per-conversation behaviour features (no cross-conversation information)."""
    agent = conv.agent_turns
    n = len(agent) or 1
    lex = load_lexicon()
    feelings = lex["feeling"] | lex["feeling_second_person"]
    out: dict[str, float] = {}
    counts = {tag: sum(tag in r["tags"] for r in agent) for tag in TAGS}
    for tag in TAGS:
        out[f"rate_{tag}"] = counts[tag] / n
        out[f"any_{tag}"] = float(counts[tag] > 0)
        out[f"log_count_{tag}"] = float(np.log1p(counts[tag]))
    questions = counts["open_question"] + counts["closed_question"]
    out["open_share"] = counts["open_question"] / questions if questions else 0.0
    out["high_gain_share"] = counts["high_gain_question"] / questions if questions else 0.0
    out["questions_per_turn"] = questions / n
    stages = {stage: float(any(counts[t] for t in tags)) for stage, tags in CYCLE.items()}
    for stage, covered in stages.items():
        out[f"cycle_{stage}"] = covered
    out["cycle_stages"] = sum(stages.values())
    # missed openings: the customer voices a feeling (or a long problem statement) and the
    # agent's next turn neither reflects it nor asks about it
    feeling_openings = missed_feeling = problem_openings = missed_problem = 0
    records = conv.records
    for i, r in enumerate(records):
        if r["role"] != "customer":
            continue
        reply = next((x for x in records[i + 1:] if x["role"] == "agent"), None)
        if reply is None:
            continue
        words = _words(r["text"])
        if any(w in feelings for w in words):
            feeling_openings += 1
            if not {"restate_feeling", "high_gain_question"} & set(reply["tags"]):
                missed_feeling += 1
        if len(words) >= 12:
            problem_openings += 1
            if not {"restate_fact", "open_question", "restate_feeling"} & set(reply["tags"]):
                missed_problem += 1
    out["missed_feeling_rate"] = missed_feeling / feeling_openings if feeling_openings else 0.0
    out["missed_problem_rate"] = missed_problem / problem_openings if problem_openings else 0.0
    agent_words = sum(len(_words(r["text"])) for r in agent)
    all_words = sum(len(_words(r["text"])) for r in records) or 1
    out["agent_talk_share"] = agent_words / all_words
    out["agent_words_per_turn"] = agent_words / n
    out["log_agent_turns"] = float(np.log1p(len(agent)))
    return out


BEHAVIOUR_FEATURES = tuple(behaviour_features(ConversationTurns("x", None, [])).keys())
SCRIPT_FEATURES = ("script_self_similarity", "script_team_similarity")


class ScriptSimilarity(TransformerMixin, BaseEstimator):
    """How scripted the agent sounds, from its turns' wording (TF-IDF cosine similarity).

    - `script_self_similarity`: how closely this conversation's agent turns repeat the same
      agent's turns in its *other* conversations of the same batch (a scripted agent says the
      same lines to every customer).
    - `script_team_similarity`: how close the agent's turns are to the lines agents say most
      often across the training data (learned in `fit`).
    """

    def __init__(self, team_lines: int = 200, min_df: int = 3) -> None:
        self.team_lines = team_lines
        self.min_df = min_df

    def fit(self, X: list[ConversationTurns], y: Any = None) -> ScriptSimilarity:
        lines = [r["text"].lower() for conv in X for r in conv.agent_turns]
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True).fit(lines or ["empty"])
        # the team's common lines: agent turns whose wording recurs across conversations
        by_line: dict[str, set[str]] = defaultdict(set)
        for conv in X:
            for r in conv.agent_turns:
                by_line[" ".join(_words(r["text"]))].add(conv.conversation_id)
        common = sorted((line for line, ids in by_line.items() if len(ids) >= self.min_df and line),
                        key=lambda line: (-len(by_line[line]), line))[: self.team_lines]
        self.team_matrix_ = self.vectorizer_.transform(common) if common else None
        self.n_features_in_ = 1
        # an agent seen in one conversation only has nothing to repeat: use the typical value
        # (neutral after scaling) rather than 0, which would read as "not scripted at all"
        self.self_similarity_mean_ = 0.0
        own = self._self_similarity(X, [self._vectors(conv) for conv in X])
        known = own[~np.isnan(own)]
        self.self_similarity_mean_ = float(known.mean()) if len(known) else 0.0
        return self

    def _vectors(self, conv: ConversationTurns):
        texts = [r["text"].lower() for r in conv.agent_turns]
        return self.vectorizer_.transform(texts) if texts else None

    @staticmethod
    def _self_similarity(X: list[ConversationTurns], vectors: list) -> np.ndarray:
        from scipy.sparse import vstack

        by_agent: dict[str | None, list[int]] = defaultdict(list)
        for i, conv in enumerate(X):
            by_agent[conv.agent_id].append(i)
        out = np.full(len(X), np.nan)
        for i, conv in enumerate(X):
            others = [vectors[j] for j in by_agent[conv.agent_id] if j != i and vectors[j] is not None]
            if vectors[i] is not None and others and conv.agent_id is not None:
                out[i] = float((vectors[i] @ vstack(others).T).toarray().max(axis=1).mean())
        return out

    def transform(self, X: list[ConversationTurns]) -> np.ndarray:
        check_is_fitted(self, "vectorizer_")
        vectors = [self._vectors(conv) for conv in X]
        out = np.zeros((len(X), 2))
        own = self._self_similarity(X, vectors)
        out[:, 0] = np.where(np.isnan(own), self.self_similarity_mean_, own)
        if self.team_matrix_ is not None:
            for i, v in enumerate(vectors):
                if v is not None:
                    out[i, 1] = float((v @ self.team_matrix_.T).toarray().max(axis=1).mean())
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(SCRIPT_FEATURES, dtype=object)


class BehaviourFeatures(TransformerMixin, BaseEstimator):
    """`behaviour_features` for each conversation, as a matrix (stateless)."""

    def fit(self, X: list[ConversationTurns], y: Any = None) -> BehaviourFeatures:
        self.n_features_in_ = 1
        return self

    def transform(self, X: list[ConversationTurns]) -> np.ndarray:
        check_is_fitted(self, "n_features_in_")
        return np.array([[f[name] for name in BEHAVIOUR_FEATURES] for f in map(behaviour_features, X)])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(BEHAVIOUR_FEATURES, dtype=object)
