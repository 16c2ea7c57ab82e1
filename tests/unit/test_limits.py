"""Limits on evidence, and evaluation cost that grows linearly with the evidence.

`framework_dsl.Limits` bounds one document: its size in bytes, its nesting depth, the
length of any list and of any text. Beyond a bound the document is refused as
`invalid_evidence` with `evidence.too-large`, a message that names the size found and
the limit, and a JSON pointer. Evaluation cost is measured in steps, not seconds: the
number of expression evaluations (`Evaluation._ev` calls) for N items and for 2N.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from framework_dsl import Limits, RuleSet, load_rules
from framework_dsl.engine.reference import Evaluation
from framework_dsl.evidence import DEFAULT_LIMITS, validate
from framework_dsl.result import Result
from framework_dsl.typesystem import Symbol

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
AS_OF = "2020-06-30"

LIMITED_RULES = """\
framework limited "Limited"
  effective from 2014-01-01
enum colour "Colour": red "Red", green "Green", blue "Blue"
record item:
  name: text "a name"
  colour: colour "a colour"
  tags: list of text "some tags"
evidence:
  title: text "a title"
  items: list of item "the items"
  extra: optional item "one more item"
judgement each_named for each i in items: one of (long "Long", short "Short")
  long when (count of i.tags) > 2 because "{i.name} has {count of i.tags} tags"
  otherwise short because "{i.name} is {i.colour}"
judgement reds: integer
  otherwise (count i in items where i.colour = red) because "{count of items} items"
judgement all_green: boolean
  otherwise all i in items where i.colour = green
define names: list of text = [i.name for i in items where i.colour != blue]
judgement named: integer
  otherwise count of names
"""


def limited_document(items: int = 2, **fields: Any) -> dict[str, Any]:
    """A valid document for the `limited` framework with `items` items."""
    colours = ["red", "green", "blue"]
    document: dict[str, Any] = {
        "framework": "limited",
        "title": "A title",
        "items": [
            {"name": f"item {n}", "colour": colours[n % 3], "tags": ["a", "b", "c"][: n % 4]} for n in range(items)
        ],
    }
    document.update(fields)
    return document


@pytest.fixture
def limited(write_rules) -> RuleSet:  # type: ignore[no-untyped-def]
    """The `limited` test framework, loaded from a fresh rules root."""
    return load_rules(write_rules({"limited.fw": LIMITED_RULES}))


def too_large(result: Result) -> list[tuple[str | None, str]]:
    """(pointer, message) of every `evidence.too-large` problem, after checking the result's shape."""
    assert result.status == "invalid_evidence"
    assert result.judgements == {} and result.checks == {}
    return [(p.pointer, p.message) for p in result.problems if p.code == "evidence.too-large"]


def test_the_default_limits_are_documented_values() -> None:
    """The defaults are 16 MiB, 64 levels, 100,000 items and 100,000 characters (docs/security.md cites them)."""
    expected = Limits(max_bytes=16 * 1024 * 1024, max_depth=64, max_items=100_000, max_text=100_000)
    assert expected == DEFAULT_LIMITS


# ---------------------------------------------------------------- max_bytes


def test_a_document_over_max_bytes_is_refused_before_parsing(limited: RuleSet) -> None:
    """A document one byte over `max_bytes` is refused with its size and the limit, even if it is not JSON."""
    text = json.dumps(limited_document()).encode("utf-8")
    assert limited.evaluate_json(text, AS_OF, limits=Limits(max_bytes=len(text))).status == "evaluated"
    refused = limited.evaluate_json(text + b" ", AS_OF, limits=Limits(max_bytes=len(text)))
    assert too_large(refused) == [("", f"the evidence is {len(text) + 1} bytes, above the limit of {len(text)}")]
    garbage = limited.evaluate_json(b"\xff" * 200, AS_OF, limits=Limits(max_bytes=100))
    assert too_large(garbage) == [("", "the evidence is 200 bytes, above the limit of 100")]


