"""Find questions in a turn by their form, with or without question marks.

Speech-recognition text has no "?", so a question is found by how it is built: a wh-word or an
inverted auxiliary at the start of a clause ("so um when did it start", "okay do you have the
receipt"), an inversion inside a run-on turn ("i see your order here when did you place it"), a
request for an account ("can you walk me through what happened"), a tag ("...on the third right"),
or, in typed text, a "?" after a declarative ("so that was on the 3rd?").

Every function here works on plain lowercase token strings, so the logic is testable without
spaCy and cheap on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress

from .lexicon import Lexicon

QMARKS = frozenset({"?", "?!", "!?", "??", "???"})
UNIT_END = frozenset({".", "!", "?", ";", "...", "…", "?!", "!?", "??", "!!"})
SOFT_BREAK = frozenset({",", "-", "--", "—", "–", ":", "(", ")", '"'})
DO_MODALS = frozenset({"do", "does", "did", "ca", "wo", "could", "would", "should", "can", "will"})
DO_HAVE = frozenset({"do", "have", "has", "had", "dont", "havent", "hasnt", "hadnt"})
PERSONAL = frozenset({"i", "you", "u", "ya", "we", "they", "he", "she", "it", "y'all"})
NOT_BEFORE_ELLIPSIS = frozenset({"or", "and", "than", "of", "for", "about", "nothing", "like", "do", "did",
                                 "not", "without", "with", "to", "in", "on", "at", "is", "was"})
# words after which a question form is governed, not asked ("to WHAT", "if DO you", "as IS")
GOVERNORS = frozenset({"to", "if", "whether", "than", "as"})
# ... and, for a wh-word, prepositions too ("a handle on WHAT is happening", "the part THAT ...")
WH_GOVERNORS = GOVERNORS | {"of", "about", "for", "on", "in", "at", "that"}
# a wh-word after a fused "is" (or "like", "just") is a free relative, not a question ("thats what happened")
FUSED_BE = frozenset({"thats", "its", "heres", "theres", "whats", "hes", "shes", "is", "was", "like", "just"})
# "is"/"was" after a wh-subject and its verb: a pseudo-cleft ("what happened was", "what matters is")
CLEFT_BE = frozenset({"is", "was", "s", "'s", "isnt", "wasnt"})
# after a fused wh-word ("whats", "whos") inside a run-on unit: a question
FUSED_WH_NEXT = frozenset({"on", "in", "up", "wrong", "been", "gone", "got", "made", "brought", "else",
                           "happened", "different", "important", "most", "best", "the", "your", "ur",
                           "his", "her", "their", "this", "that"})
# objects after a wh-subject's verb: "what worries YOU", "what got HIM into it"
OBJECTS = frozenset({"you", "your", "him", "her", "them", "most", "me", "us"})
# words that may open a bare data request besides determiners and the data words themselves
DATA_OPENERS = frozenset({"date", "first", "full", "best", "phone", "last", "just", "contact", "home"})
OFFER_CUES = frozenset({"or", "options", "choices", "alternatives", "either"})
PUNCTUATED_BY = frozenset({".", ",", "?", "!"})
MODALS = frozenset({"can", "could", "would", "will", "shall", "should", "may", "might", "ca", "wo"})
BE = frozenset({"is", "was", "are", "were", "s", "'s", "re", "'re"})
DEMONSTRATIVE = frozenset({"that", "this", "there", "everything", "anything", "anyone", "anybody"})
# after "is that" inside a run-on turn: a check ("...twice is that right"), not "the point is that..."
BE_THAT_NEXT = frozenset({"right", "correct", "ok", "okay", "alright", "all", "fine", "true", "it",
                          "everything", "something", "what", "possible", "helpful", "clear", "good",
                          "better", "enough", "still", "any", "anything", "anyone", "too"})
DETERMINERS = frozenset({"the", "your", "ur", "my", "his", "her", "their", "our", "a", "an", "this", "that"})
OPTION_WORDS = frozenset({"options", "choices", "alternatives", "either"})
NOT_OPTION = frozenset({"not", "so", "something", "anything", "whatever", "two", "less", "more", "else"})
# strong elliptical questions that are whole on their own ("anything else", not "any other")
COMPLETE_ELLIPTICAL = frozenset({("anything", "else"), ("anything", "further"), ("any", "questions"),
                                 ("still", "there")})
STRONG_ELLIPTICAL = frozenset({"anything else", "anything further", "any other", "any questions",
                               "any more questions", "still there", "still with me", "want me to",
                               "you want me to", "shall we", "want us to"})


def _ends_verb_phrase(w: list[str], k: int) -> bool:
    """The words before `w[k]` end a clause on a bare modal or "do"-negation ("... she probably
    can", "... so you dont"): nothing there governs a wh-word that follows, unlike "is what" or
    "isnt what"."""
    prev = w[k - 1] if k else ""
    if prev in MODALS:
        return True
    return prev in ("nt", "n't", "not") and k >= 2 and w[k - 2] in DO_MODALS


def units(lowers: list[str], punct: list[bool], start: int, end: int) -> list[tuple[int, int]]:
    """Sentence-like units of a turn: split after . ! ? ; and at line breaks (a recogniser's
    turn has none of these: it is one unit). Shared by every detector that works per sentence.
    `punct` flags punctuation and whitespace tokens (as `components.token_view` does); only
    those positions are visited."""
    flags = punct[start:end]
    if True not in flags:
        return [(start, end)]
    out = []
    unit_start = start
    for i in compress(range(start, end), flags):
        word = lowers[i]
        if word in UNIT_END or "?" in word:
            if i + 1 > unit_start:
                out.append((unit_start, i + 1))
            unit_start = i + 1
        elif "\n" in word and word.isspace():
            if i > unit_start:
                out.append((unit_start, i))
            unit_start = i + 1
    if unit_start < end:
        out.append((unit_start, end))
    return out


@dataclass(frozen=True, slots=True)
class Question:
    start: int  # token index (inclusive) of the question's first word
    end: int  # token index (exclusive)
    kind: str  # "open" | "closed"
    high_gain: bool


class QuestionFinder:
    """Question forms from the lexicon's word lists; one instance per pipeline."""

    def __init__(self, lex: Lexicon) -> None:
        self.wh = lex["wh"]
        self.wh_fused = lex["wh_fused"]
        self.aux = lex["aux"]
        self.neg = lex["negation"]
        self.subject = lex["subject"]
        self.pron_subject = lex["pronoun_subject"]
        self.marker = lex["marker"]
        self.what_next = lex["what_next"]
        self.how_next = lex["how_next"]
        self.tag_final = lex["tag_final"]
        self.tag_blockers = lex["tag_blockers"]
        self.backchannel = lex["backchannel"]
        self.request_verb = lex["request_verb"]
        self.request_open_next = lex["request_open_next"]
        self.high_gain_words = lex["high_gain"]
        self.high_gain_pairs = lex["high_gain_pairs"]
        self.elliptical = lex["elliptical"]
        self.embedding = lex["embedding"]
        self.data_words = lex["data_request"]
        # words that can begin a question form: every other word is skipped at once
        self.triggers = self.wh | self.wh_fused | self.aux | self.request_verb
        self.elliptical_first = frozenset(p.split()[0] for p in self.elliptical)
        # phrases as word tuples, so a slice of the unit is looked up without joining strings
        self.elliptical_words = frozenset(tuple(p.split()) for p in self.elliptical)
        self.strong_elliptical_words = frozenset(tuple(p.split()) for p in self.elliptical & STRONG_ELLIPTICAL)
        self.strong_elliptical_first = frozenset(p[0] for p in self.strong_elliptical_words)
        # high-gain word sequences ("holding up", "would you like to see") by length
        sequences: dict[int, set[tuple[str, ...]]] = {}
        for phrase in self.high_gain_pairs:
            words = tuple(phrase.split())
            sequences.setdefault(len(words), set()).add(words)
        self.high_gain_sequences = {n: frozenset(v) for n, v in sorted(sequences.items())}
        self.relevant = self.triggers | self.tag_final | self.elliptical_first

    # -- public -------------------------------------------------------------------------------
    def find(self, lowers: list[str], punct: list[bool], start: int, end: int,
             parts: list[tuple[int, int]] | None = None) -> list[Question]:
        """Questions in tokens [start, end) of one turn (`parts`: its `units`, if known)."""
        found: list[Question] = []
        # One pass over the turn: options offered ("or", "options") and sentence punctuation.
        # Options offered earlier make a later "which would you prefer?" closed; in punctuated
        # text a sentence without "?" is rarely a question, so there only a question form at the
        # start of the sentence counts (a recogniser's text has no punctuation at all).
        words = lowers[start:end]
        if self.relevant.isdisjoint(words) and QMARKS.isdisjoint(words) and self.data_words.isdisjoint(words):
            return found  # no word that can begin, end or be a question in any unit, no "?"
        self._punctuated = not PUNCTUATED_BY.isdisjoint(words)
        self._offer_at = end
        if not OFFER_CUES.isdisjoint(words):
            self._offer_at = next((i for i in range(start, end) if lowers[i] in OPTION_WORDS or (
                lowers[i] == "or" and i + 1 < end and lowers[i + 1] not in NOT_OPTION)), end)
        if parts is None:
            parts = units(lowers, punct, start, end)
        whole_turn = len(parts) == 1
        for unit_start, unit_end in parts:
            questions = self._unit(lowers, punct, unit_start, unit_end, whole_turn)
            if questions:
                found.extend(questions)
        return found

    # -- one sentence-like unit -------------------------------------------------------------
    def _unit(self, lowers: list[str], punct: list[bool], start: int, end: int, whole_turn: bool) -> list[Question]:
        segment = lowers[start:end]
        has_qmark = not QMARKS.isdisjoint(segment)
        if not has_qmark and self.relevant.isdisjoint(segment) and (
                len(segment) > 10 or self.data_words.isdisjoint(segment)):
            return []  # no word that can begin, end or be a question, no "?", no short data request
        if self._punctuated and not has_qmark and not self._may_ask(lowers, punct, start, end, segment):
            return []
        if True in punct[start:end]:
            words = [i for i in range(start, end) if not punct[i]]
            if not words:
                return []
            w = [lowers[i] for i in words]
            self._after_punct = {k for k in range(1, len(words)) if words[k] - words[k - 1] > 1}
        else:  # a recogniser's unit: no punctuation to step over
            words, w = range(start, end), segment
            self._after_punct = set()
        self._qmark = has_qmark
        if whole_turn and self._is_backchannel(w, has_qmark):
            return []  # "really?", "oh is that right?", "you did?": backchannels, not questions
        # a comma opens a question only in typed questions ("Hi Sam, how can I help?"); in
        # statements it mostly opens a relative clause (", which is why")
        soft = {k for k in self._after_punct if any(
            lowers[j] in SOFT_BREAK for j in range(words[k - 1] + 1, words[k]))} if has_qmark else set()
        onsets: list[tuple[int, str]] = []
        strict = self._punctuated and not has_qmark
        marker = self.marker

        def at_onset_of(k: int) -> bool:
            """Word k may begin a question: unit start, after a comma in a typed question, after
            a discourse marker; a repeated word is transparent ("do, do you"). Asked only at the
            few trigger positions, not computed for every word."""
            while k and k not in soft:
                prev = w[k - 1]
                if prev in marker:
                    return True
                if prev != w[k]:
                    return False
                k -= 1
            return True

        # in punctuated text without "?", only the opening run of markers and the word after it
        # (found on first need: the first word that may not begin a question)
        sentence_start = -1
        triggers = self.triggers
        for k in [k for k, x in enumerate(w) if x in triggers]:
            at_onset = at_onset_of(k)
            if strict:
                if not at_onset:
                    continue
                if sentence_start < 0:
                    sentence_start = 1
                    while sentence_start < len(w) and at_onset_of(sentence_start):
                        sentence_start += 1
                if k > sentence_start:
                    continue
            kind = self._form_at(w, k, at_onset)
            if kind == "closed" and not at_onset:
                # an inversion after a fronted wh-phrase is that wh-question:
                # "what kind of vacations DO YOU like", "how much time DO YOU spend"
                front = next((m for m in range(k - 1, max(-1, k - 5), -1)
                              if (w[m] in self.wh or w[m] in self.wh_fused) and (
                                  at_onset_of(m) or (not strict and self._free_wh(w, m)))), None)
                if front is not None:
                    onsets = [o for o in onsets if o[0] < front]
                    onsets.append((front, "open"))
                    continue
            if kind:
                if onsets and k - onsets[-1][0] <= 1:
                    continue  # "or do you", "um what": one question
                onsets.append((k, kind))
        whole = False  # asked however short: "anything else", "lovely anything else", "and the postcode"
        if not onsets:
            kind = self._tag_question(w, strict) or self._elliptical(w, soft, has_qmark)
            if kind is None:
                kind = self._data_request(w, has_qmark)
                whole = kind is not None
            else:
                whole = tuple(w[kind[0]:]) in COMPLETE_ELLIPTICAL and self.marker.issuperset(w[:kind[0]])
            if kind:
                onsets.append(kind)
            elif has_qmark:
                # a "?" after a wh-word of unusual shape ("what the heck is that?") is open;
                # after a declarative ("so that was on the 3rd?") it is closed
                first = next((k for k, x in enumerate(w) if x not in self.marker), 0)
                wh_near = any(x in self.wh or x in self.wh_fused for x in w[first:first + 3])
                onsets.append((first, "open" if wh_near and len(w) > 1 else "closed"))
        questions = []
        for n, (k, kind) in enumerate(onsets):
            stop = onsets[n + 1][0] if n + 1 < len(onsets) else len(w)
            span_words = w[k:stop]
            if not has_qmark and len(span_words) <= 2 and stop == len(w) and not whole:
                continue  # "well what do", "what kind", "... or anything else": abandoned or a list's end
            if whole_turn and has_qmark and len(w) == 2 and w[-1] == "what":
                continue  # "a what?", "the what?": a request to repeat
            if kind == "open" and w[k] in ("which", "what") and (
                    self._offers_choice(w) or self._offer_at < words[k]):
                kind = "closed"  # "which would you prefer, a refund or a replacement?"
            high_gain = kind == "open" and self._high_gain(span_words)
            q_end = words[stop - 1] + 1
            if stop == len(w) and end > q_end and "?" in lowers[end - 1]:
                q_end = end
            questions.append(Question(words[k], q_end, kind, high_gain))
        return questions

    def _may_ask(self, lowers: list[str], punct: list[bool], start: int, end: int, segment: list[str]) -> bool:
        """A typed sentence without "?" can only ask by a question form in its opening run of
        discourse markers, a tag at its end or an unambiguous elliptical phrase: when none of
        these is there, the full scan would find nothing (most typed statements)."""
        marker, triggers = self.marker, self.triggers
        prev = None
        for i in range(start, end):
            if punct[i]:
                continue
            word = lowers[i]
            if prev is not None and prev not in marker and prev != word:
                break  # the opening run is over
            if word in triggers:
                return True
            prev = word
        last = next((lowers[i] for i in range(end - 1, start - 1, -1) if not punct[i]), None)
        return last in self.tag_final or last in PERSONAL or not self.strong_elliptical_first.isdisjoint(segment)

    def _free_wh(self, w: list[str], m: int) -> bool:
        """A wh-word inside a run-on unit that can open a question: not governed by the word
        before it ("i know what", "is what", "to which")."""
        prev = w[m - 1] if m else ""
        return not (prev in self.embedding or prev in self.aux or prev in self.neg or prev in WH_GOVERNORS) or (
            _ends_verb_phrase(w, m))

    def _is_backchannel(self, w: list[str], has_qmark: bool) -> bool:
        if self.backchannel.issuperset(w):
            return not (has_qmark and w[-1] == "right")  # a bare "right?" is a tag question
        if len(w) > 4:
            return False
        core = [x for x in w if x not in self.backchannel]
        if len(core) > 3:
            return False
        # "is it?", "did you?", "is that right?" / "you did?", "they are?"
        if core[0] in self.aux and len(core) >= 2 and (core[1] in PERSONAL or core[1] in DEMONSTRATIVE):
            return len(core) == 2 or core[2] in self.neg
        return core[0] in PERSONAL and len(core) == 2 and core[1] in self.aux

    def _form_at(self, w: list[str], k: int, at_onset: bool) -> str | None:
        word = w[k]
        n1 = w[k + 1] if k + 1 < len(w) else ""
        n2 = w[k + 2] if k + 2 < len(w) else ""
        prev = w[k - 1] if k > 0 else ""
        if at_onset:
            if word in self.wh_fused:
                return "open"
            if word in self.wh:
                if word in ("which", "who") and n1 in self.aux and k > 0:
                    return None  # "and who was killed": a relative clause
                if word == "which" and not self._qmark and n1 not in self.what_next and n1 not in (
                        "one", "ones", "way"):
                    return None  # "Which meant...", "which to me is wonderful": relative

                if n1 in ("about", "if", "else") or n1 in self.aux or n1 in self.neg:
                    return "open"
                if word in ("what", "which", "whose") and n1 in self.what_next:
                    return "open"
                if word == "how" and n1 in self.how_next:
                    return "open"
                if word in ("who", "which", "whose") and n1 and n1 not in self.pron_subject:
                    return "open"
                if word == "why" and n1 == "not":
                    return "open"
                if not n1:
                    return None  # a bare "what" / "why": repair or fragment
                return None
            if word in self.aux:
                return self._inversion(w, k, n1, n2, mid=False)
            if word in self.request_verb and self._open_request(w, k):
                return "open"
            return None
        # inside a run-on unit: only unambiguous inversions count
        if (prev in self.embedding or prev in self.aux or prev in self.neg or prev in GOVERNORS) and not (
                word in self.wh and _ends_verb_phrase(w, k)):
            return None
        if (word in ("walk", "talk", "run") and n1 in ("me", "us") and n2 == "through") or (
                word == "tell" and n1 == "me" and n2 in ("a", "more", "about")):
            return "open"  # "... talk me through what you see", "... new job tell me a bit about the move"
        if prev in self.pron_subject and word not in MODALS and word not in self.wh:
            return None  # "i HAVE you down", "that IS it": subject before the verb
        if word in self.wh and n1 in self.aux and (n2 in PERSONAL or n2 in DEMONSTRATIVE or n2 == "be" or (
                n2 in DETERMINERS and word not in ("who", "which")) or (n2 == "have" and n1 in MODALS)):
            return "open"  # "... how are you feeling", "... what would have helped"
        if word in self.wh_fused and (n1 in PERSONAL or n1 in DETERMINERS):
            return "open"
        if word == "what" and n1 in BE and self._free_wh(w, k) and (n2 in ("up", "wrong") or (
                len(n2) > 4 and n2.endswith(("ing", "ed")))):
            return "open"  # "... aisha speaking whats happened", "... whats going on"
        if word == "what" and n1 in MODALS and n2 and n2 not in self.aux and self._free_wh(w, k):
            return "open"  # "... before i book what would make this right for you": the wh-word is the subject
        if (word in self.wh or word in self.wh_fused) and prev not in FUSED_BE and self._free_wh(w, k):
            # a free wh-word inside a run-on unit asks as it does at a clause start:
            # "... seven hours late what happened for you", "... which shop is nearest you",
            # "... how long are your evenings", "... whats on your mind"; a pseudo-cleft does not
            # ("... what happened was", "... what matters is")
            if word in ("what", "which", "whose") and n1 in self.what_next and n2 != "to":
                verb = n1.endswith(("s", "ed")) or n1 in ("brought", "made", "went")
                if word == "which" and verb:
                    return None  # "... which helps a lot", "... which comes to £40": a relative
                n3 = w[k + 3] if k + 3 < len(w) else ""
                if verb and (n2 in CLEFT_BE or (n2 in ("most", "more") and n3 in CLEFT_BE)):
                    return None
                return "open"
            if word == "how" and n1 in self.how_next and n1 not in self.aux and n1 != "about" and (
                    n2 in self.aux or n2 == "of"):
                return "open"
            if word in ("what", "who") and n1 in ("s", "'s") and (n2 in FUSED_WH_NEXT or (
                    len(n2) > 4 and n2.endswith("ing"))):
                return "open"  # "... whats on your mind", "... whos living there" (what + 's)
            if (word == "what" and n2 in OBJECTS and len(n1) > 4 and n1.endswith(("s", "ed"))) or (
                    word == "who" and n1 == "else"):
                return "open"  # "... what bothers you most", "... who else is involved"
            if word in self.wh_fused and (n1 in FUSED_WH_NEXT or (len(n1) > 4 and n1.endswith(("ing", "ed")))):
                return "open"

        subject_next = n1 in PERSONAL or n1 in DEMONSTRATIVE
        # a final inversion counts after a fronted wh-phrase: "which route is it", "how old is she"
        ends_wh = not n2 and any(w[m] in self.wh and self._free_wh(w, m) for m in range(max(0, k - 3), k))
        if word in self.aux and subject_next and (n2 or ends_wh) and (
                n2 not in self.aux or n2 == "have") and n2 != word:
            if n1 == "i" and k + 2 >= len(w):
                return None  # "so do i"
            if n1 in DEMONSTRATIVE and word in BE and n2 not in BE_THAT_NEXT:
                return None  # "the point is that ...", "the thing is there ..."
            return self._inversion(w, k, n1, n2, mid=True)
        return None

    def _inversion(self, w: list[str], k: int, n1: str, n2: str, mid: bool) -> str | None:
        """`w[k]` is an auxiliary: is it followed by a subject (a yes/no question)?"""
        word = w[k]
        j = k + 1
        if n1 in self.neg:  # "don't you", "isn't it"
            j += 1
        if j + 1 < len(w) and w[j + 1] in ("m", "'m"):
            return None  # "is I'm ...": a restart
        if j in self._after_punct:
            return None  # "may, it may not have been": a restart, not an inversion
        subj = w[j] if j < len(w) else ""
        if not subj or (j + 1 >= len(w) and k > 0 and not self._qmark and not any(
                x in self.wh for x in w[max(0, k - 3):k])):
            return None  # "so do we", "or do they": an echo, unless typed with "?" or after a
            # fronted wh-phrase ("which route is it", "how old is she")
        if subj in ("you", "u", "ya") and j + 1 < len(w) and w[j + 1] == "know" and word not in ("do", "did", "does"):
            return None  # "it can, you know": a filler, not "can you..."

        allowed = (PERSONAL | DEMONSTRATIVE) if mid else PERSONAL if word in DO_HAVE else self.subject
        if subj not in allowed:
            return None
        if word in ("can", "could", "may") and subj == "i" and w[j + 1:j + 2] == ["ask"]:
            # "can I ask what matters most to you": the question is what follows
            rest = w[j + 2:j + 5]
            if any(x in self.wh or x in self.wh_fused for x in rest):
                return "open"
        if word in ("can", "could", "would", "will") and subj in ("you", "u", "ya"):
            # "can you tell me what happened", "could you walk me through it": open requests
            m = j + 1
            while m < len(w) and w[m] in ("please", "just", "maybe", "kindly", "also", "quickly"):
                m += 1
            if m < len(w) and w[m] in self.request_verb and self._open_request(w, m):
                return "open"
        return "closed"

    def _open_request(self, w: list[str], k: int) -> bool:
        """`w[k]` is a request verb: "tell me about", "walk me through", "describe what"."""
        m = k + 1
        if m < len(w) and w[m] in ("me", "us", "through"):
            m += 1
        nxt = w[m] if m < len(w) else ""
        if nxt == "a" and w[m + 1:m + 2] in (["bit"], ["little"]):
            return True  # "tell me a bit about how it's been going"
        if w[k] == "describe":
            return True
        if w[k] in ("walk", "talk", "run") and (nxt == "through" or w[k + 1:k + 2] == ["through"]):
            return True
        if w[k] == "let":
            return False
        return nxt in self.request_open_next or nxt in self.wh

    def _tag_question(self, w: list[str], strict: bool) -> tuple[int, str] | None:
        if len(w) < 4:
            return None
        last, before = w[-1], w[-2]
        if last in self.tag_final and before not in self.tag_blockers and not (strict and last in ("right", "correct")):
            return (max(0, len(w) - 8), "closed")
        # "..., isn't it" / "... didn't you"
        if last in PERSONAL and (before in self.neg or (before in self.aux and before.endswith("nt"))) and len(w) >= 5:
            return (max(0, len(w) - 8), "closed")
        return None

    def _elliptical(self, w: list[str], soft: set[int], has_qmark: bool) -> tuple[int, str] | None:
        first_words = self.elliptical_first
        if first_words.isdisjoint(w):
            return None
        # without "?" only the unambiguous ones count ("anything else", not "all good")
        phrases = self.elliptical_words if has_qmark else self.strong_elliptical_words
        for k in [k for k, x in enumerate(w) if x in first_words]:
            # "... you will get a text anything else today"; not "... or anything else"
            near_end = k >= len(w) - 4 and k > 0 and w[k - 1] not in NOT_BEFORE_ELLIPSIS
            if k and k not in soft and w[k - 1] not in self.marker and not near_end:
                continue
            for size in (4, 3, 2):
                if tuple(w[k:k + size]) in phrases:
                    return (k, "closed")
        return None

    def _data_request(self, w: list[str], has_qmark: bool) -> tuple[int, str] | None:
        """A short unit that ends in a bare data noun phrase after its markers: "and your date of
        birth", "thanks stuart and the postcode", "email on the account". Statements have a
        subject ("i'll send it to the address"), so a personal pronoun rules it out."""
        if has_qmark or len(w) > 10 or self.data_words.isdisjoint(w) or not PERSONAL.isdisjoint(w):
            return None
        marker = self.marker
        j = max((i + 1 for i, x in enumerate(w) if x in marker), default=0)
        tail = w[j:]
        if tail and tail[-1] == "please":
            tail = tail[:-1]
        if not 1 <= len(tail) <= 5 or self.data_words.isdisjoint(tail) or tail[-1] in DETERMINERS or not (
                tail[0] in DETERMINERS or tail[0] in self.data_words or tail[0] in DATA_OPENERS):
            return None  # "give them your pen number": an instruction, not a request for data
        return (j, "closed") if j < len(w) else None

    def _offers_choice(self, words: list[str]) -> bool:
        return any(x == "or" and i > 1 and words[i + 1] not in NOT_OPTION for i, x in enumerate(words[:-1]))

    def _high_gain(self, words: list[str]) -> bool:
        if not self.high_gain_words.isdisjoint(words):
            return True
        return any(not found.isdisjoint(zip(*(words[i:] for i in range(n))))
                   for n, found in self.high_gain_sequences.items())
