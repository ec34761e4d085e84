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
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes files private; outputs are ordinary files
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


def _report_problems(skipped: list[TranscriptError], unsure: list[Conversation]) -> None:
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
        _report_problems(skipped, unsure)
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


# -- levels: train, evaluate, score ------------------------------------------------------------
ModelOpt = Annotated[Path | None, typer.Option(
    "--model", "-m",
    help="Model file (.joblib with its .card.json); default: $QSCORE_MODEL, else the shipped "
         "models/qscore-levels.joblib, else ./models/qscore-levels.joblib.")]


def _print_metrics(title: str, metrics: dict) -> None:
    from rich.table import Table

    out = Console()
    out.print(f"[bold]{title}[/bold]: accuracy {metrics['accuracy']:.3f}  macro-F1 {metrics['macro_f1']:.3f}  "
              f"QWK {metrics['qwk']:.3f}  (n={metrics['n']})")
    table = Table(title="confusion (rows: true level, columns: predicted)")
    table.add_column("true")
    for level in (1, 2, 3):
        table.add_column(str(level), justify="right")
    for level, row in zip((1, 2, 3), metrics["confusion"]):
        table.add_row(str(level), *map(str, row))
    out.print(table)


def _load_labelled_or_exit(data: list[str]):
    from .data import load_labelled

    try:
        return load_labelled(data)
    except TranscriptError as exc:
        err.print("error:", style="red", end=" ")
        err.print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None


def _prepare_with_progress(conversations, quiet: bool):
    from .score import prepare

    items = []
    with _progress(quiet, "annotating") as bar:
        task = bar.add_task("annotate", total=len(conversations) if isinstance(conversations, list) else None)
        for item in prepare(conversations):
            items.append(item)
            bar.advance(task)
    return items


@app.command("train")
def train_cmd(
    data: Annotated[list[str], typer.Argument(
        help="Labelled conversations: .jsonl/.json/.parquet/.csv files or a dataset name.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Where to write the model (.joblib; the card goes beside it).")] = Path(
        "models/qscore-levels.joblib"),
    seed: Annotated[int, typer.Option(help="Seed for the folds and the model: same data and seed, same model.")] = 0,
    folds: Annotated[int, typer.Option(help="Cross-validation folds (grouped by agent).")] = 5,
    c: Annotated[float, typer.Option("--C", help="Inverse regularisation strength of the logistic models.")] = 0.3,
    min_macro_f1: Annotated[float | None, typer.Option(
        "--min-macro-f1", help="Refuse (exit 1, write nothing) when cross-validated macro-F1 is below this.")] = None,
    baseline: Annotated[Path | None, typer.Option(
        "--baseline", help="Refuse (exit 1) when worse than this model's recipe on the same folds and data.")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Train the level classifier; report agent-grouped cross-validation; write model and card."""
    import numpy as np
    from sklearn.base import clone

    from .classify import ModelError, agent_folds, build_pipeline, cross_validate, load_model, save_model
    from .data import fingerprint

    conversations = _load_labelled_or_exit(data)
    items = _prepare_with_progress(conversations, quiet)
    y = np.array([item.level for item in items])
    groups = [item.agent_id or item.conversation_id for item in items]
    n_agents = len(set(groups))
    if n_agents < folds:
        err.print(f"[red]error:[/red] {n_agents} agents: need at least {folds} for {folds}-fold agent-grouped CV")
        raise typer.Exit(2)
    splits = agent_folds(y, groups, seed, folds)
    pipeline = build_pipeline(seed=seed, C=c)
    metrics, _ = cross_validate(pipeline, items, y, splits)
    _print_metrics(f"cross-validated, {folds} folds grouped by agent ({n_agents} agents)", metrics)
    comparison = None
    if baseline is not None:
        try:
            base = load_model(baseline)
        except ModelError as exc:
            err.print(f"[red]error:[/red] {exc}", markup=False)
            raise typer.Exit(2) from None
        base_metrics, _ = cross_validate(clone(base.pipeline), items, y, splits)
        comparison = {"baseline": str(baseline), "baseline_macro_f1": base_metrics["macro_f1"],
                      "baseline_qwk": base_metrics["qwk"]}
        Console().print(f"baseline {baseline} on the same folds: macro-F1 {base_metrics['macro_f1']:.3f} "
                        f"QWK {base_metrics['qwk']:.3f}")
        if metrics["macro_f1"] < base_metrics["macro_f1"]:
            err.print(f"[red]refused:[/red] macro-F1 {metrics['macro_f1']:.3f} is below the baseline's "
                      f"{base_metrics['macro_f1']:.3f}; nothing written")
            raise typer.Exit(1)
    if min_macro_f1 is not None and metrics["macro_f1"] < min_macro_f1:
        err.print(f"[red]refused:[/red] macro-F1 {metrics['macro_f1']:.3f} is below --min-macro-f1 {min_macro_f1}; "
                  "nothing written")
        raise typer.Exit(1)
    pipeline.fit(items, y)
    card = {
        "name": out.stem,
        "data": {"sources": [str(d) for d in data], "fingerprint": fingerprint(conversations),
                 "conversations": len(items), "agents": n_agents,
                 "levels": {str(k): int((y == k).sum()) for k in (1, 2, 3)}},
        "training": {"seed": seed, "folds": folds, "grouped_by": "agent", "C": c, "model": "OrdinalLogistic"},
        "metrics": {"cross_validated": metrics, **({"baseline": comparison} if comparison else {})},
    }
    card = save_model(pipeline, out, card)
    Console().print(f"model written: {out} (sha256 {card['sha256'][:12]}...), card: {out.with_suffix('.card.json')}")


@app.command("evaluate")
def evaluate_cmd(
    data: Annotated[list[str], typer.Argument(help="Labelled conversations (as for train).")],
    model_path: ModelOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Print accuracy, macro-F1, QWK and the confusion matrix of a model on labelled data."""
    from .classify import ModelError, load_model
    from .metrics import level_scores
    from .score import score

    try:
        model = load_model(model_path)
    except ModelError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=False)
        raise typer.Exit(2) from None
    conversations = _load_labelled_or_exit(data)
    items = _prepare_with_progress(conversations, quiet)
    result = score(items, model)
    gold = [item.level for item in items]
    _print_metrics("conversations", level_scores(gold, [r["level"] for r in result.conversations]))
    from .classify import agent_levels

    truth = agent_levels(gold, [item.agent_id for item in items])
    agents = [a for a in result.agents if a["agent_id"] in truth]
    _print_metrics("agents", level_scores([truth[a["agent_id"]] for a in agents], [a["level"] for a in agents]))


CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value) -> str:
    """Transcript-derived text must not run as a formula when a spreadsheet opens the file."""
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return "'" + text if text.startswith(CSV_RISKY) else text


