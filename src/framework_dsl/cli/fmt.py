"""`framework-dsl fmt [--check] [--diff] RULES...`: rewrite rule files in the canonical layout.

Without options, every file whose text would change is rewritten in place (a temporary
file beside it, then `os.replace`, so a reader never sees half a file). `--check`
writes nothing, lists the files that would change and exits 1 if there are any; `--diff`
writes nothing and prints a unified diff of each change. A file that does not parse is
never written: its diagnostics go to standard error and the command exits 2.

`fmt -` reads one rule file from standard input and writes it, laid out, to standard
output (for editors); with `--check` it writes nothing and only exits 0 or 1, with
`--diff` it writes the diff. Text that does not parse gives its diagnostics on standard
error, nothing on standard output, and exit 2.

Exit codes: 0 nothing to do (or everything rewritten); 1 `--check` found files to
change; 2 a file did not parse, could not be read, or a path does not exist; 4 an
internal error (the formatter's own output failed its round-trip check).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import sys
import tempfile
from pathlib import Path

import click

from framework_dsl.cli.common import EXIT_INTERNAL, EXIT_OK, EXIT_RULES, guard
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.diagnostics import render_all_text
from framework_dsl.formatter import FormatError, format_source
from framework_dsl.resources import bundled_rules_root

EXIT_WOULD_CHANGE = 1


def rule_files(paths: tuple[str, ...]) -> tuple[list[Path], list[str], list[tuple[str, bool]]]:
    """The `.fw` files named by `paths` (folders searched recursively, sorted), the paths
    that do not exist, and the paths skipped because they are not regular files inside
    their folder (each with whether it was named itself, which makes the command fail).

    As the loader does, each folder (or a named file's own folder) is a root: a file, or
    a symbolic link, that resolves outside it is never read, so its contents cannot reach
    a diagnostic or a rewritten file. A link inside the root is formatted through: its
    target is rewritten, the link stays a link.
    """
    files: list[Path] = []
    missing: list[str] = []
    skipped: list[tuple[str, bool]] = []
    for text in paths or (str(bundled_rules_root()),):
        path = Path(text)
        if path.is_dir():
            root = path.resolve()
            for found in sorted(path.rglob("*.fw")):
                if not _inside(found, root):
                    skipped.append((f"{found}: skipped, it leads outside the folder `{path}`", False))
                elif found.is_file():
                    files.append(found)
        elif path.is_file():
            if _inside(path, path.absolute().parent.resolve()):
                files.append(path)
            else:
                skipped.append((f"{path}: not formatted, it is a link to a file outside its folder", True))
        elif path.exists() or path.is_symlink():
            skipped.append((f"{path}: not formatted, it is not a regular file", True))
        else:
            missing.append(text)
    seen: set[Path] = set()
    unique = []
    for file in files:
        resolved = file.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(file)
    return unique, missing, skipped


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a loop of links
        return False


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8, `\\n` endings) in one step, keeping its mode."""
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, before the rename
        "w", encoding="utf-8", newline="", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            shutil.copymode(path, handle.name)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


@framework_dsl.command("fmt")
@click.argument("rules", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Write nothing; list the files that would change and exit 1 if any.")
@click.option("--diff", is_flag=True, help="Write nothing; print a unified diff of each change.")
@click.option("--debug", is_flag=True, hidden=True)
def fmt_command(rules: tuple[str, ...], check: bool, diff: bool, debug: bool) -> None:
    """Lay out rule files in the one canonical style.

    RULES are files or folders (default: the bundled rules), rewritten in place; every
    comment is kept and the meaning never changes. `-` reads a rule file from standard
    input and writes it to standard output. Exit status: 0 done; 1 --check found files
    to change; 2 a file does not parse or cannot be read.
    """

    def run() -> int:
        if "-" in rules:
            if len(rules) > 1:
                raise click.UsageError("`-` (standard input) cannot be combined with files or folders")
            return _format_stdin(check, diff)
        files, missing, skipped = rule_files(rules)
        status = EXIT_OK
        for text in missing:
            click.echo(f"framework-dsl fmt: {text}: there is no such file or folder", err=True)
            status = EXIT_RULES
        for problem, named in skipped:
            click.echo(f"framework-dsl fmt: {problem}", err=True)
            if named:
                status = EXIT_RULES
        changed = failed = 0
        for path in files:
            try:
                original = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError) as error:
                reason = "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else error.strerror
                click.echo(f"framework-dsl fmt: {path}: cannot be read ({reason})", err=True)
                status = EXIT_RULES
                failed += 1
                continue
            try:
                formatted, diagnostics = format_source(original, str(path))
            except FormatError as error:
                click.echo(f"framework-dsl fmt: internal error, {error}; the file was left alone", err=True)
                status = max(status, EXIT_INTERNAL)
                failed += 1
                continue
            if formatted is None:
                click.echo(render_all_text(diagnostics), err=True, nl=False)
                status = max(status, EXIT_RULES)
                failed += 1
                continue
            if formatted == original:
                continue
            changed += 1
            if diff:
                click.echo(
                    "".join(
                        difflib.unified_diff(
                            original.splitlines(keepends=True),
                            formatted.splitlines(keepends=True),
                            f"{path} (original)",
                            f"{path} (formatted)",
                        )
                    ),
                    nl=False,
                )
            if check:
                click.echo(f"would reformat {path}")
            elif not diff:
                write_atomically(path.resolve(), formatted)  # through a link inside the root: the link stays
                click.echo(f"reformatted {path}")
        if status == EXIT_OK and check and changed:
            status = EXIT_WOULD_CHANGE
        noun = "file" if changed == 1 else "files"
        verb = "would change" if check or diff else "reformatted"
        summary = f"{changed} {noun} {verb}, {len(files) - changed - failed} unchanged"
        if failed:
            summary += f", {failed} not formatted"
        click.echo(summary, err=True)
        return status

    sys.exit(guard(debug, run))


STDIN_NAME = "<stdin>"


def _format_stdin(check: bool, diff: bool) -> int:
    """`fmt -`: standard input laid out onto standard output (or checked, or diffed)."""
    stdin = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
    data = stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8")
    try:
        original = data.decode("utf-8")
    except UnicodeDecodeError:
        click.echo(f"framework-dsl fmt: {STDIN_NAME}: cannot be read (it is not UTF-8 text)", err=True)
        return EXIT_RULES
    try:
        formatted, diagnostics = format_source(original, STDIN_NAME)
    except FormatError as error:
        click.echo(f"framework-dsl fmt: internal error, {error}; nothing was written", err=True)
        return EXIT_INTERNAL
    if formatted is None:
        click.echo(render_all_text(diagnostics), err=True, nl=False)
        return EXIT_RULES
    if check:
        return EXIT_WOULD_CHANGE if formatted != original else EXIT_OK
    if diff:
        lines = difflib.unified_diff(
            original.splitlines(keepends=True),
            formatted.splitlines(keepends=True),
            f"{STDIN_NAME} (original)",
            f"{STDIN_NAME} (formatted)",
        )
        click.echo("".join(lines), nl=False)
        return EXIT_OK
    click.echo(formatted, nl=False)
    return EXIT_OK
