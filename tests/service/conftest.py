"""The real decision service, started as its own process on 127.0.0.1, for tests to call over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLES = REPO / "examples"
START = "from framework_dsl.cli.dsl import main_dsl; main_dsl()"


def free_port() -> int:
    """A port on 127.0.0.1 nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServiceProcess:
    """`framework-dsl serve` in a child process, and an HTTP client for it."""

    def __init__(self, *options: str, admin: bool = False, log: Path | None = None) -> None:
        self.port = free_port()
        self.admin_port = free_port() if admin else None
        self.log = log
        command = [sys.executable, "-c", START, "serve", "--port", str(self.port), *options]
        if self.admin_port is not None:
            command += ["--admin-port", str(self.admin_port)]
        if log is not None:
            command += ["--decision-log", str(log)]
        env = {**os.environ, "FRAMEWORK_DSL_NO_CACHE": "1"}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.url, timeout=60)
        self._wait_ready()

    def _wait_ready(self) -> None:
        # Polled until it answers: starting means checking and compiling the rules.
        for _ in range(600):
            if self.process.poll() is not None:
                raise RuntimeError(f"the service stopped: {self.process.communicate()[1].decode()}")
            try:
                if self.client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the service did not become ready")

    def admin(self) -> httpx.Client:
        """A client for the admin port."""
        assert self.admin_port is not None
        return httpx.Client(base_url=f"http://127.0.0.1:{self.admin_port}", timeout=60)

    def signal(self, sig: signal.Signals) -> None:
        """Send `sig` to the service process."""
        self.process.send_signal(sig)

    def stop(self) -> tuple[int, str]:
        """SIGTERM, then wait: (exit status, standard error)."""
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, err.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The service on the bundled rules with a decision log, shared by a module's tests."""
    log = tmp_path_factory.mktemp("service") / "decisions.jsonl"
    running = ServiceProcess(log=log)
    yield running
    running.stop()


@pytest.fixture
def start_service() -> Iterator[Callable[..., ServiceProcess]]:
    """Start services of one's own (`start_service(*options, admin=, log=)`); each is stopped at the end."""
    started: list[ServiceProcess] = []

    def start(*options: str, admin: bool = False, log: Path | None = None) -> ServiceProcess:
        running = ServiceProcess(*options, admin=admin, log=log)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
