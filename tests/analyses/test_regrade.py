"""Re-grading a corpus under new rules (`framework-dsl diff`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from syrupy.assertion import SnapshotAssertion

from framework_dsl import load_rules
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.inputs import EvidenceInput
from framework_dsl.regrade import RegradeSummary, regrade, regrade_parallel

RULES = """framework marks "Marks" effective from 2020-01-01
scale grade: good > poor
evidence:
  score: integer
{extra}judgement result: grade
  good when score >= {threshold} because "score {{score}}, at least {threshold}"
  otherwise poor because "score {{score}}, below {threshold}"
"""


def _write(folder: Path, threshold: int, extra: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "marks.fw").write_text(RULES.format(threshold=threshold, extra=extra), encoding="utf-8")
    return folder


def _document(score: int) -> bytes:
    return json.dumps({"framework": "marks", "score": score}).encode()


@settings(max_examples=30, deadline=None)
@given(old=st.integers(0, 6), new=st.integers(0, 6), scores=st.lists(st.integers(0, 6), max_size=8))
def test_a_document_changes_exactly_when_the_threshold_moved_across_its_score(
    tmp_path_factory: pytest.TempPathFactory, old: int, new: int, scores: list[int]
) -> None:
    """Under `score >= old` and then `score >= new`, a score changes grade iff it lies between the two."""
    base = tmp_path_factory.mktemp("regrade")
    before, after = load_rules(_write(base / "a", old)), load_rules(_write(base / "b", new))
    inputs = [EvidenceInput(f"doc{i}", _document(s)) for i, s in enumerate(scores)]
    changed = [d.source for d in regrade(before, after, inputs, as_of=None) if d.changes]
    assert changed == [f"doc{i}" for i, s in enumerate(scores) if (s >= old) != (s >= new)]


def test_counts_by_decision_and_outcomes(tmp_path: Path) -> None:
    """The summary counts each transition; documents are counted once however many of their decisions change."""
    before, after = load_rules(_write(tmp_path / "a", 3)), load_rules(_write(tmp_path / "b", 5))
    summary = RegradeSummary()
    for document in regrade(before, after, [EvidenceInput(str(s), _document(s)) for s in (1, 3, 4, 5, 9)]):
        summary.add(document)
    assert summary.to_dict() == {
        "documents": 5,
        "changed": 2,
        "unchanged": 3,
        "not_compared": {},
        "transitions": [{"framework": "marks", "decision": "result", "before": "good", "after": "poor", "count": 2}],
    }


def test_a_document_invalid_under_the_new_rules_is_a_change_of_status(tmp_path: Path) -> None:
    """New rules that require a field the corpus lacks: the documents' status changes, with the problem."""
    before = load_rules(_write(tmp_path / "a", 3))
    after = load_rules(_write(tmp_path / "b", 3, extra="  reviewed: boolean\n"))
    (change,) = next(iter(regrade(before, after, [EvidenceInput("doc", _document(4))]))).changes
    assert (change.decision, change.before.status, change.after.status) == ("status", "evaluated", "invalid_evidence")
    assert change.after.reason is not None and "`reviewed` is missing" in change.after.reason


def test_the_command_shows_reasons_rules_and_counts(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """Text output: each changed document with both reasons and rules, then counts; exit 1 when something changed."""
    _write(tmp_path / "old", 3)
    _write(tmp_path / "new", 5)
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_bytes(b"\n".join(_document(s) for s in (2, 4, 6)) + b"\n")
    runner = CliRunner()
    args = ["diff", "--before", str(tmp_path / "old"), "--after", str(tmp_path / "new"), str(corpus)]
    shown = runner.invoke(framework_dsl, args)
    assert shown.exit_code == 1, shown.output
    assert shown.output.replace(str(tmp_path), "TMP") == snapshot
    lines = [
        json.loads(line) for line in runner.invoke(framework_dsl, [*args, "--format", "jsonl"]).output.splitlines()
    ]
    assert [line.get("source") for line in lines[:-1]] == [f"{corpus}:2"]
    assert lines[-1]["summary"]["changed"] == 1
    same = runner.invoke(
        framework_dsl, ["diff", "--before", str(tmp_path / "old"), "--after", str(tmp_path / "old"), str(corpus)]
    )
    assert same.exit_code == 0
    assert "0 changed, 3 unchanged" in same.output


def test_rules_that_do_not_check_exit_2(tmp_path: Path) -> None:
    """A version of the rules that does not check is named, with its diagnostics."""
    _write(tmp_path / "old", 3)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "marks.fw").write_text("framework marks\n", encoding="utf-8")
    corpus = tmp_path / "doc.json"
    corpus.write_bytes(_document(1))
    shown = CliRunner().invoke(
        framework_dsl, ["diff", "--before", str(tmp_path / "old"), "--after", str(tmp_path / "bad"), str(corpus)]
    )
    assert shown.exit_code == 2
    assert "the rules of --after do not check" in shown.output


