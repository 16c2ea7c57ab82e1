"""Fuzzing evidence: whatever arrives, evaluation ends in a result whose status says what happened.

Evidence is generated from each bundled framework's own schema (`ir.Framework.evidence`,
a `RecordType` of typesystem types) and then mutated: wrong types, missing and extra
fields, nulls, huge numbers, nesting 10,000 levels deep, very long texts and lists,
duplicate keys, non-UTF-8 bytes, empty input, a JSON array at the top, truncation.
The property, through `RuleSet.evaluate_json`: a `Result` with status `evaluated`,
`invalid_evidence` or `not_in_force`, whose `to_json()` works and is byte-identical
when the same bytes are evaluated again; no exception. `framework-check` on such files
exits 0 or 1 without a traceback.

Budgets are small under the default `ci` profile; `HYPOTHESIS_PROFILE=long` runs the
same properties with the `long` profile's budget (as does `--hypothesis-profile=long`).
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from framework_dsl import RuleSet, canonical_json, check_rules, load_rules
from framework_dsl.diagnostics import CODES
from framework_dsl.engine.fusion import FusedFramework, compile_fused
from framework_dsl.evidence import DEFAULT_LIMITS, Limits, MapValue, PointedList, RecordValue, parse_json, validate
from framework_dsl.evidence_compiler import compiled_form
from framework_dsl.typesystem import (
    BOOLEAN,
    DATE,
    DECIMAL,
    DURATION,
    INTEGER,
    PROVISION,
    TEXT,
    AnyType,
    Choice,
    ListOf,
    MapOf,
    Prim,
    RecordType,
    SetOf,
    Symbol,
    Type,
)

if "HYPOTHESIS_PROFILE" in os.environ:  # HYPOTHESIS_PROFILE=long opts in to long runs
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])

REPO = Path(__file__).resolve().parents[2]
FRAMEWORK_CHECK = Path(sys.executable).with_name("framework-check")
STATUSES = {"evaluated", "invalid_evidence", "not_in_force"}
AS_OF = "2020-06-30"


def budget(ci_examples: int) -> settings:
    """A small budget under the `ci` profile; the loaded profile's own under any other."""
    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
    if settings.get_current_profile_name() == "ci":
        return settings(max_examples=ci_examples, suppress_health_check=quiet)
    return settings(suppress_health_check=quiet)


def _bundled() -> RuleSet | None:
    rule_set, _ = check_rules()
    return rule_set


BUNDLED = _bundled()
FRAMEWORKS = sorted(BUNDLED.frameworks) if BUNDLED is not None else []
needs_bundled = pytest.mark.skipif(BUNDLED is None, reason="the bundled rules do not check cleanly")


# ---------------------------------------------------------------- evidence from the schema

JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=8), st.just(1.5))
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def schema_values(t: Type, depth: int = 0) -> st.SearchStrategy[Any]:
    """JSON data that the schema type `t` accepts (decimals as `Decimal`, dates as ISO text)."""
    if depth > 8:
        return st.nothing()
    if isinstance(t, AnyType):
        return ANY_JSON
    if isinstance(t, RecordType):
        required = {}
        optional = {}
        for name, info in t.fields.items():
            if name == "framework":
                continue
            inner = schema_values(info.type, depth + 1)
            if info.optional:
                optional[name] = st.one_of(st.none(), inner)
            else:
                required[name] = inner
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(t, MapOf):
        keys = [m.name for m in t.key.members]
        return st.dictionaries(st.sampled_from(keys), schema_values(t.value, depth + 1), max_size=len(keys))
    if isinstance(t, SetOf):
        return st.lists(schema_values(t.element, depth + 1), max_size=4, unique_by=_key)
    if isinstance(t, ListOf):
        return st.lists(schema_values(t.element, depth + 1), max_size=4)
    if isinstance(t, Choice):
        members = st.sampled_from([m.name for m in t.members])
        return st.one_of(members, schema_values(t.base, depth + 1)) if t.base is not None else members
    if t == TEXT:
        return st.text(max_size=20)
    if t == INTEGER:
        assert isinstance(t, Prim)  # a ranged integer (`integer from 0`) stays within its bounds
        low = -(2**70) if t.low is None else int(t.low)
        high = 2**70 if t.high is None else int(t.high)
        small = max(low, min(-5, high))
        return st.one_of(st.integers(small, max(small, min(high, 30))), st.integers(low, high))
    if t == DECIMAL:
        assert isinstance(t, Prim)
        return st.decimals(
            min_value=-(10**9) if t.low is None else t.low,
            max_value=10**9 if t.high is None else t.high,
            allow_nan=False,
            allow_infinity=False,
            places=4,
        )
    if t == BOOLEAN:
        return st.booleans()
    if t == DATE:
        return st.one_of(
            st.dates(min_value=datetime.date(2005, 1, 1), max_value=datetime.date(2030, 12, 31)),
            st.sampled_from(["2016-02-29", "2019-02-28", "2014-01-01"]),
        ).map(lambda d: d if isinstance(d, str) else d.isoformat())
    if t == DURATION:
        return st.nothing()
    if t == PROVISION:
        return st.from_regex(r"[0-9]{1,3}[A-Z]{0,2}(\(([0-9]{1,2}[A-Z]?|[a-z]{1,4})\)){0,4}", fullmatch=True)
    raise AssertionError(f"no strategy for {t!r}")


def evidence_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """A whole evidence document for framework `name`, naming it, sometimes with a subject."""
    assert BUNDLED is not None
    framework = BUNDLED.framework(name)
    subject = st.one_of(st.just(None), st.fixed_dictionaries({"provider": st.text(max_size=10)}))
    return st.tuples(schema_values(framework.evidence), subject).map(
        lambda pair: {"framework": name, **pair[0], **({"subject": pair[1]} if pair[1] is not None else {})}
    )


ANY_FRAMEWORK_EVIDENCE = st.sampled_from(FRAMEWORKS or ["-"]).flatmap(
    lambda name: evidence_for(name) if BUNDLED is not None else st.just({})
)


# ---------------------------------------------------------------- writing JSON, and breaking it


class Deep:
    """A placeholder written as `depth` nested lists (too deep to build as Python data)."""

    def __init__(self, depth: int) -> None:
        self.depth = depth


def dumps(value: Any) -> str:
    """JSON text with exact decimals and `Deep` placeholders expanded."""
    if isinstance(value, Deep):
        return "[" * value.depth + "1" + "]" * value.depth
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + dumps(v) for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def _containers(value: Any, found: list[Any]) -> list[Any]:
    if isinstance(value, dict | list):
        found.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            _containers(child, found)
    return found


ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    "",
    "x",
    "gp",
    [],
    {},
    [None],
    {"a": 1},
    10**4000,
    Decimal("1e999999999"),
    Decimal("-1e-999999999"),
    2**64,
    "2019-02-30",
    "9999-12-31",
    "0001-01-01",
    "__import__('os')",
    "{__class__}",
]
BIG = {
    "deep": lambda: Deep(10_000),
    "long-text": lambda: "t" * 200_001,
    "long-list": lambda: [0] * 100_001,
    "many-objects": lambda: [{}] * 2_000,
}


def odd(draw: st.DrawFn) -> Any:
    """A fresh copy of one odd value (the edits below change containers in place)."""
    return copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))


@st.composite
def mutated_data(draw: st.DrawFn, document: dict[str, Any]) -> Any:
    """The document with one structural edit somewhere in it."""
    containers = _containers(document, [])
    target = draw(st.sampled_from(containers))
    kind = draw(st.sampled_from(["wrong-type", "delete", "extra", "null", "big", "wrap"]))
    keys = list(target) if isinstance(target, dict) else list(range(len(target)))
    if kind == "extra" or not keys:
        if isinstance(target, dict):
            target[draw(st.sampled_from(["unexpected", "__proto__", "", "Framework", "subject"]))] = odd(draw)
        else:
            target.append(odd(draw))
        return document
    key = draw(st.sampled_from(keys))
    if kind == "delete":
        del target[key]
    elif kind == "null":
        target[key] = None
    elif kind == "wrong-type":
        target[key] = odd(draw)
    elif kind == "big":
        target[key] = BIG[draw(st.sampled_from(sorted(BIG)))]()
    else:
        target[key] = [target[key]] if draw(st.booleans()) else {"value": target[key]}
    return document


