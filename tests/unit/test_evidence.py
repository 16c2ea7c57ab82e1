"""Evidence numbers (whole numbers written with a fraction, ranges, the digits limit) and record keys, both validators.

`evidence.validate` (the reference) and the compiled validator of `evidence_compiler`
must convert a document to the same values, or both leave it to the reference's
diagnostics.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework_dsl import RuleSet, check_rules
from framework_dsl.evidence import DEFAULT_LIMITS, MAX_INTEGER_DIGITS, parse_json, validate, whole_number
from framework_dsl.evidence_compiler import compile_validator, compiled_form

RULES = """
framework nums "Numbers" effective from 2020-01-01
record question:
  score: integer from 1 to 4 "A score"
  concerns: optional integer from 0 "How many causes of concern"
evidence:
  tally: integer "Any whole number"
  share: decimal from 0 to 100 "A percentage"
  questions: list of question "Questions"
  limits: set of integer from -3 to 3 "Small numbers"
judgement any_high: boolean
  true when any q in questions where q.score = 4 because "a 4"
  otherwise false because "no 4"
"""


def _checked(tmp_path_factory: pytest.TempPathFactory, name: str, text: str) -> RuleSet:
    """The rule set of one file, `name`.fw, holding `text`."""
    root = tmp_path_factory.mktemp(name)
    (root / f"{name}.fw").write_text(text.lstrip("\n"), encoding="utf-8")
    rule_set, diagnostics = check_rules(root)
    assert rule_set is not None, diagnostics
    return rule_set


@pytest.fixture(scope="module")
def numbers(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    """A framework with plain, ranged and optional ranged numbers."""
    return _checked(tmp_path_factory, "nums", RULES)


def _both(rule_set: RuleSet, text: str, name: str = "nums") -> tuple[Any, Any, list[tuple[str, str, str]]]:
    """(compiled value, reference value, reference problems as (code, pointer, message))."""
    framework = rule_set.frameworks[name]
    data, problems = parse_json(text, "<test>")
    assert problems == []
    compiled = compile_validator(framework)
    assert compiled is not None
    fast = compiled(data, DEFAULT_LIMITS)
    slow, found = validate(data, framework.evidence, "<test>")
    return fast, slow, [(p.code, p.pointer or "", p.message) for p in found]


def _doc(**changes: str) -> str:
    fields = {
        "tally": "3",
        "share": "12.5",
        "questions": '[{"score": 2}]',
        "limits": "[]",
        **changes,
    }
    return "{" + ", ".join(f'"{k}": {v}' for k, v in {"framework": '"nums"', **fields}.items()) + "}"


@pytest.mark.parametrize(
    ("written", "value"),
    [("2.0", 2), ("-0.0", 0), ("1e2", 100), ("1.50E1", 15), ("7.000", 7)],
)
def test_a_whole_number_with_a_fraction_is_that_integer(numbers: RuleSet, written: str, value: int) -> None:
    """`2.0`, `1e2` where an integer is expected are the integers 2 and 100, on both validators."""
    fast, slow, problems = _both(numbers, _doc(tally=written))
    assert problems == []
    assert fast is not None and slow is not None
    assert type(fast.fields["tally"]) is int and fast.fields["tally"] == value
    assert type(slow.fields["tally"]) is int and slow.fields["tally"] == value


@pytest.mark.parametrize("written", ["2.5", "0.1", "1e-1"])
def test_a_number_with_a_fraction_is_not_an_integer(numbers: RuleSet, written: str) -> None:
    """A non-zero fraction is refused: the compiled path hands over, the reference says `wrong-type`."""
    fast, slow, problems = _both(numbers, _doc(tally=written))
    assert fast is None and slow is None
    assert [(code, pointer) for code, pointer, _ in problems] == [("evidence.wrong-type", "/tally")]


def test_too_many_digits_is_too_large(numbers: RuleSet) -> None:
    """An integer written with an exponent is held to the same digits limit as one written out."""
    written = f"1e{MAX_INTEGER_DIGITS}"
    fast, _, problems = _both(numbers, _doc(tally=written))
    assert fast is None
    assert [(code, pointer) for code, pointer, _ in problems] == [("evidence.too-large", "/tally")]
    assert f"above the limit of {MAX_INTEGER_DIGITS}" in problems[0][2]
    assert whole_number(Decimal(f"1e{MAX_INTEGER_DIGITS - 1}")) == 10 ** (MAX_INTEGER_DIGITS - 1)


@pytest.mark.parametrize(
    ("changes", "pointer", "message"),
    [
        ({"questions": '[{"score": 5}]'}, "/questions/0/score", "5 is above the range of this field"),
        ({"questions": '[{"score": 0}]'}, "/questions/0/score", "0 is below the range of this field"),
        ({"questions": '[{"score": 0.0}]'}, "/questions/0/score", "0 is below the range"),
        ({"questions": '[{"score": 2, "concerns": -1}]'}, "/questions/0/concerns", "of at least 0"),
        ({"share": "100.01"}, "/share", "which takes a number from 0 to 100"),
        ({"share": "-0.5"}, "/share", "-0.5 is below"),
        ({"limits": "[1, 4]"}, "/limits/1", "from -3 to 3"),
    ],
)
def test_a_number_out_of_its_range_is_refused_with_its_pointer(
    numbers: RuleSet, changes: dict[str, str], pointer: str, message: str
) -> None:
    """A value outside the declared range is `evidence.out-of-range` at its pointer, naming the range."""
    fast, slow, problems = _both(numbers, _doc(**changes))
    assert fast is None and slow is None
    assert [(code, where) for code, where, _ in problems] == [("evidence.out-of-range", pointer)]
    assert message in problems[0][2]


@pytest.mark.parametrize(
    "changes",
    [
        {"questions": '[{"score": 1}, {"score": 4.0, "concerns": 0}]'},
        {"share": "0"},
        {"share": "100"},
        {"share": "100.000"},
        {"limits": "[-3, 3, 0]"},
    ],
)
def test_the_bounds_are_inclusive(numbers: RuleSet, changes: dict[str, str]) -> None:
    """Both bounds belong to the range, on both validators, which convert the document alike."""
    fast, slow, problems = _both(numbers, _doc(**changes))
    assert problems == []
    assert fast is not None and slow is not None
    assert fast.fields.keys() == slow.fields.keys()
    assert fast.fields["share"] == slow.fields["share"]
    assert list(fast.fields["limits"]) == list(slow.fields["limits"])


def test_a_set_of_integers_sees_2_and_2_0_as_one(numbers: RuleSet) -> None:
    """`2` and `2.0` are the same integer, so a set holding both holds a repeat."""
    fast, slow, problems = _both(numbers, _doc(limits="[2, 2.0]"))
    assert fast is None and slow is None
    assert [(code, pointer) for code, pointer, _ in problems] == [("evidence.duplicate-item", "/limits/1")]


def test_results_are_the_same_on_both_engines(numbers: RuleSet) -> None:
    """A document with `4.0` as a score is evaluated alike by the compiled engine and the reference."""
    text = _doc(questions='[{"score": 4.0}]')
    compiled = numbers.evaluate_json(text, "2024-01-01")
    reference = numbers.evaluate_json(text, "2024-01-01", engine="reference")
    assert compiled.status == reference.status == "evaluated"
    assert compiled.judgements["any_high"].outcome is True
    assert compiled.to_json() == reference.to_json()


# A record's keys: the compiled validator counts them when the record has few optional and
# open fields (`evidence_compiler._COUNTED_KEYS`), and tests them as a set when it has more.
KEYS = """
framework keys "Keys" effective from 2020-01-01
record few:
  score: integer "A score"
  concerns: optional integer "Causes of concern"
