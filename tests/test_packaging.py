"""The promise of `pip install`: the built wheel works from any directory, rules included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the project's wheel installed: returns its bin folder."""
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dist), str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    wheels = list(dist.glob("framework_dsl-*.whl"))
    assert len(wheels) == 1
    env_dir = work / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheels[0])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return bin_dir


def test_installed_command_runs_from_another_directory(installed: Path, tmp_path: Path) -> None:
    """After installing the wheel, `framework-check` finds its bundled rules from any directory."""
    evidence = tmp_path / "evidence.json"
    evidence.write_text((REPO / "examples" / "clas" / "complete.json").read_text())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(installed / "framework-check"), "evidence.json", "--format", "json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["judgements"]["coverage"]["outcome"] == "complete"
    assert result["judgements"]["coverage"]["rule"].startswith("rules/clas/clas.fw:")


def test_installed_wheel_carries_the_licence(installed: Path, tmp_path: Path) -> None:
    """The MIT licence the metadata names is installed with the package, word for word the repository's."""
    code = (
        "import importlib.metadata as m; d = m.distribution('framework-dsl'); "
        "print(d.metadata['License-Expression']); print(d.read_text('licenses/LICENSE'), end='')"
    )
    done = subprocess.run(
        [str(installed / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    expression, text = done.stdout.split("\n", 1)
    assert expression == "MIT"
    assert text == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 framework-dsl developers\n")


def test_installed_wheel_ships_grammar_and_rules(installed: Path, tmp_path: Path) -> None:
    """The wheel holds the grammar and the rule files inside the package, not beside the checkout."""
    code = "import framework_dsl.resources as r, pathlib; print(r.grammar_path()); print(r.bundled_rules_root())"
    done = subprocess.run(
        [str(installed / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    grammar, rules = done.stdout.split()
    assert "site-packages" in grammar and Path(grammar).is_file()
    assert "site-packages" in rules and (Path(rules) / "clas" / "clas.fw").is_file()


def test_installed_wheel_writes_html_and_markdown_reports(installed: Path, tmp_path: Path) -> None:
    """The report templates ship inside the wheel: HTML and Markdown reports work from any directory."""
    evidence = tmp_path / "evidence.json"
    evidence.write_text((REPO / "examples" / "cqc" / "typical.json").read_text())
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    for output_format, marker in (("html", '<p class="leading">'), ("markdown", "**Overall: Requires improvement**")):
        done = subprocess.run(
            [str(installed / "framework-check"), "evidence.json", "--format", output_format],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert marker in done.stdout


def test_serve_without_the_serve_extra_says_what_to_install(installed: Path, tmp_path: Path) -> None:
    """The plain wheel has no web server: `framework-dsl serve` names the extra to install, without a traceback."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(installed / "framework-dsl"), "serve"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert "pip install 'framework-dsl[serve]'" in done.stderr
    assert "Traceback" not in done.stderr
