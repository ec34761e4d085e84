"""Shared fixtures: the pipeline (built once) and the optional ../shared evaluation data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SWDA_DEV = SHARED / "data" / "swda" / "dev.jsonl"


@pytest.fixture(scope="session")
def nlp():
    from qscore.detect import make_pipeline

    return make_pipeline()


@pytest.fixture(scope="session")
def rules_nlp():
    """The pipeline with the learned scorers switched off: the rules' own decisions."""
    from qscore.detect import make_pipeline

    return make_pipeline(scorers=False)


@pytest.fixture(scope="session")
def swda_dev() -> Path:
    if not SWDA_DEV.exists():
        pytest.skip("../shared/data/swda/dev.jsonl is not here (evaluation data, not shipped)")
    return SWDA_DEV
