"""The exported JSON Schema means exactly what the engine accepts, by a third-party generator.

For each bundled framework (found in the bundle, so a new one is covered as it lands),
hypothesis-jsonschema generates documents from `framework-dsl schema NAME`; each is
then mutated, a few mutants of each kind chosen at random among all single changes: a
field dropped (required or optional), a value of the wrong JSON type, an integer
written as a float (`2.0`) or with a fraction, a negative or out-of-range number, a
text out of its enumeration, an extra field, a bad date, a `null`. Every document and
mutant goes to the engine as JSON text (`RuleSet.evaluate_json`) and to `jsonschema`'s
Draft 2020-12 validator with its format checker (on the same text parsed as a producer
parses it); the two must accept and refuse the same ones.

What JSON Schema cannot say is listed once, in `json_schema.NOT_EXPRESSED`; the
generator and the mutations never produce such documents, and the tests at the end
show each is a real exception (the engine refuses, the schema accepts), so the list
stays true.

Budgets: a few documents per framework under the default `ci` profile;
`SCHEMA_AGREEMENT_DOCUMENTS=1000` runs that many documents (and all their mutants) per
framework, and prints the counts:

    SCHEMA_AGREEMENT_DOCUMENTS=1000 python -m pytest -p no:cacheprovider -s \
        tests/properties/test_schema_agreement.py
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import random
import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from framework_dsl import RuleSet, load_rules
from framework_dsl.evidence import DEFAULT_LIMITS, MAX_INTEGER_DIGITS, Limits
from framework_dsl.json_schema import NOT_EXPRESSED, evidence_schema
from framework_dsl.typesystem import DATE, DECIMAL, INTEGER, Choice, ListOf, MapOf, Prim, RecordType, SetOf, Type
from framework_dsl.values import MAX_PROVISION_LENGTH

AS_OF = datetime.date(2024, 6, 1)
BUNDLED = load_rules()
FRAMEWORKS = sorted(BUNDLED.frameworks)
LONG = int(os.environ.get("SCHEMA_AGREEMENT_DOCUMENTS", "0"))
PER_KIND = 2  # mutants of each kind per document, chosen at random among all of that kind
TALLY: Counter[str] = Counter()

# Values of each JSON type, for "wrong type" mutants: each is tried where its type differs.
_OTHER_TYPES: list[Any] = [None, True, 0, 7, 1.5, "", "text", [], ["text"], {}, {"name": "x"}]
_BAD_DATES = ["2019-02-30", "2019-2-1", "20190101", "2019-W01-1", "2019-01-01T00:00:00", "٢٠١٩-٠١-٠١"]


def _validator(name: str) -> Draft202012Validator:
    schema = evidence_schema(BUNDLED.frameworks[name])
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def verdicts(rules: RuleSet, validator: Draft202012Validator, document: Any) -> tuple[bool, bool]:
    """(engine accepts, schema accepts) for one document, both reading the same JSON text."""
    text = json.dumps(document)
    engine = rules.evaluate_json(text, AS_OF).status != "invalid_evidence"
    return engine, validator.is_valid(json.loads(text))


def _explain(rules: RuleSet, validator: Draft202012Validator, document: Any) -> str:
    text = json.dumps(document)
    problems = [f"{p.pointer}: {p.message}" for p in rules.evaluate_json(text, AS_OF).problems]
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(json.loads(text))]
    return f"document {text[:2000]}\nengine problems: {problems or 'none'}\nschema errors: {errors or 'none'}"


# ---------------------------------------------------------------- mutations


def _places(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _places(item, (*path, index))


def type_at(root: RecordType, path: tuple[Any, ...]) -> Type | None:
    """The evidence type of the value at `path`, or None where the schema has none (`subject`, `framework`)."""
    t: Type = root
    for step in path:
        if isinstance(t, RecordType) and isinstance(step, str) and step in t.fields:
            t = t.fields[step].type
        elif isinstance(t, ListOf | SetOf) and isinstance(step, int):
            t = t.element
        elif isinstance(t, MapOf) and isinstance(step, str):
            t = t.value
        else:
            return None
    return t


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    mutant = copy.deepcopy(document)
    parent = mutant
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return mutant


def _dropped(document: Any, path: tuple[Any, ...], key: str) -> Any:
    mutant = copy.deepcopy(document)
    parent = mutant
    for step in path:
        parent = parent[step]
    del parent[key]
    return mutant


def _json_kind(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


# A mutation: its kind, where, and either ("drop", key) or ("set", new value).
Mutation = tuple[str, tuple[Any, ...], str, Any]


def mutations(root: RecordType, document: dict[str, Any]) -> Iterator[Mutation]:
    """Every single-step mutation of `document` (not yet applied: see `apply`)."""
    for path, value in _places(document):
        if path[:1] == ("subject",) and len(path) > 1:
            continue  # never checked but for its depth: any change inside is accepted by both
        t = type_at(root, path)
        if isinstance(value, dict):
            for key in value:
                yield "drop field", path, "drop", key
            if path != ("subject",):
                yield "extra field", (*path, "unexpected"), "set", 1
        if not path:
            continue
        yield "null", path, "set", None
        for other in _OTHER_TYPES:
            if other is not None and _json_kind(other) != _json_kind(value):
                yield "wrong type", path, "set", other
        if isinstance(value, int) and not isinstance(value, bool):
            yield "integral float", path, "set", float(value)
            yield "negative", path, "set", -1 - abs(value)
        if isinstance(t, Choice) and t.base is not None:
            t = t.base if not (isinstance(value, str) and t.member(value) is not None) else t
        if isinstance(t, Prim) and t in (INTEGER, DECIMAL) and isinstance(value, int | float):
            whole = t == INTEGER
            if t.low is not None:
                yield "out of range", path, "set", int(t.low) - 1 if whole else float(t.low) - 0.5
            if t.high is not None:
                yield "out of range", path, "set", int(t.high) + 1 if whole else float(t.high) + 0.5
            if whole:
                yield "fraction", path, "set", value + 0.5
        if isinstance(t, Choice) and isinstance(value, str):
            for wrong in (value + "x", value.upper() if value.upper() != value else value + "_", ""):
                yield "out of enum", path, "set", wrong
            labels = [m.label for m in t.members if m.label and t.member(m.label) is None]
            if labels:
                yield "out of enum", path, "set", labels[0]
        if t == DATE and isinstance(value, str):
            for bad in _BAD_DATES:
                yield "bad date", path, "set", bad


def apply(document: dict[str, Any], mutation: Mutation) -> Any:
    """The mutant: a changed copy of `document`."""
    _, path, action, argument = mutation
    return _dropped(document, path, argument) if action == "drop" else _replaced(document, path, argument)


def choose(found: list[Mutation], rnd: random.Random, per_kind: int) -> list[Mutation]:
    """Up to `per_kind` mutations of each kind, chosen at random: every kind is tried on every document."""
    by_kind: dict[str, list[Mutation]] = {}
    for mutation in found:
        by_kind.setdefault(mutation[0], []).append(mutation)
    chosen: list[Mutation] = []
    for kind in sorted(by_kind):
        options = by_kind[kind]
        chosen.extend(options if len(options) <= per_kind else rnd.sample(options, per_kind))
    return chosen


# ---------------------------------------------------------------- the property


def _budget() -> settings:
    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
    if LONG:
        return settings(max_examples=LONG, deadline=None, suppress_health_check=quiet, derandomize=False)
    return settings(max_examples=8, deadline=None, suppress_health_check=quiet)


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    """Under a long run, print how many documents and mutants were compared, per framework."""
    yield
    if LONG:
        for key in sorted(TALLY):
            print(f"{key}: {TALLY[key]}")


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_engine_and_schema_agree_on_generated_documents_and_mutants(name: str) -> None:
    """Documents generated from a framework's schema, and every mutant of each, get one verdict from both."""
    rules = BUNDLED
    validator = _validator(name)
    root = BUNDLED.frameworks[name].evidence

    @_budget()
    @given(document=from_schema(evidence_schema(BUNDLED.frameworks[name])), seed=st.integers(0, 2**32 - 1))
    def check(document: dict[str, Any], seed: int) -> None:
        # One seed drawn up front: drawing inside the body could end an example half-way.
        assert verdicts(rules, validator, document) == (True, True), _explain(rules, validator, document)
        counts: Counter[str] = Counter()
        for mutation in choose(list(mutations(root, document)), random.Random(seed), PER_KIND):
            mutant = apply(document, mutation)
            engine, schema = verdicts(rules, validator, mutant)
            assert engine == schema, f"{mutation[0]} at {mutation[1]}: " + _explain(rules, validator, mutant)
            counts[f"{name} mutants"] += 1
            counts[f"{name} mutants {'refused' if not engine else 'accepted'}"] += 1
            counts[f"{name} mutants: {mutation[0]}"] += 1
        counts[f"{name} documents"] += 1
        TALLY.update(counts)  # examples Hypothesis runs again while shrinking or replaying count again

    check()