@st.composite
def mutated_bytes(draw: st.DrawFn, text: str) -> bytes:
    """The document's text with one edit at the text level."""
    data = text.encode("utf-8")
    kind = draw(
        st.sampled_from(
            ["duplicate-key", "non-utf-8", "empty", "top-array", "truncate", "bom", "utf-16", "nan", "trailing"]
        )
    )
    at = draw(st.integers(0, len(data)))
    if kind == "duplicate-key":
        return data.replace(b"{", b'{"framework":"x",', 1)
    if kind == "non-utf-8":
        return data[:at] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\x80abc"])) + data[at:]
    if kind == "empty":
        return draw(st.sampled_from([b"", b" ", b"\n", b"\xef\xbb\xbf"]))
    if kind == "top-array":
        return b"[" + data + b"]"
    if kind == "truncate":
        return data[:at]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "utf-16":
        return text.encode("utf-16")
    if kind == "nan":
        return data.replace(b"}", b',"n":NaN}', 1)
    return data + draw(st.sampled_from([b"}", b",", b" {}", b"\x00"]))


# ---------------------------------------------------------------- the property


def assert_result(rule_set: RuleSet, data: bytes | str, as_of: str | None = AS_OF) -> str:
    """Evaluate twice: a result with a known status, sound problems, and the same JSON both times."""
    result = rule_set.evaluate_json(data, as_of, source="fuzz.json")
    assert result.status in STATUSES
    if result.status == "invalid_evidence":
        assert result.problems
        assert result.judgements == {} and result.checks == {}
    for problem in result.problems:
        assert problem.code in CODES, problem
        assert problem.pointer is not None or problem.document is not None
    text = result.to_json()
    again = rule_set.evaluate_json(data, as_of, source="fuzz.json").to_json()
    assert again == text
    json.loads(text)
    # Written from the records straight, the same bytes as the contracted dicts give.
    assert result.to_json_bytes(indent=2) == text.encode("utf-8")
    assert result.to_json_bytes(indent=None) == canonical_json.dumps_bytes(result.to_dict(), indent=None)
    return text


@pytest.fixture(autouse=True, scope="module")
def _no_rules_cache() -> Iterator[None]:
    """Keep the per-user rules cache out of these tests."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FRAMEWORK_DSL_NO_CACHE", "1")
        yield


@needs_bundled
@budget(40)
@given(ANY_FRAMEWORK_EVIDENCE)
def test_evidence_generated_from_the_schema_is_accepted(document: dict[str, Any]) -> None:
    """Evidence built from a framework's own schema is evaluated or not in force, never refused."""
    assert BUNDLED is not None
    text = dumps(document)
    result = BUNDLED.evaluate_json(text, AS_OF)
    assert result.status in {"evaluated", "not_in_force"}, [(p.pointer, p.message) for p in result.problems]
    assert_result(BUNDLED, text)


@needs_bundled
@budget(60)
@given(st.data())
def test_mutated_evidence_always_gives_a_result(data: st.DataObject) -> None:
    """Schema evidence with structural edits (wrong types, nulls, extra fields, huge values) gives a sound result."""
    assert BUNDLED is not None
    document = data.draw(ANY_FRAMEWORK_EVIDENCE)
    for _ in range(data.draw(st.integers(1, 3))):
        document = data.draw(mutated_data(document))
    assert_result(BUNDLED, dumps(document).encode("utf-8"))


# ---------------------------------------------------------------- the compiled validator


