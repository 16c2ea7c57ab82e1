"""What the commands share: evidence inputs, atomic output, exit codes and the guard.

Exit codes of `framework-check`: 0 every input evaluated; 1 an input was invalid,
undetermined, not in force or failed to evaluate; 2 rule errors or wrong usage; 3
`--fail-on` matched; 4 an internal error (a bug, reported without a traceback unless
`--debug`).
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import attrs
import click

from framework_dsl.diagnostics import Diagnostic, render_all_text
from framework_dsl.evidence import DEFAULT_LIMITS, Limits
from framework_dsl.result import Result
from framework_dsl.ruleset import RuleSet

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_RULES = 2
EXIT_FAIL_ON = 3
EXIT_INTERNAL = 4


# ---------------------------------------------------------------- inputs


@attrs.frozen
class EvidenceInput:
    """One evidence document to evaluate: where it came from and its bytes (or why not)."""

    source: str
    data: bytes | None
    error: str | None = None


def iter_inputs(paths: tuple[str, ...], stdin: IO[bytes]) -> Iterator[EvidenceInput]:
    """Every evidence document named by `paths`, in order, read lazily."""
    for path_text in paths:
        if path_text == "-":
            yield from _stdin_inputs(stdin)
            continue
        path = Path(path_text)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl") and p.is_file())
            if not files:
                yield EvidenceInput(path_text, None, "the folder holds no .json or .jsonl files")
            for file in files:
                yield from _file_inputs(file, str(file))
        else:
            yield from _file_inputs(path, path_text)


def _file_inputs(path: Path, shown: str) -> Iterator[EvidenceInput]:
    try:
        if path.suffix == ".jsonl":
            with path.open("rb") as handle:
                for number, line in enumerate(handle, start=1):
                    if line.strip():
                        yield EvidenceInput(f"{shown}:{number}", line)
            return
        yield EvidenceInput(shown, path.read_bytes())
    except FileNotFoundError:
        yield EvidenceInput(shown, None, "there is no such file")
    except IsADirectoryError:
        yield EvidenceInput(shown, None, "this is a folder")
    except OSError as error:
        yield EvidenceInput(shown, None, f"the file cannot be read: {error.strerror}")


def _stdin_inputs(stdin: IO[bytes]) -> Iterator[EvidenceInput]:
    data = stdin.read()
    lines = [line for line in data.splitlines() if line.strip()]
    if len(lines) > 1 and all(line.lstrip().startswith(b"{") for line in lines):
        import json

        try:
            json.loads(data)
        except ValueError:
            for number, line in enumerate(data.splitlines(), start=1):
                if line.strip():
                    yield EvidenceInput(f"<stdin>:{number}", line)
            return
    yield EvidenceInput("<stdin>", data)


def evaluate_input(
    rule_set: RuleSet,
    item: EvidenceInput,
    *,
    as_of: datetime.date | None,
    framework: str | None,
    explain: bool,
    limits: Limits = DEFAULT_LIMITS,
) -> Result:
    """Evaluate one input; an unreadable input gives an `invalid_evidence` result."""
    if item.data is None:
        problem = Diagnostic(
            code="evidence.unreadable",
            message=item.error or "the evidence cannot be read",
            document=item.source,
            pointer="",
        )
        return Result(
            framework=framework,
            framework_title=None,
            rules_digest=rule_set.digest,
            source=item.source,
            subject=None,
            as_of=as_of,
            status="invalid_evidence",
            problems=(problem,),
        )
    return rule_set.evaluate_json(
        item.data, as_of, framework=framework, source=item.source, explain=explain, limits=limits
    )


# ---------------------------------------------------------------- output


@contextlib.contextmanager
def atomic_output(path: str | None) -> Iterator[IO[str]]:
    """Standard output, or a temporary file renamed onto `path` only when complete."""
    if path is None or path == "-":
        yield sys.stdout
        return
    target = Path(path)
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.",
        suffix=".tmp", delete=False,
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


def _report_rule_errors(diagnostics: list[Diagnostic]) -> None:
    click.echo(render_all_text(diagnostics), err=True, nl=False)


def _parse_date(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime.date | None:
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD, for example 2019-03-01") from None


def _guard(debug: bool, run: Callable[[], int]) -> int:
    try:
        return run()
    except click.exceptions.Exit:
        raise
    except click.ClickException:
        raise
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`); nothing left to say
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115, PTH123 - silence the flush at exit
        return EXIT_INPUT
    except Exception:  # noqa: BLE001 - the last line of defence: never a traceback for users
        click.echo(
            "framework-dsl: internal error, please report it with the command you ran"
            + ("" if debug else " (add --debug to see the details)"),
            err=True,
        )
        if debug:
            click.echo(traceback.format_exc(), err=True)
        return EXIT_INTERNAL


