"""Lints: each code fires on a small rule file written to trigger it, and a clean file gets none.

Every rule file here is complete (source, reasons, citations, examples covering every
clause) except for the one flaw its test is about, so each test can assert the exact
set of lint codes.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import framework_dsl.cli.lint  # registers `framework-dsl lint`
from framework_dsl import linter
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.diagnostics import Diagnostic, Severity
from framework_dsl.linter import LINTS, SEVERITIES, lint_rules

REPO = Path(__file__).resolve().parents[2]

SCALES = """
scale rating "Rating": outstanding "Outstanding" > good "Good" > requires_improvement "RI" > inadequate "Inadequate"
outcome not_rated "Not rated"
"""

HEADER = """
framework t "Test"
  source "Test source"
  effective from 2000-01-01
"""

EVIDENCE = """
enum hue "Hue": red "Red", green "Green"

evidence:
  colour: hue "The colour"
  shade: optional hue "A shade, when known"
  score: integer "A score"
"""

CLEAN = (
    HEADER
    + """
import rating from shared.scales
"""
    + EVIDENCE
    + """
define high = score > 5

judgement grade: rating
  outstanding when high because "High score" cite "Rule 1"
  good when colour = red because "Red" cite "Rule 2"
  requires_improvement when score > 2 or shade = red because "Middling" cite "Rule 3"
  otherwise inadequate because "Low" cite "Rule 4"

example "High" cite "Rule 1"
  given {"framework": "t", "colour": "green", "score": 9}
  expect grade = outstanding
example "Red" cite "Rule 2"
  given {"framework": "t", "colour": "red", "score": 1}
  expect grade = good
example "Middling" cite "Rule 3"
  given {"framework": "t", "colour": "green", "score": 3}
  expect grade = requires_improvement
example "Low" cite "Rule 4"
  given {"framework": "t", "colour": "green", "shade": "green", "score": 0}
  expect grade = inadequate
"""
)


def _lints(write_rules, text: str, *, examples: bool = True, unread: bool = True) -> list[Diagnostic]:  # type: ignore[no-untyped-def]
    """The lints of one rule file (beside the shared scales); `unread=False` drops unread-field notes."""
    root = write_rules({"t.fw": text, "shared/scales.fw": SCALES})
    rule_set, diagnostics = lint_rules(root, examples=examples)
    assert rule_set is not None, [d.message for d in diagnostics]
    found = [d for d in diagnostics if d.code.startswith("lint.")]
    return found if unread else [d for d in found if d.code != "lint.unused-evidence-field"]


def _codes(diagnostics: list[Diagnostic]) -> list[str]:
    return sorted(d.code for d in diagnostics)


def _line_of(text: str, needle: str) -> int:
    lines = text.lstrip("\n").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if needle in line)


def _example(title: str, evidence: str, expect: str) -> str:
    return f'\nexample "{title}" cite "Rule"\n  given {{"framework": "t", {evidence}}}\n  expect {expect}\n'


def test_clean_rules_have_no_lints(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A complete, tested, cited rule file gets no lint at all."""
    assert _lints(write_rules, CLEAN) == []


