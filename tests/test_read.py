"""Transcript readers: formats, roles, error reporting (file, line, problem) and the `annotate` CLI."""

from __future__ import annotations

import gc
import gzip
import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qscore.cli import app
from qscore.read import TranscriptError, load_role_map, read_file, read_transcripts
from qscore.transcript import Conversation


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def conv(cid: str, *turns: tuple[str, str], **fields) -> dict:
    return {"conversation_id": cid, "turns": [{"speaker": s, "text": t} for s, t in turns], **fields}


def read_all(inputs, **kwargs) -> list[Conversation]:
    return list(read_transcripts(inputs, **kwargs))


def read_error(inputs, **kwargs) -> TranscriptError:
    with pytest.raises(TranscriptError) as info:
        read_all(inputs, **kwargs)
    return info.value


def speakers_roles(c: Conversation) -> list[tuple[str, str | None]]:
    return [(t.speaker, t.role) for t in c.turns]


# ---------------------------------------------------------------------------------------------
# Canonical JSONL
# ---------------------------------------------------------------------------------------------


def test_jsonl_fields_are_read(tmp_path):
    record = {
        "conversation_id": "c1", "agent_id": "A7", "channel": "chat", "started_at": "2024-05-01T10:00:00",
        "turns": [
            {"speaker": "Maria", "role": "agent", "text": "Hello, how can I help?", "start": 0},
            {"speaker": "Tom", "role": "Customer", "text": "My bill is wrong.", "start": "2.5"},
        ],
    }
    path = write(tmp_path, "calls.jsonl", jsonl(record))
    [c] = read_all(path)
    assert c.conversation_id == "c1"
    assert (c.agent_id, c.channel, c.started_at) == ("A7", "chat", "2024-05-01T10:00:00")
    assert [t.speaker for t in c.turns] == ["Maria", "Tom"]
    assert [t.text for t in c.turns] == ["Hello, how can I help?", "My bill is wrong."]
    assert [t.role for t in c.turns] == ["agent", "customer"]  # role is normalised to lower case
    assert [t.start for t in c.turns] == [0.0, 2.5]
    assert c.source == f"{path}:1"
    assert (c.role_source, c.role_confidence) == ("given", 1.0)
    assert c.extra == {}
    assert all(t.extra == {} for t in c.turns)


def test_jsonl_unknown_keys_pass_through(tmp_path):
    record = {
        "conversation_id": "c1", "level": 2, "split": "dev",
        "turns": [
            {"speaker": "Maria", "role": "agent", "text": "How can I help?", "tags": ["open_question"]},
            {"speaker": "Tom", "role": "customer", "text": "Refund please.", "confidence": 0.9},
        ],
    }
    path = write(tmp_path, "calls.jsonl", jsonl(record))
    [c] = read_all(path)
    assert c.extra == {"level": 2, "split": "dev"}
    assert c.turns[0].extra == {"tags": ["open_question"]}
    assert c.turns[1].extra == {"confidence": 0.9}
    # and they survive the round trip back to the canonical shape
    out = c.to_dict()
    assert out["level"] == 2
    assert out["turns"][0]["tags"] == ["open_question"]


def test_jsonl_skips_blank_lines_and_defaults_missing_id(tmp_path):
    text = "\n" + jsonl(conv("", ("Ann", "hi"), ("Bob", "hello"))) + "\n" + jsonl(conv("x", ("Ann", "yo")))
    path = write(tmp_path, "day.jsonl", text)
    convs = read_all(path, role_map={"ann": "agent", "bob": "customer"})
    assert [c.conversation_id for c in convs] == ["day-2", "x"]
    assert [c.source for c in convs] == [f"{path}:2", f"{path}:4"]


def test_json_file_holding_a_list(tmp_path):
    records = [conv("a", ("Ann", "hi")), conv("b", ("Bob", "hello"), ("Ann", "hey"))]
    path = write(tmp_path, "batch.json", json.dumps(records, indent=2))
    convs = read_all(path)
    assert [c.conversation_id for c in convs] == ["a", "b"]
    assert [len(c.turns) for c in convs] == [1, 2]
    assert convs[1].turns[1].text == "hey"


def test_gzipped_jsonl(tmp_path):
    path = tmp_path / "calls.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(jsonl(conv("g1", ("Ann", "hi")), conv("g2", ("Bob", "yo"))))
    convs = read_all(path)
    assert [c.conversation_id for c in convs] == ["g1", "g2"]
    assert convs[1].source == f"{path}:2"


def test_gzipped_jsonl_default_id_drops_both_suffixes(tmp_path):
    path = tmp_path / "night.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(jsonl(conv("", ("Ann", "hi"))))
    [c] = read_all(path)
    assert c.conversation_id == "night-1"


