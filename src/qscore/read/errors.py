"""Errors about input files: always name the file, the line and what is wrong."""

from __future__ import annotations


class TranscriptError(ValueError):
    """A problem with one input record; `line` is 1-based, or None for a whole-file problem."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        self.text = ""  # for undecodable lines: the line with bad bytes replaced
        super().__init__(str(self))

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"
