"""Rate conversations and agents with a trained model."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.language import Language

from .annotate import annotate
from .classify import LEVELS, Model, median_level, reasons
from .features import ConversationTurns
from .transcript import Conversation


def agent_key(conv: Conversation) -> str | None:
    """The agent a conversation is credited to: `agent_id`, else the agent's speaker label."""
    if conv.agent_id:
        return conv.agent_id
    speakers = sorted(conv.agent_speakers)
    return speakers[0] if speakers else None


def prepare(conversations: Iterable[Conversation], nlp: Language | None = None) -> Iterator[ConversationTurns]:
    """Annotate conversations and wrap them for the feature extractors."""
    convs = iter(conversations)
    pending: list[Conversation] = []

    def flush() -> Iterator[ConversationTurns]:
        for conv, records in zip(pending, annotate(pending, nlp)):
            level = conv.extra.get("level")
            yield ConversationTurns(conv.conversation_id, agent_key(conv), records,
                                    level if level in LEVELS else None)

    for conv in convs:
        pending.append(conv)
        if len(pending) == 256:
            yield from flush()
            pending = []
    if pending:
        yield from flush()


# per-agent means reported beside the level: the cross-conversation script measure first
AGENT_PROFILE = ("script_self_similarity", "script_team_similarity", "open_share", "rate_restate_feeling",
                 "rate_restate_fact", "rate_offer_options", "rate_check_satisfaction", "missed_feeling_rate",
                 "cycle_stages", "agent_talk_share")


@dataclass
class Scores:
    conversations: list[dict[str, Any]]
    agents: list[dict[str, Any]]


def score(items: list[ConversationTurns], model: Model) -> Scores:
    """Per conversation: level, probabilities, reasons; per agent: the median level of its
    conversations, mean probabilities, and the number of conversations."""
    if not items:
        return Scores([], [])
    pipeline = model.pipeline
    proba = pipeline.predict_proba(items)
    features = pipeline.named_steps["features"].transform(items)
    names = list(pipeline.named_steps["features"].get_feature_names_out())
    profile_columns = {name.split("__", 1)[-1]: i for i, name in enumerate(names)}
    classes = list(pipeline.classes_)
    why = reasons(pipeline, items)
    conversations = []
    for item, p, r in zip(items, proba, why):
        level = int(classes[int(np.argmax(p))])
        conversations.append({
            "conversation_id": item.conversation_id,
            "agent_id": item.agent_id,
            "level": level,
            "probabilities": {str(c): round(float(x), 4) for c, x in zip(classes, p)},
            "reasons": r,
        })
    by_agent: dict[str | None, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        by_agent[item.agent_id].append(i)
    agents = []
    for agent, rows in sorted(by_agent.items(), key=lambda kv: str(kv[0])):
        levels = [conversations[i]["level"] for i in rows]
        mean = proba[rows].mean(axis=0)
        agents.append({
            "agent_id": agent,
            "level": median_level(levels),
            "probabilities": {str(c): round(float(x), 4) for c, x in zip(classes, mean)},
            "conversations": len(rows),
            "levels": {str(lv): levels.count(lv) for lv in LEVELS},
            # the aggregate of its conversations, for a coach: what the agent does, how often
            "profile": {key: round(float(features[rows, profile_columns[key]].mean()), 3) for key in AGENT_PROFILE},
        })
    return Scores(conversations, agents)