def test_mutations_cover_every_kind() -> None:
    """Each mutation kind is produced by some bundled framework's documents, so none is silently dead."""
    kinds: set[str] = set()

    @settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def collect(data: st.DataObject) -> None:
        for name in FRAMEWORKS:
            schema = evidence_schema(BUNDLED.frameworks[name])
            document = data.draw(from_schema(schema), label=name)
            kinds.update(m[0] for m in mutations(BUNDLED.frameworks[name].evidence, document))

    collect()
    expected = {"drop field", "extra field", "null", "wrong type", "out of enum", "bad date"}
    assert expected <= kinds
    # integers, their fractions and their ranges exist wherever a framework has an integer field
    if any('"integer"' in json.dumps(evidence_schema(f)) for f in BUNDLED.frameworks.values()):
        assert {"integral float", "fraction", "negative", "out of range"} <= kinds


# ---------------------------------------------------------------- the documented exceptions


def _small_document(name: str) -> dict[str, Any]:
    """A valid document of `name`, the first the generator gives."""
    found: list[dict[str, Any]] = []

    @settings(max_examples=1, deadline=None, database=None, derandomize=True)
    @given(document=from_schema(evidence_schema(BUNDLED.frameworks[name])))
    def first(document: dict[str, Any]) -> None:
        found.append(document)

    first()
    return found[0]


