"""Label consistency: the blind re-labelling against the corpus labels.

    python scripts/agreement.py

corpora/agreement/blind_levels.jsonl holds the levels a second annotator gave 40 sampled
conversations without seeing the original labels (10 from each of batches b, d, e, f).
corpora/agreement/blind_tags.jsonl, when present, holds a second annotator's turn tags for the
agent turns of 16 conversations; per-tag F1 between the two annotators is printed.
"""

from __future__ import annotations

import json
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

from qscore.corpus import load_corpus
from qscore.metrics import quadratic_weighted_kappa, tag_scores

HERE = Path(__file__).resolve().parents[1] / "corpora" / "agreement"


def main() -> None:
    corpus = {c["conversation_id"]: c for c in load_corpus()}
    blind = [json.loads(line) for line in (HERE / "blind_levels.jsonl").read_text().splitlines() if line.strip()]
    original = [corpus[r["conversation_id"]]["level"] for r in blind]
    second = [r["level"] for r in blind]
    agree = sum(a == b for a, b in zip(original, second))
    print(f"levels: {len(blind)} conversations re-labelled blind; agreement {agree}/{len(blind)}, "
          f"Cohen's kappa {cohen_kappa_score(original, second):.3f}, "
          f"quadratic weighted kappa {quadratic_weighted_kappa(original, second):.3f}")
    tags_path = HERE / "blind_tags.jsonl"
    if tags_path.exists():
        rows = [json.loads(line) for line in tags_path.read_text().splitlines() if line.strip()]
        ids = {r["conversation_id"] for r in rows}
        scores = tag_scores([corpus[i] for i in sorted(ids)], rows)
        print(f"turn tags: {len(rows)} agent turns in {len(ids)} conversations tagged blind; "
              "F1 of the second annotator against the corpus tags:")
        for tag, s in sorted(scores.items(), key=lambda kv: -kv[1].support):
            print(f"  {tag:<20} F1 {s.f1:.2f}  (corpus {s.support}, second annotator {s.tp + s.fp})")


    second_pass(corpus)


JUDGEMENT_TAGS = ("restate_fact", "restate_feeling", "high_gain_question")
PASS = "second-annotation"


def second_pass(corpus: dict[str, dict]) -> None:
    """The second annotation of the three judgement tags on every agent turn: agreement with the
    writers' labels, and with the adjudicated labels the corpus now holds."""
    path = HERE / "second_pass_tags.jsonl"
    if not path.exists():
        return
    second = {(r["conversation_id"], r["turn_index"]): set(r["tags"])
              for r in map(json.loads, path.read_text().splitlines())}
    final = {key: set(corpus[key[0]]["turns"][key[1]]["tags"]) & set(JUDGEMENT_TAGS) for key in second}
    writer = {key: set(tags) for key, tags in final.items()}
    adjudication = HERE.parent / "adjudication.jsonl"
    for row in map(json.loads, adjudication.read_text().splitlines()):
        key = (row["conversation_id"], row["turn_index"])
        if row.get("pass") == PASS and key in writer:  # undo the adjudicator's change
            writer[key] = (writer[key] - set(row["add"])) | set(row["remove"])
    print(f"judgement tags: {len(second)} agent turns tagged by a second annotator "
          "(F1 between two label sets; adjudicated = the corpus now)")
    for tag in JUDGEMENT_TAGS:
        pairs = {"second vs writer": (second, writer), "writer vs adjudicated": (writer, final),
                 "second vs adjudicated": (second, final)}
        cells = []
        for name, (a, b) in pairs.items():
            tp = sum(tag in a[k] and tag in b[k] for k in a)
            n = sum(tag in a[k] for k in a) + sum(tag in b[k] for k in b)
            cells.append(f"{name} {2 * tp / max(1, n):.3f}")
        print(f"  {tag:<20} " + "   ".join(cells))


if __name__ == "__main__":
    main()
