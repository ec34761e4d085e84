"""Annotate throughput against spaCy's bare tokenizer over the same text, in the same run.

    python scripts/bench_annotate.py [TRANSCRIPTS.jsonl] [--repeat 7]

Default input: ../shared/data/swda/dev.jsonl (real telephone speech, 41,712 turns). Prints the
median of --repeat runs for: the tokenizer alone over every turn's text (the baseline), and
`qscore.annotate` (building conversation Docs, running every detector, producing the turn
records). Reading the file is done once, outside the timings. Targets: >= 5,000 turns/s and
annotate time <= 4x the tokenizer's.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from qscore import read_transcripts
from qscore.annotate import annotate
from qscore.detect import make_pipeline

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "swda" / "dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    convs = list(read_transcripts(args.path))
    texts = [t.text for c in convs for t in c.turns]
    nlp = make_pipeline()
    tokenizer = nlp.tokenizer

    def run_tokenizer() -> int:
        return sum(len(doc) for doc in tokenizer.pipe(texts, batch_size=1000))

    def run_annotate() -> int:
        return sum(len(records) for records in annotate(convs, nlp))

    run_annotate()  # warm caches (lexicon, vocab) once
    tok_times, ann_times, ratios = [], [], []
    for _ in range(args.repeat):
        # each annotate run is paired with a tokenizer run just before it: on a shared machine
        # whose speed drifts, the ratio within a pair is steadier than either time
        t0 = time.process_time()
        tokens = run_tokenizer()
        tok_times.append(time.process_time() - t0)
        t0 = time.process_time()
        turns = run_annotate()
        ann_times.append(time.process_time() - t0)
        ratios.append(ann_times[-1] / tok_times[-1])
    tok, ann, ratio = statistics.median(tok_times), statistics.median(ann_times), statistics.median(ratios)
    print("per run (tokenizer, annotate):", " ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(tok_times, ann_times)))
    print(f"input: {args.path}: {len(convs)} conversations, {turns} turns, {tokens} tokens")
    print(f"tokenizer only : {tok:7.3f} s  {len(texts) / tok:10,.0f} turns/s  (median of {args.repeat})")
    print(f"qscore annotate: {ann:7.3f} s  {turns / ann:10,.0f} turns/s")
    print(f"annotate / tokenizer time ratio: {ratio:.2f}x median of pairs (range {min(ratios):.2f}-{max(ratios):.2f}; "
          f"target <= 4x); throughput target 5,000 turns/s: {'met' if turns / ann >= 5000 else 'NOT met'}")


if __name__ == "__main__":
    main()
