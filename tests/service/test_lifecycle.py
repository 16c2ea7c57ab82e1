"""Starting and stopping: a request in flight finishes on SIGTERM; several processes can share a port."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from tests.service.conftest import ServiceProcess

REPO = Path(__file__).resolve().parent.parent.parent
LINE = json.dumps(json.loads((REPO / "examples" / "cqc" / "typical.json").read_bytes())).encode() + b"\n"


def test_sigterm_lets_a_batch_in_flight_finish_with_every_line_logged(
    tmp_path: Path, start_service: Callable[..., ServiceProcess]
) -> None:
    """A batch still being sent when SIGTERM arrives is answered whole, and each of its lines has its receipt."""
    log = tmp_path / "decisions.jsonl"
    running = start_service(log=log)
    sent = threading.Event()
    terminated = threading.Event()
    documents = 20

    def body() -> Iterator[bytes]:
        for number in range(documents):
            yield LINE
            if number == 4:
                sent.set()
                terminated.wait(60)  # the rest is sent only once the service has been told to stop

    answer: list[httpx.Response] = []

    def post() -> None:
        answer.append(
            running.client.post(
                "/v1/evaluate/batch",
                content=body(),
                params={"as_of": "2024-06-01"},
                headers={"content-type": "application/x-ndjson"},
            )
        )

    poster = threading.Thread(target=post)
    poster.start()
    assert sent.wait(60)
    for _ in range(600):  # until the service has begun on the batch: its first receipt is written
        if log.exists() and log.stat().st_size:
            break
        time.sleep(0.05)
    running.signal(signal.SIGTERM)
    terminated.set()
    poster.join(120)
    status, _ = running.stop()
    assert status == 0
    (response,) = answer
    assert response.status_code == 200
    results = [json.loads(line) for line in response.content.splitlines()]
    assert [r["status"] for r in results] == ["evaluated"] * documents
    data = log.read_bytes()
    assert data.endswith(b"\n")
    assert len([json.loads(line) for line in data.splitlines()]) == documents


def test_processes_started_with_reuse_port_share_one_port(start_service: Callable[..., ServiceProcess]) -> None:
    """With --reuse-port a second process listens on the first one's port, and the port answers while either runs."""
    first = start_service("--reuse-port")
    second = start_service("--reuse-port", port=first.port)
    second.wait_for_stderr("with SO_REUSEPORT")  # its readiness was answered by either process: wait for its own
    assert second.process.poll() is None
    first.stop()
    with httpx.Client(base_url=first.url, timeout=60) as client:
        assert client.get("/readyz").status_code == 200


def test_a_body_slower_than_the_timeout_is_408_and_the_service_goes_on(
    start_service: Callable[..., ServiceProcess],
) -> None:
    """A client that stops sending its body is answered 408 after --timeout, and the next request is served."""
    running = start_service("--timeout", "0.5")

    def trickle() -> Iterator[bytes]:
        yield LINE[:10]
        time.sleep(3)  # far past the half second the service allows
        yield LINE[10:]

    slow = running.client.post("/v1/evaluate", content=trickle(), headers={"content-type": "application/json"})
    assert slow.status_code == 408
    assert slow.json()["error"] == "request-timeout"
    quick = running.client.post(
        "/v1/evaluate", content=LINE, params={"as_of": "2024-06-01"}, headers={"content-type": "application/json"}
    )
    assert quick.status_code == 200


def test_sighup_reopens_a_rotated_decision_log(tmp_path: Path, start_service: Callable[..., ServiceProcess]) -> None:
    """After the log is renamed away and SIGHUP sent, receipts go to a new file of the same name; none is lost."""
    log = tmp_path / "decisions.jsonl"
    running = start_service(log=log)

    def evaluate() -> None:
        response = running.client.post(
            "/v1/evaluate", content=LINE, params={"as_of": "2024-06-01"}, headers={"content-type": "application/json"}
        )
        assert response.status_code == 200

    evaluate()
    rotated = tmp_path / "decisions.jsonl.1"
    log.rename(rotated)
    evaluate()  # still the old file, under its new name
    running.signal(signal.SIGHUP)
    running.wait_for_stderr("reloaded the rules")
    evaluate()
    evaluate()
    status, _ = running.stop()
    assert status == 0
    assert len(rotated.read_bytes().splitlines()) == 2
    assert len(log.read_bytes().splitlines()) == 2
