"""Turn-level annotation: conversations in, one record per turn out (tags plus evidence)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .detect import SPANS_KEY, conversation_doc, make_pipeline
from .detect.components import turn_table
from .transcript import Conversation

_NLP: Language | None = None


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


def _annotate_batch(nlp: Language, convs: list[Conversation]) -> Iterator[list[dict[str, Any]]]:
    for conv, doc in annotate_docs(convs, nlp):
        yield turn_records(conv, doc)


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
