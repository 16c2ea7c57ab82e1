"""The evaluate stage and the API around it: outcomes, inputs, dates, determinism."""

from __future__ import annotations

import datetime
import json
import pickle
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework_dsl import Limits, RuleSet, load_rules
from framework_dsl.result import Decision, Result

CLAS_SERVICES = [
    "maternity",
    "childrens_wards",
    "adult_emergency_department",
    "childrens_emergency_department",
    "urgent_care_centre",
    "adult_substance_misuse",
    "childrens_substance_misuse",
    "adult_mental_health",
    "childrens_mental_health",
    "community_services",
    "school_nursing",
    "health_visiting",
    "gp",
    "dentist",
    "out_of_hours",
    "sexual_health",
]

RULES = """
framework demo "Demo" effective from 2018-04-01 until 2030-12-31 dated by visit.date
scale rating: good "Good" > requires_improvement "Requires improvement" > inadequate "Inadequate"
record visit_record:
  date: date
  harm: optional boolean
record finding:
  grade: rating
evidence:
  visit: visit_record
  findings: list of finding
judgement overall: rating
  inadequate when visit.harm because "Harm"
  otherwise worst of [f.grade for f in findings] at least requires_improvement because "Worst finding, floored"
judgement per_finding for each f in findings: rating
  otherwise f.grade because "As recorded"
check matches for each f in findings:
  failed when per_finding != f.grade because "Differs"
  otherwise passed because "Same"
judgement days_left: integer
  otherwise visit.date + 1 year - as of because "Days to the anniversary"
"""


@pytest.fixture
def demo(write_rules) -> RuleSet:  # type: ignore[no-untyped-def]
    return load_rules(write_rules({"demo.fw": RULES}))


def doc(harm: object = None, grades: tuple[str, ...] = ("good",), date: str = "2019-05-01") -> dict[str, object]:
    visit: dict[str, object] = {"date": date}
    if harm is not None:
        visit["harm"] = harm
    return {"framework": "demo", "visit": visit, "findings": [{"grade": g} for g in grades]}


def test_inputs_record_exactly_the_evidence_read(demo: RuleSet) -> None:
    """A decision lists the evidence pointers and values its clauses read, and no others."""
    result = demo.evaluate(doc(harm=False, grades=("good", "inadequate")))
    overall = result.judgements["overall"]
    assert overall.outcome == "requires_improvement"  # inadequate, floored
    assert dict(overall.inputs) == {
        "/visit/harm": False,
        "/findings/0/grade": "good",
        "/findings/1/grade": "inadequate",
    }


def test_missing_evidence_makes_the_judgement_undetermined(demo: RuleSet) -> None:
    """An absent optional field read by a deciding clause gives `undetermined` with its pointer."""
    overall = demo.evaluate(doc(harm=None)).judgements["overall"]
    assert overall.status == "undetermined"
    assert overall.missing == ("/visit/harm",)
    assert overall.to_dict()["outcome"] is None


def test_for_each_items_carry_their_pointers(demo: RuleSet) -> None:
    """A for-each judgement gives one decision per item, each naming its item's pointer."""
    decisions = demo.evaluate(doc(harm=False, grades=("good", "inadequate"))).judgements["per_finding"]
    assert [(d.item, d.outcome) for d in decisions] == [("/findings/0", "good"), ("/findings/1", "inadequate")]


def test_checks_read_the_same_items_judgement(demo: RuleSet) -> None:
    """A for-each check over the same list sees the current item's outcome of a for-each judgement."""
    checks = demo.evaluate(doc(harm=False, grades=("good", "inadequate"))).checks["matches"]
    assert [c.outcome for c in checks] == ["passed", "passed"]


def test_as_of_defaults_to_the_evidence_date(demo: RuleSet) -> None:
    """Without an explicit date, the evidence's own `dated by` field is the evaluation date."""
    result = demo.evaluate(doc(harm=False, date="2019-05-01"))
    assert result.as_of == datetime.date(2019, 5, 1)
    assert result.judgements["days_left"].outcome == 366


