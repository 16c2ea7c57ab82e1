"""Reports through `framework-check`: the formats, the output file, and terminal safety end to end."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from framework_dsl.cli import framework_check

REPO = Path(__file__).resolve().parents[2]
CQC = REPO / "examples" / "cqc"
ESCAPES = "Acme\x1b[2J\x1b]0;pwned\x07\rCare\u202e"


def _evidence_with_escapes(tmp_path: Path) -> Path:
    data = json.loads((CQC / "typical.json").read_text(encoding="utf-8"))
    data["subject"]["provider"] = ESCAPES
    data["sector"] = "adult\x1b[31msocial"  # invalid: the problem quotes it on standard error
    path = tmp_path / "escapes.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_text_output_shows_terminal_escapes_instead_of_obeying_them(tmp_path: Path) -> None:
    """Text on stdout and problems on stderr carry no control character from evidence, in a real process."""
    path = _evidence_with_escapes(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "framework_dsl", str(path), "--format", "text"],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1
    for stream in (done.stdout, done.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream and b"\r" not in stream
    assert b"Acme\\x1b[2J\\x1b]0;pwned\\x07\\rCare\\u202e" in done.stdout
    assert b"adult\\x1b[31msocial" in done.stderr


def test_batch_reports_go_to_the_output_file_whole(tmp_path: Path) -> None:
    """A mixed batch as HTML and as Markdown: exit 1, the file holds the counts, the contents and every document."""
    inputs = [str(CQC / f"{name}.json") for name in ("typical", "undetermined", "invalid", "not-in-force")]
    for output_format in ("html", "markdown"):
        target = tmp_path / f"report.{output_format}"
        result = CliRunner().invoke(framework_check, [*inputs, "--format", output_format, "--output", str(target)])
        assert result.exit_code == 1, result.output
        report = target.read_text(encoding="utf-8")
        assert "4 evidence documents" in report
        assert re.search(r"Needs attention (<span class=\"count\">)?\(3\)", report)
        assert report.count("doc-4") >= 2  # linked from the contents, and the section itself
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_jobs_give_the_same_report(tmp_path: Path) -> None:
    """With --jobs 2 the HTML report is byte for byte the one a single process writes."""
    inputs = [str(CQC / f"{name}.json") for name in ("typical", "undetermined", "invalid", "worked-1-all-good")]
    reports = []
    for jobs in ("1", "2"):
        target = tmp_path / f"report-{jobs}.html"
        result = CliRunner().invoke(
            framework_check, [*inputs, "--format", "html", "--output", str(target), "--jobs", jobs]
        )
        assert result.exit_code == 1, result.output
        reports.append(target.read_bytes())
    assert reports[0] == reports[1]


def test_a_report_of_one_document_says_what_would_change_it(tmp_path: Path) -> None:
    """One document as HTML or Markdown: each judgement says what would change it; in a batch none does."""
    one = tmp_path / "one.html"
    done = CliRunner().invoke(framework_check, [str(CQC / "typical.json"), "--format", "html", "--output", str(one)])
    assert done.exit_code == 0, done.output
    report = one.read_text(encoding="utf-8")
    well_led = report[report.index('id="doc-1-well_led"') : report.index('id="doc-1-overall"')]
    line = "To <strong>Good</strong>: <code>/key_questions/well_led/rating</code> Requires improvement → Good"
    assert line in well_led
    markdown = tmp_path / "one.md"
    done = CliRunner().invoke(
        framework_check, [str(CQC / "typical.json"), "--format", "markdown", "--output", str(markdown)]
    )
    assert done.exit_code == 0, done.output
    line = "  - To **Good**: `/key_questions/well_led/rating` Requires improvement → Good\n"
    assert line in markdown.read_text(encoding="utf-8")
    batch = tmp_path / "batch.html"
    inputs = [str(CQC / "typical.json"), str(CQC / "worked-1-all-good.json")]
    done = CliRunner().invoke(framework_check, [*inputs, "--format", "html", "--output", str(batch)])
    assert done.exit_code == 0, done.output
    assert "What would change it" not in batch.read_text(encoding="utf-8")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "typical.json").write_bytes((CQC / "typical.json").read_bytes())
    done = CliRunner().invoke(framework_check, [str(folder), "--format", "html", "--output", str(batch)])
    assert "What would change it" not in batch.read_text(encoding="utf-8")  # a folder is a batch, even of one
