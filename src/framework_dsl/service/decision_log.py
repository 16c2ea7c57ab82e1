"""The decision log: one JSON line per decision, a receipt that lets anyone re-run it.

Each line holds the rules digest and engine version that decided, the evaluation date
and where it came from, the SHA-256 of the evidence bytes, the framework, the status,
every outcome and the evidence values the decisions read. Given the same rules (by
digest), the same evidence (by hash) and the date, `framework-check --as-of DATE`
gives the same result.

A line is written with one `write` to a file opened for appending, under a lock, and
before the response is sent: a line is in the log whole or not at all, and a client
never holds an answer whose receipt is missing. Stopping the service (SIGTERM) lets
requests in flight finish, so their lines are written too. SIGHUP, besides reloading
the rules, reopens the file, so a log rotated away (renamed) is followed by a new one.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import threading
from collections.abc import Callable
from typing import Any

from framework_dsl import canonical_json
from framework_dsl.result import Result
from framework_dsl.ruleset import system_time


def input_hash(data: bytes) -> str:
    """The hash the log records for evidence bytes: `sha256:` and the hex digest."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _outcomes(group: dict[str, Any]) -> dict[str, Any]:
    return {
        name: [item.get("outcome") for item in value] if isinstance(value, list) else value.get("outcome")
        for name, value in group.items()
    }


def _inputs_read(result: dict[str, Any]) -> dict[str, Any]:
    read: dict[str, Any] = {}
    for group in (result["judgements"], result["checks"]):
        for value in group.values():
            for decision in value if isinstance(value, list) else (value,):
                read.update(decision.get("inputs") or {})
    return {pointer: read[pointer] for pointer in sorted(read)}


def log_entry(result: Result, *, evidence_hash: str, engine: str, decided_at: datetime.datetime) -> dict[str, Any]:
    """The log record of one result (keys in a fixed order)."""
    data = result.to_dict()
    return {
        "time": decided_at.isoformat(timespec="milliseconds"),
        "rules_digest": data["rules_digest"],
        "engine_version": engine,
        "framework": data["framework"],
        "as_of": data["as_of"],
        "as_of_from": data["as_of_from"],
        "input_sha256": evidence_hash,
        "source": data["source"],
        "status": data["status"],
        "judgements": _outcomes(data["judgements"]),
        "checks": _outcomes(data["checks"]),
        "inputs": _inputs_read(data),
        "problems": [problem["code"] for problem in data["problems"]],
    }


class DecisionLog:
    """An append-only JSON Lines file of decisions, shared by the service's threads."""

    def __init__(self, path: str, engine: str, *, clock: Callable[[], datetime.datetime] = system_time) -> None:
        """Append to `path` (created if need be); `clock` stamps each receipt (injectable for tests)."""
        self.path = path
        self._engine = engine
        self._clock = clock
        self._lock = threading.Lock()
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def record(self, result: Result, evidence: bytes) -> None:
        """Append the receipt of `result`, decided on the evidence bytes `evidence`."""
        entry = log_entry(
            result,
            evidence_hash=input_hash(evidence),
            engine=self._engine,
            decided_at=self._clock(),
        )
        self.write_line(canonical_json.dumps_bytes(entry) + b"\n")

    def write_line(self, line: bytes) -> None:
        """Append one whole line (ending in a newline)."""
        with self._lock:
            if self._fd is None:
                raise OSError("the decision log is closed")
            view = memoryview(line)
            while view:  # a regular file takes it in one write; a short write is finished, not lost
                written = os.write(self._fd, view)
                view = view[written:]

    def reopen(self) -> None:
        """Close the file and open `path` again (after logrotate moved it); no line is split or lost."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        with self._lock:
            old, self._fd = self._fd, fd
        if old is not None:
            os.fsync(old)
            os.close(old)

    def close(self) -> None:
        """Flush to disk and close; later writes fail."""
        with self._lock:
            if self._fd is not None:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None