def test_explicit_as_of_wins(demo: RuleSet) -> None:
    """An explicit evaluation date overrides the evidence's date."""
    result = demo.evaluate(doc(harm=False, date="2019-05-01"), as_of="2020-04-30")
    assert result.judgements["days_left"].outcome == 1


@pytest.mark.parametrize("date", ["2018-03-31", "2031-01-01"])
def test_evidence_outside_the_framework_dates_is_not_in_force(demo: RuleSet, date: str) -> None:
    """Evidence dated before the framework starts or after it ends gets `not_in_force`, not a grade."""
    result = demo.evaluate(doc(harm=False, date=date))
    assert result.status == "not_in_force"
    assert result.judgements == {}


def test_wrong_argument_types_raise(demo: RuleSet) -> None:
    """Misuse of the API (an as-of that is not a date) raises TypeError; bad evidence never does."""
    with pytest.raises(TypeError):
        demo.evaluate(doc(), as_of=20190101)  # type: ignore[arg-type]
    assert demo.evaluate([1, 2]).status == "invalid_evidence"  # type: ignore[arg-type]


def test_evaluate_many_keeps_order(demo: RuleSet) -> None:
    """Batch evaluation yields one result per document, in order."""
    documents = [doc(harm=False, grades=(g,)) for g in ("good", "inadequate", "requires_improvement")]
    outcomes = [r.judgements["per_finding"][0].outcome for r in demo.evaluate_many(documents)]
    assert outcomes == ["good", "inadequate", "requires_improvement"]


def test_results_are_byte_identical(demo: RuleSet) -> None:
    """The same rules, evidence and date give byte-identical JSON, every time."""
    document = doc(harm=False, grades=("good", "inadequate"))
    texts = {demo.evaluate(document).to_json() for _ in range(5)}
    assert len(texts) == 1


def test_rule_set_is_safe_to_share_between_threads(demo: RuleSet) -> None:
    """Many threads evaluating with one rule set get the same answers as one thread."""
    documents = [doc(harm=i % 3 == 0, grades=("good",) * (i % 4 + 1)) for i in range(200)]
    expected = [demo.evaluate(d).to_json() for d in documents]
    with ThreadPoolExecutor(8) as pool:
        actual = list(pool.map(lambda d: demo.evaluate(d).to_json(), documents))
    assert actual == expected


def test_rule_set_is_immutable(demo: RuleSet) -> None:
    """A loaded rule set cannot be changed after loading."""
    with pytest.raises(TypeError):
        demo.frameworks["other"] = demo.frameworks["demo"]  # type: ignore[index]


CLAS = load_rules(Path(__file__).resolve().parents[2] / "rules" / "clas")


@given(st.sets(st.sampled_from(CLAS_SERVICES)), st.integers(0, 40))
def test_clas_coverage_matches_a_direct_computation(services: set[str], recommendations: int) -> None:
    """For any set of reviewed services, `missing_services` is the canonical list minus those reviewed."""
    rules = CLAS
    result = rules.evaluate(
        {
            "framework": "clas",
            "review": {"date": "2019-01-01", "recommendations": recommendations},
            "services_reviewed": sorted(services),
        }
    )
    missing = [s for s in CLAS_SERVICES if s not in services]
    assert result.judgements["missing_services"].outcome == missing
    assert result.judgements["coverage"].outcome == ("complete" if not missing else "incomplete")
    assert result.judgements["next_step"].outcome == ("action_plan_required" if recommendations else "none")
    assert json.loads(result.to_json())["judgements"]["missing_services"]["outcome"] == missing


def test_evaluate_many_applies_the_limits_evaluate_applies(bundled: RuleSet) -> None:
    """`evaluate_many` takes the same bounds as `evaluate`, so a batch cannot slip past them."""
    document = {
        "framework": "clas",
        "review": {"date": "2018-03-16", "recommendations": 0},
        "services_reviewed": ["gp", "midwifery"],
    }
    tight = Limits(max_items=1)
    many = list(bundled.evaluate_many([document, document], "2018-03-16", limits=tight))
    one = bundled.evaluate(document, "2018-03-16", limits=tight)
    assert [r.to_json() for r in many] == [one.to_json()] * 2
    assert [p.code for p in one.problems] == ["evidence.too-large"]
    with pytest.raises(TypeError):
        next(bundled.evaluate_many([document], "16/03/2018"))