def test_gzipped_input_file_is_closed(tmp_path):
    path = tmp_path / "calls.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(jsonl(conv("g1", ("Ann", "hi"))))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(read_all(path)) == 1
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def test_directory_input_is_recursive_and_sorted(tmp_path):
    root = tmp_path / "calls"
    write(root, "b.jsonl", jsonl(conv("b", ("Ann", "hi"))))
    write(root, "a.jsonl", jsonl(conv("a", ("Ann", "hi"))))
    write(root, "sub/c.txt", "Ann: hi\nBob: hello\n")
    write(root, "notes.md", "# not a transcript\n")
    write(root, ".hidden.jsonl", "{broken\n")
    convs = read_all(root)
    assert [c.conversation_id for c in convs] == ["a", "b", "c"]


def test_glob_input(tmp_path):
    write(tmp_path, "x2.jsonl", jsonl(conv("x2", ("Ann", "hi"))))
    write(tmp_path, "x1.jsonl", jsonl(conv("x1", ("Ann", "hi"))))
    write(tmp_path, "y.jsonl", jsonl(conv("y", ("Ann", "hi"))))
    convs = read_all(str(tmp_path / "x*.jsonl"))
    assert [c.conversation_id for c in convs] == ["x1", "x2"]


def test_several_inputs_keep_the_given_order(tmp_path):
    b = write(tmp_path, "b.jsonl", jsonl(conv("b", ("Ann", "hi"))))
    a = write(tmp_path, "a.jsonl", jsonl(conv("a", ("Ann", "hi"))))
    assert [c.conversation_id for c in read_all([b, str(a)])] == ["b", "a"]


def test_forced_format_overrides_suffix(tmp_path):
    path = write(tmp_path, "export.log", "Ann: hi\nBob: hello\n")
    [c] = read_all(path, fmt="txt")
    assert c.conversation_id == "export.log"
    assert [t.text for t in c.turns] == ["hi", "hello"]


# ---------------------------------------------------------------------------------------------
# CSV / TSV long form
# ---------------------------------------------------------------------------------------------


def test_csv_groups_rows_in_first_appearance_order(tmp_path):
    path = write(tmp_path, "calls.csv", (
        "conversation_id,speaker,text\n"
        "zeta,Maria,Hello\n"
        "alpha,Ann,Hi there\n"
        "zeta,Tom,\"I was charged twice, on my bill\"\n"
        "alpha,Bob,Yo\n"
        "zeta,Maria,Let me check\n"
    ))
    convs = read_all(path)
    assert [c.conversation_id for c in convs] == ["zeta", "alpha"]
    assert [t.text for t in convs[0].turns] == ["Hello", "I was charged twice, on my bill", "Let me check"]
    assert [t.speaker for t in convs[1].turns] == ["Ann", "Bob"]
    assert convs[0].source == f"{path}:2"
    assert convs[1].source == f"{path}:3"


def test_csv_optional_role_and_start_columns(tmp_path):
    path = write(tmp_path, "calls.csv", (
        "conversation_id,speaker,role,start,text\n"
        "c1,Maria,Agent,0,Hello\n"
        "c1,Tom,customer,1.5,Hi\n"
    ))
    [c] = read_all(path)
    assert speakers_roles(c) == [("Maria", "agent"), ("Tom", "customer")]
    assert [t.start for t in c.turns] == [0.0, 1.5]
    assert c.role_source == "given"


def test_csv_role_without_speaker_column(tmp_path):
    path = write(tmp_path, "calls.csv", "conversation_id,role,text\nc1,agent,Hello\nc1,customer,Hi\n")
    [c] = read_all(path)
    assert speakers_roles(c) == [("agent", "agent"), ("customer", "customer")]


def test_csv_column_aliases_and_extra_columns(tmp_path):
    path = write(tmp_path, "calls.csv", (
        "Call_ID,Participant,Message,Offset,sentiment\n"
        "c1,Maria,Hello,0,neutral\n"
        "c1,Tom,Hi,2,\n"
    ))
    [c] = read_all(path)
    assert c.conversation_id == "c1"
    assert [(t.speaker, t.text, t.start) for t in c.turns] == [("Maria", "Hello", 0.0), ("Tom", "Hi", 2.0)]
    assert c.turns[0].extra == {"sentiment": "neutral"}
    assert c.turns[1].extra == {}  # empty cells are dropped


def test_csv_conversation_level_columns(tmp_path):
    path = write(tmp_path, "calls.csv", (
        "conversation_id,agent_id,channel,speaker,text\n"
        "c1,A7,call,Maria,Hello\n"
        "c1,A7,call,Tom,Hi\n"
        "c2,B2,chat,Ann,Hey\n"
    ))
    c1, c2 = read_all(path)
    assert (c1.agent_id, c1.channel) == ("A7", "call")
    assert (c2.agent_id, c2.channel) == ("B2", "chat")
    assert all(t.extra == {} for t in c1.turns)  # conversation columns are not copied to turns


