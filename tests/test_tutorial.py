"""docs/tutorial.md runs as written, from installing onwards: every file it creates, every
edit, and every command, which must print exactly what the page shows.

The tutorial starts in a copy of the repository, creates a virtual environment there and
installs framework-dsl into it with pip, as a reader would; so this test needs the
package index that `pip install .` needs (the one CI's own install uses). Each command
runs in bash, in the folder the tutorial's `cd` lines lead to; after `source
.venv/bin/activate` every later command runs with that same script sourced first. The
test's own virtual environment is taken off the search path, so a command the tutorial
has not installed is not found.

pip's own `WARNING:` lines depend on the machine's package-index settings, not on the
tutorial, and are not compared; everything else pip prints is.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TUTORIAL = REPO / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
NOT_COPIED = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache", "build", "dist"
)


def _environment() -> dict[str, str]:
    """The test's environment, less its own virtual environment and anything that points Python elsewhere."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    ours = {str(Path(sys.executable).parent)}
    if "VIRTUAL_ENV" in os.environ:
        ours.add(str(Path(os.environ["VIRTUAL_ENV"]) / "bin"))
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p not in ours)
    env["COLUMNS"] = "200"
    return env


def _shown(command: str, done: subprocess.CompletedProcess[str]) -> str:
    output = done.stdout + done.stderr
    if shlex.split(command)[0].endswith("pip"):
        output = "".join(line for line in output.splitlines(keepends=True) if not line.startswith("WARNING: "))
    return output.rstrip("\n")


def test_tutorial_runs_as_written(tmp_path: Path) -> None:
    """From installing on, each file is written, each edit applied, and each command prints what the page shows."""
    start = tmp_path / "framework-dsl"
    shutil.copytree(REPO, start, ignore=NOT_COPIED)
    cwd = start
    activate: Path | None = None
    env = _environment()
    commands = 0
    for kind, info, body in BLOCK.findall(TUTORIAL.read_text(encoding="utf-8")):
        options = dict(part.split("=", 1) for part in info.split() if "=" in part)
        if "file" in options and kind in ("fw", "json"):
            target = cwd / options["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        elif "append" in options:
            with (cwd / options["append"]).open("a", encoding="utf-8") as handle:
                handle.write(body)
        elif kind == "edit":
            target = cwd / options["file"]
            lines = body.splitlines()
            old = "\n".join(line[1:] for line in lines if line.startswith("-"))
            new = "\n".join(line[1:] for line in lines if line.startswith("+"))
            text = target.read_text(encoding="utf-8")
            assert text.count(old) == 1, old
            target.write_text(text.replace(old, new), encoding="utf-8")
        elif kind == "console":
            for chunk in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
                command, _, expected = chunk.partition("\n")
                words = shlex.split(command)
                if words[0] == "cd":
                    cwd = (cwd / words[1]).resolve()
                    assert cwd.is_dir(), command
                    continue
                script = command if activate is None else f"source {shlex.quote(str(activate))} && {command}"
                done = subprocess.run(
                    ["bash", "-c", script], cwd=cwd, capture_output=True, text=True, env=env, check=False, timeout=600
                )
                assert _shown(command, done) == expected.rstrip("\n"), f"$ {command}"
                assert "Traceback" not in done.stderr
                if words[0] == "source":
                    assert done.returncode == 0, done.stderr
                    activate = (cwd / words[1]).resolve()
                commands += 1
    assert activate is not None, "the tutorial activates the environment it installs"
    assert commands >= 12
