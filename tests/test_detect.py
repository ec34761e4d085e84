"""The detectors: spaCy components on their own, on conversations, and speech-recognition text."""

from __future__ import annotations

import pytest
import spacy
from spacy.matcher import Matcher

from qscore import Conversation, Turn, annotate
from qscore.detect import SPANS_KEY, TAGS, conversation_doc, make_pipeline
from qscore.detect.lexicon import load_patterns
from qscore.detect.patterns import PatternMatcher


def tags_of(nlp, text: str) -> set[str]:
    return set(nlp(text)._.qscore_tags)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # speech-recognition style: no punctuation, fillers, questions by form only
        ("so um what seems to be the problem with the router", {"open_question"}),
        ("okay do you still have the receipt", {"closed_question"}),
        ("i see your order here when did you place it", {"open_question"}),
        ("right so you were charged twice on the third is that right", {"closed_question"}),
        ("can you walk me through what happened when it stopped", {"open_question"}),
        ("is there anything else i can help you with today", {"closed_question", "bridge"}),
        ("what would a good outcome look like for you", {"open_question", "high_gain_question"}),
        ("can i ask what worries you most about the move", {"open_question", "high_gain_question"}),
        # typed chat
        ("Thanks for contacting Acme, how can I help?", {"greeting", "thanks", "open_question"}),
        ("So that was on the 3rd?", {"closed_question"}),
        ("I can refund it or send a replacement. Which would you prefer?", {"closed_question", "offer_options"}),
        ("The refund takes 3 to 5 business days.", {"set_expectation"}),
        ("I'll call you tomorrow at 10 to check it's working.", {"follow_up"}),
        ("Does that solve it for you?", {"closed_question", "check_satisfaction"}),
        ("I'm so sorry about that.", {"apology"}),
    ],
)
def test_turn_tags(nlp, text, expected):
    assert expected <= tags_of(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "when i called they said it was fine",  # a wh-word that does not ask
        "i have you down for tuesday",  # auxiliary before "you" but declarative
        "that's right",  # an answer, not a tag question
        "thank goodness it arrived",  # an exclamation, not thanks
        "which is why we changed it",  # a relative clause
    ],
)
def test_not_questions_or_thanks(nlp, text):
    assert not tags_of(nlp, text) & {"open_question", "closed_question", "thanks"}


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("Refund or replacement: what would you prefer?", True),
        ("I can refund it or send a replacement. Which would you like?", True),
        ("so what would you like to happen next", False),  # asks for a wish, offers nothing
        ("What would you like the note to say?", False),
        ("Dr Malik has Wednesday at 12:30 or Friday at 8:45. Which suits?", True),
        ("i can do thursday at eight forty or friday at one ten which works better", True),
        ("would you like her to ring you or would you rather come in", True),
        ("the puma sits higher which is easier on your knees", False),  # a relative clause
        ("eleven here is seven there which works quite well", False),
    ],
)
def test_offer_options_needs_a_choice(nlp, text, options):
    assert ("offer_options" in tags_of(nlp, text)) is options


def test_whole_turn_backchannel_is_not_a_question(nlp):
    assert "closed_question" not in tags_of(nlp, "oh really?")
    assert "closed_question" not in tags_of(nlp, "is that right?")


def test_empathy_formula_alone_is_not_restate_feeling():
    conv = Conversation("c1", [
        Turn("Cara", "i was charged twice and im really angry about it", role="customer"),
        Turn("Sam", "I understand your frustration. May I have your account number?", role="agent"),
        Turn("Cara", "1234", role="customer"),
        Turn("Sam", "That sounds really stressful, being charged twice right before rent is due.", role="agent"),
    ])
    records = next(annotate([conv]))
    assert "restate_feeling" not in records[1]["tags"]
    assert "restate_feeling" in records[3]["tags"]


def test_restate_fact_needs_the_customers_facts():
    conv = Conversation("c2", [
        Turn("Cara", "my parcel for order 5521 went to number 14 instead of 41 on monday", role="customer"),
        Turn("Sam", "so the parcel for order 5521 was left at 14 rather than 41 on monday", role="agent"),
        Turn("Sam", "so the weather is lovely today", role="agent"),
    ])
    records = next(annotate([conv]))
    assert "restate_fact" in records[1]["tags"]
    assert "restate_fact" not in records[2]["tags"]


