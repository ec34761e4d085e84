"""Decide which speaker is the agent: given roles, a name, a role map, or inference from cues.

Inference scores each speaker with reviewable cues (`resources/role_cues.jsonl`): who greets
with the company, who asks how they can help, who handles the account. The margin between the
best and the second-best speaker gives the confidence; below a threshold we say we cannot tell.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..transcript import Conversation
from .errors import TranscriptError

AGENT_LABELS = {"agent", "rep", "representative", "support", "advisor", "adviser", "operator", "csr",
                "associate", "specialist", "staff", "assistant", "host"}
CUSTOMER_LABELS = {"customer", "caller", "client", "user", "visitor", "guest", "member", "patient",
                   "consumer", "buyer", "passenger"}
MIN_MARGIN = 1.0  # below this we report "cannot tell"
_PUNCT = re.compile(r"[^\w\s]")


@dataclass(frozen=True, slots=True)
class Cue:
    role: str
    weight: float
    pattern: re.Pattern[str]


@lru_cache(maxsize=1)
def load_cues() -> tuple[Cue, ...]:
    text = resources.files("qscore.resources").joinpath("role_cues.jsonl").read_text("utf-8")
    cues = []
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            cues.append(Cue(row["role"], float(row["weight"]), re.compile(r"\b(?:" + row["cue"] + r")\b")))
    return tuple(cues)


def normalise(text: str) -> str:
    """Lowercase, drop apostrophes ("I'm" -> "im", as recognisers write it) and punctuation."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return " ".join(_PUNCT.sub(" ", text).split())


def label_role(speaker: str) -> str | None:
    """Role implied by a speaker label such as "Agent", "Caller 1", "Support (Maria)"."""
    words = set(re.findall(r"[a-z]+", speaker.lower()))
    if words & AGENT_LABELS and not words & CUSTOMER_LABELS:
        return "agent"
    if words & CUSTOMER_LABELS and not words & AGENT_LABELS:
        return "customer"
    return None


def speaker_scores(conv: Conversation) -> dict[str, float]:
    """Agent-ness of each speaker: positive agent-like, negative customer-like."""
    cues = load_cues()
    scores: dict[str, float] = {}
    for position, turn in enumerate(conv.turns):
        score = scores.setdefault(turn.speaker, 0.0)
        text = normalise(turn.text)
        for cue in cues:
            if cue.pattern.search(text):
                score += cue.weight if cue.role == "agent" else -cue.weight
        if position == 0:
            score += 0.25  # calls mostly open with the agent; a weak prior only
        scores[turn.speaker] = score
    for speaker in scores:
        implied = label_role(speaker)
        if implied == "agent":
            scores[speaker] += 5.0
        elif implied == "customer":
            scores[speaker] -= 5.0
    return scores


def load_role_map(path: str | Path) -> dict[str, str]:
    """Speaker -> role from JSON (`{"Maria": "agent"}`) or CSV/TSV (`speaker,role`)."""
    path = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptError(path, None, f"cannot read role map: {exc}") from None
    mapping: dict[str, str] = {}
    if path.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TranscriptError(path, exc.lineno, f"malformed JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise TranscriptError(path, None, 'role map must be an object {"speaker": "agent"|"customer"}')
        items = [(k, v, None) for k, v in data.items()]
    else:
        delimiter = "\t" if path.lower().endswith(".tsv") else ","
        rows = list(csv.reader(text.splitlines(), delimiter=delimiter))
        if rows and [c.strip().lower() for c in rows[0][:2]] == ["speaker", "role"]:
            rows = [None, *rows[1:]]  # keep line numbers
        items = [(r[0], r[1] if len(r) > 1 else "", n) for n, r in enumerate(rows, 1) if r]
    for speaker, role, line in items:
        role = str(role).strip().lower()
        if role not in ("agent", "customer"):
            raise TranscriptError(path, line, f"role for {speaker!r} must be 'agent' or 'customer', got {role!r}")
        mapping[str(speaker).strip().lower()] = role
    return mapping


def assign_roles(
    conv: Conversation,
    agent_names: tuple[str, ...] = (),
    role_map: dict[str, str] | None = None,
) -> Conversation:
    """Fill in missing roles in place; record how they were decided and how sure we are."""
    known: dict[str, str] = {}
    for turn in conv.turns:
        if turn.role:
            known.setdefault(turn.speaker, turn.role)
    if known and all(t.speaker in known for t in conv.turns):
        _apply(conv, known)
        conv.role_source, conv.role_confidence = "given", 1.0
        return conv
    wanted = {name.strip().lower() for name in agent_names}
    if wanted:
        speakers = {t.speaker for t in conv.turns}
        hits = {s for s in speakers if s.lower() in wanted}
        if hits:
            _apply(conv, {**{s: ("agent" if s in hits else "customer") for s in speakers}, **known})
            conv.role_source, conv.role_confidence = "agent-name", 1.0
            return conv
    if role_map:
        mapped = {t.speaker: role_map[t.speaker.lower()] for t in conv.turns if t.speaker.lower() in role_map}
        if mapped and all(t.speaker in mapped or t.speaker in known for t in conv.turns):
            _apply(conv, {**mapped, **known})
            conv.role_source, conv.role_confidence = "role-map", 1.0
            return conv
    scores = speaker_scores(conv)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if len(ranked) == 1:
        speaker, score = ranked[0]
        margin = abs(score)
        roles = {speaker: "agent" if score > 0 else "customer"}
    else:
        margin = ranked[0][1] - ranked[1][1]
        roles = {s: "customer" for s, _ in ranked}
        roles[ranked[0][0]] = "agent"
    confidence = 1.0 / (1.0 + math.exp(-1.5 * (margin - MIN_MARGIN / 2)))
    if margin < MIN_MARGIN:
        conv.role_source, conv.role_confidence = "unknown", round(confidence, 3)
        _apply(conv, known)
        return conv
    _apply(conv, {**roles, **known})
    conv.role_source, conv.role_confidence = "inferred", round(confidence, 3)
    return conv


def _apply(conv: Conversation, roles: dict[str, str]) -> None:
    for turn in conv.turns:
        if turn.role is None:
            turn.role = roles.get(turn.speaker)
