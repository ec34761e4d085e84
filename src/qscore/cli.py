"""The `qscore` command: a thin typer layer over the library (parse arguments, call, print)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .read import FORMATS, TranscriptError, read_transcripts
from .transcript import Conversation

app = typer.Typer(
    name="qscore",
    help="Rate customer-service agents (service level 1-3) from call and chat transcripts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"qscore {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version.")] = False,
) -> None:
    """Rate customer-service agents (service level 1-3) from call and chat transcripts."""

Inputs = Annotated[list[str], typer.Argument(
    help="Transcript files, directories or globs (.jsonl .json .csv .tsv .txt .vtt .srt, optionally .gz); "
         "'-' reads JSONL from stdin.",
    show_default=False)]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", "-f", help=f"Input format when the suffix does not say: {', '.join(FORMATS)}.")]
AgentOpt = Annotated[list[str] | None, typer.Option(
    "--agent", help="Speaker name of the agent (repeatable); other speakers are customers.")]
RolesOpt = Annotated[Path | None, typer.Option(
    "--roles", help='Speaker-to-role map: JSON {"Maria": "agent"} or CSV speaker,role.',
    exists=True, dir_okay=False)]
SkipOpt = Annotated[bool, typer.Option(
    "--skip-invalid", help="Skip bad records (listed on stderr) instead of stopping.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")]


@contextmanager
def atomic_output(path: str) -> Iterator[TextIO]:
    """Write to a temporary file next to `path` and move it into place only on success, so a
    failed run never leaves partial output. '-' writes to stdout."""
    if path == "-":
        yield sys.stdout
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _progress(quiet: bool, label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TextColumn("conversations"),
        TimeElapsedColumn(), console=err, disable=quiet or not err.is_terminal, transient=True,
    )


def _read(inputs: list[str], fmt: str | None, agent: list[str] | None, roles: Path | None,
          skip_invalid: bool, skipped: list[TranscriptError]) -> Iterator[Conversation]:
    return read_transcripts(inputs, fmt=fmt, agent_names=agent or (), role_map=roles,
                            skip_invalid=skip_invalid, on_skip=skipped.append)


def _report_problems(skipped: list[TranscriptError], unsure: list[Conversation], quiet: bool) -> None:
    if skipped:
        err.print(f"[yellow]skipped {len(skipped)} invalid record(s):[/yellow]")
        for problem in skipped:
            err.print(f"  {problem}", markup=False, highlight=False)
    if unsure:
        err.print(f"[yellow]could not tell which speaker is the agent in {len(unsure)} conversation(s); "
                  "their roles are null (pass --agent NAME or --roles FILE):[/yellow]")
        for conv in unsure[:20]:
            err.print(f"  {conv.source}: {conv.conversation_id} (speakers: "
                      f"{', '.join(sorted({t.speaker for t in conv.turns}))})", markup=False, highlight=False)
        if len(unsure) > 20:
            err.print(f"  ... and {len(unsure) - 20} more")


def _fail(exc: TranscriptError) -> None:
    err.print("error:", style="red", end=" ")
    err.print(str(exc), markup=False, highlight=False)  # transcript text is not markup
    err.print("nothing was written; fix the input or pass --skip-invalid to skip bad records")
    raise typer.Exit(2)


@app.command("annotate")
def annotate_cmd(
    inputs: Inputs,
    output: Annotated[str, typer.Option("--output", "-o", help="Where to write turns JSONL ('-' for stdout).")] = "-",
    fmt: FormatOpt = None,
    agent: AgentOpt = None,
    roles: RolesOpt = None,
    skip_invalid: SkipOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Tag every turn with service behaviours and the words that show them (one JSON per turn)."""
    from .annotate import annotate

    skipped: list[TranscriptError] = []
    unsure: list[Conversation] = []
    counts = {"conversations": 0, "turns": 0}

    def watched() -> Iterator[Conversation]:
        for conv in _read(inputs, fmt, agent, roles, skip_invalid, skipped):
            if conv.role_source == "unknown":
                unsure.append(conv)
            yield conv

    try:
        with atomic_output(output) as out, _progress(quiet or output == "-", "annotating") as bar:
            task = bar.add_task("annotate", total=None)
            for records in annotate(watched()):
                for record in records:
                    out.write(json.dumps(record, ensure_ascii=False))
                    out.write("\n")
                counts["conversations"] += 1
                counts["turns"] += len(records)
                bar.advance(task)
    except TranscriptError as exc:
        _fail(exc)
    if not quiet:
        _report_problems(skipped, unsure, quiet)
        where = "stdout" if output == "-" else output
        err.print(f"annotated {counts['turns']} turns in {counts['conversations']} conversations -> {where}")


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    main()


@app.command("validate")
def validate_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder of labelled conversations (canonical JSONL).",
                                             exists=True, file_okay=False)] = Path("corpora/service"),
) -> None:
    """Check a labelled corpus against the schema and the tag vocabulary, and print its counts."""
    from rich.table import Table

    from .corpus import validate

    report = validate(directory)
    out = Console()
    out.print(f"{report.conversations} conversations, {report.agent_turns} agent turns, "
              f"{len(report.counts['agent'])} agents in {directory}")
    for name in ("level", "channel", "split", "hard_case", "domain", "tag"):
        table = Table(title=name, show_header=True)
        table.add_column(name)
        table.add_column("count", justify="right")
        table.add_column("share", justify="right")
        total = sum(report.counts[name].values()) or 1
        for key, count in sorted(report.counts[name].items(), key=lambda kv: (-kv[1], str(kv[0]))):
            table.add_row(str(key), str(count), f"{count / total:.0%}")
        out.print(table)
    per_agent = sorted(report.counts["agent"].values())
    if per_agent:
        out.print(f"conversations per agent: min {per_agent[0]}, max {per_agent[-1]}")
    if report.problems:
        for problem in report.problems:
            err.print(problem, markup=False, highlight=False)
        err.print(f"[red]{len(report.problems)} problem(s)[/red]")
        raise typer.Exit(1)
    out.print("[green]valid[/green]")
