"""Canonical JSONL: one conversation object per line (a `.json` file may hold a list of them)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..transcript import Conversation
from .errors import TranscriptError
from .records import conversation_from_record
from .sources import iter_lines, stem


def read_jsonl(path: str) -> Iterator[Conversation | TranscriptError]:
    base = stem(path)
    lines = iter_lines(path)
    for number, item in lines:
        if isinstance(item, TranscriptError):
            yield item
            continue
        stripped = item.strip()
        if not stripped:
            continue
        if number == 1 and stripped.startswith("[") and path.lower().endswith((".json", ".json.gz")):
            yield from _read_json_array(path, item, lines)
            return
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield TranscriptError(path, number, f"malformed JSON: {exc.msg} (column {exc.colno})")
            continue
        try:
            yield conversation_from_record(record, path, number, f"{base}-{number}")
        except TranscriptError as exc:
            yield exc


def _read_json_array(path: str, first: str, rest: Iterator) -> Iterator[Conversation | TranscriptError]:
    """A whole-file JSON array; the line of each element is not known, so errors name its index."""
    parts = [first]
    for _number, item in rest:
        if isinstance(item, TranscriptError):
            yield item
            return
        parts.append(item)
    try:
        records = json.loads("\n".join(parts))
    except json.JSONDecodeError as exc:
        yield TranscriptError(path, exc.lineno, f"malformed JSON: {exc.msg} (column {exc.colno})")
        return
    for i, record in enumerate(records):
        try:
            yield conversation_from_record(record, path, None, f"{stem(path)}-{i}")
        except TranscriptError as exc:
            exc.problem = f"element {i}: {exc.problem}"
            yield exc
