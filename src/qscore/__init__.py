"""qscore: read customer-service transcripts, detect service behaviours, rate agents 1-3.

The data flow is the package layout: `read` -> `detect` -> `annotate` (and later
`features` -> `classify` -> `report`).

>>> from qscore import read_transcripts, annotate
>>> for records in annotate(read_transcripts("calls.jsonl")):
...     for r in records:
...         print(r["turn_index"], r["tags"])
"""

from .annotate import annotate, annotate_docs
from .read import TranscriptError, read_transcripts
from .transcript import Conversation, Turn

__all__ = ["Conversation", "Turn", "TranscriptError", "annotate", "annotate_docs", "read_transcripts"]
__version__ = "0.1.0"
