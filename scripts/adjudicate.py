"""Apply reviewed tag corrections to the corpus, recorded in corpora/adjudication.jsonl.

Each line: {"conversation_id", "turn_index", "remove": [...], "add": [...], "why"}. Lines of the
corpus files that no correction touches stay byte-identical. Run again: corrections already in
place change nothing.

    python scripts/adjudicate.py
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    fixes = defaultdict(list)
    for line in (ROOT / "corpora" / "adjudication.jsonl").read_text("utf-8").splitlines():
        if line.strip():
            fix = json.loads(line)
            fixes[fix["conversation_id"]].append(fix)
    changed = 0
    for path in sorted((ROOT / "corpora" / "service").glob("*.jsonl")):
        lines = path.read_text("utf-8").splitlines()
        out = []
        for line in lines:
            record = json.loads(line)
            todo = fixes.get(record["conversation_id"])
            if todo:
                before = json.dumps(record["turns"])
                for fix in todo:
                    turn = record["turns"][fix["turn_index"]]
                    tags = [t for t in turn["tags"] if t not in fix.get("remove", [])]
                    tags += [t for t in fix.get("add", []) if t not in tags]
                    turn["tags"] = tags
                if json.dumps(record["turns"]) != before:
                    line = json.dumps(record, ensure_ascii=False)
                    changed += 1
            out.append(line)
        path.write_text("\n".join(out) + "\n", "utf-8")
    print(f"{sum(len(v) for v in fixes.values())} corrections, {changed} conversations rewritten")


if __name__ == "__main__":
    main()