@pytest.fixture(scope="module")
def sample() -> tuple[str, dict[str, Any]]:
    """A framework and one valid document of it."""
    name = FRAMEWORKS[0]
    return name, _small_document(name)


def test_exceptions_are_listed_once() -> None:
    """The list of what JSON Schema cannot say is the one the tests below exercise, no more, no less."""
    assert set(NOT_EXPRESSED) == {"bytes", "depth", "digits", "duplicate-keys", "surrogates"}


def test_exception_depth(sample: tuple[str, dict[str, Any]]) -> None:
    """A `subject` nested past the depth limit: the engine refuses it; the schema says so only in words."""
    name, document = sample
    deep: Any = "bottom"
    for _ in range(DEFAULT_LIMITS.max_depth):
        deep = {"inner": deep}
    validator = _validator(name)
    assert verdicts(BUNDLED, validator, {**document, "subject": deep}) == (False, True)
    assert verdicts(BUNDLED, validator, {**document, "subject": deep["inner"]}) == (True, True)
    assert f"{DEFAULT_LIMITS.max_depth} levels" in validator.schema["description"]


def test_exception_digits(sample: tuple[str, dict[str, Any]]) -> None:
    """An integer of more than 4,300 digits: refused by the engine, a valid integer to JSON Schema."""
    name, document = sample
    validator = _validator(name)
    place = next((p for p, v in _places(document) if type(v) is int and p[:1] != ("subject",)), None)
    if place is None:
        pytest.skip("the sample document holds no integer")
    placeholder = 123_456_789_123
    small = _replaced(document, place, placeholder)
    text = json.dumps(small).replace(str(placeholder), "9" * (MAX_INTEGER_DIGITS + 1))
    # Python cannot read the long integer to validate it; the schema bounds no integer by
    # its digits, so what it says of the document with a shorter integer it says of this one
    assert validator.is_valid(small)
    assert BUNDLED.evaluate_json(text, AS_OF).status == "invalid_evidence"
    assert f"{MAX_INTEGER_DIGITS:,} digits" in validator.schema["description"]


