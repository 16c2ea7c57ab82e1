"""A result's JSON bytes: written from its records straight, the same as its contracted dicts give.

`Result.to_json_bytes` without `explain` writes the records through msgspec objects
(`result._ResultJSON`) rather than building `to_dict()`, and lets the encoder sort every
dict but those it is told to keep as given; every property and case here
holds it to `canonical_json.dumps_bytes(result.to_dict())`, byte for byte. (The fuzz
properties, tests/properties/test_evidence_fuzz.py, check the same on every document
they make.)
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest

from framework_dsl import RuleSet, canonical_json, load_rules
from framework_dsl.result import Decision, Result

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*/*.json"))
FIXED = datetime.date(2026, 1, 15)


@pytest.fixture(scope="module")
def bundled() -> RuleSet:
    return load_rules().with_clock(lambda: FIXED)


def _same_bytes(result: Result) -> None:
    for indent in (None, 2):
        assert result.to_json_bytes(indent=indent) == canonical_json.dumps_bytes(result.to_dict(), indent=indent)


@pytest.mark.parametrize("engine", ["compiled", "reference"])
def test_every_bundled_example_writes_the_bytes_of_its_dicts(bundled: RuleSet, engine: str) -> None:
    """Decided, undetermined, failed and out-of-force decisions, for-each items, invalid
    evidence: on both engines (the reference one keeps inputs as pairs, the compiled one as a dict)."""
    assert len(EXAMPLES) > 20
    statuses = set()
    for path in EXAMPLES:
        for as_of in (None, "2016-01-01", "2030-06-30"):
            result = bundled.evaluate_json(path.read_bytes(), as_of, source=path.name, engine=engine)
            statuses.add(result.status)
            statuses.update(decision.status for _, decision in result.all_decisions())
            _same_bytes(result)
    assert statuses >= {"evaluated", "invalid_evidence", "not_in_force", "decided", "undetermined"}


def test_what_msgspec_refuses_is_written_from_the_dicts() -> None:
    """A lone surrogate (no UTF-8 form) is written as its JSON escape, as `dumps_bytes` writes it."""
    decision = Decision(
        "decided", value="x\ud800", label="L", reason="r \ud800", cite=None, rule="f.fw:1", inputs=(("/a", "\ud800"),)
    )
    result = Result(
        framework="f",
        framework_title="F",
        rules_digest="sha256:0",
        source=None,
        subject={"name": "\udfff"},
        as_of=FIXED,
        as_of_from="argument",
        status="evaluated",
        judgements={"j": decision, "each": (decision,)},
    )
    _same_bytes(result)
    assert b"\\ud800" in result.to_json_bytes(indent=None)


def test_exact_values_and_item_pointers_keep_their_form() -> None:
    """Decimal outcomes and inputs exactly, dates as ISO text, a for-each item's pointer first, inputs by pointer."""
    decided = Decision(
        "decided",
        item="/parts/0",
        value=Decimal("0.30"),
        label="0.30",
        reason="ratio 0.30",
        cite="c",
        rule="f.fw:2",
        inputs={"/z": Decimal("1E+400"), "/a": [1, {"b": 2, "a": 1}]},
    )
    dated = Decision("decided", value=datetime.date(2024, 4, 1), label="1 April 2024", rule="f.fw:3", inputs={})
    result = Result(
        framework="f",
        framework_title="F",
        rules_digest="sha256:0",
        source="s.json",
        subject=None,
        as_of=FIXED,
        as_of_from="clock",
        status="evaluated",
        judgements={"ratio": (decided,), "date": dated},
    )
    _same_bytes(result)
    data = json.loads(result.to_json_bytes(indent=None))
    assert list(data["judgements"]["ratio"][0]) == [
        "item",
        "status",
        "outcome",
        "label",
        "reason",
        "cite",
        "rule",
        "inputs",
    ]
    assert list(data["judgements"]["ratio"][0]["inputs"]) == ["/a", "/z"]
    assert b'"outcome":0.30' in result.to_json_bytes(indent=None)
    assert data["judgements"]["date"]["outcome"] == "2024-04-01"


