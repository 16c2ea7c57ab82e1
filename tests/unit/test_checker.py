"""The check stage: names, types, exhaustiveness, reachability, cycles — before any evidence."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from framework_dsl.diagnostics import Diagnostic
from framework_dsl.typesystem import DECIMAL, INTEGER, Prim

HEAD = 'framework demo "Demo" effective from 2020-01-01\n'
SCALE = 'scale rating: good "Good" > requires_improvement "Requires improvement" > inadequate "Inadequate"\n'


def codes(check_text, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    _, diagnostics = check_text(HEAD + SCALE + text)
    return [d.code for d in diagnostics]


def test_all_four_mistakes_in_one_run(check_text) -> None:  # type: ignore[no-untyped-def]
    """A misspelt grade, an unknown field, a type error and a missing `otherwise` are all reported at once."""
    text = """
evidence:
  score: integer
judgement a: rating
  requires_improvment when score < 3 because "Low"
  otherwise good
judgement b: rating
  inadequate when scor < 1 because "Very low"
  otherwise good
judgement c: rating
  inadequate when score = good because "Compares a number with a grade"
  otherwise good
judgement d: rating
  inadequate when score < 1 because "No otherwise"
"""
    _, diagnostics = check_text(HEAD + SCALE + text)
    by_code = {d.code: d for d in diagnostics}
    assert set(by_code) == {"outcomes.unknown", "names.unknown", "types.mismatch", "judgement.not-exhaustive"}
    assert by_code["outcomes.unknown"].hint == "did you mean `requires_improvement`?"
    assert by_code["names.unknown"].hint == "did you mean `score`?"
    assert all(d.span is not None and d.hint for d in diagnostics)


def test_case_analysis_over_every_member_needs_no_otherwise(check_text) -> None:  # type: ignore[no-untyped-def]
    """Clauses that test one subject against every member are exhaustive without `otherwise`."""
    text = """
evidence:
  grade: rating
judgement j: rating
  good when grade = good
  requires_improvement when grade in [requires_improvement, inadequate]
"""
    assert codes(check_text, text) == []


def test_uncovered_members_are_named(check_text) -> None:  # type: ignore[no-untyped-def]
    """A case analysis that misses members says which ones."""
    text = """
evidence:
  grade: rating
judgement j: rating
  good when grade = good
"""
    _, diagnostics = check_text(HEAD + SCALE + text)
    assert diagnostics[0].code == "judgement.not-exhaustive"
    assert "`requires_improvement`, `inadequate`" in (diagnostics[0].hint or "")


def test_clause_after_an_unconditional_one_is_unreachable(check_text) -> None:  # type: ignore[no-untyped-def]
    """A clause after one that always applies can never fire."""
    text = """
judgement j: rating
  good when true
  inadequate when false
  otherwise good
"""
    assert codes(check_text, text).count("judgement.unreachable-clause") == 2


def test_covered_case_is_unreachable(check_text) -> None:  # type: ignore[no-untyped-def]
    """A clause whose members earlier clauses already cover can never fire."""
    text = """
evidence:
  grade: rating
judgement j: rating
  good when grade in [good, inadequate]
  inadequate when grade = inadequate
  otherwise requires_improvement
"""
    assert codes(check_text, text) == ["judgement.unreachable-clause"]


def test_definition_cycle_is_named(check_text) -> None:  # type: ignore[no-untyped-def]
    """Definitions that depend on each other are reported with the cycle spelled out."""
    _, diagnostics = check_text(HEAD + "define a = b + 1\ndefine b = a + 1\n")
    assert [d.code for d in diagnostics] == ["names.cycle"]
    assert "a → b → a" in diagnostics[0].message


def test_ordering_needs_a_pure_scale(check_text) -> None:  # type: ignore[no-untyped-def]
    """Grades of a scale joined with a non-grade outcome cannot be ordered with `<`."""
    text = """
outcome not_rated "Not rated"
evidence:
  grade: rating or not_rated
judgement j: rating
  inadequate when grade < good because "Below good"
  otherwise good
"""
    assert codes(check_text, text) == ["types.mismatch"]


def test_member_names_take_the_expected_type(check_text) -> None:  # type: ignore[no-untyped-def]
    """`x = none` resolves `none` as a member of x's enumeration, not a keyword or another name."""
    text = """
enum action: none "None", notice "Notice"
evidence:
  taken: action
judgement j: rating
  good when taken = none because "No action"
  otherwise inadequate
"""
    assert codes(check_text, text) == []


