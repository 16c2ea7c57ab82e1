"""The evidence JSON Schema agrees with the engine's evidence validator.

Every bundled framework's schema is checked against every evidence document we have
(the examples written beside the rules and the files under `examples/`), and against
mutations of the valid ones: the engine and the schema must accept and refuse the same
documents. The frameworks are found at run time, so new ones are covered as they land.
"""

from __future__ import annotations

import copy
import datetime
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import framework_dsl.cli.schema  # registers `framework-dsl schema`
from framework_dsl import canonical_json
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.evidence import Limits, parse_json
from framework_dsl.json_schema import evidence_schema
from framework_dsl.ruleset import RuleSet, check_rules

REPO = Path(__file__).resolve().parents[2]
AS_OF = datetime.date(2024, 1, 1)

# A framework using every shape of evidence type the language has.
SYNTHETIC_RULES = """
framework synth "Synthetic"
  source "Test rules"
  effective from 2000-01-01

scale level "Level": high "High" > mid "Mid" > low "Low"
enum colour "Colour": red "Red", green "Green", "9A" "Nine A"
outcome none_given "None given"

record part:
  name: text "Name"
  weight: optional decimal "Weight"
  tags: set of colour "Tags"
  grades: optional map of colour to level "Grades by colour"

record node:
  label: text "Label"
  children: optional list of node "Child nodes"

evidence:
  total: integer "A count"
  bounded: integer from 0 to 10 "A bounded count"
  share: optional decimal from 0 to 1.5 "A bounded share"
  ratio: decimal "A ratio"
  flag: optional boolean "A flag"
  on: date "A date"
  grade: level or none_given "A grade or none"
  kind: one of (alpha "Alpha", beta "Beta") "A kind"
  parts: list of part "Parts"
  part_set: set of part "A set of records"
  matrix: list of set of colour "Nested collections"
  scores: map of colour to integer "Scores"
  tree: optional node "A recursive record"

judgement positive: one of (plus "Plus", flat "Flat")
  plus when total > 0 because "positive" cite "test"
  otherwise flat because "not positive" cite "test"
"""

SYNTHETIC_VALID: dict[str, Any] = {
    "framework": "synth",
    "subject": {"anything": ["at", "all"]},
    "total": 3,
    "bounded": 10,
    "share": Decimal("0.25"),
    "ratio": Decimal("1.5"),
    "flag": None,
    "on": "2020-02-29",
    "grade": "mid",
    "kind": "alpha",
    "parts": [{"name": "a", "weight": 2, "tags": ["red", "9A"], "grades": {"red": "high", "green": None}}],
    "part_set": [{"name": "b", "tags": []}, {"name": "b", "tags": []}],
    "matrix": [["red"], ["red", "green"]],
    "scores": {"red": 1},
    "tree": {"label": "x", "children": [{"label": "y", "children": None}]},
}


def _load_documents() -> tuple[RuleSet | None, list[tuple[str, Any]]]:
    """The bundled rules and every evidence document we have, parsed as the engine parses."""
    rule_set, _ = check_rules()
    documents: list[tuple[str, Any]] = []
    if rule_set is None:
        return None, documents
    for name in sorted(rule_set.frameworks):
        for example in rule_set.frameworks[name].examples:
            if example.evidence_path is not None:
                text: str | bytes = Path(example.evidence_path).read_bytes()
            else:
                text = example.evidence_text or ""
            data, problems = parse_json(text, example.evidence_display)
            if not problems:
                documents.append((f"{name}: {example.title}", data))
    for path in sorted((REPO / "examples").rglob("*.json")):
        data, problems = parse_json(path.read_bytes(), str(path))
        if not problems:
            documents.append((str(path.relative_to(REPO)), data))
    return rule_set, documents


BUNDLED, DOCUMENTS = _load_documents()
FRAMEWORKS = sorted(BUNDLED.frameworks) if BUNDLED is not None else []


def _validators(rule_set: RuleSet) -> dict[str, Draft202012Validator]:
    return {
        name: Draft202012Validator(evidence_schema(f), format_checker=Draft202012Validator.FORMAT_CHECKER)
        for name, f in rule_set.frameworks.items()
    }


def _engine_accepts(rule_set: RuleSet, data: Any) -> bool:
    return rule_set.evaluate(data, AS_OF).status != "invalid_evidence"


def _as_producers_see_it(data: Any) -> Any:
    """The document as a producer's validator reads it: JSON text parsed with floats (`2.0` is integral)."""
    return json.loads(canonical_json.dumps(data))


