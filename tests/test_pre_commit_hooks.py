""".pre-commit-hooks.yaml offers check, fmt and test, and each hook runs as pre-commit runs it."""

from __future__ import annotations

import re
import shlex
import shutil
import tomllib
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from framework_dsl.cli import framework_dsl

REPO = Path(__file__).resolve().parent.parent
# What pre-commit requires of a hook in a manifest, and the keys this project uses.
REQUIRED = {"id", "name", "entry", "language"}


def _hooks() -> list[dict[str, Any]]:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return hooks


def test_the_manifest_offers_check_fmt_and_test() -> None:
    """Three hooks, each with what pre-commit requires, run by one of the package's own commands."""
    hooks = _hooks()
    assert [hook["id"] for hook in hooks] == ["framework-dsl-check", "framework-dsl-fmt", "framework-dsl-test"]
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    for hook in hooks:
        assert set(hook) >= REQUIRED, hook["id"]
        assert hook["language"] == "python"  # pre-commit installs this repository with pip, scripts included
        assert shlex.split(hook["entry"])[0] in scripts
        assert re.search(hook["files"], "rules/cqc/cqc.fw"), hook["id"]
        assert not re.search(hook["files"], "README.md"), hook["id"]


def test_each_hook_runs_on_a_repository_of_rules(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """As pre-commit would call them (entry, args, then file names unless pass_filenames is false), in a
    repository whose rules are in `rules/`: check and test pass, fmt rewrites an untidy file and says so."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules" / "clas", rules / "clas")
    untidy = rules / "clas" / "clas.fw"
    untidy.write_text(untidy.read_text(encoding="utf-8").replace("\n  effective from", "\n    effective from"))
    monkeypatch.chdir(tmp_path)
    for hook in _hooks():
        words = [*shlex.split(hook["entry"]), *hook.get("args", [])]
        if hook.get("pass_filenames", True):
            words.append("rules/clas/clas.fw")
        assert words[0] == "framework-dsl"
        result = CliRunner().invoke(framework_dsl, words[1:])
        if hook["id"] == "framework-dsl-fmt":
            assert result.exit_code == 0, result.output
            assert "reformatted rules/clas/clas.fw" in result.stdout
            assert untidy.read_text(encoding="utf-8") == (REPO / "rules" / "clas" / "clas.fw").read_text("utf-8")
        else:
            assert result.exit_code == 0, (hook["id"], result.output)
