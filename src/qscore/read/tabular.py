"""CSV / TSV in long form: one turn per row, rows of a conversation grouped by `conversation_id`."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from ..transcript import Conversation
from .errors import TranscriptError
from .records import conversation_from_record
from .sources import iter_lines

REQUIRED = ("conversation_id", "speaker", "text")
# Column names people export under other spellings.
ALIASES = {
    "conversation": "conversation_id", "conv_id": "conversation_id", "call_id": "conversation_id",
    "chat_id": "conversation_id", "transcript_id": "conversation_id",
    "utterance": "text", "message": "text", "content": "text",
    "participant": "speaker", "name": "speaker", "author": "speaker",
    "start_time": "start", "offset": "start",
}
CONVERSATION_COLUMNS = ("agent_id", "channel", "started_at")


def read_table(path: str, delimiter: str) -> Iterator[Conversation | TranscriptError]:
    numbered: list[int] = []
    decode_errors: list[TranscriptError] = []

    def lines() -> Iterator[str]:
        for number, item in iter_lines(path):
            if isinstance(item, TranscriptError):
                decode_errors.append(item)
                item = item.text  # the line with undecodable bytes replaced, to find its conversation
            numbered.append(number)
            yield item + "\n"

    reader = csv.reader(lines(), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        yield TranscriptError(path, None, "empty file (no header row)")
        return
    except csv.Error as exc:
        yield TranscriptError(path, 1, f"malformed CSV header: {exc}")
        return
    columns = [ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    missing = [c for c in REQUIRED if c not in columns and not (c == "speaker" and "role" in columns)]
    if missing:
        yield TranscriptError(
            path, 1,
            f"header lacks column(s) {', '.join(missing)} (found: {', '.join(columns)}); "
            "long form needs conversation_id, speaker, text and optionally role, start",
        )
        return

    cid_at = columns.index("conversation_id")
    groups: dict[str, dict] = {}
    bad: dict[str, TranscriptError] = {}
    last_cid = ""
    while True:
        row_start = numbered[-1] + 1 if numbered else 2
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader cannot resynchronise (an unclosed quote swallows the rest of the file):
            # keep the conversations read so far, except the one in progress, which may go on
            # past this point and would be scored with a hole in it.
            yield TranscriptError(path, row_start, f"malformed CSV in the row starting here: {exc}; "
                                  "rows from here on were not read")
            if last_cid:
                groups.pop(last_cid, None)
            break
        line = numbered[-1] if numbered else None
        row_cid = row[cid_at].strip() if cid_at < len(row) else ""
        last_cid = row_cid or last_cid
        problem = None
        if decode_errors:
            problem = decode_errors[0]
            decode_errors.clear()
        elif not any(cell.strip() for cell in row):
            continue
        elif len(row) != len(columns):
            problem = TranscriptError(path, line, f"row has {len(row)} fields, header has {len(columns)}")
        if problem is not None:
            # a conversation with a hole in it would be scored as if complete: drop it whole
            if row_cid and row_cid not in bad:
                bad[row_cid] = problem
                groups.pop(row_cid, None)
            yield problem
            continue
        values = dict(zip(columns, row))
        cid = values.get("conversation_id", "").strip()
        if not cid:
            yield TranscriptError(path, line, "row has an empty conversation_id")
            continue
        if cid in bad:
            continue
        group = groups.get(cid)
        if group is None:
            group = groups[cid] = {"conversation_id": cid, "turns": [], "_line": line}
            for key in CONVERSATION_COLUMNS:
                if values.get(key):
                    group[key] = values[key]
        turn = {k: v for k, v in values.items() if k != "conversation_id" and k not in CONVERSATION_COLUMNS}
        turn = {k: v for k, v in turn.items() if v != "" or k == "text"}
        if not turn.get("text", "").strip():
            err = TranscriptError(path, line, f"conversation {cid!r}: row has no text")
            bad[cid] = err
            groups.pop(cid, None)
            yield err
            continue
        turn["_line"] = line
        group["turns"].append(turn)

    for cid, group in groups.items():
        first_line = group.pop("_line")
        lines_of = [t.pop("_line") for t in group["turns"]]
        try:
            conv = conversation_from_record(group, path, first_line, cid)
        except TranscriptError as exc:
            # Point at the row of the offending turn when the message names one.
            if exc.problem.startswith("turn "):
                index = int(exc.problem.split()[1].rstrip(":"))
                exc.line = lines_of[index]
            yield exc
            continue
        yield conv