def test_use_name_from_speaker_label_and_title():
    conv = Conversation("c3", [
        Turn("Priya", "hi it's about my booking", role="customer"),
        Turn("Sam", "Thanks Priya, and is that Mrs Okafor on the booking too?", role="agent"),
    ])
    records = next(annotate([conv]))
    assert "use_name" in records[1]["tags"]
    spans = [records[1]["text"][a:b] for a, b in records[1]["evidence"]["use_name"]]
    assert "Priya" in spans and "Mrs Okafor" in spans


def test_greeting_only_opens_a_conversation():
    conv = Conversation("c4", [
        Turn("Sam", "Hello, you're through to Acme.", role="agent"),
        Turn("Cara", "hi", role="customer"),
        Turn("Sam", "ok", role="agent"),
        Turn("Cara", "thanks", role="customer"),
        Turn("Sam", "Hello again, sorry, the line dropped.", role="agent"),
    ])
    records = next(annotate([conv]))
    assert "greeting" in records[0]["tags"]
    assert "greeting" not in records[4]["tags"]


def test_evidence_offsets_point_into_the_turn_text(nlp):
    conv = Conversation("c5", [
        Turn("Cara", "line one\nstill line one", role="customer"),
        Turn("Sam", "Thank you! How can I help?", role="agent"),
    ])
    for record in next(annotate([conv], nlp)):
        for tag, spans in record["evidence"].items():
            assert tag in record["tags"]
            for start, end in spans:
                assert 0 <= start < end <= len(record["text"])
    agent = next(annotate([conv], nlp))[1]
    assert agent["text"][slice(*agent["evidence"]["thanks"][0])] == "Thank you"


def test_annotate_restores_the_callers_collector_thresholds(nlp):
    """annotate runs the garbage collector less often per batch; the caller's code, between
    yielded conversations, sees its own thresholds again."""
    import gc
    before = gc.get_threshold()
    convs = [Conversation(f"g{i}", [Turn("Sam", "How can I help?", role="agent"),
                                    Turn("Cara", "my parcel is late", role="customer")]) for i in range(3)]
    seen = []
    try:
        gc.set_threshold(1234, 11, 12)
        for records in annotate(convs, nlp, batch_size=2):
            seen.append(gc.get_threshold())
            assert records[0]["tags"] == ["open_question"]
    finally:
        after = gc.get_threshold()
        gc.set_threshold(*before)
    assert seen == [(1234, 11, 12)] * 3 and after == (1234, 11, 12)


def test_components_in_a_users_own_pipeline():
    nlp = spacy.blank("en")
    nlp.add_pipe("qscore_questions")
    nlp.add_pipe("qscore_phrases")
    doc = nlp("okay so when did the charge first appear. thanks for waiting")
    labels = {span.label_ for span in doc.spans[SPANS_KEY]}
    assert labels == {"open_question", "thanks"}
    question = next(s for s in doc.spans[SPANS_KEY] if s.label_ == "open_question")
    assert question.text.startswith("when did the charge")
    assert doc[0:4]._.qscore_tags == []  # Span extension: tags fully inside the span


def test_pipeline_serialises_without_pickle(tmp_path, nlp):
    nlp.to_disk(tmp_path / "pipe")
    assert (tmp_path / "pipe" / "qscore_phrases" / "patterns.jsonl").exists()
    loaded = spacy.load(tmp_path / "pipe")
    text = "is there anything else i can help with"
    assert set(loaded(text)._.qscore_tags) == set(nlp(text)._.qscore_tags)


def test_every_tag_is_in_the_vocabulary(nlp):
    conv = Conversation("c6", [Turn("A", "hello how are you", role="agent"), Turn("B", "fine thanks", role="customer")])
    doc = nlp(conversation_doc(nlp, conv))
    assert {s.label_ for s in doc.spans[SPANS_KEY]} <= set(TAGS)


def test_pattern_matcher_agrees_with_spacys_matcher():
    """The fast matcher must return exactly what spaCy's Matcher returns on the same patterns."""
    from qscore.corpus import load_corpus

    nlp = spacy.blank("en")
    rows = load_patterns()
    ours, theirs = PatternMatcher(), Matcher(nlp.vocab, validate=True)
    for n, row in enumerate(rows):
        key = f"{n}:{row['label']}"
        ours.add(key, row["pattern"])
        theirs.add(key, [row["pattern"]])
    texts = [t["text"] for conv in load_corpus()[:80] for t in conv["turns"]]
    texts += ["I'll call you back in 2-3 days", "would you prefer a refund or a replacement", "thanks to you"]
    checked = 0
    for doc in nlp.pipe(texts):
        lowers = [t.lower_ for t in doc]
        expected = {(nlp.vocab.strings[m], s, e) for m, s, e in theirs(doc)}
        assert set(ours(lowers)) == expected, doc.text
        checked += len(expected)
    assert checked > 500


