"""Load the reviewable linguistic resources (`qscore/resources/`): word lists and phrase patterns."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Lexicon:
    """Named word lists from `lexicon.txt`; multi-word entries are kept as space-joined strings."""

    lists: dict[str, frozenset[str]]

    def __getitem__(self, name: str) -> frozenset[str]:
        return self.lists[name]


def _resource_text(name: str) -> str:
    return resources.files("qscore.resources").joinpath(name).read_text("utf-8")


def parse_lexicon(text: str) -> Lexicon:
    lists: dict[str, set[str]] = {}
    current: set[str] | None = None
    split_words = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            name = line[1:-1]
            split_words = name.endswith("*")
            current = lists.setdefault(name.rstrip("*"), set())
            continue
        if current is None:
            raise ValueError(f"lexicon entry before any [section]: {line!r}")
        if split_words:
            current.update(line.lower().split())
        else:
            current.add(" ".join(line.lower().split()))
    return Lexicon({name: frozenset(words) for name, words in lists.items()})


@lru_cache(maxsize=4)
def load_lexicon(path: str | None = None) -> Lexicon:
    text = Path(path).read_text("utf-8") if path else _resource_text("lexicon.txt")
    return parse_lexicon(text)


def parse_patterns(text: str, source: str = "phrases.jsonl") -> list[dict]:
    """SpanRuler-style rows: {"label", "pattern": [token dicts], "exclude"?: bool}."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{source}:{number}: malformed JSON: {exc.msg}") from None
        if not isinstance(row, dict) or "label" not in row or not isinstance(row.get("pattern"), list):
            raise ValueError(f'{source}:{number}: expected {{"label": ..., "pattern": [...]}}')
        rows.append(row)
    return rows


def load_patterns(path: str | None = None) -> list[dict]:
    if path:
        return parse_patterns(Path(path).read_text("utf-8"), str(path))
    return parse_patterns(_resource_text("phrases.jsonl"))
