"""The labelled corpus: schema, vocabulary and the shape issue #3 asks for; the split."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from qscore.corpus import SPLITS, load_corpus, split_of, validate


@pytest.fixture(scope="module")
def report():
    return validate()


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


def test_every_file_is_valid(report):
    assert report.problems == []


def test_size_and_agents(report):
    assert report.conversations >= 360
    per_agent = report.counts["agent"]
    assert len(per_agent) >= 36
    assert all(6 <= n <= 15 for n in per_agent.values()), per_agent


def test_levels_roughly_balanced(report):
    total = sum(report.counts["level"].values())
    for level in (1, 2, 3):
        assert 0.25 <= report.counts["level"][level] / total <= 0.45


def test_domains_channels_and_hard_cases(report):
    assert len(report.counts["domain"]) >= 10
    channel = report.counts["channel"]
    assert abs(channel["chat"] - channel["call"]) <= 0.1 * report.conversations
    hard = report.conversations - report.counts["hard_case"]["none"]
    assert hard >= 0.15 * report.conversations


def test_every_tag_is_covered_in_both_splits(corpus):
    from qscore.detect import TAGS

    for split in SPLITS:
        seen = Counter(t for c in corpus if split_of(c["conversation_id"]) == split
                       for turn in c["turns"] if turn["role"] == "agent" for t in turn["tags"])
        assert set(TAGS) <= set(seen), set(TAGS) - set(seen)


def test_at_least_600_agent_turns_in_both_styles(corpus):
    by_channel = Counter(c["channel"] for c in corpus for t in c["turns"] if t["role"] == "agent")
    assert by_channel["chat"] >= 600 and by_channel["call"] >= 600


def test_speech_recognition_style_calls(corpus):
    """Calls are written as recognisers print them: lowercase, no punctuation."""
    calls = [t["text"] for c in corpus if c["channel"] == "call" for t in c["turns"]]
    assert calls
    assert all(text == text.lower() for text in calls)
    assert sum("?" in text for text in calls) == 0


def test_split_keeps_each_agent_on_one_side(corpus):
    sides = defaultdict(set)
    for conv in corpus:
        sides[conv["agent_id"]].add(split_of(conv["conversation_id"]))
    assert all(len(s) == 1 for s in sides.values())
    sizes = Counter(split_of(c["conversation_id"]) for c in corpus)
    assert sizes["test"] >= 150 and 0.15 <= sizes["test"] / len(corpus) <= 0.4


def test_scripted_agents_reuse_their_lines(corpus):
    """A level-1 agent repeats its script across customers (what the classifier must notice)."""
    by_agent = defaultdict(list)
    for conv in corpus:
        by_agent[conv["agent_id"]].append(conv)
    reuse = []
    for convs in by_agent.values():
        if sum(c["level"] == 1 for c in convs) >= 7:
            lines = Counter(t["text"].lower() for c in convs for t in c["turns"] if t["role"] == "agent")
            reuse.append(max(lines.values()))
    assert reuse and min(reuse) >= 3


def test_validate_command_prints_the_counts():
    from typer.testing import CliRunner

    from qscore.cli import app
    from qscore.corpus import CORPUS_DIR

    result = CliRunner().invoke(app, ["validate", str(CORPUS_DIR)])
    assert result.exit_code == 0, result.output
    assert "1426 conversations" in result.output and "161 agents" in result.output
    for heading in ("level", "channel", "domain", "hard_case", "tag"):
        assert heading in result.output
    assert "valid" in result.output
