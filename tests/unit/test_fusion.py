"""The fused function (`engine.fusion`): what it builds, how it settles dates, and that `RuleSet.evaluate` uses it.

That it decides what the separate validator and decisions decide is checked with every
differential test (`test_compiler.assert_agree` runs it), and that it accepts exactly
what the compiled validator accepts with every fuzzed document
(`test_evidence_fuzz.assert_fast_path_agrees`). Here: the shape of what is generated,
the date rules, and the results through the public API.
"""

from __future__ import annotations

import ast
import datetime
from typing import Any

import pytest

from framework_dsl import RuleSet, ir, load_rules
from framework_dsl.engine.codegen import compile_framework
from framework_dsl.engine.fusion import FusedFramework, compile_fused, settle
from framework_dsl.ruleset import FUSE_AFTER

START = datetime.date(2014, 10, 1)
UNTIL = datetime.date(2020, 12, 31)


def _never() -> datetime.date:
    raise AssertionError("the clock is read only when no other date is given")


def _fixed() -> datetime.date:
    return datetime.date(2019, 6, 1)


# ---------------------------------------------------------------- settling the date


@pytest.mark.parametrize(
    ("as_of", "dated", "clock", "expected"),
    [
        (datetime.date(2019, 1, 1), datetime.date(2018, 5, 5), _never, ("2019-01-01", "argument", "2018-05-05")),
        (None, datetime.date(2018, 5, 5), _never, ("2018-05-05", "evidence", "2018-05-05")),
        (datetime.date(2019, 1, 1), None, _never, ("2019-01-01", "argument", "2019-01-01")),
        (None, None, _fixed, ("2019-06-01", "clock", "2019-06-01")),
    ],
)
def test_settle_takes_the_argument_then_the_evidence_then_the_clock(
    as_of: datetime.date | None, dated: datetime.date | None, clock: Any, expected: tuple[str, str, str]
) -> None:
    effective, source, on, in_force = settle(as_of, dated, clock, START, UNTIL)
    assert (effective.isoformat(), source, on.isoformat()) == expected
    assert in_force


@pytest.mark.parametrize(
    ("on", "in_force"),
    [
        (datetime.date(2014, 9, 30), False),
        (START, True),
        (UNTIL, True),
        (datetime.date(2021, 1, 1), False),
    ],
)
def test_settle_includes_both_of_the_frameworks_dates(on: datetime.date, in_force: bool) -> None:
    assert settle(on, None, _never, START, UNTIL)[3] is in_force
    assert settle(on, None, _never, None, None)[3] is True


# ---------------------------------------------------------------- what is generated

RATINGS = """
framework ratings "Ratings" effective from 2014-10-01 until 2020-12-31
  dated by visit.when
scale rating "Rating": good "Good" > poor "Poor"
record visit_details:
  when: date "When"
record scores:
  safe: rating "Safe"
  caring: rating "Caring"
evidence:
  visit: optional visit_details "The visit"
  scores: scores "The scores"
  breach: boolean "A breach"
judgement overall: rating
  poor when breach because "a breach"
  poor when scores.safe = poor because "safe is poor"
  otherwise good because "{scores.caring}"
judgement caring: rating
  poor when scores.caring = poor because "caring is poor"
  otherwise good because "caring is good"
"""


def _one(check_text: Any, text: str) -> tuple[RuleSet, ir.Framework, FusedFramework]:
    rule_set, diagnostics = check_text(text)
    assert rule_set is not None, [d.message for d in diagnostics]
    framework = next(iter(rule_set.frameworks.values()))
    fused = compile_fused(framework, compile_framework(framework), rule_set.digest)
    assert fused is not None
    return rule_set, framework, fused


