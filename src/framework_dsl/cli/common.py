"""What the commands share: evidence inputs, atomic output, exit codes and the guard.

Exit codes of `framework-check`: 0 every input evaluated; 1 an input was invalid,
undetermined, not in force or failed to evaluate; 2 rule errors, wrong usage or a
report that cannot be written; 3 `--fail-on` matched; 4 an internal error (a bug,
reported without a traceback unless `--debug`).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import os
import signal
import stat
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from framework_dsl.diagnostics import Diagnostic, Severity, render_all_text
from framework_dsl.evidence import DEFAULT_LIMITS, Limits
from framework_dsl.inputs import EvidenceInput, evaluate_input, iter_inputs, iter_sources

__all__ = ["EvidenceInput", "evaluate_input", "iter_inputs", "iter_sources"]

EXIT_OK = 0
EXIT_INPUT = 1
EXIT_RULES = 2
EXIT_FAIL_ON = 3
EXIT_INTERNAL = 4


# ---------------------------------------------------------------- output


_OUTPUT_BUFFER = 1 << 20  # results are written in large pieces, not a system call each
_WRITEBACK_EVERY = 0.25  # seconds between flushes to disk of a report being written


class Writeback:
    """Sends what has been written of a report to the disk every `every` seconds while it
    is still being written, so the `fsync` before the rename waits only for the last part.

    A thread of its own does it, from `start()` until `stop()` (or the end of a `with`);
    the call releases the interpreter's lock, so evaluation goes on meanwhile. On a
    20,000-document cqc report (120 MB) the final `fsync` took 48 ms without it and 6 ms
    with it. `start()` only once any worker processes have been started: a process that
    forks must have no other thread (Python 3.12 warns of it). An error stops the
    flushing; the final `fsync` reports it. For standard output (`handle` None) it does
    nothing.
    """

    def __init__(self, handle: IO[bytes] | None, every: float = _WRITEBACK_EVERY) -> None:
        self._descriptor = None if handle is None else handle.fileno()
        self._every = every
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin flushing (again: nothing more)."""
        if self._thread is None and self._descriptor is not None:
            self._thread = threading.Thread(
                target=self._run, args=(self._descriptor,), name="framework-dsl writeback", daemon=True
            )
            self._thread.start()

    def _run(self, descriptor: int) -> None:
        sync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync
        while not self._done.wait(self._every):
            try:
                sync(descriptor)
            except OSError:
                return

    def stop(self) -> None:
        """Stop, after a flush under way (the file must stay open until then)."""
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Writeback:
        return self

    def __exit__(self, *exception: object) -> None:
        self.stop()