def same_value(fast: Any, reference: Any) -> bool:
    """Whether two validated values are the same: types, pointers, converted fields and raw JSON.

    `reference` is `validate`'s reading in the compiled validator's form (`compiled_form`).
    """
    if type(fast) is not type(reference):
        return False
    if type(reference) is tuple:  # a record inside a record: (fields, raw)
        fields, raw = reference
        return (
            len(fast) == 2
            and fast[1] == raw
            and fast[0].keys() == fields.keys()
            and all(same_value(fast[0][k], fields[k]) for k in fields)
        )
    if isinstance(reference, RecordValue):
        return (
            fast.pointer == reference.pointer
            and fast.raw == reference.raw
            and fast.fields.keys() == reference.fields.keys()
            and all(same_value(fast.fields[k], reference.fields[k]) for k in reference.fields)
        )
    if isinstance(reference, MapValue):
        return (
            fast.pointer == reference.pointer
            and fast.raw == reference.raw
            and list(fast.entries) == list(reference.entries)
            and all(same_value(fast.entries[k], reference.entries[k]) for k in reference.entries)
        )
    if isinstance(reference, PointedList):
        return (
            fast.pointer == reference.pointer
            and len(fast) == len(reference)
            and all(same_value(f, r) for f, r in zip(fast, reference, strict=True))
        )
    if isinstance(reference, Symbol):
        return fast is reference
    return bool(fast == reference) and str(fast) == str(reference)  # Decimal("1.0") is not Decimal("1")


_FUSED: dict[str, FusedFramework | None] = {}


def _fused(name: str) -> FusedFramework | None:
    """The bundled framework's fused function (`engine.fusion`), where it has one."""
    assert BUNDLED is not None
    if name not in _FUSED:
        _FUSED[name] = compile_fused(BUNDLED.framework(name), BUNDLED.compiled(name), BUNDLED.digest)
    return _FUSED[name]


def _no_clock() -> datetime.date:
    raise AssertionError("the evaluation date was given: the clock is not read")


def assert_fast_path_agrees(name: str, document: Any, limits: Limits = DEFAULT_LIMITS) -> bool:
    """The compiled validator accepts only what `validate` accepts, and converts it the same way.

    Returns whether the fast path accepted the document.
    """
    assert BUNDLED is not None
    validator = BUNDLED.compiled_validator(name)
    assert validator is not None, f"{name}: the evidence schema did not compile"
    before = copy.deepcopy(document)
    fast = validator(document, limits)
    reference, problems = validate(document, BUNDLED.framework(name).evidence, "<evidence>", limits)
    assert document == before, "validation changed the document"
    # The fused function (validator and decisions in one, `engine.fusion`) accepts exactly
    # what the compiled validator accepts.
    fused = _fused(name)
    if fused is not None and limits.max_depth >= validator.depth:
        made = fused.decide(
            document, limits.max_text, limits.max_items, datetime.date(2024, 6, 1), _no_clock, None, None, None
        )
        assert document == before, "the fused function changed the document"
        assert (made is None) == (fast is None)
    if fast is None:
        return False
    assert not problems, f"the fast path accepted a document with problems: {problems}"
    assert reference is not None and same_value(fast, compiled_form(reference))
    return True


@needs_bundled
@budget(60)
@given(st.data())
def test_compiled_validator_accepts_valid_evidence_as_the_reference_does(data: st.DataObject) -> None:
    """On evidence built from the schema, the fast path accepts it and builds the very same values."""
    name = data.draw(st.sampled_from(FRAMEWORKS))
    document = json.loads(dumps(data.draw(evidence_for(name))), parse_float=Decimal)
    assert assert_fast_path_agrees(name, document)