def test_reads_of_the_evidence_become_the_validators_locals(check_text: Any) -> None:
    """Decisions called directly read the values the validator converted, so no record's fields are built as a dict."""
    _, _, fused = _one(check_text, RATINGS)
    (factory,) = fused.module.body
    assert isinstance(factory, ast.FunctionDef)
    function = factory.body[0]
    assert isinstance(function, ast.FunctionDef)
    displays = [node for node in ast.walk(function) if isinstance(node, ast.Dict)]
    built = [{k.value for k in d.keys if isinstance(k, ast.Constant)} for d in displays]
    assert {"safe", "caring"} not in built  # the record `scores` is not built
    assert {"framework", "visit", "scores", "breach"} not in built  # nor the root
    names = {node.id for node in ast.walk(function) if isinstance(node, ast.Name)}
    assert not names & {"F", "R", "s"}  # no root fields, raw root or evaluation state is read


SHARED = """
framework shared "Shared" effective from 2014-10-01
scale rating "Rating": good "Good" > poor "Poor"
evidence:
  ratings: list of rating "The ratings"
  limit: integer "How many poor ratings are too many"
define poor_ratings: integer = count of ratings rated poor
define share: decimal = poor_ratings * 100 / (limit - 1)
judgement overall: rating
  poor when poor_ratings > limit because "{poor_ratings} poor ratings"
  otherwise good because "{share} per cent"
judgement again: rating
  poor when share > 50 because "{share} per cent"
  otherwise good because "{poor_ratings} poor ratings"
"""


@pytest.mark.parametrize(
    "document",
    [
        {"ratings": ["good", "poor", "poor"], "limit": 1},
        {"ratings": ["good"], "limit": 3},
        {"ratings": ["poor"], "limit": 1},  # `share` divides by zero: both decisions fail where they read it
    ],
)
def test_a_definition_two_decisions_read_is_computed_once_inline(check_text: Any, document: dict[str, Any]) -> None:
    """A definition with a function of its own is computed inline on first reading; its reads join each reader's."""
    rule_set, framework, fused = _one(check_text, SHARED)
    assert compile_framework(framework).definitions, "the definitions keep functions in the separate form"
    names = {node.id for node in ast.walk(fused.module) if isinstance(node, ast.Name)}
    assert "h_definition" not in names and "s" not in names
    data = {"framework": "shared", **document}
    made = fused.decide(data, 1000, 1000, datetime.date(2019, 1, 1), _never, None, None, None)
    assert made is not None and not isinstance(made, tuple)
    expected = rule_set.evaluate(data, as_of="2019-01-01", engine="reference")
    assert made.to_dict() == expected.to_dict()
    assert made == expected


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        (
            '\njudgement summary: rating\n  poor when overall = poor because "poor"\n  otherwise good because "good"\n',
            "read",
        ),
        ('\njudgement later: rating\n  effective from 2018-01-01\n  otherwise good because "good"\n', "dated"),
    ],
)
def test_a_framework_with_a_decision_through_the_state_is_not_fused(check_text: Any, extra: str, why: str) -> None:
    """A decision another reads, or a dated one, runs through the evaluation state: no fused function."""
    rule_set, diagnostics = check_text(RATINGS + extra)
    assert rule_set is not None, [d.message for d in diagnostics]
    framework = next(iter(rule_set.frameworks.values()))
    compiled_framework = compile_framework(framework)
    assert not compiled_framework.all_direct, why
    assert compile_fused(framework, compiled_framework, rule_set.digest) is None
    prepared = rule_set.prepare()
    assert prepared._routes["ratings"].fused is None
    document = _document(visit={"when": "2019-03-04"})
    assert prepared.evaluate(document).to_dict() == rule_set.evaluate(document, engine="reference").to_dict()


def test_which_bundled_frameworks_are_fused() -> None:
    """Those whose decisions are all called directly; the rest keep their separate functions."""
    rule_set = load_rules()
    fused = {
        name
        for name, framework in rule_set.frameworks.items()
        if compile_fused(framework, rule_set.compiled(name), rule_set.digest) is not None
    }
    direct = {name for name in rule_set.frameworks if rule_set.compiled(name).all_direct}
    assert fused == direct == {"clas", "ilacs", "ncpi"}


