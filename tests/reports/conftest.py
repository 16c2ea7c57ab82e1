"""Fixtures for the report tests: the demonstration framework, its results, and a renderer.

The demonstration framework (tests/reports/rules) is kept apart from the bundled rules
so that the report snapshots change only when the reports do.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from framework_dsl import RuleSet, load_rules
from framework_dsl.reports.batch import ReportWriter
from framework_dsl.reports.guide import guides_for
from framework_dsl.result import Result

HERE = Path(__file__).resolve().parent

Render = Callable[..., str]
Evaluate = Callable[..., Result]


@pytest.fixture(scope="session")
def demo() -> RuleSet:
    """The demonstration framework's rules."""
    return load_rules(HERE / "rules")


@pytest.fixture(scope="session")
def evaluate(demo: RuleSet) -> Evaluate:
    """evaluate("good") or evaluate("x", data=b"...") -> the result, its source `evidence/<name>.json`."""

    def run(name: str, data: bytes | None = None) -> Result:
        raw = data if data is not None else (HERE / "evidence" / f"{name}.json").read_bytes()
        return demo.evaluate_json(raw, None, source=f"evidence/{name}.json")

    return run


@pytest.fixture(scope="session")
def render() -> Render:
    """render(rule_set, results, "html" or "markdown", explain=False) -> the report framework-check writes."""

    def run(rule_set: RuleSet, results: list[Result], output_format: str, *, explain: bool = False) -> str:
        out = io.BytesIO()
        with ReportWriter(output_format, guides_for(rule_set), explain=explain, version="0.0.0-test") as writer:
            for result in results:
                writer.add(result)
            writer.finish(out)
        return out.getvalue().decode("utf-8")

    return run