def test_the_default_max_bytes_refuses_a_document_over_16_mib(limited: RuleSet) -> None:
    """A document of 16 MiB and one byte is refused by the default limits without being parsed."""
    text = b" " * (16 * 1024 * 1024) + b"{}"
    [(pointer, message)] = too_large(limited.evaluate_json(text, AS_OF))
    assert pointer == "" and "above the limit of 16777216" in message


def test_max_bytes_counts_bytes_of_text_input_too(limited: RuleSet) -> None:
    """Evidence given as `str` is measured in UTF-8 bytes, as the limit's name says."""
    text = json.dumps(limited_document(title="é" * 100), ensure_ascii=False)
    limit = len(text)  # characters; the UTF-8 encoding is 100 bytes longer
    assert len(text.encode("utf-8")) > limit
    too_large(limited.evaluate_json(text, AS_OF, limits=Limits(max_bytes=limit)))


def test_the_too_large_hint_names_a_real_option(limited: RuleSet) -> None:
    """The hint for an oversized document names an option `framework-check` really has."""
    from click.testing import CliRunner

    from framework_dsl.cli import framework_check

    result = limited.evaluate_json(b"{}" + b" " * 200, AS_OF, limits=Limits(max_bytes=100))
    hint = result.problems[0].hint or ""
    options = CliRunner().invoke(framework_check, ["--help"]).output
    for word in hint.split():
        if word.startswith("--"):
            assert word in options, f"the hint names {word}, which `framework-check --help` does not list"


# ---------------------------------------------------------------- max_depth


def test_evidence_deeper_than_max_depth_is_refused_at_each_deep_value(limited: RuleSet) -> None:
    """With `max_depth=2`, an item's fields (depth 3) are refused by pointer, with the limit in the message."""
    result = limited.evaluate(limited_document(items=1), AS_OF, limits=Limits(max_depth=2))
    problems = too_large(result)
    assert ("/items/0/name", "the evidence is nested more than 2 levels deep") in problems
    assert {pointer for pointer, _ in problems} >= {"/items/0/name", "/items/0/colour", "/items/0/tags"}
    assert limited.evaluate(limited_document(items=1), AS_OF, limits=Limits(max_depth=4)).status == "evaluated"


@pytest.mark.parametrize("depth", [2_000, 10_000])
def test_json_nested_beyond_the_parser_is_too_large(limited: RuleSet, depth: int) -> None:
    """JSON nested thousands of levels deep is refused as too large, whatever the schema."""
    text = '{"framework": "limited", "title": ' + "[" * depth + "]" * depth + "}"
    [(pointer, message)] = too_large(limited.evaluate_json(text, AS_OF))
    assert pointer == "" and "nested too deeply" in message


def test_max_depth_bounds_the_subject_too(limited: RuleSet) -> None:
    """A `subject` nested deeper than `max_depth` is refused like any other evidence."""
    subject: Any = "leaf"
    for _ in range(10):
        subject = {"next": subject}
    too_large(limited.evaluate(limited_document(subject=subject), AS_OF, limits=Limits(max_depth=5)))


# ---------------------------------------------------------------- max_items


def test_a_list_longer_than_max_items_is_refused_by_pointer(limited: RuleSet) -> None:
    """A list one item over `max_items` is refused at its pointer, naming its length and the limit."""
    assert limited.evaluate(limited_document(items=3), AS_OF, limits=Limits(max_items=3)).status == "evaluated"
    problems = too_large(limited.evaluate(limited_document(items=4), AS_OF, limits=Limits(max_items=3)))
    assert problems == [("/items", "this list has 4 items, above the limit of 3")]


def test_a_nested_list_longer_than_max_items_is_refused(limited: RuleSet) -> None:
    """`max_items` bounds every list, not only the top-level ones."""
    document = limited_document(items=1)
    document["items"][0]["tags"] = ["t"] * 6
    problems = too_large(limited.evaluate(document, AS_OF, limits=Limits(max_items=5)))
    assert problems == [("/items/0/tags", "this list has 6 items, above the limit of 5")]


