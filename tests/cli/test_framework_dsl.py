"""The conventions both commands keep: --version, whole help, shell completion, and the
machine formats of `framework-dsl test` and `explain`, and `fmt -`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
import xmlschema
from click.testing import CliRunner

from framework_dsl import load_rules
from framework_dsl.cli import framework_check, framework_dsl

REPO = Path(__file__).resolve().parents[2]
CLAS = REPO / "examples" / "clas"
JUNIT_XSD = Path(__file__).resolve().parents[1] / "data" / "junit-10.xsd"

FAILING_RULES = """framework demo "Demo" effective from 2020-01-01
scale rating: good "Good" > poor "Poor"
evidence:
  score: integer
judgement overall: rating
  poor when score < 3 because "Low: {score}"
  otherwise good because "High"

example "A low score is poor"
  given {"framework": "demo", "score": 1}
  as of 2021-01-01
  expect overall = poor

example "A high score is poor <by mistake> & so fails"
  given {"framework": "demo", "score": 9}
  as of 2021-01-01
  expect overall = poor
"""


def _dsl(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(framework_dsl, list(args), input=stdin)


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


# ---------------------------------------------------------------- --version


@pytest.mark.parametrize(("command", "name"), [(framework_check, "framework-check"), (framework_dsl, "framework-dsl")])
def test_version_names_the_engine_and_the_bundled_rules_digest(command: click.Command, name: str) -> None:
    """--version prints the command, the engine version and the digest a result of the bundled rules carries."""
    result = CliRunner().invoke(command, ["--version"])
    assert result.exit_code == 0, result.output
    first, second = result.stdout.splitlines()
    assert re.fullmatch(rf"{name} \d+\.\d+\.\d+\S* \(Python 3\.\d+\.\d+\)", first)
    assert second == f"bundled rules: {load_rules().digest} (clas, cqc, ilacs, jtai, ncpi, peel, saas, saf)"


def test_version_as_a_real_process_needs_no_evidence(tmp_path: Path) -> None:
    """`framework-check --version` works with no EVIDENCE argument, from any folder, exit 0."""
    done = subprocess.run(
        [sys.executable, "-m", "framework_dsl", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_environment(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("framework-check ") and "bundled rules: sha256:" in done.stdout
    assert done.stderr == ""


# ---------------------------------------------------------------- help


def _commands() -> list[tuple[str, click.Command]]:
    assert isinstance(framework_dsl, click.Group)
    return [("framework-check", framework_check), ("framework-dsl", framework_dsl)] + [
        (f"framework-dsl {name}", command) for name, command in sorted(framework_dsl.commands.items())
    ]


def test_group_help_shows_every_command_summary_whole() -> None:
    """`framework-dsl --help` cuts no command's summary short: each is its docstring's whole first sentence."""
    result = _dsl("--help")
    assert result.exit_code == 0
    listed = result.stdout.split("Commands:\n", 1)[1]
    assert "..." not in listed
    assert isinstance(framework_dsl, click.Group)
    for name, command in framework_dsl.commands.items():
        first_sentence = (command.help or "").split("\n\n", 1)[0].replace("\n", " ").strip()
        assert first_sentence.endswith("."), name
        assert re.search(rf"^  {name} +{re.escape(first_sentence)}$", listed, re.MULTILINE), name


@pytest.mark.parametrize(("name", "command"), _commands(), ids=[name for name, _ in _commands()])
def test_every_option_has_help(name: str, command: click.Command) -> None:
    """Each visible option of each command says what it does."""
    missing = [
        param.name
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()
    ]
    assert missing == [], name
    assert (command.help or "").strip(), name


def test_shell_completion_scripts_come_from_click() -> None:
    """The completion script named in the docs is printed by the command itself, for bash, zsh and fish."""
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete --no-files")):
        done = subprocess.run(
            [str(Path(sys.executable).parent / "framework-dsl")],
            env={**_environment(), "_FRAMEWORK_DSL_COMPLETE": f"{shell}_source"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert marker in done.stdout and "_FRAMEWORK_DSL_COMPLETE" in done.stdout, shell


def test_bash_completion_completes_commands_and_options() -> None:
    """Completing `framework-dsl te` offers `test`; `framework-check --fo` offers `--format`."""
    for program, words, expected in (
        ("framework-dsl", "framework-dsl te", "plain,test"),
        ("framework-check", "framework-check --fo", "plain,--format"),
    ):
        variable = "_" + program.upper().replace("-", "_") + "_COMPLETE"
        done = subprocess.run(
            [str(Path(sys.executable).parent / program)],
            env={**_environment(), variable: "bash_complete", "COMP_WORDS": words, "COMP_CWORD": "1"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert expected in done.stdout.splitlines(), (program, done.stdout, done.stderr)


# ---------------------------------------------------------------- test --format


def _failing_rules(tmp_path: Path) -> Path:
    path = tmp_path / "demo.fw"
    path.write_text(FAILING_RULES, encoding="utf-8")
    return path


def test_test_format_json_gives_one_record_per_example(tmp_path: Path) -> None:
    """JSON: each example with every expectation's expected and actual outcome and reason; exit 1 on a failure."""
    result = _dsl("test", str(_failing_rules(tmp_path)), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    shown = f"{tmp_path.name}/demo.fw"  # rule files are named from their root's folder
    assert (report["passed"], report["failed"]) == (1, 1)
    passed, failed = report["examples"]
    assert passed["title"] == "A low score is poor" and passed["passed"] is True
    assert passed["expectations"] == [
        {
            "expectation": "overall = poor",
            "passed": True,
            "expected": "poor",
            "actual": "poor",
            "reason": f"Low: 1 ({shown}:6)",
            "location": f"{shown}:12",
        }
    ]
    assert failed["passed"] is False
    assert failed["expectations"][0]["expected"] == "poor"
    assert failed["expectations"][0]["actual"] == "good"
    assert failed["expectations"][0]["reason"] == f"High ({shown}:7)"
    assert report["coverage"] == {"percent": 100.0, "clauses": 2, "exercised": 2, "not_exercised": []}


def test_test_format_junit_validates_against_the_junit_schema(tmp_path: Path) -> None:
    """JUnit XML with a failure (and XML-special characters in a title) is valid against the common JUnit XSD."""
    result = _dsl("test", str(_failing_rules(tmp_path)), "--format", "junit")
    assert result.exit_code == 1
    schema = xmlschema.XMLSchema(str(JUNIT_XSD))
    schema.validate(result.stdout)
    data = schema.to_dict(result.stdout)
    assert isinstance(data, dict)
    assert (data["@tests"], data["@failures"]) == ("2", "1")
    (suite,) = data["testsuite"]
    assert suite["@name"] == "demo"
    first, second = suite["testcase"]
    assert first["@name"] == "A low score is poor" and "failure" not in first
    assert second["@name"] == "A high score is poor <by mistake> & so fails"
    (failure,) = second["failure"]
    assert failure["@message"] == "expected overall = poor, got good"
    assert "  expected: poor\n  actual:   good\n  reason:   High" in failure["$"]


def test_bundled_rules_junit_is_valid_and_complete(bundled) -> None:  # type: ignore[no-untyped-def]
    """`framework-dsl test rules --format junit` on the bundled rules: valid, one case per example, none failed."""
    result = _dsl("test", str(REPO / "rules"), "--format", "junit")
    assert result.exit_code == 0, result.output
    schema = xmlschema.XMLSchema(str(JUNIT_XSD))
    schema.validate(result.stdout)
    data = schema.to_dict(result.stdout)
    assert isinstance(data, dict)
    examples = sum(len(f.examples) for f in bundled.frameworks.values())
    assert data["@tests"] == str(examples) and data["@failures"] == "0"
    assert sorted(s["@name"] for s in data["testsuite"]) == sorted(bundled.frameworks)


def test_min_coverage_still_applies_to_machine_formats(tmp_path: Path) -> None:
    """Below --min-coverage, JSON output still exits 1 and says so on standard error."""
    path = tmp_path / "demo.fw"
    path.write_text(FAILING_RULES.split('example "A high', maxsplit=1)[0], encoding="utf-8")
    result = _dsl("test", str(path), "--format", "json", "--min-coverage", "100")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["coverage"]["not_exercised"][0]["decision"] == "overall"
    assert "coverage 50.0% is below the required 100%" in result.stderr


# ---------------------------------------------------------------- explain --format json


def test_explain_format_json_is_the_result_of_one_judgement_with_its_trace() -> None:
    """explain --format json: the result JSON holding only the judgement asked for, its decision with a trace."""
    result = _dsl("explain", str(CLAS / "partial.json"), "next_step", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data["judgements"]) == ["next_step"] and data["checks"] == {}
    decision = data["judgements"]["next_step"]
    assert decision["outcome"] == "action_plan_required"
    (step,) = decision["trace"]
    assert step["condition"] == "true"
    assert step["reads"] == {"/review/recommendations": 12}
    assert {"expression": "review.recommendations > 0", "value": "yes"} in step["steps"]


def test_explain_format_json_of_invalid_evidence_lists_its_problems() -> None:
    """Invalid evidence: the JSON result with every problem, the diagnostics on standard error, exit 1."""
    result = _dsl("explain", str(CLAS / "invalid.json"), "coverage", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == "invalid_evidence"
    assert "/review/recomendations" in {p["path"] for p in data["problems"]}
    assert "did you mean `recommendations`?" in result.stderr


def test_explain_reads_evidence_as_a_batch_does(tmp_path: Path) -> None:
    """A named pipe is refused unopened (it blocked for ever), and evidence problems on standard error show
    control characters by their escapes, as `framework-check` shows them."""
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    command = [sys.executable, "-c", "import framework_dsl.cli; from framework_dsl.cli.dsl import main_dsl; main_dsl()"]
    run = subprocess.run(
        [*command, "explain", str(pipe), "coverage"], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 2 and "not a regular file" in run.stderr, run.stderr
    escaped = tmp_path / "escaped.json"
    escaped.write_text(r'{"framework": "clas", "\u001b[2Jbad": 1}', encoding="utf-8")
    result = _dsl("explain", str(escaped), "coverage")
    assert result.exit_code == 1
    assert r"\x1b[2Jbad" in result.stderr and "\x1b" not in result.stderr


# ---------------------------------------------------------------- fmt -

UNTIDY = 'framework x "X"\n  effective from 2020-01-01\nevidence:\n    a:   boolean  # kept\n'
TIDY = 'framework x "X"\n  effective from 2020-01-01\n\nevidence:\n  a: boolean  # kept\n'


def test_fmt_dash_reads_standard_input_and_writes_standard_output() -> None:
    """`fmt -` lays out the text it reads and writes it out whole, comments kept; nothing else is printed."""
    result = _dsl("fmt", "-", stdin=UNTIDY)
    assert result.exit_code == 0, result.output
    assert result.stdout == TIDY
    assert result.stderr == ""
    again = _dsl("fmt", "-", stdin=TIDY)
    assert again.exit_code == 0 and again.stdout == TIDY


def test_fmt_dash_check_and_diff() -> None:
    """`fmt - --check` only exits 1 when the text would change (0 when not); `--diff` prints the diff."""
    assert _dsl("fmt", "-", "--check", stdin=UNTIDY).exit_code == 1
    tidy = _dsl("fmt", "-", "--check", stdin=TIDY)
    assert tidy.exit_code == 0 and tidy.stdout == ""
    diff = _dsl("fmt", "-", "--diff", stdin=UNTIDY)
    assert diff.exit_code == 0
    assert "--- <stdin> (original)\n+++ <stdin> (formatted)\n" in diff.stdout
    assert "-    a:   boolean  # kept\n+  a: boolean  # kept\n" in diff.stdout


def test_fmt_dash_with_a_syntax_error_writes_nothing_to_standard_output() -> None:
    """Text that does not parse: located diagnostics on standard error, nothing on standard output, exit 2."""
    result = _dsl("fmt", "-", stdin='framework x "X" effective\n')
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "--> <stdin>:1:25" in result.stderr


def test_fmt_dash_cannot_be_mixed_with_files(tmp_path: Path) -> None:
    """`-` with a file is a usage error (exit 2) that says why."""
    result = _dsl("fmt", "-", str(tmp_path))
    assert result.exit_code == 2
    assert "cannot be combined with files or folders" in result.output


def test_fmt_dash_as_a_real_process_keeps_the_bytes_of_a_tidy_file() -> None:
    """A bundled rule file through `fmt -` in a real process comes out byte for byte the same."""
    original = (REPO / "rules" / "clas" / "clas.fw").read_bytes()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "framework-dsl"), "fmt", "-"],
        input=original,
        capture_output=True,
        env=_environment(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == original


@pytest.mark.parametrize("entry", ["main_check", "main_dsl"])
def test_ctrl_c_while_the_engine_is_imported_is_interrupted_not_a_traceback(entry: str) -> None:
    """Ctrl-C in the first fraction of a second (here: while `click` is imported, made to raise
    KeyboardInterrupt, deterministically) is "interrupted", exit 130; it printed a traceback."""
    script = f"""
import builtins, sys
real = builtins.__import__
def interrupted(name, *args, **kwargs):
    if name == "click":
        raise KeyboardInterrupt
    return real(name, *args, **kwargs)
builtins.__import__ = interrupted
sys.argv = ["command", "--help"]
from framework_dsl.cli import {entry}
{entry}()
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False, env=_environment()
    )
    assert run.returncode == 130, run.stderr
    assert run.stderr == "interrupted\n"


# ---------------------------------------------------------------- part of a rules tree


def test_check_one_frameworks_folder_from_the_repository_root() -> None:
    """`framework-dsl check rules/cqc` run from the repository: `rules/` holds `rules-root`, so it checks (exit 0)."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "framework-dsl"), "check", "rules/cqc"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=_environment(),
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "no problems found\n"


def test_framework_check_with_one_frameworks_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """`framework-check --rules rules/cqc` evaluates CQC evidence, its locations relative to the current folder."""
    monkeypatch.chdir(REPO)
    args = ["--rules", "rules/cqc", "examples/cqc/typical.json", "--format", "json", "--as-of", "2019-03-01"]
    result = CliRunner().invoke(framework_check, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "evaluated"
    assert '"rule": "rules/cqc/cqc.fw:' in result.stdout


def test_check_names_files_relative_to_the_current_folder(write_rules, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A failed import in part of an unmarked tree: one diagnostic, at a path relative to where the command ran."""
    root = write_rules({"shared/scales.fw": 'scale rating: good "Good" > poor "Poor"\n', "demo/demo.fw": _USES_SCALES})
    monkeypatch.chdir(root)
    result = _dsl("check", "demo", "--format", "gnu")
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("demo/demo.fw:2:20: error[modules.not-found]")
    assert "put an empty file named `rules-root` in the current folder" in lines[0]
    (root / "rules-root").write_text("")
    result = _dsl("check", "demo")
    assert (result.exit_code, result.stdout) == (0, "no problems found\n")


_USES_SCALES = """framework demo "Demo" effective from 2020-01-01
import rating from shared.scales
evidence:
  score: rating
judgement j: rating
  good when score = good because "Good"
  otherwise poor because "Not good"
"""
