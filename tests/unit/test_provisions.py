"""Statutory references in the checker, the validators and the schema export."""

from __future__ import annotations

import pytest

from framework_dsl.json_schema import evidence_schema

RULES = """\
framework refs "References"
  effective from 2015-01-01

evidence:
  paragraph: provision "The paragraph breached"
  note: text "Free text"

judgement direct: boolean
  otherwise paragraph within ["16(3)", "20(2)(a)"]
    because "within"
"""


def test_within_on_a_text_field_says_to_declare_it_a_provision(check_text) -> None:  # type: ignore[no-untyped-def]
    """`note within "16(3)"` on a text field is a located type error whose hint names the `provision` type."""
    _, diagnostics = check_text(
        RULES + '\njudgement wrong: boolean\n  otherwise note within "16(3)"\n    because "x"\n'
    )
    [problem] = diagnostics
    assert problem.code == "types.mismatch"
    assert "needs a provision on its left, but this is text" in problem.message
    assert problem.hint is not None and "`provision`" in problem.hint
    assert problem.span is not None and problem.span.line == 13


@pytest.mark.parametrize("engine", ["compiled", "reference"])
@pytest.mark.parametrize(
    ("given", "expected"),
    [("16(3)", True), ("16(3)(b)", True), ("20(2)(a)(i)", True), ("17(1)", False), ("16", None), ("20(2)", None)],
)
def test_within_decides_on_both_paths(check_text, engine: str, given: str, expected: bool | None) -> None:  # type: ignore[no-untyped-def]
    """Within a provision or one of its sub-paragraphs is true, elsewhere false, and a bare parent undetermined."""
    rules, diagnostics = check_text(RULES)
    assert diagnostics == [] and rules is not None
    result = rules.evaluate({"framework": "refs", "paragraph": given, "note": "-"}, "2020-01-01", engine=engine)
    decision = result.judgements["direct"]
    if expected is None:
        assert decision.status == "undetermined"
        assert decision.missing == ("/paragraph",)
    else:
        assert decision.value is expected


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_a_malformed_provision_in_evidence_is_invalid_with_its_pointer(check_text, engine: str) -> None:  # type: ignore[no-untyped-def]
    """`reg 16(3)` is refused as evidence, located at its pointer, on both validators."""
    rules, _ = check_text(RULES)
    assert rules is not None
    result = rules.evaluate({"framework": "refs", "paragraph": "reg 16(3)", "note": "-"}, "2020-01-01", engine=engine)
    assert result.status == "invalid_evidence"
    assert [(p.code, p.pointer) for p in result.problems] == [("evidence.invalid-provision", "/paragraph")]


def test_the_schema_gives_a_provision_its_pattern(check_text) -> None:  # type: ignore[no-untyped-def]
    """A provision field is exported as a string with the pattern the validator applies."""
    rules, _ = check_text(RULES)
    assert rules is not None
    schema = evidence_schema(rules.frameworks["refs"])
    field = schema["properties"]["paragraph"]
    assert field["type"] == "string"
    assert field["pattern"].startswith("^[0-9]+")