def _write_rows(fh: TextIO, rows: list[dict], fmt: str) -> None:
    if fmt == "jsonl":
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    import csv

    if not rows:
        return
    writer = csv.writer(fh)
    keys = list(rows[0])
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_csv_cell(row.get(k, "")) for k in keys])


@app.command("score")
def score_cmd(
    inputs: Inputs,
    output: Annotated[str, typer.Option("--output", "-o", help="Per-conversation results ('-' for stdout).")] = "-",
    agents_out: Annotated[str | None, typer.Option("--agents", help="Per-agent results file.")] = None,
    out_format: Annotated[str, typer.Option("--format", help="Output format: jsonl or csv.")] = "jsonl",
    model_path: ModelOpt = None,
    in_format: Annotated[str | None, typer.Option(
        "--input-format", help=f"Input format: {', '.join(FORMATS)}.")] = None,
    agent: AgentOpt = None,
    roles: RolesOpt = None,
    skip_invalid: SkipOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Rate every conversation and agent at service level 1, 2 or 3, with probabilities and reasons."""
    from rich.table import Table

    from .classify import ModelError, load_model
    from .score import score

    if out_format not in ("jsonl", "csv"):
        err.print(f"[red]error:[/red] --format must be jsonl or csv, got {out_format!r}")
        raise typer.Exit(2)
    try:
        model = load_model(model_path)
    except ModelError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=False)
        raise typer.Exit(2) from None
    skipped: list[TranscriptError] = []
    try:
        conversations = list(_read(inputs, in_format, agent, roles, skip_invalid, skipped))
    except TranscriptError as exc:
        _fail(exc)
    unsure = [c for c in conversations if c.role_source == "unknown"]
    items = _prepare_with_progress(conversations, quiet or output == "-")
    # no agent turn, nothing to rate: say so rather than rate an empty conversation
    unrated = [item for item in items if not item.agent_turns]
    items = [item for item in items if item.agent_turns]
    result = score(items, model)
    conv_rows = result.conversations
    agent_rows = result.agents
    if out_format == "csv":
        conv_rows = [{**r, "probabilities": json.dumps(r["probabilities"]), "reasons": "; ".join(
            f"{x['feature']} {x['effect']:+.2f}" for x in r["reasons"])} for r in conv_rows]
        agent_rows = [{**r, "probabilities": json.dumps(r["probabilities"]), "levels": json.dumps(r["levels"]),
                       "profile": json.dumps(r["profile"])} for r in agent_rows]
    with atomic_output(output) as fh:
        _write_rows(fh, conv_rows, out_format)
    if agents_out:
        with atomic_output(agents_out) as fh:
            _write_rows(fh, agent_rows, out_format)
    if unrated:
        err.print(f"[yellow]not rated: {len(unrated)} conversation(s) with no agent turn "
                  "(pass --agent NAME or --roles FILE):[/yellow] " + ", ".join(i.conversation_id for i in unrated[:20]),
                  markup=True, highlight=False)
    if not quiet:
        _report_problems(skipped, unsure)
        table = Table(title=f"service level per agent ({model.path.name})")
        for name, justify in (("agent", "left"), ("level", "right"), ("P(1)", "right"), ("P(2)", "right"),
                              ("P(3)", "right"), ("conversations", "right"), ("levels 1/2/3", "right")):
            table.add_column(name, justify=justify)
        for row in result.agents:
            p = row["probabilities"]
            table.add_row(str(row["agent_id"]), str(row["level"]), *(f"{p.get(k, 0.0):.2f}" for k in ("1", "2", "3")),
                          str(row["conversations"]), "/".join(str(row["levels"][k]) for k in ("1", "2", "3")))
        err.print(table)