def test_tsv_long_form(tmp_path):
    path = write(tmp_path, "calls.tsv", (
        "conversation_id\tspeaker\ttext\n"
        "t1\tMaria\tHello, how can I help?\n"
        "t1\tTom\tHi\n"
    ))
    [c] = read_all(path)
    assert c.conversation_id == "t1"
    assert [t.text for t in c.turns] == ["Hello, how can I help?", "Hi"]


def test_csv_with_bom_header(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_bytes(b"\xef\xbb\xbfconversation_id,speaker,text\r\nc1,Ann,hi\r\n")
    [c] = read_all(path)
    assert (c.conversation_id, c.turns[0].text) == ("c1", "hi")


# ---------------------------------------------------------------------------------------------
# Plain text
# ---------------------------------------------------------------------------------------------


def test_plaintext_one_conversation_per_file(tmp_path):
    path = write(tmp_path, "call-17.txt", "Maria: Hello, thanks for calling.\n\nTom: Hi, my bill: it is wrong.\n")
    [c] = read_all(path)
    assert c.conversation_id == "call-17"
    assert [t.speaker for t in c.turns] == ["Maria", "Tom"]
    assert c.turns[1].text == "Hi, my bill: it is wrong."
    assert c.source == f"{path}:1"


def test_plaintext_headers_and_metadata(tmp_path):
    path = write(tmp_path, "day.txt", (
        "# c1\n"
        "# agent_id: A7\n"
        "# channel: call\n"
        "# level: 3\n"
        "Maria: Hello\n"
        "Tom: Hi\n"
        "\n"
        "=== c2 ===\n"
        "Ann: Hey\n"
        "\n"
        "# conversation_id: c3\n"
        "Bob: Yo\n"
    ))
    convs = read_all(path)
    assert [c.conversation_id for c in convs] == ["c1", "c2", "c3"]
    c1, c2, c3 = convs
    assert (c1.agent_id, c1.channel, c1.extra) == ("A7", "call", {"level": "3"})
    assert [t.text for t in c1.turns] == ["Hello", "Hi"]
    assert (c2.agent_id, c2.extra, [t.speaker for t in c2.turns]) == (None, {}, ["Ann"])
    assert c3.turns[0].text == "Yo"
    assert [c.source for c in convs] == [f"{path}:1", f"{path}:8", f"{path}:11"]


def test_plaintext_continuation_lines(tmp_path):
    path = write(tmp_path, "c.txt", "Maria: Hello there\n  and welcome\nto acme\nTom: Hi\n")
    [c] = read_all(path)
    assert [t.text for t in c.turns] == ["Hello there and welcome to acme", "Hi"]


def test_plaintext_field_labels_inside_a_turn_do_not_start_a_turn(tmp_path):
    path = write(tmp_path, "c.txt", (
        "Maria: I've refunded the charge.\n"
        "Note: it can take 5 working days.\n"
        "Ref: RF-4471\n"
        "https://help.acme.example/refunds\n"
        "Tom: thanks\n"
        "PS: my postcode changed\n"
    ))
    [c] = read_all(path)
    assert [t.speaker for t in c.turns] == ["Maria", "Tom"]
    assert c.turns[0].text == ("I've refunded the charge. Note: it can take 5 working days. Ref: RF-4471 "
                               "https://help.acme.example/refunds")
    assert c.turns[1].text == "thanks PS: my postcode changed"


def test_plaintext_timestamps(tmp_path):
    path = write(tmp_path, "c.txt", "[00:01:05] Maria: Hello\n[00:01:09.5] Tom: Hi\n01:10 Maria: Sure\nTom: ok\n")
    [c] = read_all(path)
    assert [t.start for t in c.turns] == [65.0, 69.5, 70.0, None]
    assert [t.speaker for t in c.turns] == ["Maria", "Tom", "Maria", "Tom"]
    assert c.turns[0].text == "Hello"


# ---------------------------------------------------------------------------------------------
# Subtitles
# ---------------------------------------------------------------------------------------------

VTT_VOICES = """WEBVTT - recogniser output
Kind: captions

NOTE produced by the recogniser
it may be wrong

1
00:00:01.000 --> 00:00:03.000
<v Maria>Thank you for calling acme,</v>

2
00:00:03.000 --> 00:00:05.500 align:start
<v Maria>how can I help?

00:00:06.000 --> 00:00:08.000
<v.loud Tom Smith>Fish &amp; chips &lt;3 arrived cold

00:00:08.000 --> 00:00:09.000
and late.

00:01:09.000 --> 00:01:10.000
<v Maria>Sorry to hear that.
"""


def test_vtt_voice_tags(tmp_path):
    path = write(tmp_path, "call-9.vtt", VTT_VOICES)
    [c] = read_all(path)
    assert c.conversation_id == "call-9"
    assert c.channel == "call"
    assert [t.speaker for t in c.turns] == ["Maria", "Tom Smith", "Maria"]
    assert c.turns[0].text == "Thank you for calling acme, how can I help?"
    assert c.turns[1].text == "Fish & chips <3 arrived cold and late."
    assert [t.start for t in c.turns] == [1.0, 6.0, 69.0]
    assert not any("NOTE" in t.text or "recogniser" in t.text for t in c.turns)


def test_vtt_name_prefixes(tmp_path):
    path = write(tmp_path, "p.vtt", (
        "WEBVTT\n\n"
        "00:01.000 --> 00:02.000\nAgent: Hello\n\n"
        "00:02.000 --> 00:03.000\nCaller: Hi\n\n"
        "00:03.000 --> 00:04.000\nCaller: it's about my bill\n"
    ))
    [c] = read_all(path)
    assert [(t.speaker, t.text) for t in c.turns] == [("Agent", "Hello"), ("Caller", "Hi it's about my bill")]
    assert [t.start for t in c.turns] == [1.0, 2.0]


def test_srt_colon_and_bracket_prefixes(tmp_path):
    path = write(tmp_path, "s.srt", (
        "1\n00:00:01,000 --> 00:00:02,000\nMaria: Hello\n\n"
        "2\n00:00:02,500 --> 00:00:04,000\n[Tom] Hi there\n\n"
        "3\n00:00:04,000 --> 00:00:05,000\n- Tom: again\n\n"
        "4\n01:00:00,000 --> 01:00:01,000\n[Maria] Bye\n"
    ))
    [c] = read_all(path)
    assert [(t.speaker, t.text) for t in c.turns] == [("Maria", "Hello"), ("Tom", "Hi there again"), ("Maria", "Bye")]
    assert [t.start for t in c.turns] == [1.0, 2.5, 3600.0]


# ---------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------

UNLABELLED = (
    "spk_0: thank you for calling acme my name is sam how can i help\n"
    "spk_1: hi i was charged twice on my bill\n"
)


def test_given_roles_are_kept(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl({"conversation_id": "c1", "turns": [
        {"speaker": "Tom", "role": "customer", "text": "thank you for calling acme how can i help"},
        {"speaker": "Maria", "role": "agent", "text": "hi i was charged twice on my bill"},
    ]}))
    [c] = read_all(path, agent_names=("Tom",))  # given roles win over names and cues
    assert speakers_roles(c) == [("Tom", "customer"), ("Maria", "agent")]
    assert (c.role_source, c.role_confidence) == ("given", 1.0)


def test_agent_names(tmp_path):
    path = write(tmp_path, "c.txt", "Tom: hello\nmaria: hi\nSue: hey\nTom: bye\n")
    [c] = read_all(path, agent_names=("Maria",))
    assert speakers_roles(c) == [("Tom", "customer"), ("maria", "agent"), ("Sue", "customer"), ("Tom", "customer")]
    assert (c.role_source, c.role_confidence) == ("agent-name", 1.0)
    assert c.agent_speakers == {"maria"}


def test_agent_names_not_present_falls_back(tmp_path):
    path = write(tmp_path, "c.txt", "Tom: hello\nSue: hi\n")
    [c] = read_all(path, agent_names=("Maria",))
    assert c.role_source == "unknown"


@pytest.mark.parametrize("name,text", [
    ("roles.json", json.dumps({"Maria": "agent", "TOM": "Customer"})),
    ("roles.csv", "speaker,role\nmaria,agent\nTom,customer\n"),
])
def test_role_map_file(tmp_path, name, text):
    roles = write(tmp_path, name, text)
    assert load_role_map(roles) == {"maria": "agent", "tom": "customer"}
    path = write(tmp_path, "c.txt", "Tom: thank you for calling, how can i help\nMaria: hi i was charged twice\n")
    [c] = read_all(path, role_map=roles)
    assert speakers_roles(c) == [("Tom", "customer"), ("Maria", "agent")]
    assert (c.role_source, c.role_confidence) == ("role-map", 1.0)


def test_role_map_file_with_bad_role(tmp_path):
    roles = write(tmp_path, "roles.csv", "speaker,role\nMaria,agent\nTom,boss\n")
    err = read_error(write(tmp_path, "c.txt", "Maria: hi\n"), role_map=roles)
    assert (err.path, err.line) == (str(roles), 3)
    assert "must be 'agent' or 'customer'" in err.problem


def test_role_map_dict_with_speaker_names_as_written(tmp_path):
    path = write(tmp_path, "c.txt", "Maria: hello\nTom: hi\n")
    [c] = read_all(path, role_map={"Maria": "agent", "Tom": "customer"})
    assert c.role_source == "role-map"
    assert speakers_roles(c) == [("Maria", "agent"), ("Tom", "customer")]


def test_role_inference_from_cues(tmp_path):
    path = write(tmp_path, "c.txt", UNLABELLED)
    [c] = read_all(path)
    assert speakers_roles(c) == [("spk_0", "agent"), ("spk_1", "customer")]
    assert c.role_source == "inferred"
    assert 0.5 < c.role_confidence <= 1.0


def test_role_inference_when_customer_speaks_first(tmp_path):
    path = write(tmp_path, "c.txt", "spk_1: hi i was charged twice on my bill\n"
                                    "spk_0: thank you for calling acme my name is sam how can i help\n")
    [c] = read_all(path)
    assert c.agent_speakers == {"spk_0"}
    assert c.role_source == "inferred"


def test_role_inference_from_speaker_labels(tmp_path):
    path = write(tmp_path, "c.txt", "Caller: hello\nAgent: hello\nCaller: ok\n")
    [c] = read_all(path)
    assert speakers_roles(c) == [("Caller", "customer"), ("Agent", "agent"), ("Caller", "customer")]
    assert c.role_source == "inferred"
    assert c.role_confidence > 0.9


def test_no_cues_means_unknown_roles(tmp_path):
    path = write(tmp_path, "c.txt", "spk_0: hello\nspk_1: hello\nspk_0: ok\n")
    [c] = read_all(path)
    assert c.role_source == "unknown"
    assert all(t.role is None for t in c.turns)
    assert c.role_confidence < 0.5


# ---------------------------------------------------------------------------------------------
# Bad input: every error names the file, the line and the problem
# ---------------------------------------------------------------------------------------------


def test_malformed_json_line(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl(conv("c1", ("Ann", "hi"))) + '{"conversation_id": "c2", \n')
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 2)
    assert "malformed JSON" in err.problem
    assert str(err).startswith(f"{path}:2: malformed JSON")