def test_missing_source(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A framework without `source` is reported at its header."""
    text = CLEAN.replace('  source "Test source"\n', "")
    found = _lints(write_rules, text)
    assert _codes(found) == ["lint.missing-source"]
    assert found[0].span is not None and found[0].span.line == 1


def test_missing_reason_and_citation(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A clause without `because` and one without `cite` are each reported at the clause."""
    text = CLEAN.replace('good when colour = red because "Red" cite "Rule 2"', "good when colour = red").replace(
        'because "Low" cite "Rule 4"', 'because "Low"'
    )
    found = _lints(write_rules, text)
    assert _codes(found) == ["lint.missing-citation", "lint.missing-citation", "lint.missing-reason"]
    lines = {(d.code, d.span.line) for d in found if d.span is not None}
    assert ("lint.missing-reason", _line_of(text, "good when colour = red")) in lines
    assert ("lint.missing-citation", _line_of(text, "otherwise inadequate")) in lines


REGISTRY = """
[[source]]
key = "guide"
title = "The Test Guide (2020)"
cited_as = "Guide (2020)"
part = "paragraph"
parts = "1-12"
"""


def test_unknown_citation(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A citation of a paragraph the registered source lacks is reported at its words; ranges and lists are read."""
    text = CLEAN.replace('cite "Rule 1"', 'cite "Guide (2020) paragraphs 2-4 and 12"', 1).replace(
        'cite "Rule 2"', 'cite "Guide (2020) paragraph 13; Rule 2"', 1
    )
    root = write_rules({"t.fw": text, "shared/scales.fw": SCALES, "sources.toml": REGISTRY})
    rule_set, diagnostics = lint_rules(root)
    assert rule_set is not None
    found = [d for d in diagnostics if d.code == "lint.unknown-citation"]
    assert [d.message for d in found] == [
        "`Guide (2020) paragraph 13` cites paragraph 13 of The Test Guide (2020), which has no such paragraph"
    ]
    span = found[0].span
    assert span is not None and span.text == "Guide (2020) paragraph 13"
    assert span.line == _line_of(text, "good when colour = red")
    assert found[0].hint is not None and "paragraphs 1-12" in found[0].hint


def test_the_citations_report(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`framework-dsl citations`: each paragraph with the clauses citing it and the examples reaching them."""
    text = CLEAN.replace('cite "Rule 1"', 'cite "Guide (2020) paragraphs 2-3"', 1).replace(
        'cite "Rule 2"', 'cite "Guide (2020) paragraph 13"', 1
    )
    root = write_rules({"t.fw": text, "shared/scales.fw": SCALES, "sources.toml": REGISTRY})
    shown = CliRunner().invoke(framework_dsl, ["citations", str(root)])
    assert shown.exit_code == 1, shown.output
    lines = shown.output.replace(str(root), "ROOT").splitlines()
    assert lines[0] == "The Test Guide (2020) [guide]: 2 of 12 paragraphs cited"
    assert lines[1:4] == [
        "  paragraph 2: 1 clauses, 1 examples",
        "    rules/t.fw:17  t.grade",
        '    exercised by "High"',
    ]
    assert "  not cited: 1, 4, 5, 6, 7, 8, 9, 10, 11, 12" in lines
    assert any("names paragraph 13, which the source does not have" in line for line in lines)
    data = json.loads(CliRunner().invoke(framework_dsl, ["citations", str(root), "--format", "json"]).output)
    assert data[0]["parts"][1]["examples"] == [
        {"title": "High", "location": data[0]["parts"][1]["examples"][0]["location"]}
    ]


def test_a_registry_that_cannot_be_read_is_reported(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A broken sources.toml is one located-by-file lint, not a crash."""
    root = write_rules({"t.fw": CLEAN, "shared/scales.fw": SCALES, "sources.toml": "[[source]]\nkey = 1\n"})
    _, diagnostics = lint_rules(root)
    (found,) = [d for d in diagnostics if d.code == "lint.unknown-citation"]
    assert "sources.toml: source 1: `key` must be a non-empty text" in found.message


def test_unused_let(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A local value nothing reads is reported at its name; one read only by a later `let` is not."""
    text = CLEAN.replace(
        "judgement grade: rating\n",
        "judgement grade: rating\n  let base = score\n  let twice = base * 2\n  let spare = score + 1\n",
    ).replace('cite "Rule 1"', 'cite "Rule 1"\n  good when twice > 100 because "Twice" cite "Rule 1b"', 1)
    found = [d for d in _lints(write_rules, text) if d.code == "lint.unused-let"]
    assert [(d.code, d.span.line if d.span else None) for d in found] == [
        ("lint.unused-let", _line_of(text, "let spare"))
    ]


def test_unrounded_reason(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A reason showing a division is reported; the same value rounded, or a whole number, is not."""
    text = CLEAN.replace('because "High score"', 'because "High score: {score / 3}, {round (score / 3)}, {score}"')
    found = [d for d in _lints(write_rules, text) if d.code == "lint.unrounded-reason"]
    assert len(found) == 1
    assert found[0].span is not None and found[0].span.text == "score / 3"


def test_unused_definition(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A definition nothing uses is reported at its name; one used only by another definition is not."""
    text = CLEAN.replace(
        "define high = score > 5", "define base = score\ndefine high = base > 5\ndefine spare = score + 1"
    )
    found = _lints(write_rules, text)
    assert _codes(found) == ["lint.unused-definition"]
    assert "`spare`" in found[0].message
    assert found[0].span is not None and found[0].span.line == _line_of(text, "define spare")


def test_unused_imports(write_rules) -> None:  # type: ignore[no-untyped-def]
    """An imported name never used and a module never used as `module.` are both reported."""
    text = CLEAN.replace(
        "import rating from shared.scales", "import rating, not_rated from shared.scales\nimport shared.scales"
    )
    found = _lints(write_rules, text)
    assert _codes(found) == ["lint.unused-import", "lint.unused-import"]
    assert {d.message for d in found} == {
        "`not_rated` is imported but never used",
        "the module `shared.scales` is imported but `scales.` is never used",
    }


def test_import_used_through_module_or_bare_member_is_not_reported(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A module used as `scales.rating`, and a scale whose grades are written bare, count as used."""
    text = CLEAN.replace("import rating from shared.scales", "import shared.scales").replace(
        "judgement grade: rating", "judgement grade: scales.rating"
    )
    assert _lints(write_rules, text) == []
    bare = (
        HEADER
        + "\nimport rating from shared.scales\n"
        + EVIDENCE
        + """
define best_grade = [outstanding, good]

judgement fine: one of (yes "Yes", nope "Nope")
  yes when count of best_grade > score because "r" cite "c"
  otherwise nope because "r" cite "c"
"""
        + _example("a", '"colour": "red", "score": 0', "fine = yes")
        + _example("b", '"colour": "red", "shade": "red", "score": 9', "fine = nope")
    )
    assert _lints(write_rules, bare, unread=False) == []


def test_unreachable_clause_implied_by_an_earlier_one(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`score > 7` after `high` (defined as `score > 5`), and `x and y` after `x`, can never be chosen."""
    text = CLEAN.replace(
        '  good when colour = red because "Red" cite "Rule 2"\n',
        '  good when colour = red because "Red" cite "Rule 2"\n'
        '  good when score > 7 because "Very high" cite "Rule 2"\n'
        '  requires_improvement when colour = red and score < 2 because "Red and low" cite "Rule 2"\n',
    )
    found = [d for d in _lints(write_rules, text, examples=False) if d.code == "lint.unreachable-clause"]
    assert [d.span.line for d in found if d.span is not None] == [
        _line_of(text, "good when score > 7"),
        _line_of(text, "colour = red and score < 2"),
    ]
    assert found[0].labels[0].span.line == _line_of(text, "outstanding when high")  # through `define high`
    assert f"line {_line_of(text, 'good when colour = red')}" in (found[1].hint or "")


def test_unreachable_clause_after_grades_cover_a_range(write_rules) -> None:  # type: ignore[no-untyped-def]
    """With grades, a member test of grades already covered by `g >= good` is never chosen."""
    text = (
        HEADER
        + "\nimport rating from shared.scales\n"
        + """
evidence:
  g: rating "A grade"

judgement j: one of (high "High", low "Low")
  high when g >= good because "r" cite "c"
  low when g in [outstanding, good] because "r" cite "c"
  otherwise low because "r" cite "c"
"""
    )
    found = _lints(write_rules, text, examples=False, unread=False)
    assert _codes(found) == ["lint.unreachable-clause"]
    assert found[0].span is not None and found[0].span.line == _line_of(text, "low when g in")


def test_clause_after_full_coverage_of_a_required_field(write_rules) -> None:  # type: ignore[no-untyped-def]
    """After clauses covering every member of a field that is never missing, nothing more is chosen."""
    text = CLEAN.replace(
        '  good when colour = red because "Red" cite "Rule 2"\n',
        '  good when colour = red because "Red" cite "Rule 2"\n'
        '  good when colour = green because "Green" cite "Rule 2"\n',
    )
    found = _lints(write_rules, text, examples=False)
    assert _codes(found) == ["lint.unreachable-clause", "lint.unreachable-otherwise"]
    assert "`colour`" in (found[0].hint or "")


def test_otherwise_after_full_coverage(write_rules) -> None:  # type: ignore[no-untyped-def]
    """An `otherwise` after clauses covering every member of a required field is reported."""
    text = (
        HEADER
        + EVIDENCE
        + """
judgement j: one of (warm "Warm", cool "Cool")
  warm when colour = red because "r" cite "c"
  cool when colour = green because "r" cite "c"
  otherwise cool because "r" cite "c"
"""
    )
    found = _lints(write_rules, text, examples=False, unread=False)
    assert _codes(found) == ["lint.unreachable-otherwise"]
    assert found[0].span is not None and found[0].span.line == _line_of(text, "otherwise cool")


def test_otherwise_after_full_coverage_of_an_optional_field_is_kept(write_rules) -> None:  # type: ignore[no-untyped-def]
    """When the subject may be missing, the `otherwise` can still decide, so it is not reported."""
    text = (
        HEADER
        + EVIDENCE
        + """
judgement j: one of (warm "Warm", cool "Cool")
  warm when shade = red because "r" cite "c"
  cool when shade = green because "r" cite "c"
  otherwise cool because "r" cite "c"

judgement k: one of (warm "Warm", cool "Cool")
  warm when (shade if missing red) = red because "r" cite "c"
  cool when (shade if missing red) = green because "r" cite "c"
  otherwise cool because "r" cite "c"
"""
    )
    found = _lints(write_rules, text, examples=False, unread=False)
    assert [(d.code, d.span.line) for d in found if d.span is not None] == [
        ("lint.unreachable-otherwise", _line_of(text, "otherwise cool") + 5)
    ]


def test_untested_clause(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A clause no example exercises is reported at the clause."""
    text = CLEAN.split('example "Middling"')[0] + CLEAN.split("expect grade = requires_improvement")[1]
    found = _lints(write_rules, text)
    assert _codes(found) == ["lint.untested-clause"]
    assert found[0].span is not None and found[0].span.line == _line_of(text, "requires_improvement when")


def test_no_examples(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A framework without examples gets one lint at its header, not one per clause."""
    text = CLEAN.split('example "High"')[0]
    found = _lints(write_rules, text)
    assert _codes(found) == ["lint.no-examples"]
    assert _lints(write_rules, text, examples=False) == []


def test_unproducible_grade(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A judgement of a scale whose constant outcomes never give a grade names the missing grades."""
    text = CLEAN.replace("outstanding when high", "good when high")
    found = _lints(write_rules, text)
    assert _codes(found) == ["lint.unproducible-grade"]
    assert found[0].severity is Severity.INFO
    assert "`outstanding`" in found[0].message
    computed = CLEAN.replace("otherwise inadequate", "otherwise (worst of [inadequate, good])")
    assert "lint.unproducible-grade" not in _codes(_lints(write_rules, computed, examples=False))


def test_unproducible_inline_member(write_rules) -> None:  # type: ignore[no-untyped-def]
    """An inline `one of (...)` member no clause gives is reported too."""
    text = (
        HEADER
        + EVIDENCE
        + """
judgement j: one of (warm "Warm", cool "Cool", hot "Hot")
  warm when score > 3 because "r" cite "c"
  otherwise cool because "r" cite "c"
"""
    )
    found = _lints(write_rules, text, examples=False, unread=False)
    assert _codes(found) == ["lint.unproducible-grade"]
    assert "`hot`" in found[0].message


def test_unused_evidence_field(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A field no rule reads is reported at its declaration; record fields count by field, not record."""
    text = CLEAN.replace('  score: integer "A score"\n', '  score: integer "A score"\n  notes: optional text "Notes"\n')
    found = _lints(write_rules, text)
    assert _codes(found) == ["lint.unused-evidence-field"]
    assert found[0].span is not None and found[0].span.line == _line_of(text, "notes: optional text")
    assert found[0].severity is Severity.INFO


def test_dated_by_counts_as_a_read(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A date field read only by `dated by` is not reported."""
    text = CLEAN.replace("  effective from 2000-01-01\n", "  effective from 2000-01-01\n  dated by on\n").replace(
        '  score: integer "A score"\n', '  score: integer "A score"\n  on: optional date "The date"\n'
    )
    assert _lints(write_rules, text) == []


def test_every_lint_has_a_title_severity_and_documentation() -> None:
    """The registry, the severities and docs/lints.md name the same codes."""
    assert set(LINTS) == set(SEVERITIES)
    assert all(code.startswith("lint.") for code in LINTS)
    documented = set(
        re.findall(r"^## `(lint\.[a-z-]+)`", (REPO / "docs" / "lints.md").read_text(encoding="utf-8"), re.M)
    )
    assert documented == set(LINTS)


def test_every_lint_code_is_exercised_here() -> None:
    """Each registered lint code appears in at least one test of this file."""
    source = Path(__file__).read_text(encoding="utf-8")
    assert [code for code in LINTS if f'"{code}"' not in source] == []


def test_bundled_rules_lint_without_errors() -> None:
    """The bundled rules check, and their lints are warnings or notes only."""
    rule_set, diagnostics = lint_rules()
    assert rule_set is not None
    assert all(d.severity is not Severity.ERROR for d in diagnostics)
    assert all(d.span is not None for d in diagnostics if d.code.startswith("lint."))


# ---------------------------------------------------------------- the command


def test_lint_command_warnings_exit_0(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Warnings alone exit 0 and are printed in every format."""
    root = write_rules({"t.fw": CLEAN.replace('  source "Test source"\n', ""), "shared/scales.fw": SCALES})
    runner = CliRunner()
    text = runner.invoke(framework_dsl, ["lint", str(root)])
    assert text.exit_code == 0, text.output
    assert "warning[lint.missing-source]" in text.output
    gnu = runner.invoke(framework_dsl, ["lint", str(root), "--format", "gnu"])
    assert gnu.exit_code == 0
    assert re.search(r"t\.fw:1:1: warning\[lint\.missing-source\]", gnu.output)
    data = runner.invoke(framework_dsl, ["lint", str(root), "--format", "json"])
    assert data.exit_code == 0
    assert [d["code"] for d in json.loads(data.output)] == ["lint.missing-source"]


def test_lint_command_clean_rules(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Clean rules print `no problems found` and exit 0."""
    root = write_rules({"t.fw": CLEAN, "shared/scales.fw": SCALES})
    result = CliRunner().invoke(framework_dsl, ["lint", str(root)])
    assert result.exit_code == 0
    assert "no problems found" in result.output


def test_lint_command_rule_errors_exit_2(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Rules that do not check exit 2 with the checker's diagnostics."""
    root = write_rules({"t.fw": CLEAN.replace("judgement grade: rating", "judgement grade: ratng")})
    result = CliRunner().invoke(framework_dsl, ["lint", str(root)])
    assert result.exit_code == 2
    assert "error[" in result.output


def test_lint_command_error_lints_exit_1(write_rules, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """A lint configured as an error makes the command exit 1."""
    monkeypatch.setitem(linter.SEVERITIES, "lint.missing-source", Severity.ERROR)
    root = write_rules({"t.fw": CLEAN.replace('  source "Test source"\n', ""), "shared/scales.fw": SCALES})
    result = CliRunner().invoke(framework_dsl, ["lint", str(root)])
    assert result.exit_code == 1


# ---------------------------------------------------------------- soundness against the evaluator

SOUNDNESS_RULES = (
    HEADER
    + EVIDENCE
    + """
define big = score > 5

judgement a: one of (warm "Warm", cool "Cool")
  warm when big because "r" cite "c"
  cool when score > 7 because "r" cite "c"
  warm when colour = red and score > 5 because "r" cite "c"
  cool when colour = red because "r" cite "c"
  warm when colour = green because "r" cite "c"
  cool when score < 0 because "r" cite "c"
  otherwise warm because "r" cite "c"

judgement b: one of (warm "Warm", cool "Cool")
  cool when shade = red because "r" cite "c"
  cool when shade = green because "r" cite "c"
  cool when score > 3 because "r" cite "c"
  otherwise cool because "r" cite "c"

judgement c: one of (warm "Warm", cool "Cool")
  warm when shade = red or score >= 4 because "r" cite "c"
  cool when score > 4 and shade = green because "r" cite "c"
  cool when shade in [red] because "r" cite "c"
  otherwise warm because "r" cite "c"

judgement d: collect one of (warm "Warm", cool "Cool")
  warm when colour = red because "r" cite "c"
  cool when colour = green because "r" cite "c"
  warm when score > 1 because "r" cite "c"
  otherwise cool because "r" cite "c"
"""
)


def test_reported_clauses_never_decide(tmp_path_factory: pytest.TempPathFactory) -> None:
    """No clause the linter calls unreachable ever decides, for any evidence (exhaustively over a small domain)."""
    root = tmp_path_factory.mktemp("soundness") / "rules"
    root.mkdir()
    (root / "t.fw").write_text(SOUNDNESS_RULES.lstrip("\n"), encoding="utf-8")
    rule_set, diagnostics = lint_rules(root, examples=False)
    assert rule_set is not None, [d.message for d in diagnostics]
    framework = rule_set.frameworks["t"]
    clauses = {c.span: c.id for j in framework.judgements for c in j.clauses}
    flagged = {clauses[d.span] for d in diagnostics if d.code.startswith("lint.unreachable") and d.span in clauses}
    assert flagged == {"t:a#2", "t:a#3", "t:a#6", "t:a#7", "t:c#2", "t:c#3", "t:d#4"}
    fired: set[str] = set()
    for colour in ("red", "green"):
        for shade in (None, "red", "green"):
            for score in range(-2, 10):
                evidence = {"framework": "t", "colour": colour, "score": score}
                if shade is not None:
                    evidence["shade"] = shade
                result = rule_set.evaluate(evidence)
                assert result.status == "evaluated"
                for _, decision in result.all_decisions():
                    fired.update(decision.clause_ids)
    assert not (fired & flagged)
    assert "t:b#4" in fired  # the `otherwise` after an optional subject's cases does decide


_ATOMS = [
    "colour = red",
    "colour = green",
    "colour in [red, green]",
    "shade = red",
    "shade = green",
    "shade in [green]",
    "big",
    "(shade if missing green) = red",
    *[f"score {op} {n}" for op in (">", ">=", "<", "<=", "=") for n in (0, 3, 5)],
]

_conditions = st.recursive(
    st.sampled_from(_ATOMS),
    lambda inner: st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    max_leaves=3,
)


@settings(max_examples=60, deadline=None)
@given(
    clauses=st.lists(st.tuples(_conditions, st.sampled_from(["warm", "cool"])), min_size=1, max_size=5),
    otherwise=st.sampled_from([None, "warm", "cool"]),
    collect=st.booleans(),
)
def test_reachability_lints_are_sound(clauses: list[tuple[str, str]], otherwise: str | None, collect: bool) -> None:
    """For random judgements, no clause reported unreachable decides for any evidence in a small complete domain."""
    body = "".join(f'  {outcome} when {condition} because "r" cite "c"\n' for condition, outcome in clauses)
    if otherwise is not None:
        body += f'  otherwise {otherwise} because "r" cite "c"\n'
    kind = "collect one of" if collect else "one of"
    text = HEADER + EVIDENCE + f'\ndefine big = score > 3\n\njudgement j: {kind} (warm "Warm", cool "Cool")\n' + body
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "rules"
        root.mkdir()
        (root / "t.fw").write_text(text.lstrip("\n"), encoding="utf-8")
        rule_set, diagnostics = lint_rules(root, examples=False)
    assume(rule_set is not None)
    assert rule_set is not None
    judgement = rule_set.frameworks["t"].judgements[0]
    by_span = {c.span: c.id for c in judgement.clauses}
    flagged = {by_span[d.span] for d in diagnostics if d.code.startswith("lint.unreachable") and d.span in by_span}
    for colour in ("red", "green"):
        for shade in (None, "red", "green"):
            for score in range(-1, 7):
                evidence = {"framework": "t", "colour": colour, "score": score}
                if shade is not None:
                    evidence["shade"] = shade
                result = rule_set.evaluate(evidence)
                decision = result.judgements["j"]
                assert not (set(decision.clause_ids) & flagged), (text, evidence)


RANGED = CLEAN.replace('  score: integer "A score"\n', '  score: integer from 0 to 10 "A score"\n')


def test_ranged_field_compared_within_its_range_is_clean(write_rules) -> None:  # type: ignore[no-untyped-def]
    """Comparisons a ranged field can make either way (`score > 5` of `integer from 0 to 10`) get no lint."""
    assert _lints(write_rules, RANGED) == []


def test_range_decided_comparison(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`score >= 0` of an `integer from 0 to 10` is always true, `score > 10` always false: each is reported."""
    text = RANGED.replace("outstanding when high because", "outstanding when high and score >= 0 because").replace(
        "good when colour = red because", "good when colour = red or score > 10 because"
    )
    found = _lints(write_rules, text)
    assert _codes(found) == ["lint.range-decided-comparison", "lint.range-decided-comparison"]
    messages = sorted(d.message for d in found)
    assert messages[0].startswith("`score > 10` is always false")
    assert messages[1].startswith("`score >= 0` is always true")
    assert all("integer from 0 to 10" in m for m in messages)
    assert {d.span.line for d in found if d.span is not None} == {
        _line_of(text, "outstanding when high"),
        _line_of(text, "good when colour = red"),
    }


def test_range_decided_only_for_a_field_read_as_it_is(write_rules) -> None:  # type: ignore[no-untyped-def]
    """`max of [50, score] > 10` is true: only a field read directly is bounded by its range."""
    text = RANGED.replace("good when colour = red because", "good when colour = red or max of [50, score] > 10 because")
    assert [d for d in _lints(write_rules, text) if d.code == "lint.range-decided-comparison"] == []
