"""The service-level classifier: a scikit-learn Pipeline, agent-grouped evaluation, and model
files that are checked before they are loaded (a joblib file runs code when loaded)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import unique_labels
from sklearn.utils.validation import check_is_fitted, validate_data

from .features import BEHAVIOUR_FEATURES, SCRIPT_FEATURES, BehaviourFeatures, ConversationTurns, ScriptSimilarity
from .metrics import level_scores

LEVELS = (1, 2, 3)
MODEL_ENV = "QSCORE_MODEL"
MODEL_NAME = Path("models") / "qscore-levels.joblib"
DEFAULT_MODEL = Path(__file__).resolve().parents[2] / MODEL_NAME  # the checkout's shipped model


def default_model_candidates() -> list[Path]:
    """Where the default model is looked for, in order: $QSCORE_MODEL, the checkout this package
    runs from (an editable install, as the README sets up), then ./models in the working
    directory (a wheel installed elsewhere, run from a project directory)."""
    env = os.environ.get(MODEL_ENV)
    found = [Path(env)] if env else []
    return found + [DEFAULT_MODEL, Path.cwd() / MODEL_NAME]


def default_model() -> Path:
    candidates = default_model_candidates()
    return next((p for p in candidates if p.exists()), candidates[0])


class OrdinalLogistic(ClassifierMixin, BaseEstimator):
    """Ordinal classification (Frank & Hall, 2001): one logistic model per threshold
    P(y > k), combined into class probabilities. Levels are ordered, and a 1 mistaken for a 3 is
    worse than for a 2: the threshold models share that order, a flat multinomial does not."""

    def __init__(self, C: float = 1.0, class_weight: str | None = "balanced", random_state: int | None = None) -> None:
        self.C = C
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> OrdinalLogistic:
        X, y = validate_data(self, X, y)
        self.classes_ = unique_labels(y)
        if len(self.classes_) < 2:
            raise ValueError("need at least two classes (levels) to learn from, got one class")
        self.estimators_ = []
        for k in self.classes_[:-1]:
            target = (y > k).astype(int)
            model = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000,
                                       random_state=self.random_state)
            self.estimators_.append(model.fit(X, target))
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, reset=False)
        above = np.column_stack([m.predict_proba(X)[:, 1] for m in self.estimators_])
        # P(y > k) must not rise with k; enforce, then difference into class probabilities
        above = np.minimum.accumulate(above, axis=1)
        bounds = np.hstack([np.ones((len(X), 1)), above, np.zeros((len(X), 1))])
        proba = np.clip(bounds[:, :-1] - bounds[:, 1:], 0.0, 1.0)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "estimators_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def decision_weights(self) -> np.ndarray:
        """Per feature, how strongly it pushes towards higher levels (sum over thresholds)."""
        check_is_fitted(self, "estimators_")
        return np.sum([m.coef_[0] for m in self.estimators_], axis=0)


def build_pipeline(seed: int = 0, C: float = 0.3) -> Pipeline:
    features = FeatureUnion([("behaviour", BehaviourFeatures()), ("script", ScriptSimilarity())])
    return Pipeline([
        ("features", features),
        ("scale", StandardScaler()),
        ("model", OrdinalLogistic(C=C, random_state=seed)),
    ])


FEATURES = BEHAVIOUR_FEATURES + SCRIPT_FEATURES


def agent_folds(y: np.ndarray, groups: list[str], seed: int, n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds with every agent on one side, levels stratified, repeatable from the seed."""
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, groups))


def cross_validate(pipeline: Pipeline, X: list[ConversationTurns], y: np.ndarray,
                   folds: list[tuple[np.ndarray, np.ndarray]]) -> tuple[dict[str, Any], np.ndarray]:
    """Out-of-fold predictions and their metrics (conversation level)."""
    predicted = np.zeros(len(y), dtype=int)
    for train, test in folds:
        model = clone(pipeline).fit([X[i] for i in train], y[train])
        predicted[test] = model.predict([X[i] for i in test])
    return level_scores(list(y), list(predicted)), predicted


