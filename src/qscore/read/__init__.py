"""Read transcripts from the formats teams have into `Conversation`s, one at a time.

>>> from qscore import read_transcripts
>>> for conv in read_transcripts(["calls/"], agent_names=("Maria",)):
...     print(conv.conversation_id, conv.role_source)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..transcript import Conversation
from .errors import TranscriptError
from .jsonl import read_jsonl
from .plaintext import read_plaintext
from .roles import assign_roles, load_role_map
from .sources import FORMATS, detect_format, expand_inputs
from .subtitles import read_subtitles
from .tabular import read_table

__all__ = ["FORMATS", "TranscriptError", "read_transcripts", "read_file", "load_role_map"]


def read_file(path: str, fmt: str | None = None) -> Iterator[Conversation | TranscriptError]:
    """Conversations of one file, with problems yielded as `TranscriptError` values (not raised)."""
    try:
        kind = detect_format(path, fmt)
        if kind == "jsonl":
            yield from read_jsonl(path)
        elif kind in ("csv", "tsv"):
            yield from read_table(path, "\t" if kind == "tsv" else ",")
        elif kind == "txt":
            yield from read_plaintext(path)
        else:
            yield from read_subtitles(path, kind)
    except TranscriptError as exc:  # whole-file problems: cannot open, corrupt gzip, unknown format
        yield exc


def read_transcripts(
    inputs: Iterable[str | Path] | str | Path,
    *,
    fmt: str | None = None,
    agent_names: Iterable[str] = (),
    role_map: dict[str, str] | str | Path | None = None,
    skip_invalid: bool = False,
    on_skip: Callable[[TranscriptError], None] | None = None,
) -> Iterator[Conversation]:
    """Stream conversations from files, directories, globs (gzip too), with roles resolved.

    By default the first bad record raises `TranscriptError` (file, line, problem). With
    `skip_invalid=True` bad records are passed to `on_skip` and reading goes on.
    Conversation ids repeated across inputs are an error too: outputs are keyed by them.
    """
    if isinstance(inputs, (str, Path)):
        inputs = [inputs]
    if role_map is not None and not isinstance(role_map, dict):
        role_map = load_role_map(role_map)
    elif role_map is not None:  # speakers are matched case-insensitively, as in a role-map file
        role_map = {str(k).strip().lower(): str(v).strip().lower() for k, v in role_map.items()}
    names = tuple(agent_names)
    paths = list(expand_inputs(inputs))  # fail on a missing path before reading anything
    seen: dict[str, str] = {}
    for path in paths:
        for item in read_file(path, fmt):
            if isinstance(item, Conversation) and item.conversation_id in seen:
                item = TranscriptError(
                    *_split_source(item.source),
                    f"conversation_id {item.conversation_id!r} already read at {seen[item.conversation_id]}",
                )
            if isinstance(item, TranscriptError):
                if not skip_invalid:
                    raise item
                if on_skip is not None:
                    on_skip(item)
                continue
            seen[item.conversation_id] = item.source
            yield assign_roles(item, names, role_map)


def _split_source(source: str) -> tuple[str, int | None]:
    path, _, line = source.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return source, None
