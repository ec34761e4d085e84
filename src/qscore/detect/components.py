"""spaCy components that tag service behaviours, with the words that show them.

Each component is a registered factory (usable in any spaCy pipeline: `nlp.add_pipe("qscore_questions")`)
that writes labelled spans to `doc.spans["qscore"]`; a span's label is a rubric tag and its text is
the evidence. A Doc built by `qscore.detect.conversation_doc` holds a whole conversation with one
span per turn in `doc.spans["qscore_turns"]` (label: role; `span._.qscore_speaker`), which lets
the restatement and name detectors compare a turn with what the other side said before. On a
plain Doc the whole text is one turn of unknown role.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from operator import not_
from pathlib import Path

import srsly
from spacy.attrs import LOWER
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .lexicon import Lexicon, load_lexicon, load_patterns
from .patterns import PatternMatcher, _is_punct
from .questions import Question, QuestionFinder, units
from .scorers import Candidate, TurnScorer, load_scorer, resource_name

SPANS_KEY = "qscore"
TURNS_KEY = "qscore_turns"
CORE_TAGS = ("open_question", "closed_question", "high_gain_question", "restate_feeling",
             "restate_fact", "thanks", "bridge")
TAGS = CORE_TAGS + ("follow_up", "check_satisfaction", "set_expectation", "offer_options",
                    "apology", "greeting", "use_name")
GREETING_WINDOW = 12  # a greeting opens a turn: within its first tokens
SECOND_PERSON = frozenset({"you", "your", "youre", "youve", "youd", "u", "ur", "yourself", "yours"})
SELF_FEELING = frozenset({"i", "im", "we", "me", "us", "myself"})
_MATCHERS: dict[str, PatternMatcher] = {}


def _tags_in(span: Span | Doc) -> list[str]:
    doc = span if isinstance(span, Doc) else span.doc
    start, end = (0, len(doc)) if isinstance(span, Doc) else (span.start, span.end)
    group = doc.spans.get(SPANS_KEY, [])
    return sorted({s.label_ for s in group if s.start >= start and s.end <= end})


def _speaker_of(span: Span) -> str | None:
    """The speaker of the turn that starts where this span starts (None off a turn start)."""
    for start, _end, _role, speaker in span.doc.user_data.get("_qscore_turn_table", ()):
        if start == span.start:
            return speaker
    return None


def register_extensions() -> None:
    if not Doc.has_extension("qscore_conversation_id"):
        Doc.set_extension("qscore_conversation_id", default=None)
    if not Span.has_extension("qscore_speaker"):
        Span.set_extension("qscore_speaker", getter=_speaker_of)
    if not Span.has_extension("qscore_tags"):
        Span.set_extension("qscore_tags", getter=_tags_in)
    if not Doc.has_extension("qscore_tags"):
        Doc.set_extension("qscore_tags", getter=_tags_in)


register_extensions()


# -- shared helpers ---------------------------------------------------------------------------
_PUNCT_CACHE: dict[str, bool] = {}
_LOWER_CACHE: dict[int, str] = {}  # hash -> string: the vocabulary's strings, as plain dict lookups


def token_view(doc: Doc) -> tuple[list[str], list[bool]]:
    """Lowercase strings and punctuation/space flags, computed once per Doc and shared by the
    components (read from the Doc's array: creating a `Token` object per token costs more
    than all the detectors together)."""
    cached = doc.user_data.get("_qscore_tokens")
    if cached is None or len(cached[0]) != len(doc):
        hashes = doc.to_array([LOWER]).tolist()
        lowers = list(map(_LOWER_CACHE.get, hashes))  # dict lookups at C speed; fill misses once
        if None in lowers:
            strings = doc.vocab.strings
            for h in set(hashes).difference(_LOWER_CACHE):
                _LOWER_CACHE[h] = strings[h]
            lowers = list(map(_LOWER_CACHE.__getitem__, hashes))
        punct = list(map(_PUNCT_CACHE.get, lowers))
        if None in punct:
            for word in set(lowers).difference(_PUNCT_CACHE):
                _PUNCT_CACHE[word] = _is_punct(word) or word.isspace()
            punct = list(map(_PUNCT_CACHE.__getitem__, lowers))
        cached = doc.user_data["_qscore_tokens"] = (lowers, punct)
    return cached


def turn_table(doc: Doc) -> list[tuple[int, int, str, str | None]]:
    """(start, end, role, speaker) per turn, cached on the Doc; a plain Doc is one turn."""
    cached = doc.user_data.get("_qscore_turn_table")
    if cached is not None:
        return cached
    if TURNS_KEY in doc.spans and len(doc.spans[TURNS_KEY]):
        table = [(t.start, t.end, t.label_, None) for t in doc.spans[TURNS_KEY]]
    else:
        table = [(0, len(doc), "unknown", None)]
    doc.user_data["_qscore_turn_table"] = table
    return table


def turn_units(doc: Doc) -> list[list[tuple[int, int]]]:
    """Sentence-like units of every turn (`questions.units`), cached on the Doc: the question
    and restatement detectors both work per unit."""
    cached = doc.user_data.get("_qscore_units")
    turns = turn_table(doc)
    if cached is None or len(cached) != len(turns):
        lowers, punct = token_view(doc)
        cached = doc.user_data["_qscore_units"] = [units(lowers, punct, start, end) for start, end, _r, _s in turns]
    return cached


def add_spans(doc: Doc, spans: Iterable[Span]) -> None:
    spans = list(spans)
    if not spans:
        return
    if SPANS_KEY in doc.spans:
        doc.spans[SPANS_KEY].extend(spans)
    else:
        doc.spans[SPANS_KEY] = spans


class _ResourceComponent:
    """Common set-up: resources load in `initialize` (or lazily on first call) and serialise."""

    def __init__(self, nlp: Language, name: str, lexicon_path: str | None, patterns_path: str | None) -> None:
        self.nlp = nlp
        self.name = name
        self.lexicon_path = lexicon_path
        self.patterns_path = patterns_path
        self.lex: Lexicon | None = None
        self.patterns: list[dict] = []
        self.matcher: Matcher | None = None

    def initialize(self, get_examples: Callable | None = None, *, nlp: Language | None = None,
                   lexicon_path: str | None = None, patterns_path: str | None = None) -> None:
        self.lexicon_path = lexicon_path or self.lexicon_path
        self.patterns_path = patterns_path or self.patterns_path
        self.lex = load_lexicon(self.lexicon_path)
        self.patterns = load_patterns(self.patterns_path)
        self._build_matcher(validate=True)
        self._setup()

    def _build_matcher(self, validate: bool) -> None:
        """One matcher per distinct pattern set, shared by the components that load it, so a
        Doc is scanned once for all of them (each keeps the labels it wants)."""
        self.matcher = None
        if not any(self._wants(row["label"]) for row in self.patterns):
            return
        if validate:  # spaCy's schema checks every pattern; matching itself uses PatternMatcher
            checker = Matcher(self.nlp.vocab, validate=True)
            for row in self.patterns:
                checker.add(row["label"], [row["pattern"]])
        key = srsly.json_dumps(self.patterns, sort_keys=True)
        matcher = _MATCHERS.get(key)
        if matcher is None:
            matcher = _MATCHERS[key] = PatternMatcher()
            for row in self.patterns:
                matcher.add(("-" if row.get("exclude") else "+") + row["label"], row["pattern"])
        self.matcher = matcher

    def _ensure(self) -> None:
        if self.lex is None:
            self.initialize()

    def _wants(self, label: str) -> bool:
        return False

    def _setup(self) -> None:
        pass

    def _matches(self, doc: Doc) -> dict[str, list[tuple[int, int]]]:
        """The matches this component wants, by label; `exclude` patterns have removed the
        matches they overlap. The scan is cached on the Doc for the other components."""
        if self.matcher is None:
            return {}
        cached = doc.user_data.get("_qscore_matches")
        if cached is None or cached[0] != id(self.matcher) or cached[1] != len(doc):
            lowers, _punct = token_view(doc)
            found = self._matches_in(lowers, 0, len(doc))
            cached = doc.user_data["_qscore_matches"] = (id(self.matcher), len(doc), found)
        return {label: hits for label, hits in cached[2].items() if self._wants(label)}

    def _matches_in(self, lowers: list[str], start: int, end: int) -> dict[str, list[tuple[int, int]]]:
        if self.matcher is None:
            return {}
        found: dict[str, list[tuple[int, int]]] = {}
        excluded: dict[str, list[tuple[int, int]]] = {}
        for key, s, e in self.matcher(lowers, start, end):
            (excluded if key[0] == "-" else found).setdefault(key[1:], []).append((s, e))
        for label, bad in excluded.items():
            if label in found:
                found[label] = [(s, e) for s, e in found[label]
                                if not any(bs < e and s < be for bs, be in bad)]
        return found

    # serialisation: the resources travel with the pipeline (no pickle)
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self._ensure()
        srsly.write_jsonl(path / "patterns.jsonl", self.patterns)
        lex = {name: sorted(words) for name, words in self.lex.lists.items()}
        srsly.write_json(path / "lexicon.json", lex)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> _ResourceComponent:
        path = Path(path)
        self.lex = Lexicon({k: frozenset(v) for k, v in srsly.read_json(path / "lexicon.json").items()})
        self.patterns = list(srsly.read_jsonl(path / "patterns.jsonl"))
        self._build_matcher(validate=False)
        self._setup()
        return self


class _ScoredComponent(_ResourceComponent):
    """A component some of whose tags a learned `TurnScorer` decides on the rules' candidates
    (`scorers.py`). `collected`, when a list, receives every `Candidate` (words, cues, context) for training
    (`scripts/train_scorers.py`)."""

    SCORED: tuple[str, ...] = ()

    def __init__(self, nlp: Language, name: str, lexicon_path: str | None, patterns_path: str | None,
                 use_scorers: dict[str, bool] | None = None, scorer_paths: dict[str, str | None] | None = None) -> None:
        super().__init__(nlp, name, lexicon_path, patterns_path)
        self.use_scorers = {tag: True for tag in self.SCORED} | (use_scorers or {})
        self.scorer_paths = scorer_paths or {}
        self.scorers: dict[str, TurnScorer] = {}
        self.collected: list[Candidate] | None = None

    def _setup(self) -> None:
        self.scorers = {}
        for tag in self.SCORED:
            scorer = load_scorer(tag, self.scorer_paths.get(tag)) if self.use_scorers[tag] else None
            if scorer is not None:
                self.scorers[tag] = scorer

    def _decide(self, tag: str, doc: Doc, index: int, words: list[str], cues: dict[str, float],
                context: Iterable[str] = (), anchors: Sequence[int] = ()) -> bool | None:
        """The scorer's decision on one candidate turn (None: no scorer, keep the rules')."""
        if self.collected is not None:
            self.collected.append(Candidate(tag, doc._.qscore_conversation_id, index, words, cues, list(context),
                                            list(anchors)))
        scorer = self.scorers.get(tag)
        return None if scorer is None else scorer.accepts(words, cues, context, anchors)

    @property
    def scoring(self) -> bool:
        return bool(self.scorers) or self.collected is not None

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        super().to_disk(path, exclude=exclude)
        for tag, scorer in self.scorers.items():  # the scorers travel with the pipeline, as JSON
            (Path(path) / resource_name(tag)).write_text(scorer.to_json(), "utf-8")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> _ScoredComponent:
        super().from_disk(path, exclude=exclude)
        self.scorers = {}
        for tag in self.SCORED:
            saved = Path(path) / resource_name(tag)
            if self.use_scorers[tag] and saved.exists():
                self.scorers[tag] = load_scorer(tag, saved)
        return self


def _words(lowers: list[str], punct: list[bool], start: int, end: int) -> list[str]:
    return list(compress(lowers[start:end], map(not_, punct[start:end])))


# -- questions -------------------------------------------------------------------------------
class QuestionTagger(_ScoredComponent):
    """open_question / closed_question / high_gain_question, by form (works without "?").

    Whether an open question is high-gain is decided by the learned scorer over the turn's open
    questions (`high_gain_scorer`), with the lexicon's evaluative words as its main cue."""

    SCORED = ("high_gain_question",)

    def _setup(self) -> None:
        super()._setup()
        self.finder = QuestionFinder(self.lex)

    def __call__(self, doc: Doc) -> Doc:
        self._ensure()
        lowers, punct = token_view(doc)
        spans = []
        open_questions = []
        scoring = self.scoring
        for index, ((start, end, _role, _speaker), parts) in enumerate(zip(turn_table(doc), turn_units(doc))):
            questions = self.finder.find(lowers, punct, start, end, parts)
            if not questions:
                continue
            opens = []
            for q in questions:
                spans.append(Span(doc, q.start, q.end, label=f"{q.kind}_question"))
                if q.kind == "open":
                    opens.append(q)
                    open_questions.append((q.start, q.end))
            high_gain = [q for q in opens if q.high_gain]
            if scoring and opens:
                high_gain = self._score_high_gain(doc, index, lowers, punct, opens, high_gain)
            if high_gain:
                spans.extend(Span(doc, q.start, q.end, label="high_gain_question") for q in high_gain)
        add_spans(doc, spans)
        doc.user_data["_qscore_open_questions"] = open_questions
        return doc

    def _score_high_gain(self, doc: Doc, index: int, lowers: list[str], punct: list[bool],
                         opens: list[Question], rule: list[Question]) -> list[Question]:
        """The scorer's call on a turn's open questions: the rules' high-gain ones, none, or
        (when the rules found none) the open question that scores highest on its own."""
        words = [w for q in opens for w in _words(lowers, punct, q.start, q.end)]
        cues = {"rule": float(bool(rule)), "questions": min(len(opens), 3) / 3}
        decision = self._decide("high_gain_question", doc, index, words, cues)
        if decision is None or (decision and rule):
            return rule
        if not decision:
            return []
        if len(opens) == 1:
            return opens
        scorer = self.scorers["high_gain_question"]
        return [max(opens, key=lambda q: scorer.score(_words(lowers, punct, q.start, q.end), cues))]


