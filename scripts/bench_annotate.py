"""Annotate throughput against spaCy's bare tokenizer over the same text, in the same run.

    python scripts/bench_annotate.py [TRANSCRIPTS.jsonl] [--repeat 7] [--gc-default]

Default input: ../shared/data/swda/dev.jsonl (real telephone speech, 41,712 turns). Times the
tokenizer alone over every turn's text (the baseline) and `qscore.annotate` (building
conversation Docs, running every detector, producing the turn records), interleaved eight
conversations at a time so that both see the same machine speed; prints the per-run times and
the median over --repeat runs of the annotate / tokenizer ratio. Reading the file is done once,
outside the timings. Targets: >= 5,000 turns/s and annotate time <= 4x the tokenizer's.
`--gc-default` keeps Python's default garbage-collector thresholds inside annotate (which
otherwise raises them per batch, `qscore.annotate._rare_collections`), to measure what that buys.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import qscore.annotate
from qscore import read_transcripts
from qscore.annotate import annotate
from qscore.detect import make_pipeline

CHUNK = 8  # conversations per interleaved timing step
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "swda" / "dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--gc-default", action="store_true",
                        help="keep Python's default collector thresholds during annotate")
    args = parser.parse_args()
    if args.gc_default:
        qscore.annotate.BATCH_GC_THRESHOLDS = (0, 0)  # max(default, 0): the defaults stay

    convs = list(read_transcripts(args.path))
    texts = [t.text for c in convs for t in c.turns]
    nlp = make_pipeline()
    tokenizer = nlp.tokenizer

    # Chunks of a few conversations, each timed with the tokenizer then with annotate: the
    # machine's speed drifts (shared host), and interleaving finely gives both the same drift.
    chunks = [convs[i:i + CHUNK] for i in range(0, len(convs), CHUNK)]
    chunk_texts = [[t.text for c in chunk for t in c.turns] for chunk in chunks]

    def run_pair() -> tuple[float, float, int, int]:
        tok_time = ann_time = 0.0
        tokens = turns = 0
        for chunk, texts_ in zip(chunks, chunk_texts):
            t0 = time.perf_counter()
            tokens += sum(len(doc) for doc in tokenizer.pipe(texts_, batch_size=1000))
            t1 = time.perf_counter()
            turns += sum(len(records) for records in annotate(chunk, nlp))
            t2 = time.perf_counter()
            tok_time += t1 - t0
            ann_time += t2 - t1
        return tok_time, ann_time, tokens, turns

    run_pair()  # warm caches (lexicon, vocab) once
    tok_times, ann_times, ratios = [], [], []
    for _ in range(args.repeat):
        tok_time, ann_time, tokens, turns = run_pair()
        tok_times.append(tok_time)
        ann_times.append(ann_time)
        ratios.append(ann_time / tok_time)
    tok, ann, ratio = statistics.median(tok_times), statistics.median(ann_times), statistics.median(ratios)
    print("per run (tokenizer, annotate):", " ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(tok_times, ann_times)))
    print(f"input: {args.path}: {len(convs)} conversations, {turns} turns, {tokens} tokens")
    print(f"tokenizer only : {tok:7.3f} s  {len(texts) / tok:10,.0f} turns/s  (median of {args.repeat})")
    print(f"qscore annotate: {ann:7.3f} s  {turns / ann:10,.0f} turns/s")
    print(f"annotate / tokenizer time ratio: {ratio:.2f}x median of pairs (range {min(ratios):.2f}-{max(ratios):.2f}; "
          f"target <= 4x); throughput target 5,000 turns/s: {'met' if turns / ann >= 5000 else 'NOT met'}")


if __name__ == "__main__":
    main()
