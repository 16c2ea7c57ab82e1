"""The generate stage: generated functions decide exactly as the reference evaluator does.

Three kinds of test: differential (every bundled framework, on every example document
and on documents generated from the framework's evidence schema, must give decisions
equal to the reference evaluator's, and the tracing variant the reference's traces),
the allow-list walk over every generated module, and small targeted programs for the
corners of the semantics (Kleene logic, per-item references, collect, evaluation
errors, date arithmetic).
"""

from __future__ import annotations

import ast
import datetime
import itertools
import textwrap
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from framework_dsl import RuleSet, check_rules, ir, load_rules
from framework_dsl.engine.codegen import CompiledFramework, compile_framework, helpers
from framework_dsl.engine.fusion import FusedFramework, compile_fused, settle
from framework_dsl.engine.fusion import helpers as fused_helpers
from framework_dsl.engine.reference import Evaluation
from framework_dsl.engine.safety import ALLOWED_ATTRIBUTES, ALLOWED_NODE_TYPES, UnsafeCodeError, check_generated
from framework_dsl.evidence import DEFAULT_LIMITS, RecordValue, parse_json, validate
from framework_dsl.evidence_compiler import compile_validator, compiled_form
from framework_dsl.evidence_compiler import helpers as validator_helpers
from framework_dsl.result import Decision, Result
from framework_dsl.ruleset import evidence_date
from framework_dsl.typesystem import (
    BOOLEAN,
    DATE,
    DECIMAL,
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
    Type,
)
from framework_dsl.values import Provision, parse_provision

REPO = Path(__file__).resolve().parent.parent.parent
BUNDLED = load_rules()
FRAMEWORKS = sorted(BUNDLED.frameworks)
DEFAULT_AS_OF = datetime.date(2024, 6, 1)
_COMPILED: dict[tuple[str, bool], CompiledFramework] = {}


def compiled(name: str, *, tracing: bool = False) -> CompiledFramework:
    """The bundled framework `name`, compiled once per test session."""
    if (name, tracing) not in _COMPILED:
        _COMPILED[(name, tracing)] = compile_framework(BUNDLED.frameworks[name], tracing=tracing)
    return _COMPILED[(name, tracing)]


Outcomes = dict[str, Decision | tuple[Decision, ...]]


def reference(
    framework: ir.Framework, root: RecordValue, as_of: datetime.date, *, explain: bool = False
) -> tuple[Outcomes, Outcomes]:
    """The reference evaluator's decisions, in the shape `CompiledFramework.evaluate` returns."""
    return Evaluation(framework, root, as_of, explain=explain).decide_all()


def as_dicts(outcomes: Outcomes, *, explain: bool = False) -> dict[str, Any]:
    """Each decision as its JSON object (a list of them for a for-each decision)."""
    return {
        name: [d.to_dict(explain=explain) for d in value]
        if isinstance(value, tuple)
        else value.to_dict(explain=explain)
        for name, value in outcomes.items()
    }


_TRACING: dict[int, CompiledFramework] = {}


def tracing_variant(compiled_framework: CompiledFramework) -> CompiledFramework:
    """The tracing variant of a compiled framework, compiled once."""
    key = id(compiled_framework)
    if key not in _TRACING:
        _TRACING[key] = compile_framework(compiled_framework.framework, tracing=True)
    return _TRACING[key]


_FUSED: dict[int, tuple[FusedFramework | None, Any]] = {}


def fused_variant(compiled_framework: CompiledFramework) -> tuple[FusedFramework | None, Any]:
    """The fused function of a plain compiled framework and its compiled validator, made once."""
    key = id(compiled_framework)
    if key not in _FUSED:
        framework = compiled_framework.framework
        _FUSED[key] = (compile_fused(framework, compiled_framework, "digest"), compile_validator(framework))
    return _FUSED[key]


def _no_clock() -> datetime.date:
    raise AssertionError("the evaluation date was given: the clock is not read")


def assert_fused_agrees(
    framework: ir.Framework, compiled_framework: CompiledFramework, root: RecordValue, as_of: datetime.date
) -> None:
    """The fused function (`engine.fusion`) accepts what the compiled validator accepts and decides what
    the compiled decisions decide after it, on the dates `settle` gives: every field equal."""
    fused, validator = fused_variant(compiled_framework)
    if fused is None:  # not fusable (`test_fusion` says which are)
        return
    assert validator is not None
    limits = DEFAULT_LIMITS
    accepted = validator.accept(root.raw, limits.max_text, limits.max_items)
    made = fused.decide(root.raw, limits.max_text, limits.max_items, as_of, _no_clock, "x.json", None, None)
    assert (made is None) == (accepted is None)
    if made is None:
        return
    dated = evidence_date(root, framework.dated_by)
    settled = settle(as_of, dated, _no_clock, framework.effective_from, framework.effective_until)
    if not settled[3]:
        assert made == settled
        return
    assert isinstance(made, Result)
    assert (made.framework, made.source, made.subject, made.status) == (framework.name, "x.json", None, "evaluated")
    assert (made.as_of, made.as_of_from) == settled[:2]
    judgements, checks = made.judgements, made.checks
    expected_j, expected_c = compiled_framework.decide(accepted[0], accepted[1], settled[0], settled[2])
    assert list(judgements) == list(expected_j)
    assert list(checks) == list(expected_c)
    assert judgements == expected_j  # every field, clause ids and traces included
    assert checks == expected_c
    explain = compiled_framework.tracing
    assert as_dicts(judgements, explain=explain) == as_dicts(expected_j, explain=explain)


def assert_agree(
    framework: ir.Framework, compiled_framework: CompiledFramework, root: RecordValue, as_of: datetime.date
) -> tuple[Outcomes, Outcomes]:
    """Evaluate every way; the decisions must be equal, key order and traces included. Returns the compiled ones.

    `root` is `validate`'s reading; the compiled decisions read it in the compiled
    validator's form (`compiled_form`), as `RuleSet.evaluate` gives it to them.
    """
    expected_j, expected_c = reference(framework, root, as_of)
    fast_root = compiled_form(root)
    got_j, got_c = compiled_framework.evaluate(fast_root, as_of)
    assert list(got_j) == list(expected_j)
    assert list(got_c) == list(expected_c)
    assert as_dicts(got_j) == as_dicts(expected_j)
    assert as_dicts(got_c) == as_dicts(expected_c)
    assert got_j == expected_j  # every field, clause ids included
    assert got_c == expected_c
    traced_j, traced_c = tracing_variant(compiled_framework).evaluate(fast_root, as_of)
    explained_j, explained_c = reference(framework, root, as_of, explain=True)
    assert as_dicts(traced_j, explain=True) == as_dicts(explained_j, explain=True)
    assert as_dicts(traced_c, explain=True) == as_dicts(explained_c, explain=True)
    assert traced_j == explained_j
    assert traced_c == explained_c
    assert_fused_agrees(framework, compiled_framework, root, as_of)
    assert_fused_agrees(framework, tracing_variant(compiled_framework), root, as_of)
    return got_j, got_c


def validated(framework: ir.Framework, data: Any) -> RecordValue | None:
    """The validated root of `data`, or None when it is not valid evidence."""
    root, _ = validate(data, framework.evidence, "<test>")
    return root


