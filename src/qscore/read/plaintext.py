"""Plain `Name: text` transcripts.

One conversation per file, or several, each introduced by a header line (`# id`, `=== id ===`)
optionally followed by `# key: value` metadata lines. A line without a `Name:` prefix continues
the previous turn, and so does a line whose "name" is a field label that people type inside a
turn ("Note:", "Ref:", "PS:", a URL's "https:"). An optional timestamp may lead a line:
`[00:01:05] Name: text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..transcript import Conversation, Turn
from .errors import TranscriptError
from .sources import read_text, stem

TIMESTAMP = r"(?:\[?(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\]?\s+)?"
TURN_LINE = re.compile(TIMESTAMP + r"(?P<speaker>[^\s:#\[\]][^:\[\]]{0,39}?)\s*:\s*(?P<text>.*)$")
HEADER = re.compile(r"^\s*(?:#+\s*(?P<hash>.*?)|={3,}\s*(?P<eq>.*?)\s*={3,})\s*$")
META = re.compile(r"^(?P<key>[A-Za-z_][\w ]{0,30}?)\s*:\s*(?P<value>.+)$")
ID_KEYS = {"conversation", "conversation_id", "conversation id", "id", "call", "chat"}
KNOWN_META = ("agent_id", "channel", "started_at")
# labels that open a line inside a turn, not a new speaker's turn (compared lowercased, without
# a trailing dot): "Note: the refund takes 5 days", "Ref: 44190", "https://..."
NOT_SPEAKERS = frozenset({
    "note", "nb", "n.b", "ps", "p.s", "pps", "ref", "reference", "order", "order number", "order no",
    "account", "account number", "booking", "booking ref", "booking reference", "policy", "postcode",
    "address", "email", "e-mail", "phone", "tel", "mobile", "date", "time", "subject", "re", "fyi",
    "edit", "update", "tip", "link", "http", "https", "www",
})


def _seconds(ts: str | None) -> float | None:
    if not ts:
        return None
    parts = ts.replace(",", ".").split(":")
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return total


def read_plaintext(path: str) -> Iterator[Conversation | TranscriptError]:
    lines, errors = read_text(path)
    if errors:
        yield from errors
        return
    has_headers = any(HEADER.match(line) for line in lines)
    current: dict | None = None
    if not has_headers:
        current = _new(stem(path), 1)

    def finish(conv: dict | None) -> Iterator[Conversation | TranscriptError]:
        if conv is None or conv.get("bad"):
            return
        if not conv["turns"]:
            yield TranscriptError(path, conv["line"], f"empty conversation {conv['id']!r} (no 'Name: text' lines)")
            return
        yield Conversation(
            conversation_id=conv["id"], turns=conv["turns"], extra=conv["extra"],
            agent_id=conv["meta"].get("agent_id"), channel=conv["meta"].get("channel"),
            started_at=conv["meta"].get("started_at"), source=f"{path}:{conv['line']}",
        )

    in_header = False
    for number, line in enumerate(lines, 1):
        if not line.strip():
            in_header = False
            continue
        header = HEADER.match(line) if has_headers else None
        if header:
            body = (header.group("hash") if header.group("hash") is not None else header.group("eq")) or ""
            meta = META.match(body)
            if in_header and current is not None and meta:
                yield from _apply_meta(current, meta, path, number)
                continue
            yield from finish(current)
            current = _new(f"{stem(path)}-{number}", number)
            in_header = True
            if meta and meta.group("key").strip().lower() in ID_KEYS:
                current["id"] = meta.group("value").strip()
            elif meta:
                yield from _apply_meta(current, meta, path, number)
            elif body:
                current["id"] = body
            continue
        in_header = False
        if current is None:
            yield TranscriptError(path, number, "text before the first conversation header")
            return
        if current.get("bad"):
            continue
        match = TURN_LINE.match(line)
        if match and current["turns"] and _is_field_label(match.group("speaker")):
            match = None  # "Note: ..." inside a turn: a continuation line
        if match:
            current["turns"].append(Turn(
                speaker=match.group("speaker").strip(), text=match.group("text").strip(),
                start=_seconds(match.group("ts")),
            ))
        elif current["turns"]:
            turn = current["turns"][-1]
            turn.text = f"{turn.text} {line.strip()}".strip()
        else:
            yield TranscriptError(path, number, f"expected 'Name: text', got {line.strip()[:40]!r}")
            if not has_headers:
                return
            current["bad"] = True  # skip the rest of this conversation; resume at the next header
    yield from finish(current)


def _is_field_label(label: str) -> bool:
    return label.strip().lower().rstrip(".") in NOT_SPEAKERS


def _new(cid: str, line: int) -> dict:
    return {"id": cid, "line": line, "turns": [], "meta": {}, "extra": {}}


def _apply_meta(conv: dict, meta: re.Match, path: str, number: int) -> Iterator[TranscriptError]:
    """Store one `# key: value` line; a value that is not allowed is an error and makes the
    conversation skipped."""
    key = meta.group("key").strip().lower().replace(" ", "_")
    value = meta.group("value").strip()
    if key in ("conversation", "conversation_id", "id"):
        conv["id"] = value
    elif key == "channel":
        if value.lower() not in ("chat", "call"):
            conv["bad"] = True
            yield TranscriptError(path, number, f"channel must be 'chat' or 'call', got {value!r}")
            return
        conv["meta"][key] = value.lower()
    elif key in KNOWN_META:
        conv["meta"][key] = value
    else:
        conv["extra"][key] = value