def test_the_default_max_items_refuses_100001_items(limited: RuleSet) -> None:
    """A list of 100,001 items is refused by the default limits, before any item is validated."""
    document = limited_document(items=0)
    document["items"] = [0] * 100_001
    problems = too_large(limited.evaluate(document, AS_OF))
    assert problems == [("/items", "this list has 100001 items, above the limit of 100000")]
    assert len(limited.evaluate(document, AS_OF).problems) == 1


# ---------------------------------------------------------------- max_text


def test_a_text_longer_than_max_text_is_refused_by_pointer(limited: RuleSet) -> None:
    """A text one character over `max_text` is refused at its pointer, naming its length and the limit."""
    assert limited.evaluate(limited_document(title="x" * 10), AS_OF, limits=Limits(max_text=10)).status == "evaluated"
    problems = too_large(limited.evaluate(limited_document(title="x" * 11), AS_OF, limits=Limits(max_text=10)))
    assert problems == [("/title", "this text is 11 characters, above the limit of 10")]


def test_the_default_max_text_refuses_100001_characters(limited: RuleSet) -> None:
    """A nested text of 100,001 characters is refused by the default limits."""
    document = limited_document(items=1)
    document["items"][0]["name"] = "n" * 100_001
    problems = too_large(limited.evaluate(document, AS_OF))
    assert problems == [("/items/0/name", "this text is 100001 characters, above the limit of 100000")]


def test_limits_reach_the_cli_defaults_through_evaluate_json(tmp_path: Path) -> None:
    """`framework-check` applies the default limits: a 100,001-item list in a file is invalid evidence, exit 1."""
    from click.testing import CliRunner

    from framework_dsl.cli import framework_check

    rules = tmp_path / "cli-rules"
    rules.mkdir()
    (rules / "limited.fw").write_text(LIMITED_RULES, encoding="utf-8")
    document = limited_document(items=0)
    document["items"] = [0] * 100_001
    evidence = tmp_path / "big.json"
    evidence.write_text(json.dumps(document), encoding="utf-8")
    outcome = CliRunner().invoke(framework_check, ["--rules", str(rules), str(evidence), "--format", "json"])
    assert outcome.exit_code == 1
    data = json.loads(outcome.stdout)
    assert data["status"] == "invalid_evidence"
    assert [p["code"] for p in data["problems"]] == ["evidence.too-large"]


# ---------------------------------------------------------------- numbers no Python number holds

HUGE_EXPONENT = "1e99999999999999999999"


@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ('{"framework": "limited", "title": "t", "items": [], "x": ' + HUGE_EXPONENT + "}", "/x"),
        ('{"framework": ' + HUGE_EXPONENT + "}", "/framework"),
        ('{"framework": "limited", "items": [1, -' + HUGE_EXPONENT + "]}", "/items/1"),
        ('{"framework": "limited", "items": [1e-99999999999999999999]}', "/items/0"),
        ('{"framework": "limited", "n": ' + "9" * 4301 + "}", "/n"),
    ],
)
def test_a_number_no_python_number_holds_is_a_located_problem(limited: RuleSet, text: str, pointer: str) -> None:
    """An exponent past `decimal.MAX_EMAX` or an integer past 4,300 digits is `evidence.too-large` at its pointer.

    It used to raise `decimal.InvalidOperation` (or end as an unlocated `invalid-json`).
    """
    for engine in ("compiled", "reference"):
        [(where, message)] = too_large(limited.evaluate_json(text, AS_OF, engine=engine))
        assert where == pointer
        assert "above the limit of 4300" in message or "exponent" in message


def test_numbers_at_the_limits_python_holds_are_read(limited: RuleSet) -> None:
    """At the limits (exponent `MAX_EMAX`, 4,300 digits) the number is read, and is only a wrong type here."""
    import decimal

    for number in (f"1e{decimal.MAX_EMAX}", f"1e{decimal.MIN_ETINY}", "9" * 4300, "-" + "9" * 4300):
        result = limited.evaluate_json('{"framework": "limited", "title": ' + number + ', "items": []}', AS_OF)
        assert [(p.code, p.pointer) for p in result.problems] == [("evidence.wrong-type", "/title")]
        assert len(result.to_json()) < 10_000  # the number is shown clipped