# ---------------------------------------------------------------- documents for the differential tests


def example_documents() -> list[tuple[str, str, str, datetime.date | None]]:
    """(framework, id, JSON text, as-of) for every example beside the rules and every file under examples/."""
    found = []
    for name in FRAMEWORKS:
        framework = BUNDLED.frameworks[name]
        for example in framework.examples:
            if example.evidence_path is not None:
                text = Path(example.evidence_path).read_text(encoding="utf-8")
            else:
                text = example.evidence_text or ""
            found.append((name, example.location, text, example.as_of))
        for path in sorted((REPO / "examples" / name).glob("*.json")):
            found.append((name, str(path.relative_to(REPO)), path.read_text(encoding="utf-8"), None))
    return found


EXAMPLE_DOCUMENTS = example_documents()


def _ir_nodes(value: Any) -> Any:
    """Every IR node reachable from `value` (an IR node, or a tuple of them)."""
    if isinstance(value, tuple):
        for item in value:
            yield from _ir_nodes(item)
        return
    if not attrs.has(type(value)) or type(value).__module__ != ir.__name__:
        return
    yield value
    for field in attrs.fields(type(value)):
        if field.name not in ("span", "type"):
            yield from _ir_nodes(getattr(value, field.name))


def rule_constants(framework: ir.Framework) -> tuple[list[str], list[datetime.date]]:
    """The text and date constants the framework's rules mention, to aim generated evidence at them."""
    roots: list[Any] = [*framework.judgements, *framework.checks, *framework.definitions.values()]
    texts: set[str] = set()
    dates: set[datetime.date] = set()
    for node in _ir_nodes(tuple(roots)):
        if isinstance(node, ir.Const):
            values = node.value if isinstance(node.value, tuple) else (node.value,)
            for value in values:
                if isinstance(value, str):
                    texts.add(value)
                elif isinstance(value, Provision):
                    texts.add(value.text)
                elif isinstance(value, datetime.date):
                    dates.add(value)
    for bound in (framework.effective_from, framework.effective_until):
        if bound is not None:
            dates.add(bound)
    return sorted(texts), sorted(dates)


def date_strategy(dates: list[datetime.date]) -> st.SearchStrategy[datetime.date]:
    """Dates from 2010 to 2030, and dates within a few days of the rules' own dates."""
    spread = st.dates(min_value=datetime.date(2010, 1, 1), max_value=datetime.date(2030, 12, 31))
    if not dates:
        return spread
    near = st.tuples(st.sampled_from(dates), st.integers(-3, 3)).map(
        lambda pair: pair[0] + datetime.timedelta(days=pair[1])
    )
    return st.one_of(spread, near)


def _set_key(value: Any) -> Any:
    """What makes two set items the same once validated: numbers by value, anything else by type and value."""
    if type(value) in (int, Decimal):
        return ("number", Decimal(value))
    return (type(value).__name__, value)


def evidence_strategy(t: Type, texts: list[str], dates: list[datetime.date]) -> st.SearchStrategy[Any]:
    """Valid evidence JSON data for type `t`; optional fields and map keys randomly absent or null."""
    if isinstance(t, RecordType):
        required = {}
        optional = {}
        for name, info in t.fields.items():
            if name == "framework" and t.open_fields:
                continue  # the built-in field naming the framework; set by the caller
            value = evidence_strategy(info.type, texts, dates)
            if info.optional:
                optional[name] = st.one_of(st.none(), value)
            else:
                required[name] = value
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(t, MapOf):
        value = evidence_strategy(t.value, texts, dates)
        return st.fixed_dictionaries({}, optional={m.name: st.one_of(st.none(), value) for m in t.key.members})
    if isinstance(t, SetOf):
        if isinstance(t.element, Choice) and t.element.base is None:
            return st.lists(st.sampled_from([m.name for m in t.element.members]), unique=True, max_size=6)
        element = evidence_strategy(t.element, texts, dates)
        if isinstance(t.element, RecordType | MapOf):
            return st.lists(element, max_size=3)
        return st.lists(element, unique_by=_set_key, max_size=4)
    if isinstance(t, ListOf):
        return st.lists(evidence_strategy(t.element, texts, dates), max_size=4)
    if isinstance(t, Choice):
        names = st.sampled_from([m.name for m in t.members])
        if t.base is None:
            return names
        return st.one_of(names, evidence_strategy(t.base, texts, dates))
    if t == TEXT:
        random_text = st.text(alphabet="abc019()/-", max_size=6)
        return st.one_of(st.sampled_from(texts), random_text) if texts else random_text
    if t == INTEGER:
        assert isinstance(t, Prim)
        low = int(t.low) if t.low is not None else -5
        high = int(t.high) if t.high is not None else max(low, 0) + 1000
        small = max(low, min(0, high))  # small numbers near 0 are the common case
        whole = st.one_of(st.integers(small, max(small, min(high, 6))), st.integers(low, high))
        # a whole number written with a zero fraction is that integer, on both validators
        return st.one_of(whole, whole.map(lambda n: Decimal(f"{n}.0")))
    if t == DECIMAL:
        assert isinstance(t, Prim)
        low_d = t.low if t.low is not None else Decimal(-5)
        high_d = t.high if t.high is not None else max(low_d, Decimal(0)) + 100
        return st.one_of(
            st.integers(int(low_d.to_integral_value(ROUND_CEILING)), int(high_d.to_integral_value(ROUND_FLOOR))),
            st.decimals(min_value=low_d, max_value=high_d, places=2, allow_nan=False, allow_infinity=False),
        )
    if t == BOOLEAN:
        return st.booleans()
    if t == DATE:
        return date_strategy(dates).map(datetime.date.isoformat)
    if t == PROVISION:
        # The rules' own provisions, their parents and sub-paragraphs, and others.
        made = st.from_regex(r"[1-9][0-9]?A?(\([1-9a-c]\)){0,3}", fullmatch=True)
        known = [text for text in texts if parse_provision(text) is not None]
        if not known:
            return made
        near = st.sampled_from(known).flatmap(lambda p: st.sampled_from([p, p + "(a)", p.rsplit("(", 1)[0]]))
        return st.one_of(near, made)
    if isinstance(t, AnyType):
        return st.none()
    raise AssertionError(f"no evidence strategy for {t!r}")  # pragma: no cover


# ---------------------------------------------------------------- (a) differential tests


@pytest.mark.parametrize(
    ("name", "label", "text", "as_of"),
    EXAMPLE_DOCUMENTS,
    ids=[f"{name}:{label}" for name, label, _, _ in EXAMPLE_DOCUMENTS],
)
def test_compiled_agrees_on_example_documents(name: str, label: str, text: str, as_of: datetime.date | None) -> None:
    """On every example document of every bundled framework, compiled decisions equal the evaluator's."""
    framework = BUNDLED.frameworks[name]
    data, problems = parse_json(text, label)
    if problems:
        pytest.skip("not JSON (an invalid-evidence example)")
    root = validated(framework, data)
    if root is None:
        pytest.skip("not valid evidence (an invalid-evidence example)")
    date = as_of or evidence_date(root, framework.dated_by) or DEFAULT_AS_OF
    assert_agree(framework, compiled(name), root, date)


