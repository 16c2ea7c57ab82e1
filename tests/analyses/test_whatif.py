"""What would change an outcome (`framework-dsl whatif`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from syrupy.assertion import SnapshotAssertion

from framework_dsl import load_rules
from framework_dsl.cli.dsl import framework_dsl
from framework_dsl.ruleset import RuleSet
from framework_dsl.whatif import WhatIfError, public_patch, what_if, what_would_change

REPO = Path(__file__).resolve().parents[2]

RULES = """framework marks "Marks" effective from 2020-01-01
scale grade: good > fair > poor
evidence:
  score: integer
  late: optional boolean
judgement result: grade
  good when score >= 7 and not (late if missing false) because "score {score}, on time"
  fair when score >= 4 because "score {score}"
  otherwise poor because "score {score}, below 4"
"""


def _apply(document: dict[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    """RFC 6902 add / replace / remove, written here independently of the module under test."""
    result = copy.deepcopy(document)
    for op in patch:
        assert set(op) <= {"op", "path", "value"} and op["op"] in ("add", "replace", "remove"), op
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent: Any = result
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last: Any = int(parts[-1]) if isinstance(parent, list) else parts[-1]
        if op["op"] == "remove":
            del parent[last]
        else:
            if op["op"] == "replace":
                assert last in parent if isinstance(parent, dict) else last < len(parent)
            parent[last] = op["value"]
    return result


@pytest.fixture
def marks(tmp_path: Path) -> RuleSet:
    (tmp_path / "marks.fw").write_text(RULES, encoding="utf-8")
    return load_rules(tmp_path)


def test_the_nearest_threshold_is_the_smallest_change(marks: RuleSet) -> None:
    """A score of 5 is fair: 7 is the least score for good, 3 the greatest for poor."""
    answer = what_if(marks, {"framework": "marks", "score": 5}, "result", as_of="2021-01-01")
    assert answer.outcome == "fair"
    assert answer.targets == ("good", "poor")
    assert [s.describe() for s in answer.suggestions["good"]] == ["/score: 5 -> 7", "/score: 5 -> 8"]
    assert answer.suggestions["poor"][0].describe() == "/score: 5 -> 3"


def test_a_pair_of_changes_where_one_will_not_do(marks: RuleSet) -> None:
    """Late with 5: good needs both a score of 7 and not late (removing the field, or false)."""
    answer = what_if(marks, {"framework": "marks", "score": 5, "late": True}, "result", target="up", as_of="2021-01-01")
    shown = [s.describe() for s in answer.suggestions["good"]]
    assert sorted(shown[:2]) == ["/score: 5 -> 7; /late: true -> false", "/score: 5 -> 7; remove /late"]
    assert all(s.size == 2 for s in answer.suggestions["good"])


def test_targets_that_cannot_be_asked(marks: RuleSet) -> None:
    """The top of the scale has no `up`; an unknown target is named with a hint."""
    with pytest.raises(WhatIfError, match="already at the top"):
        what_if(marks, {"framework": "marks", "score": 9}, "result", target="up", as_of="2021-01-01")
    with pytest.raises(WhatIfError, match="did you mean `fair`"):
        what_if(marks, {"framework": "marks", "score": 9}, "result", target="fiar", as_of="2021-01-01")


CASES = [
    ("cqc", "worked-2-safe-and-well-led-ri.json", "overall"),
    ("cqc", "undetermined.json", "overall"),
    ("cqc", "worked-4-safe-inadequate.json", "safe"),
    ("peel", None, None),
    ("ilacs", None, None),
]


def _cases() -> list[tuple[str, str, str]]:
    rules = load_rules()
    found = []
    for framework, file, judgement in CASES:
        if file is not None and judgement is not None:
            found.append((framework, file, judgement))
            continue
        for path in sorted((REPO / "examples" / framework).glob("*.json"))[:2]:
            result = rules.evaluate(json.loads(path.read_text(encoding="utf-8")))
            if result.status == "evaluated":
                graded = [j.name for j in rules.frameworks[framework].judgements if j.for_each_var is None][:2]
                found.extend((framework, path.name, name) for name in graded)
    return found


@pytest.mark.parametrize(("framework", "file", "judgement"), _cases())
def test_every_change_proposed_gives_the_promised_outcome_on_both_engines(
    framework: str, file: str, judgement: str
) -> None:
    """Applied to the evidence, every patch gives the outcome and reason it promises, compiled and reference."""
    rules = load_rules()
    evidence = json.loads((REPO / "examples" / framework / file).read_text(encoding="utf-8"))
    answer = what_if(rules, evidence, judgement)
    original = rules.evaluate(evidence)
    for target, suggestions in answer.suggestions.items():
        for suggestion in suggestions:
            changed = _apply(evidence, public_patch(suggestion.patch))
            for engine in ("compiled", "reference"):
                data = rules.evaluate(changed, original.as_of, engine=engine).to_dict()
                decided = (data["judgements"] | data["checks"])[judgement]
                assert (decided["outcome"], decided["reason"]) == (target, suggestion.reason), (engine, suggestion)


def test_every_judgement_at_once_gives_what_each_question_alone_gives_with_one_change(marks: RuleSet) -> None:
    """The short form evaluates each change once for every judgement, and finds what `what_if` finds in one change."""
    evidence = {"framework": "marks", "score": 5, "late": True}
    short = what_would_change(marks, evidence, as_of="2021-01-01")
    assert list(short) == ["result"]
    full = what_if(marks, evidence, "result", as_of="2021-01-01")
    assert short["result"].targets == full.targets == ("good", "poor")
    assert [s.describe() for s in short["result"].suggestions["poor"]] == [
        s.describe() for s in full.suggestions["poor"] if s.size == 1
    ]
    # Good needs two changes: the short form says no single change reaches it.
    assert "good" not in short["result"].suggestions
    assert "no single change" in short["result"].unreachable["good"]
    assert short["result"].evaluations < full.evaluations
    assert what_would_change(marks, {"framework": "marks", "score": "x"}) == {}


def test_the_short_form_answers_for_every_bundled_example_file() -> None:
    """Every example file of every framework: an answer for each judgement it can move (none at a one-grade scale)."""
    from framework_dsl.reports.guide import guides_for
    from framework_dsl.reports.view import document_view

    rules = load_rules()
    guides = guides_for(rules)
    answered = 0
    for path in sorted((REPO / "examples").glob("*/*.json")):
        evidence = json.loads(path.read_text(encoding="utf-8"))
        answers = what_would_change(rules, evidence)
        result = rules.evaluate(evidence)
        if result.status != "evaluated":
            assert answers == {}, path.name
            continue
        for name, answer in answers.items():
            assert result.judgements[name].status == "decided", (path.name, name)
            assert set(answer.suggestions) | set(answer.unreachable) == set(answer.targets), (path.name, name)
        view = document_view(result, guides[result.framework or ""], 1, changes=answers)
        shown = {o.name: o.changes for o in view.judgements}
        assert all(len(shown[name]) == len(answer.targets) for name, answer in answers.items()), path.name
        answered += len(answers)
    assert answered > 100


@pytest.mark.parametrize("file", ["typical.json", "undetermined.json", "worked-4-safe-inadequate.json"])
def test_every_change_the_short_form_proposes_gives_the_promised_outcome(file: str) -> None:
    """For every judgement of a bundled example, each single change applied gives the promised outcome and reason."""
    rules = load_rules()
    evidence = json.loads((REPO / "examples" / "cqc" / file).read_text(encoding="utf-8"))
    original = rules.evaluate(evidence)
    answers = what_would_change(rules, evidence)
    assert answers
    for name, answer in answers.items():
        for target, suggestions in answer.suggestions.items():
            for suggestion in suggestions:
                assert suggestion.size == 1
                data = rules.evaluate(_apply(evidence, public_patch(suggestion.patch)), original.as_of).to_dict()
                decided = data["judgements"][name]
                assert (decided["outcome"], decided["reason"]) == (target, suggestion.reason), (name, suggestion)


def test_the_command(marks: RuleSet, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """Text for people, JSON with RFC 6902 patches; exit 1 when a target is out of reach."""
    evidence = tmp_path / "doc.json"
    evidence.write_text(json.dumps({"framework": "marks", "score": 5}), encoding="utf-8")
    runner = CliRunner()
    base = ["whatif", str(evidence), "result", "--rules", str(tmp_path / "marks.fw"), "--as-of", "2021-01-01"]
    shown = runner.invoke(framework_dsl, base)
    assert shown.exit_code == 0, shown.output
    assert shown.output == snapshot
    data = json.loads(runner.invoke(framework_dsl, [*base, "--format", "json"]).output)
    assert data["targets"][0]["changes"][0]["patch"] == [{"op": "replace", "path": "/score", "value": 7}]
    wrong = runner.invoke(framework_dsl, [*base, "--target", "best"])
    assert wrong.exit_code == 2
    assert "`best` is not an outcome" in wrong.output


def test_evidence_the_rules_do_not_evaluate_gets_its_problems(marks: RuleSet, tmp_path: Path) -> None:
    """Invalid evidence: every problem with its pointer, and why nothing can be searched; exit 1."""
    evidence = tmp_path / "doc.json"
    evidence.write_text(json.dumps({"framework": "marks", "score": "high"}), encoding="utf-8")
    args = ["whatif", str(evidence), "result", "--rules", str(tmp_path / "marks.fw"), "--as-of", "2021-01-01"]
    shown = CliRunner().invoke(framework_dsl, args)
    assert shown.exit_code == 1
    assert "/score" in shown.stderr
    assert "invalid evidence; whatif needs evidence the rules evaluate" in shown.stderr
