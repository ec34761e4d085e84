"""Labelled conversations for training and evaluation, loaded with HuggingFace `datasets`.

Local JSONL/JSON (canonical records with a `level`), Parquet (the same columns), or CSV in long
form (one turn per row with `conversation_id`, `speaker`, `text`, `role`, `level`, `agent_id`);
anything that is not a local path is taken as a dataset name on a hub (needs network).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .read.errors import TranscriptError
from .read.records import conversation_from_record
from .read.roles import assign_roles
from .transcript import Conversation

BUILDERS = {".jsonl": "json", ".json": "json", ".ndjson": "json", ".parquet": "parquet", ".csv": "csv", ".tsv": "csv"}


def _builder(path: str) -> str | None:
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return BUILDERS.get(suffixes[-1]) if suffixes else None


def load_rows(source: str, split: str = "train") -> list[dict[str, Any]]:
    """Rows of one local file (any builder above) or hub dataset, as plain dicts."""
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    if os.path.exists(source):
        builder = _builder(source)
        if builder is None:
            raise TranscriptError(source, None, "unknown labelled-data format; use .jsonl, .json, .parquet or .csv")
        kwargs: dict[str, Any] = {"data_files": source, "split": "train"}
        if source.lower().endswith((".tsv", ".tsv.gz")):
            kwargs["delimiter"] = "\t"
        try:
            ds = datasets.load_dataset(builder, **kwargs)
        except Exception as exc:  # datasets raises many types for bad files; name the file
            raise TranscriptError(source, None, f"cannot load as {builder}: {exc}") from None
    else:
        try:
            ds = datasets.load_dataset(source, split=split)
        except Exception as exc:
            raise TranscriptError(source, None, f"not a local file, nor loadable as a dataset name: {exc}") from None
    return ds.to_list()


def _long_form(rows: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    records: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(rows, 2):  # line 1 is the header
        cid = str(row.get("conversation_id") or "").strip()
        if not cid:
            raise TranscriptError(source, n, "row has no conversation_id")
        record = records.setdefault(cid, {"conversation_id": cid, "turns": [], "_line": n})
        for key in ("level", "agent_id", "channel"):
            if row.get(key) not in (None, "") and key not in record:
                record[key] = row[key]
        record["turns"].append({k: row.get(k) for k in ("speaker", "role", "text", "start") if row.get(k) is not None})
    return list(records.values())


def load_labelled(sources: Sequence[str]) -> list[Conversation]:
    """Conversations with an integer `level` 1-3 in `extra["level"]`; any problem names its
    source and row."""
    conversations: list[Conversation] = []
    seen: set[str] = set()
    for source in sources:
        rows = load_rows(str(source))
        if rows and "turns" not in rows[0] and "text" in rows[0]:
            rows = _long_form(rows, str(source))
        for n, row in enumerate(rows, 1):
            line = row.pop("_line", n)
            row = {k: v for k, v in row.items() if v is not None}
            row["turns"] = [{k: v for k, v in t.items() if v is not None} for t in row.get("turns") or []]
            conv = conversation_from_record(row, str(source), line, f"{Path(str(source)).stem}-{n}")
            level = conv.extra.get("level")
            try:
                level = int(level)
            except (TypeError, ValueError):
                level = None
            if level not in (1, 2, 3):
                got = conv.extra.get("level")
                raise TranscriptError(str(source), line,
                                      f"conversation {conv.conversation_id!r}: level must be 1, 2 or 3, got {got!r}")
            if conv.conversation_id in seen:
                raise TranscriptError(str(source), line, f"conversation_id {conv.conversation_id!r} appears twice")
            seen.add(conv.conversation_id)
            conv.extra["level"] = level
            conversations.append(assign_roles(conv))
    if not conversations:
        raise TranscriptError(", ".join(map(str, sources)), None, "no labelled conversations")
    return conversations


def fingerprint(conversations: Sequence[Conversation]) -> str:
    """SHA-256 over what training sees (ids, agents, levels, turns), order-independent."""
    digest = hashlib.sha256()
    for conv in sorted(conversations, key=lambda c: c.conversation_id):
        payload = [conv.conversation_id, conv.agent_id, conv.extra.get("level"),
                   [[t.speaker, t.role, t.text] for t in conv.turns]]
        digest.update(json.dumps(payload, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()