def test_example_documents_cover_every_bundled_framework() -> None:
    """Every bundled framework has at least one example document in the differential corpus."""
    assert {name for name, _, _, _ in EXAMPLE_DOCUMENTS} == set(FRAMEWORKS)


@pytest.mark.parametrize("name", FRAMEWORKS)
@given(data=st.data())
def test_compiled_agrees_on_generated_evidence(name: str, data: st.DataObject) -> None:
    """On documents generated from a framework's evidence schema, compiled decisions equal the evaluator's."""
    framework = BUNDLED.frameworks[name]
    texts, dates = rule_constants(framework)
    document = data.draw(evidence_strategy(framework.evidence, texts, dates), label="evidence")
    document["framework"] = name
    as_of = data.draw(date_strategy(dates), label="as_of")
    root = validated(framework, document)
    assume(root is not None)
    assert root is not None
    assert_agree(framework, compiled(name), root, as_of)


@pytest.mark.parametrize("name", FRAMEWORKS)
@settings(max_examples=40)
@given(data=st.data())
def test_generated_evidence_is_valid(name: str, data: st.DataObject) -> None:
    """The evidence strategy gives valid documents, so the differential test never tests by rejection."""
    framework = BUNDLED.frameworks[name]
    texts, dates = rule_constants(framework)
    document = data.draw(evidence_strategy(framework.evidence, texts, dates), label="evidence")
    problems = validate({**document, "framework": name}, framework.evidence, "<test>")[1]
    assert [(p.pointer, p.message) for p in problems] == []


# ---------------------------------------------------------------- (b) the allow-list walk


@pytest.mark.parametrize("name", FRAMEWORKS)
def test_every_generated_module_stays_inside_the_allow_list(name: str) -> None:
    """Every module generated for a bundled framework uses only allowed node types, names and attributes."""
    framework = BUNDLED.frameworks[name]
    validator = compile_validator(framework)
    assert validator is not None, "every bundled evidence schema compiles"
    fused = compile_fused(framework, compiled(name), BUNDLED.digest)
    modules = [
        ("decisions", compiled(name).module, helpers()),
        ("tracing", compiled(name, tracing=True).module, helpers()),
        ("evidence", validator.module, validator_helpers()),
    ]
    if fused is not None:
        modules.append(("fused", fused.module, fused_helpers()))
    for key, module, table in modules:
        check_generated(module, table)
        for node in ast.walk(module):
            assert type(node) in ALLOWED_NODE_TYPES, (key, type(node).__name__)
            if isinstance(node, ast.Attribute):
                assert node.attr in ALLOWED_ATTRIBUTES, (key, node.attr)
            if isinstance(node, ast.Name):
                assert not node.id.startswith("_"), (key, node.id)


def _module(*statements: ast.stmt) -> ast.Module:
    factory = ast.FunctionDef(
        name="m",
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=[*statements, ast.Return(value=ast.Constant(value=None))],
        decorator_list=[],
        returns=None,
    )
    return ast.fix_missing_locations(ast.Module(body=[factory], type_ignores=[]))


def _load(ident: str) -> ast.Name:
    return ast.Name(id=ident, ctx=ast.Load())


@pytest.mark.parametrize(
    ("statement", "complaint"),
    [
        (ast.Import(names=[ast.alias(name="os")]), "Import"),
        (ast.Expr(value=ast.Call(func=_load("print"), args=[], keywords=[])), "Expr"),
        (
            ast.Assign(targets=[ast.Name(id="v0", ctx=ast.Store())], value=_load("open")),
            "not one the generator makes",
        ),
        (
            ast.Assign(
                targets=[ast.Name(id="v0", ctx=ast.Store())],
                value=ast.Attribute(value=_load("v1"), attr="__class__", ctx=ast.Load()),
            ),
            "__class__",
        ),
        (
            ast.Assign(
                targets=[ast.Name(id="v0", ctx=ast.Store())],
                value=ast.Call(func=_load("v1"), args=[], keywords=[]),
            ),
            "helper",
        ),
        (
            ast.Assign(
                targets=[ast.Name(id="v0", ctx=ast.Store())],
                value=ast.Call(func=_load("h_eval"), args=[], keywords=[]),
            ),
            "h_eval",
        ),
        (
            ast.Assign(
                targets=[ast.Name(id="v0", ctx=ast.Store())],
                value=ast.Lambda(
                    args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
                    body=ast.Constant(value=1),
                ),
            ),
            "Lambda",
        ),
        (
            ast.Assign(targets=[ast.Name(id="v0", ctx=ast.Store())], value=ast.Constant(value=1.5)),
            "float",
        ),
        (
            ast.Assign(
                targets=[ast.Attribute(value=_load("v1"), attr="fields", ctx=ast.Store())],
                value=ast.Constant(value=1),
            ),
            "only be read",
        ),
        (
            ast.Assign(
                targets=[ast.Tuple(elts=[ast.Name(id="v0", ctx=ast.Store())], ctx=ast.Store())],
                value=_load("v1"),
            ),
            "unpacking",
        ),
        (
            ast.Assign(
                targets=[ast.Name(id="v0", ctx=ast.Store())],
                value=ast.Dict(keys=[None], values=[_load("v1")]),
            ),
            "text constants as keys",
        ),
        (
            ast.Assign(
                targets=[ast.Name(id="v0", ctx=ast.Store())],
                value=ast.Dict(keys=[_load("v1")], values=[ast.Constant(value=1)]),
            ),
            "text constants as keys",
        ),
        (
            ast.Assign(
                targets=[ast.Name(id="v0", ctx=ast.Store())],
                value=ast.Call(func=_load("h_len"), args=[], keywords=[ast.keyword(arg="x", value=_load("v1"))]),
            ),
            "positional|keyword",
        ),
        (
            ast.If(
                test=ast.Constant(value=True),
                body=[
                    ast.If(test=ast.Constant(value=True), body=[ast.Import(names=[ast.alias(name="os")])], orelse=[])
                ],
                orelse=[],
            ),
            "Import",
        ),
        (
            ast.Try(
                body=[ast.Pass()],
                handlers=[ast.ExceptHandler(type=_load("h_U"), name=None, body=[ast.Pass()])],
                orelse=[],
                finalbody=[],
            ),
            "evaluation error",
        ),
        (ast.While(test=_load("v1"), body=[ast.Break()], orelse=[]), "while True"),
        (ast.While(test=ast.Constant(value=True), body=[ast.Pass()], orelse=[]), "ends in `break`"),
        (
            ast.While(
                test=ast.Constant(value=True),
                body=[ast.If(test=_load("v1"), body=[ast.Continue()], orelse=[]), ast.Break()],
                orelse=[],
            ),
            "no `continue`",
        ),
    ],
    ids=[
        "import",
        "bare-call",
        "builtin-name",
        "dunder-attribute",
        "call-a-local",
        "unknown-helper",
        "lambda",
        "float",
        "attribute-store",
        "unpacking",
        "dict-unpacking",
        "dict-with-computed-key",
        "keyword-argument",
        "nested-in-blocks",
        "other-exception",
        "while-not-true",
        "while-without-break",
        "while-that-continues",
    ],
)
def test_the_allow_list_walk_rejects_what_generated_code_never_needs(statement: ast.stmt, complaint: str) -> None:
    """`check_generated` refuses imports, bare calls, builtins, dunders, non-helper calls and other constructs."""
    with pytest.raises(UnsafeCodeError, match=complaint):
        check_generated(_module(statement), helpers())