def test_quoted_members_are_checked(check_text) -> None:  # type: ignore[no-untyped-def]
    """A quoted identifier compared with an enumeration must be one of its members."""
    text = """
enum regulation: "11", "12", "20A"
evidence:
  breached: regulation
judgement j: rating
  inadequate when breached in ["11", "20B"] because "Direct"
  otherwise good
"""
    _, diagnostics = check_text(HEAD + SCALE + text)
    assert [d.code for d in diagnostics] == ["outcomes.unknown"]
    assert diagnostics[0].hint == "did you mean `20A`?"


def test_shared_module_may_not_hold_judgements(check_text) -> None:  # type: ignore[no-untyped-def]
    """A file without a framework line holds vocabulary only."""
    _, diagnostics = check_text(SCALE + "judgement j: rating\n  otherwise good\n")
    assert [d.code for d in diagnostics] == ["modules.not-allowed"]


def test_a_field_may_share_its_enumeration_name(check_text) -> None:  # type: ignore[no-untyped-def]
    """Types and values have separate names, so `provider_type: provider_type` is allowed and clear."""
    text = """
enum provider_type: nhs_trust "NHS trust", independent "Independent"
evidence:
  provider_type: provider_type
judgement j: rating
  inadequate when provider_type = provider_type.nhs_trust because "Qualified member"
  requires_improvement when provider_type = independent because "Bare member"
  otherwise good
"""
    assert codes(check_text, text) == []


def test_a_judgement_may_share_an_evidence_field_name(check_text) -> None:  # type: ignore[no-untyped-def]
    """A judgement named like an evidence field is allowed; in expressions the bare name reads the field."""
    text = """
record measures:
  in_special_measures: boolean
evidence:
  special_measures: measures
judgement special_measures: rating
  inadequate when special_measures.in_special_measures because "Reads the field"
  otherwise good
example "the judgement is expected by its name"
  cite "Test"
  given {"framework": "demo", "special_measures": {"in_special_measures": true}}
  expect special_measures = inadequate
"""
    rule_set, diagnostics = check_text(HEAD + SCALE + text)
    assert diagnostics == []
    assert rule_set is not None
    result = rule_set.evaluate({"framework": "demo", "special_measures": {"in_special_measures": True}}, "2021-01-01")
    assert result.judgements["special_measures"].outcome == "inadequate"


def test_collect_clauses_are_never_unreachable(check_text) -> None:  # type: ignore[no-untyped-def]
    """Every matching clause of a `collect` judgement fires, so none shadows another."""
    text = """
judgement picks: collect one of (p "P", q "Q")
  p when true because "always"
  q when true because "also always"
"""
    assert codes(check_text, text) == []