def test_turn_without_text(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl({"conversation_id": "c1", "turns": [
        {"speaker": "Ann", "text": "hi"}, {"speaker": "Bob"}]}))
    err = read_error(path)
    assert (err.path, err.line, err.problem) == (str(path), 1, "turn 1 has no text")


def test_role_must_be_agent_or_customer(tmp_path):
    path = write(tmp_path, "c.jsonl", "\n" + jsonl({"conversation_id": "c1", "turns": [
        {"speaker": "Ann", "role": "boss", "text": "hi"}]}))
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 2)
    assert "role must be 'agent' or 'customer'" in err.problem
    assert "'boss'" in err.problem


def test_empty_turns_list(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl({"conversation_id": "c1", "turns": []}))
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 1)
    assert "empty conversation" in err.problem


def test_bad_channel(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl(conv("c1", ("Ann", "hi"), channel="phone")))
    err = read_error(path)
    assert (err.line, "channel must be 'chat' or 'call'" in err.problem) == (1, True)


def test_non_utf8_line(tmp_path):
    path = tmp_path / "c.jsonl"
    good = jsonl(conv("c1", ("Ann", "hi"))).encode()
    path.write_bytes(good + jsonl(conv("c2", ("Ann", "ok"))).encode() + b'{"x": "caf\xe9"}\n')
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 3)
    assert "not UTF-8" in err.problem
    assert "0xe9" in err.problem


