"""Turn-level annotation: conversations in, one record per turn out (tags plus evidence)."""

from __future__ import annotations

import bisect
import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .detect import SPANS_KEY, conversation_doc, make_pipeline
from .detect.components import turn_table
from .transcript import Conversation

_NLP: Language | None = None
# Cyclic-collector thresholds while a batch is annotated (see `_rare_collections`)
BATCH_GC_THRESHOLDS = (100_000, 100)


def default_pipeline() -> Language:
    """The shared blank-English qscore pipeline, built once per process."""
    global _NLP
    if _NLP is None:
        _NLP = make_pipeline()
    return _NLP


def annotate(
    conversations: Iterable[Conversation],
    nlp: Language | None = None,
    batch_size: int = 64,
) -> Iterator[list[dict[str, Any]]]:
    """Yield, per conversation, its turn records in input order:
    `{"conversation_id", "turn_index", "speaker", "role", "text", "tags", "evidence"}`
    with evidence as character offsets into the turn's text."""
    nlp = nlp or default_pipeline()
    pending: list[Conversation] = []
    for conv in conversations:
        pending.append(conv)
        if len(pending) >= batch_size:
            yield from _annotate_batch(nlp, pending)
            pending = []
    if pending:
        yield from _annotate_batch(nlp, pending)


def annotate_docs(conversations: Iterable[Conversation], nlp: Language | None = None,
                  batch_size: int = 64) -> Iterator[tuple[Conversation, Doc]]:
    """Conversations with their annotated Docs (for callers who want spaCy objects)."""
    nlp = nlp or default_pipeline()
    convs = list(conversations) if not isinstance(conversations, list) else conversations
    docs = (conversation_doc(nlp, c) for c in convs)
    yield from zip(convs, nlp.pipe(docs, batch_size=batch_size))


def _annotate_batch(nlp: Language, convs: list[Conversation]) -> list[list[dict[str, Any]]]:
    with _rare_collections():
        return [turn_records(conv, doc) for conv, doc in annotate_docs(convs, nlp)]


@contextmanager
def _rare_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often for the duration of one batch, then restore
    the caller's thresholds (as mypy does for its build).

    Annotating allocates many small lists, sets and tuples that die young and form no cycles
    (reference counting frees them); at Python's default thresholds the collector still runs
    every 700 allocations and re-walks what the batch keeps alive: about 8% of annotate time on
    SwDA dev in batches of 61 conversations, 1-4% in the benchmark's batches of eight
    (`scripts/bench_annotate.py --gc-default` measures it). Nothing is disabled:
    collections still happen, less often, and the caller's code never runs under these settings
    (a batch's records are built before any is yielded)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], BATCH_GC_THRESHOLDS[0]), max(before[1], BATCH_GC_THRESHOLDS[1]), *before[2:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def turn_records(conv: Conversation, doc: Doc) -> list[dict[str, Any]]:
    turns = turn_table(doc)
    starts = [t[0] for t in turns]
    char_base = doc.user_data["_qscore_turn_chars"]
    tags: list[dict[str, list[list[int]]]] = [{} for _ in turns]
    for span in doc.spans.get(SPANS_KEY, []):
        i = bisect.bisect_right(starts, span.start) - 1
        if i < 0:
            continue
        base = char_base[i]
        tags[i].setdefault(span.label_, []).append([span.start_char - base, span.end_char - base])
    records = []
    for index, (turn, found) in enumerate(zip(conv.turns, tags)):
        evidence = {tag: sorted(found[tag]) for tag in sorted(found)}
        records.append({
            "conversation_id": conv.conversation_id,
            "turn_index": index,
            "speaker": turn.speaker,
            "role": turn.role,
            "text": turn.text,
            "tags": list(evidence),
            "evidence": evidence,
        })
    return records