def test_the_allow_list_walk_accepts_a_loop_run_once_with_a_continue_of_an_inner_loop() -> None:
    """`while True: ...; break` runs its body once; a `continue` inside a `for` in it is that loop's."""
    inner = ast.For(
        target=ast.Name(id="v2", ctx=ast.Store()),
        iter=_load("v1"),
        body=[ast.If(test=_load("v2"), body=[ast.Continue()], orelse=[])],
        orelse=[],
    )
    once = ast.While(test=ast.Constant(value=True), body=[inner, ast.Break()], orelse=[])
    check_generated(_module(once), helpers())


def test_the_allow_list_walk_accepts_a_dict_display_keyed_by_text() -> None:
    """The evidence validator builds each record's fields as one display: text keys only."""
    display = ast.Dict(keys=[ast.Constant(value="a"), ast.Constant(value="b")], values=[_load("v1"), _load("v2")])
    check_generated(_module(ast.Assign(targets=[ast.Name(id="v0", ctx=ast.Store())], value=display)), helpers())


def test_rule_text_reaches_generated_code_only_as_constants(check_text) -> None:  # type: ignore[no-untyped-def]
    """Field names and literals that look like Python stay string constants: no identifier comes from a rule."""
    rule_set, diagnostics = check_text(
        """
        framework t "T" effective from 2000-01-01
        evidence:
          shell_field: text "A name"
        judgement greeting: one of (ok "OK", odd "Odd")
          odd when shell_field = "__import__('os').system('true')"
            because "{shell_field} __import__('os') \\" ) + exec('1')"
          otherwise ok because "fine"
        """
    )
    assert rule_set is not None, diagnostics
    framework = rule_set.frameworks["t"]
    result = compile_framework(framework)
    identifiers: set[str] = set()
    strings: set[str] = set()
    for module in (result.module, compile_framework(framework, tracing=True).module):
        check_generated(module, helpers())
        for node in ast.walk(module):
            for field in ("id", "arg", "name", "attr"):
                value = getattr(node, field, None)
                if isinstance(value, str) and not isinstance(node, ast.Constant):
                    identifiers.add(value)
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                strings.add(node.value)
    assert not [i for i in identifiers if any(word in i for word in ("shell", "import", "exec", "system", "greet"))]
    assert {"shell_field", "__import__('os').system('true')"} <= strings
    root = validated(framework, {"framework": "t", "shell_field": "__import__('os').system('true')"})
    assert root is not None
    judgements, _ = assert_agree(framework, result, root, DEFAULT_AS_OF)
    assert judgements["greeting"].reason == "__import__('os').system('true') __import__('os') \" ) + exec('1')"


# ---------------------------------------------------------------- (c) targeted programs


def _rules(check_text, text: str) -> tuple[ir.Framework, CompiledFramework]:  # type: ignore[no-untyped-def]
    rule_set, diagnostics = check_text(text)
    assert rule_set is not None, [d.message for d in diagnostics]
    assert isinstance(rule_set, RuleSet)
    framework = next(iter(rule_set.frameworks.values()))
    return framework, compile_framework(framework)


def _run(
    framework: ir.Framework,
    compiled_framework: CompiledFramework,
    document: dict[str, Any],
    as_of: datetime.date = DEFAULT_AS_OF,
) -> tuple[Outcomes, Outcomes]:
    root = validated(framework, {"framework": framework.name, **document})
    assert root is not None
    return assert_agree(framework, compiled_framework, root, as_of)


KLEENE = """
framework kleene "Kleene" effective from 2000-01-01
scale grade "Grade": good "Good" > fair "Fair" > poor "Poor"
evidence:
  a: optional boolean "A"
  b: optional boolean "B"
  g: optional grade "G"
judgement conj: one of (hit "Hit", miss "Miss")
  hit when a and b because "both"
  otherwise miss because "not both"
judgement disj: one of (hit "Hit", miss "Miss")
  hit when a or b because "either"
  otherwise miss because "neither"
judgement negation: one of (hit "Hit", miss "Miss")
  hit when not a because "not a"
  otherwise miss because "a"
judgement same_outcome_later: one of (hit "Hit", miss "Miss")
  hit when a because "a"
  miss when b because "b"
  otherwise hit because "the fallback agrees with the first clause"
judgement defaults: one of (hit "Hit", miss "Miss")
  hit when (a if missing false) or (b is missing) because "a, or b absent"
  otherwise miss because "otherwise"
judgement graded: grade
  poor when g <= poor because "g is {g}"
  g at least fair when g is present because "floored {g}"
  otherwise fair because "absent"
"""


def test_kleene_logic_agrees_on_every_combination(check_text) -> None:  # type: ignore[no-untyped-def]
    """`and`, `or`, `not`, `if missing` and `is missing` agree with the evaluator for every true/false/absent mix."""
    framework, compiled_framework = _rules(check_text, KLEENE)
    values: list[Any] = [True, False, None]
    for a, b, g in itertools.product(values, values, ["good", "fair", "poor", None]):
        document = {k: v for k, v in {"a": a, "b": b, "g": g}.items() if v is not None}
        judgements, _ = _run(framework, compiled_framework, document)
        if a is False:
            assert judgements["conj"].outcome == "miss"  # false and unknown = false
        if a is True:
            assert judgements["disj"].outcome == "hit"  # true or unknown = true
        if a is None:
            assert judgements["negation"].status == "undetermined"
            assert judgements["negation"].missing == ("/a",)


def test_a_pending_unknown_clause_with_the_same_outcome_does_not_block(check_text) -> None:  # type: ignore[no-untyped-def]
    """An unknown clause is overlooked when the clause that fires gives the same outcome; a different one blocks."""
    framework, compiled_framework = _rules(check_text, KLEENE)
    judgements, _ = _run(framework, compiled_framework, {"b": False})
    assert judgements["same_outcome_later"].outcome == "hit"
    assert judgements["same_outcome_later"].inputs == (("/b", False),)
    judgements, _ = _run(framework, compiled_framework, {"b": True})
    assert judgements["same_outcome_later"].status == "undetermined"
    assert judgements["same_outcome_later"].missing == ("/a",)
    first = framework.decision("same_outcome_later")
    assert first is not None
    assert judgements["same_outcome_later"].rule == first.clauses[0].location  # the first pending clause