def median_level(levels: list[int]) -> int:
    """An agent's level: the median of its conversations' levels (as the rubric says)."""
    return int(np.round(np.median(levels)))


def agent_levels(levels: list[int], agents: list[str | None]) -> dict[str | None, int]:
    by_agent: dict[str | None, list[int]] = {}
    for level, agent in zip(levels, agents):
        by_agent.setdefault(agent, []).append(level)
    return {agent: median_level(v) for agent, v in by_agent.items()}


# -- model files -----------------------------------------------------------------------------
class ModelError(RuntimeError):
    """A model file that is missing, altered, or not ours: never loaded."""


@dataclass
class Model:
    pipeline: Pipeline
    card: dict[str, Any]
    path: Path


def card_path(model_path: Path) -> Path:
    return model_path.with_suffix(".card.json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    import sklearn
    import spacy

    from . import __version__

    return {"python": platform.python_version(), "qscore": __version__, "scikit-learn": sklearn.__version__,
            "spacy": spacy.__version__, "numpy": np.__version__, "joblib": joblib.__version__}


def save_model(pipeline: Pipeline, path: Path, card: dict[str, Any]) -> dict[str, Any]:
    """Write the joblib file, then its card (JSON) with the file's SHA-256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    joblib.dump(pipeline, tmp)
    tmp.replace(path)
    card = {**card, "file": path.name, "sha256": file_sha256(path), "versions": library_versions(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "features": list(FEATURES)}
    card_path(path).write_text(json.dumps(card, indent=2) + "\n", "utf-8")
    return card


def load_model(path: Path | None = None) -> Model:
    """Load a model only if its card exists and the file's SHA-256 matches the card."""
    if not path:
        path = default_model()
        if not path.exists():
            looked = ", ".join(str(p) for p in default_model_candidates())
            raise ModelError(f"no model found (looked in: {looked}); pass --model, set ${MODEL_ENV}, "
                             "or train one with `qscore train`")
    path = Path(path)
    if not path.exists():
        raise ModelError(f"{path}: no such model file (train one with `qscore train`, or pass --model)")
    cpath = card_path(path)
    if not cpath.exists():
        raise ModelError(f"{path}: no model card {cpath.name} beside it; refusing to load an unverified file")
    try:
        card = json.loads(cpath.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{cpath}: malformed JSON ({exc.msg}); refusing to load {path.name}") from None
    actual = file_sha256(path)
    if card.get("sha256") != actual:
        expected = str(card.get("sha256"))[:12]
        raise ModelError(f"{path}: SHA-256 {actual[:12]}... does not match its card ({expected}...); "
                         "the file was changed after training: refusing to load it")
    pipeline = joblib.load(path)
    if not isinstance(pipeline, Pipeline):
        raise ModelError(f"{path}: not a qscore model")
    return Model(pipeline, card, path)


def reasons(pipeline: Pipeline, X: list[ConversationTurns], top: int = 3) -> list[list[dict[str, Any]]]:
    """Per conversation, the features that pushed it most towards its predicted level:
    contribution = weight towards higher levels x standardised value (its sign says which way)."""
    features = pipeline.named_steps["features"].transform(X)
    scaled = pipeline.named_steps["scale"].transform(features)
    model: OrdinalLogistic = pipeline.named_steps["model"]
    weights = model.decision_weights()
    predicted = model.predict(scaled)
    out = []
    for row, raw, level in zip(scaled, features, predicted):
        contribution = row * weights
        # a high level is pushed by positive contributions, a low level by negative ones
        sign = 1.0 if level == LEVELS[-1] else -1.0 if level == LEVELS[0] else np.sign(contribution.sum()) or 1.0
        order = np.argsort(-sign * contribution)[:top]
        out.append([{"feature": FEATURES[i], "value": round(float(raw[i]), 3),
                     "effect": round(float(contribution[i]), 3)} for i in order])
    return out
