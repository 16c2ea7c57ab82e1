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


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment for an installed command: no source checkout on the path, the user cache off."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "FRAMEWORK_DSL_NO_BUNDLE")}
    return {**env, "FRAMEWORK_DSL_NO_CACHE": "1", **extra}


def test_installed_wheel_holds_the_bundle_of_these_rules(installed: Path, tmp_path: Path) -> None:
    """The wheel carries the precompiled bundle, built from this tree's rules for the Python that built it."""
    code = (
        "import sys; from framework_dsl import bundle; "
        "header, sections = bundle.decode(bundle.bundle_path().read_bytes()); "
        "print(header['rules_digest'], header['python'], header['rules_root'], ','.join(sorted(sections)))"
    )
    done = subprocess.run(
        [str(installed / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    digest, python, built_in, sections = done.stdout.split(" ", 3)
    from framework_dsl import bundle

    assert digest == bundle.rules_digest(REPO / "rules")
    assert python == bundle.python_tag()
    assert "site-packages" not in built_in
    names = sorted(path.stem for path in (REPO / "rules").glob("*/*.fw") if path.parent.name != "shared")
    assert len(names) >= 8
    # Each framework checked and compiled (its decisions, plain and tracing), the fused
    # functions of those that have them, the parser's tables and the rules' index.
    expected = {"grammar", "rules"}
    for name in names:
        expected |= {f"framework:{name}", f"program:decisions:{name}", f"program:decisions:{name}:tracing"}
    found = set(sections.strip().split(","))
    assert expected <= found
    assert {name for name in found - expected if name.startswith("program:fused:")} == found - expected
    assert {"program:fused:clas", "program:fused:clas:tracing"} <= found


def test_installed_command_neither_parses_nor_checks_the_bundled_rules(installed: Path, tmp_path: Path) -> None:
    """With the user cache off (a fresh CI container), the rules come from the bundle: Lark, the
    parser and the checker are never imported (nor the cache's signing), the rule set says
    where it came from, and the decisions are loaded from the bundle's programs."""
    script = """
import atexit, sys
modules = ("lark", "framework_dsl.grammar", "framework_dsl.parser", "framework_dsl.loader", "framework_dsl.checker")
modules += ("hmac", "difflib")
atexit.register(lambda: print(sorted(m for m in modules if m in sys.modules)))
from framework_dsl.ruleset import check_rules
rule_set, _ = check_rules()
print(rule_set.origin, rule_set.compiled("clas").stored)
sys.argv = ["framework-check", sys.argv[1], "--format", "json", "--quiet"]
from framework_dsl.cli import main_check
main_check()
"""
    evidence = REPO / "examples" / "clas" / "complete.json"
    done = subprocess.run(
        [str(installed / "python"), "-c", script, str(evidence)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_clean_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.rstrip().splitlines()
    assert lines[0] == "bundle True"  # its decisions loaded from the bundle's program, not compiled
    assert lines[-1] == "[]"


def test_installed_command_gives_the_same_bytes_with_and_without_its_bundle(installed: Path, tmp_path: Path) -> None:
    """Every bundled example, as JSON and explained: byte for byte what parsing and checking the rules gives."""
    examples = sorted(str(p) for p in (REPO / "examples").rglob("*.json"))
    outputs = []
    for turned_off in (False, True):
        extra = {"FRAMEWORK_DSL_NO_BUNDLE": "1"} if turned_off else {}
        for flags in (["--format", "json"], ["--format", "json", "--explain"]):
            done = subprocess.run(
                [str(installed / "framework-check"), *examples, *flags, "--as-of", "2024-06-01", "--quiet"],
                cwd=tmp_path,
                capture_output=True,
                env=_clean_env(**extra),
                check=False,
            )
            assert done.returncode in (0, 1), done.stderr
            outputs.append(done.stdout)
    assert len(outputs[0]) > 10_000
    assert outputs[:2] == outputs[2:]