@needs_bundled
@budget(100)
@given(st.data())
def test_compiled_validator_refuses_whatever_the_reference_refuses(data: st.DataObject) -> None:
    """On mutated evidence, and under tight limits, the fast path never accepts a document with problems."""
    name = data.draw(st.sampled_from(FRAMEWORKS))
    document = json.loads(dumps(data.draw(evidence_for(name))), parse_float=Decimal)
    for _ in range(data.draw(st.integers(0, 2))):
        document = data.draw(mutated_data(document))
    document, unreadable = parse_json(dumps(document), "<evidence>")
    assume(not unreadable)  # nested too deeply for JSON: never reaches validation
    if isinstance(document, dict) and "framework" in document:
        document["framework"] = data.draw(st.sampled_from([name, 7, None, "x" * 30]))
    limits = data.draw(
        st.sampled_from(
            [DEFAULT_LIMITS, Limits(max_text=3), Limits(max_items=1), Limits(max_depth=1), Limits(max_depth=3)]
        )
    )
    assert_fast_path_agrees(name, document, limits)


def test_compiled_validator_falls_back_when_the_schema_nests_deeper_than_the_limit(write_rules) -> None:  # type: ignore[no-untyped-def]
    root = write_rules(
        {
            "nest.fw": """
            framework nest "Nest"
              effective from 2020-01-01
            record inner:
              n: integer "n"
            record outer:
              inner: inner "inner"
            evidence:
              outer: outer "outer"
            judgement j: integer
              otherwise outer.inner.n because "n" cite "c"
            """
        }
    )
    rules = load_rules(root).prepare()
    document = {"framework": "nest", "outer": {"inner": {"n": 1}}}
    validator = rules.compiled_validator("nest")
    assert validator is not None and validator.depth == 3  # root 0, outer 1, inner 2, n 3
    assert validator(document, Limits(max_depth=3)) is not None
    assert validator(document, Limits(max_depth=2)) is None  # the reference validator says why
    result = rules.evaluate(document, limits=Limits(max_depth=2))
    assert result.status == "invalid_evidence"
    assert [p.code for p in result.problems] == ["evidence.too-large"]


CLOSED_RULES = """
framework closed "Closed"
  effective from 2020-01-01
scale grade: good "Good" > poor "Poor"
record visit:
  grade: grade "the visit's grade"
  count: integer "how many"
evidence:
  visit: visit "the visit"
  note: text "a note"
  extra: optional integer "an optional number"
judgement j: grade
  otherwise visit.grade because "the visit" cite "c"
"""


@pytest.mark.parametrize(
    "document",
    [
        {"visit": {"grade": "good"}, "note": "n"},  # a required field absent
        {"visit": {"grade": "good", "count": None}, "note": "n"},  # a required field null
        {"visit": {"grade": "good", "count": 1, "other": 2}, "note": "n"},  # a key a closed record lacks
        {"visit": {"grade": "fair", "count": 1}, "note": "n"},  # not a member
        {"visit": {"grade": 1, "count": 1}, "note": "n"},  # a number for a member
        {"visit": {"grade": ["good"], "count": 1}, "note": "n"},  # unhashable: the lookup raises TypeError
        {"visit": {"grade": {"good": 1}, "count": 1}, "note": "n"},
        {"visit": [], "note": "n"},  # a list for a record
        {"visit": {"grade": "good", "count": 1}, "note": None},
        {"visit": {"grade": "good", "count": 1}},
    ],
    ids=[
        "absent",
        "null",
        "unknown-key",
        "not-a-member",
        "number-for-member",
        "list-for-member",
        "object-for-member",
        "list-for-record",
        "null-text",
        "absent-text",
    ],
)
def test_compiled_validator_leaves_what_a_lookup_refuses_to_the_reference(
    write_rules,  # type: ignore[no-untyped-def]
    document: dict[str, Any],
) -> None:
    """Fields are read by lookup; whatever makes one fail goes to the reference, which says what is wrong."""
    rules = load_rules(write_rules({"closed.fw": CLOSED_RULES})).prepare()
    validator = rules.compiled_validator("closed")
    assert validator is not None
    full = {"framework": "closed", **document}
    assert validator(full, DEFAULT_LIMITS) is None
    converted, problems = validate(full, rules.framework("closed").evidence, "<evidence>", DEFAULT_LIMITS)
    assert converted is None and problems


