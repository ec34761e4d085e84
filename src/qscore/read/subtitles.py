"""WebVTT and SRT as speech-recognition services write them.

The speaker comes from a `<v Name>` voice tag, a `Name:` prefix or a `[Name]` prefix; consecutive
cues by one speaker are merged into one turn (recognisers cut turns into short cues).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from ..transcript import Conversation, Turn
from .errors import TranscriptError
from .sources import read_text, stem

TIMING = re.compile(
    r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?P<end>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>")
TAG = re.compile(r"</?[^>]*>")
PREFIX = re.compile(r"^\s*(?:-\s*)?(?:\[(?P<bracket>[^\]]{1,40})\]|(?P<colon>[^\s:][^:]{0,39}?)\s*:)\s*(?P<text>.*)$")


def _seconds(stamp: str) -> float:
    total = 0.0
    for part in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return total


def read_subtitles(path: str, kind: str) -> Iterator[Conversation | TranscriptError]:
    lines, errors = read_text(path)
    if errors:
        yield from errors
        return
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        yield TranscriptError(path, None, "empty file")
        return
    if kind == "vtt" and not lines[first].lstrip().startswith("WEBVTT"):
        yield TranscriptError(path, first + 1, "a WebVTT file must start with 'WEBVTT'")
        return
    turns: list[Turn] = []
    speaker: str | None = None
    number = first + 1 if kind == "vtt" else first
    n = len(lines)
    saw_cue = False
    while number < n:
        line = lines[number]
        if kind == "vtt" and line.startswith(("NOTE", "STYLE", "REGION")):
            while number < n and lines[number].strip():
                number += 1
            continue
        timing = TIMING.match(line)
        if not timing:
            following = lines[number + 1] if number + 1 < n else ""
            # not a cue identifier either (those are followed by a timing line)
            if line.strip() and not TIMING.match(following) and (kind == "srt" or saw_cue):
                yield TranscriptError(
                    path, number + 1,
                    f"expected a cue timing line ('00:00:01.000 --> ...'), got {line.strip()[:40]!r}")
                return
            number += 1
            continue
        saw_cue = True
        start = _seconds(timing.group("start"))
        number += 1
        while number < n and lines[number].strip():
            payload = lines[number]
            cue_line = number + 1
            number += 1
            voice = VOICE.search(payload)
            if voice:
                speaker = voice.group("name").strip()
                text = TAG.sub("", payload[voice.end():])
            else:
                text = TAG.sub("", payload)
                prefix = PREFIX.match(text)
                if prefix and (prefix.group("bracket") or prefix.group("colon")):
                    speaker = (prefix.group("bracket") or prefix.group("colon")).strip()
                    text = prefix.group("text")
            text = html.unescape(text).strip()
            if not text:
                continue
            if speaker is None:
                yield TranscriptError(
                    path, cue_line,
                    "cue has no speaker: qscore needs '<v Name>' voice tags or 'Name:' prefixes to tell turns apart",
                )
                return
            if turns and turns[-1].speaker == speaker:
                turns[-1].text = f"{turns[-1].text} {text}"
            else:
                turns.append(Turn(speaker=speaker, text=text, start=start))
    if not turns:
        yield TranscriptError(path, None, "empty conversation (no cues with text)")
        return
    yield Conversation(conversation_id=stem(path), turns=turns, channel="call", source=path)