# -- phrase-list tags ------------------------------------------------------------------------
class PhraseTagger(_ResourceComponent):
    """thanks, bridge, follow_up, check_satisfaction, set_expectation, offer_options, apology,
    greeting: token patterns from `resources/phrases.jsonl` (SpanRuler format plus `exclude`)."""

    def _wants(self, label: str) -> bool:
        return not label.startswith("_")

    def __call__(self, doc: Doc) -> Doc:
        self._ensure()
        found = self._matches(doc)
        if not found:
            return doc
        greetings = found.pop("greeting", [])
        spans = [Span(doc, s, e, label=label) for label, hits in found.items() for s, e in hits]
        if greetings:
            spans.extend(self._opening_greetings(doc, greetings))
        add_spans(doc, filter_spans_by_label(spans))
        return doc

    def _opening_greetings(self, doc: Doc, hits: list[tuple[int, int]]) -> list[Span]:
        """A greeting opens the conversation: one of the speaker's first two turns, at its start."""
        turns = turn_table(doc)
        starts = [t[0] for t in turns]
        seen: dict[str | None, int] = {}
        rank = []
        for _start, _end, _role, speaker in turns:
            seen[speaker] = seen.get(speaker, 0) + 1
            rank.append(seen[speaker])
        out = []
        for s, e in hits:
            i = bisect.bisect_right(starts, s) - 1
            if i >= 0 and rank[i] <= 2 and s - turns[i][0] < GREETING_WINDOW:
                out.append(Span(doc, s, e, label="greeting"))
        return out


