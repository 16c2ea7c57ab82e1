"""A batch as a person sees it: `framework-check` run for real with standard error on a
pseudo-terminal (progress line, capped problems, summary), and off a terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLAS = REPO / "examples" / "clas"

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")

PROGRESS = re.compile(r"\r(\d[\d,]*) of 300 documents \((\d+)%\)")
SUMMARY = "300 documents: 294 evaluated, 3 undetermined, 1 not in force, 2 invalid; report: report.jsonl"


def _batch(folder: Path) -> Path:
    """300 documents: 3 undetermined (JTAI), 1 not in force, 2 invalid (7 problems each), the rest decided (CLAS)."""
    decided = json.loads((CLAS / "partial.json").read_text(encoding="utf-8"))
    invalid = json.loads((CLAS / "invalid.json").read_text(encoding="utf-8"))
    before = json.loads((CLAS / "before-programme.json").read_text(encoding="utf-8"))
    undetermined = json.loads((REPO / "examples" / "jtai" / "thematic-no-theme.json").read_text(encoding="utf-8"))
    special = {10: invalid, 20: undetermined, 30: before, 40: undetermined, 250: invalid, 299: undetermined}
    lines = [json.dumps(special.get(index, decided)) for index in range(300)]
    path = folder / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NO_COLOR")}
    env["COLUMNS"] = "120"
    return env


def _run_on_terminal(*args: str, cwd: Path, stdout_too: bool = False) -> tuple[int, str, bytes]:
    """Run framework-check with standard error (and, if asked, standard output) on a new
    pseudo-terminal: (exit code, what the terminal received, standard output if not there)."""
    primary, secondary = os.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "framework_dsl", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=secondary if stdout_too else subprocess.PIPE,
            stderr=secondary,
            env=_environment(),
        )
    finally:
        os.close(secondary)
    received = bytearray()
    # Read as it runs (the terminal's buffer is small) until the terminal closes.
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: every writer has closed its end
            break
        if not chunk:
            break
        received += chunk
    os.close(primary)
    stdout = process.stdout.read() if process.stdout is not None else b""
    if process.stdout is not None:
        process.stdout.close()
    code = process.wait(timeout=120)
    return code, received.decode("utf-8").replace("\r\n", "\n"), stdout


def test_a_batch_on_a_terminal_shows_progress_capped_problems_and_a_summary(tmp_path: Path) -> None:
    """On a terminal: the progress line (count, share), at most five problems a document, a note of
    the rest and where they are, and the summary as the last line."""
    _batch(tmp_path)
    code, terminal, _ = _run_on_terminal(
        "batch.jsonl", "--format", "jsonl", "--output", "report.jsonl", "--as-of", "2019-01-01", cwd=tmp_path
    )
    assert code == 1
    drawn = PROGRESS.findall(terminal)
    assert drawn, terminal
    counts = [int(done.replace(",", "")) for done, _ in drawn]
    assert counts == sorted(counts) and counts[0] >= 1 and counts[-1] <= 300
    assert all(int(share) == count * 100 // 300 for count, (_, share) in zip(counts, drawn, strict=True))
    # Two invalid documents of seven problems each: five shown of each, then the rest counted.
    assert terminal.count("error[evidence.") == 10
    assert terminal.count("   ... and 2 more problems in this document\n") == 2
    assert "4 more problems in 2 documents not shown; the report (report.jsonl) lists every one" in terminal
    # The last thing on the terminal is the summary, on a line of its own, the progress line blanked.
    last = terminal.rstrip("\n").rsplit("\n", 1)[-1].rsplit("\r", 1)[-1]
    assert last == SUMMARY
    assert terminal.endswith(SUMMARY + "\n")
    report = [json.loads(line) for line in (tmp_path / "report.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(report) == 300
    assert sum(len(r["problems"]) for r in report) == 14  # every problem is in the report


def test_all_problems_shows_every_one_on_a_terminal(tmp_path: Path) -> None:
    """--all-problems lifts the cap: all fourteen problems reach the terminal, and no note is needed."""
    _batch(tmp_path)
    code, terminal, _ = _run_on_terminal(
        "batch.jsonl", "--format", "jsonl", "--output", "report.jsonl", "--all-problems", cwd=tmp_path
    )
    assert code == 1
    assert terminal.count("error[evidence.") == 14
    assert "not shown" not in terminal


def test_quiet_on_a_terminal_shows_problems_only(tmp_path: Path) -> None:
    """--quiet: no progress line and no summary; the problems (capped) are still shown."""
    _batch(tmp_path)
    code, terminal, _ = _run_on_terminal(
        "batch.jsonl", "--format", "jsonl", "--output", "report.jsonl", "--quiet", "--as-of", "2019-01-01", cwd=tmp_path
    )
    assert code == 1
    assert "\r" not in terminal and not PROGRESS.search(terminal)
    assert "300 documents:" not in terminal
    assert terminal.count("error[evidence.") == 10
    assert terminal.endswith(
        "4 more problems in 2 documents not shown; the report (report.jsonl) lists every one, "
        "and --all-problems shows them here\n"
    )


def test_no_progress_line_when_the_report_goes_to_the_same_terminal(tmp_path: Path) -> None:
    """When standard output is the terminal too, the report is what scrolls past: no progress line, but the summary."""
    _batch(tmp_path)
    code, terminal, _ = _run_on_terminal(
        "batch.jsonl", "--format", "jsonl", "--as-of", "2019-01-01", cwd=tmp_path, stdout_too=True
    )
    assert code == 1
    assert not PROGRESS.search(terminal)
    assert terminal.endswith(SUMMARY.replace("report.jsonl", "standard output") + "\n")


def test_off_a_terminal_the_summary_comes_without_progress_and_every_problem(tmp_path: Path) -> None:
    """Standard error to a pipe (a log, CI): no progress line, every problem, then the summary line."""
    _batch(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "framework_dsl", "batch.jsonl", "--format", "jsonl", "--as-of", "2019-01-01"],
        cwd=tmp_path,
        capture_output=True,
        env=_environment(),
        check=False,
    )
    assert done.returncode == 1
    stderr = done.stderr.decode("utf-8")
    assert "\r" not in stderr
    assert stderr.count("error[evidence.") == 14
    assert stderr.endswith(SUMMARY.replace("report.jsonl", "standard output") + "\n")
    assert len(done.stdout.splitlines()) == 300


def test_one_document_has_no_summary(tmp_path: Path) -> None:
    """A single document's report says it all: nothing is added on standard error."""
    code, terminal, stdout = _run_on_terminal(str(CLAS / "complete.json"), "--format", "json", cwd=tmp_path)
    assert code == 0
    assert terminal == ""
    assert json.loads(stdout)["status"] == "evaluated"


def test_the_documents_are_counted_from_the_first_drawing_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The progress line's total is counted by a thread that starts when first asked for (after the first
    document, so after any worker processes have been forked: no fork beside a thread)."""
    import threading

    from framework_dsl.cli import check

    released = threading.Event()

    def count_documents(paths: tuple[str, ...]) -> int:
        released.wait(10)  # holds the counting thread alive until the test has looked
        return len(paths)

    def counting() -> list[threading.Thread]:
        return [thread for thread in threading.enumerate() if thread.name == "framework-check count"]

    monkeypatch.setattr(check, "count_documents", count_documents)
    total = check._counted_in_background(("a.jsonl", "b.jsonl"))
    assert not counting()
    assert total() is None  # asked for: the thread starts, and has not counted yet
    assert len(counting()) == 1
    released.set()
    counting()[0].join(10)
    assert total() == 2