def test_non_utf8_in_plaintext_and_csv(tmp_path):
    txt = tmp_path / "c.txt"
    txt.write_bytes(b"Ann: hi\nBob: hello\nAnn: caf\xe9\n")
    err = read_error(txt)
    assert (err.path, err.line) == (str(txt), 3)
    assert "not UTF-8" in err.problem
    csv_path = tmp_path / "c.csv"
    csv_path.write_bytes(b"conversation_id,speaker,text\nc1,Ann,hi\nc1,Bob,caf\xe9\n")
    err = read_error(csv_path)
    assert (err.path, err.line) == (str(csv_path), 3)
    assert "not UTF-8" in err.problem


def test_unknown_suffix(tmp_path):
    path = write(tmp_path, "call.docx", "Ann: hi\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), None)
    assert "unknown transcript format" in err.problem
    assert "'.docx'" in err.problem


def test_unknown_forced_format(tmp_path):
    path = write(tmp_path, "call.txt", "Ann: hi\n")
    err = read_error(path, fmt="docx")
    assert "unknown format 'docx'" in err.problem


def test_missing_file_fails_before_reading_anything(tmp_path):
    good = write(tmp_path, "good.jsonl", jsonl(conv("c1", ("Ann", "hi"))))
    missing = tmp_path / "nope.jsonl"
    it = read_transcripts([good, missing])
    with pytest.raises(TranscriptError) as info:
        next(it)
    assert (info.value.path, info.value.line) == (str(missing), None)
    assert "no such file or directory" in info.value.problem


def test_glob_matching_nothing(tmp_path):
    err = read_error(str(tmp_path / "*.vtt"))
    assert "pattern matches no files" in err.problem


def test_directory_without_transcripts(tmp_path):
    folder = tmp_path / "empty"
    write(folder, "readme.md", "nothing here\n")
    err = read_error(folder)
    assert (err.path, err.line) == (str(folder), None)
    assert "directory holds no transcript files" in err.problem


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "c.jsonl.gz"
    path.write_bytes(b"this is not gzip data at all\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), None)
    assert "cannot read" in err.problem


def test_csv_missing_required_column(tmp_path):
    path = write(tmp_path, "c.csv", "conversation_id,speaker\nc1,Ann\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 1)
    assert "header lacks column(s) text" in err.problem


def test_csv_row_with_wrong_field_count(tmp_path):
    path = write(tmp_path, "c.csv", "conversation_id,speaker,text\nc1,Ann,hi\nc1,Bob\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 3)
    assert "row has 2 fields, header has 3" in err.problem


def test_csv_row_with_empty_text(tmp_path):
    path = write(tmp_path, "c.csv", "conversation_id,speaker,text\nc1,Ann,hi\nc2,Sue,yo\nc1,Bob,  \n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 4)
    assert "'c1'" in err.problem
    assert "row has no text" in err.problem


def test_csv_bad_role_points_at_its_row(tmp_path):
    path = write(tmp_path, "c.csv", "conversation_id,speaker,role,text\nc1,Ann,agent,hi\nc1,Bob,boss,yo\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 3)
    assert "turn 1: role must be 'agent' or 'customer'" in err.problem


def test_vtt_without_header(tmp_path):
    path = write(tmp_path, "c.vtt", "\n00:00:01.000 --> 00:00:02.000\n<v Ann>hi\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 2)
    assert "must start with 'WEBVTT'" in err.problem


def test_vtt_cue_without_speaker(tmp_path):
    path = write(tmp_path, "c.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello there\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 4)
    assert "cue has no speaker" in err.problem


def test_srt_garbage_between_cues(tmp_path):
    path = write(tmp_path, "c.srt", "1\n00:00:01,000 --> 00:00:02,000\nAnn: hi\n\nrandom words\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 5)
    assert "expected a cue timing line" in err.problem


def test_plaintext_line_before_any_speaker(tmp_path):
    path = write(tmp_path, "c.txt", "\nhello, no speaker here\nAnn: hi\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 2)
    assert "expected 'Name: text'" in err.problem


def test_plaintext_text_before_first_header(tmp_path):
    path = write(tmp_path, "c.txt", "Ann: hi\n# c1\nBob: yo\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 1)
    assert "text before the first conversation header" in err.problem


def test_plaintext_header_without_turns(tmp_path):
    path = write(tmp_path, "c.txt", "# c1\n\n# c2\nAnn: hi\n")
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 1)
    assert "empty conversation 'c1'" in err.problem


def test_duplicate_conversation_id_across_files(tmp_path):
    first = write(tmp_path, "a.jsonl", jsonl(conv("dup", ("Ann", "hi"))))
    second = write(tmp_path, "b.jsonl", jsonl(conv("x", ("Ann", "hi")), conv("dup", ("Bob", "yo"))))
    err = read_error([first, second])
    assert (err.path, err.line) == (str(second), 2)
    assert f"conversation_id 'dup' already read at {first}:1" in err.problem


def test_duplicate_conversation_id_file_without_line(tmp_path):
    first = write(tmp_path, "a/call.txt", "Ann: hi\n")
    second = write(tmp_path, "b/call.vtt", "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>hi\n")
    err = read_error(tmp_path)
    assert (err.path, err.line) == (str(second), None)
    assert f"already read at {first}:1" in err.problem


def test_read_file_yields_errors_instead_of_raising(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl(conv("c1", ("Ann", "hi"))) + "nope\n")
    items = list(read_file(str(path)))
    assert isinstance(items[0], Conversation)
    assert isinstance(items[1], TranscriptError)
    assert items[1].line == 2


def test_default_mode_raises_after_the_good_records_before_it(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl(conv("c1", ("Ann", "hi"))) + "nope\n" + jsonl(conv("c3", ("A", "x"))))
    got = []
    with pytest.raises(TranscriptError) as info:
        for c in read_transcripts(path):
            got.append(c.conversation_id)
    assert got == ["c1"]
    assert info.value.line == 2


# ---------------------------------------------------------------------------------------------
# skip_invalid
# ---------------------------------------------------------------------------------------------


def test_skip_invalid_collects_errors_and_keeps_good_conversations(tmp_path):
    a = write(tmp_path, "a.jsonl", (
        jsonl(conv("c1", ("Ann", "hi")))
        + "{not json\n"
        + jsonl(conv("c3", ("Bob", "yo")))
        + jsonl({"conversation_id": "c4", "turns": []})
        + jsonl(conv("c5", ("Sue", "hey")))
    ))
    b = write(tmp_path, "b.jsonl", jsonl(conv("c1", ("Dup", "again")), conv("c6", ("Ann", "bye"))))
    missing_text = write(tmp_path, "c.csv", "conversation_id,speaker,text\nk1,Ann,hi\nk2,Bob,\nk3,Sue,yo\n")
    skipped: list[TranscriptError] = []
    convs = read_all([a, b, missing_text], skip_invalid=True, on_skip=skipped.append)
    assert [c.conversation_id for c in convs] == ["c1", "c3", "c5", "c6", "k1", "k3"]
    assert [(e.path, e.line) for e in skipped] == [(str(a), 2), (str(a), 4), (str(b), 1), (str(missing_text), 3)]
    assert "malformed JSON" in skipped[0].problem
    assert "empty conversation" in skipped[1].problem
    assert "already read" in skipped[2].problem
    assert "row has no text" in skipped[3].problem


def test_skip_invalid_without_callback(tmp_path):
    path = write(tmp_path, "a.jsonl", "oops\n" + jsonl(conv("c2", ("Ann", "hi"))))
    assert [c.conversation_id for c in read_all(path, skip_invalid=True)] == ["c2"]


def test_skip_invalid_subtitles_and_unknown_files_in_a_directory(tmp_path):
    write(tmp_path, "a.vtt", "00:00:01.000 --> 00:00:02.000\n<v Ann>hi\n")
    write(tmp_path, "b.srt", "1\n00:00:01,000 --> 00:00:02,000\nAnn: hi\n")
    skipped: list[TranscriptError] = []
    convs = read_all(tmp_path, skip_invalid=True, on_skip=skipped.append)
    assert [c.conversation_id for c in convs] == ["b"]
    assert [(Path(e.path).name, e.line) for e in skipped] == [("a.vtt", 1)]


def test_skip_invalid_plaintext_resumes_at_next_header(tmp_path):
    path = write(tmp_path, "day.txt", "# c1\nno speaker here\nSam: hi\n\n# c2\nSam: hello\nAnn: hi\n")
    skipped: list[TranscriptError] = []
    convs = read_all(path, skip_invalid=True, on_skip=skipped.append)
    assert [c.conversation_id for c in convs] == ["c2"]
    assert [(e.line, e.problem.startswith("expected 'Name: text'")) for e in skipped] == [(2, True)]


def test_skip_invalid_csv_does_not_yield_conversation_with_a_dropped_row(tmp_path):
    path = write(tmp_path, "c.csv", (
        "conversation_id,speaker,text\n"
        "c1,Ann,hi\n"
        "c1,Bob,two,extra\n"
        "c1,Ann,bye\n"
        "c2,Sue,yo\n"
    ))
    skipped: list[TranscriptError] = []
    convs = read_all(path, skip_invalid=True, on_skip=skipped.append)
    assert [e.line for e in skipped] == [3]
    assert [c.conversation_id for c in convs] == ["c2"]


# ---------------------------------------------------------------------------------------------
# CLI: qscore annotate
# ---------------------------------------------------------------------------------------------

GOOD_CALL = jsonl({"conversation_id": "c1", "turns": [
    {"speaker": "Maria", "text": "thank you for calling acme, how can i help?"},
    {"speaker": "Tom", "text": "hi i was charged twice on my bill"},
]}, {"conversation_id": "c2", "turns": [{"speaker": "Ann", "role": "agent", "text": "hello"}]})

TURN_KEYS = {"conversation_id", "turn_index", "speaker", "role", "text", "tags", "evidence"}


def annotate(*args: str):
    return CliRunner().invoke(app, ["annotate", *args])


def read_jsonl_file(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_cli_annotate_writes_one_record_per_turn(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "calls.jsonl", GOOD_CALL)
    result = annotate("calls.jsonl", "-o", "out/turns.jsonl")
    assert result.exit_code == 0, result.output
    records = read_jsonl_file(tmp_path / "out/turns.jsonl")
    assert len(records) == 3
    assert all(set(r) == TURN_KEYS for r in records)
    assert [(r["conversation_id"], r["turn_index"]) for r in records] == [("c1", 0), ("c1", 1), ("c2", 0)]
    assert [(r["speaker"], r["role"]) for r in records] == [("Maria", "agent"), ("Tom", "customer"), ("Ann", "agent")]
    assert records[1]["text"] == "hi i was charged twice on my bill"
    assert all(isinstance(r["tags"], list) and isinstance(r["evidence"], dict) for r in records)
    assert all(sorted(r["evidence"]) == r["tags"] for r in records)
    assert "annotated 3 turns in 2 conversations" in result.output
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp file left


def test_cli_annotate_with_agent_option_and_plaintext(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "call.txt", "Tom: hello\nMaria: hi\n")
    result = annotate("call.txt", "-o", "out.jsonl", "--agent", "Maria", "-q")
    assert result.exit_code == 0, result.output
    records = read_jsonl_file(tmp_path / "out.jsonl")
    assert [(r["conversation_id"], r["speaker"], r["role"]) for r in records] == [
        ("call", "Tom", "customer"), ("call", "Maria", "agent")]


def test_cli_bad_input_exits_2_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "calls.jsonl", GOOD_CALL + "{broken\n")
    result = annotate("calls.jsonl", "-o", "out.jsonl")
    assert result.exit_code == 2
    assert "calls.jsonl:3" in result.output
    assert "malformed JSON" in result.output
    assert "nothing was written" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.jsonl"]


def test_cli_bad_input_leaves_existing_output_untouched(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "calls.csv", "conversation_id,speaker,text\nc1,Ann,hi\nc1,Bob\n")
    out = write(tmp_path, "out.jsonl", '{"previous": "run"}\n')
    result = annotate("calls.csv", "-o", "out.jsonl")
    assert result.exit_code == 2
    assert "calls.csv:3: row has 2 fields, header has 3" in result.output
    assert out.read_text("utf-8") == '{"previous": "run"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calls.csv", "out.jsonl"]


def test_cli_missing_input_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = annotate("nope.jsonl", "-o", "out.jsonl")
    assert result.exit_code == 2
    assert "nope.jsonl: no such file or directory" in result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_cli_skip_invalid_writes_good_conversations(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "calls.jsonl", "{broken\n" + GOOD_CALL)
    result = annotate("calls.jsonl", "-o", "out.jsonl", "--skip-invalid")
    assert result.exit_code == 0, result.output
    records = read_jsonl_file(tmp_path / "out.jsonl")
    assert sorted({r["conversation_id"] for r in records}) == ["c1", "c2"]
    assert len(records) == 3
    assert "skipped 1 invalid record(s)" in result.output
    assert "calls.jsonl:1: malformed JSON" in result.output


def test_cli_reports_conversations_with_unknown_roles(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "call.txt", "spk_0: hello\nspk_1: hello\n")
    result = annotate("call.txt", "-o", "out.jsonl")
    assert result.exit_code == 0, result.output
    assert [r["role"] for r in read_jsonl_file(tmp_path / "out.jsonl")] == [None, None]
    assert "could not tell which speaker is the agent in 1 conversation(s)" in result.output
    assert "call.txt:1: call (speakers: spk_0, spk_1)" in result.output


def test_cli_error_text_with_square_brackets_is_printed_verbatim(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "call.txt", "[inaudible] mumble\nSam: hi\n")
    result = annotate("call.txt", "-o", "out.jsonl")
    assert result.exit_code == 2
    assert "call.txt:1: expected 'Name: text', got '[inaudible] mumble'" in result.output


def test_csv_unclosed_quote_keeps_the_conversations_before_it(tmp_path):
    path = write(tmp_path, "c.csv", (
        "conversation_id,speaker,text\n"
        "k1,Ann,hi\nk1,Bob,hello\n"
        "k2,Sue,yo\n"
        'k2,Tom,"this quote never closes\n'
        "k3,Ann,lost\n"
    ))
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 5)  # where the broken row starts
    assert "malformed CSV" in err.problem and "not read" in err.problem
    skipped: list[TranscriptError] = []
    convs = read_all(path, skip_invalid=True, on_skip=skipped.append)
    # k1 is complete; k2 was in progress (it may continue past the break) and is dropped whole
    assert [c.conversation_id for c in convs] == ["k1"]
    assert [len(c.turns) for c in convs] == [2]
    assert [e.line for e in skipped] == [5]


def test_plaintext_channel_metadata_is_validated(tmp_path):
    path = write(tmp_path, "t.txt", (
        "# call-1\n# channel: Call\nAgent: hello\nCara: hi\n\n"
        "# call-2\n# channel: phone\nAgent: hello\nCara: hi\n\n"
        "# call-3\nAgent: bye\n"
    ))
    err = read_error(path)
    assert (err.path, err.line) == (str(path), 7)
    assert "channel must be 'chat' or 'call', got 'phone'" in err.problem
    convs = read_all(path, skip_invalid=True)
    assert [(c.conversation_id, c.channel) for c in convs] == [("call-1", "call"), ("call-3", None)]