def filter_spans_by_label(spans: list[Span]) -> list[Span]:
    """Overlapping matches of one label keep the longest (one piece of evidence each)."""
    by_label: dict[str, list[Span]] = {}
    for span in spans:
        by_label.setdefault(span.label_, []).append(span)
    out: list[Span] = []
    for group in by_label.values():
        out.extend(filter_spans(group) if len(group) > 1 else group)
    return out


# -- restatements ----------------------------------------------------------------------------
class RestatementTagger(_ScoredComponent):
    """restate_fact and restate_feeling, by comparing a turn with what the other side said.

    restate_fact: a unit shares enough content words (numbers, names, nouns, verbs, after light
    stemming) with the other side's recent turns, with a restating marker ("so", "just to
    confirm", "if I've got this right") or with many shared words.
    restate_feeling: an emotion word in a reflecting frame ("sounds", "must be", "you've been",
    "that's really ..."), not inside a bare formula ("I understand your frustration") unless the
    unit also reflects something specific the customer said.

    On the turns where either could be (`_score_fact`, `_score_feeling`), a learned scorer over
    these cues and the turn's words makes the final call (`fact_scorer`, `feeling_scorer`).
    """

    SCORED = ("restate_fact", "restate_feeling")

    FACT_MIN_WITH_MARKER = 2  # shared content words with a strong marker ("just to confirm")
    FACT_MIN_WEAK = 3  # ... with a weak one ("so you ..."), and at least this share of the region:
    FACT_WEAK_SHARE = 0.3
    FACT_MIN_WITHOUT_MARKER = 4  # ... with none, and at least this share of the unit's words:
    FACT_MIN_SHARE = 0.4
    FRAME_REACH = 6  # tokens a frame may stand before the emotion word
    FACT_CANDIDATE_MIN = 1  # shared content words that make a turn a candidate for the fact scorer

    def _wants(self, label: str) -> bool:
        return label in ("_restate_strong", "_restate_weak", "_action", "_feeling_frame", "_empathy_formula",
                         "_feeling_phrase", "_reflect")

    def _setup(self) -> None:
        super()._setup()
        self.stop = self.lex["stopwords"]
        self.feeling = self.lex["feeling"]
        self.feeling_2p = self.lex["feeling_second_person"]
        self.frame_words = self.lex["feeling_frame"]
        self.any_feeling = self.feeling | self.feeling_2p
        self._stems: dict[str, str] = {}

    def stem(self, word: str) -> str:
        """Content-word key: "" for stopwords and punctuation; light suffix stripping."""
        cached = self._stems.get(word)
        if cached is not None:
            return cached
        key: str
        if word in self.stop or not word[:1].isalnum() or (len(word) < 3 and not word.isdigit()):
            key = ""
        else:
            key = word
            if key[:1].isdigit():
                key = key.rstrip("stndrh") or key  # 3rd -> 3, 21st -> 21
            elif len(key) > 5 and key.endswith("ing"):
                key = key[:-3]
            elif len(key) > 4 and key.endswith("ied"):
                key = key[:-3] + "y"
            elif len(key) > 4 and key.endswith("ed"):
                key = key[:-2]
            elif len(key) > 4 and key.endswith("ies"):
                key = key[:-3] + "y"
            elif len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
                key = key[:-1]
            key = key.rstrip("e") or key
        self._stems[word] = key
        return key

    def __call__(self, doc: Doc) -> Doc:
        self._ensure()
        lowers, punct = token_view(doc)
        turns = turn_table(doc)
        known = self._stems
        stems = list(map(known.get, lowers))
        if None in stems:  # words not seen before: stem them once ("" marks a non-content word)
            stems = [self.stem(w) if k is None else k for w, k in zip(lowers, stems)]
        asking = doc.user_data.get("_qscore_open_questions")
        if asking is None:
            asking = [(s.start, s.end) for s in doc.spans.get(SPANS_KEY, []) if s.label_ == "open_question"]
        # content words said so far, by side (role when known, else speaker): each turn is
        # compared with everything the other side said before it
        said: dict[str | None, set[str]] = {}
        last: dict[str | None, set[str]] = {}  # each side's latest run of turns
        moved: dict[str | None, bool] = {}  # ... and whether it held an emotion word
        spans = []
        cues = _LazyCues(self, doc)
        scoring = self.scoring
        any_feeling = self.any_feeling
        rule_min, candidate_min = self.FACT_MIN_WITH_MARKER, self.FACT_CANDIDATE_MIN
        empty: set[str] = set()
        previous: str | None = None
        firsts = [t[0] for t in turns]

        def turns_holding(positions: Iterable[int]) -> set[int]:
            return {bisect.bisect_right(firsts, p) - 1 for p in positions}

        # from the shared pattern scan: turns where an empathy idiom ("a lot to deal with") begins,
        # and turns with a reflecting frame ("sounds like", "no wonder"; feeling candidates)
        idiom_turns = turns_holding(cues.starts("_feeling_phrase", 0, len(doc)))
        reflect_turns = turns_holding(cues.starts("_reflect", 0, len(doc)))
        asking_turns = turns_holding(a for a, _b in asking)  # turns holding an open question
        for index, ((turn_start, turn_end, role, speaker), parts) in enumerate(zip(turns, turn_units(doc))):
            side = role if role != "unknown" else speaker
            # everything the other side(s) said before; read-only below, so with two sides
            # (the usual case) no copy is made
            other, recent, stirred = empty, empty, False
            for key, words in said.items():
                if key != side:
                    other = words if other is empty else other | words
                    if scoring:
                        recent = last[key] if recent is empty else recent | last[key]
                        stirred = stirred or moved[key]
            turn_stems = stems[turn_start:turn_end]
            found: list[Span] = []
            if other:
                overlaps = [len(other.intersection(stems[start:end])) for start, end in parts]
                most = max(overlaps)
            else:
                overlaps, most = [0] * len(parts), 0
            turn_words = lowers[turn_start:turn_end]
            emotional = not any_feeling.isdisjoint(turn_words)
            idiom = bool(other) and index in idiom_turns
            if most >= rule_min or emotional or idiom:
                # something a restatement could rest on: look unit by unit
                for (start, end), overlap in zip(parts, overlaps):
                    found.extend(self._unit(doc, lowers, stems, start, end, other, asking, cues, overlap, idiom))
            if scoring and most >= candidate_min:
                # a candidate: the rules found a restatement, or the turn takes up words from
                # the other side's latest run of turns (restating reaches back only that far)
                rule = [sp for sp in found if sp.label_ == "restate_fact"]
                if rule or not recent.isdisjoint(turn_stems):
                    found = self._score_fact(doc, index, lowers, punct, stems, parts, overlaps, other,
                                             said.get(side, empty), recent, index in asking_turns, cues, found, rule)
            reflects = index in reflect_turns
            if scoring and other and (emotional or stirred or idiom or reflects):
                found = self._score_feeling(doc, index, lowers, punct, parts, stirred, idiom, reflects, recent,
                                            index in asking_turns, cues, found)
            if found:
                spans.extend(found)
            brought = set(turn_stems)
            brought.discard("")
            if scoring:  # a side's latest run of turns: chat customers split what they say
                if index and side == previous:
                    last[side] |= brought
                    moved[side] = moved[side] or emotional
                else:
                    last[side] = brought.copy()
                    moved[side] = emotional
            previous = side
            words = said.get(side)
            if words is None:
                words = said[side] = set()
            # a side "gave" only the words it brought in: echoes of the other side's words
            # ("bristol at 13:40?" after the agent offered it) are not facts to restate
            if other:
                brought -= other
            words |= brought
        add_spans(doc, spans)
        return doc

    def _score_fact(self, doc: Doc, index: int, lowers: list[str], punct: list[bool], stems: list[str],
                    parts: list[tuple[int, int]], overlaps: list[int], other: set[str], own: set[str],
                    recent: set[str], asks: bool, lazy: _LazyCues,
                    found: list[Span], rule: list[Span]) -> list[Span]:
        """Let the learned scorer decide restate_fact for a candidate turn (`fact_scorer`);
        other turns keep the rules' decision."""
        start, end = parts[0][0], parts[-1][1]
        content = set(stems[start:end])
        content.discard("")
        n = max(1, len(content))
        shares = [o / max(1, len(set(stems[a:b]).difference(("",)))) for (a, b), o in zip(parts, overlaps)]
        cue = {
            "rule": float(bool(rule)),
            "rule_feeling": float(any(sp.label_ == "restate_feeling" for sp in found)),
            "overlap": min(max(overlaps), 8) / 8,
            "share": max(shares),
            "recent": min(len(content & recent), 6) / 6,
            "own": len(content & own) / n,
            "new": len(content - other - own) / n,
            "strong": float(bool(lazy.starts("_restate_strong", start, end))),
            "weak": float(bool(lazy.starts("_restate_weak", start, end))),
            "action": float(bool(lazy.starts("_action", start, end))),
            "you": min(sum(map(SECOND_PERSON.__contains__, lowers[start:end])), 3) / 3,
            "numbers": float(any(k[:1].isdigit() for k in content & other)),
            "length": math.log1p(len(content)) / 4,
            "asks": float(asks),
            "late": index / max(1, len(turn_table(doc)) - 1),
        }
        decision = self._decide("restate_fact", doc, index, _words(lowers, punct, start, end), cue)
        if decision is None or (decision and rule):
            return found
        if not decision:
            return [sp for sp in found if sp.label_ != "restate_fact"]
        best = max(range(len(parts)), key=lambda i: (shares[i], overlaps[i]))
        return [*found, Span(doc, parts[best][0], parts[best][1], label="restate_fact")]

    def _score_feeling(self, doc: Doc, index: int, lowers: list[str], punct: list[bool],
                       parts: list[tuple[int, int]], stirred: bool, idiom: bool, reflects: bool,
                       recent: set[str], asks: bool, lazy: _LazyCues, found: list[Span]) -> list[Span]:
        """Let the learned scorer decide restate_feeling for a turn with an emotion word, an
        empathy idiom or a reflecting frame, or answering an emotional run (`feeling_scorer`); the
        evidence is the rules' span, else the unit where its first emotion word, empathy idiom or
        reflecting frame is (else the first unit)."""
        start, end = parts[0][0], parts[-1][1]
        rule = [sp for sp in found if sp.label_ == "restate_feeling"]
        words = _words(lowers, punct, start, end)
        any_feeling = self.any_feeling
        anchors = [i for i, word in enumerate(words) if word in any_feeling]  # the emotion words
        cue = {
            "rule": float(bool(rule)),
            "fact": float(any(sp.label_ == "restate_fact" for sp in found)),
            "stirred": float(stirred),  # the other side's latest run of turns held an emotion word
            "formula": float(bool(lazy.spans("_empathy_formula", start, end))),
            "idiom": float(idiom),  # an empathy idiom begins in the turn (from the shared scan)
            "reflect": float(reflects),  # a reflecting frame ("sounds like", "no wonder") in the turn
            "asks": float(asks),
            "you": min(sum(map(SECOND_PERSON.__contains__, words)), 3) / 3,
            "length": math.log1p(len(words)) / 4,
            "emotions": min(len(anchors), 3) / 3,
        }
        decision = self._decide("restate_feeling", doc, index, words, cue, recent, anchors)
        if decision is None or (decision and rule):
            return found
        if not decision:
            return [sp for sp in found if sp.label_ != "restate_feeling"]
        marks = [i for i in range(start, end) if lowers[i] in any_feeling]
        marks += lazy.starts("_feeling_phrase", start, end) + lazy.starts("_reflect", start, end)
        first = min(marks, default=start)
        unit = next(((a, b) for a, b in parts if a <= first < b), parts[0])
        return [*found, Span(doc, unit[0], unit[1], label="restate_feeling")]

    def _unit(self, doc: Doc, lowers: list[str], stems: list[str], start: int, end: int,
              other: set[str], asking: list[tuple[int, int]], lazy: _LazyCues, overlap: int,
              idiom: bool) -> list[Span]:
        """`idiom`: an empathy idiom begins somewhere in this turn (and the other side has spoken)."""
        words = lowers[start:end]
        emotional = not self.any_feeling.isdisjoint(words)
        if overlap < self.FACT_MIN_WITH_MARKER and not emotional and not idiom:
            return []  # nothing a restatement could rest on: skip the cue matching
        out = []
        if overlap >= self.FACT_MIN_WITH_MARKER:
            fact = self._fact(lowers, stems, start, end, other, lazy.starts("_restate_strong", start, end),
                              lazy.starts("_restate_weak", start, end), lazy.starts("_action", start, end))
            if fact is not None:
                out.append(Span(doc, fact, end, label="restate_fact"))
        feeling = None
        if emotional:
            feeling = self._feeling(lowers, start, end, lazy.spans("_feeling_frame", start, end),
                                    lazy.spans("_empathy_formula", start, end), overlap, asking)
        phrases = lazy.starts("_feeling_phrase", start, end) if feeling is None and idiom else None
        if phrases:
            feeling = next((m for m in phrases if not any(a <= m < b for a, b in asking)), None)
        if feeling is not None:
            out.append(Span(doc, feeling, end, label="restate_feeling"))
        return out

    def _fact(self, lowers: list[str], stems: list[str], start: int, end: int, other: set[str],
              strong: list[int], weak: list[int], actions: list[int]) -> int | None:
        """Start of a restatement of the other side's facts in this unit, else None.

        The restating region runs from a marker (or the unit start) to the agent's next own
        action or advice ("I can...", "you'll get..."), which is not restating: a recogniser's
        turn is one long unit holding both."""
        unit_actions = [a for a in actions if start <= a < end]
        confirm = lowers[end - 1] in ("right", "correct") or (
            end - start > 2 and lowers[end - 2] in ("right", "correct") and lowers[end - 1] == "?")
        candidates = [(m, "strong") for m in strong if start <= m < end]
        candidates += [(m, "weak") for m in weak if start <= m < end]
        candidates.append((start, "none"))
        for begin, kind in sorted(candidates):
            stop = next((a for a in unit_actions if a > begin), end)
            if kind == "none" and unit_actions and unit_actions[0] <= begin:
                continue
            region = {k for k in stems[begin:stop] if k}
            overlap = len(region & other)
            if kind == "strong" and overlap >= self.FACT_MIN_WITH_MARKER:
                return begin
            if confirm and stop == end and overlap >= self.FACT_MIN_WITH_MARKER:
                return begin
            if kind == "weak" and overlap >= max(self.FACT_MIN_WEAK, self.FACT_WEAK_SHARE * len(region)):
                return begin
            if kind == "none" and overlap >= max(self.FACT_MIN_WITHOUT_MARKER, self.FACT_MIN_SHARE * len(region)):
                return begin
        return None

    def _feeling(self, lowers: list[str], start: int, end: int, frames: list[tuple[int, int]],
                 formulas: list[tuple[int, int]], overlap: int, asking: list[tuple[int, int]]) -> int | None:
        """Start of the reflecting frame when the unit reflects an emotion, else None."""
        for i in range(start, end):
            word = lowers[i]
            strong = word in self.feeling
            if not strong and word not in self.feeling_2p:
                continue
            if any(s <= i < e for s, e in asking):
                continue
            if any(s <= i < e for s, e in formulas) and overlap < 2:
                continue  # "I understand your frustration": a formula, nothing reflected
            holder = next((lowers[j] for j in range(i - 1, max(start, i - 5) - 1, -1)
                           if lowers[j] in SELF_FEELING or lowers[j] in SECOND_PERSON), None)
            if holder in SELF_FEELING:
                continue  # the speaker's own feeling: "I'm so glad", "im really worried"
            lo = max(start, i - self.FRAME_REACH)
            if strong:
                frame = next((s for s, e in frames if lo <= s < i or s <= i < e), None)
                if frame is None:
                    frame = next((j for j in range(lo, i) if lowers[j] in self.frame_words), None)
                if frame is None and i - start <= 1:
                    frame = start  # an emotion word opening the unit reflects: "Maddening when ..."
                if frame is not None:
                    return frame
            elif any(lowers[j] in SECOND_PERSON for j in range(lo, i)):
                return lo
        return None