def test_documents_neither_version_evaluates_are_named_not_passed_over(tmp_path: Path) -> None:
    """A missing file and an invalid document: named on standard error with their problem, counted, exit 1."""
    _write(tmp_path / "old", 3)
    bad = tmp_path / "bad.json"
    bad.write_text('{"framework": "marks", "score": "high"}', encoding="utf-8")
    args = ["diff", "--before", str(tmp_path / "old"), "--after", str(tmp_path / "old")]
    shown = CliRunner().invoke(framework_dsl, [*args, str(tmp_path / "missing.json"), str(bad)])
    assert shown.exit_code == 1
    assert f"{tmp_path / 'missing.json'}: not compared, invalid evidence under both versions" in shown.stderr
    assert "/score:" in shown.stderr
    assert "2 of them invalid evidence under both (not compared)" in shown.stdout


def test_jobs_give_byte_identical_output(tmp_path: Path) -> None:
    """With --jobs 2 (and 3) the output and standard error are byte for byte those of --jobs 1, text and JSON Lines.

    The corpus mixes single files, a folder, a `.jsonl` file longer than one unit of work,
    an unreadable line and a document neither version evaluates, so units of both kinds
    come back from different workers and must be put back in input order.
    """
    before, after = _write(tmp_path / "a", 3), _write(tmp_path / "b", 5)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for score in range(8):
        (corpus / f"doc{score}.json").write_bytes(_document(score))
    (corpus / "invalid.json").write_text('{"framework": "marks", "score": "high"}', encoding="utf-8")
    lines = [_document(score % 7).decode() for score in range(150)]
    lines[70] = "{not json"
    (tmp_path / "many.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    inputs = [str(tmp_path / "many.jsonl"), str(corpus), str(corpus / "doc4.json")]
    runner = CliRunner()
    for output_format in ("text", "jsonl"):
        options = ["--format", output_format]
        runs = [
            runner.invoke(
                framework_dsl,
                ["diff", "--before", str(before), "--after", str(after), *inputs, *options, "--jobs", str(jobs)],
            )
            for jobs in (1, 2, 3)
        ]
        assert [r.exit_code for r in runs] == [1, 1, 1], runs[0].output
        assert runs[0].stdout.count(" -> ") > 40 or output_format == "jsonl"
        assert "many.jsonl:71" in runs[0].stderr
        for run in runs[1:]:
            assert run.stdout_bytes == runs[0].stdout_bytes, output_format
            assert run.stderr_bytes == runs[0].stderr_bytes, output_format


def test_in_parallel_the_same_changes_come_in_the_same_order(tmp_path: Path) -> None:
    """`regrade_parallel` in units of a few documents gives exactly `regrade`'s changes, in order."""
    before, after = load_rules(_write(tmp_path / "a", 2)), load_rules(_write(tmp_path / "b", 4))
    inputs = [EvidenceInput(f"doc{i}", _document(i % 6)) for i in range(40)]
    expected = list(regrade(before, after, inputs))
    paths = ((str(tmp_path / "a"),), (str(tmp_path / "b"),))
    found = list(regrade_parallel(before, after, paths, inputs, jobs=2, per_unit=3))
    assert found == expected
    assert sum(bool(d.changes) for d in found) == 14  # the scores 2 and 3 (i % 6), 7 times each
