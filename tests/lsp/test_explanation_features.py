"""The language server's help with expectations about an explanation: the forms after `expect NAME`, the
clauses after `clause`, and a hover on `clause N` that shows the clause (plain functions, no server)."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from framework_dsl.lsp.analysis import analyse
from framework_dsl.lsp.features import completion, hover

RULES = """framework marks "Marks" effective from 2020-01-01
scale grade: good > poor
evidence:
  score: integer
judgement result: grade
  good when score >= 3 because "enough"
  otherwise poor because "too few"
example "three"
  given {"framework": "marks", "score": 3}
  as of 2021-01-01
  expect result decided by clause 1
"""


def _at(text: str, offset: int) -> types.Position:
    line = text.count("\n", 0, offset)
    return types.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))


def _labels(tmp_path: Path, typed: str) -> list[str]:
    path = tmp_path / "marks.fw"
    path.write_text(RULES, encoding="utf-8")
    analysis = analyse(path, {})
    text = RULES + typed
    return [item.label for item in completion(analysis, text, _at(text, len(text))).items]


def test_after_the_decision_an_example_expects_come_the_forms_of_expectation(tmp_path: Path) -> None:
    """`expect result ` offers `=`, `because`, `decided by clause`, `reads`, `is undetermined missing`, ..."""
    labels = _labels(tmp_path, "  expect result ")
    assert {
        "=",
        "because",
        "decided by clause",
        "is undetermined at clause",
        "reads",
        "is undetermined missing",
    } <= set(labels)


def test_after_clause_come_the_decisions_clauses(tmp_path: Path) -> None:
    """`decided by clause ` offers each clause's number, its first line as the detail."""
    path = tmp_path / "marks.fw"
    path.write_text(RULES, encoding="utf-8")
    analysis = analyse(path, {})
    text = RULES + "  expect result is undetermined at clause "
    items = completion(analysis, text, _at(text, len(text))).items
    assert [(i.label, i.detail) for i in items] == [
        ("1", 'good when score >= 3 because "enough"'),
        ("2", 'otherwise poor because "too few"'),
    ]


def test_hover_on_a_clause_number_shows_the_clause(tmp_path: Path) -> None:
    """Over `clause 1` of an expectation: the clause as written, and its location."""
    path = tmp_path / "marks.fw"
    path.write_text(RULES, encoding="utf-8")
    analysis = analyse(path, {})
    found = hover(analysis, _at(RULES, RULES.index("clause 1") + 3))
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    assert 'good when score >= 3 because "enough"' in found.contents.value
    assert "clause 1 of `result`" in found.contents.value
    assert hover(analysis, _at(RULES, RULES.index("as of") + 1)) is None