def test_inputs_are_sorted_whichever_path_decided(demo: RuleSet) -> None:
    """The compiled path keeps the dict it read into; `inputs`, equality, pickles and JSON see sorted pairs."""
    evidence = doc(harm=False, grades=("inadequate", "good"))
    compiled = demo.evaluate(evidence).judgements["overall"]
    traced = demo.evaluate(evidence, explain=True).judgements["overall"]
    expected = (("/findings/0/grade", "inadequate"), ("/findings/1/grade", "good"), ("/visit/harm", False))
    assert compiled.inputs == traced.inputs == expected
    assert list(compiled.to_dict()["inputs"]) == [pointer for pointer, _ in expected]
    assert pickle.loads(pickle.dumps(compiled)) == compiled
    assert pickle.loads(pickle.dumps(compiled)).inputs == expected
    assert "('/findings/0/grade', 'inadequate')" in repr(compiled)
    assert hash(compiled) == hash(pickle.loads(pickle.dumps(compiled)))


def test_all_decided_looks_at_every_item(demo: RuleSet) -> None:
    """`all_decided` is false as soon as one judgement, check or for-each item is not decided."""
    assert demo.evaluate(doc(harm=False, grades=("good", "good"))).all_decided()
    undetermined = demo.evaluate(doc())  # no harm field: `overall` cannot be decided
    assert undetermined.judgements["overall"].status == "undetermined"
    assert not undetermined.all_decided()
    decided = undetermined.judgements["days_left"]
    one_item_open = Result(
        framework="demo",
        framework_title="Demo",
        rules_digest="sha256:0",
        source=None,
        subject=None,
        as_of=None,
        status="evaluated",
        judgements={"overall": decided},
        checks={"matches": (decided, Decision("undetermined", item="/findings/1", missing=("/findings/1/grade",)))},
    )
    assert not one_item_open.all_decided()
    assert Result(**{**_fields_of(one_item_open), "checks": {"matches": (decided,)}}).all_decided()


def _fields_of(result: Result) -> dict[str, object]:
    return {name: getattr(result, name) for name in Result.FIELDS}


LOCALS_CASE = Path(__file__).resolve().parents[1] / "cases" / "eval" / "local-values"


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_a_local_value_is_computed_once_and_traced_once(engine: str) -> None:
    """Three clauses and a reason read `pct`: each item's trace holds one entry for its `let`, before its use."""
    rules = load_rules(LOCALS_CASE / "rules.fw")
    result = rules.evaluate_json(
        (LOCALS_CASE / "evidence.json").read_bytes(), "2024-06-01", engine=engine, explain=True
    )
    first = result.judgements["band"][0]
    assert isinstance(first, Decision)
    conditions = [step.condition for step in first.trace]
    assert conditions.count("let pct") == 1
    assert conditions.count("let total") == 1
    assert conditions.index("let pct") < conditions.index("true")
    let_pct = first.trace[conditions.index("let pct")]
    assert let_pct.outcome == "94" and let_pct.location.endswith("rules.fw:21")
    # The clause that fired keeps its own outcome, though `pct` and `total` are read after it.
    assert first.trace[-1].condition == "true" and first.trace[-1].outcome == "High"


def test_a_let_that_fails_fails_only_where_used() -> None:
    """`let spare = 10 / divisor` with a zero divisor is never computed when the clause that decides does not use it."""
    rules = load_rules(LOCALS_CASE / "rules.fw")
    result = rules.evaluate_json((LOCALS_CASE / "evidence.json").read_bytes(), "2024-06-01")
    decision = result.judgements["uses_zero"]
    assert isinstance(decision, Decision) and decision.status == "decided" and decision.value == 0