def _document(**fields: Any) -> dict[str, Any]:
    return {"framework": "ratings", "scores": {"safe": "good", "caring": "poor"}, "breach": False, **fields}


@pytest.mark.parametrize(
    ("document", "as_of", "status", "as_of_from"),
    [
        (_document(visit={"when": "2019-03-04"}), None, "evaluated", "evidence"),
        (_document(visit={"when": "2019-03-04"}), "2022-01-01", "evaluated", "argument"),
        (_document(), None, "evaluated", "clock"),
        (_document(), "2022-01-01", "not_in_force", "argument"),
        (_document(visit={"when": "2013-01-01"}), "2019-01-01", "not_in_force", "argument"),
        (_document(breach="yes"), None, "invalid_evidence", None),
    ],
)
def test_rule_set_results_are_the_reference_engines(
    check_text: Any, document: dict[str, Any], as_of: str | None, status: str, as_of_from: str | None
) -> None:
    """Through `RuleSet.evaluate` (the fused path) and the reference engine: the same result, every date source."""
    rule_set, _, _ = _one(check_text, RATINGS)
    clocked = rule_set.with_clock(_fixed).prepare()
    assert clocked._routes["ratings"].fused is not None
    result = clocked.evaluate(document, as_of=as_of)
    assert result.status == status
    assert result.as_of_from == as_of_from if status != "invalid_evidence" else True
    assert result.to_dict() == clocked.evaluate(document, as_of=as_of, engine="reference").to_dict()


UNDATED = RATINGS.replace("  dated by visit.when\n", "")


def test_a_date_given_is_settled_afresh_whenever_it_changes(check_text: Any) -> None:
    """With no `dated by`, `evaluate` and a prepared evaluator settle a date given once and keep it
    (`_Route.settle_on`); a different date is settled again: in force, out of force, back in."""
    rule_set, _, _ = _one(check_text, UNDATED)
    prepared = rule_set.with_clock(_never).prepare()
    route = prepared._routes["ratings"]
    assert route.undated and route.fused is not None
    dates = ["2019-01-01", "2019-01-01", "2022-01-01", "2014-09-30", "2014-10-01", "2019-01-01"]
    statuses = []
    for as_of in dates:
        expected = prepared.evaluate(_document(), as_of=as_of, engine="reference").to_dict()
        assert prepared.evaluate(_document(), as_of=as_of).to_dict() == expected, as_of
        assert route.last_settled[0] == datetime.date.fromisoformat(as_of)
        assert prepared.evaluator("ratings", as_of)(_document()).to_dict() == expected, as_of
        statuses.append(expected["status"])
    assert statuses == ["evaluated", "evaluated", "not_in_force", "not_in_force", "evaluated", "evaluated"]
    # A dated framework's documents each carry their own date: nothing is kept.
    dated, _, _ = _one(check_text, RATINGS)
    dated_route = dated.prepare()._routes["ratings"]
    dated.evaluate(_document(visit={"when": "2019-03-04"}), as_of="2019-01-01")
    assert not dated_route.undated and dated_route.last_settled == (None, None)


def test_rule_sets_make_the_fused_function_on_a_frameworks_eighth_evaluation(check_text: Any) -> None:
    """A run over a document or two does not compile it; from the `FUSE_AFTER`-th evaluation on, it is used."""
    rule_set, _, _ = _one(check_text, RATINGS)
    calls: list[Any] = []

    def clock() -> datetime.date:
        calls.append(None)
        return _fixed()

    clocked = rule_set.with_clock(clock)
    expected = clocked.evaluate(_document(), engine="reference").to_dict()
    for count in range(1, FUSE_AFTER + 3):
        assert clocked.evaluate(_document()).to_dict() == expected
        route = clocked._routes["ratings"]
        assert (route.fused is not None) == (count >= FUSE_AFTER), count
    assert len(calls) == FUSE_AFTER + 3  # the clock is read once an evaluation, on either path
    assert clocked.evaluate(_document(), explain=True).to_dict(explain=True)["status"] == "evaluated"
    assert clocked._traced_routes["ratings"].fused is None  # the tracing variant counts its own evaluations