PER_ITEM = """
framework items "Items" effective from 2000-01-01
scale grade "Grade": good "Good" > fair "Fair" > poor "Poor"
record thing:
  grade: grade "Its grade"
  size: optional integer "Its size"
evidence:
  things: list of thing "Things"
  spares: optional list of thing "Spare things"
  limit: optional integer "A limit"
judgement rated for each t in things: grade
  poor when t.size > limit because "size {t.size} above {limit}"
  otherwise t.grade because "as recorded: {t.grade}"
check consistent for each t in things:
  failed when rated != t.grade because "rated {rated}, recorded {t.grade}"
  otherwise passed because "rated as recorded"
judgement worst_rated: grade
  otherwise worst of rated because "the worst of {rated}"
judgement poor_count: integer
  otherwise count of rated rated poor because "{count of rated rated poor} poor"
judgement any_big: one of (hit "Hit", miss "Miss")
  hit when any t in things where t.size > 3 because "a big one"
  miss when all t in things where t.size is present because "all sized"
  otherwise miss because "unsized"
judgement none_small: one of (hit "Hit", miss "Miss")
  hit when no t in things where t.size < 2 because "none small"
  otherwise miss because "a small one"
judgement big_count: integer
  otherwise (count t in things where t.size > 2) + count of [t.size for t in things] because "counted"
judgement big_sizes: list of integer
  otherwise [t.size for t in things where t.size > 1] because "{[t.size for t in things where t.size > 1]}"
judgement all_sizes: list of integer
  otherwise [t.size for t in things] because "sizes"
judgement spare_rated for each t in spares: grade
  otherwise t.grade because "spare {t.grade}"
"""


