"""Per-tag precision / recall / F1 of `qscore annotate` on our gold set, by split.

    python scripts/eval_tags.py            # markdown table: dev side, held-out test side, all

The development side (`qscore.corpus.SPLITS["dev"]`) is where rules were tuned and the learned
scorers trained; the test side (other writers, agents and domains) is only measured.
"""

from __future__ import annotations

from qscore import annotate, read_transcripts
from qscore.corpus import CORPUS_DIR, load_corpus, split_of
from qscore.detect import CORE_TAGS, TAGS
from qscore.metrics import tag_scores


def main() -> None:
    gold = load_corpus()
    records = [r for rs in annotate(read_transcripts(CORPUS_DIR)) for r in rs]
    sides = {
        "dev": {c["conversation_id"] for c in gold if split_of(c["conversation_id"]) == "dev"},
        "test": {c["conversation_id"] for c in gold if split_of(c["conversation_id"]) == "test"},
        "all": {c["conversation_id"] for c in gold},
    }
    scores = {name: tag_scores([c for c in gold if c["conversation_id"] in ids],
                               [r for r in records if r["conversation_id"] in ids])
              for name, ids in sides.items()}
    print("| tag | core | dev P | dev R | dev F1 | test P | test R | test F1 | all F1 | gold (all) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for tag in TAGS:
        d, t, a = scores["dev"][tag], scores["test"][tag], scores["all"][tag]
        print(f"| {tag} | {'yes' if tag in CORE_TAGS else ''} | {d.precision:.2f} | {d.recall:.2f} | "
              f"{d.f1:.2f} | {t.precision:.2f} | {t.recall:.2f} | {t.f1:.2f} | {a.f1:.2f} | {a.support} |")
    n_agent = sum(1 for c in gold for t in c["turns"] if t["role"] == "agent")
    print(f"\n{len(gold)} conversations, {n_agent} agent turns "
          f"(dev {len(sides['dev'])} conversations, test {len(sides['test'])})")


if __name__ == "__main__":
    main()
