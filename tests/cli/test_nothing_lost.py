"""Nothing is lost: reports are replaced whole or not at all, inputs are never touched, and output is stable.

- `--output` is atomic: a run killed mid-way (SIGKILL, SIGTERM, Ctrl-C) leaves the
  previous report exactly as it was; only a finished run replaces it.
- Evidence and rule files are read, never written.
- One bad document in a batch is reported and the rest are still evaluated (exit 1).
- The same inputs give byte-identical output across runs, hash seeds, `--jobs`, and the
  order in which a set-valued field lists its members.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
CLAS = REPO / "examples" / "clas"
CLAS_RULES = str(RULES / "clas")  # the clas rules alone load faster than every bundled framework
FRAMEWORK_CHECK = Path(sys.executable).with_name("framework-check")
AS_OF = "2020-06-30"
OLD_REPORT = b'{"an": "older report, which must survive"}\n'

pytestmark = pytest.mark.skipif(not CLAS.is_dir(), reason="needs the clas examples")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run `framework-check` to completion."""
    return subprocess.run(
        [str(FRAMEWORK_CHECK), "--rules", CLAS_RULES, *args],
        capture_output=True,
        timeout=300,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def invoke(*args: str, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    """Run `framework-check` in this process (click's runner): (exit code, stdout, stderr)."""
    from click.testing import CliRunner

    from framework_dsl.cli import framework_check

    outcome = CliRunner().invoke(framework_check, ["--rules", CLAS_RULES, *args], input=stdin)
    if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
        raise outcome.exception
    return outcome.exit_code, outcome.stdout_bytes, outcome.stderr_bytes


def digest_tree(*roots: Path) -> dict[str, tuple[str, int, int]]:
    """SHA-256, size and modification time of every file under `roots`."""
    found = {}
    for root in roots:
        for path in sorted(p for p in (root.rglob("*") if root.is_dir() else [root]) if p.is_file()):
            info = path.stat()
            found[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), info.st_size, info.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def big_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A .jsonl of 50,000 clas documents (the bundled examples, valid and invalid, each with its own subject)."""
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CLAS.glob("*.json"))]
    path = tmp_path_factory.mktemp("batch") / "big.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for number in range(50_000):
            document = dict(documents[number % len(documents)])
            document["subject"] = {"number": number}
            handle.write(json.dumps(document) + "\n")
    return path


def start_and_stop(
    batch: Path, folder: Path, how: signal.Signals, *extra: str, group: bool = False
) -> tuple[int, list[str]]:
    """Start a big report into `folder/report.json`, send `how` once it is being written; (exit code, leftovers).

    With `group`, the signal goes to the whole process group, as Ctrl-C in a terminal sends it.
    """
    report = folder / "report.json"
    report.write_bytes(OLD_REPORT)
    errors = (folder / "stderr.txt").open("wb")
    with errors:
        process = subprocess.Popen(
            [
                str(FRAMEWORK_CHECK),
                "--rules",
                CLAS_RULES,
                str(batch),
                "--format",
                "json",
                "--as-of",
                AS_OF,
                "--output",
                str(report),
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=errors,
            cwd=folder,
            start_new_session=group,
        )
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                partial = list(folder.glob(".report.json.*"))
                if partial and partial[0].stat().st_size > 50_000:
                    break
                assert process.poll() is None, "the run ended before it could be interrupted"
                time.sleep(0.02)
            else:
                pytest.fail("the report was never started")
            assert process.poll() is None, "the run ended before it could be interrupted"
            if group:
                os.killpg(process.pid, how)
            else:
                process.send_signal(how)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:  # pragma: no cover - only when an assertion above failed
                process.kill()
                process.wait()
    leftovers = sorted(p.name for p in folder.iterdir() if p.name not in {"report.json", "stderr.txt"})
    return code, leftovers


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["kill", "term", "interrupt"])
def test_an_interrupted_run_leaves_the_previous_report_intact(
    big_batch: Path, tmp_path: Path, how: signal.Signals
) -> None:
    """Killing a run that is writing a 50,000-result report leaves the old report byte for byte, never a partial one."""
    code, leftovers = start_and_stop(big_batch, tmp_path, how)
    assert code in (-how, 128 + how, 130)
    assert (tmp_path / "report.json").read_bytes() == OLD_REPORT
    assert all(name.startswith(".report.json.") and name.endswith(".tmp") for name in leftovers), leftovers
    if how == signal.SIGINT:
        assert leftovers == [], "Ctrl-C must remove the unfinished temporary file"
        assert b"Traceback" not in (tmp_path / "stderr.txt").read_bytes()


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["term", "interrupt"])
def test_an_interrupted_parallel_run_stops_its_workers_quietly(
    big_batch: Path, tmp_path: Path, how: signal.Signals
) -> None:
    """--jobs 2 stopped by SIGTERM, or by Ctrl-C sent to every process: the old report stays, no worker lingers."""
    code, leftovers = start_and_stop(big_batch, tmp_path, how, "--jobs", "2", group=True)
    assert code in (128 + how, 130)
    assert (tmp_path / "report.json").read_bytes() == OLD_REPORT
    assert leftovers == []
    assert b"Traceback" not in (tmp_path / "stderr.txt").read_bytes()
    stray = subprocess.run(["pgrep", "-f", str(tmp_path / "report.json")], capture_output=True, check=False)
    assert stray.stdout == b"", "a worker outlived the run"


def test_a_terminated_run_leaves_no_temporary_file(big_batch: Path, tmp_path: Path) -> None:
    """After SIGTERM, as after Ctrl-C, no unfinished temporary file is left beside the report."""
    _, leftovers = start_and_stop(big_batch, tmp_path, signal.SIGTERM)
    assert leftovers == []


def test_a_finished_run_replaces_the_report_whole(tmp_path: Path) -> None:
    """A run that finishes replaces the old report with exactly what it would have printed."""
    report = tmp_path / "report.json"
    report.write_bytes(OLD_REPORT)
    inputs = [str(p) for p in sorted(CLAS.glob("*.json"))]
    written = invoke(*inputs, "--format", "json", "--as-of", AS_OF, "--output", str(report))
    printed = invoke(*inputs, "--format", "json", "--as-of", AS_OF)
    assert written[0] == printed[0] == 1
    assert written[1] == b""
    assert report.read_bytes() == printed[1]
    assert len(json.loads(report.read_bytes())) == len(inputs)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_report_gets_the_permissions_of_an_ordinary_file(tmp_path: Path) -> None:
    """The report file has the mode any new file gets under the current umask (0644 under umask 022)."""
    previous = os.umask(0o022)
    try:
        report = tmp_path / "report.json"
        code, _, stderr = invoke(str(CLAS / "complete.json"), "--format", "json", "--output", str(report))
    finally:
        os.umask(previous)
    assert code == 0, stderr
    assert stat.S_IMODE(report.stat().st_mode) == 0o644


# ---------------------------------------------------------------- inputs are only read


def test_inputs_and_rules_are_never_modified(tmp_path: Path) -> None:
    """Evidence files and rule files hash the same, with the same times, after runs in every format."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for path in sorted(CLAS.glob("*.json")):
        (evidence / path.name).write_bytes(path.read_bytes())
    (evidence / "batch.jsonl").write_bytes(
        b"".join(p.read_bytes().replace(b"\n", b"") + b"\n" for p in sorted(CLAS.glob("*.json")))
    )
    before = digest_tree(evidence, RULES)
    for output_format in ("json", "jsonl", "text", "markdown", "html"):
        code, _, stderr = invoke(
            str(evidence), "--format", output_format, "--explain", "--output", str(tmp_path / f"r.{output_format}")
        )
        assert code == 1, stderr
    assert digest_tree(evidence, RULES) == before


# ---------------------------------------------------------------- one bad input does not stop the rest


def test_one_bad_file_in_a_batch_is_reported_and_the_rest_evaluated(tmp_path: Path) -> None:
    """Among good files, broken ones (invalid, not JSON, empty, missing, a bad .jsonl line) are reported; exit 1."""
    good = (CLAS / "complete.json").read_bytes()
    files = {
        "1-good.json": good,
        "2-invalid.json": (CLAS / "invalid.json").read_bytes(),
        "3-garbage.json": b"\x00\xff{{not json",
        "4-empty.json": b"",
        "5-good.json": (CLAS / "partial.json").read_bytes(),
        "6-lines.jsonl": good.replace(b"\n", b"") + b"\n{oops\n" + good.replace(b"\n", b"") + b"\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    arguments = [*sorted(files), "7-missing.json"]
    completed = run(*arguments, "--format", "json", "--as-of", AS_OF, cwd=tmp_path)
    stderr = completed.stderr.decode("utf-8")
    assert completed.returncode == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    results = json.loads(completed.stdout)
    assert [(r["source"], r["status"]) for r in results] == [
        ("1-good.json", "evaluated"),
        ("2-invalid.json", "invalid_evidence"),
        ("3-garbage.json", "invalid_evidence"),
        ("4-empty.json", "invalid_evidence"),
        ("5-good.json", "evaluated"),
        ("6-lines.jsonl:1", "evaluated"),
        ("6-lines.jsonl:2", "invalid_evidence"),
        ("6-lines.jsonl:3", "evaluated"),
        ("7-missing.json", "invalid_evidence"),
    ]
    for bad in ("2-invalid.json", "3-garbage.json", "4-empty.json", "6-lines.jsonl:2", "7-missing.json"):
        assert bad in stderr


PATHOLOGICAL = {
    "deep-subject": b'{"framework": "clas", "subject": '
    + b'{"a": ' * 700
    + b"1"
    + b"}" * 700
    + b', "review": {"date": "2018-03-16", "recommendations": 1}, "services_reviewed": []}',
    "lone-surrogate": b'{"framework": "clas", "\\ud800": 1, "review": {"date": "2018-03-16", "recommendations": 1}, '
    b'"services_reviewed": []}',
}


@pytest.mark.parametrize("case", sorted(PATHOLOGICAL))
def test_a_pathological_document_does_not_stop_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """A document that once crashed the engine is reported like any bad input, and the batch still completes."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "1-bad.json").write_bytes(PATHOLOGICAL[case])
    (tmp_path / "2-good.json").write_bytes((CLAS / "complete.json").read_bytes())
    code, stdout, stderr = invoke("1-bad.json", "2-good.json", "--format", "json", "--as-of", AS_OF)
    assert b"internal error" not in stderr and b"Traceback" not in stderr
    assert code in (0, 1), stderr
    results = json.loads(stdout)
    assert [r["source"] for r in results] == ["1-bad.json", "2-good.json"]
    assert results[1]["status"] == "evaluated"
    stdout.decode("utf-8")


# ---------------------------------------------------------------- the same input, the same bytes


_EVERY_FORMAT = """
import json, sys
from click.testing import CliRunner
from framework_dsl.cli import framework_check
rules, as_of, inputs = sys.argv[1], sys.argv[2], sys.argv[3:]
outputs = {}
runs = [("json", []), ("jsonl", []), ("text", []), ("markdown", []), ("html", []), ("json-explain", ["--explain"])]
if "--with-jobs" in inputs:
    inputs.remove("--with-jobs")
    runs.append(("json-jobs-2", ["--jobs", "2"]))
for name, extra in runs:
    output_format = name.split("-")[0]
    arguments = ["--rules", rules, *inputs, "--format", output_format, "--as-of", as_of, *extra]
    outcome = CliRunner().invoke(framework_check, arguments)
    assert outcome.exit_code == 1, (name, outcome.output, outcome.exception)
    outputs[name] = outcome.stdout_bytes.decode("utf-8")
print(json.dumps(outputs))
"""


def test_output_is_byte_identical_across_runs_hash_seeds_and_jobs(tmp_path: Path) -> None:
    """Every output format of every clas example is the same bytes under two hash seeds, and --jobs 2 = --jobs 1."""
    inputs = [str(p) for p in sorted(CLAS.glob("*.json"))]
    outputs = []
    for seed, jobs in (("0", ["--with-jobs"]), ("987654", [])):
        completed = subprocess.run(
            [sys.executable, "-c", _EVERY_FORMAT, CLAS_RULES, AS_OF, *inputs, *jobs],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
            cwd=tmp_path,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.append(json.loads(completed.stdout))
    for name in outputs[1]:
        assert outputs[1][name] == outputs[0][name], name
    assert outputs[0]["json-jobs-2"] == outputs[0]["json"]


def test_the_order_of_a_set_does_not_change_the_output() -> None:
    """Listing clas's services_reviewed in another order gives byte-identical output."""
    document = json.loads((CLAS / "partial.json").read_text(encoding="utf-8"))
    services = document["services_reviewed"]
    outputs = []
    for order in (services, services[::-1], sorted(services)):
        data = json.dumps({**document, "services_reviewed": order}).encode("utf-8")
        outputs.append(invoke("-", "--format", "json", stdin=data)[1])
    assert outputs[0] and outputs[1] == outputs[0] and outputs[2] == outputs[0]


def test_jobs_split_jsonl_files_into_line_ranges_and_lose_nothing(tmp_path: Path) -> None:
    """--jobs 2 on .jsonl files (many units, blank and broken lines), a folder and a file gives --jobs 1's bytes."""
    documents = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CLAS.glob("*.json"))]
    lines = []
    for index in range(300):
        if index % 97 == 5:
            lines.append("")  # a blank line: skipped, but counted in the line numbers
        elif index % 89 == 7:
            lines.append('{"framework": "clas", "review": ')  # cut short
        else:
            lines.append(json.dumps({**documents[index % len(documents)], "subject": {"n": index}}))
    (tmp_path / "many.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "last-line-unended.jsonl").write_text(lines[1] + "\n" + lines[2], encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(documents[0]), encoding="utf-8")
    (folder / "b.jsonl").write_text(lines[3] + "\n\n" + lines[4] + "\n", encoding="utf-8")
    inputs = ["many.jsonl", "folder", "last-line-unended.jsonl", str(CLAS / "complete.json")]
    for output_format in ("jsonl", "json", "text", "markdown"):
        outputs = []
        for jobs in ("1", "2"):
            outputs.append(run(*inputs, "--format", output_format, "--as-of", AS_OF, "--jobs", jobs, cwd=tmp_path))
        single, parallel = outputs
        assert single.returncode == parallel.returncode == 1, single.stderr.decode()
        assert parallel.stdout == single.stdout, output_format
        assert parallel.stderr == single.stderr, output_format
        # Into a file, --jobs 2 workers write their own output where the parent says.
        report = tmp_path / f"report.{output_format}"
        into_file = run(
            *inputs, "--format", output_format, "--as-of", AS_OF, "--jobs", "2", "--output", report.name, cwd=tmp_path
        )
        # The same problems and the same summary, which names the report's file instead.
        named = single.stderr.replace(b"; report: standard output\n", f"; report: {report.name}\n".encode())
        assert named != single.stderr and into_file.returncode == 1 and into_file.stderr == named, output_format
        assert report.read_bytes() == single.stdout, output_format
    # One document: a .jsonl file of one line (an array of one), a .json file (the object alone).
    (tmp_path / "one.jsonl").write_text(lines[1] + "\n", encoding="utf-8")
    for alone in ("one.jsonl", str(CLAS / "complete.json")):
        for output_format in ("json", "jsonl", "text"):
            expected = run(alone, "--format", output_format, "--as-of", AS_OF, cwd=tmp_path)
            report = tmp_path / "alone.out"
            into_file = run(
                alone, "--format", output_format, "--as-of", AS_OF, "--jobs", "2", "--output", report.name, cwd=tmp_path
            )
            assert into_file.returncode == expected.returncode, into_file.stderr.decode()
            assert report.read_bytes() == expected.stdout, (alone, output_format)
    jsonl = run(*inputs, "--format", "jsonl", "--as-of", AS_OF, "--jobs", "2", cwd=tmp_path)
    sources = [json.loads(line)["source"] for line in jsonl.stdout.splitlines()]
    assert len(sources) == 296 + 3 + 2 + 1  # many.jsonl has 4 blank lines of 300
    assert sources[:7] == [f"many.jsonl:{n}" for n in (1, 2, 3, 4, 5, 7, 8)]
    assert sources[-6:] == [
        str(Path("folder") / "a.json"),
        str(Path("folder") / "b.jsonl") + ":1",
        str(Path("folder") / "b.jsonl") + ":3",
        "last-line-unended.jsonl:1",
        "last-line-unended.jsonl:2",
        str(CLAS / "complete.json"),
    ]