def test_statistical_model_is_optional():
    nlp = make_pipeline()
    assert nlp.pipe_names == ["qscore_phrases", "qscore_questions", "qscore_restatements", "qscore_names"]
    assert not any(name in nlp.pipe_names for name in ("tagger", "parser", "ner"))


@pytest.mark.parametrize(
    "reply",
    [
        "oh thats a lot to deal with on top of the move",  # an empathy idiom, no emotion word
        "Understandable, with the deadline on Friday.",
        "you're under a lot of pressure with this",
        "that would wind anyone up",
        "Maddening when you can see it from the window!",  # an emotion word opening the unit
        "terrible timing with the exams this week",
        "i know it can all feel a bit much with the exams on top",
        "youre juggling the boiler and the exams at once",
        "oh no thats rubbish with the exams this week",
        "that would keep anyone up at night with exams coming",
        "and the boiler on top of everything",
        "you must be sick of that boiler by now",
    ],
)
def test_restate_feeling_idioms(rules_nlp, reply):
    """The rules propose these as reflections (the feeling scorer then weighs each in context)."""
    conv = Conversation("f1", [
        Turn("Cara", "the boiler broke again and the exams start this week and i havent slept", role="customer"),
        Turn("Sam", reply, role="agent"),
    ])
    assert "restate_feeling" in next(annotate([conv], rules_nlp))[1]["tags"]


@pytest.mark.parametrize(
    "reply",
    [
        "you dont need to fill anything in",  # an instruction, not a reflection
        "is there anything else on your mind today",  # a bridge
        "the engineer said the part is ok",
    ],
)
def test_not_restate_feeling(reply):
    conv = Conversation("f2", [
        Turn("Cara", "the boiler broke again and im worried", role="customer"),
        Turn("Sam", reply, role="agent"),
    ])
    assert "restate_feeling" not in next(annotate([conv]))[1]["tags"]


@pytest.mark.parametrize(
    "text",
    [
        "thats the part i want to sort for you how are you feeling about the move",  # after "you", mid-turn
        "its in the small print what would have helped you spot it",  # "what would have ..." mid-turn
        "what are you hoping to get out of the day",  # an outcome the customer wants (guideline review)
        "can i ask how confident do you feel about the payments",
        "how are you finding the new tablet",
    ],
)
def test_high_gain_questions_in_run_on_speech(nlp, text):
    assert {"open_question", "high_gain_question"} <= tags_of(nlp, text)


def test_good_wishes_are_not_restatements():
    conv = Conversation("f3", [
        Turn("Cara", "its for my daughters graduation trip to lisbon next week", role="customer"),
        Turn("Sam", "have a wonderful time in lisbon and congratulations on the graduation", role="agent"),
    ])
    assert "restate_fact" not in next(annotate([conv]))[1]["tags"]


def test_one_pattern_scan_per_doc_shared_by_the_components(nlp):
    phrases, restatements = nlp.get_pipe("qscore_phrases"), nlp.get_pipe("qscore_restatements")
    assert phrases.matcher is restatements.matcher
    conv = Conversation("f4", [Turn("Cara", "i was charged twice", role="customer"),
                               Turn("Sam", "so just to confirm you were charged twice. thanks", role="agent")])
    doc = nlp(conversation_doc(nlp, conv))
    labels = set(doc.user_data["_qscore_matches"][2])
    assert {"thanks", "_restate_strong"} <= labels  # one scan holds both components' matches