class _LazyCues:
    """The restatement cues of a Doc, matched once on first need, read per unit by position."""

    def __init__(self, tagger: RestatementTagger, doc: Doc) -> None:
        self.tagger = tagger
        self.doc = doc
        self.by_label: dict[str, tuple[list[int], list[tuple[int, int]]]] | None = None

    def _load(self) -> dict[str, tuple[list[int], list[tuple[int, int]]]]:
        if self.by_label is None:
            found = self.tagger._matches(self.doc)
            self.by_label = {}
            for label, hits in found.items():
                hits = sorted(hits)
                self.by_label[label] = ([s for s, _ in hits], hits)
        return self.by_label

    def spans(self, label: str, start: int, end: int) -> list[tuple[int, int]]:
        entry = self._load().get(label)
        if entry is None:
            return []
        starts, hits = entry
        return hits[bisect.bisect_left(starts, start):bisect.bisect_left(starts, end)]

    def starts(self, label: str, start: int, end: int) -> list[int]:
        return [s for s, _ in self.spans(label, start, end)]


# -- names -----------------------------------------------------------------------------------
class NameTagger(_ResourceComponent):
    """use_name: the turn addresses the other side by their name (from their speaker label, a
    self-introduction such as "my name is Ana", or a title: "Mr Okafor")."""

    TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "mister", "missus", "mx", "sr", "sra", "herr", "frau"})
    INTRO = (("my", "name", "is"), ("name", "is"), ("this", "is"), ("names",), ("it", "'s"), ("its",))
    INTRO_FIRST = frozenset(intro[0] for intro in INTRO)
    INTRO_TURNS = 3
    OPENING_INTROS = frozenset({("this", "is"), ("it", "'s"), ("its",)})

    def _setup(self) -> None:
        lex = self.lex
        self.common = lex["stopwords"] | lex["aux"] | lex["marker"] | lex["feeling"] | lex["wh"]
        self.generic = lex["generic_speaker"]

    def _speaker_name(self, speaker: str | None) -> str | None:
        if not speaker:
            return None
        first = speaker.strip().split()[0].lower().strip(".,:;()[]")
        if not first.isalpha() or first in self.generic or len(first) < 2:
            return None
        return first

    def _introduced(self, lowers: list[str], start: int, end: int) -> set[str]:
        names: set[str] = set()
        if self.INTRO_FIRST.isdisjoint(lowers[start:start + 40]):
            return names
        for i in range(start, min(end, start + 40)):
            if lowers[i] not in self.INTRO_FIRST:
                continue
            for intro in self.INTRO:
                n = len(intro)
                if tuple(lowers[i:i + n]) == intro and i + n < end:
                    if intro in self.OPENING_INTROS and i - start > 3:
                        continue  # "it's fairly interesting": only "hi, it's Sarah" introduces
                    cand = lowers[i + n]
                    if cand.isalpha() and cand not in self.common and len(cand) > 1:
                        names.add(cand)
        return names

    def __call__(self, doc: Doc) -> Doc:
        self._ensure()
        lowers, _punct = token_view(doc)
        turns = turn_table(doc)
        names: dict[str | None, set[str]] = {}
        seen: dict[str | None, int] = {}
        for start, end, _role, speaker in turns:
            own = names.get(speaker)
            if own is None:
                own = names[speaker] = set()
                label_name = self._speaker_name(speaker)
                if label_name:
                    own.add(label_name)
            seen[speaker] = seen.get(speaker, 0) + 1
            if seen[speaker] <= self.INTRO_TURNS:  # people introduce themselves early
                own |= self._introduced(lowers, start, end)
        known = set().union(*names.values()) | self.TITLES
        if known.isdisjoint(lowers):
            return doc  # no name and no title anywhere: nothing to tag
        spans = []
        for start, end, _role, speaker in turns:
            mine = names.get(speaker, set())
            theirs = set().union(*(v for k, v in names.items() if k != speaker)) - mine
            for i in range(start, end):
                word = lowers[i]
                if word in self.TITLES and i + 1 < end and lowers[i + 1].strip(".").isalpha():
                    j = i + 2 if lowers[i + 1] == "." else i + 1
                    if j < end and lowers[j] not in self.common:
                        spans.append(Span(doc, i, j + 1, label="use_name"))
                    continue
                if word in theirs and (word not in self.common or doc[i].text.istitle()):
                    if i > start and lowers[i - 1] in self.TITLES:
                        continue
                    spans.append(Span(doc, i, i + 1, label="use_name"))
        add_spans(doc, spans)
        return doc


