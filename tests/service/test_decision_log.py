"""The decision log's receipts, in-process: the time comes from the clock it is given."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

from framework_dsl import load_rules
from framework_dsl.service.decision_log import DecisionLog, input_hash

REPO = Path(__file__).resolve().parents[2]


def test_a_receipt_is_stamped_by_the_injected_clock(tmp_path: Path) -> None:
    """No wall clock in the test: the receipt's time, hash and outcomes are exactly what was given and decided."""
    evidence = (REPO / "examples" / "clas" / "complete.json").read_bytes()
    result = load_rules().evaluate_json(evidence, "2018-03-16")
    fixed = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    log = DecisionLog(str(tmp_path / "decisions.jsonl"), "0.0.0-test", clock=lambda: fixed)
    try:
        log.record(result, evidence)
    finally:
        log.close()
    (line,) = (tmp_path / "decisions.jsonl").read_text(encoding="utf-8").splitlines()
    receipt = json.loads(line)
    assert receipt["time"] == "2030-01-02T03:04:05.000+00:00"
    assert receipt["input_sha256"] == input_hash(evidence)
    assert receipt["as_of"] == "2018-03-16"