def test_compiled_validator_accepts_a_member_given_as_a_text_subclass(write_rules) -> None:  # type: ignore[no-untyped-def]
    """An embedding service may pass `str` subclasses: both validators read them as the member named."""

    class Text(str):
        pass

    rules = load_rules(write_rules({"closed.fw": CLOSED_RULES})).prepare()
    validator = rules.compiled_validator("closed")
    assert validator is not None
    document = {"framework": "closed", "visit": {"grade": Text("poor"), "count": 2}, "note": "n"}
    fast = validator(document, DEFAULT_LIMITS)
    reference, problems = validate(document, rules.framework("closed").evidence, "<evidence>", DEFAULT_LIMITS)
    assert not problems and fast is not None and reference is not None
    assert same_value(fast, compiled_form(reference))
    assert fast.fields["visit"][0]["grade"].name == "poor"


@needs_bundled
@budget(40)
@given(st.data())
def test_mutated_evidence_bytes_always_give_a_result(data: st.DataObject) -> None:
    """Schema evidence with text edits (duplicate keys, bad bytes, truncation, arrays) gives a sound result."""
    assert BUNDLED is not None
    document = data.draw(ANY_FRAMEWORK_EVIDENCE)
    assert_result(BUNDLED, data.draw(mutated_bytes(dumps(document))), as_of=data.draw(st.sampled_from([AS_OF, None])))


EDGE_INPUTS: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b" \n\t",
    "bom-only": b"\xef\xbb\xbf",
    "null": b"null",
    "number": b"42",
    "text": b'"clas"',
    "top-array": b'[{"framework": "clas"}]',
    "nested-10000-lists": b"[" * 10_000 + b"]" * 10_000,
    "nested-10000-objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    "duplicate-keys": b'{"framework": "clas", "framework": "clas"}',
    "non-utf-8": b'{"framework": "clas\xff"}',
    "utf-16": '{"framework": "clas"}'.encode("utf-16"),
    "nan": b'{"framework": "clas", "x": NaN}',
    "infinity": b'{"framework": "clas", "x": -Infinity}',
    "huge-integer": b'{"framework": "clas", "review": {"date": "2018-03-16", "recommendations": '
    + b"9" * 4299
    + b'}, "services_reviewed": []}',
    "too-many-digits": b'{"framework": "clas", "x": ' + b"9" * 5000 + b"}",
    "huge-exponent": b'{"framework": "clas", "review": {"date": "2018-03-16", "recommendations": 1e999999999}}',
    "framework-is-a-list": b'{"framework": ["clas"]}',
    "framework-unknown": b'{"framework": "__class__"}',
    "framework-long": b'{"framework": "' + b"a" * 200_000 + b'"}',
    "no-framework": b"{}",
    "subject-not-an-object": b'{"framework": "clas", "subject": "x"}',
}


@needs_bundled
@pytest.mark.parametrize("case", sorted(EDGE_INPUTS))
def test_edge_inputs_give_invalid_evidence(case: str) -> None:
    """Each malformed input gives `invalid_evidence` with at least one registered problem, the same JSON twice."""
    assert BUNDLED is not None
    data = EDGE_INPUTS[case]
    if case == "huge-integer":  # a valid document with a 4,299-digit count: it is evaluated
        assert_result(BUNDLED, data)
        return
    assert_result(BUNDLED, data)
    assert BUNDLED.evaluate_json(data, AS_OF).status == "invalid_evidence"


# ---------------------------------------------------------------- once crashes, and known failures


def _clas_with(**fields: Any) -> dict[str, Any]:
    document = json.loads((REPO / "examples" / "clas" / "complete.json").read_text(encoding="utf-8"))
    document.update(fields)
    return document


@needs_bundled
@pytest.mark.parametrize("depth", [600, 900])
def test_deeply_nested_subject_gives_a_result(depth: int) -> None:
    """A subject nested 600-900 levels deep (within what JSON parsing allows) is refused as too large, not a crash."""
    assert BUNDLED is not None
    text = dumps(_clas_with(subject={"x": "PLACEHOLDER"})).replace('"PLACEHOLDER"', dumps(Deep(depth)))
    assert_result(BUNDLED, text)
    result = BUNDLED.evaluate_json(text, AS_OF)
    assert [p.code for p in result.problems] == ["evidence.too-large"]