@pytest.mark.parametrize(
    "document",
    [
        {"things": []},
        {"things": [{"grade": "good"}]},
        {"things": [{"grade": "good", "size": 5}], "limit": 3},
        {"things": [{"grade": "fair", "size": 1}, {"grade": "good", "size": 9}], "limit": 3},
        {"things": [{"grade": "fair", "size": 1}, {"grade": "poor"}], "limit": 3},
        {"things": [{"grade": "good", "size": 4}, {"grade": "good"}]},
    ],
)
def test_per_item_references_agree(check_text, document: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """A for-each judgement read per item from a check, and as a list from elsewhere, agrees with the evaluator."""
    framework, compiled_framework = _rules(check_text, PER_ITEM)
    _, checks = _run(framework, compiled_framework, document)
    assert len(checks["consistent"]) == len(document["things"])
    for index, decision in enumerate(checks["consistent"]):
        assert decision.item == f"/things/{index}"


def test_per_item_reads_include_the_referenced_items_inputs(check_text) -> None:  # type: ignore[no-untyped-def]
    """A per-item reference merges only that item's inputs into the referring decision."""
    framework, compiled_framework = _rules(check_text, PER_ITEM)
    _, checks = _run(
        framework,
        compiled_framework,
        {"things": [{"grade": "fair", "size": 1}, {"grade": "good", "size": 9}], "limit": 3},
    )
    second = checks["consistent"][1]
    assert second.outcome == "failed"
    assert dict(second.inputs) == {"/limit": 3, "/things/1/grade": "good", "/things/1/size": 9}


COLLECT = """
framework gather "Gather" effective from 2000-01-01
evidence:
  a: optional boolean "A"
  b: optional boolean "B"
  n: integer "N"
judgement flags: collect one of (x "X", y "Y", z "Z")
  x when a because "a"
  y when b because "b"
  x when n > 2 because "n is {n}"
judgement flags_or_none: collect one of (x "X", y "Y", z "Z")
  x when a because "a"
  y when n > 5 because "n is {n}"
  otherwise z because "nothing applies"
"""


def test_collect_agrees_on_every_combination(check_text) -> None:  # type: ignore[no-untyped-def]
    """`collect` gathers each firing clause's outcome once, with the evaluator's reasons, inputs and unknowns."""
    framework, compiled_framework = _rules(check_text, COLLECT)
    values: list[Any] = [True, False, None]
    for a, b, n in itertools.product(values, values, [0, 3, 7]):
        document = {k: v for k, v in {"a": a, "b": b, "n": n}.items() if v is not None}
        judgements, _ = _run(framework, compiled_framework, document)
        if (a, b, n) == (True, False, 3):
            flags = judgements["flags"]
            assert flags.outcome == ["x"]
            assert flags.reason == ["a", "n is 3"]
        if (a, b, n) == (False, False, 0):
            assert judgements["flags"].outcome == []
            assert judgements["flags_or_none"].outcome == "z"


TALLY = """
framework tally "Tally" effective from 2000-01-01
scale grade "Grade": good "Good" > fair "Fair" > poor "Poor"
outcome mixed "Mixed"
evidence:
  a: grade "A"
  b: grade "B"
  c: optional grade "C"
  many: list of grade "Many"
define known: list of grade = [a, b, a]
define maybe: list of grade = [a, c]
judgement by_known: grade or mixed
  poor when count of known rated poor >= 2 because "{count of known rated poor} poor"
  fair when count of known rated fair >= 1 and count of known rated good = 0 because "fair"
  good when count of known rated good = 3 because "all good"
  otherwise mixed because "mixed"
judgement by_maybe: grade or mixed
  poor when count of maybe rated poor >= 1 because "{count of maybe rated poor} poor"
  otherwise mixed because "mixed"
judgement by_many: grade or mixed
  good when count of many rated good > count of many rated poor because "more good"
  otherwise mixed because "not more good"
"""


def test_count_rated_agrees_on_every_combination(check_text) -> None:  # type: ignore[no-untyped-def]
    """Counting grades gives the evaluator's counts, on known lists and on lists with unknown items."""
    framework, compiled_framework = _rules(check_text, TALLY)
    grades: list[Any] = ["good", "fair", "poor"]
    for a, b, c in itertools.product(grades, grades, [*grades, None]):
        for many in ([], [a], [a, b, c or "good", "poor"]):
            document = {k: v for k, v in {"a": a, "b": b, "c": c, "many": many}.items() if v is not None}
            judgements, _ = _run(framework, compiled_framework, document)
            if (a, b) == ("poor", "good"):
                assert judgements["by_known"].reason == "2 poor"


ERRORS = """
framework broken "Broken" effective from 2000-01-01
record part:
  top: integer "Numerator"
  bottom: integer "Denominator"
evidence:
  top: integer "Numerator"
  bottom: integer "Denominator"
  parts: list of part "Parts"
judgement ratio: decimal
  otherwise top / bottom because "ratio {top / bottom}"
judgement high: one of (hit "Hit", miss "Miss")
  hit when ratio > 1 because "above one"
  otherwise miss because "at most one"
judgement part_ratio for each p in parts: decimal
  otherwise p.top / p.bottom because "ratio"
judgement any_high: one of (hit "Hit", miss "Miss")
  hit when any p in parts where p.top / p.bottom > 1 because "one above one"
  otherwise miss because "none above one"
judgement smallest: integer
  otherwise min of [p.bottom for p in parts] because "smallest"
judgement ratios for each x in [p.top / p.bottom for p in parts]: decimal
  otherwise x because "ratio {x}"
"""


@pytest.mark.parametrize(
    "document",
    [
        {"top": 3, "bottom": 2, "parts": [{"top": 1, "bottom": 2}]},
        {"top": 3, "bottom": 0, "parts": []},
        {"top": 3, "bottom": 0, "parts": [{"top": 1, "bottom": 0}, {"top": 4, "bottom": 2}]},
        {"top": 0, "bottom": 5, "parts": [{"top": 4, "bottom": 2}, {"top": 1, "bottom": 0}]},
    ],
)
def test_evaluation_errors_agree(check_text, document: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """Division by zero, a failed judgement used elsewhere and `min of` nothing give the evaluator's error decisions."""
    framework, compiled_framework = _rules(check_text, ERRORS)
    judgements, _ = _run(framework, compiled_framework, document)
    if document["bottom"] == 0:
        assert judgements["ratio"].status == "error"
        assert judgements["ratio"].error == "division by zero"
        assert judgements["high"].status == "error"
        assert "could not be evaluated" in judgements["high"].error
    if not document["parts"]:
        assert judgements["smallest"].status == "error"


DATES = """
framework calendar "Calendar" effective from 2000-01-01
evidence:
  start: date "Start"
  finish: optional date "Finish"
  span: integer "Days"
judgement due: date
  otherwise start + 1 month because "a month after {start}: {start + 1 month}"
judgement last_year: date
  otherwise start - 1 year because "a year before"
judgement elapsed: integer
  otherwise as of - start because "{as of - start} days"
judgement overdue: one of (hit "Hit", miss "Miss")
  hit when start + 3 months < as of because "more than three months"
  otherwise miss because "within three months"
judgement finished_late: one of (hit "Hit", miss "Miss")
  hit when finish - start > span because "late by {finish - start - span} days"
  otherwise miss because "on time, or unknown"
judgement weeks: date
  otherwise start + 2 weeks + 10 days because "later"
"""


@pytest.mark.parametrize(
    ("document", "as_of"),
    [
        ({"start": "2020-01-31", "span": 10}, datetime.date(2020, 3, 1)),
        ({"start": "2020-02-29", "finish": "2020-03-20", "span": 10}, datetime.date(2020, 6, 1)),
        ({"start": "2019-11-30", "finish": "2019-12-01", "span": 10}, datetime.date(2019, 12, 1)),
        ({"start": "2023-12-31", "finish": "2024-02-29", "span": 60}, datetime.date(2024, 3, 31)),
    ],
)
def test_date_arithmetic_agrees(check_text, document: dict[str, Any], as_of: datetime.date) -> None:  # type: ignore[no-untyped-def]
    """Dates plus and minus durations (month ends clamped), date differences and comparisons agree."""
    framework, compiled_framework = _rules(check_text, DATES)
    judgements, _ = _run(framework, compiled_framework, document, as_of)
    if document["start"] == "2020-01-31":
        assert judgements["due"].value == datetime.date(2020, 2, 29)
        assert judgements["elapsed"].outcome == 30
        assert judgements["finished_late"].status == "undetermined"
    if document["start"] == "2020-02-29":
        assert judgements["last_year"].value == datetime.date(2019, 2, 28)


def test_definitions_are_computed_once_and_their_reads_merged(check_text) -> None:  # type: ignore[no-untyped-def]
    """A definition used by several decisions adds its reads to each, as in the evaluator."""
    framework, compiled_framework = _rules(
        check_text,
        """
        framework defs "Definitions" effective from 2000-01-01
        evidence:
          xs: list of integer "Numbers"
          y: optional integer "Another"
        define total: integer = sum of xs
        define big: boolean = total > 10 or y > 3
        judgement size: one of (large "Large", small "Small")
          large when big because "total {total}"
          otherwise small because "total {total}"
        judgement extra: integer
          otherwise total + (y if missing 0) because "sum"
        """,
    )
    for document in ({"xs": [1, 2]}, {"xs": [5, 9]}, {"xs": [1], "y": 4}, {"xs": [], "y": 1}):
        judgements, _ = _run(framework, compiled_framework, document)
        assert ("/xs", document["xs"]) in judgements["extra"].inputs


def test_maps_sets_and_list_operations_agree(check_text) -> None:  # type: ignore[no-untyped-def]
    """Map members, membership in a map, set differences, unions, sorting and `count ... where` agree."""
    framework, compiled_framework = _rules(
        check_text,
        """
        framework shapes "Shapes" effective from 2000-01-01
        scale grade "Grade": good "Good" > fair "Fair" > poor "Poor"
        enum area "Area": north "North", south "South", east "East"
        evidence:
          grades: map of area to grade "Grade by area"
          visited: set of area "Areas visited"
          amounts: list of decimal "Amounts"
        define unvisited: list of area = [north, south, east] - visited
        judgement north_grade: grade
          otherwise grades.north because "north is {grades.north}"
        judgement any_poor: one of (hit "Hit", miss "Miss")
          hit when poor in grades because "a poor area"
          otherwise miss because "no poor area"
        judgement coverage: integer
          otherwise count of (unvisited union visited) because "{sorted unvisited} unvisited"
        judgement good_areas: integer
          otherwise (count x in grades where x >= good) because "good ones"
        judgement amounts_total: decimal
          otherwise sum of amounts because "total {sum of amounts}, most {max of amounts}"
        judgement worst_grade: grade
          otherwise worst of grades because "worst"
        judgement per_area for each g in grades: grade
          otherwise g because "recorded {g}"
        check per_area_ok for each g in grades:
          failed when per_area = poor because "poor"
          otherwise passed because "not poor"
        """,
    )
    documents: list[dict[str, Any]] = [
        {"grades": {}, "visited": [], "amounts": []},
        {"grades": {"north": "good", "south": "poor"}, "visited": ["south"], "amounts": [Decimal("1.5"), 2]},
        {
            "grades": {"north": "fair", "south": "good", "east": "good"},
            "visited": ["east", "north"],
            "amounts": [Decimal("0.10"), Decimal("0.20")],
        },
        {"grades": {"east": None}, "visited": ["north", "south", "east"], "amounts": [3]},
    ]
    for document in documents:
        _run(framework, compiled_framework, document)


def test_one_item_comprehensions_agree_on_every_combination(check_text) -> None:  # type: ignore[no-untyped-def]
    """A comprehension over `[x]` keeps x's element, nothing, or the condition's unknown, as the loop would."""
    framework, compiled_framework = _rules(check_text, SINGLES)
    grades = ["good", "fair", "poor"]
    for north, south, flag, extra in itertools.product([*grades, None], grades, [True, False], [None, 3]):
        document = {"north": north, "south": south, "flag": flag, "extra": extra}
        judgements, _ = _run(framework, compiled_framework, {k: v for k, v in document.items() if v is not None})
        areas, extras = judgements["areas"], judgements["extras"]
        if north is None:  # `g = poor` of an absent grade: unknown, and so is the union
            assert areas.status == "undetermined" and areas.missing == ("/north",)
        else:
            assert areas.outcome == (north == "poor") + (south == "poor")
        if south == "poor":  # the condition fails: no element, so no unknown from `extra`
            assert extras.outcome == 0
        elif extra is None:  # an element that is unknown, and so is their sum
            assert extras.status == "undetermined" and extras.missing == ("/extra",)
        else:
            assert extras.outcome == extra + 1
        assert judgements["flagged"].outcome == (south if flag else "fair")


def test_a_one_item_comprehension_is_generated_without_a_loop(check_text) -> None:  # type: ignore[no-untyped-def]
    """`[e for x in [a] where c]` is a test of c: the generated definitions build no list and step no loop."""
    _, one = _rules(check_text, SINGLES)
    assert [node for node in ast.walk(one.module) if isinstance(node, ast.For)] == []
    _, two = _rules(check_text, SINGLES.replace("for g in [south] where flag", "for g in [south, south] where flag"))
    assert any(isinstance(node, ast.For) for node in ast.walk(two.module))


def test_compiled_framework_decides_each_document_independently() -> None:
    """One compiled framework evaluates many documents without carrying state between them."""
    framework = BUNDLED.frameworks["clas"]
    compiled_framework = compiled("clas")
    first = validated(
        framework,
        {"framework": "clas", "review": {"date": "2018-03-16", "recommendations": 1}, "services_reviewed": ["gp"]},
    )
    second = validated(
        framework,
        {"framework": "clas", "review": {"date": "2018-03-16", "recommendations": 0}, "services_reviewed": []},
    )
    assert first is not None and second is not None
    first, second = compiled_form(first), compiled_form(second)
    before = compiled_framework.evaluate(first, DEFAULT_AS_OF)
    compiled_framework.evaluate(second, DEFAULT_AS_OF)
    assert compiled_framework.evaluate(first, DEFAULT_AS_OF) == before


FAILING = """
framework failing "Failing" effective from 2000-01-01
scale grade "Grade": good "Good" > fair "Fair" > poor "Poor"
record part:
  top: integer "Numerator"
  bottom: integer "Denominator"
  grade: optional grade "Recorded grade"
evidence:
  parts: list of part "Parts"
judgement share for each p in parts: grade
  poor when p.top / p.bottom > 1 because "ratio {p.top / p.bottom}"
  otherwise p.grade because "recorded {p.grade}"
judgement poor_shares: integer
  otherwise count of share rated poor because "{count of share rated poor} poor"
judgement worst_share: grade
  otherwise worst of share because "worst {worst of share}"
judgement any_poor: one of (hit "Hit", miss "Miss")
  hit when any g in share where g = poor because "a poor share"
  miss when all g in share where g != poor because "none poor"
  otherwise miss because "otherwise"
judgement not_good: integer
  otherwise count of [g for g in share where g != good] because "counted"
check share_known for each p in parts:
  failed when share is missing because "unknown share"
  failed when share = poor and p.grade != poor because "poor but recorded {p.grade}"
  otherwise passed because "fine"
"""

NUMBERS = """
framework numbers "Numbers" effective from 2000-01-01
evidence:
  a: decimal "A"
  b: optional decimal "B"
  n: integer "N"
  xs: list of decimal "Xs"
  ns: set of integer "Ns"
judgement scaled: decimal
  otherwise a * 1.5 + n because "{a * 1.5 + n} from {a}"
judgement compared: one of (hit "Hit", miss "Miss")
  hit when a - n >= b because "{a - n} against {b}"
  hit when n * 2 < n + 3 because "small n {n}"
  otherwise miss because "otherwise"
judgement total: decimal
  otherwise sum of xs + (b if missing 0) because "total of {xs}"
judgement widest: decimal
  otherwise max of xs - min of xs because "range"
judgement picked: list of integer
  otherwise sorted ns because "{sorted ns}"
judgement small: integer
  otherwise (count k in ns where k < 3) because "{count of ns} in all"
"""

# Definitions the tracing variant computes inline or calls, and records inside records,
# which the compiled validator leaves as (fields, raw) pairs: read straight, through a
# definition, as values (`is present`, reasons), optional and absent, inside list items.
INLINED = """
framework inlined "Inlined definitions and records inside records" effective from 2000-01-01
scale grade "Grade": good "Good" > fair "Fair" > poor "Poor"
record marks:
  first: grade "First"
  second: optional grade "Second"
record visit:
  marks: marks "Marks"
  note: optional text "Note"
evidence:
  visit: visit "The visit"
  extra: optional visit "Another visit"
  flag: optional boolean "Flag"
  visits: list of visit "Visits"
define pair: list of grade = [visit.marks.first, visit.marks.second]
define late: list of grade = [visit.marks.first, extra.marks.first]
define shared: list of grade = [visit.marks.first, visit.marks.first]
define whole: visit = visit
define inner: marks = extra.marks
judgement straight: grade
  poor when count of pair rated poor >= 1 because "{count of pair rated poor} poor"
  good when count of pair rated good = 2 because "both good"
  otherwise fair because "else, {pair}"
judgement guarded: grade
  poor when flag and count of late rated poor = 1 because "flagged"
  good when count of late rated good >= 1 because "good first"
  otherwise fair because "else"
judgement one: integer
  otherwise count of shared rated good because "{count of shared rated good}"
judgement two: grade
  poor when count of shared rated poor = 2 and whole.marks.first = poor because "poor twice"
  fair when inner.first = fair or inner is missing because "inner {inner.first}"
  otherwise whole.marks.first because "whole {whole.note}"
judgement records: one of (seen "Seen", unseen "Unseen")
  seen when extra is present and extra.marks.second is present because "extra seen at {extra.marks.second}"
  otherwise unseen because "not seen"
judgement each for each v in visits: grade
  poor when v.marks.first = poor and v.marks.second is missing because "poor {v.marks.first}"
  otherwise v.marks.first because "first {v.marks.first}"
"""

# Computed definitions (not only evidence reads) without tracing: `ratio`, `rated` and
# `halved` have one reader and are read first in straight-line code (computed inline
# there; `ratio` may fail, on a zero denominator, and `halved` reads `total`); `guarded` is
# read first right of `and`, `total` by two decisions and a definition (cached calls,
# both); `unknown_sum` reads an optional field (an unknown value, computed inline);
# `spread` is read only by `spread_twice`, which only `by_total` reads (both inline there).
COMPUTED = """
framework computed "Computed definitions" effective from 2000-01-01
scale grade "Grade": good "Good" > fair "Fair" > poor "Poor"
evidence:
  top: integer "Numerator"
  bottom: integer "Denominator"
  grades: list of grade "Grades"
  flag: optional boolean "Flag"
  extra: optional integer "Extra"
define ratio: decimal = top / bottom
define rated: integer = count of grades rated poor
define guarded: integer = count of grades rated good
define total: integer = top + bottom
define halved: decimal = total / 2
define unknown_sum: integer = top + extra
define spread: integer = top - bottom
define spread_twice: integer = spread + spread
judgement by_ratio: grade
  poor when rated >= 2 because "{rated} poor"
  good when ratio > 1 and total > 2 because "ratio {ratio}"
  otherwise fair because "ratio {ratio}, {rated} poor"
judgement by_flag: grade
  good when flag and guarded >= 1 because "flagged, {guarded} good"
  poor when guarded = 0 because "none good"
  otherwise fair because "{guarded} good"
judgement by_total: integer
  otherwise total + spread_twice because "total {total}, half {halved}"
judgement by_sum: grade
  good when unknown_sum > 3 because "{unknown_sum}"
  otherwise poor because "{unknown_sum} or less"
"""

# Comprehensions over a one-item list, generated as a test rather than a loop
# (`codegen._Fn._comprehension_of_one`): a condition that may be unknown (an absent grade,
# an undetermined judgement), one that cannot, no condition at all, an element that reads
# the item and one that may itself be unknown, each joined by `union` as cqc joins them.
SINGLES = """
framework singles "One-item comprehensions" effective from 2000-01-01
scale grade "Grade": good "Good" > fair "Fair" > poor "Poor"
enum area "Area": north "North", south "South"
evidence:
  north: optional grade "North"
  south: grade "South"
  flag: boolean "Flag"
  extra: optional integer "Extra"
judgement north_grade: grade
  poor when north <= poor because "north {north}"
  otherwise good because "north not poor"
define poor_areas: list of area =
  [area.north for g in [north] where g = poor] union [area.south for g in [south] where g = poor]
define judged: list of area = [area.north for g in [north_grade] where g = poor]
define kept: list of grade = [g for g in [south] where flag]
define every: list of grade = [g for g in [south]]
define maybe: list of integer = [extra + 1 for x in [south] where x >= fair]
judgement areas: integer
  otherwise count of poor_areas because "poor in {poor_areas}; judged {judged}"
judgement flagged: grade
  fair when count of kept = 0 because "nothing kept of {every}"
  otherwise worst of (kept union every) because "kept {kept}"
judgement extras: integer
  otherwise sum of maybe because "{maybe}"
"""

PROGRAMS = {
    "computed": COMPUTED,
    "inlined": INLINED,
    "kleene": KLEENE,
    "items": PER_ITEM,
    "gather": COLLECT,
    "broken": ERRORS,
    "calendar": DATES,
    "failing": FAILING,
    "numbers": NUMBERS,
    "singles": SINGLES,
}


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[ir.Framework, CompiledFramework]]:
    """Every targeted program of this file, checked and compiled once."""
    found = {}
    for name, text in PROGRAMS.items():
        root = tmp_path_factory.mktemp(name)
        (root / f"{name}.fw").write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        rule_set, diagnostics = check_rules(root)
        assert rule_set is not None, [d.message for d in diagnostics]
        framework = rule_set.frameworks[name]
        found[name] = (framework, compile_framework(framework))
    return found


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@given(data=st.data())
def test_targeted_programs_agree_on_generated_evidence(
    programs: dict[str, tuple[ir.Framework, CompiledFramework]], name: str, data: st.DataObject
) -> None:
    """Each targeted program agrees with the evaluator on evidence generated from its schema too."""
    framework, compiled_framework = programs[name]
    texts, dates = rule_constants(framework)
    document = data.draw(evidence_strategy(framework.evidence, texts, dates), label="evidence")
    document["framework"] = name
    as_of = data.draw(date_strategy(dates), label="as_of")
    root = validated(framework, document)
    assume(root is not None)
    assert root is not None
    assert_agree(framework, compiled_framework, root, as_of)


@pytest.mark.parametrize(
    "document",
    [
        {"visit": {"marks": {"first": "poor"}}, "visits": []},
        {"visit": {"marks": {"first": "good", "second": "good"}, "note": "n"}, "flag": True, "visits": []},
        {
            "visit": {"marks": {"first": "fair", "second": "poor"}},
            "extra": {"marks": {"first": "poor", "second": "fair"}},
            "flag": True,
            "visits": [{"marks": {"first": "poor"}}, {"marks": {"first": "good", "second": "fair"}, "note": "x"}],
        },
        {"visit": {"marks": {"first": "good"}}, "extra": {"marks": {"first": "fair"}}, "flag": False, "visits": []},
    ],
)
def test_inlined_definitions_and_records_inside_records_agree(
    programs: dict[str, tuple[ir.Framework, CompiledFramework]], document: dict[str, Any]
) -> None:
    """Traces of definitions computed inline, and records read from (fields, raw) pairs, agree with the evaluator."""
    framework, compiled_framework = programs["inlined"]
    _run(framework, compiled_framework, document)


def test_the_tracing_variant_computes_inline_only_what_one_decision_reads_first_unguarded(
    programs: dict[str, tuple[ir.Framework, CompiledFramework]],
) -> None:
    """`pair` and `inner` (one reader, first read in straight-line code) are computed inline; `late`
    (first read right of `and`), `shared` (two readers) and `whole` (first read right of `and`) stay
    cached calls, so their steps are recorded where the evaluator records them."""
    framework, _ = programs["inlined"]
    assert len(compile_framework(framework, tracing=True).definitions) == 3
    assert compile_framework(framework).definitions == []


@pytest.mark.parametrize(
    "document",
    [
        {"top": 3, "bottom": 0, "grades": ["good"]},
        {"top": 3, "bottom": 0, "grades": ["poor", "poor"], "flag": True},
        {"top": 5, "bottom": 2, "grades": ["good", "fair"], "flag": True, "extra": 1},
        {"top": 1, "bottom": 4, "grades": [], "flag": False, "extra": 9},
        {"top": 2, "bottom": 1, "grades": ["poor"], "extra": 0},
    ],
)
def test_computed_definitions_computed_inline_agree(
    programs: dict[str, tuple[ir.Framework, CompiledFramework]], document: dict[str, Any]
) -> None:
    """Computed definitions one decision reads give what the evaluator gives, failing (division by
    zero) or unknown (an absent optional field) included, with or without tracing."""
    framework, compiled_framework = programs["computed"]
    _run(framework, compiled_framework, document)


def test_without_tracing_computed_definitions_one_decision_reads_first_unguarded_are_computed_inline(
    programs: dict[str, tuple[ir.Framework, CompiledFramework]],
) -> None:
    """`ratio`, `rated`, `halved`, `unknown_sum`, `spread_twice` and `spread` (every reading in
    one decision, the first in straight-line code) have no function of their own; `guarded`
    (first read right of `and`) and `total` (two readers and a definition) stay cached calls."""
    framework, _ = programs["computed"]
    compiled_framework = compile_framework(framework)
    assert len(compiled_framework.definitions) == 2
    generated = ast.unparse(compiled_framework.module)
    assert generated.count("h_definition(") == 5  # `guarded` three times in one decision, `total` in two


def test_a_failed_item_fails_every_rule_that_uses_the_list(check_text) -> None:  # type: ignore[no-untyped-def]
    """A for-each judgement with an error item, read as a list elsewhere, makes that rule an error naming the item.

    Counting past it, or taking the worst of the rest, would decide from a list with a
    hole in it without saying so.
    """
    framework, compiled_framework = _rules(check_text, FAILING)
    parts = [
        {"top": 3, "bottom": 0},
        {"top": 3, "bottom": 1, "grade": "poor"},
        {"top": 1, "bottom": 2, "grade": "good"},
    ]
    judgements, checks = _run(framework, compiled_framework, {"parts": parts})
    shares = judgements["share"]
    assert isinstance(shares, tuple)
    assert [d.status for d in shares] == ["error", "decided", "decided"]
    poor = judgements["poor_shares"]
    assert isinstance(poor, Decision)
    assert poor.status == "error"
    assert poor.error == "it uses `share`, which could not be evaluated for /parts/0: division by zero"
    assert [d.status for d in checks["share_known"]] == ["error", "decided", "decided"]


def test_the_validators_record_builders_set_every_field() -> None:
    """The validator's record and map constructors set each field, in order; the values are
    frozen and compared by identity (a record is one place in one document)."""
    from framework_dsl.evidence import MapValue, RecordValue
    from framework_dsl.evidence_compiler import map_builder, record_builder

    for build, cls in ((record_builder, RecordValue), (map_builder, MapValue)):
        values = ("/pointer", {"a": 1}, {"a": "raw"})
        built = build(*values)
        assert type(built) is cls
        assert tuple(getattr(built, field) for field in cls.__struct_fields__) == values
        assert repr(built) == repr(cls(*values))
        assert built != cls(*values)
        with pytest.raises(AttributeError):
            built.pointer = "/elsewhere"  # type: ignore[misc]
