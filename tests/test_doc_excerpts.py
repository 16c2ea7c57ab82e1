"""Excerpts quoted in README.md and docs/ stay true to what they quote.

A fenced block says what it quotes in its info string:

- ```` ```fw excerpt=rules/clas/clas.fw ````: lines of that file, in the file's order.
  Each line is a line of the file, whole and with its indentation; a line ending in
  `...` stands for a line that starts with what comes before the `...`; a line that is
  only `...` (indented or not) and blank lines stand for lines left out.
- ```` ```text output-of="framework-check examples/clas/partial.json --format text" ````:
  consecutive lines of what that command prints, run from the repository's root with
  the installed commands. Indentation common to the excerpt's lines may differ from the
  output's; `...` at a line's end works as above.

So a quoted clause whose line moved, or output whose wording changed, fails here.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"^```(\w+)[ \t]+([^\n]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]


def _excerpts(kind: str) -> list[tuple[str, str, str]]:
    found = []
    for page in PAGES:
        for _, info, body in BLOCK.findall(page.read_text(encoding="utf-8")):
            options = dict(word.split("=", 1) for word in shlex.split(info) if "=" in word)
            if kind in options:
                found.append((str(page.relative_to(REPO)), options[kind], body))
    return found


def _matches(quoted: str, real: str) -> bool:
    if quoted.endswith("..."):
        return real.startswith(quoted[:-3])
    return quoted == real


def _elided(line: str) -> bool:
    return not line.strip() or line.strip() == "..."


def test_the_readme_quotes_rules_and_output() -> None:
    """The README's rule excerpt and its output excerpt are both checked (the markers have not been lost)."""
    assert [target for page, target, _ in _excerpts("excerpt") if page == "README.md"] == ["rules/clas/clas.fw"]
    assert any(page == "README.md" for page, _, _ in _excerpts("output-of"))


@pytest.mark.parametrize(("page", "target", "body"), _excerpts("excerpt"), ids=lambda value: str(value)[:40])
def test_a_rule_excerpt_quotes_its_file_in_order(page: str, target: str, body: str) -> None:
    """Every quoted line is a line of the file, and they come in the file's order."""
    lines = (REPO / target).read_text(encoding="utf-8").splitlines()
    position = 0
    for quoted in body.splitlines():
        if _elided(quoted):
            continue
        for index in range(position, len(lines)):
            if _matches(quoted, lines[index]):
                position = index + 1
                break
        else:
            pytest.fail(f"{page}: `{quoted}` is not in {target} (after line {position})")


@pytest.mark.parametrize(("page", "command", "body"), _excerpts("output-of"), ids=lambda value: str(value)[:40])
def test_an_output_excerpt_is_what_its_command_prints(page: str, command: str, body: str) -> None:
    """The command, run as the page says, prints the excerpt's lines one after another."""
    words = shlex.split(command)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [str(Path(sys.executable).parent / words[0]), *words[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "Traceback" not in done.stderr
    output = done.stdout.splitlines()
    quoted = textwrap.dedent(body).splitlines()
    for start in range(len(output) - len(quoted) + 1):
        window = textwrap.dedent("\n".join(output[start : start + len(quoted)])).splitlines()
        if len(window) == len(quoted) and all(_matches(q, r) for q, r in zip(quoted, window, strict=True)):
            return
    pytest.fail(f"{page}: the output of `{command}` has no run of lines like:\n{body}\nIt printed:\n{done.stdout}")
