"""The labelled corpus: schema validation, counts, and the fixed evaluation split.

The split is by writing batch, so every agent (and every writer's style and domain) stays on
one side: batches a-d are the development side (rules and thresholds are tuned there), e-f the
held-out test side.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .detect import TAGS

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpora" / "service"
SPLITS = {"dev": ("a", "b", "c", "d", "g", "h", "i", "j", "l", "m", "n", "o", "p", "q", "r", "t", "u", "v"),
          "test": ("e", "f", "k", "s", "w")}
HARD_CASES = ("polite_script", "empty_empathy", "terse_genuine", "honest_no", "short_super", "difficult_customer")
CHANNELS = ("chat", "call")


def batch_of(conversation_id: str) -> str:
    return conversation_id.split("-", 1)[0]


def split_of(conversation_id: str) -> str:
    batch = batch_of(conversation_id)
    for name, batches in SPLITS.items():
        if batch in batches:
            return name
    raise ValueError(f"conversation {conversation_id!r} belongs to no split")


def corpus_files(directory: Path = CORPUS_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def load_corpus(directory: Path = CORPUS_DIR, split: str | None = None) -> list[dict[str, Any]]:
    """Conversations as dicts (the canonical JSONL records), optionally one split only."""
    rows = []
    for path in corpus_files(directory):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if split is None or split_of(row["conversation_id"]) == split:
                    rows.append(row)
    return rows


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, Counter] = field(default_factory=dict)
    conversations: int = 0
    agent_turns: int = 0


def _check(record: Any, where: str) -> Iterator[str]:
    if not isinstance(record, dict):
        yield f"{where}: not a JSON object"
        return
    for key, kind in (("conversation_id", str), ("agent_id", str), ("channel", str), ("domain", str),
                      ("level", int), ("turns", list)):
        if not isinstance(record.get(key), kind):
            yield f"{where}: '{key}' missing or not {kind.__name__}"
    if record.get("level") not in (1, 2, 3):
        yield f"{where}: level must be 1, 2 or 3, got {record.get('level')!r}"
    if record.get("channel") not in CHANNELS:
        yield f"{where}: channel must be chat or call, got {record.get('channel')!r}"
    if record.get("hard_case") not in (None, *HARD_CASES):
        yield f"{where}: unknown hard_case {record.get('hard_case')!r}"
    turns = record.get("turns") if isinstance(record.get("turns"), list) else []
    if not 6 <= len(turns) <= 40:
        yield f"{where}: {len(turns)} turns (expected 6 to 40)"
    roles = set()
    for i, turn in enumerate(turns):
        at = f"{where} turn {i}"
        if not isinstance(turn, dict) or not isinstance(turn.get("text"), str) or not turn["text"].strip():
            yield f"{at}: missing text"
            continue
        role = turn.get("role")
        roles.add(role)
        if role not in ("agent", "customer"):
            yield f"{at}: role must be agent or customer, got {role!r}"
        if not turn.get("speaker"):
            yield f"{at}: missing speaker"
        if role == "agent":
            tags = turn.get("tags")
            if not isinstance(tags, list):
                yield f"{at}: agent turn without a 'tags' list"
                continue
            unknown = [t for t in tags if t not in TAGS]
            if unknown:
                yield f"{at}: tags outside the rubric vocabulary: {unknown}"
            if "high_gain_question" in tags and "open_question" not in tags:
                yield f"{at}: high_gain_question without open_question"
            if len(set(tags)) != len(tags):
                yield f"{at}: repeated tag"
        elif "tags" in turn:
            yield f"{at}: customer turn carries tags"
        if record.get("channel") == "call" and not isinstance(turn.get("start"), (int, float)):
            yield f"{at}: call turn without a numeric start"
    if roles != {"agent", "customer"}:
        yield f"{where}: needs both an agent and a customer turn"


def validate(directory: Path = CORPUS_DIR) -> Report:
    """Check every file against the schema and the tag vocabulary; count what is there."""
    report = Report()
    counts = {name: Counter() for name in ("level", "channel", "domain", "hard_case", "split", "tag", "agent")}
    seen: dict[str, str] = {}
    for path in corpus_files(directory):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                report.problems.append(f"{where}: malformed JSON: {exc.msg}")
                continue
            report.problems.extend(_check(record, where))
            if not isinstance(record, dict):
                continue
            cid = str(record.get("conversation_id"))
            if cid in seen:
                report.problems.append(f"{where}: conversation_id {cid!r} repeats {seen[cid]}")
            seen[cid] = where
            report.conversations += 1
            counts["level"][record.get("level")] += 1
            counts["channel"][record.get("channel")] += 1
            counts["domain"][record.get("domain")] += 1
            counts["hard_case"][record.get("hard_case") or "none"] += 1
            counts["agent"][record.get("agent_id")] += 1
            try:
                counts["split"][split_of(cid)] += 1
            except ValueError as exc:
                report.problems.append(f"{where}: {exc}")
            for turn in record.get("turns", []):
                if isinstance(turn, dict) and turn.get("role") == "agent":
                    report.agent_turns += 1
                    counts["tag"].update(turn.get("tags") or [])
    report.counts = counts
    return report