@contextlib.contextmanager
def atomic_output(path: str | None) -> Iterator[IO[bytes]]:
    """Standard output, or a temporary file renamed onto `path` only when complete; both take bytes.

    All of the file's data is on the disk before the rename (`Writeback` sends it there
    earlier, while it is written).
    """
    if path is None or path == "-":
        sys.stdout.flush()
        stdout = _StandardOutput()
        try:
            yield stdout  # type: ignore[misc]
        finally:
            stdout.flush()
        return
    target = Path(path)
    try:
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, then renamed or removed
            "wb",
            buffering=_OUTPUT_BUFFER,
            dir=target.parent if str(target.parent) else ".",
            prefix=f".{target.name}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as error:
        raise ReportNotWritten(target, error) from error
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _report_mode(target))
        _still_replaceable(target)
        os.replace(handle.name, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        # Writing the report is the only file work here (evidence that cannot be read is
        # a result of its own); a closed standard error is the guard's to handle.
        if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
            raise ReportNotWritten(target, error) from error
        raise


def refuse_output_target(output: str | None, inputs: Iterable[str], rule_roots: Iterable[Path]) -> None:
    """Refuse an `--output` that names anything but a regular file or a new path, or an input.

    Checked before any work, so nothing is evaluated for a report that could not be put
    there: a device (`/dev/null`), a named pipe, a folder or a symbolic link is never
    replaced, and neither is an evidence file (or a `.json`/`.jsonl` file in an evidence
    folder) or a rule file.
    """
    if output is None or output == "-":
        return
    target = Path(output)
    try:
        status = target.lstat()
    except FileNotFoundError:
        return  # a new path
    except OSError as error:
        raise ReportNotWritten(target, error) from error
    if stat.S_ISLNK(status.st_mode):
        raise ReportRefused(target, "it is a symbolic link; name the file itself")
    if not stat.S_ISREG(status.st_mode):
        raise ReportRefused(
            target, "it is not a regular file (a device, a pipe or a folder); write to `-` and redirect instead"
        )
    resolved = target.resolve()
    for text in inputs:
        if text == "-":
            continue
        path = Path(text)
        with contextlib.suppress(OSError):
            if path.is_dir():
                if resolved.is_relative_to(path.resolve()) and resolved.suffix in (".json", ".jsonl"):
                    raise ReportRefused(target, f"it is evidence in the folder `{text}`, an input of this run")
            elif path.exists() and path.samefile(target):
                raise ReportRefused(target, "it is evidence this run reads")
    for root in rule_roots:
        with contextlib.suppress(OSError):
            folder = root.resolve() if root.is_dir() else root.absolute().parent.resolve()
            if resolved.suffix == ".fw" and resolved.is_relative_to(folder):
                raise ReportRefused(target, "it is a rule file this run reads")


class ReportRefused(click.ClickException):
    """`--output` names something a report must never replace; nothing was written or evaluated."""

    exit_code = 2

    def __init__(self, target: Path, why: str) -> None:
        super().__init__(f"will not write the report to `{target}`: {why} (nothing was changed)")


class ReportNotWritten(click.ClickException):
    """The report could not be written where `--output` says; any report already there is unchanged."""

    exit_code = 2

    def __init__(self, target: Path, error: OSError) -> None:
        reason = error.strerror or str(error)
        hints = {
            errno.ENOENT: f"the folder `{target.parent}` does not exist",
            errno.EACCES: "choose a folder you may write to",
            errno.EPERM: "choose a folder you may write to",
            errno.ENOSPC: "free some space, or write the report elsewhere",
            errno.EROFS: "the folder is read-only; write the report elsewhere",
        }
        hint = hints.get(error.errno) if error.errno is not None else None
        super().__init__(
            f"cannot write the report to `{target}`: {reason}"
            + (f"; {hint}" if hint else "")
            + " (any report already there is unchanged)"
        )


def _still_replaceable(target: Path) -> None:
    """Refuse, at the last moment, a target that has become something other than a regular file."""
    try:
        status = target.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(status.st_mode):
        raise ReportRefused(target, "it is no longer a regular file (it changed while the report was written)")


class _StandardOutput:
    """Bytes for standard output, passed on in pieces of about `_OUTPUT_BUFFER // 16`.

    Standard output may be a text stream with no binary buffer underneath (a test's
    capture, an embedding program's replacement); then the bytes are decoded for it.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

    def write(self, data: bytes) -> int:
        self._parts.append(data)
        self._size += len(data)
        if self._size >= _OUTPUT_BUFFER // 16:
            self.flush()
        return len(data)

    def flush(self) -> None:
        data = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        binary = getattr(sys.stdout, "buffer", None)
        if binary is not None:
            binary.write(data)
            binary.flush()
        else:
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()


def _report_mode(target: Path) -> int:
    """The mode a report gets: the old report's, else an ordinary new file's (0666 less the umask)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        pass
    umask = os.umask(0)  # reading the umask means setting it; put it straight back
    os.umask(umask)
    return 0o666 & ~umask


def terminate_cleanly() -> None:
    """Turn SIGTERM into a normal exit, so an unfinished report's temporary file is removed."""
    with contextlib.suppress(ValueError, OSError):  # not the main thread, or no signals here
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def version_option(command_name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`--version`: the engine's version and the digest of the bundled rules, then exit 0.

    The digest is the `rules_digest` a result carries when the bundled rules decided it,
    so a report can be matched to the installation that wrote it.
    """

    def show(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if not value or ctx.resilient_parsing:
            return
        click.echo(version_text(command_name))
        ctx.exit(EXIT_OK)

    return click.option(
        "--version",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=show,
        help="Show the engine version and the digest of the bundled rules, and exit.",
    )


def version_text(command_name: str) -> str:
    """What `--version` prints: `NAME VERSION`, then the bundled rules' digest and frameworks."""
    from importlib.metadata import PackageNotFoundError, version

    from framework_dsl import __version__
    from framework_dsl.ruleset import check_rules

    try:
        engine = version("framework-dsl")
    except PackageNotFoundError:  # run from a source tree that is not installed
        engine = __version__
    rule_set, diagnostics = check_rules()
    if rule_set is None:
        errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
        noun = "error" if errors == 1 else "errors"
        rules = f"bundled rules: they do not check ({errors} {noun}; run `framework-dsl check`)"
    else:
        rules = f"bundled rules: {rule_set.digest} ({', '.join(sorted(rule_set.frameworks))})"
    python = ".".join(str(part) for part in sys.version_info[:3])
    return f"{command_name} {engine} (Python {python})\n{rules}"


def report_rule_errors(diagnostics: list[Diagnostic]) -> None:
    """Every problem of rules that do not check, on standard error."""
    click.echo(render_all_text(diagnostics), err=True, nl=False)


def parse_date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime.date | None:
    """The click callback of a `--as-of`-style option: a date, or a usage error saying how to write one."""
    if value is None:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write YYYY-MM-DD, for example 2019-03-01") from None


def guard(debug: bool, run: Callable[[], int]) -> int:
    """Run a command body: its exit status, user errors as click shows them, never a traceback without --debug."""
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
    except Exception:
        click.echo(
            "framework-dsl: internal error, please report it with the command you ran"
            + ("" if debug else " (add --debug to see the details)"),
            err=True,
        )
        if debug:
            click.echo(traceback.format_exc(), err=True)
        return EXIT_INTERNAL


Command = TypeVar("Command", bound=Callable[..., Any])

# What each evidence limit option says where a command applies it (`{status}`: the
# HTTP status the service answers with), and where a command only states it.
LIMIT_HELP = {
    "max_bytes": "Refuse an evidence document larger than this many bytes{status}.",
    "max_depth": "Refuse evidence nested deeper than this{status}.",
    "max_items": "Refuse an evidence list longer than this{status}.",
    "max_text": "Refuse an evidence text longer than this many characters{status}.",
}
LIMIT_HELP_STATED = {
    "max_bytes": "The largest evidence document, in bytes, to state.",
    "max_depth": "The deepest nesting of evidence to state.",
    "max_items": "The longest evidence list to state.",
    "max_text": "The longest evidence text, in characters, to state.",
}


def limit_options(
    defaults: Limits = DEFAULT_LIMITS, *, stated: bool = False, status: dict[str, str] | None = None
) -> Callable[[Command], Command]:
    """The four `--max-*` options of the evidence limits (`Limits`), as every command that
    applies (or, `stated`, describes) them takes them: `max_bytes`, `max_depth`, `max_items`, `max_text`."""
    texts = LIMIT_HELP_STATED if stated else LIMIT_HELP

    def decorate(command: Command) -> Command:
        for name in reversed(LIMIT_HELP):
            note = (status or {}).get(name, "")
            command = click.option(
                "--" + name.replace("_", "-"),
                name,
                type=click.IntRange(min=1),
                default=getattr(defaults, name),
                show_default=True,
                help=texts[name].format(status=f" ({note})" if note else ""),
            )(command)
        return command

    return decorate


def limits_of(max_bytes: int, max_depth: int, max_items: int, max_text: int) -> Limits:
    """The `Limits` the `--max-*` options give."""
    return Limits(max_bytes=max_bytes, max_depth=max_depth, max_items=max_items, max_text=max_text)