def _schema_accepts(validators: dict[str, Draft202012Validator], data: Any) -> bool:
    # `framework` is a const in each schema, so at most one schema can accept a document
    document = _as_producers_see_it(data)
    return any(v.is_valid(document) for v in validators.values())


def _disagreement(rule_set: RuleSet, validators: dict[str, Draft202012Validator], data: Any) -> str:
    result = rule_set.evaluate(data, AS_OF)
    problems = "; ".join(f"{p.pointer}: {p.message}" for p in result.problems) or "none"
    errors = []
    for name, validator in validators.items():
        errors.extend(f"{name}: {e.json_path}: {e.message}" for e in validator.iter_errors(_as_producers_see_it(data)))
    return f"engine status {result.status} (problems: {problems}); schema errors: {errors or 'none'}"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> RuleSet:
    """A rule set whose one framework uses every evidence type shape."""
    root = tmp_path_factory.mktemp("synthetic") / "rules"
    root.mkdir()
    (root / "synth.fw").write_text(SYNTHETIC_RULES.lstrip("\n"), encoding="utf-8")
    rule_set, diagnostics = check_rules(root)
    assert rule_set is not None, diagnostics
    return rule_set


# ---------------------------------------------------------------- bundled frameworks


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_schema_is_valid_draft_2020_12(bundled: RuleSet, name: str) -> None:
    """Each bundled framework's schema is itself a valid draft 2020-12 schema."""
    schema = evidence_schema(bundled.frameworks[name])
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "$id" not in schema
    assert schema["properties"]["framework"]["const"] == name
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_schema_is_deterministic(name: str) -> None:
    """Two loads of the same rules give byte-identical schema text."""
    first, _ = check_rules()
    second, _ = check_rules()
    assert first is not None and second is not None
    text = canonical_json.dumps(evidence_schema(first.frameworks[name]), indent=2)
    assert text == canonical_json.dumps(evidence_schema(second.frameworks[name]), indent=2)


@pytest.mark.parametrize(("label", "data"), DOCUMENTS, ids=[label for label, _ in DOCUMENTS])
def test_schema_agrees_with_engine_on_known_documents(bundled: RuleSet, label: str, data: Any) -> None:
    """An example or evidence file validates against the schema exactly when the engine accepts it."""
    validators = _validators(bundled)
    engine = _engine_accepts(bundled, data)
    assert engine == _schema_accepts(validators, data), _disagreement(bundled, validators, data)


def test_known_documents_include_both_verdicts() -> None:
    """The document corpus holds evidence the engine accepts and evidence it refuses."""
    assert BUNDLED is not None
    verdicts = {_engine_accepts(BUNDLED, data) for _, data in DOCUMENTS}
    assert verdicts == {True, False}


# ---------------------------------------------------------------- mutations

_POOL: list[Any] = [
    None,
    True,
    0,
    7,
    Decimal("1.5"),
    "",
    "text",
    "2019-03-01",
    "2019-02-30",
    "19-03-01",
    [],
    ["text"],
    {},
    {"name": "x"},
]


def _locations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    found = [(path, value)]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_locations(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_locations(item, (*path, index)))
    return found