# -- factories -------------------------------------------------------------------------------
DEFAULT_CONFIG = {"lexicon_path": None, "patterns_path": None}


@Language.factory("qscore_questions",
                  default_config={**DEFAULT_CONFIG, "high_gain_scorer": True, "high_gain_scorer_path": None})
def make_questions(nlp: Language, name: str, lexicon_path: str | None, patterns_path: str | None,
                   high_gain_scorer: bool, high_gain_scorer_path: str | None) -> QuestionTagger:
    """`high_gain_scorer`: let the learned scorer (`resources/scorer_high_gain_question.json`, or
    `high_gain_scorer_path`) decide which open questions are high-gain; False for the rules alone."""
    return QuestionTagger(nlp, name, lexicon_path, patterns_path, {"high_gain_question": high_gain_scorer},
                          {"high_gain_question": high_gain_scorer_path})


@Language.factory("qscore_phrases", default_config=DEFAULT_CONFIG)
def make_phrases(nlp: Language, name: str, lexicon_path: str | None, patterns_path: str | None) -> PhraseTagger:
    return PhraseTagger(nlp, name, lexicon_path, patterns_path)


@Language.factory("qscore_restatements",
                  default_config={**DEFAULT_CONFIG, "fact_scorer": True, "fact_scorer_path": None,
                                  "feeling_scorer": True, "feeling_scorer_path": None})
def make_restatements(
    nlp: Language, name: str, lexicon_path: str | None, patterns_path: str | None,
    fact_scorer: bool, fact_scorer_path: str | None, feeling_scorer: bool, feeling_scorer_path: str | None,
) -> RestatementTagger:
    """`fact_scorer` / `feeling_scorer`: let the learned scorers (`resources/scorer_restate_*.json`,
    or the given paths) decide restate_fact / restate_feeling on the rules' candidates; False for
    the rules alone."""
    return RestatementTagger(nlp, name, lexicon_path, patterns_path,
                             {"restate_fact": fact_scorer, "restate_feeling": feeling_scorer},
                             {"restate_fact": fact_scorer_path, "restate_feeling": feeling_scorer_path})


@Language.factory("qscore_names", default_config=DEFAULT_CONFIG)
def make_names(nlp: Language, name: str, lexicon_path: str | None, patterns_path: str | None) -> NameTagger:
    return NameTagger(nlp, name, lexicon_path, patterns_path)