def test_prepare_makes_every_fused_function(check_text: Any) -> None:
    rule_set, _, _ = _one(check_text, RATINGS)
    assert rule_set.prepare()._routes["ratings"].fused is not None


def test_the_tracing_variant_is_fused_from_the_tracing_decisions(check_text: Any) -> None:
    """`explain=True` has a fused function of its own, made alike: the same traces as the reference engine's."""
    rule_set, diagnostics = check_text(SHARED)
    assert rule_set is not None, [d.message for d in diagnostics]
    framework = next(iter(rule_set.frameworks.values()))
    traced = compile_fused(framework, compile_framework(framework, tracing=True), rule_set.digest)
    assert traced is not None
    names = {node.id for node in ast.walk(traced.module) if isinstance(node, ast.Name)}
    assert "h_definition_traced" not in names and "s" not in names
    prepared = rule_set.prepare(explain=True)
    assert prepared._traced_routes["shared"].fused is not None
    for document in ({"ratings": ["good", "poor", "poor"], "limit": 1}, {"ratings": ["poor"], "limit": 1}):
        data = {"framework": "shared", **document}
        result = prepared.evaluate(data, as_of="2019-01-01", explain=True)
        expected = rule_set.evaluate(data, as_of="2019-01-01", explain=True, engine="reference")
        assert result.to_dict(explain=True) == expected.to_dict(explain=True)
        assert result == expected