def test_undetermined_decisions_keep_their_keys_and_pointers_in_order() -> None:
    """An undetermined decision, a for-each item's among them: `item` first, then status, outcome,
    the missing pointers in the order found (not sorted), rule; the bytes `to_dict()` gives."""
    missing = ("/z", "/a/1", "/a/0")
    items = (
        Decision("undetermined", item="/parts/0", missing=missing, rule="f.fw:4"),
        Decision("decided", item="/parts/1", value=1, label="1", reason="r", rule="f.fw:5", inputs={}),
    )
    alone = Decision("undetermined", missing=("/b",), rule=("f.fw:6", "f.fw:7"))
    result = Result(
        framework="f",
        framework_title="F",
        rules_digest="sha256:0",
        source=None,
        subject=None,
        as_of=FIXED,
        as_of_from="argument",
        status="evaluated",
        judgements={"parts": items, "alone": alone},
    )
    _same_bytes(result)
    data = json.loads(result.to_json_bytes(indent=None))
    first = data["judgements"]["parts"][0]
    assert list(first) == ["item", "status", "outcome", "missing", "rule"]
    assert first["missing"] == list(missing)
    assert list(data["judgements"]["alone"]) == ["status", "outcome", "missing", "rule"]
    assert data["judgements"]["alone"]["rule"] == ["f.fw:6", "f.fw:7"]


def test_the_engines_reads_come_out_sorted_by_code_point_and_the_rest_as_given() -> None:
    """The engine's own decisions keep their reads as a dict, sorted only as they are written
    (by code point, as `sorted` orders text); the subject, the names and a record outcome keep
    the order they were given in."""
    from framework_dsl.engine import runtime

    reads = {"/z": 1, "/é": [3, 2], "/Z": True, "/\U0001f600": "x", "/\uffff": None, "/a/10": 1, "/a/9": 2}
    engine_made = runtime.decided(None, "r", "reason", None, "f.fw:1", reads, "f:j#1")
    assert engine_made._fields[7] is reads  # not copied nor sorted when made
    record = Decision("decided", value={"b": 1, "a": 2}, label="R", rule="f.fw:2", inputs=(("/b", 1), ("/a", 2)))
    result = Result(
        framework="f",
        framework_title="F",
        rules_digest="sha256:0",
        source=None,
        subject={"zeta": 1, "alpha": {"y": 1, "x": 2}},
        as_of=FIXED,
        as_of_from="argument",
        status="evaluated",
        judgements={"second": engine_made, "first": record},
        checks={"z_check": (engine_made,), "a_check": record},
    )
    _same_bytes(result)
    data = json.loads(result.to_json_bytes(indent=None))
    assert list(data["judgements"]["second"]["inputs"]) == sorted(reads)
    assert list(data["judgements"]) == ["second", "first"] and list(data["checks"]) == ["z_check", "a_check"]
    assert list(data["subject"]) == ["zeta", "alpha"] and list(data["subject"]["alpha"]) == ["y", "x"]
    assert list(data["judgements"]["first"]["outcome"]) == ["b", "a"]
    assert list(data["judgements"]["first"]["inputs"]) == ["/b", "/a"]  # pairs given keep their order


def test_a_decision_made_with_a_dict_of_inputs_keeps_them_as_sorted_pairs() -> None:
    """The public constructor stores a dict of inputs as pairs by pointer, equal to the same pairs given."""
    made = Decision("decided", value=1, rule="f.fw:1", inputs={"/b": {"y": 1, "x": 2}, "/a": 1})
    assert made._fields[7] == (("/a", 1), ("/b", {"y": 1, "x": 2}))
    assert made == Decision("decided", value=1, rule="f.fw:1", inputs=(("/a", 1), ("/b", {"y": 1, "x": 2})))
