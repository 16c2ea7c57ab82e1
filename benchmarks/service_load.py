"""Bounded load on the decision service over loopback, then reloads under load.

Starts `framework-dsl serve` on 127.0.0.1 (a free port, a copy of the bundled rules, a
decision log, an admin port) and drives it with C concurrent keep-alive clients written
on asyncio streams (no client library in the measured path), each posting the bundled
examples in turn to `POST /v1/evaluate` for D seconds. Then, for R more seconds of the
same load, the rules are changed and reloaded (`POST /admin/reload`) every second or
so. At the end the service is stopped with SIGTERM and its decision log read.

Reported: requests, requests/s, p50/p90/p99/max latency, errors (a transport error, or
a status other than the one the document gets alone), lost log lines (answers with no
receipt, and receipts beyond the answers), and for the reload phase: reloads accepted,
the digests seen, and answers whose `X-Rules-Digest` header differs from the result's
`rules_digest` or names no rule set that was served (each answer must come from
exactly one rule set). Exit status 1 if any error, lost line or mixed answer.

    python benchmarks/service_load.py [--clients 64] [--seconds 30] [--reload-seconds 15] [--output FILE]

Every loop here is bounded in time and count, and all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2024-06-01"
DIGEST_IN_BODY = re.compile(rb'"rules_digest": "(sha256:[0-9a-f]{64})"')
START = "from framework_dsl.cli.dsl import main_dsl; main_dsl()"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Stats:
    """What the clients saw."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.mixed: list[str] = []
        self.digests: dict[str, int] = {}
        self.answers = 0  # evaluation answers (each should have a log line)


