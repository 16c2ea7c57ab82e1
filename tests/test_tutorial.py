"""docs/tutorial.md runs as written: every file it creates and every command it shows."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _command(words: list[str]) -> list[str]:
    scripts = Path(sys.executable).parent
    return [str(scripts / words[0]), *words[1:]]


def test_tutorial_runs_as_written(tmp_path: Path) -> None:
    """Each file block is written, each edit applied, and each command prints exactly what the page shows."""
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("PYTHONPATH", None)
    commands = 0
    for kind, info, body in BLOCK.findall(TUTORIAL.read_text(encoding="utf-8")):
        options = dict(part.split("=", 1) for part in info.split() if "=" in part)
        if "file" in options and kind in ("fw", "json"):
            target = tmp_path / options["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8")
        elif "append" in options:
            with (tmp_path / options["append"]).open("a", encoding="utf-8") as handle:
                handle.write(body)
        elif kind == "edit":
            target = tmp_path / options["file"]
            lines = body.splitlines()
            old = "\n".join(line[1:] for line in lines if line.startswith("-"))
            new = "\n".join(line[1:] for line in lines if line.startswith("+"))
            text = target.read_text(encoding="utf-8")
            assert old in text, old
            target.write_text(text.replace(old, new), encoding="utf-8")
        elif kind == "console":
            for chunk in re.split(r"^\$ ", body, flags=re.MULTILINE)[1:]:
                command, _, expected = chunk.partition("\n")
                done = subprocess.run(
                    _command(shlex.split(command)), cwd=tmp_path, capture_output=True, text=True, env=env, check=False
                )
                shown = (done.stdout + done.stderr).rstrip("\n")
                assert shown == expected.rstrip("\n"), f"$ {command}"
                assert "Traceback" not in done.stderr
                commands += 1
    assert commands >= 6