def test_the_deepest_allowed_chain_evaluates_on_both_paths(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A chain at the depth limit checks and evaluates, on the reference evaluator and the compiled form alike."""
    from framework_dsl.checker import MAX_DEPENDENCY_DEPTH
    from framework_dsl.ruleset import check_rules

    length = MAX_DEPENDENCY_DEPTH
    lines = [HEAD, "evidence:\n  n: integer\n"]
    lines += [
        f"judgement j{i}: integer\n  otherwise {f'j{i + 1}' if i < length - 1 else 'n'} + 1\n" for i in range(length)
    ]
    rule_set, diagnostics = check_rules(write_rules({"chain.fw": "".join(lines)}))
    assert diagnostics == [] and rule_set is not None
    reference = rule_set.evaluate({"framework": "demo", "n": 1}, "2021-01-01", engine="reference")
    compiled = rule_set.evaluate({"framework": "demo", "n": 1}, "2021-01-01")
    assert reference.judgements["j0"].outcome == length + 1
    assert reference.to_json() == compiled.to_json()


def test_checking_a_judgement_costs_comparisons_in_proportion_to_its_clauses(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Finding repeated conditions is a lookup per clause: 2N clauses cost about twice the comparisons of N.

    Steps, not seconds: this counts equality tests between conditions, which scanning every
    earlier clause made quadratic (16,000 clauses took 50 s).
    """
    from framework_dsl import ir
    from framework_dsl.ruleset import check_rules

    compared = {"count": 0}
    original = ir.Binary.__eq__

    def counted(self: ir.Binary, other: object) -> bool:
        compared["count"] += 1
        return original(self, other)  # type: ignore[no-any-return]

    monkeypatch.setattr(ir.Binary, "__eq__", counted)
    costs = {}
    for n in (300, 600, 1200):
        clauses = "".join(f'  {i} when n = {i} because "n is {i}"\n' for i in range(n))
        text = HEAD + "evidence:\n  n: integer\njudgement j: integer\n" + clauses + '  otherwise 0 because "other"\n'
        compared["count"] = 0
        folder = tmp_path / str(n)
        folder.mkdir()
        (folder / "many.fw").write_text(text)
        rule_set, diagnostics = check_rules(folder)
        assert rule_set is not None, diagnostics
        costs[n] = compared["count"]
    assert costs[1200] <= 2.2 * costs[600] + 10 and costs[600] <= 2.2 * costs[300] + 10, costs


LOCAL_EVIDENCE = """
enum kq: safe, effective
record assessed:
  score: integer
evidence:
  key_questions: map of kq to assessed
  chosen: kq
  score: integer
"""


def test_lets_are_typed_and_ordered(check_text) -> None:  # type: ignore[no-untyped-def]
    """A local value has its value's type; one used before its `let` is an unknown name."""
    ok = "judgement j: boolean\n  let twice = score * 2\n  otherwise twice > 3\n"
    assert codes(check_text, LOCAL_EVIDENCE + ok) == []
    wrong = "judgement j: boolean\n  let flag = score * 2\n  otherwise flag and true\n"
    assert codes(check_text, LOCAL_EVIDENCE + wrong) == ["types.mismatch"]
    early = "judgement j: integer\n  let a = b\n  let b = 1\n  otherwise a\n"
    assert codes(check_text, LOCAL_EVIDENCE + early) == ["names.unknown"]


def test_a_let_cannot_shadow(check_text) -> None:  # type: ignore[no-untyped-def]
    """A local value named like a field, a definition, the loop variable or another local is an error at its name."""
    for body in (
        "judgement j: integer\n  let score = 1\n  otherwise score\n",
        "define d = 1\njudgement j: integer\n  let d = 2\n  otherwise d\n",
        "judgement j for each k in [safe]: kq\n  let k = effective\n  otherwise k\n",
        "judgement j: integer\n  let a = 1\n  let a = 2\n  otherwise a\n",
    ):
        _, diagnostics = check_text(HEAD + SCALE + LOCAL_EVIDENCE + body)
        assert [d.code for d in diagnostics] == ["names.shadowed"], body
        assert diagnostics[0].span is not None and diagnostics[0].span.text in ("score", "d", "k", "a")


def test_map_lookups_by_computed_key(check_text) -> None:  # type: ignore[no-untyped-def]
    """`m.k` with a local key and `m.(expr)` read by key; a key of another type is a mismatch."""
    ok = (
        "judgement j for each k in [safe, effective]: integer\n"
        "  let entry = key_questions.k\n  otherwise entry.score + key_questions.(chosen).score\n"
    )
    assert codes(check_text, LOCAL_EVIDENCE + ok) == []
    bad = "judgement j: integer\n  otherwise key_questions.(score).score\n"
    assert codes(check_text, LOCAL_EVIDENCE + bad) == ["types.mismatch"]


def test_tables_are_complete_unique_and_constant(check_text) -> None:  # type: ignore[no-untyped-def]
    """A table needs one constant row per key member; rows are read by member or computed key."""
    table = "table points: rating -> integer\n  good -> 3, requires_improvement -> 2, inadequate -> 1\n"
    use = "evidence:\n  r: rating\njudgement j: integer\n  otherwise points.good + points.(r)\n"
    assert codes(check_text, table + use) == []
    assert codes(check_text, table.replace(", inadequate -> 1", "") + use) == ["tables.incomplete"]
    assert codes(check_text, table.replace("inadequate -> 1", "inadequate -> 1, good -> 4") + use) == [
        "tables.duplicate-key"
    ]
    assert codes(check_text, table.replace("-> 3", '-> "three"') + use) == ["types.mismatch"]
    assert codes(check_text, table + use.replace("points.good", "points.great")) == ["names.unknown"]
    assert codes(check_text, table + use.replace("points.good", "points")) == ["types.mismatch"]


def test_a_for_each_decision_is_read_by_its_item(check_text) -> None:  # type: ignore[no-untyped-def]
    """`j.k` and `j.(expr)` read one item's outcome of a for-each judgement; a key that is not a member is refused."""
    each = "judgement per for each k in [safe, effective]: integer\n  otherwise key_questions.k.score\n"
    ok = "judgement total: integer\n  otherwise sum of [per.k for k in [safe, effective]] + per.(chosen)\n"
    assert codes(check_text, LOCAL_EVIDENCE + each + ok) == []
    bad = "judgement total: integer\n  otherwise per.(score)\n"
    assert codes(check_text, LOCAL_EVIDENCE + each + bad) == ["types.mismatch"]
    cycle = "judgement per for each k in [safe]: integer\n  otherwise per.(k)\n"
    assert "names.cycle" in codes(check_text, LOCAL_EVIDENCE + cycle)


# ---------------------------------------------------------------- ranged numbers


def _field_checks(check_text, field_type: str) -> list[Diagnostic]:  # type: ignore[no-untyped-def]
    text = f"evidence:\n  x: {field_type}\njudgement j: boolean\n  true when x is present\n  otherwise false\n"
    return check_text(HEAD + text)[1]


@pytest.mark.parametrize(
    ("written", "low", "high"),
    [
        ("integer from 1 to 4", 1, 4),
        ("integer from 0", 0, None),
        ("integer from -10 to -2", -10, -2),
        ("integer from 3 to 3", 3, 3),
        ("decimal from 0 to 0.5", 0, Decimal("0.5")),
        ("optional integer from 0", 0, None),
    ],
)
def test_a_ranged_number_keeps_its_bounds(check_text, written: str, low: Any, high: Any) -> None:  # type: ignore[no-untyped-def]
    """A ranged field checks, and its type carries the inclusive bounds while comparing equal to the plain type."""
    rule_set, diagnostics = check_text(
        HEAD + f"evidence:\n  x: {written}\njudgement j: boolean\n  true when x is present\n  otherwise false\n"
    )
    assert diagnostics == [] and rule_set is not None
    (framework,) = rule_set.frameworks.values()
    t = framework.evidence.fields["x"].type
    assert isinstance(t, Prim) and (t.low, t.high) == (low, high)
    assert t in (INTEGER, DECIMAL)


def test_a_ranged_number_inside_collections(check_text) -> None:  # type: ignore[no-untyped-def]
    """`list of integer from 1 to 4` and `map of K to integer from 0` carry the range to their items."""
    rule_set, diagnostics = check_text(
        HEAD
        + "enum k: a, b\nevidence:\n  xs: list of integer from 1 to 4\n  m: map of k to integer from 0\n"
        + "judgement j: boolean\n  true when count of xs > 0\n  otherwise false\n"
    )
    assert diagnostics == [] and rule_set is not None
    fields = next(iter(rule_set.frameworks.values())).evidence.fields
    assert fields["xs"].type.element.display() == "integer from 1 to 4"  # type: ignore[union-attr]
    assert fields["m"].type.value.display() == "integer from 0"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("written", "code", "words"),
    [
        ("integer from 4 to 1", "types.empty-range", "its lower bound 4 is above its upper bound 1"),
        ("decimal from 1 to 0.5", "types.empty-range", "`decimal from 1 to 0.5`"),
        ("integer from 1.2 to 1.8", "types.empty-range", "no whole number lies between its bounds"),
        ("integer from 0.5 to 3", "types.mismatch", "the bounds of an integer range are whole numbers"),
        ("text from 1", "types.mismatch", "only a number can have a range, not `text`"),
        ("nothing from 1", "names.unknown", "unknown type `nothing`"),
    ],
)
def test_a_bad_range_is_one_located_diagnostic(check_text, written: str, code: str, words: str) -> None:  # type: ignore[no-untyped-def]
    """An empty, inverted or misplaced range gets one diagnostic at the type, saying what is wrong."""
    diagnostics = _field_checks(check_text, written)
    assert [d.code for d in diagnostics] == [code]
    assert words in diagnostics[0].message
    assert diagnostics[0].span is not None
    start = diagnostics[0].span.start
    assert diagnostics[0].span.source.text[start:].startswith(written.partition(" from")[0])


def test_an_inverted_range_hint_gives_the_fix(check_text) -> None:  # type: ignore[no-untyped-def]
    """The hint of an inverted range is the range written the right way round."""
    (diagnostic,) = _field_checks(check_text, "integer from 4 to 1")
    assert diagnostic.hint == "write the smaller bound first: `integer from 1 to 4`"


def test_a_range_outside_evidence_is_refused(check_text) -> None:  # type: ignore[no-untyped-def]
    """A range on a definition's type would promise what nothing checks, so it is an error there."""
    text = (
        "evidence:\n  x: integer\ndefine y: integer from 0 = x\n"
        "judgement j: boolean\n  true when y > 1\n  otherwise false\n"
    )
    _, diagnostics = check_text(HEAD + text)
    assert [d.code for d in diagnostics] == ["types.mismatch"]
    assert "a range describes evidence" in diagnostics[0].message
