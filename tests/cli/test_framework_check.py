"""`framework-check` end to end: through click's runner, and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from framework_dsl.cli import framework_check

REPO = Path(__file__).resolve().parents[2]
CLAS = REPO / "examples" / "clas"
CLAS_RULES = str(REPO / "rules" / "clas")


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(framework_check, ["--rules", CLAS_RULES, *args], input=stdin)


def test_one_input_prints_one_json_object() -> None:
    """One evidence file with --format json prints one result object with the contracted outcomes."""
    result = run(str(CLAS / "complete.json"), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "evaluated"
    assert data["judgements"]["coverage"]["outcome"] == "complete"
    assert data["judgements"]["missing_services"]["outcome"] == []
    assert data["judgements"]["rating"]["outcome"] == "not_rated"
    assert list(data) == [
        "framework",
        "framework_title",
        "rules_digest",
        "source",
        "subject",
        "as_of",
        "as_of_from",
        "status",
        "judgements",
        "checks",
        "problems",
    ]


def test_several_inputs_print_an_array_in_input_order() -> None:
    """Several inputs with --format json print a JSON array of results in the order given."""
    files = [CLAS / "partial.json", CLAS / "complete.json"]
    result = run(*map(str, files), "--format", "json")
    data = json.loads(result.stdout)
    assert [d["source"] for d in data] == [str(f) for f in files]


def test_invalid_evidence_exits_1_with_every_pointer_on_stderr() -> None:
    """Broken evidence gives invalid_evidence, every problem's pointer on stderr, and exit 1."""
    result = run(str(CLAS / "invalid.json"), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == "invalid_evidence"
    pointers = {p["path"] for p in data["problems"]}
    assert {"/review/date", "/review/recomendations", "/services_reviewed/0", "/inspector"} <= pointers
    for pointer in pointers:
        assert f"at {pointer}" in result.stderr
    assert "did you mean `maternity`?" in result.stderr


def test_one_bad_input_does_not_stop_the_others(tmp_path: Path) -> None:
    """A missing file is reported as its own invalid result; the other inputs are still evaluated."""
    result = run(str(tmp_path / "nope.json"), str(CLAS / "complete.json"), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [d["status"] for d in data] == ["invalid_evidence", "evaluated"]


def test_jsonl_and_stdin() -> None:
    """A .jsonl file gives one result per line; `-` reads standard input."""
    line = (CLAS / "complete.json").read_text().replace("\n", " ")
    result = run("-", "--format", "jsonl", stdin=line + "\n" + line + "\n")
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["source"] for x in result.stdout.splitlines()] == ["<stdin>:1", "<stdin>:2"]


def test_not_in_force_exits_1() -> None:
    """Evidence dated before the framework is in force is reported as such, with exit 1."""
    result = run(str(CLAS / "before-programme.json"), "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "not_in_force"


def test_text_output_reads_for_a_person() -> None:
    """Text output shows labels, reasons, citations and the deciding rule."""
    result = run(str(CLAS / "partial.json"), "--format", "text")
    assert "coverage: Incomplete" in result.stdout
    assert "13 of the 16 service types were not reviewed" in result.stdout
    assert "source:  Ofsted, Inspecting multi-agency safeguarding arrangements (2018), paragraph 19" in result.stdout


def test_output_file_is_written_whole(tmp_path: Path) -> None:
    """--output writes the report to the file and leaves no temporary file behind."""
    target = tmp_path / "report.json"
    result = run(str(CLAS / "complete.json"), "--format", "json", "--output", str(target))
    assert result.exit_code == 0
    assert json.loads(target.read_text())["status"] == "evaluated"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_report_that_cannot_be_written_says_so_plainly(tmp_path: Path, jobs: str) -> None:
    """--output into a folder that does not exist is a plain error with exit 2, not an internal error."""
    target = tmp_path / "missing" / "report.json"
    result = run(str(CLAS / "complete.json"), str(CLAS / "partial.json"), "--output", str(target), "--jobs", jobs)
    assert result.exit_code == 2
    assert f"cannot write the report to `{target}`" in result.output
    assert f"the folder `{target.parent}` does not exist" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_a_failed_write_keeps_the_old_report(tmp_path: Path) -> None:
    """A write that fails part-way (a full disk) names the report, keeps the old one and leaves no temporary file."""
    import errno

    from framework_dsl.cli.common import ReportNotWritten, atomic_output

    target = tmp_path / "report.json"
    target.write_bytes(b"the old report")
    full = pytest.raises(ReportNotWritten, match="No space left on device; free some space")
    with full as raised, atomic_output(str(target)) as out:
        out.write(b"[")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert raised.value.exit_code == 2
    assert target.read_bytes() == b"the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_report_goes_to_disk_while_it_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report is flushed to disk as it grows, not only at the end; the flushing stops with it."""
    import threading

    from framework_dsl.cli.common import Writeback, atomic_output

    flushed = threading.Event()
    descriptors: list[int] = []

    def record(descriptor: int) -> None:
        descriptors.append(descriptor)
        flushed.set()

    monkeypatch.setattr(os, "fdatasync", record, raising=False)
    target = tmp_path / "report.jsonl"
    with atomic_output(str(target)) as out, Writeback(out, every=0.001) as writeback:
        out.write(b"{}\n")
        out.flush()
        assert not flushed.wait(0.05)  # not before it is started
        writeback.start()
        assert flushed.wait(10)  # while the report is still open
        assert descriptors[0] == out.fileno()
    assert target.read_bytes() == b"{}\n"
    assert not [thread for thread in threading.enumerate() if thread.name == "framework-dsl writeback"]


def test_no_thread_runs_when_the_workers_are_forked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--jobs 2 --output F` forks its workers before the report's flushing thread starts: no fork beside a thread."""
    import threading

    from framework_dsl import parallel

    seen: list[list[str]] = []
    real_worker = parallel._Worker

    class Watched(real_worker):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any) -> None:
            seen.append([thread.name for thread in threading.enumerate() if thread is not threading.main_thread()])
            super().__init__(*args)

    monkeypatch.setattr(parallel, "_Worker", Watched)
    evidence = tmp_path / "batch.jsonl"
    line = json.dumps(json.loads((CLAS / "complete.json").read_text(encoding="utf-8")))
    evidence.write_text(f"{line}\n" * 3, encoding="utf-8")
    report = tmp_path / "report.jsonl"
    result = CliRunner().invoke(
        framework_check, [str(evidence), "--format", "jsonl", "--output", str(report), "--jobs", "2"]
    )
    assert result.exit_code == 0, result.output
    assert seen == [[], []]
    assert len(report.read_bytes().splitlines()) == 3


def test_explain_adds_the_trace() -> None:
    """--explain shows each clause tried with the values its condition read."""
    result = run(str(CLAS / "partial.json"), "--format", "text", "--explain")
    assert "condition true" in result.stdout
    assert "review.recommendations > 0 = yes" in result.stdout


def test_bad_usage_exits_2() -> None:
    """A malformed date or an unknown framework is a usage error with exit 2."""
    assert run(str(CLAS / "complete.json"), "--as-of", "2019-13-01").exit_code == 2
    result = run(str(CLAS / "complete.json"), "--framework", "clss")
    assert result.exit_code == 2
    assert "did you mean `clas`?" in result.output


def test_rule_errors_exit_2(tmp_path: Path) -> None:
    """Rules with errors stop the run with exit 2 and located diagnostics on stderr."""
    bad = tmp_path / "bad.fw"
    bad.write_text('framework x "X" effective from 2020-01-01\nscale r: a > b\njudgement j: r\n  c when true\n')
    result = CliRunner().invoke(framework_check, ["--rules", str(bad), str(CLAS / "complete.json")])
    assert result.exit_code == 2
    assert "bad.fw:4:3" in result.stderr


def test_fail_on_exits_3(write_rules) -> None:  # type: ignore[no-untyped-def]
    """--fail-on GRADE exits 3 when an outcome is that grade or worse, 0 otherwise."""
    root = write_rules(
        {
            "demo.fw": """
        framework demo "Demo" effective from 2020-01-01
        scale rating: good "Good" > poor "Poor"
        evidence:
          score: integer
        judgement overall: rating
          poor when score < 3 because "Low"
          otherwise good because "High"
    """
        }
    )
    low = json.dumps({"framework": "demo", "score": 1})
    high = json.dumps({"framework": "demo", "score": 9})
    args = ["--rules", str(root), "-", "--as-of", "2021-01-01", "--fail-on", "poor", "--format", "json"]
    assert CliRunner().invoke(framework_check, args, input=low).exit_code == 3
    assert CliRunner().invoke(framework_check, args, input=high).exit_code == 0
    misspelt = ["--rules", str(root), "-", "--as-of", "2021-01-01", "--fail-on", "pooor"]
    bad = CliRunner().invoke(framework_check, misspelt, input=low)
    assert bad.exit_code == 2 and "did you mean `poor`?" in bad.output


_QA_RULES = """
        framework demo "Demo" effective from 2020-01-01
        scale rating: good "Good" > poor "Poor"
        evidence:
          score: integer
          recorded: rating
        judgement overall: rating
          poor when score < 3 because "Low"
          otherwise good because "High"
        check recorded_matches:
          failed when recorded != overall because "The recorded grade is not the one the rules give"
          otherwise passed because "The recorded grade is the one the rules give"
    """


def _qa(write_rules, *fail_on: str, documents: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    root = write_rules({"demo.fw": _QA_RULES})
    lines = "\n".join(json.dumps({"framework": "demo", **d}) for d in documents)
    flags = [flag for value in fail_on for flag in ("--fail-on", value)]
    args = ["--rules", str(root), "-", "--as-of", "2021-01-01", "--format", "jsonl", *flags]
    return CliRunner().invoke(framework_check, args, input=lines + "\n")


def test_fail_on_failed_exits_3_when_a_check_failed(write_rules) -> None:  # type: ignore[no-untyped-def]
    """--fail-on failed makes a failed check fail the run (exit 3); with every check passed it exits 0."""
    failing = _qa(write_rules, "failed", documents=[{"score": 9, "recorded": "good"}, {"score": 1, "recorded": "good"}])
    assert failing.exit_code == 3, failing.output
    assert "1 with a failed check (--fail-on)" in failing.stderr
    passing = _qa(write_rules, "failed", documents=[{"score": 9, "recorded": "good"}, {"score": 1, "recorded": "poor"}])
    assert passing.exit_code == 0, passing.output
    assert "0 with a failed check (--fail-on)" in passing.stderr


def test_without_fail_on_a_failed_check_does_not_change_the_exit_status(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A failed check is an outcome like any other unless --fail-on failed is given: exit 0."""
    result = _qa(write_rules, documents=[{"score": 1, "recorded": "good"}])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checks"]["recorded_matches"]["outcome"] == "failed"


def test_fail_on_is_repeatable_grades_and_failed_checks_together(write_rules) -> None:  # type: ignore[no-untyped-def]
    """--fail-on poor --fail-on failed exits 3 on either: a poor grade with the check passed, or a failed check."""
    poor_only = _qa(
        write_rules, "poor", "failed", documents=[{"score": 1, "recorded": "poor"}, {"score": 9, "recorded": "good"}]
    )
    assert poor_only.exit_code == 3
    assert "1 at or below poor or with a failed check (--fail-on)" in poor_only.stderr
    failed_only = _qa(write_rules, "poor", "failed", documents=[{"score": 9, "recorded": "poor"}])
    assert failed_only.exit_code == 3
    neither = _qa(write_rules, "poor", "failed", documents=[{"score": 9, "recorded": "good"}])
    assert neither.exit_code == 0


def test_an_undetermined_document_exits_1_before_fail_on(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Exit 1 (some document needs attention) takes precedence over 3 (--fail-on matched), as documented."""
    root = write_rules({"demo.fw": _QA_RULES})
    args = ["--rules", str(root), "-", "--as-of", "2021-01-01", "--format", "json", "--fail-on", "failed"]
    broken = json.dumps({"framework": "demo", "score": "high", "recorded": "good"})
    assert CliRunner().invoke(framework_check, args, input=broken).exit_code == 1


def test_fail_on_a_misspelt_failed_suggests_it(write_rules) -> None:  # type: ignore[no-untyped-def]
    """--fail-on faild is refused (exit 2) with a hint naming `failed`."""
    result = _qa(write_rules, "faild", documents=[{"score": 1, "recorded": "good"}])
    assert result.exit_code == 2
    assert "did you mean `failed`?" in result.output


def _subprocess(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-m", "framework_dsl", *args], cwd=cwd, input=stdin, capture_output=True, env=env, check=False
    )


def test_real_process_separates_stdout_and_stderr(tmp_path: Path) -> None:
    """As a real process: results on stdout, diagnostics on stderr, the contracted exit codes."""
    good = _subprocess(str(CLAS / "complete.json"), "--format", "json", cwd=tmp_path)
    assert good.returncode == 0
    assert json.loads(good.stdout)["status"] == "evaluated"
    assert good.stderr == b""
    bad = _subprocess(str(CLAS / "invalid.json"), "--format", "json", cwd=tmp_path)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["status"] == "invalid_evidence"
    assert b"evidence.unknown-value" in bad.stderr


@pytest.mark.parametrize(
    "payload",
    [b"", b"\xff\xfe\x00", b"[1, 2, 3]", b'{"framework": "clas", "review": ' + b"[" * 5000, b"null", b'"text"'],
    ids=["empty", "not-utf8", "array", "deep", "null", "string"],
)
def test_no_traceback_on_any_bad_input(tmp_path: Path, payload: bytes) -> None:
    """No bad input ever produces a Python traceback; it is an invalid result with exit 1."""
    done = _subprocess("-", "--format", "json", cwd=tmp_path, stdin=payload)
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr
    assert json.loads(done.stdout)["status"] == "invalid_evidence"


def test_stdout_without_a_binary_buffer_gets_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where standard output is a text stream only (an embedding program's), results are decoded onto it."""
    import io

    from framework_dsl.cli.check import framework_check as command

    expected = run(str(CLAS / "complete.json"), str(CLAS / "partial.json"), "--format", "jsonl").stdout
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stdout", captured)
    with pytest.raises(SystemExit) as stopped:
        command.main(
            ["--rules", CLAS_RULES, str(CLAS / "complete.json"), str(CLAS / "partial.json"), "--format", "jsonl"],
            standalone_mode=True,
        )
    assert stopped.value.code == 0  # both reviews decided (partial coverage is an outcome, not a failure)
    assert captured.getvalue() == expected
    assert [json.loads(line)["judgements"]["coverage"]["outcome"] for line in expected.splitlines()] == [
        "complete",
        "incomplete",
    ]


def test_json_output_does_not_load_the_report_templates() -> None:
    """The HTML/Markdown report machinery (Jinja2, the guides, the linter they use) loads only for those formats:
    it is most of a cold start otherwise."""
    script = """
import atexit, sys
atexit.register(lambda: print(sorted(m for m in ("jinja2", "framework_dsl.reports.batch") if m in sys.modules)))
sys.argv = ["framework-check", "examples/clas/complete.json", "--format", "json", "--quiet"]
from framework_dsl.cli import main_check
main_check()
"""
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=repo, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().splitlines()[-1] == "[]"


_START_UP = """
import atexit, gc, sys
modules = sys.argv[2:]
at_exit = lambda: print(sorted(m for m in modules if m in sys.modules), gc.isenabled(), gc.get_freeze_count() > 0)
atexit.register(at_exit)
sys.argv = ["framework-check", sys.argv[1], "--format", "json", "--quiet"]
from framework_dsl.cli import main_check
main_check()
"""
# What a run answered from the user cache (or the bundle) never needs: the parser and
# its tables, the loader and the checker, and the fuzzy matcher of "did you mean".
_NOT_AT_START_UP = (
    "lark",
    "framework_dsl.grammar",
    "framework_dsl.parser",
    "framework_dsl.loader",
    "framework_dsl.checker",
    "difflib",
)


def test_rules_from_a_warm_cache_are_neither_parsed_nor_checked(tmp_path: Path) -> None:
    """With the per-user cache warm (and no bundle, as in a source checkout), `framework-check`
    imports neither Lark nor the parser, loader or checker; and it leaves the garbage collector
    on (off during start-up only), with what start-up made frozen out of its way."""
    env = {k: v for k, v in os.environ.items() if k != "FRAMEWORK_DSL_NO_CACHE"}
    env |= {"XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_STATE_HOME": str(tmp_path / "state")}
    env["FRAMEWORK_DSL_NO_BUNDLE"] = "1"
    evidence = str(REPO / "examples" / "clas" / "complete.json")
    lines = []
    for _ in range(2):  # the first run checks the rules and fills the cache
        done = subprocess.run(
            [sys.executable, "-c", _START_UP, evidence, *_NOT_AT_START_UP],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        lines.append(done.stdout.rstrip().splitlines()[-1])
    assert lines[0].startswith("['framework_dsl.checker', 'framework_dsl.grammar',")  # checked: it did import them
    assert lines[0].endswith("True True")
    assert lines[1] == "[] True True"


def test_the_command_called_in_process_leaves_the_garbage_collector_alone() -> None:
    """Only the console entry point turns the collector off for start-up; a program (or a test)
    that calls the command itself keeps its collector on and nothing of its own frozen."""
    import gc

    frozen = gc.get_freeze_count()
    result = run(str(REPO / "examples" / "clas" / "complete.json"), "--format", "json")
    assert result.exit_code == 0, result.output
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_a_usage_error_turns_the_garbage_collector_back_on() -> None:
    script = """
import atexit, gc, sys
atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count()))
sys.argv = ["framework-check", "--no-such-option"]
from framework_dsl.cli import main_check
try:
    main_check()
finally:
    print(gc.isenabled(), gc.get_freeze_count())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stdout.splitlines() == ["True 0", "True 0"]
