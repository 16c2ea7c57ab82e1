"""Reloading rules in a running service: checked first, swapped whole, refused if they do not check."""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.service.conftest import ServiceProcess

REPO = Path(__file__).resolve().parent.parent.parent
EVIDENCE = (REPO / "examples" / "cqc" / "typical.json").read_bytes()


def _evaluate(running: ServiceProcess) -> tuple[int, str, str]:
    """(status, digest header, digest in the result) of one evaluation."""
    response = running.client.post(
        "/v1/evaluate", content=EVIDENCE, params={"as_of": "2024-06-01"}, headers={"content-type": "application/json"}
    )
    return response.status_code, response.headers["x-rules-digest"], response.json()["rules_digest"]


def _rules_copy(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "rules", rules)
    return rules


def test_a_rule_set_that_does_not_check_is_refused_and_the_old_keeps_serving(
    tmp_path: Path, start_service: Callable[..., ServiceProcess]
) -> None:
    """POST /admin/reload of broken rules is 422 with their diagnostics; evaluations go on with the old digest."""
    rules = _rules_copy(tmp_path)
    running = start_service("--rules", str(rules), admin=True)
    status, before, in_body = _evaluate(running)
    assert (status, in_body) == (200, before)
    cqc = rules / "cqc" / "cqc.fw"
    cqc.write_text(
        cqc.read_text(encoding="utf-8") + "\njudgement broken: rating\n  is outstandingg\n", encoding="utf-8"
    )
    with running.admin() as admin:
        refused = admin.post("/admin/reload")
    assert refused.status_code == 422
    answer = refused.json()
    assert answer["accepted"] is False
    assert answer["rules_digest"] == before
    assert any(d["severity"] == "error" for d in answer["diagnostics"])
    assert _evaluate(running) == (200, before, before)


def test_a_good_rule_set_is_swapped_in_and_every_response_names_it(
    tmp_path: Path, start_service: Callable[..., ServiceProcess]
) -> None:
    """After an accepted reload, the header and the result carry the new digest."""
    rules = _rules_copy(tmp_path)
    running = start_service("--rules", str(rules), admin=True)
    _, before, _ = _evaluate(running)
    cqc = rules / "cqc" / "cqc.fw"
    cqc.write_text(cqc.read_text(encoding="utf-8") + "\n# reviewed again\n", encoding="utf-8")
    with running.admin() as admin:
        accepted = admin.post("/admin/reload")
    assert accepted.status_code == 200
    after = accepted.json()["rules_digest"]
    assert after != before
    assert accepted.json()["previous"] == before
    assert _evaluate(running) == (200, after, after)


def test_sighup_refuses_broken_rules_and_takes_good_ones(
    tmp_path: Path, start_service: Callable[..., ServiceProcess]
) -> None:
    """SIGHUP with rules that do not check logs the refusal and keeps serving; a later good SIGHUP swaps them in."""
    rules = _rules_copy(tmp_path)
    running = start_service("--rules", str(rules))
    _, before, _ = _evaluate(running)
    cqc = rules / "cqc" / "cqc.fw"
    original = cqc.read_text(encoding="utf-8")
    cqc.write_text(original + "\njudgement broken: rating\n", encoding="utf-8")
    running.signal(signal.SIGHUP)
    seen = set()
    for _ in range(20):  # answers while the broken rules are being checked and refused
        status, header, body = _evaluate(running)
        assert status == 200
        assert header == body == before
        seen.add(header)
    running.wait_for_stderr("refused the new rules")
    assert _evaluate(running) == (200, before, before)
    cqc.write_text(original + "\n# reviewed again\n", encoding="utf-8")
    running.signal(signal.SIGHUP)
    for _ in range(600):  # until the reload lands; each answer is from one rule set or the other
        status, header, body = _evaluate(running)
        assert status == 200
        assert header == body
        seen.add(header)
        if header != before:
            break
        time.sleep(0.05)
    assert len(seen) == 2
    code, err = running.stop()
    assert code == 0
    assert "reloaded the rules" in err