def _replace(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


@st.composite
def _mutated(draw: st.DrawFn, base: Any) -> Any:
    document = copy.deepcopy(base)
    places = _locations(document)
    kind = draw(st.sampled_from(["drop", "unknown_key", "wrong_type", "bad_member", "repeat_item", "null"]))
    if kind == "drop":
        objects = [(p, v) for p, v in places if isinstance(v, dict) and v]
        path, target = draw(st.sampled_from(objects))
        del target[draw(st.sampled_from(sorted(target)))]
    elif kind == "unknown_key":
        objects = [(p, v) for p, v in places if isinstance(v, dict)]
        path, target = draw(st.sampled_from(objects))
        key = draw(st.sampled_from(["unexpected", "red", "notes", *[k + "s" for k in target]]))
        target[key] = draw(st.sampled_from(_POOL))
    elif kind == "wrong_type":
        path, _ = draw(st.sampled_from(places[1:]))
        document = _replace(document, path, copy.deepcopy(draw(st.sampled_from(_POOL))))
    elif kind == "bad_member":
        texts = [(p, v) for p, v in places if isinstance(v, str)]
        if texts:
            path, text = draw(st.sampled_from(texts))
            change = draw(st.sampled_from(["suffix", "upper", "empty", "space"]))
            new = {"suffix": text + "x", "upper": text.upper(), "empty": "", "space": text + " "}[change]
            document = _replace(document, path, new)
    elif kind == "repeat_item":
        lists = [(p, v) for p, v in places if isinstance(v, list) and v]
        if lists:
            _, target = draw(st.sampled_from(lists))
            target.append(copy.deepcopy(draw(st.sampled_from(target))))
    else:
        path, _ = draw(st.sampled_from(places[1:]))
        document = _replace(document, path, None)
    return document


_ACCEPTED = [data for _, data in DOCUMENTS if BUNDLED is not None and _engine_accepts(BUNDLED, data)]


@pytest.mark.skipif(not _ACCEPTED, reason="no valid bundled evidence to mutate")
@settings(max_examples=400)
@given(data=st.data())
def test_schema_agrees_with_engine_on_mutated_bundled_evidence(bundled: RuleSet, data: st.DataObject) -> None:
    """Dropping a field, adding a key, a wrong type or a bad member: engine and schema agree."""
    base = data.draw(st.sampled_from(_ACCEPTED))
    document = data.draw(_mutated(base))
    validators = _validators(bundled)
    engine = _engine_accepts(bundled, document)
    assert engine == _schema_accepts(validators, document), _disagreement(bundled, validators, document)


@settings(max_examples=400)
@given(data=st.data())
def test_schema_agrees_with_engine_on_mutated_synthetic_evidence(synthetic: RuleSet, data: st.DataObject) -> None:
    """Mutations of evidence using every type shape (maps, sets, records, recursion) get one verdict."""
    document = data.draw(_mutated(SYNTHETIC_VALID))
    validators = _validators(synthetic)
    engine = _engine_accepts(synthetic, document)
    assert engine == _schema_accepts(validators, document), _disagreement(synthetic, validators, document)


# ---------------------------------------------------------------- shapes, one at a time


def _verdicts(rule_set: RuleSet, document: Any) -> tuple[bool, bool]:
    return _engine_accepts(rule_set, document), _schema_accepts(_validators(rule_set), document)


def test_synthetic_valid_document_is_accepted_by_both(synthetic: RuleSet) -> None:
    """The hand-written synthetic document is valid for the engine and for the schema."""
    assert _verdicts(synthetic, SYNTHETIC_VALID) == (True, True)


@pytest.mark.parametrize(
    ("path", "value", "accepted"),
    [
        (("flag",), None, True),  # optional: null is absence
        (("total",), None, False),  # required: null is refused
        (("total",), True, False),  # a boolean is not an integer
        (("total",), Decimal("1.0"), True),  # a whole number written with a fraction is that integer
        (("total",), Decimal("1E+2"), True),  # and so is one written with an exponent
        (("total",), Decimal("1.5"), False),
        (("bounded",), Decimal("10.0"), True),  # the bounds are inclusive
        (("bounded",), 0, True),
        (("bounded",), -1, False),
        (("bounded",), 11, False),
        (("share",), Decimal("1.5"), True),
        (("share",), Decimal("1.51"), False),
        (("share",), Decimal("-0.01"), False),
        (("ratio",), 2, True),  # a decimal accepts an integer
        (("on",), "2019-02-29", False),  # not a real date
        (("on",), "2019-3-1", False),
        (("grade",), "none_given", True),  # a union of a scale and an outcome
        (("grade",), "Mid", False),  # members by name, not label
        (("kind",), "beta", True),
        (("parts", 0, "tags"), ["red", "red"], False),  # a set refuses repeats
        (("parts", 0, "grades"), {"blue": "high"}, False),  # map keys are members
        (("scores",), {"red": None, "green": 2}, True),  # null map entries are ignored
        (("part_set",), [{"name": "b", "tags": []}] * 2, True),  # records are never repeats
        (("matrix",), [["red"], ["red"]], True),  # a list of sets may repeat sets
        (("tree", "children", 0, "children"), [{"label": "z", "extra": 1}], False),  # recursion is checked
        (("subject",), None, True),
        (("subject",), "someone", False),
        (("framework",), "other", False),
    ],
)
def test_each_shape_gets_one_verdict(synthetic: RuleSet, path: tuple[Any, ...], value: Any, accepted: bool) -> None:
    """One targeted change to valid evidence gets the expected verdict from both engine and schema."""
    document = _replace(copy.deepcopy(SYNTHETIC_VALID), path, value)
    assert _verdicts(synthetic, document) == (accepted, accepted)


def test_missing_framework_is_refused_by_both(synthetic: RuleSet) -> None:
    """Without `"framework"` the command cannot choose the rules, so the schema requires it."""
    document = {k: v for k, v in SYNTHETIC_VALID.items() if k != "framework"}
    assert _verdicts(synthetic, document) == (False, False)


def test_schema_layout(synthetic: RuleSet) -> None:
    """Records and named symbol sets sit in `$defs`; labels become titles; sets of records have no uniqueItems."""
    schema = evidence_schema(synthetic.frameworks["synth"])
    defs = schema["$defs"]
    assert list(defs) == sorted(defs)
    assert defs["synth.level"]["oneOf"][0] == {"const": "high", "title": "High"}
    assert defs["synth.colour"]["oneOf"][2] == {"const": "9A", "title": "Nine A"}
    assert schema["properties"]["part_set"]["items"] == {"$ref": "#/$defs/synth.part"}
    assert "uniqueItems" not in schema["properties"]["part_set"]
    assert schema["properties"]["matrix"]["items"]["uniqueItems"] is True
    assert schema["properties"]["kind"]["oneOf"] == [
        {"const": "alpha", "title": "Alpha"},
        {"const": "beta", "title": "Beta"},
    ]
    assert schema["properties"]["flag"] == {
        "description": "A flag",
        "anyOf": [{"type": "boolean"}, {"type": "null"}],
    }
    assert defs["synth.part"]["required"] == ["name", "tags"]
    assert defs["synth.node"]["properties"]["children"]["anyOf"][0]["items"] == {"$ref": "#/$defs/synth.node"}


def test_ranges_and_limits_in_the_schema(synthetic: RuleSet) -> None:
    """Ranged numbers give `minimum`/`maximum`; the depth and digit limits are stated in words."""
    schema = evidence_schema(synthetic.frameworks["synth"], Limits(max_depth=9))
    properties = schema["properties"]
    assert properties["bounded"] == {"description": "A bounded count", "type": "integer", "minimum": 0, "maximum": 10}
    assert properties["share"]["anyOf"][0] == {"type": "number", "minimum": 0, "maximum": 1.5}
    assert properties["total"] == {"description": "A count", "type": "integer"}
    assert "at most 9 levels" in properties["subject"]["description"]
    assert "nested more than 9 levels deep" in schema["description"]
    assert "4,300 digits" in schema["description"]
    assert "`2.0` is the integer 2" in schema["description"]


def test_primitive_base_union_accepts_its_primitive(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A `date or not_applicable` field accepts a date, in the engine as in the schema."""
    root = write_rules(
        {
            "u.fw": """
            framework u "U"
              source "Test"
              effective from 2000-01-01
            outcome not_applicable "Not applicable"
            evidence:
              due: date or not_applicable "When it is due"
            """
        }
    )
    rule_set, diagnostics = check_rules(root)
    assert rule_set is not None, diagnostics
    assert _verdicts(rule_set, {"framework": "u", "due": "not_applicable"}) == (True, True)
    assert _verdicts(rule_set, {"framework": "u", "due": "2019-03-01"}) == (True, True)


def test_week_dates_are_refused(synthetic: RuleSet) -> None:
    """`2019-W01-1` is not a YYYY-MM-DD date, for the engine as for the schema."""
    document = _replace(copy.deepcopy(SYNTHETIC_VALID), ("on",), "2019-W01-1")
    assert _verdicts(synthetic, document) == (False, False)


# ---------------------------------------------------------------- the command


def test_schema_command_prints_the_schema(bundled: RuleSet) -> None:
    """`framework-dsl schema NAME` prints the framework's schema as indented JSON."""
    name = FRAMEWORKS[0]
    result = CliRunner().invoke(framework_dsl, ["schema", name])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(canonical_json.dumps(evidence_schema(bundled.frameworks[name])))


def test_schema_command_reads_other_rules(tmp_path: Path) -> None:
    """`--rules PATH` replaces the bundled rules."""
    root = tmp_path / "rules"
    root.mkdir()
    (root / "synth.fw").write_text(SYNTHETIC_RULES.lstrip("\n"), encoding="utf-8")
    result = CliRunner().invoke(framework_dsl, ["schema", "synth", "--rules", str(root)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["properties"]["framework"]["const"] == "synth"


def test_schema_command_unknown_framework_suggests_a_name() -> None:
    """An unknown framework name exits 2 with a did-you-mean hint."""
    name = FRAMEWORKS[0]
    result = CliRunner().invoke(framework_dsl, ["schema", name[:-1] + "x"])
    assert result.exit_code == 2
    assert f"did you mean `{name}`?" in result.output


def test_schema_command_rule_errors_exit_2(tmp_path: Path) -> None:
    """Rules that do not check exit 2 with their diagnostics."""
    root = tmp_path / "rules"
    root.mkdir()
    (root / "bad.fw").write_text('framework bad "Bad"\n  source "x"\n', encoding="utf-8")
    result = CliRunner().invoke(framework_dsl, ["schema", "bad", "--rules", str(root)])
    assert result.exit_code == 2
    assert "error[" in result.output
