"""A fast matcher for spaCy `Matcher` token patterns over lowercase token strings.

The patterns stay in spaCy's format (and are validated by spaCy's own schema), but spaCy's
`Matcher` evaluates every `IN` set for every token against every pattern: on SwDA dev that took
42 of 60 seconds. Almost no token can start a pattern, so this matcher indexes patterns by the
words that can begin them and only tries those. `tests/test_patterns.py` checks that it returns
exactly what spaCy's `Matcher` returns on our corpus.

Supported token keys: LOWER (string, or {"IN": [...]} / {"NOT_IN": [...]}), LIKE_NUM, IS_ALPHA,
IS_DIGIT, IS_PUNCT, IS_SPACE, and OP ("?", "*", "+", "!", "{n}", "{n,m}", "{n,}", "{,m}").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from spacy.lang.en.lex_attrs import like_num as _like_num

_QUANT = re.compile(r"^\{(\d*)(,?)(\d*)\}$")
_UNBOUNDED = 1 << 30


def _is_punct(text: str) -> bool:
    return bool(text) and not any(ch.isalnum() for ch in text) and not text.isspace()


PREDICATES: dict[str, Callable[[str], bool]] = {
    "LIKE_NUM": cache(_like_num),
    "IS_ALPHA": str.isalpha,
    "IS_DIGIT": str.isdigit,
    "IS_PUNCT": _is_punct,
    "IS_SPACE": str.isspace,
}


@dataclass(frozen=True, slots=True)
class TokenSpec:
    values: frozenset[str] | None  # allowed lowercase strings (None: any)
    negate: bool  # values are forbidden instead (NOT_IN, or OP "!")
    checks: tuple[tuple[Callable[[str], bool], bool], ...]  # (predicate, wanted)
    min: int
    max: int
    ok: Callable[[str], bool] = None  # type: ignore[assignment]  # set in __post_init__

    def __post_init__(self) -> None:
        # The common case, a plain word list, tests with the set's own C-level `__contains__`.
        if self.values is not None and not self.negate and not self.checks:
            accept = self.values.__contains__
        else:
            accept = self._general
        object.__setattr__(self, "ok", accept)

    def _general(self, token: str) -> bool:
        if self.values is not None and (token in self.values) == self.negate:
            return False
        return all(pred(token) == wanted for pred, wanted in self.checks)


def compile_token(spec: dict) -> TokenSpec:
    values: frozenset[str] | None = None
    negate = False
    checks = []
    for key, value in spec.items():
        if key == "OP":
            continue
        if key == "LOWER":
            if isinstance(value, str):
                values = frozenset({value})
            elif isinstance(value, dict) and set(value) == {"IN"}:
                values = frozenset(value["IN"])
            elif isinstance(value, dict) and set(value) == {"NOT_IN"}:
                values, negate = frozenset(value["NOT_IN"]), True
            else:
                raise ValueError(f"unsupported LOWER value {value!r}")
        elif key in PREDICATES:
            checks.append((PREDICATES[key], bool(value)))
        else:
            raise ValueError(f"unsupported token attribute {key!r} (supported: LOWER, {', '.join(PREDICATES)})")
    op = spec.get("OP", "1")
    lo, hi = {"1": (1, 1), "?": (0, 1), "*": (0, _UNBOUNDED), "+": (1, _UNBOUNDED)}.get(op, (None, None))
    if op == "!":
        lo, hi = 1, 1
        if values is not None:
            negate = not negate
        else:
            raise ValueError('OP "!" needs a LOWER value')
    elif lo is None:
        quant = _QUANT.match(op)
        if not quant:
            raise ValueError(f"unsupported OP {op!r}")
        a, comma, b = quant.groups()
        lo = int(a or 0)
        hi = (int(b) if b else _UNBOUNDED) if comma else lo
    return TokenSpec(values, negate, tuple(checks), lo, hi)


PAIR_CACHE_LIMIT = 1_000_000  # word pairs remembered before the cache starts afresh


class PatternMatcher:
    """All matches (key, start, end) of token patterns, as spaCy's `Matcher` reports them."""

    def __init__(self) -> None:
        # (key, specs, second): `second` accepts the token after the first, when that is a cheap
        # filter before the full match; None otherwise
        self._patterns: list[tuple[str, tuple[TokenSpec, ...], Callable[[str], bool] | None]] = []
        # per pattern: its word sets when every token is exactly one word from a plain list
        # (most patterns): matched by direct look-ups instead of the general walk
        self._fixed: list[tuple[frozenset[str], ...] | None] = []
        self._by_first: dict[str, list[int]] = {}
        self._anywhere: list[int] = []  # patterns whose first token is not a closed word list
        self._second_words: list[frozenset[str] | None] = []  # the words `second` accepts, when a plain list
        self._third_words: list[frozenset[str] | None] = []
        # token -> (patterns that can begin there and need the general second-token filter,
        #           {second word: patterns that can begin there with it}); () when none can
        self._cache: dict[str, tuple] = {}
        # (token, next token) -> the patterns worth trying there, second-token filter applied,
        # as (patterns to try, {third word: fixed patterns of 3+ words that allow it}); () when
        # none: most pairs allow none, so a position costs one dict look-up
        self._pairs: dict[tuple[str, str | None], tuple] = {}

    def __len__(self) -> int:
        return len({key for key, _specs, _second in self._patterns})

    def add(self, key: str, pattern: Sequence[dict]) -> None:
        specs = tuple(compile_token(t) for t in pattern)
        if not specs or all(s.min == 0 for s in specs):
            raise ValueError(f"pattern {key!r} can match nothing: every token is optional")
        self._cache.clear()
        self._pairs.clear()
        expanded = _expand(specs)
        if expanded is not None:  # optional tokens unrolled: one fixed-length variant per choice
            for variant in expanded:
                self._add_variant(key, variant)
            return
        # A match begins with whichever spec consumes its first token: leading optional specs may
        # be skipped. One entry variant per such spec, with that spec required, lets every
        # variant be indexed by its first word and filtered by its second.
        for entry, spec in enumerate(specs):
            head = TokenSpec(spec.values, spec.negate, spec.checks, max(1, spec.min), spec.max)
            self._add_variant(key, (head, *specs[entry + 1:]))
            if spec.min > 0:
                break

    def _add_variant(self, key: str, specs: tuple[TokenSpec, ...]) -> None:
        index = len(self._patterns)
        second = self._second_specs(specs)
        words = None
        if second is not None:
            if all(x.values is not None and not x.negate and not x.checks for x in second):
                words = frozenset().union(*(x.values for x in second))
                second = words.__contains__
            else:
                second = second[0].ok if len(second) == 1 else (lambda t, _s=second: any(x.ok(t) for x in _s))
        self._patterns.append((key, specs, second))
        self._second_words.append(words)
        # the words the third token must be, when the first three tokens are one each and the
        # third a plain word list: lets a position skip the pattern on one look-up
        head = specs[:3]
        third_plain = len(head) == 3 and all(x.min == x.max == 1 for x in head) and (
            head[2].values is not None and not head[2].negate and not head[2].checks)
        self._third_words.append(head[2].values if third_plain else None)
        plain = all(x.min == x.max == 1 and x.values is not None and not x.negate and not x.checks for x in specs)
        self._fixed.append(tuple(x.values for x in specs) if plain else None)
        first = specs[0]
        if first.values is None or first.negate:
            self._anywhere.append(index)
        else:
            for word in first.values:
                self._by_first.setdefault(word, []).append(index)

    @staticmethod
    def _second_specs(specs: Sequence[TokenSpec]) -> tuple[TokenSpec, ...] | None:
        """Specs that could consume the token after a single required first token: a cheap
        filter before the full match. None when the filter does not apply."""
        if len(specs) < 2 or not specs[0].min == specs[0].max == 1:
            return None
        reachable = []
        for spec in specs[1:]:
            reachable.append(spec)
            if spec.min > 0:
                return tuple(reachable)
        return None  # everything after the first token is optional

    def _candidates(self, token: str) -> tuple:
        """Patterns that can begin at `token`, worked out once per distinct string: those with
        a plain word list for their second token are indexed by that word too, so a position
        tries only the patterns its next word allows."""
        found = list(self._by_first.get(token, ()))
        for index in self._anywhere:
            first = self._patterns[index][1][0]
            if not first.min or first.ok(token):
                found.append(index)
        result = _index_by_word(sorted(found), self._second_words) if found else ()
        self._cache[token] = result
        return result

    def _pair(self, token: str, following: str | None) -> tuple:
        """Patterns to try where `token` is followed by `following` (None: at the end)."""
        if len(self._pairs) > PAIR_CACHE_LIMIT:
            self._pairs.clear()
        begin = self._cache.get(token)
        if begin is None:
            begin = self._candidates(token)
        found: tuple = ()
        if begin:
            general, by_second = begin
            candidates = by_second.get(following, ()) if following is not None else ()
            if general:
                candidates = tuple(sorted(candidates + general)) if candidates else general
            patterns = self._patterns
            kept = [index for index in candidates if patterns[index][2] is None or (
                following is not None and patterns[index][2](following))]
            if kept:
                found = _index_by_word(kept, self._third_words)
        self._pairs[(token, following)] = found
        return found

    def __call__(self, tokens: Sequence[str], start: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
        end = len(tokens) if end is None else end
        found: list[tuple[str, int, int]] = []
        if end <= start:
            return found
        window = list(tokens[start:end])
        pairs = list(zip(window, window[1:] + [None]))
        found_at = list(map(self._pairs.get, pairs))
        if None in found_at:  # pairs not seen before: work out their candidates once
            found_at = [self._pair(*pair) if c is None else c for pair, c in zip(pairs, found_at)]
        patterns = self._patterns
        fixed_sets = self._fixed
        # positions where some pattern can begin (most pairs of words begin none)
        for i, (candidates, by_third) in [(i, c) for i, c in enumerate(found_at, start) if c]:
            if by_third and i + 2 < end:
                extra = by_third.get(tokens[i + 2])
                if extra:
                    candidates = tuple(sorted(candidates + extra)) if candidates else extra
            if not candidates:
                continue
            seen = set()
            for index in candidates:
                key, specs, _second = patterns[index]
                fixed = fixed_sets[index]
                if fixed is not None:  # one word per token: the first two (or three) are already checked
                    stop = i + len(fixed)
                    if stop > end:
                        continue
                    k = i + 2
                    while k < stop and tokens[k] in fixed[k - i]:
                        k += 1
                    if k >= stop and (key, stop) not in seen:
                        seen.add((key, stop))
                        found.append((key, i, stop))
                    continue
                for stop in _ends(specs, tokens, i, end):
                    if (key, stop) not in seen:  # two entry variants may find the same match
                        seen.add((key, stop))
                        found.append((key, i, stop))
        return found


def _index_by_word(indices: Sequence[int], words_of: list[frozenset[str] | None]) -> tuple:
    """(patterns with no word list at this token, {word: patterns whose list holds it}), in
    the order given: the split both the second- and third-token indexes use."""
    unindexed: list[int] = []
    by_word: dict[str, list[int]] = {}
    for index in indices:
        words = words_of[index]
        if words is None:
            unindexed.append(index)
        else:
            for word in words:
                by_word.setdefault(word, []).append(index)
    return tuple(unindexed), {w: tuple(v) for w, v in by_word.items()}


def _expand(specs: tuple[TokenSpec, ...], limit: int = 64) -> list[tuple[TokenSpec, ...]] | None:
    """The fixed-length sequences (every spec taken exactly once per token) that together match
    what `specs` matches; None when quantifiers are unbounded or the variants too many. A match
    of the pattern is a match of one of them, so the union of their matches is the same."""
    variants: list[tuple[TokenSpec, ...]] = [()]
    for spec in specs:
        if spec.max > 4:
            return None
        one = TokenSpec(spec.values, spec.negate, spec.checks, 1, 1)
        variants = [v + (one,) * n for v in variants for n in range(spec.min, spec.max + 1)]
        if len(variants) > limit:
            return None
    return list(dict.fromkeys(v for v in variants if v))


def _ends(specs: tuple[TokenSpec, ...], tokens: Sequence[str], i: int, n: int) -> set[int]:
    """End positions of matches of `specs` that begin at token `i` (a set-based NFA walk)."""
    positions = {i}
    for spec in specs:
        reached = set()
        for j in positions:
            if spec.min == 0:
                reached.add(j)
            count, k = 0, j
            while count < spec.max and k < n and spec.ok(tokens[k]):
                k += 1
                count += 1
                if count >= spec.min:
                    reached.add(k)
        if not reached:
            return set()
        positions = reached
    positions.discard(i)
    return positions