def test_pattern_matcher_quantifiers_agree_with_spacys_matcher():
    """Optional and repeated tokens are unrolled into fixed-length variants; the matches must
    not change (including a variant list too long to unroll)."""
    from spacy.matcher import Matcher

    nlp = spacy.blank("en")
    patterns = [
        [{"LOWER": "so"}, {"LOWER": {"IN": ["you", "u"]}, "OP": "?"}, {"LOWER": "were"}],
        [{"LOWER": {"IN": ["really", "so"]}, "OP": "{1,3}"}, {"LOWER": "sorry"}],
        [{"LOWER": "a"}, {"IS_ALPHA": True, "OP": "?"}, {"LOWER": "refund"}],
        [{"LOWER": "i"}, {"LOWER": "am", "OP": "!"}, {"LOWER": "sure"}],
        [{"LOWER": "very", "OP": "+"}, {"LOWER": "late"}],
        [{"LOWER": "the", "OP": "*"}, {"LOWER": "order"}],
        [{"LOWER": {"IN": ["a", "b"]}, "OP": "{0,4}"}, {"LOWER": {"IN": ["a", "b"]}, "OP": "{0,4}"},
         {"LOWER": {"IN": ["a", "b"]}, "OP": "{0,4}"}, {"LOWER": "c"}],  # 125 variants: not unrolled
    ]
    ours, theirs = PatternMatcher(), Matcher(nlp.vocab, validate=True)
    for n, pattern in enumerate(patterns):
        ours.add(str(n), pattern)
        theirs.add(str(n), [pattern])
    texts = ["so you were late", "so were you", "really really so sorry", "so sorry", "a full refund",
             "a refund", "i sure am", "i am sure", "very very late", "late", "the the order", "order",
             "a b a b c", "c", "b a c a c"]
    for doc in nlp.pipe(texts):
        expected = {(nlp.vocab.strings[m], s, e) for m, s, e in theirs(doc)}
        assert set(ours([t.lower_ for t in doc])) == expected, doc.text


@pytest.mark.parametrize(
    "text",
    [
        "hello cobalt care aisha speaking whats happened",  # "what's + participle" after a name
        "i can hear you this is rob at northcrest whats going on",
        "okay before i move you what would make thursday easier for your dad",  # wh-word as subject
        "hiya youre through to greenfield vets happy to help how old is she",  # fronted wh, final "is she"
        "which route is it",
        "ive got the letter here talk me through what you think theyre referring to",
        "can you tell me a bit about how its been going for him",
        # a free wh-word inside a run-on turn asks as it does at a clause start
        "okay nc 455 yesterday seven hours late what happened for you while you waited",
        "that could be perfect then which days are your early shifts",
        "that sounds about right how long are your evenings in the cab usually",
        "hello skylark air youre speaking to kofi whats on your mind",
        "ive added a note so the fee cant be reapplied whats been the worst part of this for you",
        "seeing her on there is rough though what bothers you most about it",
        "a lot to handle at once who else is involved in sorting his affairs",
        "before i go through it talk me through what youve found",
        "congratulations on the new job tell me a bit about the move",
        "shes caring thirty five hours so she probably can what matters most to you about the house",
        "i can time it for the first of march so you dont whats most important to you in all this",
    ],
)
def test_open_questions_in_run_on_speech(nlp, text):
    assert "open_question" in tags_of(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "anything else",  # a whole elliptical question, not an abandoned fragment
        "lovely anything else",
        "and your date of birth",  # a bare data request in speech
        "thanks stuart and the postcode",
        "okay your name and the mobile number",
        "email on the account",
    ],
)
def test_closed_questions_in_speech_without_a_question_form(nlp, text):
    assert "closed_question" in tags_of(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "i didnt care about the program or anything else",  # the end of a list
        "there is so much prejudice still there",
        "give them your pen number",  # an instruction
        "ill send it to your email and the address",  # a statement: it has a subject
    ],
)
def test_short_endings_that_do_not_ask(nlp, text):
    assert "closed_question" not in tags_of(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "we have got to get a handle on what is happening",  # governed by "on": not asked
        "i know what would help",  # embedded after "know"
        "and there are people who would get really cross",  # a relative clause
        "so do we",  # an echo, no wh-word before it
        "i can book you in for tuesday which helps a lot with the school run",  # "which" + verb: relative
        "thats what happened with the last one too",  # after a fused "is": a free relative
        "it isnt what happened to the last one",  # after "is" + not: still governed
        "we set something up what matters most is that you can live with it",  # a pseudo-cleft
        "the form on the website asks what amount to pay each month",  # wh + noun + "to": embedded
    ],
)
def test_wh_words_that_do_not_ask(nlp, text):
    assert not {"open_question", "closed_question"} & tags_of(nlp, text)
