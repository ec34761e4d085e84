"""The in-memory shape of a conversation, shared by every stage (read -> detect -> ...)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("agent", "customer")

# Keys the canonical JSONL format gives meaning to; anything else is passed through untouched.
CONVERSATION_KEYS = ("conversation_id", "agent_id", "channel", "started_at", "turns")
TURN_KEYS = ("speaker", "role", "text", "start")


@dataclass(slots=True)
class Turn:
    """One speaker's contribution. `role` is None until known or inferred."""

    speaker: str
    text: str
    role: str | None = None
    start: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"speaker": self.speaker, "role": self.role, "text": self.text}
        if self.start is not None:
            out["start"] = self.start
        out.update(self.extra)
        return out


@dataclass(slots=True)
class Conversation:
    """A transcript plus where it came from (`source` is "file:line" for error messages)."""

    conversation_id: str
    turns: list[Turn]
    agent_id: str | None = None
    channel: str | None = None
    started_at: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    role_source: str = "given"  # given | agent-name | role-map | inferred | unknown
    role_confidence: float = 1.0

    @property
    def agent_speakers(self) -> set[str]:
        return {t.speaker for t in self.turns if t.role == "agent"}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"conversation_id": self.conversation_id}
        for key in ("agent_id", "channel", "started_at"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out.update(self.extra)
        out["turns"] = [t.to_dict() for t in self.turns]
        return out