def test_exception_duplicate_keys(sample: tuple[str, dict[str, Any]]) -> None:
    """One key twice in an object: the engine refuses it; a schema sees only the parsed object."""
    name, document = sample
    text = json.dumps(document)
    doubled = text[:-1] + ', "framework": ' + json.dumps(name) + "}"
    assert _validator(name).is_valid(json.loads(doubled))
    assert BUNDLED.evaluate_json(doubled, AS_OF).status == "invalid_evidence"


def test_exception_surrogates(sample: tuple[str, dict[str, Any]]) -> None:
    """A lone surrogate escape in a text: not a character, so the engine refuses what a schema accepts."""
    name, document = sample
    text = json.dumps({**document, "subject": {"name": "\ud800"}})
    assert _validator(name).is_valid(json.loads(text))
    assert BUNDLED.evaluate_json(text, AS_OF).status == "invalid_evidence"


def test_exception_bytes(sample: tuple[str, dict[str, Any]]) -> None:
    """A document longer than the byte limit: refused by the engine; the schema states the limit in words."""
    name, document = sample
    text = json.dumps(document)
    limits = Limits(max_bytes=len(text.encode()) - 1)
    schema = evidence_schema(BUNDLED.frameworks[name], limits)
    assert Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid(json.loads(text))
    assert BUNDLED.evaluate_json(text, AS_OF, limits=limits).status == "invalid_evidence"
    assert f"{limits.max_bytes:,} bytes" in schema["description"]


def test_limits_jsonschema_can_say_are_in_the_schema() -> None:
    """Text length and list length are `maxLength` and `maxItems`, from the limits the schema is made with."""
    limits = Limits(max_items=7, max_text=11)
    for framework in BUNDLED.frameworks.values():
        text = json.dumps(evidence_schema(framework, limits))
        if '"type": "array"' in text:
            assert '"maxItems": 7' in text
        # Texts take the limit; a provision has its own, shorter bound (values.MAX_PROVISION_LENGTH).
        lengths = set(re.findall(r'"maxLength": (\d+)', text))
        assert lengths <= {"11", str(MAX_PROVISION_LENGTH)}, lengths
        assert '"maxItems": 100000' not in text
        assert '"maxLength": 100000' not in text


def test_whole_number_with_a_fraction_is_that_integer() -> None:
    """`2.0` where an integer is expected is the integer 2, on both engine paths, as JSON Schema says."""
    name = "clas"
    if name not in BUNDLED.frameworks:
        pytest.skip("clas is not bundled")
    document = {"framework": "clas", "review": {"date": "2018-03-16", "recommendations": 2.0}, "services_reviewed": []}
    text = json.dumps(document)
    assert text.count("2.0") == 1
    for engine in ("compiled", "reference"):
        result = BUNDLED.evaluate_json(text, AS_OF, engine=engine)
        assert result.status == "evaluated"
        assert result.judgements["next_step"].outcome == "action_plan_required"
    assert verdicts(BUNDLED, _validator(name), document) == (True, True)
    assert verdicts(BUNDLED, _validator(name), _replaced(document, ("review", "recommendations"), -1.0)) == (
        False,
        False,
    )
    assert Decimal("2.0") == 2  # the engine reads numbers exactly, and 2.0 is exactly 2