record many:
  score: integer "A score"
  a: optional integer "A"
  b: optional integer "B"
  c: optional integer "C"
  d: optional integer "D"
  e: optional integer "E"
evidence:
  few: few "Few optional fields"
  many: many "Many optional fields"
judgement scored: boolean
  true when few.score = many.score because "the same"
  otherwise false because "not the same"
"""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    """A framework with a record of few optional fields and one of many."""
    return _checked(tmp_path_factory, "keys", KEYS)


@pytest.mark.parametrize(
    ("record", "given", "accepted"),
    [
        ("few", '{"score": 1}', True),
        ("few", '{"score": 1, "concerns": 2}', True),
        ("few", '{"score": 1, "concerns": null}', True),
        ("few", '{"score": 1, "extra": 2}', False),
        ("few", '{"score": 1, "concerns": 2, "extra": 3}', False),
        ("few", '{"concerns": 2, "extra": 3}', False),  # as many keys as allowed, one required missing
        ("few", '{"score": 1, "framework": "keys"}', False),  # a key of another record
        ("many", '{"score": 1}', True),
        ("many", '{"score": 1, "a": 1, "b": null, "c": 3, "d": 4, "e": 5}', True),
        ("many", '{"score": 1, "a": 1, "extra": 2}', False),
        ("many", '{"score": 1, "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "extra": 6}', False),
    ],
)
def test_a_record_with_an_unknown_key_is_refused_by_both_validators(
    keys: RuleSet, record: str, given: str, accepted: bool
) -> None:
    """Whether its optional fields are there, null or absent, a record has no key but its fields, on both validators."""
    other = "many" if record == "few" else "few"
    text = f'{{"framework": "keys", "{record}": {given}, "{other}": {{"score": 1}}}}'
    fast, slow, problems = _both(keys, text, "keys")
    assert (fast is not None) == (slow is not None) == accepted, problems
    if accepted:  # the same values: this schema's records hold only plain values
        expected = compiled_form(slow)
        assert (fast.pointer, fast.fields, fast.raw) == (expected.pointer, expected.fields, expected.raw)
    else:
        assert {code for code, _, _ in problems} <= {"evidence.unknown-field", "evidence.missing-field"}, problems


def _nesting(value: object) -> int:
    """How many levels below `value` its deepest item lies (a plain value: 0)."""
    if isinstance(value, dict):
        return 1 + max((_nesting(v) for v in value.values()), default=-1) if value else 0
    if isinstance(value, list):
        return 1 + max((_nesting(v) for v in value), default=-1) if value else 0
    return 0


_FREE_FORM = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=12,
)


@given(_FREE_FORM, st.integers(0, 6))
def test_free_form_depth_is_the_nesting_bound(value: object, limit: int) -> None:
    """A subject nests no deeper than `limit` levels exactly when its deepest item is at most `limit` below it."""
    from framework_dsl.evidence import free_form_depth

    assert free_form_depth(value, limit) == (_nesting(value) <= limit)


MAPS = """
framework maps "Maps" effective from 2000-01-01
scale grade "Grade": good "Good" > poor "Poor"
enum area "Area": north "North", south "South", east "East"
evidence:
  grades: map of area to grade "Grade by area"
"""


@pytest.mark.parametrize(
    "given",
    [
        '{"north": "good", "south": "poor", "east": "good"}',  # every key, in the enumeration's order
        '{"east": "good", "north": "good", "south": "poor"}',  # every key, in another order
        '{"south": "poor", "north": "good"}',  # some keys, in another order
        '{"north": "good", "east": "poor"}',  # some keys, in order
        "{}",
    ],
)
def test_a_maps_entries_are_in_its_key_enumerations_order_on_both_validators(
    tmp_path_factory: pytest.TempPathFactory, given: str
) -> None:
    """Whatever order the evidence writes a map's keys in, its entries come in the order of
    the key's enumeration; its raw JSON keeps the order given."""
    rule_set = _checked(tmp_path_factory, "maps", MAPS)
    fast, slow, problems = _both(rule_set, f'{{"framework": "maps", "grades": {given}}}', "maps")
    assert problems == [] and fast is not None and slow is not None
    order = [key for key in ("north", "south", "east") if f'"{key}"' in given]
    for validated in (fast, slow):
        grades = validated.fields["grades"]
        assert list(grades.entries) == order
        assert list(grades.raw) == [key for key in json.loads(given)]