def test_a_batch_with_a_huge_exponent_writes_the_report_and_exits_1(tmp_path: Path) -> None:
    """One document with a huge exponent among good ones: every result is written to `--output`, exit 1,
    also with `--jobs 2` and no traceback from a worker."""
    import subprocess
    import sys

    rules = tmp_path / "cli-rules"
    rules.mkdir()
    (rules / "limited.fw").write_text(LIMITED_RULES, encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(limited_document()), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text('{"framework": "limited", "x": ' + HUGE_EXPONENT + "}", encoding="utf-8")
    for jobs in ("1", "2"):
        report = tmp_path / f"report-{jobs}.json"
        command = [sys.executable, "-c", "from framework_dsl.cli.check import main_check; main_check()"]
        run = subprocess.run(
            [
                *command,
                "--rules",
                str(rules),
                str(good),
                str(bad),
                str(good),
                "--jobs",
                jobs,
                "--as-of",
                AS_OF,
                "--output",
                str(report),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 1, run.stderr
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr
        statuses = [item["status"] for item in json.loads(report.read_text(encoding="utf-8"))]
        assert statuses == ["evaluated", "invalid_evidence", "evaluated"]
        assert f"{bad}: /x" in run.stderr or "/x" in run.stderr


# ---------------------------------------------------------------- output stays proportionate

DECIMAL_RULES = """\
framework shown "Shown"
  effective from 2014-01-01
evidence:
  xs: list of decimal "some decimals"
judgement each for each x in xs: boolean
  otherwise true because "{x}"
"""


def test_a_reason_cannot_blow_up_a_small_document(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A 40-byte document cannot make a result of megabytes by interpolating a decimal in a reason."""
    rule_set = load_rules(write_rules({"shown.fw": DECIMAL_RULES}))
    text = '{"framework": "shown", "xs": [1e999999]}'
    result = rule_set.evaluate_json(text, AS_OF)
    assert len(result.to_json()) < 100_000


# ---------------------------------------------------------------- linear cost, counted in steps


class StepCounter:
    """Counts `Evaluation._ev` calls: one per expression node evaluated."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.steps = 0
        original = Evaluation._ev

        def counted(evaluation: Evaluation, node: Any, env: Any) -> Any:
            self.steps += 1
            return original(evaluation, node, env)

        monkeypatch.setattr(Evaluation, "_ev", counted)

    def run(self, rule_set: RuleSet, name: str, document: dict[str, Any], as_of: datetime.date) -> int:
        """Steps the reference evaluator takes to decide every judgement and check of one document."""
        framework = rule_set.framework(name)
        root, problems = validate(document, framework.evidence, "<steps>")
        assert root is not None, [(p.pointer, p.message) for p in problems]
        self.steps = 0
        evaluation = Evaluation(framework, root, as_of)
        for decision in (*framework.judgements, *framework.checks):
            evaluation.decide(decision)
        return self.steps


def assert_linear(steps: dict[int, int]) -> None:
    """2N items cost about twice N items, and each doubling adds about twice what the last one did."""
    n, n2, n4 = sorted(steps)
    assert n2 == 2 * n and n4 == 2 * n2
    assert 1.8 <= steps[n2] / steps[n] <= 2.05, steps
    growth = (steps[n4] - steps[n2]) / (steps[n2] - steps[n])
    assert 1.9 <= growth <= 2.1, steps


def test_steps_grow_linearly_with_list_items(limited: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """For-each, count-where, all-where and a comprehension over N, 2N and 4N items cost steps in proportion."""
    counter = StepCounter(monkeypatch)
    as_of = datetime.date(2020, 6, 30)
    steps = {n: counter.run(limited, "limited", limited_document(items=n), as_of) for n in (100, 200, 400)}
    assert_linear(steps)


def _cqc_document(breaches: int) -> dict[str, Any]:
    document = json.loads((EXAMPLES / "cqc" / "typical.json").read_text(encoding="utf-8"))
    template = document["breaches"][0]
    regulations = ["9", "10", "11", "12", "13", "17", "18", "20"]
    actions = ["none", "requirement_notice", "warning_notice", "condition"]
    questions = ["safe", "effective", "caring", "responsive", "well_led"]
    paragraphs = ["13(2)", "16(3)", "17(3)", "20(2)(a)", "12(1)"]
    document["breaches"] = [
        {
            **template,
            "regulation": regulations[i % len(regulations)],
            "enforcement": actions[i % len(actions)],
            "key_question": questions[i % len(questions)],
            "paragraph": paragraphs[i % len(paragraphs)],
            "avoidable_harm": i % 3 == 0,
        }
        for i in range(breaches)
    ]
    return document


@pytest.mark.skipif(not (EXAMPLES / "cqc" / "typical.json").is_file(), reason="needs the cqc example")
def test_cqc_steps_grow_linearly_with_breaches(bundled: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deciding every cqc judgement for 2N breaches takes about twice the steps of N breaches."""
    if "cqc" not in bundled.frameworks:
        pytest.skip("the bundled rules have no cqc framework")
    counter = StepCounter(monkeypatch)
    as_of = datetime.date(2019, 3, 1)
    steps = {n: counter.run(bundled, "cqc", _cqc_document(n), as_of) for n in (100, 200, 400)}
    assert_linear(steps)


SET_RULES = """\
framework sets "Sets"
  effective from 2014-01-01
enum colour "Colour": red "Red", blue "Blue"
evidence:
  left: list of colour "left"
  right: list of colour "right"
define rest: list of colour = left - right
define both: list of colour = left union right
define shared: list of colour = left intersect right
judgement remaining: integer
  otherwise count of rest + count of both + count of shared
"""


def test_list_difference_union_and_intersect_compare_linearly(write_rules, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """`-`, `union` and `intersect` over N and 2N items make about twice the member comparisons, not four times."""
    rule_set = load_rules(write_rules({"sets.fw": SET_RULES}))
    comparisons = {"count": 0}
    original = Symbol.__eq__

    def counted(self: Symbol, other: object) -> Any:
        comparisons["count"] += 1
        return original(self, other)

    monkeypatch.setattr(Symbol, "__eq__", counted)
    costs = {}
    for n in (200, 400):
        comparisons["count"] = 0
        result = rule_set.evaluate({"framework": "sets", "left": ["red"] * n, "right": ["blue"] * n}, AS_OF)
        assert result.status == "evaluated"
        costs[n] = comparisons["count"]
    assert costs[400] <= 2.2 * costs[200], costs


NESTED_RULES = (
    LIMITED_RULES
    + """\
judgement same_colour for each i in items: integer
  otherwise (count j in items where j.colour = i.colour)
"""
)


def test_nested_iteration_in_the_rules_costs_the_product_of_the_lists(  # type: ignore[no-untyped-def]
    write_rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Linear cost is per level of iteration: a rule that counts over a list for each of its items costs N² steps.

    This pins down the documented limit of the linear-cost guarantee (docs/security.md):
    the cost of a rule set is linear in the evidence for each level of `for each`, `any`,
    `all`, `no`, `count ... where` and `[... for ...]` nested over evidence lists.
    """
    rule_set = load_rules(write_rules({"nested.fw": NESTED_RULES}))
    counter = StepCounter(monkeypatch)
    as_of = datetime.date(2020, 6, 30)
    steps = {n: counter.run(rule_set, "limited", limited_document(items=n), as_of) for n in (50, 100, 200)}
    growth = (steps[200] - steps[100]) / (steps[100] - steps[50])
    assert 3.8 <= growth <= 4.2, steps


# ---------------------------------------------------------------- unknown fields cost a pass, not a match each


def test_unknown_fields_cost_is_bounded_per_document(limited: RuleSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """N, 2N and 4N unknown keys: at most `MAX_HINTS` fuzzy matches and `MAX_PROBLEMS` + 1 problems, and a result
    of bounded size. Steps, not seconds: each unknown key ran a difflib match and made a problem
    (100,000 keys took 16 s and made 27.5 MB of JSON)."""
    import difflib

    from framework_dsl import evidence

    counts = {"matches": 0, "problems": 0}
    real_matcher = difflib.SequenceMatcher.set_seq2
    real_problem = evidence.Diagnostic

    def matcher(self: difflib.SequenceMatcher[str], b: str) -> None:
        counts["matches"] += 1
        real_matcher(self, b)

    def problem(*args: Any, **kwargs: Any) -> Any:
        counts["problems"] += 1
        return real_problem(*args, **kwargs)

    monkeypatch.setattr(difflib.SequenceMatcher, "set_seq2", matcher)
    monkeypatch.setattr(evidence, "Diagnostic", problem)
    seen = {}
    for n in (5_000, 10_000, 20_000):
        document = limited_document()
        document.update({f"titel_{i}": 1 for i in range(n)})
        document["items"][0].update({f"nme{i}": 1 for i in range(n)})
        counts.update(matches=0, problems=0)
        result = limited.evaluate_json(json.dumps(document), AS_OF)
        assert result.status == "invalid_evidence"
        [note] = [p for p in result.problems if "left out" in p.message]
        assert note.message.startswith(f"{2 * n - evidence.MAX_PROBLEMS} more problems were left out")
        seen[n] = (counts["matches"], counts["problems"], len(result.to_json()))
    assert len({cost[:2] for cost in seen.values()}) == 1, seen  # the same work whatever N
    matches, problems, _ = seen[5_000]
    assert problems == evidence.MAX_PROBLEMS + 1
    assert matches <= evidence.MAX_HINTS * len(limited.frameworks["limited"].evidence.fields) * 2
    assert max(size for _, _, size in seen.values()) < 400_000


# ---------------------------------------------------------------- evidence arguments that never end


def _check_process(tmp_path: Path, *arguments: str) -> Any:
    """`framework-check` as a process with a timeout and 2 GB of address space (it grew to 24 GB on /dev/zero)."""
    import resource
    import subprocess
    import sys

    rules = tmp_path / "cli-rules"
    rules.mkdir(exist_ok=True)
    (rules / "limited.fw").write_text(LIMITED_RULES, encoding="utf-8")

    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    command = [sys.executable, "-c", "from framework_dsl.cli.check import main_check; main_check()"]
    return subprocess.run(
        [*command, "--rules", str(rules), "--as-of", AS_OF, "--format", "jsonl", *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=bounded,  # only sets a limit
    )


@pytest.mark.parametrize("kind", ["fifo", "zero-device", "too-big"])
def test_an_evidence_file_that_is_not_regular_or_too_big_is_a_result_not_a_hang(tmp_path: Path, kind: str) -> None:
    """A named pipe (it blocked for ever), a device of our own like `/dev/zero` (it grew to 24 GB), or a file
    over `--max-bytes`: an `invalid_evidence` result, the others still evaluated, exit 1."""
    import os
    import stat

    target = tmp_path / "evidence.json"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "zero-device":
        try:  # a node of our own in the test's folder, never the machine's /dev/zero
            os.mknod(target, stat.S_IFCHR | 0o600, os.makedev(1, 5))
        except (PermissionError, AttributeError, OSError):
            pytest.skip("device nodes cannot be made here")
    else:
        target.write_text(json.dumps(limited_document(title="x" * 2000)), encoding="utf-8")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(limited_document()), encoding="utf-8")
    run = _check_process(tmp_path, str(target), str(good), "--max-bytes", "1000")
    assert run.returncode == 1, run.stderr
    first, second = (json.loads(line) for line in run.stdout.splitlines())
    assert first["status"] == "invalid_evidence" and second["status"] == "evaluated"
    [problem] = first["problems"]
    if kind == "too-big":
        assert problem["code"] == "evidence.too-large" and "above the limit of 1000" in problem["message"]
    else:
        assert problem["code"] == "evidence.unreadable" and "not a regular file" in problem["message"]