def test_a_decision_returning_from_inside_a_loop_is_not_fused(check_text: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`break` would leave the loop, not the decision: such a framework keeps its separate functions."""
    from framework_dsl.engine import fusion

    monkeypatch.setattr(fusion, "_returns_in_loop", lambda statements: True)
    rule_set, diagnostics = check_text(RATINGS)
    assert rule_set is not None, [d.message for d in diagnostics]
    framework = next(iter(rule_set.frameworks.values()))
    assert compile_fused(framework, compile_framework(framework), rule_set.digest) is None


# ---------------------------------------------------------------- decisions made records when read

CHECKED = (
    RATINGS
    + """check caring_recorded:
  failed when scores.caring = poor because "caring is poor"
  otherwise passed
"""
)


@pytest.mark.parametrize("explain", [False, True])
@pytest.mark.parametrize(
    "document",
    [
        _document(visit={"when": "2019-03-04"}),
        _document(visit={"when": "2019-03-04"}, breach=True, scores={"safe": "poor", "caring": "good"}),
    ],
)
def test_a_fused_result_holds_its_decisions_unmade_until_they_are_read(
    check_text: Any, document: dict[str, Any], explain: bool
) -> None:
    """The fused function hands over the decisions' fields (`result.Unmade`); writing the result reads
    them as they are, and reading `judgements` or `checks` (or comparing, pickling, showing the
    result) makes the records once, equal to the
    reference engine's, whatever is read first."""
    import pickle

    rule_set, diagnostics = check_text(CHECKED)
    assert rule_set is not None, [d.message for d in diagnostics]
    prepared = rule_set.prepare(explain=explain)
    expected = prepared.evaluate(document, explain=explain, engine="reference")
    written = prepared.evaluate(document, explain=explain)
    assert type(written._fields[8]) is tuple and type(written._fields[9]) is tuple  # unmade
    assert written.to_json_bytes(explain=explain) == expected.to_json_bytes(explain=explain)
    assert written.to_dict(explain=explain) == expected.to_dict(explain=explain)
    assert (written.all_decided(), written.any_error()) == (expected.all_decided(), expected.any_error())
    assert type(written._fields[8]) is tuple  # writing made no record
    for first in ("judgements", "checks", "equality", "pickle", "repr"):
        result = prepared.evaluate(document, explain=explain)
        if first == "judgements":
            assert result.judgements == expected.judgements
        elif first == "checks":
            assert result.checks == expected.checks
        elif first == "equality":
            assert result == expected
        elif first == "pickle":
            assert pickle.loads(pickle.dumps(result)) == expected
        else:
            assert repr(result) == repr(expected)
        assert type(result._fields[8]) is dict  # made, and kept
        judgements = result.judgements
        assert result.judgements is judgements and result.checks is result.checks
        assert [d.status for _, d in result.all_decisions()] == [d.status for _, d in expected.all_decisions()]
        assert result.to_json_bytes(explain=explain) == expected.to_json_bytes(explain=explain)


# Each way the separate functions hand a decision over: a decided one's fields, a record a
# helper made (undetermined, not in force), a for-each decision's records (none, for no items).
THROUGH_THE_STATE = """
framework general "Through the state" effective from 2014-10-01
scale rating "Rating": good "Good" > poor "Poor"
record part:
  score: optional rating "Score"
evidence:
  parts: list of part "Parts"
  flag: optional boolean "Flag"
judgement per_part for each p in parts: rating
  poor when p.score = poor because "poor part"
  otherwise good because "good part"
judgement overall: rating
  poor when flag because "flagged"
  otherwise good because "not flagged"
judgement summary: rating
  poor when overall = poor because "overall poor"
  otherwise good because "overall good"
judgement later: rating
  effective from 2018-01-01
  otherwise good because "good"
check all_parts for each p in parts:
  failed when per_part = poor because "poor"
  otherwise passed because "fine"
"""


@pytest.mark.parametrize("explain", [False, True])
@pytest.mark.parametrize(
    ("document", "as_of"),
    [
        ({"parts": []}, "2019-01-01"),
        ({"parts": [{"score": "poor"}, {}], "flag": False}, "2017-06-30"),
        ({"parts": [{"score": "good"}], "flag": True}, "2019-01-01"),
    ],
)
def test_a_result_through_the_state_holds_its_decisions_unmade_until_they_are_read(
    check_text: Any, document: dict[str, Any], as_of: str, explain: bool
) -> None:
    """The separate functions (a framework with no fused function) hand over a decided decision's
    fields too (`CompiledFramework.decide_unmade`): the result writes them as the reference
    engine's, and makes the records when they are read."""
    rule_set, diagnostics = check_text(THROUGH_THE_STATE)
    assert rule_set is not None, [d.message for d in diagnostics]
    prepared = rule_set.prepare(explain=explain)
    assert prepared._traced_routes["general"].fused is None if explain else prepared._routes["general"].fused is None
    data = {"framework": "general", **document}
    expected = prepared.evaluate(data, as_of=as_of, explain=explain, engine="reference")
    written = prepared.evaluate(data, as_of=as_of, explain=explain)
    assert type(written._fields[8]) is tuple and type(written._fields[9]) is tuple  # unmade
    if not explain:  # the plain variant gives a decided decision's fields
        assert any(type(entry) is tuple and entry and type(entry[0]) is str for entry in written._fields[8][1])
    assert written.to_json_bytes(explain=explain) == expected.to_json_bytes(explain=explain)
    assert written.to_json_bytes(indent=None, explain=explain) == expected.to_json_bytes(indent=None, explain=explain)
    assert written.to_dict(explain=explain) == expected.to_dict(explain=explain)
    assert (written.all_decided(), written.any_error()) == (expected.all_decided(), expected.any_error())
    assert type(written._fields[8]) is tuple  # writing made no record
    assert written.judgements == expected.judgements and written.checks == expected.checks
    assert written == expected
