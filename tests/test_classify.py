"""The level classifier: estimator contract, determinism, refusing tampered models, the CI
gates, scoring outputs and labelled-data loading."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks
from typer.testing import CliRunner

from qscore.classify import (
    DEFAULT_MODEL,
    ModelError,
    OrdinalLogistic,
    agent_folds,
    build_pipeline,
    cross_validate,
    load_model,
)
from qscore.cli import app
from qscore.corpus import CORPUS_DIR
from qscore.data import load_labelled
from qscore.features import ScriptSimilarity
from qscore.score import prepare, score

runner = CliRunner()
DEV_FILES = [str(CORPUS_DIR / f"batch_{b}.jsonl") for b in "abcd"]


@pytest.fixture(scope="module")
def corpus_items(nlp):
    conversations = load_labelled([str(p) for p in sorted(CORPUS_DIR.glob("*.jsonl"))])
    return list(prepare(conversations, nlp))


@parametrize_with_checks([OrdinalLogistic()])
def test_ordinal_logistic_follows_the_estimator_contract(estimator, check):
    check(estimator)


def test_ordinal_probabilities_are_ordered_and_sum_to_one():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.digitize(X[:, 0] + 0.3 * rng.normal(size=300), [-0.5, 0.5]) + 1
    model = OrdinalLogistic().fit(X, y)
    proba = model.predict_proba(X)
    assert np.allclose(proba.sum(axis=1), 1.0)
    low, high = model.predict_proba([[-3, 0, 0]])[0], model.predict_proba([[3, 0, 0]])[0]
    assert low.argmax() == 0 and high.argmax() == 2
    assert (model.predict(X) == y).mean() > 0.7


def test_agent_grouped_cross_validation_meets_the_targets(corpus_items):
    y = np.array([item.level for item in corpus_items])
    groups = [item.agent_id for item in corpus_items]
    folds = agent_folds(y, groups, seed=0)
    for train, test in folds:
        assert not {groups[i] for i in train} & {groups[i] for i in test}  # no agent on both sides
    metrics, _ = cross_validate(build_pipeline(seed=0), corpus_items, y, folds)
    assert metrics["macro_f1"] >= 0.80
    assert metrics["qwk"] >= 0.80


def test_scripted_agents_sound_scripted(corpus_items):
    features = ScriptSimilarity().fit(corpus_items).transform(corpus_items)
    levels = np.array([item.level for item in corpus_items])
    assert features[levels == 1, 0].mean() > features[levels == 3, 0].mean() + 0.1


def train(tmp_path, *extra: str):
    out = tmp_path / "m.joblib"
    result = runner.invoke(app, ["train", *DEV_FILES, "--out", str(out), "--quiet", *extra])
    return result, out


def test_training_is_deterministic(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, out_a = train(tmp_path / "a", "--seed", "3")
    second, out_b = train(tmp_path / "b", "--seed", "3")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    card_a = json.loads(out_a.with_suffix(".card.json").read_text())
    card_b = json.loads(out_b.with_suffix(".card.json").read_text())
    assert card_a["metrics"] == card_b["metrics"]
    assert card_a["data"]["fingerprint"] == card_b["data"]["fingerprint"]
    assert card_a["sha256"] == card_b["sha256"]  # byte-identical model files


def test_min_macro_f1_gate_refuses_and_writes_nothing(tmp_path):
    result, out = train(tmp_path, "--min-macro-f1", "0.99")
    assert result.exit_code == 1
    assert "refused" in result.output
    assert not out.exists()


def test_baseline_gate_refuses_a_worse_model(tmp_path):
    # --C 1e-6 regularises the model into near-constant predictions: worse than the shipped recipe
    result, out = train(tmp_path, "--baseline", str(DEFAULT_MODEL), "--C", "0.000001")
    assert result.exit_code == 1, result.output
    assert "below the baseline" in result.output
    assert not out.exists()


def test_baseline_gate_accepts_an_equal_model(tmp_path):
    result, out = train(tmp_path, "--baseline", str(DEFAULT_MODEL))
    assert result.exit_code == 0, result.output
    assert out.exists()


def test_tampered_model_is_refused(tmp_path):
    copy = tmp_path / "m.joblib"
    shutil.copy(DEFAULT_MODEL, copy)
    shutil.copy(DEFAULT_MODEL.with_suffix(".card.json"), copy.with_suffix(".card.json"))
    assert load_model(copy).card["sha256"]
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match"):
        load_model(copy)
    result = runner.invoke(app, ["score", str(CORPUS_DIR / "batch_a.jsonl"), "--model", str(copy), "-q"])
    assert result.exit_code == 2
    assert "refusing" in result.output


def test_model_without_card_is_refused(tmp_path):
    copy = tmp_path / "m.joblib"
    shutil.copy(DEFAULT_MODEL, copy)
    with pytest.raises(ModelError, match="no model card"):
        load_model(copy)


def test_shipped_model_card(corpus_items):
    model = load_model()
    card = model.card
    for key in ("sha256", "versions", "created", "features", "metrics", "data"):
        assert key in card
    assert card["metrics"]["cross_validated"]["macro_f1"] >= 0.80
    assert len(card["features"]) == model.pipeline.named_steps["scale"].n_features_in_


def test_score_outputs_and_agents(tmp_path):
    conv_out, agents_out = tmp_path / "c.jsonl", tmp_path / "a.jsonl"
    result = runner.invoke(app, ["score", str(CORPUS_DIR / "batch_e.jsonl"), "-o", str(conv_out),
                                 "--agents", str(agents_out), "-q"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in conv_out.read_text().splitlines()]
    assert len(rows) == 62
    for row in rows:
        assert row["level"] in (1, 2, 3)
        assert abs(sum(row["probabilities"].values()) - 1) < 1e-3
        assert row["reasons"] and {"feature", "value", "effect"} <= set(row["reasons"][0])
    assert conv_out.stat().st_mode & 0o044  # readable by others, like any file the user writes
    agents = [json.loads(line) for line in agents_out.read_text().splitlines()]
    assert sorted(a["agent_id"] for a in agents) == [f"e0{i}" for i in range(1, 8)]
    assert sum(a["conversations"] for a in agents) == 62
    assert {"script_self_similarity", "open_share"} <= set(agents[0]["profile"])


def test_csv_output_neutralises_formulas(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"conversation_id": "=HYPERLINK(\"x\")", "agent_id": "+agent", "turns": [
        {"speaker": "A", "role": "agent", "text": "hello, how can I help?"},
        {"speaker": "B", "role": "customer", "text": "my order is late"}]}) + "\n")
    out, agents = tmp_path / "c.csv", tmp_path / "a.csv"
    result = runner.invoke(app, ["score", str(src), "-o", str(out), "--agents", str(agents), "--format", "csv", "-q"])
    assert result.exit_code == 0, result.output
    row = next(csv.DictReader(out.open()))
    assert row["conversation_id"] == "'=HYPERLINK(\"x\")"
    assert row["agent_id"] == "'+agent"
    assert next(csv.DictReader(agents.open()))["agent_id"] == "'+agent"


def test_load_labelled_long_form_csv_and_parquet(tmp_path):
    import pandas as pd

    rows = [("c1", "a1", 2, "Sam", "agent", "hi how can i help"), ("c1", "a1", 2, "Jo", "customer", "my bill"),
            ("c2", "a1", 1, "Sam", "agent", "account number please"), ("c2", "a1", 1, "Jo", "customer", "123")]
    frame = pd.DataFrame(rows, columns=["conversation_id", "agent_id", "level", "speaker", "role", "text"])
    frame.to_csv(tmp_path / "d.csv", index=False)
    convs = load_labelled([str(tmp_path / "d.csv")])
    assert [(c.conversation_id, c.extra["level"], len(c.turns)) for c in convs] == [("c1", 2, 2), ("c2", 1, 2)]
    records = [{"conversation_id": "p1", "agent_id": "a", "level": 3,
                "turns": [{"speaker": "Sam", "role": "agent", "text": "hello"}]}]
    pd.DataFrame(records).to_parquet(tmp_path / "d.parquet")
    assert load_labelled([str(tmp_path / "d.parquet")])[0].extra["level"] == 3


def test_load_labelled_names_bad_level(tmp_path):
    from qscore.read import TranscriptError

    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"conversation_id": "x", "level": 5, "turns": [{"speaker": "a", "text": "hi"}]}) + "\n")
    with pytest.raises(TranscriptError, match="level must be 1, 2 or 3") as info:
        load_labelled([str(path)])
    assert info.value.path == str(path) and info.value.line == 1


def test_score_api_on_prepared_items(corpus_items):
    result = score(corpus_items[:20], load_model())
    assert len(result.conversations) == 20
    assert all(a["level"] in (1, 2, 3) for a in result.agents)


def test_evaluate_command_prints_metrics():
    result = runner.invoke(app, ["evaluate", str(CORPUS_DIR / "batch_e.jsonl"), "-q"])
    assert result.exit_code == 0, result.output
    assert "macro-F1" in result.output and "QWK" in result.output
    assert "conversations" in result.output and "agents" in result.output


def test_qscore_eval_reads_score_output(tmp_path):
    import subprocess
    import sys

    from conftest import SHARED

    tool = SHARED / "bin" / "qscore-eval"
    if not tool.exists():
        pytest.skip("../shared/bin/qscore-eval is not here")
    gold = CORPUS_DIR / "batch_f.jsonl"
    conv_out, agents_out = tmp_path / "c.jsonl", tmp_path / "a.jsonl"
    result = runner.invoke(app, ["score", str(gold), "-o", str(conv_out), "--agents", str(agents_out), "-q"])
    assert result.exit_code == 0, result.output
    done = subprocess.run([sys.executable, str(tool), "levels", str(gold), str(conv_out), str(agents_out)],
                          capture_output=True, text=True, check=True)
    summary = dict(item.split("=") for item in done.stdout.strip().splitlines()[-1].split())
    assert summary["missing"] == "0"
    assert float(summary["conv_macro_f1"]) > 0.5


def test_conversation_without_an_agent_is_not_rated(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"conversation_id": "mystery", "turns": [
        {"speaker": "A", "text": "so what did you think of the game"},
        {"speaker": "B", "text": "it was fine"}]}) + "\n" + json.dumps({"conversation_id": "ok", "turns": [
        {"speaker": "Sam", "role": "agent", "text": "thanks for calling, how can I help?"},
        {"speaker": "Jo", "role": "customer", "text": "my parcel is late"}]}) + "\n")
    out = tmp_path / "c.jsonl"
    result = runner.invoke(app, ["score", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["conversation_id"] for line in out.read_text().splitlines()] == ["ok"]
    assert "not rated" in result.output and "mystery" in result.output


def test_default_model_lookup_order(tmp_path, monkeypatch):
    from qscore.classify import MODEL_ENV, default_model, default_model_candidates

    # $QSCORE_MODEL comes first when set
    copy = tmp_path / "mine.joblib"
    shutil.copy(DEFAULT_MODEL, copy)
    shutil.copy(DEFAULT_MODEL.with_suffix(".card.json"), copy.with_suffix(".card.json"))
    monkeypatch.setenv(MODEL_ENV, str(copy))
    assert default_model() == copy and load_model().path == copy
    # without it: the checkout's shipped model, then ./models in the working directory
    monkeypatch.delenv(MODEL_ENV)
    monkeypatch.chdir(tmp_path)
    assert default_model_candidates() == [DEFAULT_MODEL, tmp_path / "models" / "qscore-levels.joblib"]


def test_no_default_model_names_where_it_looked(tmp_path, monkeypatch):
    import qscore.classify as classify

    monkeypatch.setattr(classify, "DEFAULT_MODEL", tmp_path / "nowhere" / "qscore-levels.joblib")
    monkeypatch.delenv(classify.MODEL_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(classify.ModelError, match="no model found .*nowhere.*--model"):
        classify.load_model()