async def one_client(
    port: int, bodies: list[tuple[bytes, int]], offset: int, stop_at: float, stats: Stats, served: set[str]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = offset
    try:
        while time.monotonic() < stop_at:
            body, expected = bodies[index % len(bodies)]
            index += 1
            head = (
                f"POST /v1/evaluate?as_of={AS_OF} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            started = time.perf_counter()
            writer.write(head + body)
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:
                stats.errors.append("connection closed by the server")
                return
            status = int(status_line.split()[1])
            length = 0
            header_digest = None
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "x-rules-digest":
                    header_digest = value.strip()
            payload = await reader.readexactly(length)
            stats.latencies.append(time.perf_counter() - started)
            stats.answers += 1
            if status != expected:
                stats.errors.append(f"status {status}, expected {expected}")
            found = DIGEST_IN_BODY.search(payload)
            body_digest = found.group(1).decode() if found else None
            if header_digest is None or header_digest != body_digest or header_digest not in served:
                stats.mixed.append(f"header {header_digest}, body {body_digest}")
            else:
                stats.digests[header_digest] = stats.digests.get(header_digest, 0) + 1
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        stats.errors.append(f"{type(error).__name__}: {error}")
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def reload_now(admin_port: int) -> dict[str, Any]:
    request = urllib.request.Request(f"http://127.0.0.1:{admin_port}/admin/reload", method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer: dict[str, Any] = json.loads(response.read())
            return answer
    except urllib.error.HTTPError as refused:
        answer = json.loads(refused.read())
        return answer


async def reloader(admin_port: int, rule_file: Path, stop_at: float, served: set[str], log: list[str]) -> None:
    """Alternate the rule file's last comment and reload, about once a second, until `stop_at`."""
    original = rule_file.read_text(encoding="utf-8")
    count = 0
    loop = asyncio.get_running_loop()
    while time.monotonic() < stop_at - 1:
        count += 1
        text = original + f"\n# reload {count}\n"
        # The digest is known before the swap, so an answer from the new rules is never "unknown".
        rule_file.write_text(text, encoding="utf-8")
        served.add(await loop.run_in_executor(None, digest_of, rule_file.parent.parent))
        answer = await loop.run_in_executor(None, reload_now, admin_port)
        log.append(f"reload {count}: accepted={answer['accepted']} {answer['rules_digest']}")
        await asyncio.sleep(1)


def digest_of(rules: Path) -> str:
    from framework_dsl import load_rules

    return load_rules(rules).digest


async def drive(
    port: int,
    bodies: list[tuple[bytes, int]],
    clients: int,
    seconds: float,
    served: set[str],
    admin_port: int | None = None,
    rule_file: Path | None = None,
) -> tuple[Stats, list[str], float]:
    stats = Stats()
    reloads: list[str] = []
    started = time.monotonic()
    stop_at = started + seconds
    tasks = [one_client(port, bodies, i * 7, stop_at, stats, served) for i in range(clients)]
    if admin_port is not None and rule_file is not None:
        tasks.append(reloader(admin_port, rule_file, stop_at, served, reloads))
    await asyncio.gather(*tasks)
    return stats, reloads, time.monotonic() - started


def summary(stats: Stats, elapsed: float) -> dict[str, Any]:
    latencies = sorted(stats.latencies)

    def quantile(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2) if latencies else 0.0

    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 1),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {
            "mean": round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
            "p50": quantile(0.50),
            "p90": quantile(0.90),
            "p99": quantile(0.99),
            "max": round(latencies[-1] * 1000, 2) if latencies else 0.0,
        },
        "errors": len(stats.errors),
        "error_examples": sorted(set(stats.errors))[:5],
        "mixed_or_unknown_digest": len(stats.mixed),
        "digests_seen": len(stats.digests),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--reload-seconds", type=float, default=15.0)
    parser.add_argument("--output", type=Path, default=None, help="also write the report as JSON here")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="service-load-"))
    rules = work / "rules"
    shutil.copytree(REPO / "rules", rules)
    rule_file = rules / "cqc" / "cqc.fw"
    log = work / "decisions.jsonl"
    port, admin_port = free_port(), free_port()
    command = [sys.executable, "-c", START, "serve", "--rules", str(rules), "--port", str(port)]
    command += ["--admin-port", str(admin_port), "--decision-log", str(log)]
    env = {**os.environ, "FRAMEWORK_DSL_NO_CACHE": "1"}
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        for _ in range(600):  # bounded wait for start-up (check and compile the rules)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as ready:
                    first_digest = json.loads(ready.read())["rules_digest"]
                    break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"the service did not start: {server.stderr.read().decode()}") from None
                time.sleep(0.1)
        else:
            raise SystemExit("the service did not become ready")
        # Each body's status when sent alone: what every answer under load must have too.
        bodies = []
        for path in sorted((REPO / "examples").rglob("*.json")):
            body = path.read_bytes()
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/v1/evaluate?as_of={AS_OF}",
                data=body,
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    bodies.append((body, response.status))
            except urllib.error.HTTPError as refused:
                bodies.append((body, refused.code))
        served = {first_digest}
        steady, _, steady_time = asyncio.run(drive(port, bodies, options.clients, options.seconds, served))
        under_reload, reloads, reload_time = asyncio.run(
            drive(port, bodies, options.clients, options.reload_seconds, served, admin_port, rule_file)
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            _, err = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            _, err = server.communicate()
    lines = log.read_bytes().splitlines() if log.exists() else []
    whole = sum(1 for line in lines if line.startswith(b"{") and line.endswith(b"}"))
    warmup = len(bodies)
    answered = warmup + steady.answers + under_reload.answers
    report = {
        "command": " ".join(["python", "benchmarks/service_load.py", *sys.argv[1:]]),
        "clients": options.clients,
        "examples": len(bodies),
        "steady": summary(steady, steady_time),
        "under_reload": {
            **summary(under_reload, reload_time),
            "reloads": len(reloads),
            "reloads_accepted": sum("accepted=True" in r for r in reloads),
        },
        "decision_log": {
            "answers": answered,
            "lines": len(lines),
            "whole_lines": whole,
            "lost_lines": answered - whole,
            "ends_with_newline": log.read_bytes().endswith(b"\n") if lines else True,
        },
        "service_exit_status": server.returncode,
    }
    text = json.dumps(report, indent=2)
    print(text)
    if options.output is not None:
        options.output.write_text(text + "\n", encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)
    failed = (
        steady.errors
        or under_reload.errors
        or steady.mixed
        or under_reload.mixed
        or report["decision_log"]["lost_lines"]
        or len(lines) != whole
        or server.returncode != 0
    )
    if failed:
        sys.stderr.write(err.decode("utf-8", "replace")[-2000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