@needs_bundled
@pytest.mark.parametrize("where", ["unknown-key", "subject", "member"])
def test_lone_surrogate_escapes_give_writable_json(where: str) -> None:
    """Evidence with a lone-surrogate escape is invalid evidence whose JSON can be written as UTF-8."""
    assert BUNDLED is not None
    if where == "unknown-key":
        text = dumps(_clas_with(PLACEHOLDER=1)).replace("PLACEHOLDER", "\\ud800")
    elif where == "subject":
        text = dumps(_clas_with(subject={"name": "PLACEHOLDER"})).replace("PLACEHOLDER", "\\udfff")
    else:
        text = dumps(_clas_with(services_reviewed=["PLACEHOLDER"])).replace("PLACEHOLDER", "\\ud800")
    assert_result(BUNDLED, text).encode("utf-8")
    assert BUNDLED.evaluate_json(text, AS_OF).status == "invalid_evidence"


DECIMAL_RULES = """\
framework numbers "Numbers"
  effective from 2014-01-01
evidence:
  x: decimal "a decimal"
  xs: list of decimal "some decimals"
  i: integer "an integer"
judgement bigger: decimal
  otherwise x + 1
judgement total: decimal
  otherwise sum of xs
judgement share: decimal
  otherwise 1 / x
judgement fourth_power: integer
  otherwise i * i * i * i
"""


@pytest.mark.parametrize("x", ["1e999999999", "9e999999", "1e-999999999"])
def test_decimal_overflow_is_an_evaluation_error_not_a_crash(write_rules, x: str) -> None:  # type: ignore[no-untyped-def]
    """A decimal beyond the arithmetic context's range gives a result (an error decision), not an exception."""
    rule_set = load_rules(write_rules({"numbers.fw": DECIMAL_RULES}))
    assert_result(rule_set, f'{{"framework": "numbers", "x": {x}, "xs": [{x}, {x}], "i": 1}}')


