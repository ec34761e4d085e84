"""Turn the paths a user gives (files, directories, globs, gzip) into decoded, numbered lines."""

from __future__ import annotations

import glob
import gzip
import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import TranscriptError

# suffix -> format name; ".gz" is looked through.
SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".txt": "txt",
    ".text": "txt",
    ".vtt": "vtt",
    ".srt": "srt",
}
FORMATS = ("jsonl", "csv", "tsv", "txt", "vtt", "srt")
STDIN = "-"


def inner_suffix(path: str | Path) -> str:
    """The format-giving suffix: `calls.jsonl.gz` -> `.jsonl`."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def stem(path: str | Path) -> str:
    """File name without format and compression suffixes, used as a default conversation id."""
    name = Path(path).name
    for _ in range(2):
        base, ext = os.path.splitext(name)
        if ext.lower() in SUFFIX_FORMATS or ext.lower() == ".gz":
            name = base
    return name


def detect_format(path: str | Path, forced: str | None = None) -> str:
    if forced:
        if forced not in FORMATS:
            raise TranscriptError(str(path), None, f"unknown format {forced!r}; use one of {', '.join(FORMATS)}")
        return forced
    if str(path) == STDIN:
        return "jsonl"
    fmt = SUFFIX_FORMATS.get(inner_suffix(path))
    if fmt is None:
        raise TranscriptError(
            str(path), None,
            f"unknown transcript format (suffix {inner_suffix(path) or 'none'!r}); "
            f"known suffixes: {', '.join(sorted(SUFFIX_FORMATS))} (optionally .gz), or pass --format",
        )
    return fmt


def expand_inputs(inputs: Iterable[str | Path]) -> Iterator[str]:
    """Files in the order given; directories recursively (sorted); globs expanded.

    A path that neither exists nor matches a glob raises, naming it, before anything is read.
    """
    for raw in inputs:
        item = str(raw)
        if item == STDIN:
            yield item
        elif os.path.isdir(item):
            found = sorted(
                str(p) for p in Path(item).rglob("*")
                if p.is_file() and inner_suffix(p) in SUFFIX_FORMATS and not p.name.startswith(".")
            )
            if not found:
                raise TranscriptError(item, None, "directory holds no transcript files")
            yield from found
        elif os.path.exists(item):
            yield item
        elif glob.has_magic(item):
            matches = sorted(p for p in glob.glob(item, recursive=True) if os.path.isfile(p))
            if not matches:
                raise TranscriptError(item, None, "pattern matches no files")
            yield from matches
        else:
            raise TranscriptError(item, None, "no such file or directory")


def open_binary(path: str) -> io.BufferedIOBase:
    if path == STDIN:
        import sys

        return sys.stdin.buffer
    try:
        if path.lower().endswith(".gz"):
            return gzip.open(path, "rb")  # type: ignore[return-value]  # owns (and closes) the file
        return open(path, "rb")  # noqa: SIM115 - returned to the caller, closed there
    except OSError as exc:
        raise TranscriptError(path, None, f"cannot open: {exc.strerror or exc}") from None


def iter_lines(path: str) -> Iterator[tuple[int, str | TranscriptError]]:
    """Yield (line number, text without newline) or (line number, error) for undecodable lines.

    Decoding line by line keeps memory flat on large files and lets a reader skip one bad line.
    """
    fh = open_binary(path)
    try:
        for number, raw in enumerate(_read_raw_lines(path, fh), 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                error = TranscriptError(
                    path, number,
                    f"not UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1}); "
                    "re-save the file as UTF-8",
                )
                error.text = raw.decode("utf-8", "replace").rstrip("\r\n")
                yield number, error
                continue
            yield number, text.rstrip("\r\n")
    finally:
        if path != STDIN:
            fh.close()


def _read_raw_lines(path: str, fh: io.BufferedIOBase) -> Iterator[bytes]:
    try:
        yield from fh
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise TranscriptError(path, None, f"cannot read (corrupt or truncated file?): {exc}") from None


def read_text(path: str) -> tuple[list[str], list[TranscriptError]]:
    """All lines of a small file (subtitles, plain text), with any decoding errors."""
    lines: list[str] = []
    errors: list[TranscriptError] = []
    for _number, item in iter_lines(path):
        if isinstance(item, TranscriptError):
            errors.append(item)
            lines.append("")
        else:
            lines.append(item)
    return lines, errors
