"""Build validated `Conversation`s from dict-like records (shared by the JSONL and CSV readers)."""

from __future__ import annotations

import math
from typing import Any

from ..transcript import ROLES, Conversation, Turn
from .errors import TranscriptError

ROLE_ALIASES = {"agent": "agent", "customer": "customer"}


def parse_role(value: Any, path: str, line: int | None, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or value.strip().lower() not in ROLES:
        raise TranscriptError(path, line, f"{where}: role must be 'agent' or 'customer', got {value!r}")
    return value.strip().lower()


def parse_start(value: Any, path: str, line: int | None, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        start = float(value)
    except (TypeError, ValueError):
        raise TranscriptError(path, line, f"{where}: start must be a number of seconds, got {value!r}") from None
    if not math.isfinite(start) or start < 0:
        raise TranscriptError(path, line, f"{where}: start must be a non-negative number, got {value!r}")
    return start


def turn_from_record(raw: Any, index: int, path: str, line: int | None) -> Turn:
    where = f"turn {index}"
    if not isinstance(raw, dict):
        raise TranscriptError(path, line, f"{where} is not an object")
    text = raw.get("text")
    if text is None:
        raise TranscriptError(path, line, f"{where} has no text")
    if not isinstance(text, str):
        raise TranscriptError(path, line, f"{where}: text must be a string, got {type(text).__name__}")
    role = parse_role(raw.get("role"), path, line, where)
    speaker = raw.get("speaker")
    if speaker is None or str(speaker).strip() == "":
        if role is None:
            raise TranscriptError(path, line, f"{where} has neither speaker nor role")
        speaker = role
    extra = {k: v for k, v in raw.items() if k not in ("speaker", "role", "text", "start")}
    return Turn(
        speaker=str(speaker).strip(),
        text=text,
        role=role,
        start=parse_start(raw.get("start"), path, line, where),
        extra=extra,
    )


def conversation_from_record(record: Any, path: str, line: int | None, default_id: str) -> Conversation:
    if not isinstance(record, dict):
        raise TranscriptError(path, line, f"expected a JSON object, got {type(record).__name__}")
    turns_raw = record.get("turns")
    if turns_raw is None:
        raise TranscriptError(path, line, "conversation has no 'turns'")
    if not isinstance(turns_raw, list):
        raise TranscriptError(path, line, "'turns' must be a list")
    if not turns_raw:
        raise TranscriptError(path, line, "empty conversation (no turns)")
    turns = [turn_from_record(t, i, path, line) for i, t in enumerate(turns_raw)]
    if all(not t.text.strip() for t in turns):
        raise TranscriptError(path, line, "empty conversation (every turn's text is empty)")
    cid = record.get("conversation_id")
    if cid is None or str(cid).strip() == "":
        cid = default_id
    extra = {k: v for k, v in record.items()
             if k not in ("conversation_id", "agent_id", "channel", "started_at", "turns")}
    channel = record.get("channel")
    if channel is not None and channel not in ("chat", "call"):
        raise TranscriptError(path, line, f"channel must be 'chat' or 'call', got {channel!r}")
    agent_id = record.get("agent_id")
    return Conversation(
        conversation_id=str(cid),
        turns=turns,
        agent_id=None if agent_id is None else str(agent_id),
        channel=channel,
        started_at=None if record.get("started_at") is None else str(record["started_at"]),
        extra=extra,
        source=f"{path}:{line}" if line is not None else path,
    )