def test_huge_integer_outcome_can_be_written(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A 4,000-digit integer raised to the fourth power gives a result whose JSON can be written."""
    rule_set = load_rules(write_rules({"numbers.fw": DECIMAL_RULES}))
    assert_result(rule_set, '{"framework": "numbers", "x": 1, "xs": [], "i": ' + "9" * 4000 + "}")


# ---------------------------------------------------------------- the real command


def _framework_check(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(FRAMEWORK_CHECK), *args],
        capture_output=True,
        timeout=180,
        check=False,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


@needs_bundled
def test_framework_check_on_fuzzed_files_exits_1_without_a_traceback(tmp_path: Path) -> None:
    """`framework-check` evaluates a valid file among malformed ones, reports each bad one, and exits 1."""
    names = ["good.json"]
    (tmp_path / "good.json").write_bytes((REPO / "examples" / "clas" / "complete.json").read_bytes())
    (tmp_path / "surrogate.json").write_text(dumps(_clas_with(PLACEHOLDER=1)).replace("PLACEHOLDER", "\\ud800"))
    names.append("surrogate.json")
    for case, data in sorted(EDGE_INPUTS.items()):
        if case in {"huge-integer", "framework-long"}:
            continue
        (tmp_path / f"{case}.json").write_bytes(data)
        names.append(f"{case}.json")
    completed = _framework_check(*names, "--format", "json", "--as-of", AS_OF, cwd=tmp_path)
    stderr = completed.stderr.decode("utf-8", "replace")
    assert completed.returncode == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    results = json.loads(completed.stdout)
    assert [r["source"] for r in results] == names
    assert [r["status"] for r in results] == ["evaluated"] + ["invalid_evidence"] * (len(names) - 1)


# ---------------------------------------------------------------- numbers at and past every decimal limit

# Each limit a number in evidence can meet, at it and one past it: the arithmetic context
# (`values.DECIMAL_CONTEXT`: 34 digits, exponents ±999,999), what a decimal can be read
# with at all (`decimal.MAX_EMAX`, `decimal.MIN_ETINY`), the integer bound of the operators
# (10,000 bits, about 3,011 digits) and Python's integer conversion (4,300 digits).
_E = 999_999_999_999_999_999  # decimal.MAX_EMAX on 64-bit builds
NUMBER_LIMITS = [
    "9" * 34,
    "9" * 35,
    "0." + "9" * 34,
    "0." + "9" * 35,
    "1e999999",
    "1e1000000",
    "1e-999999",
    "1e-1000000",
    "9.999e999999",
    f"1e{_E}",
    f"1e{_E + 1}",
    f"-1e{_E}",
    f"-1e{_E + 1}",
    "1e-1999999999999999997",
    "1e-1999999999999999998",
    "1e99999999999999999999",
    "9" * 3010,
    "9" * 3011,
    "9" * 3012,
    "9" * 4300,
    "9" * 4301,
    "-" + "9" * 4301,
    "9" * 4300 + ".5",
    "9" * 100_000,
]
_NUMBER = "__FUZZ_NUMBER__"


@st.composite
def with_limit_number(draw: st.DrawFn, document: dict[str, Any]) -> str:
    """The document's text with one value (or a new key, or `framework` itself) replaced by a limit number."""
    containers = _containers(document, [])
    target = draw(st.sampled_from(containers))
    if isinstance(target, dict):
        keys = [*target, "unexpected"]
        target[draw(st.sampled_from(keys))] = _NUMBER
    elif target:
        target[draw(st.integers(0, len(target) - 1))] = _NUMBER
    else:
        target.append(_NUMBER)
    return dumps(document).replace(json.dumps(_NUMBER), draw(st.sampled_from(NUMBER_LIMITS)), 1)


@needs_bundled
@budget(80)
@given(st.data())
def test_numbers_at_and_past_every_limit_give_a_result_on_both_paths(data: st.DataObject) -> None:
    """A number at or past any decimal or integer limit, anywhere in a document: a result with a known status
    (a located problem, or an evaluation error in a clause), never an exception; both paths give the same bytes."""
    assert BUNDLED is not None
    document = data.draw(ANY_FRAMEWORK_EVIDENCE)
    text = data.draw(with_limit_number(document))
    compiled = assert_result(BUNDLED, text)
    reference = BUNDLED.evaluate_json(text, AS_OF, source="fuzz.json", engine="reference").to_json()
    assert reference == compiled
    assert len(compiled) < 200_000  # a number is shown clipped, not copied into every message


@needs_bundled
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_framework_check_on_every_number_limit_exits_without_a_traceback(tmp_path: Path, jobs: str) -> None:
    """One file per limit number (as `framework` and as a field) among good files: every result is written,
    in order, exit 1, no traceback from the command or a worker."""
    good = (REPO / "examples" / "clas" / "complete.json").read_text(encoding="utf-8")
    names = ["good.json"]
    (tmp_path / "good.json").write_text(good, encoding="utf-8")
    for index, number in enumerate(NUMBER_LIMITS):
        (tmp_path / f"n{index}.json").write_text(good.replace("{", '{"extra": ' + number + ",", 1), encoding="utf-8")
        (tmp_path / f"f{index}.json").write_text('{"framework": ' + number + "}", encoding="utf-8")
        names += [f"n{index}.json", f"f{index}.json"]
    report = tmp_path / "report.json"
    completed = _framework_check(
        *names, "--format", "json", "--as-of", AS_OF, "--jobs", jobs, "--output", str(report), "--quiet", cwd=tmp_path
    )
    stderr = completed.stderr.decode("utf-8", "replace")
    assert completed.returncode == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    results = json.loads(report.read_text(encoding="utf-8"))
    assert [r["source"] for r in results] == names
    assert [r["status"] for r in results] == ["evaluated"] + ["invalid_evidence"] * (len(names) - 1)