def test_results_do_not_depend_on_what_was_evaluated_before(write_rules) -> None:  # type: ignore[no-untyped-def]
    """A framework's first evaluation takes the general path and prepares the short one later
    evaluations take (`RuleSet._routes`); every kind of document gives the same result either way."""
    deep: dict[str, object] = {}
    for _ in range(80):
        deep = {"inner": deep}
    documents: list[tuple[object, dict[str, object]]] = [
        (doc(harm=False), {}),
        ({**doc(), "subject": {"name": "Home"}}, {}),
        ({**doc(), "subject": ["not", "an", "object"]}, {}),
        ({**doc(), "subject": deep}, {}),
        ({**doc(), "framework": "demos"}, {}),
        ({**doc(), "framework": ["demo"]}, {}),
        (doc(grades=("good", "bad")), {}),
        (doc(harm=True), {"explain": True}),
        (doc(), {"framework": "demo", "as_of": "2020-01-01"}),
        (doc(date="2031-06-01"), {}),
        (doc(), {"limits": Limits(max_depth=2)}),
    ]

    def result(rules: RuleSet, i: int) -> dict[str, object]:
        evidence, options = documents[i]
        explain = bool(options.get("explain"))
        return rules.evaluate(evidence, **options).to_dict(explain=explain)  # type: ignore[arg-type]

    first = [result(load_rules(write_rules({"demo.fw": RULES})), i) for i in range(len(documents))]
    warmed = load_rules(write_rules({"demo.fw": RULES}))
    warmed.evaluate(doc())
    warmed.evaluate(doc(), explain=True)
    assert [result(warmed, i) for i in range(len(documents))] == first
    assert [first[i]["status"] for i in (0, 1, 2, 3, 4, 5, 6, 9)] == [
        "evaluated",
        "evaluated",
        "invalid_evidence",
        "invalid_evidence",
        "invalid_evidence",
        "invalid_evidence",
        "invalid_evidence",
        "not_in_force",
    ]


EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").rglob("*.json"))


@pytest.mark.parametrize("explain", [False, True])
def test_a_prepared_evaluator_gives_what_evaluate_gives(bundled: RuleSet, explain: bool) -> None:
    """`evaluator(name, as_of, ...)` on every bundled example (valid, invalid, out of force, of
    another framework, not an object), on any date and under tight limits: byte for byte
    `evaluate(evidence, as_of, framework=name, ...)`, for fused frameworks and the rest."""
    assert len(EXAMPLES) > 20
    documents: list[object] = [json.loads(path.read_bytes()) for path in EXAMPLES]
    documents += [[1, 2], {"subject": {"deep": [[[[1]]]]}}, {"subject": "not an object"}]
    tight = Limits(max_depth=3, max_items=1)
    for name in bundled.frameworks:
        for as_of in (None, "2016-01-01", datetime.date(2030, 6, 30)):
            for limits in (Limits(), tight):
                prepared = bundled.evaluator(name, as_of, explain=explain, limits=limits)
                for document in documents:
                    expected = bundled.evaluate(
                        document, as_of, framework=name, source="s", explain=explain, limits=limits
                    )
                    found = prepared(document, source="s")
                    assert found.to_json(explain=explain) == expected.to_json(explain=explain), (name, document)


def test_a_prepared_evaluator_refuses_what_evaluate_refuses(bundled: RuleSet) -> None:
    with pytest.raises(ValueError, match="no framework `cqcc`; did you mean `cqc`"):
        bundled.evaluator("cqcc")
    with pytest.raises(TypeError):
        bundled.evaluator("cqc", "16/03/2018")
    prepared = bundled.evaluator("clas", "2018-03-16")
    with ThreadPoolExecutor(4) as pool:  # shared between threads, as the rule set is
        documents = [
            {"framework": "clas", "review": {"date": "2018-03-16", "recommendations": i % 3}} for i in range(60)
        ]
        found = list(pool.map(lambda d: prepared(d).to_json(), documents))
    assert found == [bundled.evaluate(d, "2018-03-16", framework="clas").to_json() for d in documents]
